package scenario

import (
	"math"
	"testing"
	"time"
)

func TestStageTargets(t *testing.T) {
	s := time.Second
	cases := []struct {
		name  string
		stage Stage
		at    time.Duration
		want  float64
	}{
		// Concurrency ramps linearly from start_vus over ramp_up.
		{"concurrency start", Stage{Mode: ModeConcurrency, StartVUs: 2, VUs: 12, RampUp: 10 * s, Duration: 60 * s}, 0, 2},
		{"concurrency mid-ramp", Stage{Mode: ModeConcurrency, StartVUs: 2, VUs: 12, RampUp: 10 * s, Duration: 60 * s}, 5 * s, 7},
		{"concurrency after ramp", Stage{Mode: ModeConcurrency, StartVUs: 2, VUs: 12, RampUp: 10 * s, Duration: 60 * s}, 30 * s, 12},
		{"concurrency flat", Stage{Mode: ModeConcurrency, StartVUs: 12, VUs: 12, Duration: 60 * s}, 0, 12},
		// A start value without ramp_up ramps over the whole stage.
		{"tps ramps over the stage", Stage{Mode: ModeTPS, StartTPS: 100, TPS: 500, Duration: 100 * s}, 50 * s, 300},
		{"tps count mode jumps", Stage{Mode: ModeTPS, StartTPS: 100, TPS: 500, Count: 1000}, 0, 500},
		{"peak probe halfway", Stage{Mode: ModePeakProbe, StartVUs: 10, VUs: 110, RampUp: 100 * s, Duration: 200 * s}, 50 * s, 60},
		{"peak probe holds", Stage{Mode: ModePeakProbe, StartVUs: 10, VUs: 110, RampUp: 100 * s, Duration: 200 * s}, 150 * s, 110},
		// Step probing: +5 every 30 s, capped at max.
		{"steps first", Stage{Mode: ModeStepProbe, StartVUs: 5, VUs: 20, StepSize: 5, StepTime: 30 * s, Duration: 300 * s}, 29 * s, 5},
		{"steps second", Stage{Mode: ModeStepProbe, StartVUs: 5, VUs: 20, StepSize: 5, StepTime: 30 * s, Duration: 300 * s}, 30 * s, 10},
		{"steps capped", Stage{Mode: ModeStepProbe, StartVUs: 5, VUs: 20, StepSize: 5, StepTime: 30 * s, Duration: 300 * s}, 290 * s, 20},
		// Surge: 3 periods of 30 s, each with a 10 s peak in its middle
		// (from 10 s to 20 s into the period).
		{"surge low before peak", Stage{Mode: ModeSurgeConcurrency, Min: 10, Max: 50, Hold: 10 * s, Loops: 3, Duration: 90 * s}, 9 * s, 10},
		{"surge peak", Stage{Mode: ModeSurgeConcurrency, Min: 10, Max: 50, Hold: 10 * s, Loops: 3, Duration: 90 * s}, 10 * s, 50},
		{"surge peak end", Stage{Mode: ModeSurgeConcurrency, Min: 10, Max: 50, Hold: 10 * s, Loops: 3, Duration: 90 * s}, 20 * s, 10},
		{"surge third peak", Stage{Mode: ModeSurgeTPS, Min: 10, Max: 50, Hold: 10 * s, Loops: 3, Duration: 90 * s}, 75 * s, 50},
		// Oscillation: a raised cosine, min at period edges, max mid-period.
		{"oscillate start", Stage{Mode: ModeOscillateTPS, Min: 10, Max: 30, Loops: 2, Duration: 60 * s}, 0, 10},
		{"oscillate crest", Stage{Mode: ModeOscillateTPS, Min: 10, Max: 30, Loops: 2, Duration: 60 * s}, 15 * s, 30},
		{"oscillate quarter", Stage{Mode: ModeOscillateConcurrency, Min: 10, Max: 30, Loops: 2, Duration: 60 * s}, 7500 * time.Millisecond, 20},
		{"oscillate second crest", Stage{Mode: ModeOscillateConcurrency, Min: 10, Max: 30, Loops: 2, Duration: 60 * s}, 45 * s, 30},
	}
	for _, tc := range cases {
		if got := tc.stage.Target(tc.at); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: Target(%v) = %g, want %g", tc.name, tc.at, got, tc.want)
		}
	}
}

func TestStageIsRateAndPeak(t *testing.T) {
	cases := []struct {
		stage Stage
		rate  bool
		peak  float64
	}{
		{Stage{Mode: ModeConcurrency, VUs: 10}, false, 10},
		{Stage{Mode: ModeTPS, TPS: 500}, true, 500},
		{Stage{Mode: ModeSurgeTPS, Max: 80}, true, 80},
		{Stage{Mode: ModeOscillateConcurrency, Max: 30}, false, 30},
		{Stage{Mode: ModeStepProbe, VUs: 20}, false, 20},
	}
	for _, tc := range cases {
		if tc.stage.IsRate() != tc.rate || tc.stage.Peak() != tc.peak {
			t.Errorf("%v: IsRate %v Peak %g, want %v %g", tc.stage.Mode, tc.stage.IsRate(), tc.stage.Peak(), tc.rate, tc.peak)
		}
	}
}

func TestParseKPI(t *testing.T) {
	cases := []struct {
		src    string
		metric string
		op     string
		value  float64
	}{
		{"tp99 < 300ms", "tp99", "<", 300},
		{"tp99.9<=1.5s", "tp99.9", "<=", 1500},
		{"avg_rt < 250", "avg_rt", "<", 250}, // a bare time is milliseconds
		{"max_rt < 500us", "max_rt", "<", 0.5},
		{"success_rate >= 99.5%", "success_rate", ">=", 99.5},
		{"tps >= 400/s", "tps", ">=", 400},
		{"errors == 0", "errors", "==", 0},
		{"avg_recv_bytes < 2KB", "avg_recv_bytes", "<", 2048},
		{"failed_timeout != 3", "failed_timeout", "!=", 3},
	}
	for _, tc := range cases {
		k, err := ParseKPI(tc.src)
		if err != nil {
			t.Errorf("ParseKPI(%q) = %v", tc.src, err)
			continue
		}
		if k.Metric != tc.metric || k.Op != tc.op || math.Abs(k.Value-tc.value) > 1e-9 {
			t.Errorf("ParseKPI(%q) = %s %s %g, want %s %s %g", tc.src, k.Metric, k.Op, k.Value, tc.metric, tc.op, tc.value)
		}
	}
	for _, bad := range []string{"tp99", "tp98 < 3ms", "tp99 < fast", "success_rate > 120", "tps > 5ms", "errors < 3s", "avg_recv_bytes < 3 parsecs", "< 5"} {
		if _, err := ParseKPI(bad); err == nil {
			t.Errorf("ParseKPI(%q) succeeded, want an error", bad)
		}
	}
}

func TestKPIHolds(t *testing.T) {
	cases := []struct {
		src      string
		observed float64
		want     bool
	}{
		{"tp99 < 300ms", 299.9, true},
		{"tp99 < 300ms", 300, false},
		{"success_rate >= 99.5", 99.5, true},
		{"success_rate >= 99.5", 99.49, false},
		{"errors == 0", 0, true},
		{"errors != 0", 0, false},
		{"tps > 10", 10.1, true},
		{"avg_rt <= 5", 5, true},
	}
	for _, tc := range cases {
		k, err := ParseKPI(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.Holds(tc.observed); got != tc.want {
			t.Errorf("%q.Holds(%g) = %v, want %v", tc.src, tc.observed, got, tc.want)
		}
	}
}
