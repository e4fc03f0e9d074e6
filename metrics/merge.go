package metrics

import (
	"slices"
	"time"
)

// Merge combines series into one, exactly: counts, buckets and bytes add,
// histograms merge, and the per-second series add second by second. A
// second's P99 comes from the merged coarse histograms of the second when
// every part kept them (Stats.SecondHists), and is otherwise the largest
// of its parts', an upper bound. A case's requests merged are its report
// row (PerfTest's "performance").
func Merge(name string, kind Kind, parts ...*Stats) *Stats {
	return MergeAt(name, kind, parts, make([]int, len(parts)))
}

// MergeAt is Merge with the parts' seconds shifted: part i's second k is
// the merged series' second offsets[i]+k (offsets >= 0). Parts of a split
// run started at different instants line up so by absolute time.
func MergeAt(name string, kind Kind, parts []*Stats, offsets []int) *Stats {
	m := mergeTotals(name, kind, parts)
	n, hists := 0, true
	for i, p := range parts {
		if len(p.Seconds) > 0 {
			n = max(n, offsets[i]+len(p.Seconds))
			hists = hists && p.SecondHists.Len() >= len(p.Seconds)
		}
	}
	m.Seconds = make([]Second, n)
	for i, p := range parts {
		for k, s := range p.Seconds {
			m.Seconds[offsets[i]+k].add(s)
		}
	}
	if !hists || n == 0 {
		return m
	}
	m.SecondHists = &CoarseLog{}
	var h Coarse
	for k := range m.Seconds {
		clear(h[:])
		for i, p := range parts {
			p.SecondHists.AddTo(k-offsets[i], &h)
		}
		m.Seconds[k].P99 = micros(h.Quantile(int64(m.Seconds[k].Count), 0.99))
		m.SecondHists.Append(&h)
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
				m.Hist = NewHist()
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
