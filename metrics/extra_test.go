package metrics

import (
	"reflect"
	"sync"
	"testing"
	"time"
)

// An exchange's observations hold one entry per metric: observing a
// metric again adds to its entry.
func TestObservationsMergePerMetric(t *testing.T) {
	var o Observations
	o.Add(2, 5)
	o.Add(0, 7)
	o.Add(2, 3)
	o.AddMany(0, 4, 20, 1, 9)
	want := []Observation{{Metric: 2, N: 2, Sum: 8, Min: 3, Max: 5}, {Metric: 0, N: 5, Sum: 27, Min: 1, Max: 9}}
	if got := o.All(); !reflect.DeepEqual(got, want) {
		t.Errorf("All() = %+v, want %+v", got, want)
	}
	o.Reset()
	if len(o.All()) != 0 {
		t.Errorf("after Reset: %+v", o.All())
	}
}

func TestObservationsOverflowPanics(t *testing.T) {
	var o Observations
	for m := range MaxObservations {
		o.Add(m, 1)
	}
	defer func() {
		if recover() == nil {
			t.Error("a metric past MaxObservations was taken silently")
		}
	}()
	o.Add(MaxObservations, 1)
}

// Extra metrics recorded from several goroutines into several shards add
// up exactly, per second and in total; a distribution keeps its least and
// greatest value; what lands after its second was harvested counts in
// the last second, as samples do.
func TestExtrasRecorded(t *testing.T) {
	extras := []ExtraInfo{
		{Name: "other_protocol", Kind: Counter},
		{Name: "packets", Kind: Counter},
		{Name: "delay", Kind: Distribution, Unit: UnitDuration},
	}
	r := NewRecorder([]SeriesInfo{{Name: "get"}}, 3, testStart, extras...)
	const goroutines, perG = 6, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			sh := r.Shard(g)
			var o Observations
			for i := range perG {
				o.Reset()
				o.Add(0, 2)             // packets, base 1
				o.Add(1, int64(i%10+1)) // delay
				o.Add(1, int64(100+g))  // a second delay in the same exchange
				sh.Observe(1, at(time.Duration(i%2)*time.Second), &o)
			}
		})
	}
	wg.Wait()
	r.Tick(at(1100*time.Millisecond), 1)
	var late Observations
	late.Add(0, 1000)
	r.Shard(0).Observe(1, at(0), &late) // second 0 is harvested already
	cs := r.Finish("c", at(1500*time.Millisecond))

	if got := cs.Extra("other_protocol"); got == nil || got.N != 0 || got.Sum != 0 || len(got.Seconds) != 2 {
		t.Errorf("a metric nothing observed: %+v", got)
	}
	p := cs.Extra("packets")
	half := int64(goroutines * perG / 2)
	if p == nil || p.Sum != 2*goroutines*perG+1000 || p.N != goroutines*perG+1 || p.Min != 0 || p.Max != 0 {
		t.Fatalf("packets: %+v, want sum %d over %d observations and no min or max", p, 2*goroutines*perG+1000, goroutines*perG+1)
	}
	if want := []ExtraSecond{{N: half, Sum: 2 * half}, {N: half + 1, Sum: 2*half + 1000}}; !reflect.DeepEqual(p.Seconds, want) {
		t.Errorf("packets per second %+v, want %+v", p.Seconds, want)
	}
	d := cs.Extra("delay")
	var sum int64
	for g := range goroutines {
		for i := range perG {
			sum += int64(i%10+1) + int64(100+g)
		}
	}
	if d == nil || d.N != 2*goroutines*perG || d.Sum != sum || d.Min != 1 || d.Max != 100+goroutines-1 || d.Unit != UnitDuration {
		t.Errorf("delay: %+v, want %d values summing to %d, min 1, max %d", d, 2*goroutines*perG, sum, 100+goroutines-1)
	}
	if cs.Extra("nothing") != nil {
		t.Error("Extra of an undeclared name is not nil")
	}
}

// A case without extra metrics has none in its stats.
func TestNoExtras(t *testing.T) {
	r := NewRecorder([]SeriesInfo{{Name: "get"}}, 1, testStart)
	if cs := r.Finish("c", at(time.Second)); cs.Extras != nil {
		t.Errorf("extras %+v", cs.Extras)
	}
}

// A histogram metric keeps its values' count, sum, least and greatest as
// a distribution does, and their percentiles to within 1/32, merged over
// every shard; a session that reports values again and again allocates
// nothing once its first exchanges have grown its buffer.
func TestExtraHistogram(t *testing.T) {
	extras := []ExtraInfo{{Name: "count", Kind: Counter}, {Name: "latency", Kind: Histogram, Unit: UnitDuration}}
	r := NewRecorder([]SeriesInfo{{Name: "get"}}, 4, testStart, extras...)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			var o Observations
			for i := range 250 {
				o.Reset()
				o.Add(0, 1)
				// 1,000 values in all: 1 ms, 2 ms, ..., 1000 ms.
				o.AddValue(1, int64(g*250+i+1)*int64(time.Millisecond))
				r.Shard(g).Observe(0, at(0), &o)
			}
		})
	}
	wg.Wait()
	cs := r.Finish("c", at(500*time.Millisecond))
	l := cs.Extra("latency")
	if l == nil || l.N != 1000 || l.Min != int64(time.Millisecond) || l.Max != int64(time.Second) || l.Sum != 500500*int64(time.Millisecond) {
		t.Fatalf("latency %+v", l)
	}
	for _, q := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := l.Quantile(q.q)
		if d := got - q.want; d < -q.want/32 || d > q.want/32 {
			t.Errorf("Quantile(%v) = %v, want %v within 1/32", q.q, got, q.want)
		}
	}
	if c := cs.Extra("count"); c.Hist != nil || c.Quantile(0.5) != 0 {
		t.Errorf("a counter has a histogram: %+v", c)
	}
}

// A scenario's own extra metrics, recorded with Add from several shards:
// a counter adds up, a gauge keeps its last value (the latest across
// shards) and its extremes, a trend its distribution for percentiles
// (negative values counted as 0), a rate its evaluations and passes; per
// second too.
func TestCustomExtras(t *testing.T) {
	extras := []ExtraInfo{
		{Name: "orders", Kind: Counter, Unit: UnitMilli, Custom: true},
		{Name: "depth", Kind: Gauge, Unit: UnitMilli, Custom: true},
		{Name: "queue_ms", Kind: Trend, Unit: UnitMilli, Custom: true},
		{Name: "status == 200", Kind: Rate, Unit: UnitCount, Series: "get"},
	}
	r := NewRecorder([]SeriesInfo{{Name: "get"}}, 2, testStart, extras...)
	for i := range 100 {
		sh := r.Shard(i)
		when := at(time.Duration(i) * 15 * time.Millisecond) // seconds 0 and 1
		sh.Add(0, when, 2000)
		sh.Add(1, when, int64(1000*(i-50)))
		sh.Add(2, when, int64(1000*(i+1))) // 1..100
		sh.Add(3, when, int64(i%4/3))      // held 1 time in 4
	}
	r.Shard(0).Add(2, at(0), -5000)
	cs := r.Finish("c", at(1500*time.Millisecond))

	o := cs.Extra("orders")
	if o.N != 100 || o.Sum != 200000 || o.Min != 0 || o.Max != 0 || o.Last != 0 || o.Hist != nil || o.TrendHist != nil {
		t.Errorf("counter: %+v", o)
	}
	if got := (ExtraSecond{N: 67, Sum: 134000}); o.Seconds[0] != got {
		t.Errorf("counter's second 0: %+v, want %+v", o.Seconds[0], got)
	}
	d := cs.Extra("depth")
	if d.Last != 49000 || d.Min != -50000 || d.Max != 49000 {
		t.Errorf("gauge: last %d min %d max %d, want 49000 -50000 49000", d.Last, d.Min, d.Max)
	}
	q := cs.Extra("queue_ms")
	if q.N != 101 || q.Min != -5000 || q.Max != 100000 {
		t.Fatalf("trend: n %d min %d max %d", q.N, q.Min, q.Max)
	}
	// 101 values: 0 (the negative one), then 1000..100000 in thousandths;
	// the median is the 51st, 50000, to 3 significant digits.
	if p := q.Percentile(50); p < 49950 || p > 50050 {
		t.Errorf("trend median %d, want 50000 within 0.1%%", p)
	}
	if p := q.Percentile(100); p != 100000 {
		t.Errorf("trend max percentile %d, want 100000", p)
	}
	rt := cs.Extra("status == 200")
	if rt.N != 100 || rt.Sum != 25 || rt.Series != "get" {
		t.Errorf("rate: %+v", rt)
	}
}

// A custom metric's KPI rows: each kind's stats, in its own unit (a value
// recorded in thousandths reads as units), and none for a stat the kind
// has not.
func TestCustomKPIs(t *testing.T) {
	r := NewRecorder([]SeriesInfo{{Name: "get"}}, 1, testStart,
		ExtraInfo{Name: "orders", Kind: Counter, Unit: UnitMilli, Custom: true},
		ExtraInfo{Name: "depth", Kind: Gauge, Unit: UnitMilli, Custom: true},
		ExtraInfo{Name: "q", Kind: Trend, Unit: UnitMilli, Custom: true})
	sh := r.Shard(0)
	for i := range 10 {
		sh.Add(0, at(0), 1500)
		sh.Add(1, at(time.Duration(i)*time.Millisecond), int64(1000*i))
		sh.Add(2, at(0), int64(1000*(i+1)))
	}
	cs := r.Finish("c", at(2*time.Second))
	tests := []struct {
		metric, stat string
		want         float64
	}{
		{"orders", "total", 15}, {"orders", "rate", 7.5},
		{"depth", "value", 9}, {"depth", "min", 0}, {"depth", "max", 9},
		{"q", "count", 10}, {"q", "avg", 5.5}, {"q", "min", 1}, {"q", "max", 10}, {"q", "tp50", 5}, {"q", "tp90", 9},
	}
	for _, tt := range tests {
		x := cs.Extra(tt.metric)
		m, ok := CustomKPI(x.ExtraInfo, tt.stat)
		if !ok || m.Name != tt.metric+"."+tt.stat || m.Extra != tt.metric {
			t.Errorf("CustomKPI(%s, %s) = %+v, %v", tt.metric, tt.stat, m, ok)
			continue
		}
		// Percentiles are the histogram's, to 3 significant digits.
		if got := m.OnExtra(x, 2*time.Second); got < tt.want || got > tt.want*1.001 {
			t.Errorf("%s = %v, want %v (within 0.1%% above)", m.Name, got, tt.want)
		}
	}
	for _, bad := range []struct {
		kind ExtraKind
		stat string
	}{{Counter, "avg"}, {Gauge, "tp99"}, {Trend, "value"}, {Trend, "tp42"}} {
		if _, ok := CustomKPI(ExtraInfo{Name: "x", Kind: bad.kind}, bad.stat); ok {
			t.Errorf("a %v has a %s", bad.kind, bad.stat)
		}
	}
}
