package runner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/protocols/mem"
	"github.com/perfcase/perfcase/scenario"
)

// vuSeconds is an output that keeps each second's VU count.
type vuSeconds struct {
	mu  sync.Mutex
	vus map[int]int
}

func (o *vuSeconds) Start(*output.Start) {}
func (o *vuSeconds) Second(s *output.Second) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.vus == nil {
		o.vus = map[int]int{}
	}
	o.vus[s.Index] = s.VUs
}
func (o *vuSeconds) End(*output.Finished) error { return nil }

// splitRuns runs plan whole and in n parts at once on one fake clock, every
// request answered in 1 ms and logged per part (the whole run's log is
// last), and returns the runs and their per-second VU counts.
func splitRuns(t *testing.T, plan *scenario.Plan, n int, opts Options) ([]*metrics.Run, []*reqLog, []*vuSeconds) {
	t.Helper()
	runs, logs, outs := make([]*metrics.Run, n+1), make([]*reqLog, n+1), make([]*vuSeconds, n+1)
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range n + 1 {
			logs[i], outs[i] = &reqLog{}, &vuSeconds{}
			o := opts
			if i < n {
				o.Segment = scenario.Segment{Index: i, Count: n}
			}
			o.Drivers, o.Output = memHTTP(logs[i].handler(answer(ms(1)))), outs[i]
			wg.Go(func() { runs[i] = Run(context.Background(), plan, o) })
		}
		wg.Wait()
	})
	return runs, logs, outs
}

// Striping is exact: for every n, the parts' shares of n sum to n, differ
// by at most one, and the part's items numbered by Global are the whole
// run's, each once.
func TestSegmentShare(t *testing.T) {
	for parts := 1; parts <= 7; parts++ {
		for n := int64(0); n <= 50; n++ {
			var sum, lo, hi int64 = 0, math.MaxInt64, 0
			seen := map[int64]int{}
			for i := range parts {
				s := scenario.Segment{Index: i, Count: parts}
				k := s.Share(n)
				sum, lo, hi = sum+k, min(lo, k), max(hi, k)
				for j := range k {
					seen[s.Global(j)]++
				}
			}
			if sum != n || hi-lo > 1 {
				t.Fatalf("%d parts of %d: shares sum to %d, spread %d", parts, n, sum, hi-lo)
			}
			for j := range n {
				if seen[j] != 1 {
					t.Fatalf("%d parts of %d: item %d taken %d times", parts, n, j, seen[j])
				}
			}
		}
	}
}

// A VU ramp 0→10 over 3 s split in 3 parts: at every millisecond the
// parts' planned VUs sum exactly to the whole shape's, each within one of
// a third; run on one fake clock, the parts' VUs each second sum exactly
// to the whole run's, and their VUs are the whole run's VUs 1 to 10 (by
// __VU), each in exactly one part.
func TestSegmentVURamp(t *testing.T) {
	plan := compile(t, `
name: ramp
cases:
  - name: c
    steps:
      - http: {name: get, url: "${base}/vu/${__VU}"}
      - think: 100ms
    stages: [{concurrency: 10, start_vus: 0, ramp_up: 3s, duration: 5s}]
`, "http://mem", nil)
	st := plan.Cases[0].Stages[0]
	for t0 := time.Duration(0); t0 <= st.Duration; t0 += time.Millisecond {
		whole := int64(math.Round(st.Target(t0)))
		var sum int64
		for i := range 3 {
			k := scenario.Segment{Index: i, Count: 3}.Share(whole)
			if d := float64(k) - float64(whole)/3; d <= -1 || d >= 1 {
				t.Fatalf("at %v part %d runs %d VUs of %d", t0, i, k, whole)
			}
			sum += k
		}
		if sum != whole {
			t.Fatalf("at %v the parts run %d VUs, the whole %d", t0, sum, whole)
		}
	}
	runs, logs, outs := splitRuns(t, plan, 3, Options{})
	whole := outs[3].vus
	if len(whole) < 5 || whole[0] > 1 || whole[1] < 3 || whole[4] != 10 {
		t.Fatalf("the whole run's VUs per second %v: want a ramp to 10", whole)
	}
	for sec, want := range whole {
		got := 0
		for i := range 3 {
			got += outs[i].vus[sec]
		}
		if got != want {
			t.Errorf("second %d: the parts ran %d VUs, the whole run %d", sec, got, want)
		}
	}
	owner := map[string]int{}
	for i := range 3 {
		if runs[i].Status != metrics.Completed {
			t.Fatalf("part %d: %v %s", i, runs[i].Status, runs[i].Reason)
		}
		for _, r := range logs[i].all() {
			vu := strings.TrimPrefix(r.target, "http://mem/vu/")
			if p, ok := owner[vu]; ok && p != i {
				t.Errorf("VU %s ran in parts %d and %d", vu, p, i)
			}
			owner[vu] = i
			if n, _ := strconv.Atoi(vu); (n-1)%3 != i {
				t.Errorf("VU %s ran in part %d, want part %d", vu, i, (n-1)%3)
			}
		}
	}
	if len(owner) != 10 {
		t.Errorf("the parts ran VUs %v, want 1 to 10", owner)
	}
}

// The parts' passes of a rate stage are the whole stage's, each once and
// at its own due time, whatever the shape; the passes due by any time sum
// to the whole's.
func TestSegmentPacerUnion(t *testing.T) {
	s, msec := time.Second, time.Millisecond
	for _, st := range []*scenario.Stage{
		{Mode: scenario.ModeTPS, StartTPS: 400, TPS: 400, Duration: 3 * s},
		{Mode: scenario.ModeTPS, StartTPS: 0, TPS: 300, RampUp: 2 * s, Duration: 4 * s},
		{Mode: scenario.ModeSurgeTPS, Min: 10, Max: 100, Hold: 2 * s, Loops: 2, Duration: 10 * s},
		{Mode: scenario.ModeOscillateTPS, Min: 5, Max: 80, Loops: 2, Duration: 8 * s},
		{Mode: scenario.ModeTPS, StartTPS: 400, TPS: 400, Count: 1001},
	} {
		whole := newPacer(st)
		end := st.Duration
		if st.Count > 0 {
			end = 3 * s
		}
		total := whole.dueBy(end)
		if st.Count > 0 {
			total = st.Count
		}
		want := make([]time.Duration, total)
		for k := range total {
			want[k] = whole.due(k + 1)
		}
		for _, n := range []int{2, 3, 4, 7} {
			var got []time.Duration
			for i := range n {
				seg := scenario.Segment{Index: i, Count: n}
				p := &pacer{st: st, seg: seg}
				r := newRateStage(st, seg, time.Time{}, 1, new(atomic.Int64))
				last := p.dueBy(end)
				if st.Count > 0 {
					last = r.count
				}
				if last != seg.Share(total) {
					t.Fatalf("%v in %d parts: part %d has %d passes, want %d", st.Mode, n, i, last, seg.Share(total))
				}
				for k := int64(1); k <= last; k++ {
					got = append(got, p.due(k))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%v in %d parts: the parts' due times are not the whole stage's (%d against %d)", st.Mode, n, len(got), len(want))
			}
			for t0 := time.Duration(0); t0 <= end; t0 += 7 * msec {
				var sum int64
				for i := range n {
					sum += (&pacer{st: st, seg: scenario.Segment{Index: i, Count: n}}).dueBy(t0)
				}
				if sum != whole.dueBy(t0) {
					t.Fatalf("%v in %d parts, at %v: %d passes due in the parts, %d in the whole", st.Mode, n, t0, sum, whole.dueBy(t0))
				}
			}
		}
	}
}

// Split in 4 parts on one fake clock, a 400/s stage starts exactly the
// whole run's passes: the parts' request times merged are the whole
// run's, to the microsecond.
func TestSegmentRateArrivals(t *testing.T) {
	plan := compile(t, `
name: rate
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{tps: 400, duration: 2s}]
`, "http://mem", nil)
	runs, logs, _ := splitRuns(t, plan, 4, Options{})
	var got []time.Duration
	for i := range 4 {
		got = append(got, logs[i].starts()...)
		if runs[i].Cases[0].Missed != 0 {
			t.Errorf("part %d missed %d starts", i, runs[i].Cases[0].Missed)
		}
	}
	slices.Sort(got)
	want := logs[4].starts()
	if len(want) != 800 || !sameTimes(got, want) {
		t.Errorf("the parts sent %d requests, the whole run %d: want the same 800 times", len(got), len(want))
	}
}

// Count mode, throughput total and percent are exact across 4 parts: a
// closed and an open count stage, each passes' share by its whole-run
// number.
func TestSegmentCountsExact(t *testing.T) {
	for _, stage := range []string{"{concurrency: 7, count: 1001}", "{tps: 500, count: 1001}"} {
		t.Run(stage, func(t *testing.T) {
			plan := compile(t, `
name: counts
cases:
  - name: c
    steps:
      - http: {name: every, url: "${base}/"}
      - throughput: {total: 37}
        steps: [{http: {name: total, url: "${base}/t"}}]
      - throughput: {percent: 30}
        steps: [{http: {name: percent, url: "${base}/p"}}]
    stages: [`+stage+`]
`, "http://mem", nil)
			runs, _, _ := splitRuns(t, plan, 4, Options{})
			sum := map[string]int64{}
			for i := range 4 {
				c := runs[i].Cases[0]
				for _, name := range []string{"every", "total", "percent"} {
					sum[name] += series(t, c, name).Count
				}
				if got, want := series(t, c, "every").Count, (scenario.Segment{Index: i, Count: 4}).Share(1001); got != want {
					t.Errorf("part %d sent %d passes, want its share %d", i, got, want)
				}
			}
			whole := runs[4].Cases[0]
			for name, want := range map[string]int64{"every": 1001, "total": 37, "percent": 300} {
				if sum[name] != want || series(t, whole, name).Count != want {
					t.Errorf("%s: the parts sent %d, the whole run %d, want %d", name, sum[name], series(t, whole, name).Count, want)
				}
			}
		})
	}
}

// A case-share file variable's rows are partitioned: 60 rows over 4
// parts, each row used exactly once across the parts, row r by part
// r mod 4; a VU-share read and a fixed weighted branch follow the whole
// run's VU number.
func TestSegmentRows(t *testing.T) {
	plan := compile(t, `
name: rows
variables:
  row: {type: file, path: rows.csv, on_end: stop}
  own: {type: file, path: rows.csv, share: vu}
cases:
  - name: c
    steps:
      - http: {name: rec, method: POST, url: "${base}/record", body: "${row.id}"}
      - weighted:
          mode: fixed
          branches:
            - {weight: 1, steps: [{http: {name: a, url: "${base}/w/a/${__VU}/${own.id}"}}]}
            - {weight: 2, steps: [{http: {name: b, url: "${base}/w/b/${__VU}/${own.id}"}}]}
    stages: [{concurrency: 6, duration: 30s}]
`, "http://mem", map[string]string{"rows.csv": rowsCSV(60)})
	runs, logs, _ := splitRuns(t, plan, 4, Options{})
	seen := map[string]int{}
	wholeBranch := map[string]string{}
	for _, r := range logs[4].all() {
		if p := strings.Split(r.target, "/"); len(p) > 6 && p[3] == "w" {
			wholeBranch[p[5]] = p[4]
		}
	}
	for i := range 4 {
		if runs[i].Status != metrics.Completed {
			t.Fatalf("part %d: %v %s", i, runs[i].Status, runs[i].Reason)
		}
		for r, n := range rowCounts(logs[i]) {
			seen[r] += n
			if k, _ := strconv.Atoi(strings.TrimPrefix(r, "r")); k%4 != i {
				t.Errorf("row %s went to part %d, want part %d", r, i, k%4)
			}
		}
		// Each VU reads its own rows from the first, in order.
		next := map[string]int{}
		for _, r := range logs[i].all() {
			p := strings.Split(r.target, "/")
			if len(p) <= 6 || p[3] != "w" {
				continue
			}
			vu, branch, own := p[5], p[4], p[6]
			if want, ok := wholeBranch[vu]; !ok || want != branch {
				t.Errorf("part %d: VU %s took branch %s; the whole run's VU %s took %q", i, vu, branch, vu, want)
			}
			if own != fmt.Sprintf("r%d", next[vu]) {
				t.Errorf("part %d: VU %s read its own row %s, want r%d", i, vu, own, next[vu])
			}
			next[vu]++
		}
	}
	for k := range 60 {
		if n := seen[fmt.Sprintf("r%d", k)]; n != 1 {
			t.Errorf("row r%d used %d times across the parts, want once", k, n)
		}
	}
	if len(seen) != 60 {
		t.Errorf("%d distinct rows used, want 60", len(seen))
	}
}

// --start-at: the cases' clock 0 is the instant asked for, which the
// parts share; a run that reaches it late starts at once and says how
// late; a Ctrl-C while waiting ends the run, interrupted, with no case
// run.
func TestSegmentStartAt(t *testing.T) {
	plan := compile(t, `
name: start
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{concurrency: 1, count: 1}]
`, "http://mem", nil)
	synctest.Test(t, func(t *testing.T) {
		var log reqLog
		var at time.Time
		late := time.Duration(-1)
		startAt := time.Now().Add(1500 * time.Millisecond)
		run := Run(context.Background(), plan, Options{StartAt: startAt, Drivers: memHTTP(log.handler(answer(ms(1)))),
			Started: func(a time.Time, l time.Duration) { at, late = a, l }})
		if !at.Equal(startAt) || late != 0 || run.Cases[0].Stats.Start != at || log.starts()[0] != at.Sub(epoch) {
			t.Errorf("started at %v, %v late, case clock 0 %v, first request %v: want all at %v", at, late, run.Cases[0].Stats.Start, log.starts(), startAt)
		}

		startAt = time.Now().Add(-250 * time.Millisecond)
		Run(context.Background(), plan, Options{StartAt: startAt, Drivers: memHTTP(answer(ms(1))),
			Started: func(a time.Time, l time.Duration) { at, late = a, l }})
		if late != 250*time.Millisecond {
			t.Errorf("a run 250ms late says %v", late)
		}

		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		began := time.Now()
		run = Run(ctx, plan, Options{StartAt: time.Now().Add(time.Hour), Drivers: memHTTP(answer(ms(1)))})
		if run.Status != metrics.Interrupted || len(run.Cases) != 0 || time.Since(began) != time.Second {
			t.Errorf("cancelled while waiting: status %v, %d cases, after %v", run.Status, len(run.Cases), time.Since(began))
		}
	})
}

// A part of a split run needs only its share of the VUs: 50,000 VUs that
// one machine of 20,000 files cannot hold fit in 4 parts there.
func TestCheckPart(t *testing.T) {
	plan := compile(t, `
name: m
cases:
  - name: c
    steps: [{http: "${base}/"}]
    stages: [{concurrency: 50000, duration: 1m}]
`, "http://127.0.0.1:9", nil)
	m := Machine{OpenFiles: 20_000, OpenFilesHard: 20_000}
	if errs := CheckPart(plan, scenario.Segment{}, m); len(errs) != 1 || !strings.Contains(errs[0].Msg, "50,000 VUs") {
		t.Errorf("whole: %v", errs)
	}
	if errs := CheckPart(plan, scenario.Segment{Index: 0, Count: 2}, m); len(errs) != 1 || !strings.Contains(errs[0].Msg, "25,000 VUs") {
		t.Errorf("half: %v", errs)
	}
	if errs := CheckPart(plan, scenario.Segment{Index: 0, Count: 4}, m); len(errs) != 0 {
		t.Errorf("a quarter: %v", errs)
	}
}

// A throughput ceiling split in 4: each part gets a quarter of the rate,
// its slots a whole-run interval after the part before, so the parts'
// starts of the block merged are the whole run's.
func TestSegmentThroughputRPS(t *testing.T) {
	plan := compile(t, `
name: rps
cases:
  - name: c
    steps:
      - throughput: {rps: 100}
        steps: [{http: {name: r, url: "${base}/r"}}]
    stages: [{concurrency: 8, duration: 1s}]
`, "http://mem", nil)
	_, logs, _ := splitRuns(t, plan, 4, Options{})
	// A slot at the stage's very end starts or not by the order of
	// goroutines waking at one instant: only those before it count.
	before := func(l *reqLog) []time.Duration {
		return slices.DeleteFunc(l.starts(), func(d time.Duration) bool { return d >= time.Second })
	}
	var got []time.Duration
	for i := range 4 {
		got = append(got, before(logs[i])...)
	}
	slices.Sort(got)
	want := before(logs[4])
	if len(want) != 100 || !sameTimes(got, want) {
		t.Errorf("the parts started the block at %v\nthe whole run at %v", got, want)
	}
}

// A count smaller than the parts leaves some parts nothing to do: they
// end at once, and the parts still send the count between them.
func TestSegmentCountBelowParts(t *testing.T) {
	for _, stage := range []string{"{concurrency: 4, count: 3}", "{tps: 10, count: 3}", "{tps: 10, count: 3, max_vus: 4}"} {
		plan := compile(t, `
name: few
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [`+stage+`]
`, "http://mem", nil)
		if errs := plan.CheckSegment(4); len(errs) > 0 {
			t.Fatalf("%s: %v", stage, errs)
		}
		runs, _, _ := splitRuns(t, plan, 4, Options{})
		var sum int64
		for i := range 4 {
			c := runs[i].Cases[0]
			sum += series(t, c, "get").Count
			if took := c.Stages[0].End.Sub(c.Stages[0].Start); i == 3 && took > 20*time.Millisecond {
				t.Errorf("%s: part 3, with no pass, ran %v", stage, took)
			}
		}
		if sum != 3 {
			t.Errorf("%s: the parts sent %d, want 3", stage, sum)
		}
	}
}

// before: and after: run whole in every part of a split run: each part's
// VUs carry the token its own before: extracted, and each part runs its
// after: once. Only the cases' load is split.
func TestSegmentHooksInEveryPart(t *testing.T) {
	plan := compile(t, `
name: hooks
before:
  - http: {name: login, url: "${base}/login"}
    extract: {token: {jsonpath: $.token}}
after:
  - http: {name: logout, url: "${base}/logout"}
cases:
  - name: c
    steps: [{http: {name: use, url: "${base}/use/${token}"}}]
    stages: [{concurrency: 4, count: 8}]
`, "http://mem", nil)
	const n = 4
	logs := make([]*reqLog, n)
	runs := make([]*metrics.Run, n)
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range n {
			logs[i] = &reqLog{}
			reply := func(r *mem.Request) mem.Reply {
				if strings.HasSuffix(r.Target, "/login") {
					return mem.Reply{Status: 200, Body: `{"token": "tok"}`, Latency: ms(1)}
				}
				return mem.Reply{Status: 200, Latency: ms(1)}
			}
			o := Options{Segment: scenario.Segment{Index: i, Count: n}, Drivers: memHTTP(logs[i].handler(reply))}
			wg.Go(func() { runs[i] = Run(context.Background(), plan, o) })
		}
		wg.Wait()
	})
	for i := range n {
		var got []string
		for _, r := range logs[i].reqs {
			got = append(got, r.target)
		}
		want := []string{"http://mem/login", "http://mem/use/tok", "http://mem/use/tok", "http://mem/logout"}
		if !slices.Equal(got, want) {
			t.Errorf("part %d sent %v, want %v", i, got, want)
		}
		for _, c := range runs[i].Cases {
			if c.Role != "" && c.Stats.Series[0].Count != 1 {
				t.Errorf("part %d: its %s steps ran %d times, want 1", i, c.Role, c.Stats.Series[0].Count)
			}
		}
	}
}
