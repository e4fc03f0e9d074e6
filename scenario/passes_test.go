package scenario

import (
	"math"
	"testing"
	"time"
)

// Passes is the area under each rate shape, exactly at points where the
// area is a whole number of passes.
func TestStagePasses(t *testing.T) {
	s := time.Second
	ms := time.Millisecond
	cases := []struct {
		name  string
		stage Stage
		at    time.Duration
		want  float64
	}{
		{"tps flat", Stage{Mode: ModeTPS, StartTPS: 500, TPS: 500, Duration: 10 * s}, 2 * ms, 1},
		{"tps flat, a second", Stage{Mode: ModeTPS, StartTPS: 500, TPS: 500, Duration: 10 * s}, s, 500},
		{"before the start", Stage{Mode: ModeTPS, StartTPS: 500, TPS: 500, Duration: 10 * s}, -s, 0},
		// 100/s rising to 300/s over 2 s: 100t + 50t².
		{"ramp, first second", Stage{Mode: ModeTPS, StartTPS: 100, TPS: 300, RampUp: 2 * s, Duration: 4 * s}, s, 150},
		{"ramp, at its end", Stage{Mode: ModeTPS, StartTPS: 100, TPS: 300, RampUp: 2 * s, Duration: 4 * s}, 2 * s, 400},
		{"ramp, then flat", Stage{Mode: ModeTPS, StartTPS: 100, TPS: 300, RampUp: 2 * s, Duration: 4 * s}, 3 * s, 700},
		// start_tps without ramp_up ramps over the whole stage: 0 to 400/s
		// over 4 s is 50t².
		{"ramp over the stage", Stage{Mode: ModeTPS, StartTPS: 0, TPS: 400, Duration: 4 * s}, 2 * s, 200},
		{"count mode holds the target", Stage{Mode: ModeTPS, StartTPS: 100, TPS: 400, Count: 1000}, s, 400},
		// Two periods of 10 s at 10/s, each with a 2 s peak at 50/s from
		// 4 s to 6 s into it: 180 passes a period.
		{"surge before the peak", Stage{Mode: ModeSurgeTPS, Min: 10, Max: 50, Hold: 2 * s, Loops: 2, Duration: 20 * s}, 4 * s, 40},
		{"surge in the peak", Stage{Mode: ModeSurgeTPS, Min: 10, Max: 50, Hold: 2 * s, Loops: 2, Duration: 20 * s}, 5 * s, 90},
		{"surge after the peak", Stage{Mode: ModeSurgeTPS, Min: 10, Max: 50, Hold: 2 * s, Loops: 2, Duration: 20 * s}, 7 * s, 150},
		{"surge, a period", Stage{Mode: ModeSurgeTPS, Min: 10, Max: 50, Hold: 2 * s, Loops: 2, Duration: 20 * s}, 10 * s, 180},
		{"surge, second peak", Stage{Mode: ModeSurgeTPS, Min: 10, Max: 50, Hold: 2 * s, Loops: 2, Duration: 20 * s}, 15 * s, 270},
		{"surge past its loops", Stage{Mode: ModeSurgeTPS, Min: 10, Max: 50, Hold: 2 * s, Loops: 2, Duration: 20 * s}, 25 * s, 410},
		// Oscillation between 10/s and 30/s, periods of 8 s: the mean 20/s
		// at every half period, where the sine is zero.
		{"oscillate half period", Stage{Mode: ModeOscillateTPS, Min: 10, Max: 30, Loops: 2, Duration: 16 * s}, 4 * s, 80},
		{"oscillate a period", Stage{Mode: ModeOscillateTPS, Min: 10, Max: 30, Loops: 2, Duration: 16 * s}, 8 * s, 160},
		{"oscillate past its loops", Stage{Mode: ModeOscillateTPS, Min: 10, Max: 30, Loops: 2, Duration: 16 * s}, 20 * s, 360},
		{"not a rate stage", Stage{Mode: ModeConcurrency, StartVUs: 5, VUs: 5, Duration: 10 * s}, s, 0},
	}
	for _, tc := range cases {
		if got := tc.stage.Passes(tc.at); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: Passes(%v) = %.12g, want %g", tc.name, tc.at, got, tc.want)
		}
	}
}

// Passes and Target describe one shape: over every 10 ms of a stage, the
// passes Passes adds are what Target's rate gives, summed finely.
func TestPassesIntegratesTarget(t *testing.T) {
	s := time.Second
	stages := []Stage{
		{Mode: ModeTPS, StartTPS: 37, TPS: 913, RampUp: 3 * s, Duration: 5 * s},
		{Mode: ModeTPS, StartTPS: 900, TPS: 1000, Duration: 5 * s},
		{Mode: ModeTPS, StartTPS: 0, TPS: 250, RampUp: 2 * s, Count: 10000},
		{Mode: ModeSurgeTPS, Min: 0, Max: 300, Hold: 700 * time.Millisecond, Loops: 3, Duration: 5 * s},
		{Mode: ModeSurgeTPS, Min: 20, Max: 90, Hold: 1300 * time.Millisecond, Loops: 1, Duration: 4 * s},
		{Mode: ModeOscillateTPS, Min: 0, Max: 400, Loops: 2, Duration: 5 * s},
		{Mode: ModeOscillateTPS, Min: 50, Max: 70, Loops: 1, Duration: 3 * s},
	}
	const step = 10 * time.Millisecond
	for _, st := range stages {
		for a := time.Duration(0); a < st.Duration+s; a += step {
			got := st.Passes(a+step) - st.Passes(a)
			want := 0.0
			for u := a; u < a+step; u += 10 * time.Microsecond {
				want += st.Target(u+5*time.Microsecond) * 1e-5
			}
			// The sum is exact where the rate is flat or linear; at a
			// surge's edge it is off by up to the jump times 10 µs
			// (0.003 of a pass here), on the cosine by far less.
			if math.Abs(got-want) > 5e-3 {
				t.Errorf("%v %+v: Passes over [%v, %v) = %.6f, Target sums to %.6f", st.Mode, st, a, a+step, got, want)
				break
			}
		}
	}
}
