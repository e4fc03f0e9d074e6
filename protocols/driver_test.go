package protocols

import (
	"context"
	"testing"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// Every protocol a scenario can run has a driver, and only those: a
// plugin has none (Check refuses it before a run), nor does a protocol
// past the table. A driver makes a working session, keeps cookies only
// if it says so, declares the memory a session keeps, and at most
// MaxObservations extra metrics, none named as another's.
func TestDriverTable(t *testing.T) {
	want := map[scenario.Protocol]bool{scenario.HTTP: true, scenario.HTTP2: true, scenario.TCP: true, scenario.UDP: true, scenario.WebSocket: true,
		scenario.HLS: true, scenario.FLV: true, scenario.RTMP: true, scenario.MQTT: true}
	names := map[string]scenario.Protocol{}
	for p := range scenario.NumProtocols + 1 {
		d, ok := For(p)
		if ok != want[p] {
			t.Errorf("For(%v): driver %v, want %v", p, ok, want[p])
		}
		if !ok {
			continue
		}
		s := d.New(Config{Ctx: context.Background(), Seed: 1, Jar: NewJar()})
		s.Release()
		s.Close()
		if d.Cookies != (p == scenario.HTTP || p == scenario.HTTP2) {
			t.Errorf("%v keeps cookies: %v", p, d.Cookies)
		}
		// The machine check counts it per connection: a driver that
		// declares nothing would let a plan past it that the machine
		// cannot hold (BenchmarkSessionMemory checks the figures).
		if d.Memory < 4<<10 {
			t.Errorf("%v declares %d bytes per session", p, d.Memory)
		}
		if len(d.Extras) > metrics.MaxObservations {
			t.Errorf("%v declares %d extra metrics, over %d", p, len(d.Extras), metrics.MaxObservations)
		}
		for _, x := range d.Extras {
			if other, dup := names[x.Name]; dup {
				t.Errorf("extra metric %q of %v is also %v's", x.Name, p, other)
			}
			names[x.Name] = p
		}
	}
}

// A session interrupted before its exchange fails it at once, whatever
// the protocol, without reaching the network: here a URL and addresses
// nothing listens on.
func TestInterruptedSessionsFailAtOnce(t *testing.T) {
	specs := map[scenario.Protocol]scenario.Spec{
		scenario.HTTP:      spec(t, "http://127.0.0.1:1", `{url: "${base}/"}`),
		scenario.HTTP2:     spec(t, "http://127.0.0.1:1", `{url: "${base}/", version: "2"}`),
		scenario.TCP:       sockSpec(t, "tcp", "127.0.0.1:1", `{address: "${addr}", payload: x}`),
		scenario.UDP:       sockSpec(t, "udp", "127.0.0.1:1", `{address: "${addr}", payload: x}`),
		scenario.WebSocket: wsSpec(t, "ws://127.0.0.1:1", `{url: "${base}/", actions: [{send: x}]}`),
		scenario.HLS:       streamSpecOf(t, "hls", "http://127.0.0.1:1", `{url: "${base}/a.m3u8", duration: 1s}`),
		scenario.FLV:       streamSpecOf(t, "flv", "http://127.0.0.1:1", `{url: "${base}/a.flv", duration: 1s}`),
		scenario.RTMP:      streamSpecOf(t, "rtmp", "rtmp://127.0.0.1:1", `{url: "${base}/live/s", duration: 1s}`),
		scenario.MQTT:      compileSteps(t, "mqtt", map[string]string{"b": "tcp://127.0.0.1:1"}, `{broker: "${b}", publish: {topic: t}}`)[0].Spec,
	}
	for p, sp := range specs {
		d, _ := For(p)
		s := d.New(Config{Ctx: context.Background(), Seed: 1})
		s.Interrupt()
		var res Result
		s.Do(sp, &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}, &res)
		if res.Fail == nil || res.Fail.Msg != "interrupted by the end of the run" || res.Sent != 0 {
			t.Errorf("%v: fail %+v, sent %d", p, res.Fail, res.Sent)
		}
		s.Close()
	}
}
