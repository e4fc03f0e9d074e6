package metrics

import (
	"math/bits"
	"time"
)

// Coarse is a coarse histogram of response times: what gives each second
// its own percentiles cheaply. Values in µs fall into 16 buckets per power
// of two, so a bucket is at most 1/16 of its value wide; CoarseLen buckets
// cover 1 µs to over an hour. Bucket i counts the values whose
// CoarseBucket is i; two histograms merge by adding their counts, bucket
// by bucket, so seconds and parts of a run merge exactly.
type Coarse [CoarseLen]int64

// CoarseLen is the number of buckets of a Coarse histogram.
const CoarseLen = 480

// CoarseBucket is the bucket of a value in µs.
func CoarseBucket(us int64) int {
	if us < 16 {
		return int(max(us, 0))
	}
	e := bits.Len64(uint64(us)) - 1 // 2^e <= us < 2^(e+1), e >= 4
	i := (e-3)*16 + int(us>>(e-4)&15)
	return min(i, CoarseLen-1)
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

// Quantile is the q-th quantile (0..1) of the n values counted in c, as
// the middle of its bucket; 0 when n is 0.
func (c *Coarse) Quantile(n int64, q float64) time.Duration {
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
	return time.Duration(coarseMid(CoarseLen-1)) * time.Microsecond
}

// Merge adds o's counts to c.
func (c *Coarse) Merge(o *Coarse) {
	for i, n := range o {
		c[i] += n
	}
}
