package runner

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// sec is one second of a series: n samples, ok of them successful and the
// others failed checks, each taking rt.
func sec(n, ok int64, rt time.Duration) metrics.Second {
	s := metrics.Second{Count: uint32(n), RTSum: time.Duration(n) * rt}
	s.Outcomes[metrics.Success] = uint32(ok)
	s.Outcomes[metrics.CheckFailed] = uint32(n - ok)
	return s
}

// add adds a second of requests and one of passes to w.
func add(w *window, req, pass metrics.Second) {
	var r, p metrics.Counts
	r.Add(&req)
	p.Add(&pass)
	w.Add(&r, &p)
}

// windowValue is a metric of the table on a window.
func windowValue(metric string, w *window) (float64, bool) {
	m := metrics.KPIs.Lookup(metric)
	if m == nil {
		return 0, false
	}
	return m.OnWindow(w)
}

func kpi(t *testing.T, src string) *scenario.KPICheck {
	t.Helper()
	k, err := scenario.ParseKPI(src)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

func TestWindowValue(t *testing.T) {
	// Two seconds of requests and passes.
	a := metrics.Second{Count: 10, RTSum: 1000 * time.Millisecond, Sent: 1000, Recv: 5000}
	a.Outcomes = [metrics.NumOutcomes]uint32{metrics.Success: 7, metrics.CheckFailed: 1, metrics.Timeout: 1, metrics.Other: 1}
	b := metrics.Second{Count: 10, RTSum: 3000 * time.Millisecond, Sent: 3000, Recv: 7000}
	b.Outcomes = [metrics.NumOutcomes]uint32{metrics.Success: 8, metrics.ParseFailed: 1, metrics.Refused: 1}
	var w window
	add(&w, a, sec(3, 3, time.Second))
	add(&w, b, sec(2, 1, time.Second))

	var idle window // two seconds in which nothing completed
	add(&idle, metrics.Second{}, metrics.Second{})
	add(&idle, metrics.Second{}, metrics.Second{})

	cases := []struct {
		metric   string
		want     float64
		idleOK   bool    // judged on a window where nothing completed
		idleWant float64 // and its value there
	}{
		{"avg_rt", 200, false, 0},
		{"success_rate", 75, false, 0},
		{"error_rate", 25, false, 0},
		{"avg_sent_bytes", 200, false, 0},
		{"avg_recv_bytes", 600, false, 0},
		{"requests", 20, true, 0},
		{"errors", 5, true, 0},
		{"failed_assert", 1, true, 0},
		{"failed_parsed", 1, true, 0},
		{"failed_refused", 1, true, 0},
		{"failed_timeout", 1, true, 0},
		{"failed_others", 1, true, 0},
		{"transactions", 5, true, 0},
		{"rps", 10, true, 0},
		{"tps", 2.5, true, 0},
	}
	for _, c := range cases {
		got, ok := windowValue(c.metric, &w)
		if !ok || !near(got, c.want) {
			t.Errorf("%s = %v, %v; want %v", c.metric, got, ok, c.want)
		}
		got, ok = windowValue(c.metric, &idle)
		if ok != c.idleOK || got != c.idleWant {
			t.Errorf("%s on an idle window = %v, %v; want %v, %v", c.metric, got, ok, c.idleWant, c.idleOK)
		}
		if _, ok := windowValue(c.metric, &window{}); ok {
			t.Errorf("%s judged on a window of no seconds", c.metric)
		}
	}
	for _, m := range []string{"min_rt", "max_rt", "tp50", "tp99", "tp99.99", "max_recv_bytes", "max_sent_bytes", "tp42", ""} {
		if v, ok := windowValue(m, &w); ok {
			t.Errorf("%s = %v judged on a window", m, v)
		}
	}
}

// slaRun feeds per-second series to an slaWatch, second i at t0+i+100ms,
// and returns the index of each observe that triggered, with its
// triggers.
func slaRun(sw *slaWatch, seconds [][]metrics.Second) (at []int, trig []metrics.SLATrigger, stopAt int) {
	t0 := time.Unix(1000, 0)
	stopAt = -1
	for i, ps := range seconds {
		tr, stop := sw.observe(t0.Add(time.Duration(i)*time.Second+100*time.Millisecond), ps)
		for range tr {
			at = append(at, i)
		}
		trig = append(trig, tr...)
		if stop && stopAt < 0 {
			stopAt = i
		}
	}
	return at, trig, stopAt
}

// oneReq lays out seconds of a case with one request series and no
// transaction: each second has 10 requests of rt[i] and 2 passes.
func oneReq(rts ...time.Duration) [][]metrics.Second {
	var out [][]metrics.Second
	for _, rt := range rts {
		if rt < 0 { // nothing completed
			out = append(out, []metrics.Second{{}, {}})
			continue
		}
		out = append(out, []metrics.Second{sec(10, 10, rt), sec(2, 2, 0)})
	}
	return out
}

func repeat[T any](n int, x T) []T { return slices.Repeat([]T{x}, n) }

func TestSLAWindowAlignment(t *testing.T) {
	ms := time.Millisecond
	rule := &scenario.SLARule{Name: "latency", KPI: kpi(t, "avg_rt < 300ms"), Window: 6 * time.Second, Breaches: 1}
	// Seconds 3-8 are slow: a sliding window over them would miss, but the
	// windows are 0-5 and 6-11, each averaging 275 ms.
	rts := slices.Concat(repeat(3, 50*ms), repeat(6, 500*ms), repeat(3, 50*ms))
	if at, _, _ := slaRun(newSLAWatch([]*scenario.SLARule{rule}, []string{"a"}), oneReq(rts...)); len(at) != 0 {
		t.Errorf("triggered at %v; windows aligned to the case's start hold", at)
	}
	// Windows 0-5 and 6-11 slow: judged when each completes, at seconds 5
	// and 11, never on a partial window (12-13).
	rts = slices.Concat(repeat(12, 500*ms), repeat(2, 900*ms))
	at, trig, stopAt := slaRun(newSLAWatch([]*scenario.SLARule{rule}, []string{"a"}), oneReq(rts...))
	if !slices.Equal(at, []int{5, 11}) || stopAt >= 0 {
		t.Fatalf("triggered at %v, stop at %d; want [5 11], no stop", at, stopAt)
	}
	want := metrics.SLATrigger{Time: time.Unix(1005, 0).Add(100 * ms), Rule: "latency", KPI: "avg_rt < 300ms", Observed: 500}
	if tr := trig[0]; !tr.Time.Equal(want.Time) || tr.Rule != want.Rule || tr.KPI != want.KPI || tr.Observed != want.Observed || tr.Requests != nil || tr.Stopped {
		t.Errorf("trigger %+v, want %+v", tr, want)
	}
	// A window rounds to whole seconds, at least one.
	for _, c := range []struct {
		d    time.Duration
		want int
	}{{2500 * ms, 3}, {2400 * ms, 2}, {400 * ms, 1}, {0, 1}, {6 * time.Second, 6}} {
		if got := windowSeconds(c.d); got != c.want {
			t.Errorf("windowSeconds(%v) = %d, want %d", c.d, got, c.want)
		}
	}
	r3 := &scenario.SLARule{KPI: kpi(t, "avg_rt < 300ms"), Window: 2500 * ms, Breaches: 1}
	if at, _, _ := slaRun(newSLAWatch([]*scenario.SLARule{r3}, []string{"a"}), oneReq(repeat(7, 500*ms)...)); !slices.Equal(at, []int{2, 5}) {
		t.Errorf("2.5s windows triggered at %v, want [2 5]", at)
	}
}

func TestSLABreachesInARow(t *testing.T) {
	const ok, bad, none = 10 * time.Millisecond, 900 * time.Millisecond, -1
	rule := &scenario.SLARule{Name: "r", KPI: kpi(t, "avg_rt < 100ms"), Window: time.Second, Breaches: 3}
	cases := []struct {
		name string
		rts  []time.Duration
		want []int
	}{
		{"two, a hold, two", []time.Duration{bad, bad, ok, bad, bad}, nil},
		{"three in a row", []time.Duration{bad, bad, ok, bad, bad, bad}, []int{5}},
		// After a trigger the streak starts again: it takes three more.
		{"again after three more", []time.Duration{bad, bad, bad, bad, bad, bad, bad}, []int{2, 5}},
		{"reset by a hold after a trigger", []time.Duration{bad, bad, bad, bad, ok, bad, bad}, []int{2}},
		// A window where nothing completed neither breaks nor extends.
		{"empty windows in the streak", []time.Duration{bad, none, bad, none, none, bad}, []int{5}},
		{"only empty windows", []time.Duration{none, none, none, none}, nil},
	}
	for _, c := range cases {
		at, _, _ := slaRun(newSLAWatch([]*scenario.SLARule{rule}, []string{"a"}), oneReq(c.rts...))
		if !slices.Equal(at, c.want) {
			t.Errorf("%s: triggered at %v, want %v", c.name, at, c.want)
		}
	}
}

func TestSLARequestsFilter(t *testing.T) {
	// Requests a (always failing) and b (always fine), a transaction, and
	// 5 passes a second.
	seconds := repeat(4, []metrics.Second{sec(10, 0, time.Millisecond), sec(30, 30, time.Millisecond), sec(5, 5, 0), sec(5, 5, 0)})
	names := []string{"a", "b"}
	rule := func(reqs ...string) *scenario.SLARule {
		return &scenario.SLARule{Name: "ok", KPI: kpi(t, "success_rate >= 80"), Window: 2 * time.Second, Breaches: 1, Requests: reqs}
	}
	for _, c := range []struct {
		reqs []string
		want []float64 // observed values of the triggers
	}{
		{nil, []float64{75, 75}}, // every request: 30 of 40
		{[]string{"b"}, nil},     // 100%
		{[]string{"a"}, []float64{0, 0}},
		{[]string{"a", "b"}, []float64{75, 75}},
		{[]string{"b", "b"}, nil}, // a name twice counts once
	} {
		_, trig, _ := slaRun(newSLAWatch([]*scenario.SLARule{rule(c.reqs...)}, names), seconds)
		want := c.want
		var got []float64
		for _, tr := range trig {
			got = append(got, tr.Observed)
			if !slices.Equal(tr.Requests, c.reqs) {
				t.Errorf("requests %v: trigger names %v", c.reqs, tr.Requests)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("requests %v: observed %v, want %v", c.reqs, got, want)
		}
	}
	// tps counts the case's passes whatever the requests.
	tps := &scenario.SLARule{KPI: kpi(t, "tps >= 6"), Window: 2 * time.Second, Breaches: 1, Requests: []string{"a"}}
	if _, trig, _ := slaRun(newSLAWatch([]*scenario.SLARule{tps}, names), seconds); len(trig) != 2 || trig[0].Observed != 5 {
		t.Errorf("tps triggers %+v, want two at 5/s", trig)
	}
}

func TestSLAFlagVsStop(t *testing.T) {
	flag := &scenario.SLARule{Name: "flag", KPI: kpi(t, "avg_rt < 100ms"), Window: time.Second, Breaches: 1}
	stop := &scenario.SLARule{Name: "stop", KPI: kpi(t, "avg_rt < 100ms"), Window: time.Second, Breaches: 2, Stop: true}
	rts := repeat(5, 500*time.Millisecond)

	at, trig, stopAt := slaRun(newSLAWatch([]*scenario.SLARule{flag}, []string{"a"}), oneReq(rts...))
	if !slices.Equal(at, []int{0, 1, 2, 3, 4}) || stopAt >= 0 || trig[0].Stopped {
		t.Errorf("flag: triggered at %v, stop at %d", at, stopAt)
	}

	at, trig, stopAt = slaRun(newSLAWatch([]*scenario.SLARule{flag, stop}, []string{"a"}), oneReq(rts...))
	// The stop rule triggers on its 2nd miss; nothing is judged after.
	if !slices.Equal(at, []int{0, 1, 1}) || stopAt != 1 {
		t.Fatalf("flag and stop: triggered at %v, stop at %d; want [0 1 1], 1", at, stopAt)
	}
	if trig[1].Rule != "flag" || trig[1].Stopped || trig[2].Rule != "stop" || !trig[2].Stopped {
		t.Errorf("triggers %+v", trig)
	}
}

func TestSLAEmptyWindows(t *testing.T) {
	empty := oneReq(repeat(18, time.Duration(-1))...)
	for _, src := range []string{"success_rate >= 99", "error_rate < 1", "avg_rt < 100ms", "avg_recv_bytes < 10"} {
		r := &scenario.SLARule{KPI: kpi(t, src), Window: 6 * time.Second, Breaches: 1}
		if at, _, _ := slaRun(newSLAWatch([]*scenario.SLARule{r}, []string{"a"}), empty); len(at) != 0 {
			t.Errorf("%s: windows without requests triggered at %v", src, at)
		}
	}
	// Counts and rates per second are judged on empty windows.
	for _, src := range []string{"rps >= 10", "requests > 0", "tps > 0"} {
		r := &scenario.SLARule{KPI: kpi(t, src), Window: 6 * time.Second, Breaches: 1}
		if at, trig, _ := slaRun(newSLAWatch([]*scenario.SLARule{r}, []string{"a"}), empty); !slices.Equal(at, []int{5, 11, 17}) || trig[0].Observed != 0 {
			t.Errorf("%s: empty windows triggered at %v, want [5 11 17]", src, at)
		}
	}
	// No rules, no requests: nothing happens.
	if at, _, _ := slaRun(newSLAWatch(nil, nil), repeat(3, []metrics.Second{{}})); len(at) != 0 {
		t.Error("no rules triggered")
	}
}

func TestPeakWatch(t *testing.T) {
	t0 := time.Unix(2000, 0)
	// VUs climb by 2 a second from 10; avg RT goes from 100 ms to 500 ms at
	// second 14. A 6 s window holding one slow second averages 166.7 ms,
	// two 233.3: the first failing window is seconds 10-15.
	p := newPeakWatch([]*scenario.KPICheck{kpi(t, "success_rate >= 99"), kpi(t, "avg_rt < 200ms")}, 2)
	var peak *metrics.Peak
	found := -1
	for i := range 30 {
		rt := 100 * time.Millisecond
		if i >= 14 {
			rt = 500 * time.Millisecond
		}
		ps := []metrics.Second{sec(60, 60, rt), sec(40, 40, rt), sec(20, 20, 0)}
		got := p.observe(t0.Add(time.Duration(i)*time.Second), 10+2*i, ps)
		if got != nil {
			if peak != nil {
				t.Fatalf("second %d: the peak was reported again", i)
			}
			peak, found = got, i
		}
	}
	if peak == nil {
		t.Fatal("no peak")
	}
	if found != 15 || !peak.Time.Equal(t0.Add(10*time.Second)) || peak.VUs != 30 {
		t.Errorf("peak at second %d, time %v, %d VUs; want second 15, time +10s, 30 VUs", found, peak.Time.Sub(t0), peak.VUs)
	}
	if peak.RPS != 100 || peak.TPS != 20 || !near(peak.AvgRT, 1400.0/6) || peak.SuccessRate != 100 {
		t.Errorf("peak %+v", peak)
	}
	if peak.Reason != "avg_rt < 200ms (observed 233.3 ms)" {
		t.Errorf("reason %q", peak.Reason)
	}

	// Failing from the start: judged only once 6 seconds are in.
	p = newPeakWatch([]*scenario.KPICheck{kpi(t, "success_rate >= 99")}, 1)
	for i := range 8 {
		got := p.observe(t0.Add(time.Duration(i)*time.Second), 5, []metrics.Second{sec(10, 5, 0), sec(1, 1, 0)})
		if (got != nil) != (i == 5) {
			t.Fatalf("second %d: peak %+v", i, got)
		}
		if got != nil && (!got.Time.Equal(t0) || got.Reason != "success_rate >= 99 (observed 50%)") {
			t.Errorf("peak %+v", got)
		}
	}

	// Nothing completing is not a miss (timeouts will be).
	p = newPeakWatch([]*scenario.KPICheck{kpi(t, "avg_rt < 200ms")}, 1)
	for i := range 10 {
		if got := p.observe(t0.Add(time.Duration(i)*time.Second), 5, []metrics.Second{{}, {}}); got != nil {
			t.Fatalf("second %d: peak on idle seconds %+v", i, got)
		}
	}
}

// stepData is a step of 10 seconds at rps requests a second, success
// percent of them successful, of rt each.
func stepData(rps, success int64, rt time.Duration) *window {
	var w window
	for range 10 {
		add(&w, sec(rps, rps*success/100, rt), sec(rps/10, rps/10, 0))
	}
	return &w
}

func TestStepWatch(t *testing.T) {
	t0 := time.Unix(3000, 0)
	ms := time.Millisecond
	run := func(kpis []*scenario.KPICheck, data ...*window) []metrics.ProbeStep {
		s := newStepWatch(kpis, 1)
		var steps []metrics.ProbeStep
		for i, w := range data {
			start := t0.Add(time.Duration(i) * 10 * time.Second)
			steps = append(steps, s.observeStep(start, start.Add(10*time.Second), 10*(i+1), w))
		}
		return steps
	}
	goods := func(steps []metrics.ProbeStep) []bool {
		var g []bool
		for _, s := range steps {
			g = append(g, s.Good)
		}
		return g
	}
	kpis := []*scenario.KPICheck{kpi(t, "avg_rt < 500ms"), kpi(t, "success_rate >= 99")}

	// The rate stops rising: 292 is 0.7% over 290.
	steps := run(kpis, stepData(100, 100, 50*ms), stepData(200, 100, 60*ms), stepData(290, 100, 80*ms), stepData(292, 100, 90*ms))
	if !slices.Equal(goods(steps), []bool{true, true, true, false}) {
		t.Fatalf("good %v", goods(steps))
	}
	if r := steps[3].Reason; !strings.Contains(r, "stopped rising") || !strings.Contains(r, "292/s") || !strings.Contains(r, "290/s") {
		t.Errorf("knee reason %q", r)
	}
	if steps[2].Reason != "" || steps[2].RPS != 290 || steps[2].AvgRT != 80 || steps[2].SuccessRate != 100 || steps[2].VUs != 30 {
		t.Errorf("step 3 %+v", steps[2])
	}
	peak := stepPeak(steps)
	if peak == nil || peak.VUs != 30 || peak.RPS != 290 || !peak.Time.Equal(t0.Add(20*time.Second)) || peak.Reason != steps[3].Reason {
		t.Errorf("peak %+v", peak)
	}

	// The success rate drops while the rate still rises.
	steps = run(kpis, stepData(100, 100, 50*ms), stepData(200, 100, 60*ms), stepData(300, 95, 80*ms))
	if !slices.Equal(goods(steps), []bool{true, true, false}) || steps[2].Reason != "success_rate >= 99 (observed 95%)" {
		t.Fatalf("good %v, reason %q", goods(steps), steps[2].Reason)
	}
	if peak := stepPeak(steps); peak == nil || peak.VUs != 20 || peak.RPS != 200 {
		t.Errorf("peak %+v", peak)
	}

	// A step is compared with the last good one, and the peak is the last
	// good step before the first that is not.
	steps = run(kpis, stepData(100, 100, 50*ms), stepData(200, 90, 60*ms), stepData(202, 100, 60*ms), stepData(300, 100, 60*ms))
	if !slices.Equal(goods(steps), []bool{true, false, true, true}) {
		t.Errorf("good %v", goods(steps))
	}
	if peak := stepPeak(steps); peak == nil || peak.VUs != 10 {
		t.Errorf("peak %+v", peak)
	}

	// Every step good: no peak. The first bad: none either.
	if p := stepPeak(run(kpis, stepData(100, 100, ms), stepData(200, 100, ms))); p != nil {
		t.Errorf("peak %+v with every step good", p)
	}
	if p := stepPeak(run(kpis, stepData(100, 50, ms), stepData(200, 100, ms))); p != nil {
		t.Errorf("peak %+v with the first step bad", p)
	}
	// A step where nothing completed is not good.
	if steps := run(kpis, &window{Seconds: 10}); steps[0].Good || steps[0].Reason != "no request completed" {
		t.Errorf("idle step %+v", steps[0])
	}
	if steps := run([]*scenario.KPICheck{kpi(t, "rps >= 0")}, &window{Seconds: 10}); steps[0].Good {
		t.Errorf("idle step %+v", steps[0])
	}
}

func TestStepWatchFirstSecond(t *testing.T) {
	t0 := time.Unix(3000, 0)
	s := newStepWatch([]*scenario.KPICheck{kpi(t, "avg_rt < 500ms")}, 1)
	// A 5 s step: the first second (the ramp transient) is left out.
	s.observe([]metrics.Second{sec(10, 10, 900*time.Millisecond), {}})
	for range 4 {
		s.observe([]metrics.Second{sec(100, 100, 100*time.Millisecond), sec(10, 10, 0)})
	}
	st := s.endStep(t0, t0.Add(5*time.Second), 10)
	if !st.Good || st.RPS != 100 || st.AvgRT != 100 {
		t.Errorf("step %+v; want 100/s at 100 ms", st)
	}
	// A 2 s step keeps both seconds.
	s.observe([]metrics.Second{sec(150, 150, 100*time.Millisecond), {}})
	s.observe([]metrics.Second{sec(250, 250, 100*time.Millisecond), {}})
	st = s.endStep(t0.Add(5*time.Second), t0.Add(7*time.Second), 20)
	if !st.Good || st.RPS != 200 {
		t.Errorf("short step %+v; want 200/s", st)
	}
	// The next step starts afresh.
	for range 3 {
		s.observe([]metrics.Second{sec(300, 300, 100*time.Millisecond), {}})
	}
	if st = s.endStep(t0.Add(7*time.Second), t0.Add(10*time.Second), 30); !st.Good || st.RPS != 300 {
		t.Errorf("third step %+v; want 300/s", st)
	}
}
