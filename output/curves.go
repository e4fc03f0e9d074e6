package output

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/perftest"
)

// PerfcaseCurves are the per-second records (metrics.Second) of every
// series of every case, as columns: one array per measure, one entry per
// bucket of Step seconds. Step is 1 unless the run is long or has many
// series, when seconds are folded into wider buckets (the reporters'
// fold rule, docs/report-json.md), so that the report stays a few
// megabytes. Cases has one entry per case, in the scenario's order,
// aligned with result.cases.
type PerfcaseCurves struct {
	Step  int                  `json:"step"`
	Cases []PerfcaseCaseCurves `json:"cases"`
}

// PerfcaseCaseCurves are one case's curves. Bucket k covers [Start +
// k·Step s, Start + (k+1)·Step s), the last one ending at End: its
// samples are those that completed in its seconds of the case.
type PerfcaseCaseCurves struct {
	Case string `json:"case"`
	// Start and End are the case's start and end, in Unix milliseconds:
	// the curves are keyed by absolute time, so the parts of a run split
	// over several processes line up.
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// VUs is the mean of each bucket's seconds' VU counts.
	VUs Values `json:"vus"`
	// Series are the case's own row first (its requests taken together,
	// kind "case"), then its requests, transactions and passes, in the
	// order of the case's rows.
	Series []PerfcaseSeriesCurve `json:"series"`
}

// Kinds of a curve's series.
const (
	CurveCase        = "case"        // the case's requests taken together: its row
	CurveRequest     = "request"     // one request's samples
	CurveTransaction = "transaction" // one named transaction's
	CurvePasses      = "passes"      // the case's passes over its steps
)

// PerfcaseSeriesCurve is one series over time: per bucket, what its
// samples that completed in it add up to.
type PerfcaseSeriesCurve struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Together marks a transaction series that times a together: step's
	// group (its slowest request); false for every other series.
	Together bool    `json:"together"`
	Count    []int64 `json:"count"`
	// Failures are the failed samples per bucket by outcome
	// (metrics.Outcome's names: "check_failed", "parse_failed",
	// "refused", "timeout", "other"), for the outcomes that have any: an
	// outcome missing here is 0 throughout. The successes are Count less
	// them.
	Failures map[string][]int64 `json:"failures"`
	// RTSum is the response times summed (ms); RTMax the longest (ms)
	// and TP99 the 99th percentile (ms, from a coarse histogram: within
	// 1/32), both null in a bucket without samples. A bucket of several
	// seconds has its highest second's tp99, an upper bound of its own.
	RTSum Values `json:"rt_sum"`
	RTMax Values `json:"rt_max"`
	TP99  Values `json:"tp99"`
	// Sent and Recv are bytes.
	Sent []int64 `json:"sent"`
	Recv []int64 `json:"recv"`
	// Ranges is the whole run's samples per response-time range, in the
	// order of metrics.RangeNames: the series' own respTimeRange.
	Ranges []int64 `json:"ranges"`
	// Hists is each bucket's coarse histogram of response times
	// (metrics.Coarse), so that parts of a split run merge their
	// per-bucket percentiles exactly: EncodeHists' form, "" when the
	// series kept none (docs/report-json.md).
	Hists string `json:"hists"`
	// Hist is the whole series' HDR histogram of response times in µs
	// (1 µs to 1 h, 3 significant digits), as hdrhistogram-go's Encode
	// writes it (V2, compressed, base64); "" without samples.
	Hist string `json:"hist"`
	// Totals are what the rows round and a merge needs exact; nil in a
	// report written before perfcase wrote them.
	Totals *PerfcaseSeriesTotals `json:"totals"`
}

// PerfcaseSeriesTotals are a series' whole-run figures that the rest of
// the report rounds or leaves out, so that parts of a split run merge
// exactly ('perfcase merge').
type PerfcaseSeriesTotals struct {
	MinNS     int64   `json:"min_ns"`    // the shortest response time
	MaxNS     int64   `json:"max_ns"`    // the longest
	RTSumNS   int64   `json:"rt_sum_ns"` // every response time, summed
	Status    []int64 `json:"status"`    // responses 1xx to 5xx
	MaxSent   int64   `json:"max_sent"`  // bytes, the largest single sample
	MaxRecv   int64   `json:"max_recv"`
	Connects  int64   `json:"connects"`   // connections the samples opened
	ConnectNS int64   `json:"connect_ns"` // time spent opening them
}

// failureNames are the keys of PerfcaseSeriesCurve.Failures: every
// outcome but success.
var failureNames = func() []string {
	var names []string
	for o := metrics.Success + 1; o < metrics.NumOutcomes; o++ {
		names = append(names, o.String())
	}
	return names
}()

// Buckets is the number of buckets the series has.
func (s *PerfcaseSeriesCurve) Buckets() int { return len(s.Count) }

// Failed is the failed samples in bucket k, every outcome.
func (s *PerfcaseSeriesCurve) Failed(k int) int64 {
	var n int64
	for _, col := range s.Failures {
		n += at(col, k)
	}
	return n
}

// Check says what is wrong with the curves of a report of cases (its
// case names, in order), or nil: a consumer that reads them by index
// can then trust every column's length. Curves missing altogether (a
// report written before perfcase wrote them) are not wrong.
func (c *PerfcaseCurves) Check(cases []string) error {
	if c.Step == 0 && len(c.Cases) == 0 {
		return nil
	}
	if c.Step < 1 {
		return fmt.Errorf("curves.step is %d, not a number of seconds", c.Step)
	}
	if len(c.Cases) != len(cases) {
		return fmt.Errorf("curves.cases has %d entries for %d cases", len(c.Cases), len(cases))
	}
	for i := range c.Cases {
		cc := &c.Cases[i]
		if cc.Case != cases[i] {
			return fmt.Errorf("curves.cases[%d] is %.80q, not case %.80q", i, cc.Case, cases[i])
		}
		n := len(cc.VUs)
		for j := range cc.Series {
			s := &cc.Series[j]
			where := fmt.Sprintf("curves.cases[%d].series[%d]", i, j)
			lens := map[string]int{"count": len(s.Count), "rt_sum": len(s.RTSum), "rt_max": len(s.RTMax), "tp99": len(s.TP99),
				"sent": len(s.Sent), "recv": len(s.Recv)}
			for o, col := range s.Failures {
				if !slices.Contains(failureNames, o) {
					return fmt.Errorf("%s.failures has %.40q, not a failure bucket (%v)", where, o, failureNames)
				}
				lens["failures."+o] = len(col)
			}
			for _, name := range slices.Sorted(maps.Keys(lens)) {
				if lens[name] != n {
					return fmt.Errorf("%s.%.60s has %d buckets, vus %d", where, name, lens[name], n)
				}
			}
			if len(s.Ranges) != len(metrics.RangeNames) {
				return fmt.Errorf("%s.ranges has %d entries, not %d", where, len(s.Ranges), len(metrics.RangeNames))
			}
		}
	}
	return nil
}

// Find finds the case's series of a kind and name, or nil.
func (cc *PerfcaseCaseCurves) Find(kind, name string) *PerfcaseSeriesCurve {
	for i := range cc.Series {
		if s := &cc.Series[i]; s.Kind == kind && s.Name == name {
			return s
		}
	}
	return nil
}

// Brokens spells series s of the case as the report API's per-second
// series (4.6.1's brokens, 4.6.3's broken_list): per bucket of step
// seconds, stamped with its start, each count divided by step (a mean
// per second, a bucket of one second its count), the average response
// time in ms (0 without samples, as brokens writes it) and the case's
// VUs.
func (cc *PerfcaseCaseCurves) Brokens(s *PerfcaseSeriesCurve, step int) *perftest.ReportbrokensInfo {
	n := s.Buckets()
	b := &perftest.ReportbrokensInfo{
		BrandBrokens:     &perftest.BrandBrokens{RecBytes: make([]float64, n), SentBytes: make([]float64, n)},
		CommonTimeStamps: make([]string, n),
		RespcodeBrokens: &perftest.RespcodeBrokens{
			CheckPointFailed: make([]float64, n), Error: make([]float64, n), OthersFailed: make([]float64, n),
			ParsedFailed: make([]float64, n), RefusedFailed: make([]float64, n), Success: make([]float64, n),
			Timeout: make([]float64, n),
		},
		TpsBrokens:    &perftest.TpsBrokens{Average: make([]float64, n), TPS: make([]float64, n)},
		VusersBrokens: &perftest.VusersBrokens{Vusers: make([]float64, n)},
	}
	w := float64(max(step, 1))
	rate := func(v int64) float64 { return float64(v) / w }
	rc := b.RespcodeBrokens
	for k := range n {
		b.CommonTimeStamps[k] = strconv.FormatInt(cc.Start+int64(k)*int64(step)*1000, 10)
		count, failed := at(s.Count, k), s.Failed(k)
		b.TpsBrokens.TPS[k] = rate(count)
		if sum := atValue(s.RTSum, k); count > 0 && !math.IsNaN(sum) {
			b.TpsBrokens.Average[k] = math.Round(sum/float64(count)*1000) / 1000
		}
		rc.Success[k] = rate(count - failed)
		rc.Error[k] = rate(failed)
		rc.CheckPointFailed[k] = rate(at(s.Failures[metrics.CheckFailed.String()], k))
		rc.ParsedFailed[k] = rate(at(s.Failures[metrics.ParseFailed.String()], k))
		rc.RefusedFailed[k] = rate(at(s.Failures[metrics.Refused.String()], k))
		rc.Timeout[k] = rate(at(s.Failures[metrics.Timeout.String()], k))
		rc.OthersFailed[k] = rate(at(s.Failures[metrics.Other.String()], k))
		b.BrandBrokens.RecBytes[k] = rate(at(s.Recv, k))
		b.BrandBrokens.SentBytes[k] = rate(at(s.Sent, k))
		if v := atValue(cc.VUs, k); !math.IsNaN(v) {
			b.VusersBrokens.Vusers[k] = v
		}
	}
	return b
}

func at(col []int64, k int) int64 {
	if k < len(col) {
		return col[k]
	}
	return 0
}

func atValue(col Values, k int) float64 {
	if k < len(col) {
		return col[k]
	}
	return math.NaN()
}

// RespTimeRange spells counts per response-time range (metrics.RangeNames'
// order) as respTimeRange does: "share%(count)", the share with one
// decimal.
func RespTimeRange(counts []int64) map[string]string {
	var total int64
	for _, n := range counts {
		total += n
	}
	m := make(map[string]string, len(metrics.RangeNames))
	for i, name := range metrics.RangeNames {
		n := at(counts, i)
		pct := 0.0
		if total > 0 {
			pct = 100 * float64(n) / float64(total)
		}
		m[name] = fmt.Sprintf("%.1f%%(%d)", pct, n)
	}
	return m
}

// Values is a column of numbers in which NaN is a bucket without a value,
// written null.
type Values []float64

func (v Values) MarshalJSON() ([]byte, error) {
	if v == nil {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 8*len(v)+2)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, x, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

func (v *Values) UnmarshalJSON(data []byte) error {
	var raw []*float64
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		*v = nil
		return nil
	}
	out := make(Values, len(raw))
	for i, p := range raw {
		out[i] = math.NaN()
		if p != nil {
			out[i] = *p
		}
	}
	*v = out
	return nil
}
