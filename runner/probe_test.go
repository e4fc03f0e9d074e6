package runner

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/mem"
)

// Peak probing ramps VUs up and reports the first second of the first
// 6 s window whose KPI missed. The target answers in 0.7 ms until a
// fifth VU reaches it (at 2.5 s, as the shape from 2 to 8 VUs over 6 s
// rounds), and in 150 ms from then on. The windows that still hold the
// fast half second pass; the first all slow is seconds 3 to 8, judged at
// 9.1 s: the peak is second 3, at 5 VUs, and stop_at_peak ends the 14 s
// stage then.
func TestPeakProbeFindsTheKnee(t *testing.T) {
	plan := compile(t, `
name: peak
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/?vu=${__VU}"}}]
    stages:
      - {peak_probe: {start: 2, max: 8, ramp_up: 6s, kpis: [avg_rt < 50ms], stop_at_peak: true}, duration: 14s}
`, "http://mem", nil)
	var crowded atomic.Bool
	run, _ := fakeRun(t, plan, Options{}, func(r *mem.Request) mem.Reply {
		if strings.HasSuffix(r.Target, "vu=5") {
			crowded.Store(true)
		}
		if crowded.Load() {
			return mem.Reply{Status: 200, Latency: ms(150)}
		}
		return mem.Reply{Status: 200, Latency: ms(0.7)}
	})
	c := run.Cases[0]
	p := c.Peak
	if p == nil {
		t.Fatalf("no peak found; stages %+v", c.Stages)
	}
	if p.VUs != 5 || at(p.Time) != 3*time.Second || p.AvgRT != 150 || p.Stage != "peak_probe" || !strings.Contains(p.Reason, "avg_rt < 50ms") {
		t.Errorf("peak %+v, want second 3, 5 VUs, avg_rt 150 ms", *p)
	}
	if end := at(c.Stages[0].End); end < ms(9100) || end > ms(9120) {
		t.Errorf("stop_at_peak ended the 14 s stage at %v, want at the reading after 9.1s", end)
	}
}

// Step probing adds VUs step by step and judges each step on its own.
// The target serves 4 requests at a time, each for 40 ms, queues up to 6
// more and turns away (503) any beyond: its knee is 10 requests in
// flight. A pass is a request then 10 ms of thinking (waited after a 503
// too). The steps are 1, 9 and 17 VUs:
//   - 9 VUs never have more than 9 requests at the target, so none is
//     turned away, and they keep its 4 workers busy: at least 3 times the
//     rate of 1 VU, as step_probe asks of 8 more VUs;
//   - 17 VUs are turned away whenever 11 are at the target, far more
//     than 1% of the time, and the rate of answers cannot rise.
func TestStepProbeFindsTheKnee(t *testing.T) {
	plan := compile(t, `
name: steps
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}, {think: 10ms}]
    stages:
      - {step_probe: {start: 1, max: 17, step_size: 8, step_duration: 1s, kpis: [success_rate >= 99]}, duration: 4s}
`, "http://mem", nil)
	var run *metrics.Run
	synctest.Test(t, func(t *testing.T) {
		var atTarget atomic.Int64
		workers := make(chan struct{}, 4)
		knee := func(*mem.Request) mem.Reply {
			defer atTarget.Add(-1)
			if atTarget.Add(1) > 10 {
				return mem.Reply{Status: 503}
			}
			workers <- struct{}{}
			time.Sleep(ms(40))
			<-workers
			return mem.Reply{Status: 200}
		}
		run = Run(context.Background(), plan, Options{Drivers: memHTTP(knee)})
	})
	c := run.Cases[0]
	for _, s := range c.Steps {
		t.Logf("step %d VUs: %.0f req/s, %.1f%% success, good %v %s", s.VUs, s.RPS, s.SuccessRate, s.Good, s.Reason)
	}
	if len(c.Steps) != 3 || c.Steps[0].VUs != 1 || c.Steps[1].VUs != 9 || c.Steps[2].VUs != 17 {
		t.Fatalf("%d steps judged, want 3: 1, 9 and 17 VUs (from 2 s to the end)", len(c.Steps))
	}
	if !c.Steps[0].Good || !c.Steps[1].Good || c.Steps[0].SuccessRate != 100 || c.Steps[1].SuccessRate != 100 {
		t.Errorf("want the steps of 1 and 9 VUs good, with every request answered")
	}
	if c.Steps[2].Good || c.Steps[2].SuccessRate >= 99 {
		t.Errorf("the step of 17 VUs is past the knee, yet good")
	}
	if c.Peak == nil || c.Peak.VUs != 9 {
		t.Errorf("peak %+v, want the 9-VU step", c.Peak)
	}
}

// SLA rules judge windows while the run goes on: a flag rule records its
// triggers and fails the verdict; a stop rule ends the run. Every request
// takes 31 ms, over the 10 ms the rules allow: the flag rule triggers on
// each second harvested (at 1.1 s and 2.1 s), the stop rule on the
// second, and the run stops at the scheduler's next reading.
func TestSLARules(t *testing.T) {
	plan := compile(t, `
name: sla
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{concurrency: 2, duration: 10s}]
    sla:
      - {name: watch, kpi: avg_rt < 10ms, window: 1s, breaches: 1, action: flag}
      - {name: guard, kpi: avg_rt < 10ms, window: 1s, breaches: 2, action: stop}
`, "http://mem", nil)
	run, took := fakeRun(t, plan, Options{}, answer(ms(31)))
	c := run.Cases[0]
	if run.Status != metrics.StoppedBySLA || run.Passed() || run.Reason != "SLA rule guard stopped the run" {
		t.Errorf("status %v (%s), passed %v", run.Status, run.Reason, run.Passed())
	}
	if took < ms(2100) || took > ms(2151) {
		t.Errorf("the stop rule ended the 10 s run at %v, want just after 2.1s", took)
	}
	var got []string
	for _, tr := range c.SLA {
		got = append(got, tr.Rule+"@"+at(tr.Time).String())
		if tr.Observed != 31 || tr.Stopped != (tr.Rule == "guard") {
			t.Errorf("trigger %+v, want avg_rt 31 ms", tr)
		}
	}
	if want := "watch@1s watch@2s guard@2s"; strings.Join(got, " ") != want {
		t.Errorf("triggers %v, want %s", got, want)
	}
}

// An SLA rule that stops one case stops the run: the next case does not
// run its stages.
func TestSLAStopEndsTheRun(t *testing.T) {
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
`, "http://mem", nil)
	run, took := fakeRun(t, plan, Options{}, answer(ms(31)))
	if run.Status != metrics.StoppedBySLA || took > ms(1151) {
		t.Errorf("status %v after %v", run.Status, took)
	}
	if len(run.Cases) != 1 {
		t.Errorf("%d cases ran, want the first only", len(run.Cases))
	}
}
