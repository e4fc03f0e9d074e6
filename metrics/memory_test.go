package metrics

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// What the recorder of a case with 1,000 request names keeps over one
// hour with GOMAXPROCS=16 (16 shards, the runner's 2×cores capped at 16),
// on a fake clock. Every shard of every series first records the
// response times of a log-normal distribution (median 20 ms, σ 0.5, its
// 0.1% to 99.9% quantiles), as an hour of load spreads them over the
// histogram; then each second each series records one sample, in the
// shards in turn, and the clock harvests it. A whole histogram per
// series and shard cost 184 KB, 3.3 GB for this case with the rings;
// the histogram's pages are now allocated as values fall in them.
func TestSeriesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("an hour of 1,000 series on a fake clock")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	const names, seconds = 1000, 3600
	shards := min(2*runtime.GOMAXPROCS(0), 16)
	quantiles := make([]time.Duration, 500)
	for i := range quantiles {
		q := 0.001 + 0.998*float64(i)/float64(len(quantiles)-1)
		quantiles[i] = time.Duration(20e6 * math.Exp(0.5*normalQuantile(q)))
	}
	series := make([]SeriesInfo, names)
	for i := range series {
		series[i] = SeriesInfo{Name: fmt.Sprintf("r%d", i)}
	}
	synctest.Test(t, func(t *testing.T) {
		base := heap()
		start := time.Now()
		r := NewRecorder(series, shards, start)
		r.OnHarvest(func(*Harvest) {})
		for s := range shards {
			sh := r.Shard(s)
			for i := range series {
				for _, rt := range quantiles {
					sh.Record(i, start, Sample{RT: rt, Status: 200})
				}
			}
		}
		fixed := heap() - base
		for k := range seconds {
			for i := range series {
				r.Shard(k+i).Record(i, time.Now(), Sample{RT: quantiles[(k+i)%len(quantiles)], Status: 200})
			}
			time.Sleep(time.Second)
			r.Tick(time.Now().Add(100*time.Millisecond), 10)
		}
		running := heap() - base
		cs := r.Finish("c", time.Now())
		r = nil // its shards go; the finished case keeps its seconds
		finished := heap() - base
		runtime.KeepAlive(cs)
		perCell := float64(fixed) / float64(names*shards)
		perSecond := float64(running-fixed) / float64(seconds*(names+1))
		t.Logf("%d series × %d shards: %.1f MB fixed (%.1f KB per series and shard), %.1f MB after an hour running (%.1f B per series-second), %.1f MB finished",
			names, shards, mb(fixed), perCell/1024, mb(running), perSecond, mb(finished))
		if want := 48 * 1024.0; perCell > want {
			t.Errorf("a series costs %.1f KB per shard, want at most %.0f KB", perCell/1024, want/1024)
		}
		// 64 B per record, the second's coarse histogram (8 B of index,
		// up to twice that while it grows, and its few bytes: one sample
		// here), the blocks, the logs' first chunks.
		if perSecond > 64+16+8 {
			t.Errorf("a series keeps %.1f B per second, want 64 and at most 24 of histogram and blocks", perSecond)
		}
		// The finished case keeps its seconds and each series' one HDR
		// histogram (184 KB), not the shards.
		if finished > running-fixed/2 {
			t.Errorf("the finished case keeps %.1f MB of the %.1f MB the running one did: its shards are still referenced", mb(finished), mb(running))
		}
		if limit := int64(1100) << 20; running > limit {
			t.Errorf("the case keeps %.1f MB after an hour, want at most %.0f MB", mb(running), mb(limit))
		}
	})
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// normalQuantile is the standard normal distribution's q-th quantile, by
// bisection of its CDF.
func normalQuantile(q float64) float64 {
	lo, hi := -10.0, 10.0
	for range 100 {
		mid := (lo + hi) / 2
		if 0.5*math.Erfc(-mid/math.Sqrt2) < q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
