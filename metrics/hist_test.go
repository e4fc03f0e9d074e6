package metrics

import (
	"math/rand/v2"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// histValues are microsecond values around every edge of the layout: all
// of bucket 0, both sides of every power of two, round numbers, the
// highest value, and random values spread over every magnitude.
func histValues() []int64 {
	var vs []int64
	for v := range int64(5000) {
		vs = append(vs, v)
	}
	for p := int64(1); p <= histHighest; p *= 2 {
		vs = append(vs, p-1, p, p+1)
	}
	for p := int64(10); p <= histHighest; p *= 10 {
		vs = append(vs, p-1, p, p+1)
	}
	vs = append(vs, 1_000_000, histHighest-1, histHighest)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		bits := rng.IntN(32) + 1
		if v := rng.Int64N(int64(1) << bits); v <= histHighest {
			vs = append(vs, v)
		}
	}
	return vs
}

func TestHistLayoutMatchesHdrHistogram(t *testing.T) {
	ref := hdrhistogram.New(histLowest, histHighest, histDigits)
	counts := make([]int64, histLen)
	for _, v := range histValues() {
		if err := ref.RecordValue(v); err != nil {
			t.Fatalf("hdrhistogram cannot record %d: %v", v, err)
		}
		counts[histIndex(v)]++
	}
	want := ref.Export().Counts
	if len(want) != histLen {
		t.Fatalf("hdrhistogram has %d counts, histLen is %d", len(want), histLen)
	}
	for i := range want {
		if counts[i] != want[i] {
			t.Fatalf("counts[%d] = %d, hdrhistogram has %d", i, counts[i], want[i])
		}
	}
	got := newHist(counts)
	if got.TotalCount() != ref.TotalCount() {
		t.Fatalf("total %d, want %d", got.TotalCount(), ref.TotalCount())
	}
	for _, q := range []float64{0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100} {
		if g, w := got.ValueAtQuantile(q), ref.ValueAtQuantile(q); g != w {
			t.Errorf("ValueAtQuantile(%v) = %d, want %d", q, g, w)
		}
	}
	if got.Min() != ref.Min() || got.Max() != ref.Max() {
		t.Errorf("min, max = %d, %d; want %d, %d", got.Min(), got.Max(), ref.Min(), ref.Max())
	}
}

func TestHistMicros(t *testing.T) {
	for _, c := range []struct {
		rt   time.Duration
		want int64
	}{
		{-time.Second, 0},
		{0, 0},
		{999 * time.Nanosecond, 0},
		{time.Microsecond, 1},
		{1999 * time.Nanosecond, 1},
		{12345678 * time.Nanosecond, 12345},
		{time.Hour, histHighest},
		{time.Hour + time.Microsecond, histHighest},
		{100 * time.Hour, histHighest},
	} {
		if got := histMicros(c.rt); got != c.want {
			t.Errorf("histMicros(%v) = %d, want %d", c.rt, got, c.want)
		}
	}
}

// A sample exactly on a range's bound counts in the range above it, and
// one 0.1% below (the histogram's precision) in the range below.
func TestHistRangesAtBounds(t *testing.T) {
	counts := make([]int64, histLen)
	var want [len(RangeNames)]int64
	add := func(rt time.Duration, rng int) {
		counts[histIndex(histMicros(rt))]++
		want[rng]++
	}
	add(0, 0)
	for k, b := range RangeBounds {
		add(b, k+1)
		add(b-b/1000, k)
	}
	add(10*time.Second, len(RangeBounds))
	add(2*time.Hour, len(RangeBounds))
	got := histRanges(counts)
	if got != want {
		t.Errorf("ranges %v, want %v", got, want)
	}
	clear(counts)
	counts[histIndex(histMicros(50*time.Millisecond))]++
	counts[histIndex(histMicros(49900*time.Microsecond))]++
	if got := histRanges(counts); got != [len(RangeNames)]int64{1, 1} {
		t.Errorf("50ms and 49.9ms fall in %v, want one in each of %s and %s", got, RangeNames[1], RangeNames[0])
	}
}
