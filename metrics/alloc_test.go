//go:build !race

package metrics

import (
	"testing"
	"time"
)

func TestRecordDoesNotAllocate(t *testing.T) {
	r := NewRecorder([]SeriesInfo{{Name: "a"}, {Name: "b"}}, 2, testStart)
	sh := r.Shard(1)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		sh.Record(i%2, at(time.Duration(i)*time.Millisecond), Sample{
			RT: time.Duration(i) * time.Microsecond, Outcome: Outcome(i % int(NumOutcomes)), Status: 200, Sent: int64(i), Recv: int64(i),
		})
	})
	if allocs != 0 {
		t.Errorf("Record allocates %v times", allocs)
	}
}

func TestErrorDoesNotAllocateOnceKept(t *testing.T) {
	r := NewRecorder([]SeriesInfo{{Name: "a"}}, 1, testStart)
	for i := range maxErrors {
		r.Error(0, Timeout, string(rune('a'+i)))
	}
	if allocs := testing.AllocsPerRun(1000, func() { r.Error(0, Timeout, "h") }); allocs != 0 {
		t.Errorf("Error of a kept message allocates %v times", allocs)
	}
	if allocs := testing.AllocsPerRun(1000, func() { r.Error(0, Timeout, "not kept") }); allocs != 0 {
		t.Errorf("Error of a message beyond the cap allocates %v times", allocs)
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	r := NewRecorder([]SeriesInfo{{Name: "a"}}, 2, testStart, ExtraInfo{Name: "n", Kind: Counter}, ExtraInfo{Name: "d", Kind: Distribution})
	sh := r.Shard(1)
	var o Observations
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		o.Reset()
		o.Add(0, int64(i))
		o.Add(1, int64(i))
		sh.Observe(0, at(time.Duration(i)*time.Millisecond), &o)
	})
	if allocs != 0 {
		t.Errorf("Observe allocates %v times", allocs)
	}
}

// A session that reports histogram values exchange after exchange
// allocates nothing once its first exchanges have grown its buffer.
func TestHistogramValuesDoNotAllocate(t *testing.T) {
	r := NewRecorder([]SeriesInfo{{Name: "get"}}, 1, testStart, ExtraInfo{Name: "latency", Kind: Histogram, Unit: UnitDuration})
	sh := r.Shard(0)
	var o Observations
	o.AddValue(0, int64(time.Millisecond))
	o.AddValue(0, int64(time.Second))
	if n := testing.AllocsPerRun(100, func() {
		o.Reset()
		o.AddValue(0, int64(3*time.Millisecond))
		o.AddValue(0, int64(2*time.Second))
		sh.Observe(0, at(0), &o)
	}); n != 0 {
		t.Errorf("AddValue and Observe allocate %v times per exchange", n)
	}
}

func TestAddDoesNotAllocate(t *testing.T) {
	kinds := []ExtraKind{Counter, Gauge, Trend, Rate}
	var extras []ExtraInfo
	for _, k := range kinds {
		extras = append(extras, ExtraInfo{Name: k.String(), Kind: k, Unit: UnitMilli, Custom: true})
	}
	r := NewRecorder([]SeriesInfo{{Name: "a"}}, 2, testStart, extras...)
	sh := r.Shard(1)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		sh.Add(i%len(kinds), at(time.Duration(i)*time.Millisecond), int64(i))
	})
	if allocs != 0 {
		t.Errorf("Add allocates %v times", allocs)
	}
}
