package reporters

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// The report's curves are every series' seconds, as columns: the case's
// row, its requests, transactions and passes; failures only for the
// outcomes that happened; times null in a second without samples.
func TestCurves(t *testing.T) {
	run := shopRun()
	item := run.Cases[0].Stats.Series[0]
	item.Seconds[2].Max, item.Seconds[2].P99 = 300000, 296000
	rep, doc := reportJSON(t, run)
	cv := rep.Result.Perfcase.Curves
	if cv.Step != 1 || len(cv.Cases) != 1 {
		t.Fatalf("curves: step %d, %d cases", cv.Step, len(cv.Cases))
	}
	if err := cv.Check([]string{"browse"}); err != nil {
		t.Fatal(err)
	}
	c := cv.Cases[0]
	if c.Case != "browse" || c.Start != t0.UnixMilli() || c.End != t0.Add(4*time.Second).UnixMilli() || fmt.Sprint(c.VUs) != "[2 4 4 4]" {
		t.Errorf("case curves: %s %d %d %v", c.Case, c.Start, c.End, c.VUs)
	}
	var kinds []string
	for _, s := range c.Series {
		kinds = append(kinds, s.Kind+" "+s.Name)
	}
	if want := []string{"case browse", "request item", "request login", "transaction checkout", "passes browse"}; !slices.Equal(kinds, want) {
		t.Errorf("series %q, want %q", kinds, want)
	}
	it := c.Find(output.CurveRequest, "item")
	if fmt.Sprint(it.Count) != "[2 3 3 1]" || fmt.Sprint(it.Failures) != "map[check_failed:[0 0 0 1] timeout:[0 0 1 0]]" ||
		fmt.Sprint(it.RTSum) != "[20 30 340 20]" || fmt.Sprint(it.Sent) != "[200 300 300 100]" || fmt.Sprint(it.Recv) != "[2000 3000 2000 500]" ||
		it.RTMax[2] != 300 || it.TP99[2] != 296 || fmt.Sprint(it.Ranges) != fmt.Sprint(item.Ranges[:]) || it.Hists != "" {
		t.Errorf("item's curves: %+v", *it)
	}
	// The case's row is its requests taken together, as its report row.
	cr := c.Series[0]
	if fmt.Sprint(cr.Count) != "[3 4 4 2]" || fmt.Sprint(cr.Failures) != "map[check_failed:[0 0 0 1] refused:[0 0 0 1] timeout:[0 0 1 0]]" {
		t.Errorf("the case's curves: %v %v", cr.Count, cr.Failures)
	}
	var total int64
	for _, n := range cr.Count {
		total += n
	}
	if perf := rep.Result.Cases[0].Detail.Performance; float64(total) != *perf.Requests {
		t.Errorf("the case's curves count %d requests, its row %v", total, *perf.Requests)
	}
	// A series without samples in a second has no times there; one that
	// never failed has no failure column.
	empty := shopRun()
	empty.Cases[0].Stats.Series[2].Seconds[1] = metrics.Second{VUs: 4}
	rep2, _ := reportJSON(t, empty)
	co := rep2.Result.Perfcase.Curves.Cases[0].Find(output.CurveTransaction, "checkout")
	if !math.IsNaN(co.RTMax[1]) || !math.IsNaN(co.TP99[1]) || co.RTSum[1] != 0 || len(co.Failures) != 0 || co.Count[1] != 0 {
		t.Errorf("an empty second: %+v", *co)
	}
	var buf bytes.Buffer
	WriteJSON(&buf, finished(empty))
	js := buf.Bytes()[bytes.LastIndex(buf.Bytes(), []byte(`"name": "checkout"`)):]
	if !bytes.Contains(js, []byte(`"tp99": [0,null,0,0]`)) || !bytes.Contains(js, []byte(`"failures": {}`)) {
		t.Errorf("an empty second is not null, or no failures not {}:\n%.400s", js)
	}
	pc := doc["result"].(map[string]any)["perfcase"].(map[string]any)
	if got, want := keys(pc["curves"]), []string{"cases", "step"}; !slices.Equal(got, want) {
		t.Errorf("curves keys %v", got)
	}
	cc := pc["curves"].(map[string]any)["cases"].([]any)[0]
	if got, want := keys(cc), []string{"case", "end", "series", "start", "vus"}; !slices.Equal(got, want) {
		t.Errorf("curves.cases[0] keys %v", got)
	}
	if got, want := keys(cc.(map[string]any)["series"].([]any)[0]), sorted([]string{"kind", "name", "together", "count", "failures", "rt_sum", "rt_max", "tp99",
		"sent", "recv", "ranges", "hists", "hist", "totals"}); !slices.Equal(got, want) {
		t.Errorf("curves.cases[0].series[0] keys %v", got)
	}
}

// Folding adds a bucket's counts, sums and bytes, keeps its highest
// second's longest time and tp99, and averages its VUs; the last bucket
// may be shorter.
func TestCurvesFold(t *testing.T) {
	const secs = 2*MaxChartPoints - 1 // 90 minutes less a second: buckets of 2 s, the last of one
	run := synthRun(secs, 3)
	rep := report(run)
	cv := rep.Result.Perfcase.Curves
	if cv.Step != 2 {
		t.Fatalf("step %d, want 2", cv.Step)
	}
	if err := cv.Check([]string{"shop"}); err != nil {
		t.Fatal(err)
	}
	c := cv.Cases[0]
	st := run.Cases[0].Stats.Series[0]
	s := c.Find(output.CurveRequest, st.Name)
	if s.Buckets() != (secs+1)/2 || len(c.VUs) != s.Buckets() {
		t.Fatalf("%d buckets, vus %d", s.Buckets(), len(c.VUs))
	}
	var n, timeouts int64
	for b := range s.Buckets() {
		lo, hi := 2*b, min(2*b+2, secs)
		var count, vus int64
		var maxP99 metrics.Micros
		for _, sec := range st.Seconds[lo:hi] {
			count += int64(sec.Count)
			vus += int64(sec.VUs)
			maxP99 = max(maxP99, sec.P99)
		}
		if s.Count[b] != count || c.VUs[b] != round(float64(vus)/float64(hi-lo), 2) || s.TP99[b] != millis3(maxP99.Duration()) {
			t.Fatalf("bucket %d: count %d, vus %v, tp99 %v; want %d, %v, %v", b, s.Count[b], c.VUs[b], s.TP99[b], count, float64(vus)/float64(hi-lo), millis3(maxP99.Duration()))
		}
		n += s.Count[b]
		timeouts += s.Failures["timeout"][b]
	}
	if n != st.Count || timeouts != st.Outcomes[metrics.Timeout] {
		t.Errorf("the buckets count %d samples and %d timeouts, the series %d and %d", n, timeouts, st.Count, st.Outcomes[metrics.Timeout])
	}
}

// The bucket width: the shortest that keeps a series within 45 minutes
// of seconds and the whole report within MaxCurvePoints.
func TestFoldStep(t *testing.T) {
	for _, c := range []struct{ n, series, want int }{
		{0, 5, 1}, {5, 3, 1}, {2700, 1, 1}, {2701, 1, 2}, {7200, 1, 3}, {2700, 37, 1}, {2700, 38, 2},
		{3600, 202, 10}, {3600, 1002, 60}, {86400, 1, 60}, {10 * 86400, 10000, 3600},
	} {
		if got := foldStep(c.n, c.series); got != c.want {
			t.Errorf("foldStep(%d s, %d series) = %d, want %d", c.n, c.series, got, c.want)
		}
	}
}

// A one-hour run of 200 requests: its curves fold into buckets of 10 s
// and the report stays a few megabytes.
func TestCurvesSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a one-hour run")
	}
	run := synthRun(3600, 200)
	spreadHists(run)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, finished(run)); err != nil {
		t.Fatal(err)
	}
	var rep output.Report
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	cv := rep.Result.Perfcase.Curves
	start := bytes.Index(buf.Bytes(), []byte(`"curves": {`))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(buf.Bytes())
	zw.Close()
	hists := 0
	for _, sc := range cv.Cases[0].Series {
		hists += len(sc.Hists) + len(sc.Hist)
	}
	t.Logf("a one-hour run of 200 requests: report %d bytes (%d gzipped), of which curves %d (step %d s, %d buckets), histograms %d",
		buf.Len(), gz.Len(), buf.Len()-start, cv.Step, cv.Cases[0].Series[0].Buckets(), hists)
	if cv.Step != 10 || buf.Len() > 8_000_000 || hists == 0 {
		t.Errorf("step %d, %d bytes, %d of histograms; want 10 s and at most 8 MB", cv.Step, buf.Len(), hists)
	}
}

// spreadHists gives every series of a run each second's coarse histogram,
// its samples spread as a real target's response times spread (log-normal,
// σ 0.35, about each second's mean), so that a report's size counts what
// its histograms take in a real run.
func spreadHists(run *metrics.Run) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range run.Cases {
		for _, s := range c.Stats.Series {
			s.SecondHists = &metrics.CoarseLog{}
			for _, sec := range s.Seconds {
				var h metrics.Coarse
				if sec.Count > 0 {
					mean := float64(sec.RTSum/time.Microsecond) / float64(sec.Count)
					for range sec.Count {
						us := int64(mean * math.Exp(0.35*rng.NormFloat64()-0.06))
						h[metrics.CoarseBucket(us)]++
					}
				}
				s.SecondHists.Append(&h)
			}
		}
		var reqs []*metrics.Stats
		for _, s := range c.Stats.Series {
			if s.Kind == metrics.KindRequest {
				reqs = append(reqs, s)
			}
		}
		c.Stats.Requests = metrics.Merge(c.Stats.Name, metrics.KindCase, reqs...)
	}
}
