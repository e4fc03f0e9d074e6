package metrics

import (
	"reflect"
	"testing"
	"time"
)

// Merging two series gives what recording every sample into one gives.
func TestMergeEqualsOneSeries(t *testing.T) {
	two := NewRecorder([]SeriesInfo{{Name: "a"}, {Name: "b"}}, 3, testStart)
	one := NewRecorder([]SeriesInfo{{Name: "all"}}, 2, testStart)
	for i := range 5000 {
		rt := time.Duration(i%997+1) * 137 * time.Microsecond
		smp := Sample{RT: rt, Outcome: Outcome(i % int(NumOutcomes)), Status: 100 + i%500, Sent: int64(i % 50), Recv: int64(i % 70)}
		end := at(time.Duration(i) * time.Millisecond)
		two.Shard(i).Record(i%2, end, smp)
		one.Shard(i).Record(0, end, smp)
		if smp.Outcome != Success {
			msg := []string{"x", "y", "z"}[i%3]
			two.Error(i%2, smp.Outcome, msg)
			one.Error(0, smp.Outcome, msg)
		}
	}
	end := at(5 * time.Second)
	got := two.Finish("c", end).Requests
	want := one.Finish("c", end).Series[0]
	if got.Count != want.Count || got.Outcomes != want.Outcomes || got.Status != want.Status || got.Ranges != want.Ranges ||
		got.Min != want.Min || got.Max != want.Max || got.Mean != want.Mean || got.Sent != want.Sent || got.Recv != want.Recv ||
		got.MaxSent != want.MaxSent || got.MaxRecv != want.MaxRecv || !reflect.DeepEqual(got.Seconds, want.Seconds) {
		t.Errorf("merged %+v\nwant   %+v", got, want)
	}
	for _, q := range []float64{50, 90, 99, 99.9, 100} {
		if got.Percentile(q) != want.Percentile(q) {
			t.Errorf("p%v: %v, want %v", q, got.Percentile(q), want.Percentile(q))
		}
	}
	var gotErrs, wantErrs int64
	for _, e := range got.Errors {
		gotErrs += e.Count
	}
	for _, e := range want.Errors {
		wantErrs += e.Count
	}
	if gotErrs != wantErrs || len(got.Errors) != len(want.Errors) {
		t.Errorf("errors %+v, want %+v", got.Errors, want.Errors)
	}
}

func TestMergeNothing(t *testing.T) {
	m := Merge("none", KindCase)
	if m.Count != 0 || m.Hist != nil || m.Percentile(99) != 0 {
		t.Errorf("%+v", m)
	}
}

// Samples that opened a connection are counted, with the time it took,
// and merged series add them up.
func TestConnects(t *testing.T) {
	r := NewRecorder([]SeriesInfo{{Name: "a"}, {Name: "b"}}, 2, testStart)
	r.Shard(0).Record(0, at(0), Sample{RT: 5 * time.Millisecond, Connect: 2 * time.Millisecond})
	r.Shard(1).Record(0, at(0), Sample{RT: 5 * time.Millisecond})
	r.Shard(1).Record(1, at(0), Sample{RT: 5 * time.Millisecond, Connect: 4 * time.Millisecond})
	cs := r.Finish("c", at(time.Second))
	if a := cs.Series[0]; a.Connects != 1 || a.ConnectTime != 2*time.Millisecond {
		t.Errorf("a: %d connects in %v", a.Connects, a.ConnectTime)
	}
	if m := cs.Requests; m.Connects != 2 || m.ConnectTime != 6*time.Millisecond {
		t.Errorf("merged: %d connects in %v", m.Connects, m.ConnectTime)
	}
}

// Four parts of a run, each a recorder fed a quarter of a deterministic
// sample set (two starting later, as the parts of a split run may), merge
// into what one recorder fed every sample gives: the same percentiles,
// element by element, minimum, maximum and mean, and per second the same
// counts and the same coarse histogram, so the same tp99.
func TestMergeFourPartsEqualsOne(t *testing.T) {
	series := []SeriesInfo{{Name: "get"}, {Name: "post"}}
	offsets := []int{0, 0, 1, 2}
	one := NewRecorder(series, 4, testStart)
	var parts []*Recorder
	for _, off := range offsets {
		parts = append(parts, NewRecorder(series, 2, at(time.Duration(off)*time.Second)))
	}
	for i := range 20000 {
		// Response times over four powers of ten, not in order.
		rt := time.Duration((i*7919)%100_000+1) * time.Microsecond * time.Duration(1+i%7)
		smp := Sample{RT: rt, Outcome: Outcome(i % 5 / 4 * int(Timeout)), Status: 200, Sent: int64(i % 90), Recv: int64(i % 900)}
		d := time.Duration(i) * 400 * time.Microsecond
		if d%time.Second == 100*time.Millisecond { // the clock, as a run's
			one.Tick(at(d), 10)
			for _, r := range parts {
				r.Tick(at(d), 10)
			}
		}
		p := i % 4
		if d < time.Duration(offsets[p])*time.Second {
			p = 0
		}
		parts[p].Shard(i).Record(i%2, at(d), smp)
		one.Shard(i).Record(i%2, at(d), smp)
	}
	end := at(8 * time.Second)
	want := one.Finish("c", end)
	var got [][]*Stats
	for _, r := range parts {
		cs := r.Finish("c", end)
		got = append(got, append(cs.Series, cs.Requests))
	}
	for i, w := range append(want.Series, want.Requests) {
		var ps []*Stats
		for _, g := range got {
			ps = append(ps, g[i])
		}
		m := MergeAt(w.Name, w.Kind, ps, offsets)
		for _, q := range []float64{50, 75, 90, 95, 99, 99.9} {
			if m.Percentile(q) != w.Percentile(q) {
				t.Errorf("%s tp%v: merged %v, one %v", w.Name, q, m.Percentile(q), w.Percentile(q))
			}
		}
		if m.Count != w.Count || m.Min != w.Min || m.Max != w.Max || m.Mean != w.Mean || m.Outcomes != w.Outcomes {
			t.Errorf("%s: merged count %d min %v max %v mean %v, one %d %v %v %v", w.Name, m.Count, m.Min, m.Max, m.Mean, w.Count, w.Min, w.Max, w.Mean)
		}
		if !reflect.DeepEqual(m.Seconds, w.Seconds) {
			t.Errorf("%s: merged seconds %v\none %v", w.Name, m.Seconds, w.Seconds)
		}
		for k := range w.Seconds {
			if g, o := m.SecondHists.Compact(k), w.SecondHists.Compact(k); !reflect.DeepEqual(g, o) {
				t.Errorf("%s second %d: merged histogram %x, one %x", w.Name, k, g, o)
			}
		}
	}
}
