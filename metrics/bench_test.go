package metrics

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// benchSamples vary the response time over the histogram's magnitudes and
// the outcome, as a real run would.
var benchSamples = func() []Sample {
	s := make([]Sample, 64)
	for i := range s {
		s[i] = Sample{
			RT:     time.Duration(i*i*97+150) * time.Microsecond,
			Status: 200,
			Sent:   int64(200 + i),
			Recv:   int64(1500 + 10*i),
		}
		if i%8 == 7 {
			s[i].Outcome, s[i].Status = Timeout, 0
		}
	}
	return s
}()

var benchSeries = []SeriesInfo{{Name: "get"}, {Name: "post"}, {Name: "tx", Kind: KindTransaction}, {Name: "case", Kind: KindCase}}

func BenchmarkRecord(b *testing.B) {
	r := NewRecorder(benchSeries, 1, testStart)
	sh := r.Shard(0)
	end := at(1500 * time.Millisecond)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sh.Record(i%len(benchSeries), end, benchSamples[i%len(benchSamples)])
		i++
	}
}

// BenchmarkRecordParallel gives each goroutine its own shard, as a run
// with one shard per processor would; every goroutine records the same
// series in the same order.
func BenchmarkRecordParallel(b *testing.B) { benchParallel(b, runtime.GOMAXPROCS(0)) }

// BenchmarkRecordParallelOneShard is the worst case of contention: every
// goroutine records into the same shard.
func BenchmarkRecordParallelOneShard(b *testing.B) { benchParallel(b, 1) }

func benchParallel(b *testing.B, shards int) {
	r := NewRecorder(benchSeries, shards, testStart)
	end := at(1500 * time.Millisecond)
	var vu atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		sh := r.Shard(int(vu.Add(1)))
		i := 0
		for pb.Next() {
			sh.Record(i%len(benchSeries), end, benchSamples[i%len(benchSamples)])
			i++
		}
	})
}
