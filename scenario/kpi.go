package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/perfcase/perfcase/metrics"
)

// The KPI grammar, used by case and request kpis, probing stop KPIs and
// SLA rules:
//
//	kpi    = metric op number [unit]
//	metric = the name of a metric in metrics.KPIs, e.g. "tp99", "success_rate", "tps"
//	       | custom "." stat             (a case's custom metric, e.g. "queue_ms.tp95")
//	stat   = a stat of the custom metric's kind (metrics.CustomStats)
//	op     = "<" | "<=" | ">" | ">=" | "==" | "!="
//	unit   = "us" | "ms" | "s" | "m"   (a time; a bare number is ms)
//	       | "%"                       (a rate; optional)
//	       | "B" | "KB" | "MB" | "GB"  (a size, 1024-based; a bare number is bytes)
//	       | "/s"                      (tps, rps; optional)
//
// The metric's unit in metrics.KPIs says which units it takes; a count
// takes none. A KPI states what must hold: "tp99 < 300ms" passes when the
// 99th percentile is under 300 ms.

var kpiOps = []string{"<=", ">=", "==", "!=", "<", ">"}

// ParseKPI parses one KPI such as "tp99 < 300ms".
func ParseKPI(s string) (*KPICheck, error) {
	src := strings.TrimSpace(s)
	opAt, op := -1, ""
	for i := 0; i < len(src) && opAt < 0; i++ {
		for _, o := range kpiOps {
			if strings.HasPrefix(src[i:], o) {
				opAt, op = i, o
				break
			}
		}
	}
	if opAt < 0 {
		return nil, fmt.Errorf("kpi %q has no comparison (use <, <=, >, >=, == or !=)", s)
	}
	metric := strings.TrimSpace(src[:opAt])
	def := metrics.KPIs.Lookup(metric)
	if name, stat, ok := strings.Cut(metric, "."); def == nil && ok && validIdent(name) {
		// A custom metric's: the compiler resolves it against the
		// case's metric: steps (KPICheck.Def is nil until then).
		if !slices.Contains(customStats(), stat) {
			return nil, &hintError{fmt.Errorf("%q is not a stat of a custom metric", stat), "stats: " + strings.Join(customStats(), ", ")}
		}
		unit := metrics.UnitCount
		if stat == "rate" {
			unit = metrics.UnitPerSecond
		}
		v, err := kpiValue(strings.TrimSpace(src[opAt+len(op):]), unit)
		if err != nil {
			return nil, fmt.Errorf("kpi %q: %v", s, err)
		}
		return &KPICheck{Source: src, Metric: metric, Op: op, Value: v}, nil
	}
	if def == nil {
		names := metrics.KPIs.Names()
		return nil, &hintError{fmt.Errorf("unknown kpi metric %q", metric), DidYouMeanOr(metric, names, "metrics: "+strings.Join(names, ", "))}
	}
	num := strings.TrimSpace(src[opAt+len(op):])
	v, err := kpiValue(num, def.Unit)
	if err != nil {
		return nil, fmt.Errorf("kpi %q: %v", s, err)
	}
	return &KPICheck{Source: src, Metric: metric, Def: def, Op: op, Value: v}, nil
}

// customStats lists every stat of any custom metric's kind, once.
func customStats() []string {
	var out []string
	for _, k := range []metrics.ExtraKind{metrics.Counter, metrics.Gauge, metrics.Trend} {
		for _, st := range metrics.CustomStats(k) {
			if !slices.Contains(out, st) {
				out = append(out, st)
			}
		}
	}
	return out
}

// KPISources lists the KPIs as they were written ("tp99 < 300ms"), nil for
// none.
func KPISources(list []*KPICheck) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, k := range list {
		out[i] = k.Source
	}
	return out
}

// DidYouMeanOr is the hint for a word that names nothing known: the
// candidate it most likely misspells, or else fallback.
func DidYouMeanOr(word string, candidates []string, fallback string) string {
	if h := didYouMean(word, candidates); h != "" {
		return h
	}
	return fallback
}

// hintError carries a hint along with an error message.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }

func kpiValue(s string, unit metrics.Unit) (float64, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == '-' || s[i] == '+') {
		i++
	}
	numText, suffix := s[:i], strings.TrimSpace(s[i:])
	v, err := strconv.ParseFloat(numText, 64)
	if err != nil || numText == "" {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("no KPI is negative; %s cannot be a threshold", numText)
	}
	switch unit {
	case metrics.UnitMillis:
		switch suffix {
		case "", "ms":
			return v, nil
		case "us", "µs":
			return v / 1000, nil
		case "s":
			return v * 1000, nil
		case "m":
			return v * 60000, nil
		}
		return 0, fmt.Errorf("unit %q is not a time unit (us, ms, s, m)", suffix)
	case metrics.UnitPercent:
		if suffix != "" && suffix != "%" {
			return 0, fmt.Errorf("a rate is a percentage, e.g. 99.5%%")
		}
		if v < 0 || v > 100 {
			return 0, fmt.Errorf("a rate is between 0 and 100")
		}
		return v, nil
	case metrics.UnitBytes:
		mult := map[string]float64{"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[suffix]
		if mult == 0 {
			return 0, fmt.Errorf("unit %q is not a size (B, KB, MB, GB)", suffix)
		}
		return v * mult, nil
	case metrics.UnitPerSecond:
		if suffix != "" && suffix != "/s" {
			return 0, fmt.Errorf("a rate is per second, e.g. 400 or 400/s")
		}
		return v, nil
	}
	if suffix != "" {
		return 0, fmt.Errorf("a count takes no unit, got %q", suffix)
	}
	return v, nil
}

// Holds reports whether the KPI is met by the observed value.
func (k *KPICheck) Holds(observed float64) bool {
	switch k.Op {
	case "<":
		return observed < k.Value
	case "<=":
		return observed <= k.Value
	case ">":
		return observed > k.Value
	case ">=":
		return observed >= k.Value
	case "==":
		return observed == k.Value
	}
	return observed != k.Value
}

func (w *walker) kpi(n *yaml.Node) *KPICheck {
	s, ok := w.scalar(w.resolve(n), "kpi")
	if !ok {
		return nil
	}
	k, err := ParseKPI(s)
	if err != nil {
		hint := "e.g. tp99 < 300ms, success_rate >= 99.5, tps >= 400"
		if he, ok := err.(*hintError); ok {
			hint = he.hint
		}
		w.errorf(n, hint, "%v", err)
		return nil
	}
	k.Pos = w.pos(n)
	return k
}

func (w *walker) kpiList(n *yaml.Node, what string) []*KPICheck {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []*KPICheck
	for _, item := range items {
		if k := w.kpi(item); k != nil {
			out = append(out, k)
		}
	}
	return out
}

func (w *walker) slaRule(n *yaml.Node) *SLARule {
	m := w.asMapping(n, "sla rule", "name", "kpi", "window", "breaches", "requests", "action")
	if m == nil {
		return nil
	}
	r := &SLARule{Pos: w.pos(m.node), Window: 6 * time.Second, Breaches: 1}
	if nm := m.get("name"); nm != nil {
		r.Name = w.str(nm, "name")
	}
	if !m.has("kpi") {
		w.errorf(m.node, "e.g. kpi: avg_rt < 500ms", "an sla rule needs a kpi")
		return nil
	}
	r.KPI = w.kpi(m.get("kpi"))
	if r.Name == "" && r.KPI != nil {
		r.Name = r.KPI.Source
	}
	if wn := m.get("window"); wn != nil {
		r.Window = w.duration(wn, "window")
		if r.Window < time.Second {
			w.errorf(wn, "", "window must be at least 1s")
		}
	}
	if b := m.get("breaches"); b != nil {
		r.Breaches = w.nonNegInt(b, "breaches")
		if r.Breaches < 1 {
			w.errorf(b, "", "breaches must be at least 1")
		}
	}
	if rq := m.get("requests"); rq != nil {
		r.Requests = w.strList(rq, "requests")
	}
	if a := m.get("action"); a != nil {
		switch s := w.str(a, "action"); s {
		case "stop":
			r.Stop = true
		case "flag":
		default:
			w.errorf(a, didYouMean(s, []string{"stop", "flag"}), "action must be stop or flag, got %q", s)
		}
	}
	return r
}
