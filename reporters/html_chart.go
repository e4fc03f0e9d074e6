package reporters

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
	"github.com/perfcase/perfcase/scenario"
)

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
	// Picks are, per case, the series a reader can pick to chart on
	// their own, from the report's curves (perfcase.curves); empty when
	// the report has none.
	Picks []chartPickCase `json:"picks"`
}

// chartPickCase is one case's series over time, on X's scale, in buckets
// of Step seconds: the report's curves as the throughput and
// response-time charts draw them.
type chartPickCase struct {
	Case   string      `json:"case"`
	Label  string      `json:"-"` // the page's name for its group of series
	Step   int         `json:"step"`
	X      chartSeries `json:"x"`
	Series []chartPick `json:"series"`
}

// chartPick is one series: samples and failures per second (a rate over
// each bucket; the last bucket left out when it lasted under a second,
// as the run's charts leave out its partial last second), and the
// average and tp99 response times (ms).
type chartPick struct {
	Kind  string      `json:"kind"` // output.Curve…
	Name  string      `json:"name"`
	Label string      `json:"-"` // the page's name for it
	TPS   chartSeries `json:"tps"`
	Error chartSeries `json:"error"`
	Avg   chartSeries `json:"avg"`
	TP99  chartSeries `json:"tp99"`
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

func newChartData(res *output.RunResult) *chartData {
	start, offset := chartStart(res)
	cd := &chartData{Start: start, Offset: offset, Step: 1, Series: map[string]chartSeries{}, TP99: []chartCaseSeries{}, Markers: []chartMarker{},
		Picks: chartPicks(&res.Perfcase.Curves, res.Perfcase.Cases, offset)}
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

// chartPicks turns the report's curves into what the page charts when a
// series is picked; cases (perfcase.cases, aligned with the curves) say
// which are the run's before: and after: steps, and offset is the run's
// UTC offset, as X is shifted.
func chartPicks(cv *output.PerfcaseCurves, cases []output.PerfcaseCase, offset string) []chartPickCase {
	picks := []chartPickCase{}
	var names []string
	for _, cc := range cv.Cases {
		names = append(names, cc.Case)
	}
	if cv.Check(names) != nil {
		// A report file with broken curves still renders, without them.
		return picks
	}
	off := zoneSeconds(offset)
	for i, cc := range cv.Cases {
		role := ""
		if len(cases) == len(cv.Cases) {
			role = cases[i].Role
		}
		where, group := "case "+cc.Case, "case "+cc.Case
		switch role {
		case scenario.BeforeName, scenario.AfterName:
			where = role + ":"
			group = fmt.Sprintf("%s: (once, %s the cases)", role, role)
		}
		p := chartPickCase{Case: cc.Case, Label: group, Step: max(cv.Step, 1), X: chartSeries{}, Series: []chartPick{}}
		n := len(cc.VUs)
		// secs is each bucket's length; the last ends with the case.
		secs := make([]float64, n)
		for k := range n {
			from := cc.Start + int64(k*p.Step)*1000
			p.X = append(p.X, float64(from)/1000+off)
			secs[k] = float64(p.Step)
			if k == n-1 {
				secs[k] = min(float64(cc.End-from)/1000, secs[k])
			}
		}
		if n > 1 && secs[n-1] < 1 {
			secs[n-1] = 0
		}
		for i := range cc.Series {
			s := &cc.Series[i]
			pk := chartPick{Kind: s.Kind, Name: s.Name, Label: pickLabel(s, where), TPS: make(chartSeries, n), Error: make(chartSeries, n),
				Avg: make(chartSeries, n), TP99: make(chartSeries, n)}
			for k := range n {
				count := float64(s.Count[k])
				pk.TPS[k], pk.Error[k] = math.NaN(), math.NaN()
				if secs[k] > 0 {
					pk.TPS[k], pk.Error[k] = count/secs[k], float64(s.Failed(k))/secs[k]
				}
				pk.Avg[k], pk.TP99[k] = math.NaN(), s.TP99[k]
				if count > 0 {
					pk.Avg[k] = s.RTSum[k] / count
				}
			}
			p.Series = append(p.Series, pk)
		}
		picks = append(picks, p)
	}
	return picks
}

// pickLabel names a series of the steps where ("case NAME", or
// "before:" or "after:") in the page's list of series.
func pickLabel(s *output.PerfcaseSeriesCurve, where string) string {
	switch {
	case s.Kind == output.CurveCase:
		return "all requests of " + where
	case s.Kind == output.CurvePasses:
		return "passes of " + where
	case s.Together:
		return "requests sent together as " + s.Name + " (" + where + ")"
	}
	return s.Kind + " " + s.Name + " (" + where + ")"
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
func chartTP99(res *output.RunResult, n, step int) []chartCaseSeries {
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
func chartStart(res *output.RunResult) (float64, string) {
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
// report's fold rule for one series (foldStep). A second without a time
// stamp is one second after the one before.
func chartTimes(stamps []string, n int, start float64, offset string) (chartSeries, int) {
	step := foldStep(n, 1)
	off := zoneSeconds(offset)
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

// zoneSeconds is a UTC offset ("+08:00") in seconds; 0 when it does not
// read as one.
func zoneSeconds(offset string) float64 {
	t, err := time.Parse("-07:00", offset)
	if err != nil {
		return 0
	}
	_, o := t.Zone()
	return float64(o)
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
func chartMarkers(pc *output.PerfcaseInfo, offset string) []chartMarker {
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
