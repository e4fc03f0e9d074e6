package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
)

// kneeServer answers fast while at most knee requests are in flight, and
// slowly beyond: a target whose capacity is known.
func kneeServer(t *testing.T, knee int64, fast, slow time.Duration) *httptest.Server {
	var inflight atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		if n > knee {
			time.Sleep(slow)
		} else {
			time.Sleep(fast)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Peak probing ramps VUs up and reports the first second of the first
// 6 s window whose KPI missed: against a target that slows down past 4
// requests in flight, that is where the VUs passed 4.
func TestPeakProbeFindsTheKnee(t *testing.T) {
	t.Parallel()
	srv := kneeServer(t, 4, time.Millisecond, 150*time.Millisecond)
	plan := compile(t, `
name: peak
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages:
      - {peak_probe: {start: 2, max: 8, ramp_up: 6s, kpis: [avg_rt < 50ms], stop_at_peak: true}, duration: 14s}
`, srv.URL, nil)
	start := time.Now()
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	if c.Peak == nil {
		t.Fatalf("no peak found; stages %+v", c.Stages)
	}
	p := c.Peak
	t.Logf("peak %+v after %v", *p, time.Since(start))
	if p.VUs < 4 || p.VUs > 6 || p.AvgRT < 50 || p.Stage != "peak_probe" || p.Reason == "" {
		t.Errorf("peak %+v, want 4-6 VUs and the avg_rt that missed", *p)
	}
	if d := c.Stages[0].End.Sub(c.Stages[0].Start); d > 12*time.Second {
		t.Errorf("stop_at_peak did not end the 14 s stage early: %v", d)
	}
}

// Step probing adds VUs step by step and judges each step on its own.
// The target serves 4 requests at a time, each for 40 ms, queues up to 6
// more and turns away (503) any beyond: its knee is 10 requests in
// flight. A pass is a request then 10 ms of thinking (waited after a
// 503 too, so the turned-away VUs do not spin). The steps are 1, 9 and 17
// VUs, and each verdict holds however slow the machine is:
//   - 9 VUs never have more than 9 requests at the target, so none is
//     turned away, and they keep its 4 workers busy: at least 3 times the
//     rate of 1 VU, as step_probe asks of 8 more VUs (a slow client only
//     widens the gap, since the lone VU waits on it for every request);
//   - 17 VUs are turned away whenever 11 are at the target, far more
//     than 1% of the time, and the rate of answers cannot rise.
func TestStepProbeFindsTheKnee(t *testing.T) {
	t.Parallel()
	var atTarget atomic.Int64
	workers := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer atTarget.Add(-1)
		if atTarget.Add(1) > 10 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		workers <- struct{}{}
		time.Sleep(40 * time.Millisecond)
		<-workers
	}))
	t.Cleanup(srv.Close)
	plan := compile(t, `
name: steps
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}, {think: 10ms}]
    stages:
      - {step_probe: {start: 1, max: 17, step_size: 8, step_duration: 1s, kpis: [success_rate >= 99]}, duration: 4s}
`, srv.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	for _, s := range c.Steps {
		t.Logf("step %d VUs: %.0f req/s, %.1f%% success, good %v %s", s.VUs, s.RPS, s.SuccessRate, s.Good, s.Reason)
	}
	if len(c.Steps) < 3 {
		t.Fatalf("%d steps judged", len(c.Steps))
	}
	if !c.Steps[0].Good || !c.Steps[1].Good {
		t.Errorf("want the steps of 1 and 9 VUs good")
	}
	if c.Steps[2].Good {
		t.Errorf("the step of 17 VUs is past the knee, yet good")
	}
	if c.Peak == nil || c.Peak.VUs != 9 {
		t.Errorf("peak %+v, want the 9-VU step", c.Peak)
	}
}

// SLA rules judge windows while the run goes on: a flag rule records its
// triggers and fails the verdict; a stop rule ends the run.
func TestSLARules(t *testing.T) {
	t.Parallel()
	srv := kneeServer(t, 0, 0, 30*time.Millisecond)
	plan := compile(t, `
name: sla
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{concurrency: 2, duration: 10s}]
    sla:
      - {name: watch, kpi: avg_rt < 10ms, window: 1s, breaches: 1, action: flag}
      - {name: guard, kpi: avg_rt < 10ms, window: 1s, breaches: 2, action: stop}
`, srv.URL, nil)
	start := time.Now()
	run := Run(context.Background(), plan, Options{})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the stop rule let the 10 s run go on for %v", d)
	}
	c := run.Cases[0]
	if run.Status != metrics.StoppedBySLA || run.Passed() {
		t.Errorf("status %v (%s), passed %v", run.Status, run.Reason, run.Passed())
	}
	var flags, stops int
	for _, tr := range c.SLA {
		if tr.Rule == "watch" && !tr.Stopped {
			flags++
		}
		if tr.Rule == "guard" && tr.Stopped {
			stops++
		}
		if tr.Observed < 10 {
			t.Errorf("trigger %+v observed under the threshold", tr)
		}
	}
	if flags < 2 || stops != 1 {
		t.Errorf("triggers %+v", c.SLA)
	}
}

// An SLA rule that stops one case stops the run: the next case does not
// run its stages.
func TestSLAStopEndsTheRun(t *testing.T) {
	t.Parallel()
	srv := kneeServer(t, 0, 0, 30*time.Millisecond)
	plan := compile(t, `
name: sla
cases:
  - name: first
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{concurrency: 2, duration: 10s}]
    sla: [{name: guard, kpi: avg_rt < 10ms, window: 1s, breaches: 1, action: stop}]
  - name: second
    steps: [{http: {name: get2, url: "${base}/"}}]
    stages: [{concurrency: 2, duration: 10s}]
`, srv.URL, nil)
	start := time.Now()
	run := Run(context.Background(), plan, Options{})
	if d := time.Since(start); d > 5*time.Second || run.Status != metrics.StoppedBySLA {
		t.Errorf("status %v after %v", run.Status, d)
	}
	if len(run.Cases) > 1 {
		if s := run.Cases[1].Stats.Series[0]; s.Count > 0 {
			t.Errorf("the second case ran %d requests after the SLA stop", s.Count)
		}
	}
}
