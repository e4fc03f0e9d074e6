package reporters

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
)

func renderHTML(t *testing.T, r *output.Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, &output.Finished{Report: r}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// pageData decodes the chart data the page's script reads.
func pageData(t *testing.T, page string) *chartData {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script>var PERFCASE = (.*?);</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page has no PERFCASE data")
	}
	var raw struct {
		X      []*float64            `json:"x"`
		Start  float64               `json:"start"`
		Offset string                `json:"offset"`
		Step   int                   `json:"step"`
		Series map[string][]*float64 `json:"series"`
		TP99   []struct {
			Case   string     `json:"case"`
			Values []*float64 `json:"values"`
		} `json:"tp99"`
		Markers []chartMarker             `json:"markers"`
		Ranges  *struct{ Names []string } `json:"ranges"`
	}
	if err := json.Unmarshal([]byte(m[1]), &raw); err != nil {
		t.Fatalf("PERFCASE is not JSON: %v\n%.300s", err, m[1])
	}
	cd := &chartData{Start: raw.Start, Offset: raw.Offset, Step: raw.Step, Markers: raw.Markers, Series: map[string]chartSeries{}}
	unbox := func(p []*float64) chartSeries {
		s := make(chartSeries, len(p))
		for i, v := range p {
			s[i] = math.NaN()
			if v != nil {
				s[i] = *v
			}
		}
		return s
	}
	cd.X = unbox(raw.X)
	for k, v := range raw.Series {
		cd.Series[k] = unbox(v)
	}
	for _, c := range raw.TP99 {
		cd.TP99 = append(cd.TP99, chartCaseSeries{Case: c.Case, Values: unbox(c.Values)})
	}
	if raw.Ranges != nil {
		cd.Ranges = &chartRanges{Names: raw.Ranges.Names}
	}
	return cd
}

func TestHTMLReport(t *testing.T) {
	page := renderHTML(t, report(probeRun()))
	for _, want := range []string{
		`<div class="badge" id="verdict">STOPPED BY SLA</div>`,
		"run stopped by SLA rule slow-item",
		"examples/shop.yaml",
		// Cases, requests, transactions.
		"<h3>browse", "<h3>search", `<td class="name">item</td>`, `<td class="name">login</td>`,
		`<td class="name">checkout</td><td>transaction</td>`, `<td class="name">find</td>`,
		// KPIs with threshold and observed value, escaped.
		"<code>success_rate &gt;= 95</code></td><td class=\"num\">95%</td><td class=\"num\">77.78%</td>",
		"<td>item</td><td><code>avg_rt &lt; 40ms</code></td><td class=\"num\">40 ms</td><td class=\"num\">45.56 ms</td>",
		`<td class="mark">FAIL</td>`, `<td class="mark">PASS</td>`,
		// A checkpoint's verdict on its cell.
		`class="num fail" data-v="45.556" title="checkpoint failed, threshold 40"`,
		// Errors, probing, regulation, stages.
		"dial tcp 127.0.0.1:8080: connect: connection refused",
		"avg_rt &lt; 40ms (observed 41.2 ms)",
		"the rate stopped rising",
		"control 127.0.0.1:6565",
		"<td>checkout</td><td class=\"num\">12</td><td class=\"num\">1</td>",
		"<td>browse</td><td>warm</td><td>concurrency_mode</td><td>10:00:00</td><td>10:00:01</td>",
		// The charts, the library and its licence, all inside.
		`data-chart="tps"`, `data-chart="avg"`, `data-chart="vus"`, `data-chart="bandwidth"`, `data-chart="outcomes"`, `data-chart="ranges"`,
		"var uPlot=", "Copyright (c) 2022 Leon Sorokin", `setAttribute("data-rendered", "ok")`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// Nothing is fetched: no script, style or image from elsewhere.
	for _, bad := range []string{`src="http`, `href="http`, `src='http`, `href='http`, "<link", "<script src", "@import", "url(http"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page loads something from outside: %s", bad)
		}
	}
	cd := pageData(t, page)
	if len(cd.X) != 4 || cd.Step != 1 || cd.Offset != "+08:00" {
		t.Errorf("x %v step %d offset %s, want four seconds, step 1, +08:00", cd.X, cd.Step, cd.Offset)
	}
	// X reads the run's wall clock as UTC: 10:00:00.
	if got := time.Unix(int64(cd.X[0]), 0).UTC().Format("15:04:05"); got != "10:00:00" || cd.Start != cd.X[0] {
		t.Errorf("the first point is at %s (start %v, x %v), want 10:00:00", got, cd.Start, cd.X[0])
	}
	for _, k := range []string{"tps", "avg", "vus", "rec", "sent", "success", "error", "timeout", "refused", "check", "parse", "other"} {
		if len(cd.Series[k]) != 4 {
			t.Errorf("series %s has %d points, want 4", k, len(cd.Series[k]))
		}
	}
	var labels []string
	for _, m := range cd.Markers {
		labels = append(labels, m.Kind+":"+m.Label)
	}
	want := "stage:browse/warm, search/steps stage:browse/load peak:browse/peak, search/peak sla:SLA errors sla:SLA slow-item"
	if strings.Join(labels, " ") != want {
		t.Errorf("markers %q,\nwant %q", strings.Join(labels, " "), want)
	}
	if cd.Ranges == nil || len(cd.Ranges.Names) != len(metrics.RangeNames) {
		t.Errorf("ranges %+v", cd.Ranges)
	}
	if again := renderHTML(t, report(probeRun())); again != page {
		t.Error("the same report renders differently twice")
	}
}

func TestHTMLVerdicts(t *testing.T) {
	kpis := func(pass ...bool) []output.PerfcaseKPI {
		var k []output.PerfcaseKPI
		for _, p := range pass {
			k = append(k, output.PerfcaseKPI{Pass: p})
		}
		return k
	}
	sla := []output.PerfcaseSLATrigger{{Rule: "slow"}}
	for _, c := range []struct {
		pc                      output.PerfcaseInfo
		badge, css, wantPhrases string
	}{
		{output.PerfcaseInfo{Status: "completed", Passed: true, KPIs: kpis(true, true)}, "PASSED", "pass", "all 2 checkpoints passed"},
		{output.PerfcaseInfo{Status: "completed", KPIs: kpis(true, false, false)}, "FAILED", "fail", "2 of 3 checkpoints failed"},
		{output.PerfcaseInfo{Status: "completed", KPIs: kpis(true), SLATriggers: sla}, "FAILED", "fail", "all 1 checkpoint passed, but 1 SLA trigger failed the run"},
		{output.PerfcaseInfo{Status: "completed", SLATriggers: sla}, "FAILED", "fail", "1 SLA trigger failed the run"},
		{output.PerfcaseInfo{Status: "completed", KPIs: kpis(false), SLATriggers: sla}, "FAILED", "fail", "1 of 1 checkpoint failed, and 1 SLA trigger"},
		{output.PerfcaseInfo{Status: "completed", Passed: true}, "NO CHECKPOINTS", "none", "no checkpoints"},
		{output.PerfcaseInfo{Status: "interrupted", Passed: true, Reason: "interrupted by a signal"}, "INTERRUPTED", "warn", "run interrupted: interrupted by a signal"},
		{output.PerfcaseInfo{Status: "aborted", Reason: "boom"}, "ABORTED", "fail", "run aborted: boom"},
		{output.PerfcaseInfo{Status: "stopped_by_sla", SLATriggers: []output.PerfcaseSLATrigger{{Rule: "a"}, {Rule: "b", Stopped: true}}}, "STOPPED BY SLA", "fail", "run stopped by SLA rule b"},
		{output.PerfcaseInfo{}, "REPORT", "none", "no perfcase verdict"},
	} {
		badge, css, sentence := htmlVerdict(&c.pc)
		if badge != c.badge || css != c.css || !strings.Contains(sentence, c.wantPhrases) {
			t.Errorf("%+v: %s %s %q, want %s %s %q", c.pc, badge, css, sentence, c.badge, c.css, c.wantPhrases)
		}
	}
	// A case of which not one request succeeded fails the page, as it
	// makes 'perfcase run' exit 3, even with every checkpoint passed.
	run := shopRun()
	run.Cases[0].KPIs = run.Cases[0].KPIs[:1]
	run.Cases[0].KPIs[0].Pass = true
	for _, s := range run.Cases[0].Stats.Series {
		s.Outcomes[metrics.Other] += s.Outcomes[metrics.Success]
		s.Outcomes[metrics.Success] = 0
	}
	if page := renderHTML(t, report(run)); !strings.Contains(page, `<header class="verdict fail">`) ||
		!strings.Contains(page, "case browse: not one request succeeded; the target looks unusable") {
		t.Error("a case without one success does not fail the page")
	}
	page := renderHTML(t, report(shopRun()))
	if !strings.Contains(page, `<header class="verdict fail">`) || !strings.Contains(page, "3 of 6 checkpoints failed") ||
		!strings.Contains(page, `<span class="pill fail">failed</span>`) {
		t.Error("shopRun's page does not say that 3 of 6 checkpoints failed")
	}
}

// Every name and message is text, never markup, in the tables and in the
// chart data alike.
func TestHTMLEscapes(t *testing.T) {
	run := probeRun()
	evil := "<script>alert(1)</script>"
	c := run.Cases[0]
	c.Stats.Series[0].Name = evil
	c.Stats.Series[0].Errors[0].Message = `<img src=x onerror="alert(2)">`
	c.Stages[0].Name = "</script><b>stage"
	c.KPIs[3].Series = evil
	run.Name = `"quoted" & <b>bold</b>`
	page := renderHTML(t, report(run))
	for _, bad := range []string{evil, "<img src=x", "</script><b>", "<b>bold</b>"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %s unescaped", bad)
		}
	}
	for _, want := range []string{
		`<td class="name">&lt;script&gt;alert(1)&lt;/script&gt;</td>`,
		"&lt;img src=x onerror=&#34;alert(2)&#34;&gt;",
		"<h1>&#34;quoted&#34; &amp; &lt;b&gt;bold&lt;/b&gt;</h1>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks the escaped %s", want)
		}
	}
	if cd := pageData(t, page); !strings.Contains(cd.Markers[0].Label, "</script><b>stage") {
		t.Errorf("the stage's marker reads %q", cd.Markers[0].Label)
	}
}

func TestHTMLDownsample(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7}
	if got := downsampleMean(s, 7, 3); fmt.Sprint(got) != "[2 5 7]" {
		t.Errorf("downsample by 3: %v", got)
	}
	// A series shorter than the run has no value past its end.
	if got := downsampleMean(s[:4], 7, 3); fmt.Sprint(got) != "[2 4 NaN]" {
		t.Errorf("a short series: %v", got)
	}
	// An average weighs each second by its requests; a bucket without
	// requests has none.
	avg, tps := []float64{10, 40, 0, 0, 5}, []float64{3, 1, 0, 0, 2}
	if got := downsampleWeighted(avg, tps, 5, 2); fmt.Sprint(got) != "[17.5 NaN 5]" {
		t.Errorf("weighted: %v", got)
	}
	if got := downsampleWeighted(avg, tps, 5, 1); fmt.Sprint(got) != "[10 40 NaN NaN 5]" {
		t.Errorf("weighted by 1: %v", got)
	}
	for _, c := range []struct{ n, step int }{{1, 1}, {2700, 1}, {2701, 2}, {5400, 2}, {5401, 3}, {7200, 3}, {8101, 5}, {86400, 60}} {
		xs, step := chartTimes(nil, c.n, 0, "+00:00")
		if step != c.step || len(xs) != (c.n+step-1)/step || len(xs) > MaxChartPoints {
			t.Errorf("%d seconds: step %d, %d points; want step %d", c.n, step, len(xs), c.step)
		}
	}
	// A second without a time stamp follows the one before.
	xs, _ := chartTimes([]string{"1000", "bad"}, 3, 0, "+01:00")
	if fmt.Sprint(xs) != "[3601 3602 3603]" {
		t.Errorf("times %v", xs)
	}
}

// Each case's tp99 lands on the run's seconds from the case's start; a
// bucket's is its highest second's.
func TestHTMLCaseTP99(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	res := &output.RunResult{
		ReportInfo: perftest.ReportInfo{Outline: &perftest.ReportoutlineInfo{StartTime: str("2024-03-01T10:00:00+08:00")}},
		Cases: []perftest.CaseReportDetailResult{
			{Detail: &perftest.CaseReportDetails{Performance: &perftest.CaseReportDetail{StartTime: str("2024-03-01T10:00:00+08:00")}}},
			{Detail: &perftest.CaseReportDetails{Performance: &perftest.CaseReportDetail{StartTime: str("2024-03-01T10:00:02+08:00")}}},
		},
		Perfcase: output.PerfcaseInfo{Cases: []output.PerfcaseCase{
			{Case: "a", TP99PerSecond: []*float64{v(7), v(8)}},
			{Case: "b", TP99PerSecond: []*float64{v(1), nil, v(3), v(2), v(5), v(9), v(9)}},
		}},
	}
	got := chartTP99(res, 8, 1)
	if len(got) != 2 || fmt.Sprint(got[0].Values) != "[7 8 NaN NaN NaN NaN NaN NaN]" || fmt.Sprint(got[1].Values) != "[NaN NaN 1 NaN 3 2 5 9]" {
		t.Errorf("per second: %+v", got)
	}
	got = chartTP99(res, 8, 3)
	if fmt.Sprint(got[0].Values) != "[8 NaN NaN]" || fmt.Sprint(got[1].Values) != "[1 3 9]" {
		t.Errorf("by 3: %+v", got)
	}
}

// synthRun is a run of one case, "shop", over secs seconds with nreq
// requests and a transaction: VUs ramp up over the first quarter, hold,
// then double for the last quarter, where response times climb and
// timeouts appear. Its statistics are built directly, one histogram entry
// per request and second, as a Recorder would sum them.
func synthRun(secs, nreq int) *metrics.Run {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2024, 3, 1, 9, 30, 0, 0, time.FixedZone("", 8*3600))
	ramp, spike := secs/4, secs*3/4
	vus := make([]int, secs)
	for k := range vus {
		switch {
		case k < ramp:
			vus[k] = 1 + 99*k/ramp
		case k < spike:
			vus[k] = 100
		default:
			vus[k] = 200
		}
	}
	newStats := func(name string, kind metrics.Kind) *metrics.Stats {
		return &metrics.Stats{Name: name, Kind: kind, Seconds: make([]metrics.Second, secs),
			Hist: hdrhistogram.New(1, 3600000000, 3), Min: time.Hour}
	}
	// parts are the samples of the second being built, for its tp99.
	type part struct {
		rt time.Duration
		n  int64
	}
	var parts []part
	quantile := func(ps []part, count uint32) metrics.Micros {
		ps = slices.SortedFunc(slices.Values(ps), func(a, b part) int { return cmp.Compare(a.rt, b.rt) })
		var seen int64
		for _, p := range ps {
			if seen += p.n; float64(seen) >= 0.99*float64(count) {
				return metrics.Micros(p.rt / time.Microsecond)
			}
		}
		return 0
	}
	// With a few requests, the case's tp99 per second is taken over all
	// of them, as the recorder does; with many, it is the highest
	// request's, which metrics.Merge gives, to keep the test light.
	var caseParts [][]part
	if nreq <= 8 {
		caseParts = make([][]part, secs)
	}
	p99 := func(s *metrics.Stats, k int) {
		s.Seconds[k].P99 = quantile(parts, s.Seconds[k].Count)
		if caseParts != nil {
			caseParts[k] = append(caseParts[k], parts...)
		}
		parts = parts[:0]
	}
	add := func(s *metrics.Stats, k int, n int64, rt time.Duration, o metrics.Outcome, sent, recv int64) {
		if n == 0 {
			return
		}
		parts = append(parts, part{rt, n})
		s.Hist.RecordValues(rt.Microseconds(), n)
		s.Count += n
		s.Outcomes[o] += n
		if o == metrics.Success || o == metrics.CheckFailed {
			s.Status[2] += n
		}
		s.Min, s.Max = min(s.Min, rt), max(s.Max, rt)
		r := len(metrics.RangeBounds)
		for i, b := range metrics.RangeBounds {
			if rt < b {
				r = i
				break
			}
		}
		s.Ranges[r] += n
		s.Sent, s.Recv = s.Sent+n*sent, s.Recv+n*recv
		s.MaxSent, s.MaxRecv = max(s.MaxSent, sent), max(s.MaxRecv, recv)
		sec := &s.Seconds[k]
		sec.Count += uint32(n)
		sec.Outcomes[o] += uint32(n)
		sec.RTSum += time.Duration(n) * rt
		sec.Sent += n * sent
		sec.Recv += n * recv
	}
	var series []*metrics.Stats
	for j := range nreq {
		name := fmt.Sprintf("GET /api/v1/item-%03d", j)
		if nreq <= 8 {
			name = []string{"GET /", "POST /login", "GET /search?q=", "GET /item/{id}", "POST /cart", "POST /checkout", "GET /orders", "GET /logout"}[j]
		}
		s := newStats(name, metrics.KindRequest)
		base := time.Duration(8+rng.IntN(40)) * time.Millisecond
		for k := range secs {
			load := float64(vus[k])
			rt := time.Duration(float64(base) * (1 + load/150) * (0.9 + 0.2*rng.Float64()))
			n := int64(load/float64(max(nreq/4, 1))*(0.8+0.4*rng.Float64())) + 1
			if k >= spike {
				rt *= 3
			}
			add(s, k, n*6/10, rt*7/10, metrics.Success, 180, 2400)
			add(s, k, n*3/10, rt*13/10, metrics.Success, 180, 2400)
			add(s, k, n-n*9/10, rt*4, metrics.Success, 180, 2400)
			if k >= spike && rng.IntN(4) == 0 {
				add(s, k, 1, 5*time.Second, metrics.Timeout, 180, 0)
			}
			if rng.IntN(200) == 0 {
				add(s, k, 1, rt, metrics.CheckFailed, 180, 310)
			}
			p99(s, k)
		}
		s.Mean = time.Duration(s.Hist.Mean()) * time.Microsecond
		if s.Outcomes[metrics.Timeout] > 0 {
			s.Errors = append(s.Errors, metrics.ErrorCount{Outcome: metrics.Timeout, Count: s.Outcomes[metrics.Timeout],
				Message: name + ": timeout awaiting response headers after 5s"})
		}
		if s.Outcomes[metrics.CheckFailed] > 0 {
			s.Errors = append(s.Errors, metrics.ErrorCount{Outcome: metrics.CheckFailed, Count: s.Outcomes[metrics.CheckFailed],
				Message: "check status == 200 failed:\n  status is 503"})
		}
		series = append(series, s)
	}
	buy := newStats("buy", metrics.KindTransaction)
	pass := newStats("shop", metrics.KindCase)
	for k := range secs {
		n := int64(vus[k] / 10)
		add(buy, k, n, time.Duration(120+vus[k])*time.Millisecond, metrics.Success, 0, 0)
		add(pass, k, n, time.Duration(300+2*vus[k])*time.Millisecond, metrics.Success, 0, 0)
		parts = parts[:0]
	}
	for _, s := range []*metrics.Stats{buy, pass} {
		s.Mean = time.Duration(s.Hist.Mean()) * time.Microsecond
	}
	series = append(series, buy, pass)
	for _, s := range series {
		for k := range s.Seconds {
			s.Seconds[k].VUs = uint32(vus[k])
		}
	}
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	c := &metrics.CaseResult{
		Stats:     &metrics.CaseStats{Name: "shop", Start: start, End: at(secs), Series: series, MaxVUs: 200},
		Protocols: []string{"HTTP"}, Mode: "concurrency_mode",
		Stages: []metrics.StageResult{
			{Name: "ramp", Mode: "concurrency_mode", Start: at(0), End: at(ramp)},
			{Name: "steady", Mode: "concurrency_mode", Start: at(ramp), End: at(spike)},
			{Name: "spike", Mode: "concurrency_mode", Start: at(spike), End: at(secs)},
		},
	}
	c.Stats.Requests = metrics.Merge("shop", metrics.KindCase, series[:nreq]...)
	req := c.Stats.Requests
	for k, ps := range caseParts {
		req.Seconds[k].P99 = quantile(ps, req.Seconds[k].Count)
	}
	kpi := func(src, series, metric, op string, threshold, observed float64, pass bool) metrics.KPIResult {
		return metrics.KPIResult{Source: src, Series: series, Metric: metric, Op: op, Threshold: threshold, Observed: observed, Pass: pass}
	}
	sr := 100 * float64(req.Outcomes[metrics.Success]) / float64(req.Count)
	tp99 := float64(req.Percentile(99)) / float64(time.Millisecond)
	first := series[0]
	avg0 := float64(first.Mean) / float64(time.Millisecond)
	c.KPIs = []metrics.KPIResult{
		kpi("success_rate >= 99", "", "success_rate", ">=", 99, sr, sr >= 99),
		kpi("tp99 < 300ms", "", "tp99", "<", 300, tp99, tp99 < 300),
		kpi("avg_rt < 200ms", first.Name, "avg_rt", "<", 200, avg0, avg0 < 200),
	}
	return &metrics.Run{ID: "0b8e2f4c-1d2a-4b8e-9f3a-7c6d5e4f3a2b", Name: "shop-soak", Source: "scenarios/shop-soak.yaml",
		Start: start, End: at(secs), Status: metrics.Completed, Cases: []*metrics.CaseResult{c}}
}

// A two-hour run with 200 requests: its series are averaged into
// buckets, and the page stays small and quick to write.
func TestHTMLLongRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a two-hour run")
	}
	rep := report(synthRun(2*3600, 200))
	began := time.Now()
	page := renderHTML(t, rep)
	took := time.Since(began)
	t.Logf("a two-hour, 200-request report: %d KB of HTML in %v", len(page)/1000, took)
	if len(page) > 3<<20 {
		t.Errorf("the page is %d bytes, over 3 MiB", len(page))
	}
	if took > 5*time.Second {
		t.Errorf("writing the page took %v", took)
	}
	cd := pageData(t, page)
	if cd.Step != 3 || len(cd.X) != 2400 {
		t.Errorf("step %d, %d points; want 3 and 2400", cd.Step, len(cd.X))
	}
	for k, s := range cd.Series {
		if len(s) != len(cd.X) {
			t.Errorf("series %s has %d points, x %d", k, len(s), len(cd.X))
		}
	}
	// A bucket is the mean of its seconds.
	tps := rep.Result.Brokens.TpsBrokens.TPS
	if want := (tps[3] + tps[4] + tps[5]) / 3; math.Abs(cd.Series["tps"][1]-want) > 0.001 {
		t.Errorf("the second bucket's TPS is %v, want %v", cd.Series["tps"][1], want)
	}
	if len(cd.TP99) != 1 || cd.TP99[0].Case != "shop" || len(cd.TP99[0].Values) != len(cd.X) {
		t.Errorf("tp99 %+v", cd.TP99)
	}
	if cd.X[1]-cd.X[0] != 3 {
		t.Errorf("buckets are %v s apart", cd.X[1]-cd.X[0])
	}
	if n := strings.Count(page, `<tr><td class="name">GET /api/v1/item-`); n != 200 {
		t.Errorf("%d request rows, want 200", n)
	}
	if !strings.Contains(page, "each point is the mean of 3 seconds") || !strings.Contains(page, `placeholder="filter 200 requests by name"`) {
		t.Error("the page does not say its points are means, or has no filter")
	}
}

// A report of the PerfTest API itself, without perfcase's additions,
// renders from its statistics table.
func TestHTMLPerfTestAPIReport(t *testing.T) {
	data, err := os.ReadFile("../perftest/testdata/report-4.6.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var r output.Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	page := renderHTML(t, &r)
	for _, want := range []string{">REPORT<", "no perfcase verdict", `<td class="name">(all requests)</td><td>case</td>`, "2,472", "41.3/s", "99.95%"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	cd := pageData(t, page)
	if len(cd.X) == 0 || len(cd.Series["tps"]) != len(cd.X) || len(cd.Series["vus"]) != len(cd.X) {
		t.Errorf("x %d points, tps %d, vus %d", len(cd.X), len(cd.Series["tps"]), len(cd.Series["vus"]))
	}
	// An empty report renders too.
	if page := renderHTML(t, &output.Report{}); !strings.Contains(page, "The report has no case rows.") || !regexp.MustCompile(`var PERFCASE = +null +;`).MatchString(page) {
		t.Error("an empty report's page")
	}
}

// The page in a real browser: every chart draws, without a script error,
// and a screenshot shows how it reads.
func TestHTMLInBrowser(t *testing.T) {
	bin := testsupport.Chromium(t)
	dir := testsupport.Artifacts(t)
	for _, c := range []struct {
		name   string
		report *output.Report
		charts string
		shot   bool
	}{
		{"html-report", report(synthRun(20*60, 8)), "6", true},
		{"html-report-probe", report(probeRun()), "6", true},
		{"html-report-2h-200", report(synthRun(2*3600, 200)), "6", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".html")
			var buf bytes.Buffer
			if err := WriteHTML(&buf, &output.Finished{Report: c.report}); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			url := "file://" + path
			dom := testsupport.Headless(t, bin, "--virtual-time-budget=5000", "--dump-dom", url)
			html := regexp.MustCompile(`<html[^>]*>`).FindString(dom)
			if m := regexp.MustCompile(`data-error="([^"]*)"`).FindStringSubmatch(html); m != nil {
				t.Fatalf("a script error: %s", m[1])
			}
			if !strings.Contains(html, `data-rendered="ok"`) || !strings.Contains(html, `data-charts="`+c.charts+`"`) {
				t.Fatalf("the charts did not all render: %s", html)
			}
			if n := strings.Count(dom, `<div class="uplot`); n != 6 {
				t.Errorf("%d uPlot charts in the DOM, want 6", n)
			}
			if n := strings.Count(dom, "<canvas"); n < 6 {
				t.Errorf("%d canvases, want 6", n)
			}
			if !strings.Contains(dom, `class="u-legend`) {
				t.Error("the charts have no legend")
			}
			ms := regexp.MustCompile(`data-render-ms="(\d+)"`).FindStringSubmatch(html)
			t.Logf("%s: %d KB, charts drawn in %s ms", path, buf.Len()/1000, ms[1])
			if c.name == "html-report" {
				interact(t, bin, path, buf.Bytes())
				pickInBrowser(t, bin, path, buf.Bytes(), c.report)
			}
			if c.shot {
				png := filepath.Join(dir, c.name+".png")
				testsupport.Headless(t, bin, "--virtual-time-budget=5000", "--window-size=1400,3000", "--screenshot="+png, url)
				if st, err := os.Stat(png); err != nil || st.Size() < 10000 {
					t.Fatalf("no screenshot at %s: %v", png, err)
				}
				t.Logf("screenshot: %s", png)
			}
		})
	}
}

// interactScript hovers the middle of the first chart and zooms it to
// 100-400 s after the run's start, then writes what the legends show and
// each time chart's x range on <html>.
const interactScript = `<script>
setTimeout(function () {
  var over = document.querySelector(".u-over"), r = over.getBoundingClientRect();
  ["mouseenter", "mousemove"].forEach(function (t) {
    over.dispatchEvent(new MouseEvent(t, {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true}));
  });
  var first = window.perfcaseCharts[0], x0 = PERFCASE.start;
  first.setScale("x", {min: x0 + 100, max: x0 + 400});
  setTimeout(function () {
    var legend = [].map.call(document.querySelectorAll(".u-legend .u-value"), function (e) { return e.textContent; });
    document.documentElement.setAttribute("data-legend", legend.join("|"));
    document.documentElement.setAttribute("data-zoom", window.perfcaseCharts.filter(function (u) { return u._perfcaseTime; }).map(function (u) {
      return Math.round(u.scales.x.min - x0) + "-" + Math.round(u.scales.x.max - x0);
    }).join(" "));
  }, 100);
}, 100);
</script>`

// interact checks, in the browser, that hovering a chart shows its values
// and the others' at the same time, and that zooming one zooms every time
// chart.
func interact(t *testing.T, bin, path string, page []byte) {
	t.Helper()
	probe := strings.TrimSuffix(path, ".html") + "-interact.html"
	if err := os.WriteFile(probe, bytes.Replace(page, []byte("</body>"), []byte(interactScript+"</body>"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(probe)
	dom := testsupport.Headless(t, bin, "--virtual-time-budget=5000", "--window-size=1400,3000", "--dump-dom", "file://"+probe)
	html := regexp.MustCompile(`<html[^>]*>`).FindString(dom)
	legend := regexp.MustCompile(`data-legend="([^"]*)"`).FindStringSubmatch(html)
	zoom := regexp.MustCompile(`data-zoom="([^"]*)"`).FindStringSubmatch(html)
	if legend == nil || zoom == nil {
		t.Fatalf("the interaction script did not finish: %s", html)
	}
	// The first chart's time, requests/s and failed/s, then the second's
	// time: the cursor is synchronised.
	vals := strings.Split(legend[1], "|")
	if len(vals) < 4 || !strings.Contains(vals[0], ":") || vals[1] == "—" || vals[3] != vals[0] {
		t.Errorf("hovering shows %q", vals)
	}
	if zoom[1] != "100-400 100-400 100-400 100-400 100-400" {
		t.Errorf("after zooming the first chart, the charts' x ranges are %s", zoom[1])
	}
}

// pickScript picks the request "POST /login" (series 2 of case 0: after
// the case's row and "GET /"), then writes on <html> what the
// throughput and response-time charts hold, then picks the whole run
// again and writes how many points the throughput chart has.
const pickScript = `<script>
function perfcaseChart(key) {
  return window.perfcaseCharts.filter(function (u) { return u.root.parentNode.getAttribute("data-chart") === key; })[0];
}
setTimeout(function () {
  var sel = document.getElementById("series-pick"), root = document.documentElement;
  sel.value = "0:2";
  sel.dispatchEvent(new Event("change"));
  setTimeout(function () {
    var tps = perfcaseChart("tps"), avg = perfcaseChart("avg");
    root.setAttribute("data-pick-tps", tps.data[1].join(","));
    root.setAttribute("data-pick-error", tps.data[2].join(","));
    root.setAttribute("data-pick-avg", avg.data[1].join(","));
    root.setAttribute("data-pick-tp99", avg.data[2].join(","));
    root.setAttribute("data-pick-labels", tps.series.concat(avg.series).map(function (s) { return s.label; }).join("|"));
    root.setAttribute("data-pick-caption", tps.root.closest("figure").querySelector("figcaption small").textContent);
    root.setAttribute("data-pick-canvases", document.querySelectorAll(".uplot canvas").length);
    sel.value = "";
    sel.dispatchEvent(new Event("change"));
    setTimeout(function () { root.setAttribute("data-unpick-x", perfcaseChart("tps").data[0].length); }, 50);
  }, 100);
}, 100);
</script>`

// pickInBrowser checks, in the browser, that picking a request redraws
// the throughput and response-time charts with that request's curves
// from the report (step 1: its count, failures, average and tp99 of each
// second), and that picking the whole run again brings the run's back.
func pickInBrowser(t *testing.T, bin, path string, page []byte, rep *output.Report) {
	t.Helper()
	probe := strings.TrimSuffix(path, ".html") + "-pick.html"
	if err := os.WriteFile(probe, bytes.Replace(page, []byte("</body>"), []byte(pickScript+"</body>"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(probe)
	dom := testsupport.Headless(t, bin, "--virtual-time-budget=5000", "--window-size=1400,3000", "--dump-dom", "file://"+probe)
	html := regexp.MustCompile(`<html[^>]*>`).FindString(dom)
	if m := regexp.MustCompile(`data-error="([^"]*)"`).FindStringSubmatch(html); m != nil {
		t.Fatalf("a script error: %s", m[1])
	}
	attr := func(name string) string {
		m := regexp.MustCompile(name + `="([^"]*)"`).FindStringSubmatch(html)
		if m == nil {
			t.Fatalf("the pick script did not write %s: %s", name, html)
		}
		return m[1]
	}
	cv := rep.Result.Perfcase.Curves
	s := cv.Cases[0].Find(output.CurveRequest, "POST /login")
	if cv.Step != 1 || s == nil || attr("data-picked") != "" {
		t.Fatalf("step %d, series %v", cv.Step, s)
	}
	values := func(name string) []float64 {
		var out []float64
		for _, f := range strings.Split(attr(name), ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				v = math.NaN()
			}
			out = append(out, v)
		}
		return out
	}
	near := func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 0.0015 }
	tps, errs, avg, tp99 := values("data-pick-tps"), values("data-pick-error"), values("data-pick-avg"), values("data-pick-tp99")
	if len(tps) != s.Buckets() || len(avg) != s.Buckets() {
		t.Fatalf("the picked charts have %d and %d points, the request %d buckets", len(tps), len(avg), s.Buckets())
	}
	for k := range s.Buckets() {
		wantAvg := math.NaN()
		if s.Count[k] > 0 {
			wantAvg = s.RTSum[k] / float64(s.Count[k])
		}
		if !near(tps[k], float64(s.Count[k])) || !near(errs[k], float64(s.Failed(k))) || !near(avg[k], wantAvg) || !near(tp99[k], s.TP99[k]) {
			t.Fatalf("second %d: the charts show %v/s, %v failed/s, avg %v, tp99 %v; the request's curves %d, %d, %v, %v",
				k, tps[k], errs[k], avg[k], tp99[k], s.Count[k], s.Failed(k), wantAvg, s.TP99[k])
		}
	}
	if got := attr("data-pick-labels"); got != "time|requests/s|failed/s|time|avg ms|tp99 ms" {
		t.Errorf("the picked charts' series: %s", got)
	}
	if got := attr("data-pick-caption"); got != "request POST /login (case shop)" {
		t.Errorf("the throughput chart's caption: %q", got)
	}
	if n, _ := strconv.Atoi(attr("data-pick-canvases")); n < 6 {
		t.Errorf("%d canvases after picking, want 6", n)
	}
	if got, want := attr("data-unpick-x"), strconv.Itoa(len(rep.Result.Brokens.CommonTimeStamps)); got != want {
		t.Errorf("back to the whole run, the throughput chart has %s points, want %s", got, want)
	}
}

// The embedded chart library is the version fetch.sh pins and the README
// names, with its licence.
func TestHTMLAssets(t *testing.T) {
	script, err := os.ReadFile("assets/fetch.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^VERSION=(\S+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("fetch.sh pins no VERSION")
	}
	version := string(m[1])
	if !strings.HasPrefix(uplotJS, "/*! https://github.com/leeoniya/uPlot (v"+version+") */") {
		t.Errorf("the embedded uPlot is not %s: %.60s", version, uplotJS)
	}
	readme, err := os.ReadFile("assets/README.md")
	if err != nil || !strings.Contains(string(readme), "uPlot) "+version+",") {
		t.Errorf("assets/README.md does not name uPlot %s", version)
	}
	if !strings.Contains(uplotLicense, "The MIT License") || !strings.Contains(uplotCSS, ".uplot") {
		t.Error("the licence or the stylesheet is not uPlot's")
	}
	// The script must not end the <script> element it is embedded in.
	for name, src := range map[string]string{"uPlot": uplotJS, "html.js": htmlJS} {
		if strings.Contains(strings.ToLower(src), "</script") || strings.Contains(src, "<!--") {
			t.Errorf("%s holds </script or <!--", name)
		}
	}
}

func TestHTMLFormats(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	for _, c := range []struct{ got, want string }{
		{htmlGroup(1234567.891, 2), "1,234,567.89"}, {htmlGroup(-1234, 0), "-1,234"}, {htmlGroup(999, 0), "999"},
		{htmlMS(v(3.14159)), "3.14"}, {htmlMS(v(123.45)), "123.5"}, {htmlMS(v(12345.6)), "12,346"}, {htmlMS(nil), "—"},
		{htmlRate(v(2.5)), "2.50/s"}, {htmlRate(v(1234.6)), "1,235/s"}, {htmlPct(v(99.5)), "99.50%"},
		{htmlDuration(v(4.04)), "4 s"}, {htmlDuration(v(59.94)), "59.9 s"}, {htmlDuration(v(1200)), "20m 00s"},
		{htmlDuration(v(7265)), "2h 01m 05s"},
		{htmlClock("2024-03-01T10:00:02+08:00"), "10:00:02"},
		{htmlPeriod(str("2024-03-01T23:59:00+08:00"), str("2024-03-02T00:01:00+08:00")), "2024-03-01 23:59:00 – 2024-03-02 00:01:00 (UTC+08:00)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// The last second of a run is only as long as the run's end left it: its
// counts are not a rate, and would draw a false cliff. Rate charts leave
// it out; the VU chart keeps it; a run shorter than a second plots its
// one point as a rate.
func TestHTMLRateChartsLeavePartialLastSecondOut(t *testing.T) {
	run := synthRun(4, 1)
	run.End = run.Start.Add(3200 * time.Millisecond)
	run.Cases[0].Stats.End = run.End
	cd := pageData(t, renderHTML(t, report(run)))
	if len(cd.X) != 4 {
		t.Fatalf("%d points, want 4", len(cd.X))
	}
	for _, k := range []string{"tps", "success", "error", "rec", "sent"} {
		s := cd.Series[k]
		if len(s) != 4 || !math.IsNaN(s[3]) || math.IsNaN(s[2]) {
			t.Errorf("%s = %v: want the partial 4th second left out, the 3rd plotted", k, s)
		}
	}
	if v := cd.Series["vus"]; len(v) != 4 || math.IsNaN(v[3]) {
		t.Errorf("vus = %v: the VUs of the last second are a level, not a rate", v)
	}

	short := synthRun(1, 1)
	short.End = short.Start.Add(500 * time.Millisecond)
	short.Cases[0].Stats.End = short.End
	count := float64(short.Cases[0].Stats.Requests.Seconds[0].Count)
	cd = pageData(t, renderHTML(t, report(short)))
	if tps := cd.Series["tps"]; len(tps) != 1 || tps[0] != count/0.5 {
		t.Errorf("a half-second run of %v requests: tps %v, want %v", count, tps, count/0.5)
	}
}

// Custom metrics and soft checks have their tables, from the report's
// perfcase object: each stat of a metric's kind, "—" for the others, and
// a soft check that did not always hold marked.
func TestHTMLCustomMetrics(t *testing.T) {
	rep := report(shopRun())
	n := func(v float64) *float64 { return &v }
	rep.Result.Perfcase.Metrics = []output.PerfcaseMetric{
		{Case: "browse", Name: "queue_ms", Type: "trend", Count: 1200, Min: n(1), Avg: n(12.5), Max: n(80), TP50: n(10), TP95: n(41.25), TP99: n(77)},
		{Case: "browse", Name: "orders", Type: "counter", Count: 10, Total: n(30), Rate: n(7.5)},
	}
	rep.Result.Perfcase.SoftChecks = []output.PerfcaseSoftCheck{{Case: "browse", Series: "item", Check: `body contains "fast"`, Passed: 3, Failed: 1}}
	page := renderHTML(t, rep)
	for _, want := range []string{
		`<a href="#custom">Custom metrics</a>`,
		`<td>browse</td><td><code>queue_ms</code></td><td>trend</td><td class="num">1,200</td><td class="num">—</td><td class="num">—</td><td class="num">—</td><td class="num">1</td><td class="num">12.5</td><td class="num">80</td><td class="num">10</td><td class="num">41.25</td><td class="num">77</td>`,
		`<td><code>orders</code></td><td>counter</td><td class="num">10</td><td class="num">30</td><td class="num">7.5/s</td>`,
		`<tr class="fail"><td>browse</td><td>item</td><td><code>body contains &#34;fast&#34;</code></td><td class="num">3</td><td class="num">1</td><td class="num">75.00%</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if page := renderHTML(t, report(shopRun())); strings.Contains(page, `id="custom"`) {
		t.Error("a run without custom metrics has their section")
	}
}
