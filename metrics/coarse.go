package metrics

import (
	"math/bits"
	"time"
)

// A coarse histogram gives each second its own tp99 cheaply: values in µs
// fall into 16 buckets per power of two, so a bucket is at most 1/16 of
// its value wide; 480 buckets cover 1 µs to over an hour.
const coarseLen = 480

// coarseIndex is the bucket of a value in µs.
func coarseIndex(us int64) int {
	if us < 16 {
		return int(max(us, 0))
	}
	e := bits.Len64(uint64(us)) - 1 // 2^e <= us < 2^(e+1), e >= 4
	i := (e-3)*16 + int(us>>(e-4)&15)
	return min(i, coarseLen-1)
}

// coarseMid is the middle value in µs of bucket i: within 1/32 of any
// value in it.
func coarseMid(i int) int64 {
	if i < 16 {
		return int64(i)
	}
	e := i/16 + 3
	sub := int64(i % 16)
	lo := (16 + sub) << (e - 4)
	return lo + (int64(1)<<(e-4))/2
}

// coarseQuantile is the q-th quantile (0..1) of n values counted in c,
// as the middle of its bucket.
func coarseQuantile(c *[coarseLen]int64, n int64, q float64) time.Duration {
	if n <= 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen int64
	for i, k := range c {
		seen += k
		if seen >= rank {
			return time.Duration(coarseMid(i)) * time.Microsecond
		}
	}
	return time.Duration(coarseMid(coarseLen-1)) * time.Microsecond
}
