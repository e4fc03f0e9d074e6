package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Streaming and MQTT steps compile to their specs, defaults filled in;
// what is wrong with them is an error at the value, before any run.
func TestCompileStreamingAndMQTT(t *testing.T) {
	dir := t.TempDir()
	clip, err := os.ReadFile("../examples/data/clip.flv")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("clip.flv", clip)
	write("not.flv", []byte("FLV but not really"))
	for _, name := range []string{"ca.pem", "client.pem", "client.key"} {
		b, err := os.ReadFile("../examples/data/mqtt-tls/" + name)
		if err != nil {
			t.Fatal(err)
		}
		write(name, b)
	}
	write("empty.pem", []byte("no certificate here"))
	compile := func(steps string) (*Plan, error) {
		path := filepath.Join(dir, "s.yaml")
		write("s.yaml", []byte(snippetScenario("", steps, "")))
		f, err := ParseFile(path)
		if err != nil {
			return nil, err
		}
		return Compile(f, Options{LookupEnv: func(string) (string, bool) { return "", false }})
	}

	plan, err := compile(`[{hls: {url: "http://h/a.m3u8", duration: 10s, variant: lowest, retries: 2}},
  {rtmp: {url: "rtmp://h/live/s", duration: 5s, publish: clip.flv}},
  {mqtt: {broker: "ssl://h:8883", client_id: "d-${__VU}", ca: ca.pem, cert: client.pem, key: client.key, connect: true}},
  {mqtt: {broker: "tcp://h", receive: {until: 'body == "x"', max: 3}}}]`)
	if err != nil {
		t.Fatal(err)
	}
	steps := plan.Cases[0].Steps
	hls := steps[0].(*RequestNode)
	if sp := hls.Spec.(*StreamSpec); hls.Protocol != HLS || hls.Name != "hls http://h/a.m3u8" || sp.Variant != VariantLowest || sp.Retries != 2 ||
		sp.Timeout != DefaultTimeout || sp.StallAfter != DefaultStallAfter || !sp.TLSVerify || sp.Publish != nil || sp.Endpoint() != "http://h" {
		t.Errorf("hls: %s %+v", hls.Name, sp)
	}
	if sp := steps[1].(*RequestNode).Spec.(*StreamSpec); sp.Publish == nil || len(sp.Publish.Tags) == 0 || sp.Duration != 5*time.Second {
		t.Errorf("rtmp publish: %+v", sp)
	}
	conn := steps[2].(*RequestNode)
	if sp := conn.Spec.(*MQTTSpec); conn.Name != "mqtt connect" || sp.RootCAs == nil || len(sp.Certificates) != 1 || !sp.CleanSession ||
		sp.Action != MQTTConnect || sp.Endpoint() != "ssl://h:8883" {
		t.Errorf("mqtt connect: %s %+v", conn.Name, sp)
	}
	if sp := steps[3].(*RequestNode).Spec.(*MQTTSpec); sp.Until == nil || sp.Max != 3 || sp.Count != 0 || sp.ReceiveTimeout != DefaultTimeout {
		t.Errorf("mqtt receive: %+v", sp)
	}

	tests := []struct{ steps, want string }{
		{`[{hls: {url: "rtmp://h/a", duration: 1s}}]`, `url "rtmp://h/a" has no http:// or https:// scheme`},
		{`[{rtmp: {url: "http://h/a/b", duration: 1s}}]`, `url "http://h/a/b" has no rtmp:// scheme`},
		{`[{rtmp: {url: "rtmp://h/a/b", duration: 1s, publish: missing.flv}}]`, "publish: cannot read missing.flv"},
		{`[{rtmp: {url: "rtmp://h/a/b", duration: 1s, publish: not.flv}}]`, "publish: not.flv: "},
		{`[{flv: {url: "http://h/a.flv", duration: 0s}}]`, "a play's duration must be above 0"},
		{`[{mqtt: {broker: "http://h", connect: true}}]`, `broker "http://h" is not an MQTT URL`},
		{`[{mqtt: {broker: "tcp://h", clean_session: false, connect: true}}]`, "a session the broker keeps (clean_session: false) needs a client_id"},
		{`[{mqtt: {broker: "tcp://h", keep_alive: 1500ms, connect: true}}]`, "keep_alive 1.5s is not a whole number of seconds"},
		{`[{mqtt: {broker: "ssl://h", ca: empty.pem, connect: true}}]`, "ca: empty.pem holds no PEM certificate"},
		{`[{mqtt: {broker: "ssl://h", cert: client.pem, key: ca.pem, connect: true}}]`, "cert and key: "},
		{`[{mqtt: {broker: "tcp://h", publish: {topic: "a/+/b"}}}]`, `topic "a/+/b" has a wildcard`},
		{`[{mqtt: {broker: "tcp://h", subscribe: "a/#/b"}}]`, `topic filter "a/#/b": # must be the whole last level`},
		{`[{mqtt: {broker: "tcp://h", subscribe: "a/b+"}}]`, `topic filter "a/b+": + must be a whole level`},
		{`[{mqtt: {broker: "tcp://h", publish: {topic: a}}, check: {status: 200}}]`, "a status check does not apply to mqtt"},
		{`[{mqtt: {broker: "tcp://h", receive: {until: "nope +"}}}]`, `"nope +"`},
	}
	for _, tt := range tests {
		_, err := compile(tt.steps)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.steps, err, tt.want)
		}
	}
}
