package scenario

import "testing"

// Each protocol's step key reads back as that protocol; the report names
// them as people write them.
func TestProtocolNames(t *testing.T) {
	tests := []struct {
		p          Protocol
		key, title string
	}{
		{HTTP, "http", "HTTP"},
		{TCP, "tcp", "TCP"},
		{UDP, "udp", "UDP"},
		{WebSocket, "ws", "WebSocket"},
		{HLS, "hls", "HLS"},
		{FLV, "flv", "HTTP-FLV"},
		{RTMP, "rtmp", "RTMP"},
		{MQTT, "mqtt", "MQTT"},
		{PluginProtocol, "plugin", "PLUGIN"},
		{HTTP2, "http", "HTTP"}, // an http: step; only the plan tells HTTP/2 apart
		{NumProtocols, "protocol 11", "protocol 11"},
	}
	for _, tt := range tests {
		if tt.p.String() != tt.key || tt.p.Title() != tt.title {
			t.Errorf("protocol %d: String %q, Title %q; want %q, %q", tt.p, tt.p.String(), tt.p.Title(), tt.key, tt.title)
		}
		if tt.p < NumProtocols && tt.p != HTTP2 && protocolOf(tt.key) != tt.p {
			t.Errorf("protocolOf(%q) = %v, want %v", tt.key, protocolOf(tt.key), tt.p)
		}
	}
	if protocolOf("") != NoProtocol || protocolOf("amqp") != NoProtocol {
		t.Errorf("protocolOf of no protocol's key is not NoProtocol")
	}
}

// A compiled request's spec names its endpoint as written, templates
// unrendered: HTTP by its origin, TCP and UDP by address, WebSocket by
// URL; a plugin has none.
func TestSpecEndpoint(t *testing.T) {
	plan, err := Compile(mustParse(t, `
name: e
variables: {base: "http://h:1", id: "7"}
cases:
  - name: c
    steps:
      - http: {url: "${base}/items/${id}?q=1"}
      - http: {url: "https://example.com:8443/a#b"}
      - tcp: {address: "127.0.0.1:${id}", payload: x}
      - udp: {address: "h:9", payload: x}
      - ws: {url: "ws://h/ws?t=${id}", actions: [{send: x}]}
      - plugin: {name: p}
    stages: [{concurrency: 1, count: 1}]
`), Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"${base}", "https://example.com:8443", "127.0.0.1:${id}", "h:9", "ws://h/ws?t=${id}", ""}
	for i, n := range plan.Cases[0].Steps {
		if got := n.(*RequestNode).Spec.Endpoint(); got != want[i] {
			t.Errorf("step %d: Endpoint() = %q, want %q", i, got, want[i])
		}
	}
}
