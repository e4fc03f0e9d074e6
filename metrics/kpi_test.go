package metrics

import (
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// value is a metric of the table over a whole series.
func value(t *testing.T, metric string, s *Stats, d time.Duration) float64 {
	t.Helper()
	m := KPIs.Lookup(metric)
	if m == nil {
		t.Fatalf("%q is not in KPIs", metric)
	}
	return m.Run(s, d)
}

func TestKPIRun(t *testing.T) {
	h := hdrhistogram.New(histLowest, histHighest, histDigits)
	for ms := int64(1); ms <= 1000; ms++ {
		if err := h.RecordValue(ms * 1000); err != nil {
			t.Fatal(err)
		}
	}
	st := &Stats{
		Count:    20,
		Outcomes: [NumOutcomes]int64{12, 1, 2, 3, 0, 2},
		Min:      1500 * time.Microsecond,
		Max:      2 * time.Second,
		Mean:     12345678 * time.Nanosecond,
		Hist:     h,
		Sent:     1000,
		Recv:     5000,
		MaxSent:  300,
		MaxRecv:  2000,
	}
	// tp is the percentile in ms as the histogram reports it: the highest
	// value equivalent to the exact one, within 0.1%.
	tp := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }
	for _, c := range []struct {
		metric string
		want   float64
	}{
		{"avg_rt", 12.345678},
		{"min_rt", 1.5},
		{"max_rt", 2000},
		{"tp50", tp(50)},
		{"tp75", tp(75)},
		{"tp85", tp(85)},
		{"tp90", tp(90)},
		{"tp95", tp(95)},
		{"tp99", tp(99)},
		{"tp99.9", tp(99.9)},
		{"tp99.99", tp(99.99)},
		{"success_rate", 60},
		{"error_rate", 40},
		{"requests", 20},
		{"transactions", 20},
		{"errors", 8},
		{"failed_assert", 1},
		{"failed_parsed", 2},
		{"failed_refused", 3},
		{"failed_timeout", 0},
		{"failed_others", 2},
		{"avg_recv_bytes", 250},
		{"avg_sent_bytes", 50},
		{"max_recv_bytes", 2000},
		{"max_sent_bytes", 300},
		{"tps", 5},
		{"rps", 5},
	} {
		if got := value(t, c.metric, st, 4*time.Second); got != c.want {
			t.Errorf("%s = %v; want %v", c.metric, got, c.want)
		}
	}
	for q, exact := range map[string]float64{"tp50": 500, "tp90": 900, "tp99": 990, "tp99.9": 999} {
		if got := value(t, q, st, time.Second); got < exact || got > exact*1.001 {
			t.Errorf("%s = %vms, exact %vms", q, got, exact)
		}
	}
	if got := value(t, "tps", st, 0); got != 0 {
		t.Errorf("tps over no time = %v; want 0", got)
	}
	if KPIs.Lookup("tp42") != nil {
		t.Error("tp42 is known")
	}
}

func TestKPIRunWithoutSamples(t *testing.T) {
	var st Stats
	for _, m := range KPIs {
		if got := m.Run(&st, time.Second); got != 0 {
			t.Errorf("%s of an empty series = %v; want 0", m.Name, got)
		}
	}
}

// Every metric of the table has a unit, a direction and a definition over
// a run; those a window can give are exactly the ones that need no single
// sample: not the percentiles, minima and maxima.
func TestKPITable(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range KPIs {
		if seen[m.Name] {
			t.Errorf("%s twice", m.Name)
		}
		seen[m.Name] = true
		if m.Run == nil || m.Better != Lower && m.Better != Higher {
			t.Errorf("%s: incomplete: %+v", m.Name, m)
		}
		perSample := m.Name == "min_rt" || m.Name == "max_rt" || strings.HasPrefix(m.Name, "tp") && m.Name != "tps" ||
			strings.HasPrefix(m.Name, "max_")
		if (m.Window == nil) != perSample {
			t.Errorf("%s: judged on a window: %v", m.Name, m.Window != nil)
		}
	}
	if got := strings.Join(KPIs.WindowNames(), " "); got != "avg_recv_bytes avg_rt avg_sent_bytes error_rate errors failed_assert failed_others failed_parsed failed_refused failed_timeout requests rps success_rate tps transactions" {
		t.Errorf("window metrics: %s", got)
	}
	for name, want := range map[string]Direction{"avg_rt": Lower, "tp99": Lower, "errors": Lower, "error_rate": Lower,
		"success_rate": Higher, "tps": Higher, "rps": Higher, "requests": Higher} {
		if got := KPIs.Lookup(name).Better; got != want {
			t.Errorf("%s is better %v, want %v", name, got, want)
		}
	}
}

// A window gives its metrics from the requests or, for tps and
// transactions, the passes; one that needs responses gives nothing when
// none completed, and a window of no seconds gives nothing.
func TestKPIWindow(t *testing.T) {
	w := Window{Seconds: 2,
		Requests: Counts{Count: 10, Outcomes: [NumOutcomes]int64{8, 1, 0, 0, 1, 0}, RTSum: 50 * time.Millisecond, Sent: 100, Recv: 1000},
		Passes:   Counts{Count: 4, Outcomes: [NumOutcomes]int64{4}}}
	for name, want := range map[string]float64{"avg_rt": 5, "success_rate": 80, "error_rate": 20, "requests": 10, "errors": 2,
		"failed_assert": 1, "failed_timeout": 1, "avg_sent_bytes": 10, "avg_recv_bytes": 100, "rps": 5, "tps": 2, "transactions": 4} {
		if got, ok := KPIs.Lookup(name).OnWindow(&w); !ok || got != want {
			t.Errorf("%s on the window = %v, %v; want %v", name, got, ok, want)
		}
	}
	idle := Window{Seconds: 3}
	for _, m := range KPIs {
		got, ok := m.OnWindow(&idle)
		needs := m.Name == "avg_rt" || strings.HasSuffix(m.Name, "_rate") || strings.HasPrefix(m.Name, "avg_")
		if m.Window == nil || needs {
			if ok {
				t.Errorf("%s judged on a window without responses: %v", m.Name, got)
			}
		} else if !ok || got != 0 {
			t.Errorf("%s on an idle window = %v, %v; want 0", m.Name, got, ok)
		}
		if _, ok := m.OnWindow(&Window{}); ok {
			t.Errorf("%s judged on no seconds", m.Name)
		}
	}
}
