package metrics

import (
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// The per-second record is 64 bytes: what a series costs per second.
func TestSecondSize(t *testing.T) {
	if n := unsafe.Sizeof(Second{}); n != 64 {
		t.Errorf("a Second is %d bytes, want 64", n)
	}
}

// heap is the live heap after a collection.
func heap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// longRun records one sample per series per second for seconds seconds and
// harvests each; during is what the harvested seconds retain, per
// series-second (the case's requests taken together counting as a series).
func longRun(series []SeriesInfo, seconds int) (r *Recorder, during float64) {
	r = NewRecorder(series, 1, testStart)
	r.OnHarvest(func(*Harvest) {})
	sh := r.Shard(0)
	// The histogram's pages are the case's fixed part, not its seconds'.
	for i := range sh.cells {
		for k := range sh.cells[i].hist {
			sh.cells[i].newPage(k)
		}
	}
	before := heap()
	for k := range seconds {
		for i := range series {
			sh.Record(i, at(time.Duration(k)*time.Second+time.Duration(i)*time.Millisecond),
				Sample{RT: time.Duration(k%500+i) * time.Millisecond, Sent: 100, Recv: 1000, Status: 200})
		}
		r.Tick(at(time.Duration(k+1)*time.Second+100*time.Millisecond), 10)
	}
	return r, float64(heap()-before) / float64(seconds*(len(series)+1))
}

// finishedRun is what a finished case of that many seconds keeps, in
// bytes: its fixed part (series, histograms) and its seconds.
func finishedRun(series []SeriesInfo, seconds int) int64 {
	base := heap()
	r, _ := longRun(series, seconds)
	cs := r.Finish("c", at(time.Duration(seconds)*time.Second))
	kept := heap() - base
	runtime.KeepAlive(cs)
	return kept
}

// A long synthetic run keeps 64 bytes per series-second while it goes on
// (and the blocks that hold the records: a pointer per 64 seconds), and
// the second's coarse histogram: its place in the log (8 bytes, up to
// twice that while the log's index grows) and its compact bytes (3 here:
// one sample); a finished case keeps exactly that per series-second more
// than one a third as long: the per-second data is the records and the
// histograms, nothing else. The case's requests taken together count as
// a series: they are its report row.
func TestRetainedPerSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("a long synthetic run")
	}
	series := []SeriesInfo{{"a", KindRequest}, {"b", KindRequest}, {"c", KindRequest}, {"t", KindTransaction}, {"case", KindCase}}
	const short, long = 64 * 50, 64 * 150 // 53 minutes and 2.7 hours
	_, during := longRun(series, long)
	finished := float64(finishedRun(series, long)-finishedRun(series, short)) / float64((long-short)*(len(series)+1))
	t.Logf("kept per series-second: %.2f B while running, %.2f B finished", during, finished)
	if during > 64.5+16+3 {
		t.Errorf("a running case keeps %.2f B per series-second, want 64, the blocks' pointers and the histograms", during)
	}
	// A collection leaves a few KB of noise in 2.4 MB; the index may
	// have grown past its length.
	if finished < 64+8+3-0.25 || finished > 64+16+3+0.25 {
		t.Errorf("a finished case keeps %.2f B per series-second, want 64 and 11 to 19 of histogram", finished)
	}
}
