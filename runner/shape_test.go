package runner

import (
	"math"
	"strings"
	"testing"
	"time"
)

// Each load shape is checked second by second against its configuration,
// on a fake clock. A closed shape runs, 100 ms into each second, the VUs
// its shape rounds to (at the reading at 100 ms, or the one 20 ms before
// when the clock samples first). An open shape starts, each second, the
// passes the integral of its rate over that second gives, within one:
// the scheduler takes the rate as linear between its wakes, which a
// jump or a curve is not; a linear ramp's total is exact.
func TestShapesFollowConfiguration(t *testing.T) {
	plan := compile(t, `
name: shapes
parallel: true
cases:
  - name: oscillate-vus
    steps: [{http: {name: a, url: "${base}/a"}}, {think: 20ms}]
    stages: [{oscillate_concurrency: {min: 1, max: 9, loops: 1}, duration: 3s}]
  - name: surge-tps
    steps: [{http: {name: b, url: "${base}/b"}}]
    stages: [{surge_tps: {min: 40, max: 200, loops: 1, hold: 1s}, duration: 3s}]
  - name: ramp-tps
    steps: [{http: {name: c, url: "${base}/c"}}]
    stages: [{tps: 300, start_tps: 0, ramp_up: 3s, duration: 3s}]
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(2))))
	if len(run.Cases) != 3 {
		t.Fatalf("%d cases", len(run.Cases))
	}

	osc := run.Cases[0]
	st := plan.Cases[0].Stages[0]
	for k, sec := range osc.Stats.Requests.Seconds[:3] {
		got := sec.VUs
		sample := time.Duration(k)*time.Second + ms(100)
		if a, b := math.Round(st.Target(sample-ms(20))), math.Round(st.Target(sample)); float64(got) != a && float64(got) != b {
			t.Errorf("oscillate_concurrency second %d: %d VUs, shape says %v", k, got, b)
		}
	}

	for i, path := range []string{"/b", "/c"} {
		st := plan.Cases[i+1].Stages[0]
		var per [3]float64
		for _, r := range log.all() {
			if strings.HasSuffix(r.target, path) {
				per[min(r.at/time.Second, 2)]++
			}
		}
		total := 0.0
		for k, got := range per {
			want := integral(st.Target, time.Duration(k)*time.Second, time.Duration(k+1)*time.Second)
			total += got
			if math.Abs(got-want) > 1.01 {
				t.Errorf("%s second %d: %.0f passes started, shape says %.1f", run.Cases[i+1].Stats.Name, k, got, want)
			}
		}
		if want := integral(st.Target, 0, 3*time.Second); math.Abs(total-want) > 1.01 || path == "/c" && total != 450 {
			t.Errorf("%s: %.0f passes started, shape says %.1f", run.Cases[i+1].Stats.Name, total, want)
		}
		if c := run.Cases[i+1]; c.Missed != 0 {
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
