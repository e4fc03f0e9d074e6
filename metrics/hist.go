package metrics

import (
	"math/bits"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Response times are kept in microseconds in counts laid out exactly as
// hdrhistogram-go's New(histLowest, histHighest, histDigits) lays out its
// own, so that shards can count lock-free into plain atomic arrays and
// Finish can hand the summed counts to hdrhistogram.Import.
const (
	histLowest  = 1
	histHighest = 3_600_000_000 // one hour in µs
	histDigits  = 3

	// For 3 significant digits the library keeps unit resolution up to
	// 2×10³, rounded up to a power of two: 2048 sub-buckets, and a value's
	// bucket is found from the half of that (1024, magnitude 10). With a
	// lowest value of 1 the unit magnitude is 0, so no shift by units.
	histSubHalfMag = 10
	histSubHalf    = 1 << histSubHalfMag
	histSubMask    = 2*histSubHalf - 1
	// 2048<<21 is the first power-of-two multiple of 2048 above one hour,
	// so the library needs 1+21 buckets and (22+1)×1024 counts.
	histBuckets = 22
	histLen     = (histBuckets + 1) * histSubHalf
)

// histIndex returns the index of the count that hdrhistogram-go's
// RecordValue increments for us microseconds, 0 <= us <= histHighest.
// The library records 0 (in the first count) and so does this.
func histIndex(us int64) int {
	bucket := bits.Len64(uint64(us)|histSubMask) - (histSubHalfMag + 1)
	sub := int(us >> uint(bucket))
	return (bucket+1)<<histSubHalfMag + sub - histSubHalf
}

// histMicros is the value a response time is recorded as: whole
// microseconds, clamped to what the histogram can hold. A negative time
// can only come from a broken clock and counts as 0; anything above an
// hour counts as an hour.
func histMicros(rt time.Duration) int64 {
	return min(max(int64(rt/time.Microsecond), 0), histHighest)
}

// newHist builds the histogram of summed shard counts.
func newHist(counts []int64) *hdrhistogram.Histogram {
	return hdrhistogram.Import(&hdrhistogram.Snapshot{
		LowestTrackableValue:  histLowest,
		HighestTrackableValue: histHighest,
		SignificantFigures:    histDigits,
		Counts:                counts,
	})
}

// histRanges counts the samples of each of RangeNames from summed counts.
// A count stands for every value its index covers, and a percentile reports
// the highest of them, so a count belongs to the range its highest value
// falls in: the index covering a bound starts the upper range. Exactly 50ms
// is then in "50~200ms" and anything below the bound's index in "0~50ms";
// only values within one index of a bound (under 0.1% of it) can be counted
// one range up. Doing it here, once, spares Record a search and an atomic
// add per sample.
func histRanges(counts []int64) [len(RangeNames)]int64 {
	var r [len(RangeNames)]int64
	lo := 0
	for k, b := range RangeBounds {
		hi := histIndex(histMicros(b))
		for _, c := range counts[lo:hi] {
			r[k] += c
		}
		lo = hi
	}
	for _, c := range counts[lo:] {
		r[len(RangeBounds)] += c
	}
	return r
}

// NewHist is an empty histogram of response times in µs, laid out as
// every Stats.Hist: what a histogram read back from a report must match
// to merge with it.
func NewHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}
