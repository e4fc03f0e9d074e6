// Package compare compares two runs' reports row by row — every case,
// request and transaction, every metric — and judges each change against
// regression limits. 'perfcase compare', 'perfcase run --baseline' and
// the report service's comparisons all use it, so a regression means the
// same everywhere; it reads only the report JSON's rows (perftest's
// types), so the reporters can use it too. It does no I/O.
//
// Each metric has a bad direction: response times and failures are worse
// when they rise, rates and success when they fall. A limit bounds how
// much worse a metric may get: relative to the baseline with "%"
// (tp99=10% allows the 99th percentile to rise by a tenth), else
// absolute in the metric's unit (success_rate=0.5 allows it to fall by
// half a percentage point).
package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/perftest"
)

// Kinds of row, as the report names them.
const (
	KindCase        = "case"
	KindRequest     = "request"
	KindTransaction = "transaction"
)

// Metric is a measure every row of a report has. It is a KPI metric of
// the scenario language (metrics.KPIs), whose unit and better direction
// it takes.
type Metric struct {
	Name string
	Unit string // "ms", "%", "/s" or "" (a count)
	// Up is true when a rise is the bad direction (response times,
	// failures), false when a fall is (rates, success).
	Up  bool
	get func(d *perftest.CaseReportDetail) *float64
}

// kpi makes the Metric of KPI metric name, read from a report row by get.
func kpi(name string, get func(d *perftest.CaseReportDetail) *float64) Metric {
	k := metrics.KPIs.Lookup(name)
	if k == nil {
		panic("compare: " + name + " is not a KPI metric")
	}
	return Metric{Name: name, Unit: strings.TrimSpace(k.Unit.Suffix()), Up: k.Better == metrics.Lower, get: get}
}

// Metrics are the measures a comparison shows, in the order it shows
// them. tps is a case's passes per second (as its tps KPI judges it) and
// a request's or transaction's own rate; rps is requests per second.
var Metrics = []Metric{
	kpi("avg_rt", func(d *perftest.CaseReportDetail) *float64 { return d.AverageRespTime }),
	kpi("tp50", func(d *perftest.CaseReportDetail) *float64 { return d.Tp50 }),
	kpi("tp90", func(d *perftest.CaseReportDetail) *float64 { return d.Tp90 }),
	kpi("tp95", func(d *perftest.CaseReportDetail) *float64 { return d.Tp95 }),
	kpi("tp99", func(d *perftest.CaseReportDetail) *float64 { return d.Tp99 }),
	kpi("max_rt", func(d *perftest.CaseReportDetail) *float64 { return d.MaxRespTime }),
	kpi("tps", func(d *perftest.CaseReportDetail) *float64 {
		if d.DatumType != nil && *d.DatumType == perftest.DatumCase {
			return d.TranTPS
		}
		return d.TPS
	}),
	kpi("rps", func(d *perftest.CaseReportDetail) *float64 { return d.TPS }),
	kpi("success_rate", func(d *perftest.CaseReportDetail) *float64 { return d.SuccessRate }),
	kpi("errors", func(d *perftest.CaseReportDetail) *float64 { return d.ErrorCount }),
}

func metric(name string) (Metric, bool) {
	i := slices.IndexFunc(Metrics, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return Metrics[i], true
}

// Limit bounds how much worse a metric may get before it is a regression.
type Limit struct {
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	// Relative: Value is a percentage of the baseline's value; else an
	// amount in the metric's unit.
	Relative bool `json:"relative"`
}

// String writes the limit as --max-regression takes it.
func (l Limit) String() string {
	v := strconv.FormatFloat(l.Value, 'f', -1, 64)
	if l.Relative {
		v += "%"
	}
	return l.Metric + "=" + v
}

// DefaultLimits gate the usual signs of a slower service: the 99th
// percentile or the average response time 10% higher, throughput 5%
// lower, the success rate half a percentage point lower. The other
// metrics are shown, not judged, unless a limit names them.
var DefaultLimits = []Limit{
	{Metric: "tp99", Value: 10, Relative: true},
	{Metric: "avg_rt", Value: 10, Relative: true},
	{Metric: "tps", Value: 5, Relative: true},
	{Metric: "success_rate", Value: 0.5},
}

// ParseLimits reads --max-regression: comma-separated metric=value, a
// value ending in % relative to the baseline, else absolute in the
// metric's unit; metric=off removes a default. The limits it names
// replace the defaults' for those metrics; the other defaults stay.
func ParseLimits(s string) ([]Limit, error) {
	limits := slices.Clone(DefaultLimits)
	if strings.TrimSpace(s) == "" {
		return limits, nil
	}
	var errs []error
	for item := range strings.SplitSeq(s, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		name, v = strings.TrimSpace(name), strings.TrimSpace(v)
		m, known := metric(name)
		switch {
		case !ok || name == "" || v == "":
			errs = append(errs, fmt.Errorf("%q is not metric=limit (e.g. tp99=10%% or success_rate=0.5)", item))
			continue
		case !known:
			errs = append(errs, fmt.Errorf("unknown metric %q (metrics: %s)", name, metricNames()))
			continue
		}
		limits = slices.DeleteFunc(limits, func(l Limit) bool { return l.Metric == name })
		if v == "off" {
			continue
		}
		l := Limit{Metric: name}
		if l.Relative = strings.HasSuffix(v, "%"); l.Relative {
			v = strings.TrimSpace(strings.TrimSuffix(v, "%"))
		}
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, m.Unit), 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			errs = append(errs, fmt.Errorf("%s: %q is not a limit: want a number of at least 0, with %% for a share of the baseline, or off", name, v))
			continue
		}
		l.Value = f
		limits = append(limits, l)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return limits, nil
}

func metricNames() string {
	var names []string
	for _, m := range Metrics {
		names = append(names, m.Name)
	}
	return strings.Join(names, ", ")
}

// Run is what a comparison reads of one run's report.
type Run struct {
	RunID    string `json:"run_id"`
	Scenario string `json:"scenario"`
	Start    string `json:"start"`
	Cases    []perftest.CaseReportDetailResult
}

// Read reads a report JSON as 'perfcase run --out' writes it.
func Read(data []byte) (*Run, error) {
	var doc struct {
		Result *struct {
			Outline *struct {
				StartTime *string `json:"startTime"`
			} `json:"outline"`
			Cases    []perftest.CaseReportDetailResult `json:"cases"`
			Perfcase *struct {
				RunID    string `json:"run_id"`
				Scenario string `json:"scenario"`
			} `json:"perfcase"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a report JSON: %v", err)
	}
	if doc.Result == nil || doc.Result.Perfcase == nil {
		return nil, errors.New("not a report perfcase wrote: it has no result.perfcase")
	}
	r := &Run{RunID: doc.Result.Perfcase.RunID, Scenario: doc.Result.Perfcase.Scenario, Cases: doc.Result.Cases}
	if o := doc.Result.Outline; o != nil && o.StartTime != nil {
		r.Start = *o.StartTime
	}
	for i, c := range r.Cases {
		if c.Detail == nil || c.Detail.Performance == nil {
			return nil, fmt.Errorf("result.cases[%d] has no detail.performance", i)
		}
	}
	return r, nil
}

// Result is a comparison.
type Result struct {
	Base   RunInfo `json:"base"`
	New    RunInfo `json:"new"`
	Limits []Limit `json:"limits"`
	Rows   []Row   `json:"rows"`
}

// RunInfo names a compared run.
type RunInfo struct {
	RunID    string `json:"run_id"`
	Scenario string `json:"scenario"`
	Start    string `json:"start"`
}

// Row is a case, request or transaction of either run.
type Row struct {
	Case string `json:"case"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Only is "base" or "new" for a row one run lacks: nothing to compare.
	Only   string  `json:"only"`
	Values []Value `json:"values"`
}

// Value is one metric of a row in both runs.
type Value struct {
	Metric string   `json:"metric"`
	Unit   string   `json:"unit"`
	Base   *float64 `json:"base"`
	New    *float64 `json:"new"`
	// Change is New - Base; Percent is the change as a percentage of Base
	// (null when Base is 0 or either is missing).
	Change  *float64 `json:"change"`
	Percent *float64 `json:"percent"`
	// Worse: the change goes the metric's bad direction.
	Worse bool `json:"worse"`
	// Limit is the limit that judged it, if any; Regression that the
	// change is past it.
	Limit      *Limit `json:"limit"`
	Regression bool   `json:"regression"`
}

// Value is the row's value of a metric, or nil.
func (r *Row) Value(metric string) *Value {
	for i := range r.Values {
		if r.Values[i].Metric == metric {
			return &r.Values[i]
		}
	}
	return nil
}

// Regressed reports whether any value regressed.
func (r *Result) Regressed() bool { return len(r.Regressions()) > 0 }

// Regression is one value past its limit, with its row.
type Regression struct {
	Row   *Row
	Value *Value
}

// Regressions lists every value past its limit, in row order.
func (r *Result) Regressions() []Regression {
	var out []Regression
	for i := range r.Rows {
		for j := range r.Rows[i].Values {
			if r.Rows[i].Values[j].Regression {
				out = append(out, Regression{&r.Rows[i], &r.Rows[i].Values[j]})
			}
		}
	}
	return out
}

type rowKey struct{ c, kind, name string }

type row struct {
	key rowKey
	d   *perftest.CaseReportDetail
}

func rows(run *Run) []row {
	var out []row
	for _, c := range run.Cases {
		d := c.Detail
		name := ""
		if d.Performance.Name != nil {
			name = *d.Performance.Name
		}
		out = append(out, row{rowKey{name, KindCase, name}, d.Performance})
		for i := range d.DetailDatas {
			out = append(out, row{rowKey{name, KindRequest, deref(d.DetailDatas[i].Name)}, &d.DetailDatas[i]})
		}
		for i := range d.CustomTransactions {
			out = append(out, row{rowKey{name, KindTransaction, deref(d.CustomTransactions[i].Name)}, &d.CustomTransactions[i]})
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Compare compares every row of base and new, in base's order, then the
// rows only new has, judging each value by limits.
func Compare(base, new *Run, limits []Limit) *Result {
	res := &Result{Base: RunInfo{base.RunID, base.Scenario, base.Start}, New: RunInfo{new.RunID, new.Scenario, new.Start},
		Limits: slices.Clone(limits), Rows: []Row{}}
	newRows := rows(new)
	index := map[rowKey]*perftest.CaseReportDetail{}
	for _, r := range newRows {
		index[r.key] = r.d
	}
	seen := map[rowKey]bool{}
	for _, b := range rows(base) {
		seen[b.key] = true
		row := Row{Case: b.key.c, Kind: b.key.kind, Name: b.key.name, Values: []Value{}}
		n, ok := index[b.key]
		if !ok {
			row.Only = "base"
		}
		for _, m := range Metrics {
			v := Value{Metric: m.Name, Unit: m.Unit, Base: m.get(b.d)}
			if ok {
				v.New = m.get(n)
				judge(&v, m, limits)
			}
			row.Values = append(row.Values, v)
		}
		res.Rows = append(res.Rows, row)
	}
	for _, n := range newRows {
		if seen[n.key] {
			continue
		}
		row := Row{Case: n.key.c, Kind: n.key.kind, Name: n.key.name, Only: "new", Values: []Value{}}
		for _, m := range Metrics {
			row.Values = append(row.Values, Value{Metric: m.Name, Unit: m.Unit, New: m.get(n.d)})
		}
		res.Rows = append(res.Rows, row)
	}
	return res
}

// judge fills in a value's change and verdict.
func judge(v *Value, m Metric, limits []Limit) {
	if v.Base == nil || v.New == nil {
		return
	}
	change := *v.New - *v.Base
	v.Change = &change
	if *v.Base != 0 {
		pct := 100 * change / math.Abs(*v.Base)
		v.Percent = &pct
	}
	worse := change
	if !m.Up {
		worse = -change
	}
	v.Worse = worse > 0
	i := slices.IndexFunc(limits, func(l Limit) bool { return l.Metric == m.Name })
	if i < 0 {
		return
	}
	l := limits[i]
	v.Limit = &l
	switch {
	case !v.Worse:
	case !l.Relative:
		v.Regression = worse > l.Value+epsilon(l.Value)
	case *v.Base == 0:
		// Any rise from nothing is past a relative limit.
		v.Regression = true
	default:
		v.Regression = 100*worse/math.Abs(*v.Base) > l.Value+epsilon(l.Value)
	}
}

// epsilon absorbs the float error of a change exactly at its limit
// (99.5 - 99.0 is 0.5000000000000142), which the limit allows.
func epsilon(v float64) float64 { return 1e-9 * math.Max(1, math.Abs(v)) }
