package runner

import (
	"context"
	"testing"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/metrics"
)

// Soft checks on an mqtt step judge, as its checks do, the last message a
// receive took, against mosquitto: counted per check, failing nothing.
func TestMQTTSoftChecks(t *testing.T) {
	plan := compile(t, `
name: m
cases:
  - name: c
    setup:
      - mqtt: {broker: "${base}", client_id: "soft${__VU}", subscribe: {topic: "soft/#", qos: 1}}
    steps:
      - mqtt: {name: pub, broker: "${base}", publish: {topic: soft/x, payload: "v${__ITER}", qos: 1}}
      - mqtt: {name: take, broker: "${base}", receive: {count: 1, timeout: 5s}}
        soft_check: ['body contains "v1"', {payload: true, contains: v}]
    stages: [{concurrency: 1, count: 4}]
`, "tcp://"+testsupport.Mosquitto(t), nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	if s := series(t, c, "take"); s.Count != 4 || s.Outcomes[metrics.Success] != 4 {
		t.Fatalf("receives %d, outcomes %v: want 4 successes, soft checks failing none", s.Count, s.Outcomes)
	}
	soft := map[string][2]int64{}
	for _, x := range c.Stats.Extras {
		if x.Kind == metrics.Rate {
			soft[x.Series+": "+x.Name] = [2]int64{x.N, x.Sum}
		}
	}
	if got := soft[`take: body contains "v1"`]; got != [2]int64{4, 1} {
		t.Errorf(`body contains "v1": %v judged/held, want 4/1 (%v)`, got, soft)
	}
	if got := soft["take: payload contains v"]; got != [2]int64{4, 4} {
		t.Errorf(`payload contains v: %v judged/held, want 4/4 (%v)`, got, soft)
	}
}
