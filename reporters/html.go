package reporters

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
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

// maxHTMLErrors is the most error messages the page lists; the report
// JSON keeps them all.
const maxHTMLErrors = 100

// WriteHTML renders a finished run's report JSON, as PerfTestReport
// builds it or as a report file decodes ('perfcase report'), as one
// self-contained HTML page: the verdict, the checkpoints, each case's
// table of requests and transactions, charts over time (throughput,
// average and tp99 response time, VUs, bandwidth, outcomes) with the
// stages marked, the response-time distribution, the first error
// messages, what probing found and the stages that ran.
//
// It renders what the report holds and nothing else. The per-second
// series are the whole run's (result.brokens), except tp99, which is per
// case (perfcase.cases[].tp99_per_second); a reader can pick one
// request, transaction or case to see its own throughput, failures and
// response times (perfcase.curves) in their place. A report of the
// PerfTest API itself, without perfcase's additions, renders too, from
// its statistics table.
func WriteHTML(w io.Writer, f *output.Finished) error {
	return htmlTemplate.Execute(w, newHTMLPage(f.Report))
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
	Rendezvous  []output.PerfcaseRendezvous
	Connections []htmlConnections
	Stages      []htmlStage
	Metrics     []htmlMetric
	SoftChecks  []htmlSoftCheck

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

// htmlMetric is a custom metric's row: each stat its kind has, "—" for
// the others.
type htmlMetric struct {
	Case, Name, Type, Count                             string
	Total, Rate, Value, Min, Avg, Max, TP50, TP95, TP99 string
}

type htmlSoftCheck struct {
	Case, Series, Check, Passed, Failed, Share string
	AllHeld                                    bool
}

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
	// Media are the case's streaming and MQTT figures, when it has any.
	Media []*htmlMedia
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

func newHTMLPage(r *output.Report) *htmlPage {
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
	if pc.Verdict == metrics.VerdictUnusable.String() {
		// As 'perfcase run' exits 3 for it: such a run tested nothing.
		p.Badge, p.BadgeCSS = "FAILED", "fail"
		p.Verdict = "case " + htmlUnusable(pc) + ": not one request succeeded; the target looks unusable"
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
	for _, m := range pc.Metrics {
		v := func(x *float64) string {
			if x == nil {
				return htmlNone
			}
			return strconv.FormatFloat(round(*x, 3), 'f', -1, 64)
		}
		rate := htmlNone
		if m.Rate != nil {
			rate = v(m.Rate) + "/s"
		}
		p.Metrics = append(p.Metrics, htmlMetric{Case: m.Case, Name: m.Name, Type: m.Type, Count: htmlGroup(float64(m.Count), 0),
			Total: v(m.Total), Rate: rate, Value: v(m.Value), Min: v(m.Min), Avg: v(m.Avg), Max: v(m.Max),
			TP50: v(m.TP50), TP95: v(m.TP95), TP99: v(m.TP99)})
	}
	for _, sc := range pc.SoftChecks {
		share := htmlNone
		if n := sc.Passed + sc.Failed; n > 0 {
			pct := 100 * float64(sc.Passed) / float64(n)
			share = htmlPct(&pct)
		}
		p.SoftChecks = append(p.SoftChecks, htmlSoftCheck{Case: sc.Case, Series: sc.Series, Check: sc.Check,
			Passed: htmlGroup(float64(sc.Passed), 0), Failed: htmlGroup(float64(sc.Failed), 0), Share: share, AllHeld: sc.Failed == 0})
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
func htmlVerdict(pc *output.PerfcaseInfo) (badge, css, sentence string) {
	total, failed := len(pc.KPIs), 0
	for _, k := range pc.KPIs {
		if !k.Pass {
			failed++
		}
	}
	sla := len(pc.SLATriggers)
	if m := pc.Merged; m != nil && m.Partial && pc.Verdict == metrics.VerdictPartial.String() {
		return "PARTIAL", "fail", "partial run (" + partialWords(m) + "), which cannot pass"
	}
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
	switch {
	case total == 0 && sla == 0:
		return "NO CHECKPOINTS", "none", "the run completed; it had no checkpoints to judge"
	case failed == 0 && sla == 0:
		return "PASSED", "pass", checkpointsJudged(total, failed, sla)
	}
	return "FAILED", "fail", checkpointsJudged(total, failed, sla)
}

// htmlUnusable names the first case whose verdict is that it was
// unusable.
func htmlUnusable(pc *output.PerfcaseInfo) string {
	for _, c := range pc.Cases {
		if c.Verdict == "unusable" {
			return c.Case
		}
	}
	return ""
}

// htmlTiles are the run's headline numbers, from the outline and the cases'
// rows.
func htmlTiles(res *output.RunResult) []htmlTile {
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
func htmlCaseRows(res *output.RunResult) []*perftest.PerformanceInfo {
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

func htmlCases(res *output.RunResult) []htmlCase {
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
			if d.Performance != nil {
				if m := htmlStreaming(d.Performance.StreamingMediaVo, x.Streaming); m != nil {
					c.Media = append(c.Media, m)
				}
			}
			if m := htmlMQTT(x.MQTT); m != nil {
				c.Media = append(c.Media, m)
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

// htmlCaseBadge is a case's verdict, as the terminal summary words it;
// none when the report carries no verdict (a PerfTest report, or one
// written before perfcase wrote verdicts).
func htmlCaseBadge(pc *output.PerfcaseInfo, name string) (string, string) {
	verdict, kpis := "", 0
	for _, c := range pc.Cases {
		if c.Case == name {
			verdict = c.Verdict
		}
	}
	for _, k := range pc.KPIs {
		if k.Case == name {
			kpis++
		}
	}
	switch {
	case verdict == "":
		return "", ""
	case verdict == "failed":
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
