package reporters

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/perftest"
)

// The HTML report is one self-contained page: the template, its own
// stylesheet and script, and the chart library uPlot (MIT, see
// assets/README.md for its version and how assets/fetch.sh fetches it),
// all embedded so that the page opens offline, from a file or a mail
// attachment, in any browser.
var (
	//go:embed html.tmpl
	htmlSource string
	//go:embed html.css
	htmlCSS string
	//go:embed html.js
	htmlJS string
	//go:embed assets/uPlot.iife.min.js
	uplotJS string
	//go:embed assets/uPlot.min.css
	uplotCSS string
	//go:embed assets/uPlot.LICENSE
	uplotLicense string
)

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// MaxChartPoints is the most points a chart series of the HTML report
// holds: 45 minutes of seconds. A longer run's series are averaged over
// buckets of several seconds, as PerfTest down-samples its charts past 45
// minutes, so that a two-hour run's page stays small and quick.
const MaxChartPoints = 2700

// bucketSteps are the bucket lengths, in seconds, a long run's series are
// averaged over: the shortest that fits MaxChartPoints.
var bucketSteps = []int{1, 2, 3, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600}

// maxHTMLErrors is the most error messages the page lists; the report
// JSON keeps them all.
const maxHTMLErrors = 100

// WriteHTML renders a report, as PerfTestReport builds it or as a report
// JSON decodes, as one self-contained HTML page: the verdict, the
// checkpoints, each case's table of requests and transactions, charts
// over time (throughput, average and tp99 response time, VUs, bandwidth,
// outcomes) with the stages marked, the response-time distribution, the
// first error messages, what probing found and the stages that ran.
//
// It renders what the report holds and nothing else. The per-second
// series are the whole run's (result.brokens), except tp99, which is per
// case (perfcase.cases[].tp99_per_second): the report has no series per
// request. A report of the PerfTest API itself, without perfcase's
// additions, renders too, from its statistics table.
func WriteHTML(w io.Writer, r *Report) error {
	return htmlTemplate.Execute(w, newHTMLPage(r))
}

// htmlPage is what the template shows, every value formatted.
type htmlPage struct {
	Title    string
	File     string
	RunID    string
	Badge    string
	BadgeCSS string // pass, fail, warn or none
	Verdict  string
	Reason   string
	Period   string // start – end
	Tiles    []htmlTile

	KPIs     []htmlKPI
	Columns  []htmlColumn
	Cases    []htmlCase
	Errors   []htmlError
	MoreErrs int

	Peaks       []htmlPeak
	Steps       []htmlStep
	SLA         []htmlSLA
	Changes     []htmlChange
	Rendezvous  []PerfcaseRendezvous
	Connections []htmlConnections
	Stages      []htmlStage

	Ranges    []htmlRange
	Charts    *chartData
	ChartNote string

	UplotJS      template.JS
	UplotCSS     template.CSS
	UplotLicense string
	PageJS       template.JS
	PageCSS      template.CSS
}

type htmlTile struct{ Label, Value, Note string }

type htmlKPI struct {
	Case, Scope, KPI, Threshold, Observed string
	Pass                                  bool
}

type htmlColumn struct{ Head, Title string }

type htmlCase struct {
	Name     string
	Badge    string
	BadgeCSS string
	Facts    []string
	Summary  []htmlRow // the case's row, its transactions
	Requests []htmlRow
}

type htmlRow struct {
	Name, Kind string
	Cells      []htmlCell
}

// htmlCell is one number of a table: its text, its value to sort by, and
// its verdict when a checkpoint judged it.
type htmlCell struct {
	Text, Sort, CSS, Title string
}

type htmlError struct {
	Case, Series, Outcome, Count, Message string
}

type htmlPeak struct {
	Case, Stage, Time, VUs, RPS, TPS, AvgRT, SuccessRate, Reason string
}

type htmlStep struct {
	Case, Stage, Period, VUs, RPS, AvgRT, SuccessRate, Reason string
	Good                                                      bool
}

type htmlSLA struct {
	Case, Time, Rule, KPI, Requests, Observed, Action string
	Stopped                                           bool
}

type htmlChange struct {
	Case, Time, Stage, Target, By string
}

type htmlConnections struct {
	Case, Series, Opened, AvgConnect string
}

type htmlStage struct {
	Case, Name, Mode, Start, End, Length string
}

type htmlRange struct {
	Name, Count, Percent string
	Width                float64 // percent of the largest range, for the bar
}

func newHTMLPage(r *Report) *htmlPage {
	res := &r.Result
	pc := &res.Perfcase
	p := &htmlPage{
		Title:        pc.Scenario,
		File:         pc.File,
		RunID:        pc.RunID,
		Reason:       pc.Reason,
		Columns:      htmlStatColumns,
		UplotJS:      template.JS(uplotJS),
		UplotCSS:     template.CSS(uplotCSS),
		UplotLicense: uplotLicense,
		PageJS:       template.JS(htmlJS),
		PageCSS:      template.CSS(htmlCSS),
	}
	if p.Title == "" {
		p.Title = "perfcase report"
	}
	p.Badge, p.BadgeCSS, p.Verdict = htmlVerdict(pc)
	if c := htmlNoSuccess(res); c != "" && pc.Status == "completed" && p.BadgeCSS != "fail" {
		// As 'perfcase run' exits 3 for it: such a run tested nothing.
		p.Badge, p.BadgeCSS = "FAILED", "fail"
		p.Verdict = "case " + c + ": not one request succeeded; the target looks unusable"
	}
	if o := res.Outline; o != nil {
		p.Period = htmlPeriod(o.StartTime, o.EndTime)
	}
	p.Tiles = htmlTiles(res)
	for _, k := range pc.KPIs {
		scope := k.Series
		if scope == "" {
			scope = "(case)"
		}
		p.KPIs = append(p.KPIs, htmlKPI{Case: k.Case, Scope: scope, KPI: k.KPI,
			Threshold: htmlKPIValue(k.Metric, k.Threshold), Observed: htmlKPIValue(k.Metric, k.Observed), Pass: k.Pass})
	}
	p.Cases = htmlCases(res)
	for i, e := range pc.Errors {
		if i == maxHTMLErrors {
			p.MoreErrs = len(pc.Errors) - i
			break
		}
		p.Errors = append(p.Errors, htmlError{Case: e.Case, Series: e.Series, Outcome: e.Outcome,
			Count: htmlGroup(float64(e.Count), 0), Message: e.Message})
	}
	for _, c := range pc.Cases {
		if pk := c.Peak; pk != nil {
			p.Peaks = append(p.Peaks, htmlPeak{Case: c.Case, Stage: pk.Stage, Time: htmlClock(pk.Time),
				VUs: strconv.Itoa(pk.VUs), RPS: htmlRate(pk.RPS), TPS: htmlRate(pk.TPS), AvgRT: htmlMillis(pk.AvgRT),
				SuccessRate: htmlPct(pk.SuccessRate), Reason: pk.Reason})
		}
	}
	for _, s := range pc.ProbeSteps {
		p.Steps = append(p.Steps, htmlStep{Case: s.Case, Stage: s.Stage, Period: htmlClock(s.Start) + " – " + htmlClock(s.End),
			VUs: strconv.Itoa(s.VUs), RPS: htmlRate(s.RPS), AvgRT: htmlMillis(s.AvgRT), SuccessRate: htmlPct(s.SuccessRate),
			Good: s.Good, Reason: s.Reason})
	}
	for _, t := range pc.SLATriggers {
		reqs := strings.Join(t.Requests, ", ")
		if reqs == "" {
			reqs = "all"
		}
		action := "flagged"
		if t.Stopped {
			action = "stopped the run"
		}
		p.SLA = append(p.SLA, htmlSLA{Case: t.Case, Time: htmlClock(t.Time), Rule: t.Rule, KPI: t.KPI, Requests: reqs,
			Observed: htmlKPIValue(kpiMetric(t.KPI), t.Observed), Action: action, Stopped: t.Stopped})
	}
	for _, c := range pc.ManualChanges {
		p.Changes = append(p.Changes, htmlChange{Case: c.Case, Time: htmlClock(c.Time), Stage: c.Stage,
			Target: strconv.FormatFloat(c.Target, 'f', -1, 64), By: c.By})
	}
	p.Rendezvous = pc.Rendezvous
	for _, c := range pc.Connections {
		p.Connections = append(p.Connections, htmlConnections{Case: c.Case, Series: c.Series,
			Opened: htmlGroup(float64(c.Opened), 0), AvgConnect: htmlMillis(c.AvgConnectMS)})
	}
	for _, s := range pc.Stages {
		p.Stages = append(p.Stages, htmlStage{Case: s.Case, Name: s.Name, Mode: s.Mode,
			Start: htmlClock(s.Start), End: htmlClock(s.End), Length: htmlBetween(s.Start, s.End)})
	}
	p.Ranges = htmlRanges(res.RespTimeRange)
	p.Charts = newChartData(res)
	if p.Charts != nil && p.Charts.Step > 1 {
		p.ChartNote = fmt.Sprintf("The run is longer than %d minutes: each point is the mean of %d seconds (of tp99, the highest second's).", MaxChartPoints/60, p.Charts.Step)
	}
	return p
}

// htmlVerdict is the page's headline: a badge and the sentence the
// terminal summary ends with.
func htmlVerdict(pc *PerfcaseInfo) (badge, css, sentence string) {
	total, failed := len(pc.KPIs), 0
	for _, k := range pc.KPIs {
		if !k.Pass {
			failed++
		}
	}
	sla := len(pc.SLATriggers)
	switch pc.Status {
	case "":
		return "REPORT", "none", "this report carries no perfcase verdict (a PerfTest report?): see the tables"
	case "stopped_by_sla":
		for _, t := range pc.SLATriggers {
			if t.Stopped {
				return "STOPPED BY SLA", "fail", "run stopped by SLA rule " + t.Rule
			}
		}
		if pc.Reason != "" {
			return "STOPPED BY SLA", "fail", "run stopped by SLA: " + pc.Reason
		}
		return "STOPPED BY SLA", "fail", "run stopped by SLA"
	case "completed":
	default:
		sentence = "run " + pc.Status
		if pc.Reason != "" {
			sentence += ": " + pc.Reason
		}
		css = "warn"
		if !pc.Passed {
			css = "fail"
		}
		return strings.ToUpper(pc.Status), css, sentence
	}
	triggers := fmt.Sprintf("%d SLA %s", sla, plural(sla, "trigger", "triggers"))
	checkpoints := plural(total, "checkpoint", "checkpoints")
	switch {
	case total == 0 && sla == 0:
		return "NO CHECKPOINTS", "none", "the run completed; it had no checkpoints to judge"
	case total == 0:
		return "FAILED", "fail", triggers + " failed the run"
	case failed == 0 && sla == 0:
		return "PASSED", "pass", fmt.Sprintf("all %d %s passed", total, checkpoints)
	case failed == 0:
		return "FAILED", "fail", fmt.Sprintf("all %d %s passed, but %s failed the run", total, checkpoints, triggers)
	case sla == 0:
		return "FAILED", "fail", fmt.Sprintf("%d of %d %s failed", failed, total, checkpoints)
	}
	return "FAILED", "fail", fmt.Sprintf("%d of %d %s failed, and %s", failed, total, checkpoints, triggers)
}

// htmlNoSuccess names a case that sent requests of which not one
// succeeded.
func htmlNoSuccess(res *RunResult) string {
	for _, c := range res.Cases {
		if c.Detail == nil || c.Detail.Performance == nil {
			continue
		}
		d := c.Detail.Performance
		if d.Requests != nil && *d.Requests > 0 && d.SuccessCount != nil && *d.SuccessCount == 0 {
			return htmlDeref(d.Name)
		}
	}
	return ""
}

// htmlTiles are the run's headline numbers, from the outline and the cases'
// rows.
func htmlTiles(res *RunResult) []htmlTile {
	var reqs, fails float64
	var any bool
	for _, row := range htmlCaseRows(res) {
		if row.Requests != nil {
			reqs += *row.Requests
			any = true
		}
		if row.ErrorCount != nil {
			fails += *row.ErrorCount
		}
	}
	var t []htmlTile
	o := res.Outline
	if o == nil {
		o = &perftest.ReportoutlineInfo{}
	}
	t = append(t, htmlTile{"duration", htmlDuration(o.Duration), ""})
	if any {
		t = append(t, htmlTile{"requests", htmlGroup(reqs, 0), htmlGroup(fails, 0) + " failed"})
	}
	t = append(t,
		htmlTile{"throughput", htmlRate(o.TPS), "requests per second"},
		htmlTile{"avg response time", htmlMillis(o.AvgResponseTime), ""},
		htmlTile{"success rate", htmlPct(o.SuccessRate), ""},
		htmlTile{"max VUs", htmlInt(o.MaxUsers), ""})
	if k := res.Perfcase.KPIs; len(k) > 0 {
		passed := 0
		for _, x := range k {
			if x.Pass {
				passed++
			}
		}
		note := "passed"
		if st := res.Perfcase.Status; st == statusName(metrics.Interrupted) || st == statusName(metrics.Aborted) {
			note = "passed so far (" + st + ")"
		}
		t = append(t, htmlTile{"checkpoints", fmt.Sprintf("%d / %d", passed, len(k)), note})
	}
	return t
}

// htmlCaseRows are the case rows of the report: perfcase's case details or,
// in a PerfTest report, its statistics table.
func htmlCaseRows(res *RunResult) []*perftest.PerformanceInfo {
	var rows []*perftest.PerformanceInfo
	if len(res.Cases) > 0 {
		for _, c := range res.Cases {
			if c.Detail != nil && c.Detail.Performance != nil {
				d := c.Detail.Performance
				rows = append(rows, &perftest.PerformanceInfo{Requests: d.Requests, ErrorCount: d.ErrorCount})
			}
		}
		return rows
	}
	if res.Details != nil {
		for _, d := range res.Details.Data {
			if d.Performance != nil {
				rows = append(rows, d.Performance)
			}
		}
	}
	return rows
}

// htmlStatColumns are the numbers of a case's table, in htmlCells' order.
var htmlStatColumns = []htmlColumn{
	{"requests", "samples: requests, or passes of a transaction"},
	{"TPS", "per second, over the case's duration"},
	{"avg", "average response time, ms"},
	{"tp50", "50th percentile, ms"},
	{"tp90", "90th percentile, ms"},
	{"tp95", "95th percentile, ms"},
	{"tp99", "99th percentile, ms"},
	{"tp99.9", "99.9th percentile, ms"},
	{"max", "longest response time, ms"},
	{"success", "share of samples that succeeded"},
	{"timeout", "failed: connect or response timeout"},
	{"refused", "failed: connection refused"},
	{"check", "failed: a check failed (or not 2xx without checks)"},
	{"parse", "failed: the response could not be parsed, or an extraction found nothing"},
	{"other", "failed: anything else (reset, TLS, DNS…)"},
	{"sent", "bytes sent per sample, average"},
	{"recv", "bytes received per sample, average"},
}

// htmlJudged is a value with the checkpoint that judged it, if any.
type htmlJudged struct {
	v     *float64
	point *float64
	res   *bool
}

// htmlCells formats a row's numbers in htmlStatColumns' order.
func htmlCells(v [17]htmlJudged) []htmlCell {
	cells := make([]htmlCell, len(v))
	for i, x := range v {
		var c htmlCell
		switch {
		case i == 0 || i >= 10 && i <= 14:
			c.Text = htmlInt(x.v)
		case i == 1:
			c.Text = htmlRateNum(x.v)
		case i == 9:
			c.Text = htmlPct(x.v)
		case i >= 15:
			c.Text = htmlBytes(x.v)
		default:
			c.Text = htmlMS(x.v)
		}
		if x.v != nil {
			c.Sort = strconv.FormatFloat(*x.v, 'g', -1, 64)
			if i >= 10 && i <= 14 && *x.v == 0 {
				c.CSS = "zero"
			}
		} else {
			c.Sort = "-1"
		}
		if x.res != nil {
			c.CSS = "pass"
			verdict := "passed"
			if !*x.res {
				c.CSS, verdict = "fail", "failed"
			}
			c.Title = "checkpoint " + verdict
			if x.point != nil {
				c.Title += ", threshold " + strconv.FormatFloat(*x.point, 'f', -1, 64)
			}
		}
		cells[i] = c
	}
	return cells
}

// htmlDetailRow is a row of perfcase's case detail.
func htmlDetailRow(d *perftest.CaseReportDetail, kind string) htmlRow {
	tps := htmlJudged{d.TPS, d.TPSCheckPoint, d.TPSCheckRes}
	return htmlRow{Name: htmlDeref(d.Name), Kind: kind, Cells: htmlCells([17]htmlJudged{
		{v: d.Requests},
		tps,
		{d.AverageRespTime, d.AverageRespTimeCheckPoint, d.AverageRespTimeCheckRes},
		{d.Tp50, d.Tp50CheckPoint, d.Tp50CheckRes},
		{d.Tp90, d.Tp90CheckPoint, d.Tp90CheckRes},
		{d.Tp95, d.Tp95CheckPoint, d.Tp95CheckRes},
		{d.Tp99, d.Tp99CheckPoint, d.Tp99CheckRes},
		{d.Tp999, d.Tp999CheckPoint, d.Tp999CheckRes},
		{d.Max, d.MaxRespTimeCheckPoint, d.MaxRespTimeCheckRes},
		{d.SuccessRate, d.SuccessRateCheckPoint, d.SuccessRateCheckRes},
		{v: d.FailedTimeout}, {v: d.FailedRefused}, {v: d.FailedAssert}, {v: d.FailedParsed}, {v: d.FailedOthers},
		{d.AvgSentBytes, d.AvgSentBytesCheckPoint, d.AvgSentBytesCheckRes},
		{d.AvgRecBytes, d.AvgRecBytesCheckPoint, d.AvgRecBytesCheckRes},
	})}
}

// htmlAPIRow is a row of a PerfTest report's statistics table, which has no
// tp99.9 and no checkpoints.
func htmlAPIRow(d *perftest.DetailDataInfo, kind string) htmlRow {
	return htmlRow{Name: htmlDeref(d.Name), Kind: kind, Cells: htmlCells([17]htmlJudged{
		{v: d.Requests}, {v: d.TPS}, {v: d.AverageRespTime}, {v: d.Tp50}, {v: d.Tp90}, {v: d.Tp95}, {v: d.Tp99}, {},
		{v: d.Max}, {v: d.SuccessRate}, {v: d.FailedTimeout}, {v: d.FailedRefused}, {v: d.FailedAssert},
		{v: d.FailedParsed}, {v: d.FailedOthers}, {v: d.AvgSentBytes}, {v: d.AvgRecBytes},
	})}
}

func htmlCases(res *RunResult) []htmlCase {
	pc := &res.Perfcase
	var cases []htmlCase
	if len(res.Cases) == 0 && res.Details != nil {
		for _, item := range res.Details.Data {
			var c htmlCase
			if perf := item.Performance; perf != nil {
				c.Name = htmlDeref(perf.Name)
				c.Summary = append(c.Summary, htmlAPIRow(&perftest.DetailDataInfo{Name: str("(all requests)"), Requests: perf.Requests,
					TPS: perf.TPS, AverageRespTime: perf.AverageRespTime, Tp50: perf.Tp50, Tp90: perf.Tp90, Tp95: perf.Tp95,
					Tp99: perf.Tp99, Max: perf.Max, SuccessRate: perf.SuccessRate, FailedTimeout: perf.FailedTimeout,
					FailedRefused: perf.FailedRefused, FailedAssert: perf.FailedAssert, FailedParsed: perf.FailedParsed,
					FailedOthers: perf.FailedOthers, AvgSentBytes: perf.AvgSentBytes, AvgRecBytes: perf.AvgRecBytes}, "case"))
			}
			for i := range item.CustomTransactions {
				c.Summary = append(c.Summary, htmlAPIRow(&item.CustomTransactions[i], "transaction"))
			}
			for i := range item.DetailDatas {
				c.Requests = append(c.Requests, htmlAPIRow(&item.DetailDatas[i], "request"))
			}
			if c.Name == "" {
				c.Name = "case " + strconv.Itoa(len(cases)+1)
			}
			cases = append(cases, c)
		}
		return cases
	}
	for i, cr := range res.Cases {
		d := cr.Detail
		if d == nil {
			continue
		}
		var c htmlCase
		if perf := d.Performance; perf != nil {
			c.Name = htmlDeref(perf.Name)
			row := htmlDetailRow(perf, "case")
			row.Name = "(all requests)"
			// On the case's row a tps checkpoint judges passes per
			// second (tranTPS), which the passes fact shows.
			row.Cells[1] = htmlCells([17]htmlJudged{1: {v: perf.TPS}})[1]
			c.Summary = append(c.Summary, row)
			c.Facts = htmlCaseFacts(perf)
		}
		if c.Name == "" && i < len(pc.Cases) {
			c.Name = pc.Cases[i].Case
		}
		for j := range d.CustomTransactions {
			c.Summary = append(c.Summary, htmlDetailRow(&d.CustomTransactions[j], "transaction"))
		}
		for j := range d.DetailDatas {
			c.Requests = append(c.Requests, htmlDetailRow(&d.DetailDatas[j], "request"))
		}
		c.Badge, c.BadgeCSS = htmlCaseBadge(pc, c.Name)
		for _, x := range pc.Cases {
			if x.Case != c.Name {
				continue
			}
			if x.LatencyFrom == "intended_start" {
				c.Facts = append(c.Facts, "latency timed from each pass's intended start (open model)")
			}
			if x.MissedStarts > 0 {
				c.Facts = append(c.Facts, fmt.Sprintf("%s missed starts (every VU up to max_vus was busy)", htmlGroup(float64(x.MissedStarts), 0)))
			}
		}
		cases = append(cases, c)
	}
	return cases
}

// htmlCaseFacts describe a case's row: how it ran and its passes.
func htmlCaseFacts(d *perftest.CaseReportDetail) []string {
	var f []string
	if d.Mode != nil && *d.Mode != "" {
		f = append(f, *d.Mode)
	}
	if len(d.Protocols) > 0 {
		f = append(f, strings.Join(d.Protocols, ", "))
	}
	f = append(f, htmlDuration(d.Duration), "max "+htmlInt(d.UserConcur)+" VUs")
	if d.Transactions != nil {
		pass := fmt.Sprintf("%s passes, %s succeeded, %s/s, avg %s ms, max %s ms", htmlInt(d.Transactions),
			htmlInt(d.TransactionSuccess), htmlRateNum(d.TranTPS), htmlMS(d.AvgTranRespTime), htmlMS(d.MaxTranRespTime))
		if d.TranTPSCheckRes != nil {
			word := "passed"
			if !*d.TranTPSCheckRes {
				word = "FAILED"
			}
			pass += " (tps checkpoint " + word + ")"
		}
		f = append(f, pass)
	}
	return f
}

// htmlCaseBadge is a case's verdict, as the terminal summary words it.
func htmlCaseBadge(pc *PerfcaseInfo, name string) (string, string) {
	kpis, failed := 0, 0
	for _, k := range pc.KPIs {
		if k.Case == name {
			kpis++
			if !k.Pass {
				failed++
			}
		}
	}
	for _, t := range pc.SLATriggers {
		if t.Case == name {
			failed++
		}
	}
	switch {
	case pc.Status == "":
		return "", ""
	case failed > 0:
		return "failed", "fail"
	case kpis == 0:
		return "no checkpoints", "none"
	case pc.Status == statusName(metrics.Interrupted) || pc.Status == statusName(metrics.Aborted):
		return pc.Status + "; checkpoints passed so far", "none"
	}
	return "passed", "pass"
}

// htmlRanges orders respTimeRange's "percent%(count)" values by range.
func htmlRanges(m map[string]string) []htmlRange {
	if len(m) == 0 {
		return nil
	}
	var out []htmlRange
	var top float64
	counts := make([]float64, len(metrics.RangeNames))
	for i, name := range metrics.RangeNames {
		n, p, ok := htmlParseRange(m[name])
		r := htmlRange{Name: name, Count: "—", Percent: "—"}
		if ok {
			r.Count, r.Percent = htmlGroup(n, 0), strconv.FormatFloat(p, 'f', 1, 64)+"%"
			counts[i] = n
			top = max(top, n)
		}
		out = append(out, r)
	}
	for i := range out {
		if top > 0 {
			out[i].Width = math.Round(1000*counts[i]/top) / 10
		}
	}
	return out
}

// htmlParseRange reads "12.5%(250)".
func htmlParseRange(s string) (count, percent float64, ok bool) {
	p, rest, found := strings.Cut(s, "%(")
	if !found || !strings.HasSuffix(rest, ")") {
		return 0, 0, false
	}
	pv, err1 := strconv.ParseFloat(p, 64)
	cv, err2 := strconv.ParseFloat(strings.TrimSuffix(rest, ")"), 64)
	return cv, pv, err1 == nil && err2 == nil
}

// chartData is what the page's script charts: the run's per-second
// series, averaged into buckets of Step seconds when the run is longer
// than MaxChartPoints seconds.
type chartData struct {
	// X is each point's time in seconds since the epoch, shifted by the
	// run's UTC offset, so that the page, showing it as UTC, reads the
	// run's own wall clock whatever the viewer's time zone.
	X      chartSeries            `json:"x"`
	Start  float64                `json:"start"` // the run's start on X's scale
	Offset string                 `json:"offset"`
	Step   int                    `json:"step"`
	Series map[string]chartSeries `json:"series"`
	// TP99 is each case's 99th percentile per second (a bucket's is its
	// highest second's), on X's points.
	TP99    []chartCaseSeries `json:"tp99"`
	Markers []chartMarker     `json:"markers"`
	Ranges  *chartRanges      `json:"ranges"`
}

// chartMarker is a time the charts mark: a stage's start, the peak a
// probe found, an SLA trigger.
type chartMarker struct {
	X     float64 `json:"x"`
	Kind  string  `json:"kind"` // stage, peak or sla
	Label string  `json:"label"`
}

type chartCaseSeries struct {
	Case   string      `json:"case"`
	Values chartSeries `json:"values"`
}

type chartRanges struct {
	Names  []string    `json:"names"`
	Counts chartSeries `json:"counts"`
}

// chartSeries is a series of numbers; NaN, a second without a value, is
// null. Numbers keep three decimals, enough for a chart.
type chartSeries []float64

func (s chartSeries) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 8*len(s)+2)
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, math.Round(v*1000)/1000, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

func newChartData(res *RunResult) *chartData {
	start, offset := chartStart(res)
	cd := &chartData{Start: start, Offset: offset, Step: 1, Series: map[string]chartSeries{}, TP99: []chartCaseSeries{}, Markers: []chartMarker{}}
	if rs := htmlRanges(res.RespTimeRange); rs != nil {
		cd.Ranges = &chartRanges{}
		for _, name := range metrics.RangeNames {
			n, _, _ := htmlParseRange(res.RespTimeRange[name])
			cd.Ranges.Names = append(cd.Ranges.Names, name)
			cd.Ranges.Counts = append(cd.Ranges.Counts, n)
		}
	}
	b := res.Brokens
	if b != nil {
		raw := map[string][]float64{}
		if t := b.TpsBrokens; t != nil {
			raw["tps"], raw["avg"] = t.TPS, t.Average
		}
		if v := b.VusersBrokens; v != nil {
			raw["vus"] = v.Vusers
		}
		if bw := b.BrandBrokens; bw != nil {
			raw["rec"], raw["sent"] = bw.RecBytes, bw.SentBytes
		}
		if rc := b.RespcodeBrokens; rc != nil {
			raw["success"], raw["error"] = rc.Success, rc.Error
			raw["timeout"], raw["refused"], raw["check"] = rc.Timeout, rc.RefusedFailed, rc.CheckPointFailed
			raw["parse"], raw["other"] = rc.ParsedFailed, rc.OthersFailed
		}
		n := len(b.CommonTimeStamps)
		for k, s := range raw {
			if len(s) == 0 {
				delete(raw, k)
			}
			n = max(n, len(s))
		}
		if n > 0 && len(raw) > 0 {
			cd.X, cd.Step = chartTimes(b.CommonTimeStamps, n, start, offset)
			part := lastSecond(res.Outline, n)
			for k, s := range raw {
				switch {
				case k == "avg":
					cd.Series[k] = downsampleWeighted(s, raw["tps"], n, cd.Step)
				case k == "vus" || part == 1 || len(s) < n:
					cd.Series[k] = downsampleMean(s, n, cd.Step)
				case n == 1:
					// The whole run was shorter than a second: its only
					// point is its rate.
					cd.Series[k] = chartSeries{s[0] / part}
				default:
					// Counts of a second the run ended in are not a rate:
					// 0.2 s of load would draw a cliff at the end.
					cd.Series[k] = downsampleMean(s[:n-1], n, cd.Step)
				}
			}
			if tp := chartTP99(res, n, cd.Step); tp != nil {
				cd.TP99 = tp
			}
		}
	}
	if len(cd.X) == 0 && cd.Ranges == nil {
		return nil
	}
	cd.Markers = chartMarkers(&res.Perfcase, offset)
	if len(cd.X) > 0 {
		// Report times are whole seconds, the series' time stamps
		// milliseconds: a stage that started in the first second is
		// marked on the first point, and elapsed time counts from it.
		for i := range cd.Markers {
			if m := &cd.Markers[i]; m.X < cd.X[0] && cd.X[0]-m.X < 1 {
				m.X = cd.X[0]
			}
		}
		if d := cd.X[0] - cd.Start; d > 0 && d < 1 {
			cd.Start = cd.X[0]
		}
	}
	return cd
}

// lastSecond is how much of its last second, in (0, 1], the run's n
// per-second counts cover: the run's duration, kept to the millisecond,
// less its whole seconds. 1 when the duration is not known.
func lastSecond(o *perftest.ReportoutlineInfo, n int) float64 {
	if o == nil || o.Duration == nil {
		return 1
	}
	part := *o.Duration - float64(n-1)
	if part <= 0 || part >= 0.9995 {
		return 1
	}
	return part
}

// chartTP99 places each case's tp99_per_second, which counts from the
// case's start, on the run's n seconds and takes the highest of each
// bucket of step seconds: the bucket's own tp99 is not in the report, and
// it is no higher than its highest second's.
func chartTP99(res *RunResult, n, step int) []chartCaseSeries {
	var out []chartCaseSeries
	var chartStart time.Time
	if o := res.Outline; o != nil && o.StartTime != nil {
		chartStart, _ = htmlTime(*o.StartTime)
	}
	for i, c := range res.Perfcase.Cases {
		if len(c.TP99PerSecond) == 0 {
			continue
		}
		off := 0
		if i < len(res.Cases) && res.Cases[i].Detail != nil && res.Cases[i].Detail.Performance != nil {
			if st := res.Cases[i].Detail.Performance.StartTime; st != nil && !chartStart.IsZero() {
				if t, ok := htmlTime(*st); ok {
					off = max(int(t.Sub(chartStart)/time.Second), 0)
				}
			}
		}
		per := make([]float64, n)
		for k := range per {
			per[k] = math.NaN()
		}
		for k, v := range c.TP99PerSecond {
			if v != nil && off+k < n {
				per[off+k] = *v
			}
		}
		vals := make(chartSeries, 0, (n+step-1)/step)
		for lo := 0; lo < n; lo += step {
			hi := math.NaN()
			for _, v := range per[lo:min(lo+step, n)] {
				if !math.IsNaN(v) && (math.IsNaN(hi) || v > hi) {
					hi = v
				}
			}
			vals = append(vals, hi)
		}
		out = append(out, chartCaseSeries{Case: c.Case, Values: vals})
	}
	return out
}

// chartStart is the run's start on the charts' scale and its offset
// ("+08:00"), from the outline, else the first stage; the epoch in UTC
// when the report says neither.
func chartStart(res *RunResult) (float64, string) {
	var s string
	if o := res.Outline; o != nil && o.StartTime != nil {
		s = *o.StartTime
	} else if st := res.Perfcase.Stages; len(st) > 0 {
		s = st[0].Start
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, "+00:00"
	}
	_, off := t.Zone()
	return float64(t.Unix() + int64(off)), t.Format("-07:00")
}

// chartTimes is the time of each bucket of step seconds, step the
// shortest of bucketSteps that keeps n seconds within MaxChartPoints. A
// second without a time stamp is one second after the one before.
func chartTimes(stamps []string, n int, start float64, offset string) (chartSeries, int) {
	step := bucketSteps[len(bucketSteps)-1]
	for _, s := range bucketSteps {
		if (n+s-1)/s <= MaxChartPoints {
			step = s
			break
		}
	}
	off := 0.0
	if t, err := time.Parse("-07:00", offset); err == nil {
		_, o := t.Zone()
		off = float64(o)
	}
	xs := make(chartSeries, 0, (n+step-1)/step)
	prev := start - 1
	for k := range n {
		x := prev + 1
		if k < len(stamps) {
			if ms, err := strconv.ParseInt(stamps[k], 10, 64); err == nil {
				x = float64(ms)/1000 + off
			}
		}
		if k%step == 0 {
			xs = append(xs, x)
		}
		prev = x
	}
	return xs, step
}

// downsampleMean averages s over buckets of step of its n seconds; a second
// past s's end has no value.
func downsampleMean(s []float64, n, step int) chartSeries {
	out := make(chartSeries, 0, (n+step-1)/step)
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		sum, cnt := 0.0, 0
		for k := lo; k < min(hi, len(s)); k++ {
			sum += s[k]
			cnt++
		}
		if cnt == 0 {
			out = append(out, math.NaN())
		} else {
			out = append(out, sum/float64(cnt))
		}
	}
	return out
}

// downsampleWeighted averages a per-second average over buckets, each
// second weighted by its count (the requests whose times it averages); a
// bucket without requests has no average, nor has a second without any.
func downsampleWeighted(avg, weight []float64, n, step int) chartSeries {
	out := make(chartSeries, 0, (n+step-1)/step)
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		sum, w := 0.0, 0.0
		for k := lo; k < min(hi, len(avg)); k++ {
			wk := 1.0
			if weight != nil {
				wk = 0
				if k < len(weight) {
					wk = weight[k]
				}
			}
			sum += avg[k] * wk
			w += wk
		}
		if w == 0 {
			out = append(out, math.NaN())
		} else {
			out = append(out, sum/w)
		}
	}
	return out
}

// chartMarkers are the times the charts mark: each stage's start (one marker
// for the stages of several cases that start together), each peak a probe
// found and each SLA trigger.
func chartMarkers(pc *PerfcaseInfo, offset string) []chartMarker {
	many := len(pc.Cases) > 1
	label := func(c, name string) string {
		if many {
			return c + "/" + name
		}
		return name
	}
	var ms []chartMarker
	add := func(at, kind, text string) {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return
		}
		_, off := t.Zone()
		x := float64(t.Unix() + int64(off))
		for i := range ms {
			if ms[i].X == x && ms[i].Kind == kind {
				if !slices.Contains(strings.Split(ms[i].Label, ", "), text) {
					ms[i].Label += ", " + text
				}
				return
			}
		}
		ms = append(ms, chartMarker{X: x, Kind: kind, Label: text})
	}
	for _, s := range pc.Stages {
		add(s.Start, "stage", label(s.Case, s.Name))
	}
	for _, c := range pc.Cases {
		if c.Peak != nil {
			add(c.Peak.Time, "peak", label(c.Case, "peak"))
		}
	}
	for _, t := range pc.SLATriggers {
		add(t.Time, "sla", "SLA "+t.Rule)
	}
	if ms == nil {
		ms = []chartMarker{}
	}
	return ms
}

// Formatting. A value the report does not have is "—".

const htmlNone = "—"

func htmlDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// htmlGroup formats v with dec decimals and thousands separated by commas.
func htmlGroup(v float64, dec int) string {
	s := strconv.FormatFloat(v, 'f', dec, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

func htmlInt(p *float64) string {
	if p == nil {
		return htmlNone
	}
	return htmlGroup(*p, 0)
}

// htmlMS is a time in ms: two decimals under 10 ms, one under 10 s, none
// above.
func htmlMS(p *float64) string {
	if p == nil {
		return htmlNone
	}
	switch v := *p; {
	case v < 10:
		return htmlGroup(v, 2)
	case v < 10000:
		return htmlGroup(v, 1)
	default:
		return htmlGroup(v, 0)
	}
}

func htmlMillis(p *float64) string {
	if p == nil {
		return htmlNone
	}
	return htmlMS(p) + " ms"
}

// htmlRateNum is a rate: two decimals under 10, one under 1000, none above.
func htmlRateNum(p *float64) string {
	if p == nil {
		return htmlNone
	}
	switch v := *p; {
	case v < 10:
		return htmlGroup(v, 2)
	case v < 1000:
		return htmlGroup(v, 1)
	default:
		return htmlGroup(v, 0)
	}
}

func htmlRate(p *float64) string {
	if p == nil {
		return htmlNone
	}
	return htmlRateNum(p) + "/s"
}

func htmlPct(p *float64) string {
	if p == nil {
		return htmlNone
	}
	return strconv.FormatFloat(*p, 'f', 2, 64) + "%"
}

func htmlBytes(p *float64) string {
	if p == nil {
		return htmlNone
	}
	if *p < 100 {
		return htmlGroup(*p, 1)
	}
	return htmlGroup(*p, 0)
}

// htmlKPIValue is a KPI's threshold or observed value in its metric's unit.
func htmlKPIValue(metric string, p *float64) string {
	if p == nil {
		return htmlNone
	}
	return observed(metric, *p)
}

// htmlDuration formats seconds as "1h 02m 03s", "4m 05s" or "6.5 s".
func htmlDuration(p *float64) string {
	if p == nil {
		return htmlNone
	}
	if *p < 60 {
		return strconv.FormatFloat(round(*p, 1), 'f', -1, 64) + " s"
	}
	secs := int64(math.Round(*p))
	h, m, sec := secs/3600, secs%3600/60, secs%60
	if h > 0 {
		return fmt.Sprintf("%dh %02dm %02ds", h, m, sec)
	}
	return fmt.Sprintf("%dm %02ds", m, sec)
}

func htmlTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// htmlClock is a report time's wall-clock time, as written (the run's zone).
func htmlClock(s string) string {
	t, ok := htmlTime(s)
	if !ok {
		return s
	}
	return t.Format("15:04:05")
}

func htmlBetween(from, to string) string {
	a, ok1 := htmlTime(from)
	b, ok2 := htmlTime(to)
	if !ok1 || !ok2 {
		return htmlNone
	}
	secs := b.Sub(a).Seconds()
	return htmlDuration(&secs)
}

// htmlPeriod is "2024-03-01 10:00:00 – 10:04:00 (UTC+08:00)", the end's date
// written when it differs.
func htmlPeriod(from, to *string) string {
	if from == nil {
		return ""
	}
	a, ok := htmlTime(*from)
	if !ok {
		return *from
	}
	s := a.Format("2006-01-02 15:04:05")
	if to != nil {
		if b, ok := htmlTime(*to); ok {
			if b.Format("2006-01-02") == a.Format("2006-01-02") {
				s += " – " + b.Format("15:04:05")
			} else {
				s += " – " + b.Format("2006-01-02 15:04:05")
			}
		}
	}
	return s + " (UTC" + a.Format("-07:00") + ")"
}
