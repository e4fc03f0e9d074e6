package runner

import (
	"context"
	"testing"

	"github.com/perfcase/perfcase/demo"
	"github.com/perfcase/perfcase/metrics"
)

// TCP, UDP and WebSocket steps run through the same seam as HTTP, end to
// end against the demo target's echo servers on 127.0.0.1: checks and
// extraction judge the reply, or the last message, as the body, and a
// WebSocket receive reads until its expression holds for a message,
// judged by the VU (the runner lends its evaluator to the session). A
// receive that never matches fails as a check.
func TestSocketsThroughTheSeam(t *testing.T) {
	srv, err := demo.Start(demo.Options{HTTP: "127.0.0.1:0", TCP: "127.0.0.1:0", UDP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	plan := compile(t, `
name: sockets
variables:
  tcp: `+srv.TCPAddr()+`
  udp: `+srv.UDPAddr()+`
cases:
  - name: c
    steps:
      - tcp: {name: tcp, address: "${tcp}", payload: "PING ${__ITER}\n", read: {until: "\n"}}
        check: body contains "PING"
        extract: {n: {left: "PING ", right: "\n"}}
      - udp: {name: udp, address: "${udp}", payload: "ping ${n}"}
        check: 'body == "ping " + n'
      - ws:
          name: ws
          url: "${base}/ws"
          actions:
            - {send: "one"}
            - {send: "two ${n}"}
            - {send: "three"}
            - receive: {until: 'body startsWith "two"', max: 3}
        check: 'body == "two " + n'
      - ws:
          name: ws-never
          url: "${base}/ws"
          actions:
            - {send: "one"}
            - receive: {until: body == "none", max: 1}
        continue_on_failure: true
    stages: [{concurrency: 2, count: 10}]
`, "ws://"+srv.HTTPAddr(), nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	for _, name := range []string{"tcp", "udp", "ws"} {
		if s := series(t, c, name); s.Count != 10 || s.Outcomes[metrics.Success] != 10 {
			t.Errorf("%s: %d requests, outcomes %v, errors %+v; want 10 successes", name, s.Count, s.Outcomes, s.Errors)
		}
	}
	never := series(t, c, "ws-never")
	if never.Count != 10 || never.Outcomes[metrics.CheckFailed] != 10 || len(never.Errors) != 1 ||
		never.Errors[0].Message != `receive until "body == \"none\"": none of 1 messages matched` {
		t.Errorf("ws-never: %d requests, outcomes %v, errors %+v", never.Count, never.Outcomes, never.Errors)
	}
	if got := c.Protocols; len(got) != 3 || got[0] != "TCP" || got[1] != "UDP" || got[2] != "WebSocket" {
		t.Errorf("protocols %v", got)
	}
}
