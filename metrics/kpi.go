package metrics

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// A KPI metric is one row of KPIs: its name in the KPI grammar, its unit,
// which way it is better, and how it is computed from a finished series
// and from a window of a few seconds' counts. Every place that reads a
// KPI — the scenario parser, the runner's SLA rules and probes, the
// judging of a finished case, the reporters' units — reads this table,
// so a metric is added by adding its row. A metric defined later by a
// scenario (a custom metric) is a KPIMetric value too: the compiler
// resolves each KPI to its row (scenario.KPICheck.Def), and nothing after
// it looks a metric up by name.
type KPIMetric struct {
	Name string
	Unit Unit
	// Better is the direction in which the metric improves, for
	// comparing runs: response times, failures and sizes are better
	// lower, rates and successes higher.
	Better Direction
	// OnPasses says that a case's own KPI on this metric judges its
	// passes (PerfTest's transactions), not its requests taken together:
	// tps and transactions. On a request or a transaction, a KPI judges
	// that series whatever the metric.
	OnPasses bool
	// Run is the metric of a whole series over a run of duration d.
	Run func(s *Stats, d time.Duration) float64
	// Extra, when set, names the case's extra metric the KPI judges (a
	// custom metric): OnExtra computes it from that metric over the
	// case's duration d, and Run and Window are nil.
	Extra   string
	OnExtra func(x *ExtraStats, d time.Duration) float64
	// Window is the metric of c, counts over the given whole seconds,
	// and whether those counts give it: a value that needs responses has
	// none when no sample completed, and such a window neither holds nor
	// misses. nil for a metric that needs every sample (percentiles,
	// minimum, maximum), which a window of counts cannot give.
	Window func(c *Counts, seconds int) (float64, bool)
}

// Unit is what a KPI metric's values are in. Thresholds are written in
// it (scenario's KPI grammar converts "2s" or "64 KB" to it) and reports
// show it.
type Unit uint8

const (
	UnitMillis    Unit = iota // response times, in ms
	UnitPercent               // 0 to 100
	UnitCount                 // samples
	UnitBytes                 // bytes
	UnitPerSecond             // samples per second
	UnitDuration              // nanoseconds: what extra metrics of time record
	// UnitMilli is thousandths of a custom metric's own unit, which the
	// scenario does not say: a metric: step records 12.5 as 12500.
	UnitMilli
)

// Value is x, recorded in unit u, in the unit's own terms: thousandths
// become units; anything else is as recorded.
func (u Unit) Value(x int64) float64 {
	if u == UnitMilli {
		return float64(x) / 1000
	}
	return float64(x)
}

// Suffix is how a value in the unit is written after its number: " ms",
// "%", " B", "/s", or nothing for a count.
func (u Unit) Suffix() string {
	switch u {
	case UnitMillis:
		return " ms"
	case UnitPercent:
		return "%"
	case UnitBytes:
		return " B"
	case UnitPerSecond:
		return "/s"
	case UnitDuration:
		return " ns"
	}
	return ""
}

// Direction is which way a metric improves.
type Direction int8

const (
	Lower  Direction = -1
	Higher Direction = 1
)

// KPITable is a list of KPI metrics, looked up by name.
type KPITable []KPIMetric

// Lookup returns the metric of that name, or nil.
func (t KPITable) Lookup(name string) *KPIMetric {
	for i := range t {
		if t[i].Name == name {
			return &t[i]
		}
	}
	return nil
}

// Names lists the metrics' names, sorted.
func (t KPITable) Names() []string {
	names := make([]string, len(t))
	for i, m := range t {
		names[i] = m.Name
	}
	slices.Sort(names)
	return names
}

// WindowNames lists, sorted, the metrics a window of counts can give: the
// only ones SLA rules and probing stages take.
func (t KPITable) WindowNames() []string {
	var names []string
	for _, m := range t {
		if m.Window != nil {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	return names
}

// OnWindow is the metric over a window, from its passes or its requests
// as OnPasses says, and whether the window can give it (see Window); a
// window of no seconds gives nothing.
func (m *KPIMetric) OnWindow(w *Window) (float64, bool) {
	if m.Window == nil || w.Seconds <= 0 {
		return 0, false
	}
	if m.OnPasses {
		return m.Window(&w.Passes, w.Seconds)
	}
	return m.Window(&w.Requests, w.Seconds)
}

// Window is a few whole seconds of a case, as SLA rules and probing
// stages judge them: some of its request series summed (all, or those a
// rule watches), and its passes.
type Window struct {
	Seconds  int
	Requests Counts
	Passes   Counts
}

// Add adds one second: req, the selected request series summed, and
// pass, the case's passes.
func (w *Window) Add(req, pass *Counts) {
	w.Seconds++
	w.Requests.Merge(req)
	w.Passes.Merge(pass)
}

// Merge adds every second of o.
func (w *Window) Merge(o *Window) {
	w.Seconds += o.Seconds
	w.Requests.Merge(&o.Requests)
	w.Passes.Merge(&o.Passes)
}

// KPIs is the KPI grammar's table of metrics, as docs/language.md lists
// them. The definitions are kept simple:
//   - success_rate and error_rate are 0 for a series without samples: it
//     neither succeeded nor failed.
//   - requests and transactions are both the number of samples of the
//     series judged; errors is the number of failed ones.
//   - avg_recv_bytes and avg_sent_bytes are per sample.
//   - tps is completed samples (successful or not) per second of the run,
//     as PerfTest counts responses received per second; rps is the same
//     number, which for a request series is requests per second. Both
//     are 0 over no time.
//
// On a window, counts are the window's and rates are per second of it.
var KPIs = KPITable{
	AvgRT,
	timeMetric("min_rt", func(s *Stats) time.Duration { return s.Min }, nil),
	timeMetric("max_rt", func(s *Stats) time.Duration { return s.Max }, nil),
	percentile("tp50", 50), percentile("tp75", 75), percentile("tp85", 85), percentile("tp90", 90),
	percentile("tp95", 95), percentile("tp99", 99), percentile("tp99.9", 99.9), percentile("tp99.99", 99.99),
	SuccessRate,
	{Name: "error_rate", Unit: UnitPercent, Better: Lower,
		Run:    func(s *Stats, _ time.Duration) float64 { return perSample(100*float64(s.Failures()), s.Count) },
		Window: responses(func(c *Counts) float64 { return 100 * float64(c.Failures()) / float64(c.Count) })},
	count("requests", Higher, func(s *Stats) int64 { return s.Count }, func(c *Counts) int64 { return c.Count }),
	{Name: "transactions", Unit: UnitCount, Better: Higher, OnPasses: true,
		Run:    func(s *Stats, _ time.Duration) float64 { return float64(s.Count) },
		Window: func(c *Counts, _ int) (float64, bool) { return float64(c.Count), true }},
	count("errors", Lower, (*Stats).Failures, (*Counts).Failures),
	failed("failed_assert", CheckFailed), failed("failed_parsed", ParseFailed), failed("failed_refused", Refused),
	failed("failed_timeout", Timeout), failed("failed_others", Other),
	{Name: "avg_recv_bytes", Unit: UnitBytes, Better: Lower,
		Run:    func(s *Stats, _ time.Duration) float64 { return perSample(float64(s.Recv), s.Count) },
		Window: responses(func(c *Counts) float64 { return float64(c.Recv) / float64(c.Count) })},
	{Name: "avg_sent_bytes", Unit: UnitBytes, Better: Lower,
		Run:    func(s *Stats, _ time.Duration) float64 { return perSample(float64(s.Sent), s.Count) },
		Window: responses(func(c *Counts) float64 { return float64(c.Sent) / float64(c.Count) })},
	{Name: "max_recv_bytes", Unit: UnitBytes, Better: Lower,
		Run: func(s *Stats, _ time.Duration) float64 { return float64(s.MaxRecv) }},
	{Name: "max_sent_bytes", Unit: UnitBytes, Better: Lower,
		Run: func(s *Stats, _ time.Duration) float64 { return float64(s.MaxSent) }},
	TPS, RPS,
}

// The metrics a probe reports of the load it found, beside the KPIs.
var (
	AvgRT       = timeMetric("avg_rt", func(s *Stats) time.Duration { return s.Mean }, meanRT)
	SuccessRate = KPIMetric{Name: "success_rate", Unit: UnitPercent, Better: Higher,
		Run:    func(s *Stats, _ time.Duration) float64 { return perSample(100*float64(s.Outcomes[Success]), s.Count) },
		Window: responses(func(c *Counts) float64 { return 100 * float64(c.Outcomes[Success]) / float64(c.Count) })}
	TPS = rate("tps", true)
	RPS = rate("rps", false)
)

func timeMetric(name string, of func(*Stats) time.Duration, window func(*Counts, int) (float64, bool)) KPIMetric {
	return KPIMetric{Name: name, Unit: UnitMillis, Better: Lower,
		Run: func(s *Stats, _ time.Duration) float64 { return millis(of(s)) }, Window: window}
}

func percentile(name string, q float64) KPIMetric {
	return timeMetric(name, func(s *Stats) time.Duration { return s.Percentile(q) }, nil)
}

// meanRT is avg_rt over a window.
var meanRT = responses(func(c *Counts) float64 { return millis(c.RTSum) / float64(c.Count) })

func count(name string, better Direction, of func(*Stats) int64, window func(*Counts) int64) KPIMetric {
	return KPIMetric{Name: name, Unit: UnitCount, Better: better,
		Run:    func(s *Stats, _ time.Duration) float64 { return float64(of(s)) },
		Window: func(c *Counts, _ int) (float64, bool) { return float64(window(c)), true }}
}

func failed(name string, o Outcome) KPIMetric {
	return count(name, Lower, func(s *Stats) int64 { return s.Outcomes[o] }, func(c *Counts) int64 { return c.Outcomes[o] })
}

func rate(name string, passes bool) KPIMetric {
	return KPIMetric{Name: name, Unit: UnitPerSecond, Better: Higher, OnPasses: passes,
		Run: func(s *Stats, d time.Duration) float64 {
			if d <= 0 {
				return 0
			}
			return float64(s.Count) / d.Seconds()
		},
		Window: func(c *Counts, seconds int) (float64, bool) { return float64(c.Count) / float64(seconds), true }}
}

// The KPIs of a custom metric are written NAME.STAT, e.g.
// "queue_ms.tp95 < 50": a counter has total (what was added up) and rate
// (that per second of the case); a gauge value (the last), min and max; a
// trend count (of values), avg, min, max and the percentiles tp50 to
// tp99.99. A threshold is in the metric's own unit, a rate's per second.
var customStats = map[ExtraKind][]string{
	Counter: {"total", "rate"},
	Gauge:   {"value", "min", "max"},
	Trend:   {"count", "avg", "min", "max", "tp50", "tp75", "tp85", "tp90", "tp95", "tp99", "tp99.9", "tp99.99"},
}

// CustomStats lists the stats a custom metric of kind k has, in the order
// above.
func CustomStats(k ExtraKind) []string { return customStats[k] }

// CustomKPI is the KPI row of stat of the custom metric x ("NAME.STAT");
// ok is false for a stat x's kind does not have. Counters and counts are
// better higher, values, extremes and percentiles lower.
func CustomKPI(x ExtraInfo, stat string) (m KPIMetric, ok bool) {
	m = KPIMetric{Name: x.Name + "." + stat, Unit: UnitCount, Better: Lower, Extra: x.Name}
	val := x.Unit.Value
	switch {
	case x.Kind == Counter && stat == "total":
		m.Better, m.OnExtra = Higher, func(e *ExtraStats, _ time.Duration) float64 { return val(e.Sum) }
	case x.Kind == Counter && stat == "rate":
		m.Unit, m.Better = UnitPerSecond, Higher
		m.OnExtra = func(e *ExtraStats, d time.Duration) float64 {
			if d <= 0 {
				return 0
			}
			return val(e.Sum) / d.Seconds()
		}
	case x.Kind == Gauge && stat == "value":
		m.OnExtra = func(e *ExtraStats, _ time.Duration) float64 { return val(e.Last) }
	case (x.Kind == Gauge || x.Kind == Trend) && stat == "min":
		m.OnExtra = func(e *ExtraStats, _ time.Duration) float64 { return val(e.Min) }
	case (x.Kind == Gauge || x.Kind == Trend) && stat == "max":
		m.OnExtra = func(e *ExtraStats, _ time.Duration) float64 { return val(e.Max) }
	case x.Kind == Trend && stat == "count":
		m.Better, m.OnExtra = Higher, func(e *ExtraStats, _ time.Duration) float64 { return float64(e.N) }
	case x.Kind == Trend && stat == "avg":
		m.OnExtra = func(e *ExtraStats, _ time.Duration) float64 { return perSample(val(e.Sum), e.N) }
	case x.Kind == Trend && strings.HasPrefix(stat, "tp") && slices.Contains(customStats[Trend], stat):
		q, _ := strconv.ParseFloat(stat[2:], 64)
		m.OnExtra = func(e *ExtraStats, _ time.Duration) float64 { return val(e.Percentile(q)) }
	default:
		return KPIMetric{}, false
	}
	return m, true
}

// responses makes the window function of a value that needs responses:
// none when no sample completed.
func responses(f func(c *Counts) float64) func(*Counts, int) (float64, bool) {
	return func(c *Counts, _ int) (float64, bool) {
		if c.Count == 0 {
			return 0, false
		}
		return f(c), true
	}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// perSample divides x by the number of samples, 0 when there are none.
func perSample(x float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return x / float64(n)
}
