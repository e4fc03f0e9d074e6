package reporters

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
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
