package metrics

import "time"

// Value returns a KPI metric of a finished series over a run of duration d,
// in the unit scenario's KPI grammar uses, and whether the metric is known:
// times in milliseconds, rates in percent (0-100), bytes in bytes, counts
// and throughput as plain numbers.
//
// The definitions are kept simple:
//   - success_rate and error_rate are 0 for a series without samples: it
//     neither succeeded nor failed.
//   - requests and transactions are both the number of samples, whatever
//     the series' kind; errors is the number of failed ones.
//   - avg_recv_bytes and avg_sent_bytes are per sample.
//   - tps is completed samples (successful or not) per second of d, as
//     PerfTest counts responses received per second; rps is the same
//     number, which for a request series is requests per second. Both are
//     0 when d is not positive.
func (s *Stats) Value(metric string, d time.Duration) (float64, bool) {
	switch metric {
	case "avg_rt":
		return millis(s.Mean), true
	case "min_rt":
		return millis(s.Min), true
	case "max_rt":
		return millis(s.Max), true
	case "tp50":
		return millis(s.Percentile(50)), true
	case "tp75":
		return millis(s.Percentile(75)), true
	case "tp85":
		return millis(s.Percentile(85)), true
	case "tp90":
		return millis(s.Percentile(90)), true
	case "tp95":
		return millis(s.Percentile(95)), true
	case "tp99":
		return millis(s.Percentile(99)), true
	case "tp99.9":
		return millis(s.Percentile(99.9)), true
	case "tp99.99":
		return millis(s.Percentile(99.99)), true
	case "success_rate":
		return s.perSample(100 * float64(s.Outcomes[Success])), true
	case "error_rate":
		return s.perSample(100 * float64(s.Failures())), true
	case "requests", "transactions":
		return float64(s.Count), true
	case "errors":
		return float64(s.Failures()), true
	case "failed_assert":
		return float64(s.Outcomes[CheckFailed]), true
	case "failed_parsed":
		return float64(s.Outcomes[ParseFailed]), true
	case "failed_refused":
		return float64(s.Outcomes[Refused]), true
	case "failed_timeout":
		return float64(s.Outcomes[Timeout]), true
	case "failed_others":
		return float64(s.Outcomes[Other]), true
	case "avg_recv_bytes":
		return s.perSample(float64(s.Recv)), true
	case "avg_sent_bytes":
		return s.perSample(float64(s.Sent)), true
	case "max_recv_bytes":
		return float64(s.MaxRecv), true
	case "max_sent_bytes":
		return float64(s.MaxSent), true
	case "tps", "rps":
		if d <= 0 {
			return 0, true
		}
		return float64(s.Count) / d.Seconds(), true
	}
	return 0, false
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// perSample divides x by the number of samples, 0 when there are none.
func (s *Stats) perSample(x float64) float64 {
	if s.Count == 0 {
		return 0
	}
	return x / float64(s.Count)
}
