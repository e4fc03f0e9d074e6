package runner

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// Every rate shape, and manual changes to one, time their passes exactly:
// pass k is due at the first nanosecond by which the rate's integral
// reaches k.
// newPacer is the pacer of a stage run whole, in one process.
func newPacer(st *scenario.Stage) *pacer { return &pacer{st: st} }

func TestPacerDue(t *testing.T) {
	const ms, s = time.Millisecond, time.Second
	flat := &scenario.Stage{Mode: scenario.ModeTPS, StartTPS: 500, TPS: 500, Duration: 10 * s}
	// 100/s rising to 300/s over 2 s: 100t + 50t² passes by t.
	ramp := &scenario.Stage{Mode: scenario.ModeTPS, StartTPS: 100, TPS: 300, RampUp: 2 * s, Duration: 4 * s}
	// start_tps 0 over the whole stage: 0 to 400/s in 4 s, 50t².
	fromZero := &scenario.Stage{Mode: scenario.ModeTPS, StartTPS: 0, TPS: 400, Duration: 4 * s}
	// Periods of 10 s at 10/s with 2 s at 50/s in their middle (4 s to
	// 6 s in): 180 passes a period.
	surge := &scenario.Stage{Mode: scenario.ModeSurgeTPS, Min: 10, Max: 50, Hold: 2 * s, Loops: 2, Duration: 20 * s}
	// Nothing outside the one peak, from 4 s to 6 s at 50/s.
	surgeFromZero := &scenario.Stage{Mode: scenario.ModeSurgeTPS, Min: 0, Max: 50, Hold: 2 * s, Loops: 1, Duration: 10 * s}
	// 10/s to 30/s and back every 8 s: 80 passes every half period.
	osc := &scenario.Stage{Mode: scenario.ModeOscillateTPS, Min: 10, Max: 30, Loops: 2, Duration: 16 * s}
	// A count stage has no length: it holds its rate until its count.
	count := &scenario.Stage{Mode: scenario.ModeTPS, StartTPS: 400, TPS: 400, Count: 1000}

	// Manual changes to a flat 100/s: 50/s from 1.005 s (100.5 passes were
	// due by then), 0 from 2 s (150.25 due), 200/s from 3 s.
	hand := newPacer(&scenario.Stage{Mode: scenario.ModeTPS, StartTPS: 100, TPS: 100, Duration: 10 * s, Manual: true})
	half := hand.changed(1005*ms, 50)
	stopped := half.changed(2*s, 0)
	resumed := stopped.changed(3*s, 200)

	cases := []struct {
		name string
		p    *pacer
		k    int64
		want time.Duration
	}{
		{"flat: the first pass one interval in", newPacer(flat), 1, 2 * ms},
		{"flat: the third", newPacer(flat), 3, 6 * ms},
		{"flat: the last of the first second", newPacer(flat), 500, s},
		{"flat at 3/s: the first nanosecond past a third", newPacer(&scenario.Stage{Mode: scenario.ModeTPS, StartTPS: 3, TPS: 3, Duration: s}), 1, 333333334},
		{"ramp: 150 by the first second", newPacer(ramp), 150, s},
		{"ramp: 400 by its end", newPacer(ramp), 400, 2 * s},
		{"ramp: then 300/s", newPacer(ramp), 700, 3 * s},
		{"ramp: one more at 300/s", newPacer(ramp), 701, 3*s + 3333334},
		{"ramp from 0: the first pass at √(1/50) s", newPacer(fromZero), 1, 141421357},
		{"ramp from 0: 50 by 1 s", newPacer(fromZero), 50, s},
		{"ramp from 0: 200 by 2 s", newPacer(fromZero), 200, 2 * s},
		{"surge: at min", newPacer(surge), 1, 100 * ms},
		{"surge: the last before the peak", newPacer(surge), 40, 4 * s},
		{"surge: the first in the peak", newPacer(surge), 41, 4*s + 20*ms},
		{"surge: mid-peak", newPacer(surge), 90, 5 * s},
		{"surge: the last of the peak", newPacer(surge), 140, 6 * s},
		{"surge: back at min", newPacer(surge), 141, 6*s + 100*ms},
		{"surge: a period", newPacer(surge), 180, 10 * s},
		{"surge: the second peak", newPacer(surge), 270, 15 * s},
		{"surge: min after its loops", newPacer(surge), 410, 25 * s},
		{"surge from 0: nothing before the peak", newPacer(surgeFromZero), 1, 4*s + 20*ms},
		{"surge from 0: the peak's last", newPacer(surgeFromZero), 100, 6 * s},
		{"surge from 0: no more, ever", newPacer(surgeFromZero), 101, never},
		{"oscillation: half a period", newPacer(osc), 80, 4 * s},
		{"oscillation: a period", newPacer(osc), 160, 8 * s},
		{"oscillation: min after its loops", newPacer(osc), 360, 20 * s},
		{"count mode", newPacer(count), 1000, 2500 * ms},
		{"manual: before the change", half, 100, s},
		{"manual: after it, at 50/s", half, 101, 1015 * ms},
		{"manual: later at 50/s", half, 150, 1995 * ms},
		{"manual: a target of 0 stops the passes", stopped, 151, never},
		{"manual: the passes before 0 keep their times", stopped, 150, 1995 * ms},
		{"manual: resumed at 200/s", resumed, 151, 3*s + 3750*time.Microsecond},
		{"manual: resumed, the earlier changes hold", resumed, 101, 1015 * ms},
	}
	for _, tc := range cases {
		if got := tc.p.due(tc.k); got != tc.want {
			t.Errorf("%s: due(%d) = %v, want %v", tc.name, tc.k, got, tc.want)
		}
	}
}

// dueBy counts the passes due by a time: the first ones at the flat rate,
// none before the first, and what manual changes leave.
func TestPacerDueBy(t *testing.T) {
	const ms, s = time.Millisecond, time.Second
	flat := newPacer(&scenario.Stage{Mode: scenario.ModeTPS, StartTPS: 500, TPS: 500, Duration: 10 * s})
	hand := flat.changed(s, 0)
	cases := []struct {
		name string
		p    *pacer
		at   time.Duration
		want int64
	}{
		{"the start", flat, 0, 0},
		{"just before the first", flat, 2*ms - 1, 0},
		{"the first", flat, 2 * ms, 1},
		{"a second", flat, s, 500},
		{"a target of 0 from 1 s", hand, 5 * s, 500},
		{"before it", hand, 500 * ms, 250},
	}
	for _, tc := range cases {
		if got := tc.p.dueBy(tc.at); got != tc.want {
			t.Errorf("%s: dueBy(%v) = %d, want %d", tc.name, tc.at, got, tc.want)
		}
	}
}

// For shapes with awkward numbers, every pass is due at the first
// nanosecond its integral reaches it, passes come in order, and dueBy
// agrees with due on both sides of each pass.
func TestPacerDueIsFirstNanosecond(t *testing.T) {
	const s = time.Second
	rng := rand.New(rand.NewPCG(1, 2))
	var pacers []*pacer
	for range 20 {
		lo, hi := rng.Float64()*300, 300+rng.Float64()*3000
		dur := time.Duration(1+rng.IntN(5))*s + time.Duration(rng.Int64N(int64(s)))
		loops := 1 + rng.IntN(int(dur/s))
		hold := time.Duration(rng.Int64N(int64(dur / time.Duration(loops+1))))
		pacers = append(pacers,
			newPacer(&scenario.Stage{Mode: scenario.ModeTPS, StartTPS: lo, TPS: hi, RampUp: dur / 2, Duration: dur}),
			newPacer(&scenario.Stage{Mode: scenario.ModeSurgeTPS, Min: lo, Max: hi, Hold: hold + 1, Loops: loops, Duration: dur}),
			newPacer(&scenario.Stage{Mode: scenario.ModeOscillateTPS, Min: lo, Max: hi, Loops: loops, Duration: dur}),
			newPacer(&scenario.Stage{Mode: scenario.ModeOscillateTPS, Min: 0, Max: hi, Loops: loops, Duration: dur}),
			newPacer(&scenario.Stage{Mode: scenario.ModeOscillateTPS, Min: lo, Max: hi, Loops: loops, Duration: dur}).changed(dur/3, lo/7),
		)
	}
	for _, p := range pacers {
		prev := time.Duration(0)
		last := p.dueBy(p.st.Duration + s)
		for k := int64(1); k <= last; k++ {
			d := p.due(k)
			if d < prev || p.passes(d) < float64(k) || p.passes(d-1) >= float64(k) || p.dueBy(d) < k || p.dueBy(d-1) >= k {
				t.Fatalf("%v %+v: due(%d) = %v (after %v): passes there %.9f, a nanosecond before %.9f", p.st.Mode, *p.st, k, d, prev, p.passes(d), p.passes(d-1))
			}
			prev = d
		}
	}
}

func BenchmarkPacerDue(b *testing.B) {
	const s = time.Second
	for _, st := range []*scenario.Stage{
		{Mode: scenario.ModeTPS, StartTPS: 5000, TPS: 5000, Duration: 10 * s},
		{Mode: scenario.ModeTPS, StartTPS: 0, TPS: 5000, Duration: 10 * s},
		{Mode: scenario.ModeOscillateTPS, Min: 100, Max: 5000, Loops: 3, Duration: 10 * s},
	} {
		b.Run(st.Mode.String(), func(b *testing.B) {
			p := newPacer(st)
			k := int64(0)
			for b.Loop() {
				k = k%40000 + 1
				p.due(k)
			}
		})
	}
}
