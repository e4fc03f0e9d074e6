package runner

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// seamOutput keeps what the runner hands an output, copied, as an output
// that keeps seconds must.
type seamOutput struct {
	output.EndFunc
	mu      sync.Mutex
	starts  []output.Start
	seconds map[string][]output.Second
	hists   map[string][][]int64 // per second, each series' sample count in its histogram
}

func (o *seamOutput) Start(s *output.Start) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.starts = append(o.starts, *s)
}

func (o *seamOutput) Second(s *output.Second) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.starts) == 0 {
		panic("a second before the start")
	}
	c := *s
	c.Series = slices.Clone(s.Series)
	c.Hists, c.RequestsHist = nil, nil
	o.seconds[s.Case] = append(o.seconds[s.Case], c)
	var n []int64
	for i := range s.Hists {
		var sum int64
		for _, k := range s.Hists[i] {
			sum += k
		}
		n = append(n, sum)
	}
	o.hists[s.Case] = append(o.hists[s.Case], n)
}

// The output seam: an output gets the run's start, then every second of
// every case, per series, in order, each once: while the load runs, then
// (Final) the seconds harvested after its end. They are exactly the
// finished run's seconds, and each lends its histograms.
func TestOutputSeam(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: seam
parallel: true
transactions:
  both:
    - http: {name: ok, url: "${base}/ok"}
    - http: {name: bad, url: "${base}/status/500"}
cases:
  - name: a
    steps: [{transaction: both}, {think: 20ms}]
    stages: [{concurrency: 2, duration: 1500ms}]
  - name: b
    steps: [{http: {name: get, url: "${base}/ok"}}, {think: 20ms}]
    stages: [{name: only, concurrency: 1, duration: 1200ms}]
`, tg.URL, nil)
	out := &seamOutput{seconds: map[string][]output.Second{}, hists: map[string][][]int64{}}
	run := Run(context.Background(), plan, Options{Output: out})
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	if len(out.starts) != 1 || out.starts[0].RunID != run.ID || !out.starts[0].Time.Equal(run.Start) || out.starts[0].Plan != plan {
		t.Errorf("starts %+v", out.starts)
	}
	if run.Verdict.State != metrics.VerdictPassed || len(run.Verdict.Cases) != 2 {
		t.Errorf("verdict %+v", run.Verdict)
	}
	for _, c := range run.Cases {
		cs := c.Stats
		got := out.seconds[cs.Name]
		if len(got) != len(cs.Requests.Seconds) || len(got) < 2 {
			t.Fatalf("case %s: %d seconds handed on, %d kept", cs.Name, len(got), len(cs.Requests.Seconds))
		}
		final := false
		for k, s := range got {
			if s.Index != k || !s.Time.Equal(cs.Start.Add(time.Duration(k)*time.Second)) || s.Case != cs.Name {
				t.Errorf("case %s: second %d is %d at %v", cs.Name, k, s.Index, s.Time)
			}
			if final && !s.Final {
				t.Errorf("case %s: second %d harvested during the load after one harvested at its end", cs.Name, k)
			}
			final = s.Final
			if s.Requests != cs.Requests.Seconds[k] || len(s.Series) != len(cs.Series) {
				t.Errorf("case %s second %d: requests %+v, kept %+v", cs.Name, k, s.Requests, cs.Requests.Seconds[k])
			}
			for i, st := range cs.Series {
				if s.Series[i] != st.Seconds[k] || s.Info[i].Name != st.Name || out.hists[cs.Name][k][i] != int64(st.Seconds[k].Count) {
					t.Errorf("case %s second %d, %s: %+v (histogram of %d), kept %+v", cs.Name, k, st.Name, s.Series[i], out.hists[cs.Name][k][i], st.Seconds[k])
				}
			}
			if p := s.Progress; p.Stages != 1 || p.StageIndex != 1 || p.Duration != plan.Cases[0].Stages[0].Duration && p.Duration != plan.Cases[1].Stages[0].Duration {
				t.Errorf("case %s second %d: progress %+v", cs.Name, k, p)
			}
		}
		if !final {
			t.Errorf("case %s: its last second was not harvested at its end", cs.Name)
		}
	}
}

// A control client is told whether a stage's target is a rate, rather
// than guessing it from the mode's name.
func TestControlStatusSaysRate(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: rate
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}]
    stages: [{surge_tps: {min: 1, max: 5, loops: 1, hold: 1s}, duration: 3s}, {concurrency: 1, duration: 1s, manual: true}]
`, tg.URL, nil)
	cr := newCaseRun(plan.Cases[0], &Options{}, 1)
	for i, want := range []bool{true, false} {
		st := plan.Cases[0].Stages[i]
		cr.beginStage(stageLabel(st), stageMode(st), st.Manual, st.IsRate())
		if got := cr.status(); got.Rate != want || got.Mode != []string{"surge_tps", "concurrency"}[i] {
			t.Errorf("stage %d: status %+v, want rate %v", i, got, want)
		}
	}
}
