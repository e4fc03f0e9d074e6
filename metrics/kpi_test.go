package metrics

import (
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfcase/perfcase/scenario"
)

func TestValue(t *testing.T) {
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
		got, ok := st.Value(c.metric, 4*time.Second)
		if !ok || got != c.want {
			t.Errorf("Value(%q) = %v, %v; want %v", c.metric, got, ok, c.want)
		}
	}
	for q, exact := range map[string]float64{"tp50": 500, "tp90": 900, "tp99": 990, "tp99.9": 999} {
		if got, _ := st.Value(q, time.Second); got < exact || got > exact*1.001 {
			t.Errorf("%s = %vms, exact %vms", q, got, exact)
		}
	}
	if got, ok := st.Value("tps", 0); !ok || got != 0 {
		t.Errorf("tps over no time = %v, %v; want 0", got, ok)
	}
	if _, ok := st.Value("tp42", time.Second); ok {
		t.Error("tp42 is known")
	}
}

func TestValueWithoutSamples(t *testing.T) {
	var st Stats
	for metric := range scenario.Metrics {
		if got, ok := st.Value(metric, time.Second); !ok || got != 0 {
			t.Errorf("Value(%q) of an empty series = %v, %v; want 0", metric, got, ok)
		}
	}
}

func TestValueKnowsEveryScenarioMetric(t *testing.T) {
	st := &Stats{Count: 1, Outcomes: [NumOutcomes]int64{1}}
	for metric := range scenario.Metrics {
		if _, ok := st.Value(metric, time.Second); !ok {
			t.Errorf("scenario metric %q is unknown to Stats.Value", metric)
		}
	}
}
