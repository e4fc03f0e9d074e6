package runner

import (
	"context"
	"math"
	"testing"
	"time"
)

// Each load shape is checked second by second against its configuration:
// the VUs a closed shape runs, the passes an open shape starts.
func TestShapesFollowConfiguration(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: shapes
parallel: true
cases:
  - name: oscillate-vus
    steps: [{http: {name: a, url: "${base}/ok"}}, {think: 20ms}]
    stages: [{oscillate_concurrency: {min: 1, max: 9, loops: 1}, duration: 3s}]
  - name: surge-tps
    steps: [{http: {name: b, url: "${base}/ok"}}]
    stages: [{surge_tps: {min: 40, max: 200, loops: 1, hold: 1s}, duration: 3s}]
  - name: ramp-tps
    steps: [{http: {name: c, url: "${base}/ok"}}]
    stages: [{tps: 300, start_tps: 0, ramp_up: 3s, duration: 3s}]
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	if len(run.Cases) != 3 {
		t.Fatalf("%d cases", len(run.Cases))
	}

	// Closed shape: the VUs the clock saw 100 ms into each second.
	osc := run.Cases[0]
	st := plan.Cases[0].Stages[0]
	for k, sec := range osc.Stats.Requests.Seconds[:3] {
		got := sec.VUs
		want := st.Target(time.Duration(k)*time.Second + 100*time.Millisecond)
		if math.Abs(float64(got)-want) > 1.5 {
			t.Errorf("oscillate_concurrency second %d: %d VUs, shape says %.1f", k, got, want)
		}
	}

	// Open shapes: the passes started in each second against the integral
	// of the rate over it.
	for i := 1; i <= 2; i++ {
		c := run.Cases[i]
		st := plan.Cases[i].Stages[0]
		pass := c.Stats.Series[len(c.Stats.Series)-1]
		for k := 0; k < 3 && k < len(pass.Seconds); k++ {
			want := integral(st.Target, time.Duration(k)*time.Second, time.Duration(k+1)*time.Second)
			got := float64(pass.Seconds[k].Count)
			if math.Abs(got-want) > math.Max(6, want*0.08) {
				t.Errorf("%s second %d: %.0f passes, shape says %.1f", c.Stats.Name, k, got, want)
			}
		}
		if c.Missed != 0 {
			t.Errorf("%s: %d missed starts", c.Stats.Name, c.Missed)
		}
	}
}

// integral of a rate over [a, b), by the midpoint rule in 1 ms steps.
func integral(rate func(time.Duration) float64, a, b time.Duration) float64 {
	sum := 0.0
	for t := a; t < b; t += time.Millisecond {
		sum += rate(t+500*time.Microsecond) / 1000
	}
	return sum
}
