package telemetry

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/scenario"
)

// What the live outputs cost is per second, not per request: taking a
// case's second, and answering a scrape. go test -bench . ./telemetry

// benchSecond is a second of a case of three requests, a transaction and
// its passes, each with a spread of response times.
func benchSecond() *output.Second {
	info := []metrics.SeriesInfo{{Name: "a", Kind: metrics.KindRequest}, {Name: "b", Kind: metrics.KindRequest},
		{Name: "c", Kind: metrics.KindRequest}, {Name: "t", Kind: metrics.KindTransaction}, {Name: "case", Kind: metrics.KindCase}}
	s := &output.Second{Case: "case", Harvest: metrics.Harvest{Info: info, Series: make([]metrics.Second, len(info)), Hists: make([]metrics.Coarse, len(info))}}
	for i := range info {
		s.Series[i] = metrics.Second{Count: 10000, Outcomes: [metrics.NumOutcomes]uint32{9990, 10}, RTSum: 10 * time.Second}
		for us := int64(100); us < 100000; us = us * 11 / 10 {
			s.Hists[i][metrics.CoarseBucket(us)] += 100
		}
	}
	return s
}

func BenchmarkSecond(b *testing.B) {
	st := &state{}
	st.begin(&output.Start{RunID: "r", Plan: &scenario.Plan{Name: "s"}})
	s := benchSecond()
	b.ReportAllocs()
	for b.Loop() {
		st.add(s)
	}
}

func BenchmarkScrape(b *testing.B) {
	p, err := Listen("127.0.0.1:0", 0, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.End(&output.Finished{})
	p.Start(&output.Start{RunID: "r", Plan: &scenario.Plan{Name: "s"}})
	p.Second(benchSecond())
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.Get("http://" + p.Addr() + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func BenchmarkRemoteWriteRequest(b *testing.B) {
	st := &state{}
	st.begin(&output.Start{RunID: "r", Plan: &scenario.Plan{Name: "s"}})
	st.add(benchSecond())
	b.ReportAllocs()
	for b.Loop() {
		writeRequest(st.snapshot(time.Now()), 1)
	}
}
