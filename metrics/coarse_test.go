package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// A second's tp99 from the coarse histogram is within 1/32 of the exact
// one, over values from microseconds to minutes.
func TestCoarseQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, scale := range []float64{10, 1e3, 1e5, 1e7, 1e8} {
		var c Coarse
		vals := make([]int64, 5000)
		for i := range vals {
			vals[i] = int64(rng.ExpFloat64() * scale)
			c[CoarseBucket(vals[i])]++
		}
		slices.Sort(vals)
		exact := float64(vals[int(math.Ceil(0.99*float64(len(vals))))-1])
		got := float64(c.Quantile(int64(len(vals)), 0.99) / time.Microsecond)
		if math.Abs(got-exact) > math.Max(exact/32, 1) {
			t.Errorf("scale %g: tp99 %v µs, exact %v µs", scale, got, exact)
		}
	}
	var empty Coarse
	if empty.Quantile(0, 0.99) != 0 {
		t.Error("no samples, no tp99")
	}
}

// Every value lands in a bucket whose middle is within 1/32 of it.
func TestCoarseIndex(t *testing.T) {
	for _, us := range []int64{0, 1, 15, 16, 17, 31, 32, 1000, 65535, 65536, 1 << 30, 3_600_000_000} {
		i := CoarseBucket(us)
		if mid := coarseMid(i); math.Abs(float64(mid-us)) > math.Max(float64(us)/32, 0.5) {
			t.Errorf("%d µs: bucket %d, middle %d", us, i, mid)
		}
	}
}
