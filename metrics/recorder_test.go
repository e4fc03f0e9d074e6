package metrics

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

var testStart = time.Unix(1_700_000_000, 0)

func at(d time.Duration) time.Time { return testStart.Add(d) }

// Eight goroutines record into four shards (two goroutines per shard) and
// the merged stats must equal what a single-threaded reference computes.
func TestRecorderTotals(t *testing.T) {
	const goroutines, perG, shards = 8, 10_000, 4
	series := []SeriesInfo{{"get", KindRequest}, {"login", KindTransaction}, {"idle", KindCase}}
	statuses := []int{0, 200, 301, 404, 503, 99, 600, 150}
	// sample is the i-th sample of goroutine g: response times 1ms..1s
	// (plus g µs), over seconds 0..2 of the run, alternating two series.
	sample := func(g, i int) (int, time.Time, Sample) {
		return i % 2, at(time.Duration(i%3)*time.Second + time.Duration(g)*time.Millisecond), Sample{
			RT:      time.Duration(i%1000+1)*time.Millisecond + time.Duration(g)*time.Microsecond,
			Outcome: Outcome(i % int(NumOutcomes)),
			Status:  statuses[i%len(statuses)],
			Sent:    int64(i % 100),
			Recv:    int64(g*1000 + i),
		}
	}

	r := NewRecorder(series, shards, testStart)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			sh := r.Shard(g)
			for i := range perG {
				sh.Record(sample(g, i))
			}
		})
	}
	wg.Wait()
	const secs = 3
	cs := r.Finish("case", at(2500*time.Millisecond))

	want := make([]*Stats, len(series))
	hists := make([]*hdrhistogram.Histogram, len(series))
	rts := make([][]time.Duration, len(series))
	for i, s := range series {
		want[i] = &Stats{Name: s.Name, Kind: s.Kind, Seconds: make([]Second, secs)}
		hists[i] = hdrhistogram.New(histLowest, histHighest, histDigits)
	}
	for g := range goroutines {
		for i := range perG {
			si, end, smp := sample(g, i)
			w := want[si]
			if w.Count == 0 || smp.RT < w.Min {
				w.Min = smp.RT
			}
			w.Max = max(w.Max, smp.RT)
			w.Count++
			w.Outcomes[smp.Outcome]++
			if smp.Status >= 100 && smp.Status < 600 {
				w.Status[smp.Status/100]++
			}
			w.Sent += smp.Sent
			w.Recv += smp.Recv
			w.MaxSent = max(w.MaxSent, smp.Sent)
			w.MaxRecv = max(w.MaxRecv, smp.Recv)
			w.Ranges[rangeOf(smp.RT)]++
			sec := &w.Seconds[int(end.Sub(testStart)/time.Second)]
			sec.Count++
			sec.Outcomes[smp.Outcome]++
			sec.RTSum += smp.RT
			sec.Sent += smp.Sent
			sec.Recv += smp.Recv
			sec.Max = max(sec.Max, micros(smp.RT))
			if err := hists[si].RecordValue(smp.RT.Microseconds()); err != nil {
				t.Fatal(err)
			}
			rts[si] = append(rts[si], smp.RT)
		}
	}
	for i, w := range want {
		var sum time.Duration
		for _, s := range w.Seconds {
			sum += s.RTSum
		}
		if w.Count > 0 {
			w.Mean = sum / time.Duration(w.Count)
		}
		slices.Sort(rts[i])
	}

	if cs.Name != "case" || !cs.Start.Equal(testStart) || cs.Duration() != 2500*time.Millisecond {
		t.Errorf("case %q from %v for %v", cs.Name, cs.Start, cs.Duration())
	}
	if vus := vusOf(cs); !reflect.DeepEqual(vus, []int{0, 0, 0}) || cs.MaxVUs != 0 {
		t.Errorf("VUs %v (max %d), want three seconds of 0", vus, cs.MaxVUs)
	}
	if want[0].Count+want[1].Count != goroutines*perG {
		t.Fatalf("reference counts %d+%d samples", want[0].Count, want[1].Count)
	}
	for i, got := range cs.Series {
		w := want[i]
		if w.Count == 0 {
			if got.Hist != nil {
				t.Errorf("%s: a histogram without samples", got.Name)
			}
		} else {
			if g, w := got.Hist.Export().Counts, hists[i].Export().Counts; !slices.Equal(g, w) {
				t.Errorf("%s: histogram counts differ from hdrhistogram's", got.Name)
			}
			for _, q := range []float64{50, 90, 99, 99.9} {
				exact := rts[i][int(math.Ceil(q/100*float64(len(rts[i]))))-1]
				if p := got.Percentile(q); math.Abs(float64(p-exact)) > float64(exact)/1000 {
					t.Errorf("%s: p%v = %v, exact %v", got.Name, q, p, exact)
				}
			}
			w.Hist = got.Hist
		}
		// Each second's tp99 is checked in TestCoarseQuantile; here only
		// that it is there.
		for k := range got.Seconds {
			if got.Seconds[k].Count > 0 && got.Seconds[k].P99 <= 0 {
				t.Errorf("%s second %d: no tp99", got.Name, k)
			}
			w.Seconds[k].P99 = got.Seconds[k].P99
			// The second's histogram is kept: it counts the second's
			// samples and gives its tp99.
			var h Coarse
			got.SecondHists.AddTo(k, &h)
			if n := h.Count(); n != int64(got.Seconds[k].Count) || micros(h.Quantile(n, 0.99)) != got.Seconds[k].P99 {
				t.Errorf("%s second %d: kept histogram counts %d with tp99 %v, the second %d and %v", got.Name, k, n, h.Quantile(n, 0.99), got.Seconds[k].Count, got.Seconds[k].P99)
			}
		}
		if got.SecondHists.Len() != len(got.Seconds) {
			t.Errorf("%s: %d seconds, %d histograms", got.Name, len(got.Seconds), got.SecondHists.Len())
		}
		w.SecondHists = got.SecondHists
		if !reflect.DeepEqual(got, w) {
			t.Errorf("series %d:\n got %+v\nwant %+v", i, *got, *w)
		}
	}
}

// rangeOf is the exact index in RangeNames of a response time.
func rangeOf(rt time.Duration) int {
	for k, b := range RangeBounds {
		if rt < b {
			return k
		}
	}
	return len(RangeBounds)
}

// vusOf is a case's VU count per second.
func vusOf(cs *CaseStats) []int {
	var vus []int
	for _, s := range cs.Requests.Seconds {
		vus = append(vus, int(s.VUs))
	}
	return vus
}

// Seconds are attributed by when samples ended; Tick harvests only seconds
// that ended 50ms before now; late samples move to a later second but stay
// in the totals; Finish harvests the rest. Every second harvested is handed
// on once, in order, as it is kept.
func TestRecorderSeconds(t *testing.T) {
	r := NewRecorder([]SeriesInfo{{Name: "a"}}, 2, testStart)
	var handed []Second
	r.OnHarvest(func(h *Harvest) {
		if h.Index != len(handed) || len(h.Series) != 1 || h.Info[0].Name != "a" || h.Requests != h.Series[0] {
			t.Errorf("harvest %d of %d: series %+v, requests %+v", h.Index, len(handed), h.Series, h.Requests)
		}
		handed = append(handed, h.Series[0])
	})
	var rtSum time.Duration
	rec := func(shard int, end time.Duration) {
		rt := time.Duration(shard+1) * time.Millisecond
		rtSum += rt
		r.Shard(shard).Record(0, at(end), Sample{RT: rt, Sent: 10, Recv: 20})
	}
	last := func(wantSec int, wantCount int64) {
		t.Helper()
		if len(handed) != wantSec+1 || handed[wantSec].Count != uint32(wantCount) {
			t.Errorf("handed on %+v; want second %d with %d samples last", handed, wantSec, wantCount)
		}
	}

	rec(0, -time.Second) // before the start: second 0
	rec(1, 500*time.Millisecond)
	rec(0, time.Second-time.Nanosecond)
	rec(1, time.Second)
	r.Tick(at(1049*time.Millisecond), 3)
	if len(handed) != 0 {
		t.Fatal("second 0 harvested less than 50ms after it ended")
	}
	r.Tick(at(1050*time.Millisecond), 3)
	last(0, 3)

	rec(0, 1999*time.Millisecond)
	rec(1, 2*time.Second)
	rec(0, 3500*time.Millisecond)
	r.Tick(at(3100*time.Millisecond), 4)
	last(2, 1)

	rec(1, 2900*time.Millisecond) // late: second 2 is harvested, so it counts in second 6
	rec(0, 6200*time.Millisecond)
	r.Tick(at(7100*time.Millisecond), 6)
	last(6, 2)

	rec(1, 6500*time.Millisecond) // late again, after the last Tick: Finish counts it
	rec(0, 7300*time.Millisecond)
	cs := r.Finish("c", at(7400*time.Millisecond))
	last(7, 2)

	st := cs.Series[0]
	var counts []uint32
	for _, s := range st.Seconds {
		counts = append(counts, s.Count)
	}
	if want := []uint32{3, 2, 1, 1, 0, 0, 2, 2}; !slices.Equal(counts, want) {
		t.Errorf("samples per second %v, want %v", counts, want)
	}
	if !slices.Equal(handed, st.Seconds) {
		t.Errorf("handed on %+v\nkept %+v", handed, st.Seconds)
	}
	if want := []int{3, 4, 4, 6, 6, 6, 6, 6}; !slices.Equal(vusOf(cs), want) || cs.MaxVUs != 6 {
		t.Errorf("VUs %v (max %d), want %v (max 6)", vusOf(cs), cs.MaxVUs, want)
	}
	if st.Count != 11 || st.Outcomes[Success] != 11 || st.Sent != 110 || st.Recv != 220 || st.Mean != rtSum/11 {
		t.Errorf("totals: %d samples (%d successful), %d B sent, %d B received, mean %v; want 11, 11, 110, 220, %v",
			st.Count, st.Outcomes[Success], st.Sent, st.Recv, st.Mean, rtSum/11)
	}
}

func TestRecorderFinishSeconds(t *testing.T) {
	for _, c := range []struct {
		name  string
		ticks []time.Duration
		end   time.Duration
		want  []int
	}{
		{"ended at once", nil, 0, []int{0}},
		{"within the first second", nil, 300 * time.Millisecond, []int{0}},
		{"ticked within the first second", []time.Duration{200 * time.Millisecond}, 300 * time.Millisecond, []int{1}},
		{"on a boundary", []time.Duration{1100 * time.Millisecond, 2100 * time.Millisecond}, 3 * time.Second, []int{1, 2, 2}},
		{"just after a boundary", []time.Duration{1100 * time.Millisecond}, 2*time.Second + time.Nanosecond, []int{1, 1, 1}},
		{"end before the last tick", []time.Duration{3100 * time.Millisecond}, 2 * time.Second, []int{1, 1, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewRecorder([]SeriesInfo{{Name: "a"}, {Name: "b"}}, 0, testStart)
			for i, d := range c.ticks {
				r.Tick(at(d), i+1)
			}
			cs := r.Finish("c", at(c.end))
			if !slices.Equal(vusOf(cs), c.want) || cs.MaxVUs != slices.Max(c.want) {
				t.Errorf("VUs %v (max %d), want %v", vusOf(cs), cs.MaxVUs, c.want)
			}
			for _, st := range cs.Series {
				if len(st.Seconds) != len(c.want) {
					t.Errorf("%s has %d seconds, want %d", st.Name, len(st.Seconds), len(c.want))
				}
				if st.Count != 0 || st.Hist != nil || st.Min != 0 || st.Mean != 0 || st.Errors != nil {
					t.Errorf("%s without samples: %+v", st.Name, *st)
				}
			}
		})
	}
}

func TestRecorderErrors(t *testing.T) {
	r := NewRecorder([]SeriesInfo{{Name: "a"}, {Name: "b"}}, 1, testStart)
	for range 3 {
		r.Error(0, Timeout, "t")
	}
	r.Error(0, Refused, "r")
	for range 5 {
		r.Error(0, Timeout, "r") // the same message with another outcome is another entry
	}
	r.Error(1, Other, "x")
	for i := range 10 {
		r.Error(0, Other, fmt.Sprint("m", i)) // m0..m4 fill the log; m5..m9 are only counted
	}
	r.Error(0, Timeout, "new")
	r.Error(0, Timeout, "t")
	cs := r.Finish("c", at(time.Second))

	want := []ErrorCount{
		{Timeout, "r", 5}, {Timeout, "t", 4}, {Refused, "r", 1},
		{Other, "m0", 1}, {Other, "m1", 1}, {Other, "m2", 1}, {Other, "m3", 1}, {Other, "m4", 1},
		{Timeout, otherMessages, 1}, {Other, otherMessages, 5},
	}
	if got := cs.Series[0].Errors; !reflect.DeepEqual(got, want) {
		t.Errorf("errors\n got %v\nwant %v", got, want)
	}
	if got, want := cs.Series[1].Errors, []ErrorCount{{Other, "x", 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("errors of b: %v, want %v", got, want)
	}
}

func TestRecorderErrorsConcurrent(t *testing.T) {
	const goroutines, perG = 8, 1000
	r := NewRecorder([]SeriesInfo{{Name: "a"}}, 1, testStart)
	var wg sync.WaitGroup
	for g := range goroutines {
		msg := fmt.Sprint("g", g)
		wg.Go(func() {
			for range perG {
				r.Error(0, Timeout, "same")
				r.Error(0, Other, msg)
			}
		})
	}
	wg.Wait()
	errs := r.Finish("c", at(time.Second)).Series[0].Errors
	var total int64
	distinct := map[string]bool{}
	for _, e := range errs {
		total += e.Count
		distinct[e.Message] = true
	}
	// Nine messages compete for eight places: one is only counted.
	if len(errs) != maxErrors+1 || len(distinct) != maxErrors+1 || errs[maxErrors].Message != otherMessages || total != 2*goroutines*perG {
		t.Errorf("errors %v: %d in all, want %d", errs, total, 2*goroutines*perG)
	}
}
