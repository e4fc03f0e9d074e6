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
