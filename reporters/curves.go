package reporters

import (
	"math"
	"slices"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// MaxChartPoints is the most buckets one series over time holds: 45
// minutes of seconds. A longer run's series are folded into buckets of
// several seconds, as PerfTest down-samples its charts past 45 minutes,
// so that a two-hour run's page stays small and quick.
const MaxChartPoints = 2700

// bucketSteps are the bucket widths, in seconds, seconds are folded
// into.
var bucketSteps = []int{1, 2, 3, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600}

// MaxCurvePoints bounds the report's curves (perfcase.curves): every
// series' buckets together, so that a long run with many request names
// keeps a report of a few megabytes (a one-hour run of 200 requests:
// TestCurvesSize).
const MaxCurvePoints = 100_000

// foldStep is the width, in seconds, of the buckets that n seconds of
// series series are folded into: the shortest of bucketSteps with which
// one series has at most MaxChartPoints buckets and all of them together
// at most MaxCurvePoints. The HTML report's charts (one series each) and
// the report's curves fold by it.
func foldStep(n, series int) int {
	for _, s := range bucketSteps {
		b := (n + s - 1) / s
		if b <= MaxChartPoints && b*max(series, 1) <= MaxCurvePoints {
			return s
		}
	}
	return bucketSteps[len(bucketSteps)-1]
}

// newCurves folds every case's series into the report's curves, with one
// bucket width for the whole report, chosen by foldStep from the longest
// case and the number of series (each case's own row counts as one).
func newCurves(views []*caseView) output.PerfcaseCurves {
	longest, series := 0, 0
	for _, v := range views {
		longest = max(longest, v.seconds())
		series += 1 + len(v.requests) + len(v.txs) + 1
	}
	step := foldStep(longest, series)
	out := output.PerfcaseCurves{Step: step, Cases: make([]output.PerfcaseCaseCurves, 0, len(views))}
	for _, v := range views {
		out.Cases = append(out.Cases, v.curves(step))
	}
	return out
}

// seconds is how many per-second records the case has: its series all
// have as many, but an empty placeholder (a case without passes) has
// none.
func (v *caseView) seconds() int {
	n := len(v.reqs.Seconds)
	for _, s := range v.c.Stats.Series {
		n = max(n, len(s.Seconds))
	}
	return n
}

// curves folds the case's series into buckets of step seconds.
func (v *caseView) curves(step int) output.PerfcaseCaseCurves {
	n := v.seconds()
	buckets := (n + step - 1) / step
	cs := v.c.Stats
	cc := output.PerfcaseCaseCurves{
		Case:   cs.Name,
		Start:  cs.Start.UnixMilli(),
		End:    cs.End.UnixMilli(),
		VUs:    make(output.Values, buckets),
		Series: make([]output.PerfcaseSeriesCurve, 0, 2+len(v.requests)+len(v.txs)),
	}
	// Every series of a second carries the case's VU count; a series
	// shorter than the case (none is, but a placeholder) leaves it to
	// the others.
	vus := make([]uint32, n)
	for _, s := range append([]*metrics.Stats{v.reqs, v.pass}, cs.Series...) {
		for k := range s.Seconds {
			vus[k] = max(vus[k], s.Seconds[k].VUs)
		}
	}
	for b := range buckets {
		lo, hi := b*step, min((b+1)*step, n)
		var sum int64
		for _, u := range vus[lo:hi] {
			sum += int64(u)
		}
		cc.VUs[b] = round(float64(sum)/float64(hi-lo), 2)
	}
	cc.Series = append(cc.Series, foldSeries(output.CurveCase, cs.Name, v.reqs, buckets, step))
	for _, s := range v.requests {
		cc.Series = append(cc.Series, foldSeries(output.CurveRequest, s.Name, s, buckets, step))
	}
	for _, s := range v.txs {
		sc := foldSeries(output.CurveTransaction, s.Name, s, buckets, step)
		sc.Together = slices.Contains(v.c.Together, s.Name)
		cc.Series = append(cc.Series, sc)
	}
	cc.Series = append(cc.Series, foldSeries(output.CurvePasses, v.pass.Name, v.pass, buckets, step))
	return cc
}

// foldSeries sums a series' seconds into buckets of step seconds: counts,
// failures, response-time sums, bytes and the seconds' coarse histograms
// add; the longest response time is the bucket's highest second's, and
// the tp99 that of the bucket's histogram, or, for a series without
// them, its highest second's, an upper bound. The series' totals and
// HDR histogram come along, for a merge.
func foldSeries(kind, name string, s *metrics.Stats, buckets, step int) output.PerfcaseSeriesCurve {
	sc := output.PerfcaseSeriesCurve{
		Kind:     kind,
		Name:     name,
		Count:    make([]int64, buckets),
		Failures: map[string][]int64{},
		RTSum:    make(output.Values, buckets),
		RTMax:    make(output.Values, buckets),
		TP99:     make(output.Values, buckets),
		Sent:     make([]int64, buckets),
		Recv:     make([]int64, buckets),
		Ranges:   append([]int64(nil), s.Ranges[:]...),
		Hist:     output.EncodeHist(s.Hist),
		Totals: &output.PerfcaseSeriesTotals{
			MinNS: int64(s.Min), MaxNS: int64(s.Max), Status: append([]int64(nil), s.Status[1:]...),
			MaxSent: s.MaxSent, MaxRecv: s.MaxRecv, Connects: s.Connects, ConnectNS: int64(s.ConnectTime),
		},
	}
	rtSum := make([]time.Duration, buckets)
	rtMax, tp99 := make([]metrics.Micros, buckets), make([]metrics.Micros, buckets)
	for k := range s.Seconds {
		sec := &s.Seconds[k]
		b := min(k/step, buckets-1)
		sc.Count[b] += int64(sec.Count)
		for o := metrics.Success + 1; o < metrics.NumOutcomes; o++ {
			if sec.Outcomes[o] == 0 {
				continue
			}
			col := sc.Failures[o.String()]
			if col == nil {
				col = make([]int64, buckets)
				sc.Failures[o.String()] = col
			}
			col[b] += int64(sec.Outcomes[o])
		}
		rtSum[b] += sec.RTSum
		sc.Totals.RTSumNS += int64(sec.RTSum)
		rtMax[b] = max(rtMax[b], sec.Max)
		tp99[b] = max(tp99[b], sec.P99)
		sc.Sent[b] += sec.Sent
		sc.Recv[b] += sec.Recv
	}
	if s.SecondHists.Len() >= len(s.Seconds) {
		var hw output.HistWriter
		var h metrics.Coarse
		for b := range buckets {
			clear(h[:])
			for k := b * step; k < min((b+1)*step, len(s.Seconds)); k++ {
				s.SecondHists.AddTo(k, &h)
			}
			if b == buckets-1 { // the last bucket takes any seconds past it
				for k := buckets * step; k < len(s.Seconds); k++ {
					s.SecondHists.AddTo(k, &h)
				}
			}
			tp99[b] = metrics.Micros(h.Quantile(sc.Count[b], 0.99) / time.Microsecond)
			hw.Add(&h)
		}
		sc.Hists = hw.String()
	}
	for b := range buckets {
		sc.RTSum[b] = millis3(rtSum[b])
		sc.RTMax[b], sc.TP99[b] = math.NaN(), math.NaN()
		if sc.Count[b] > 0 {
			sc.RTMax[b], sc.TP99[b] = millis3(rtMax[b].Duration()), millis3(tp99[b].Duration())
		}
	}
	return sc
}

// millis3 is d in milliseconds, to the microsecond, as the report writes
// times.
func millis3(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)) / float64(time.Millisecond)
}
