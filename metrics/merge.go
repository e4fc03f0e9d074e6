package metrics

import (
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Merge combines series into one, exactly: counts, buckets and bytes add,
// histograms merge, and the per-second series add second by second (a
// second's P99 is then the largest of its parts', an upper bound). A
// case's requests merged are its report row (PerfTest's "performance").
func Merge(name string, kind Kind, parts ...*Stats) *Stats {
	m := mergeTotals(name, kind, parts)
	for _, p := range parts {
		for len(m.Seconds) < len(p.Seconds) {
			m.Seconds = append(m.Seconds, Second{})
		}
		for k, s := range p.Seconds {
			m.Seconds[k].add(s)
		}
	}
	return m
}

// mergeTotals merges every total of parts, leaving Seconds empty.
func mergeTotals(name string, kind Kind, parts []*Stats) *Stats {
	m := &Stats{Name: name, Kind: kind}
	var rt time.Duration
	for _, p := range parts {
		if p.Count > 0 {
			if m.Count == 0 || p.Min < m.Min {
				m.Min = p.Min
			}
			m.Max = max(m.Max, p.Max)
		}
		m.Count += p.Count
		for o, n := range p.Outcomes {
			m.Outcomes[o] += n
		}
		for c, n := range p.Status {
			m.Status[c] += n
		}
		for r, n := range p.Ranges {
			m.Ranges[r] += n
		}
		m.Sent += p.Sent
		m.Recv += p.Recv
		m.MaxSent = max(m.MaxSent, p.MaxSent)
		m.MaxRecv = max(m.MaxRecv, p.MaxRecv)
		m.Connects += p.Connects
		m.ConnectTime += p.ConnectTime
		for _, s := range p.Seconds {
			rt += s.RTSum
		}
		if p.Hist != nil {
			if m.Hist == nil {
				m.Hist = hdrhistogram.New(histLowest, histHighest, histDigits)
			}
			m.Hist.Merge(p.Hist)
		}
		m.Errors = mergeErrors(m.Errors, p.Errors)
	}
	if m.Count > 0 {
		m.Mean = rt / time.Duration(m.Count)
	}
	return m
}

func mergeErrors(dst, src []ErrorCount) []ErrorCount {
	for _, e := range src {
		i := slices.IndexFunc(dst, func(d ErrorCount) bool { return d.Outcome == e.Outcome && d.Message == e.Message })
		if i < 0 {
			dst = append(dst, e)
		} else {
			dst[i].Count += e.Count
		}
	}
	slices.SortStableFunc(dst, func(a, b ErrorCount) int { return int(min(max(b.Count-a.Count, -1), 1)) })
	return dst
}
