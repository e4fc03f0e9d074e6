package reporters

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/scenario"
)

// Part is one report of a split run ('perfcase run --segment'), and
// where it came from, to name it in errors.
type Part struct {
	Name   string
	Report *output.Report
}

// MergeParts merges the reports of a split run's parts into one finished
// run, judged, as 'perfcase merge' writes it and the report service shows
// it: per case and series, counts and bytes add, HDR histograms merge (so
// every percentile is read from the histogram of every sample), and the
// curves add second by second by absolute time, each bucket's coarse
// histograms merged; every KPI is judged again on the merged series by its
// row of metrics.KPIs, and Run.Judge gives the verdict.
//
// The parts must share one run id and count, each index once. A part
// missing or failed (interrupted or aborted) is refused unless
// allowPartial, which merges the parts there are and marks the run
// partial (Run.Partial): its verdict cannot pass. Every reason to refuse
// is reported at once.
func MergeParts(parts []Part, allowPartial bool) (*output.Finished, error) {
	m, err := checkParts(parts, allowPartial)
	if err != nil {
		return nil, err
	}
	run, err := mergeRuns(parts, m)
	if err != nil {
		return nil, err
	}
	f := Finish(run)
	f.Report.Result.Perfcase.Merged = m
	return f, nil
}

// maxParts bounds the parts of a run, far past any real split, so that
// a report's count is not trusted to size the list of those missing.
const maxParts = 100_000

// checkParts checks that parts are the parts of one split run, and
// describes the merge.
func checkParts(parts []Part, allowPartial bool) (*output.PerfcaseMerged, error) {
	if len(parts) == 0 {
		return nil, errors.New("no part to merge")
	}
	var errs []error
	first := &parts[0].Report.Result.Perfcase
	m := &output.PerfcaseMerged{Missing: []int{}, Failed: []int{}, Parts: []output.PerfcaseMergedPart{}}
	seen := map[int]string{}
	var earliest, latest time.Time
	for _, p := range parts {
		pc := &p.Report.Result.Perfcase
		seg := pc.Segment
		if seg == nil {
			errs = append(errs, fmt.Errorf("%s is not a part of a split run: it has no perfcase.segment ('perfcase run --segment I/N' writes one)", p.Name))
			continue
		}
		if m.Count == 0 {
			m.Count = seg.Count
		}
		switch {
		case pc.RunID != first.RunID:
			errs = append(errs, fmt.Errorf("%s is of run %q, %s of run %q: merge the parts of one run (perfcase run --run-id)", p.Name, pc.RunID, parts[0].Name, first.RunID))
		case seg.Count != m.Count || seg.Count < 1:
			errs = append(errs, fmt.Errorf("%s is part %d of %d, %s of %d", p.Name, seg.Index, seg.Count, parts[0].Name, m.Count))
		case seg.Index < 0 || seg.Index >= seg.Count:
			errs = append(errs, fmt.Errorf("%s is part %d of %d: an index runs from 0 to %d", p.Name, seg.Index, seg.Count, seg.Count-1))
		case seen[seg.Index] != "":
			errs = append(errs, fmt.Errorf("%s and %s are both part %d of run %q", seen[seg.Index], p.Name, seg.Index, pc.RunID))
		}
		seen[seg.Index] = p.Name
		failed := failedPart(pc)
		started, err := time.Parse(time.RFC3339Nano, seg.Started)
		switch {
		case seg.Started == "" && failed:
			// Stopped while waiting for --start-at, it started no case:
			// it has no start to spread.
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: segment.started %q is not an RFC 3339 time", p.Name, seg.Started))
		default:
			if earliest.IsZero() || started.Before(earliest) {
				earliest = started
			}
			if started.After(latest) {
				latest = started
			}
		}
		if failed {
			m.Failed = append(m.Failed, seg.Index)
			if !allowPartial {
				errs = append(errs, fmt.Errorf("%s, part %d of %d, failed (%s%s): run it again, or merge the others with --allow-partial",
					p.Name, seg.Index, seg.Count, pc.Status, colon(pc.Reason)))
			}
		}
		m.Parts = append(m.Parts, output.PerfcaseMergedPart{Index: seg.Index, Started: seg.Started, LateMS: seg.LateMS, Status: pc.Status, Verdict: pc.Verdict})
	}
	if m.Count > maxParts {
		return nil, fmt.Errorf("%s is one of %d parts: perfcase merges at most %d", parts[0].Name, m.Count, maxParts)
	}
	for i := range m.Count {
		if seen[i] == "" {
			m.Missing = append(m.Missing, i)
		}
	}
	if len(m.Missing) > 0 && !allowPartial {
		errs = append(errs, fmt.Errorf("part%s of %d of run %q missing: merge every part, or those there are with --allow-partial",
			indexList(m.Missing), m.Count, first.RunID))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(m.Parts, func(a, b output.PerfcaseMergedPart) int { return a.Index - b.Index })
	slices.Sort(m.Failed)
	m.Partial = len(m.Missing)+len(m.Failed) > 0
	m.StartSpreadMS = float64(latest.Sub(earliest).Microseconds()) / 1000
	return m, nil
}

// failedPart reports whether a part's run did not complete: interrupted
// or aborted, it may lack its later cases, or every case.
func failedPart(pc *output.PerfcaseInfo) bool {
	return pc.Status == "interrupted" || pc.Status == "aborted"
}

func colon(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// indexList spells indexes as "1", "1 and 3" or "1, 2 and 3" ("parts"
// for more than one).
func indexList(ix []int) string {
	s := fmt.Sprint(ix[0])
	for i, n := range ix[1:] {
		if i == len(ix)-2 {
			s += fmt.Sprintf(" and %d", n)
		} else {
			s += fmt.Sprintf(", %d", n)
		}
	}
	if len(ix) > 1 {
		return "s " + s
	}
	return " " + s
}

// partialWords says what a merged run lacks, e.g. "part 3 of 4 missing;
// part 1 of 4 failed"; "" when it has every part.
func partialWords(m *output.PerfcaseMerged) string {
	var why []string
	if len(m.Missing) > 0 {
		why = append(why, fmt.Sprintf("part%s of %d missing", indexList(m.Missing), m.Count))
	}
	if len(m.Failed) > 0 {
		why = append(why, fmt.Sprintf("part%s of %d failed", indexList(m.Failed), m.Count))
	}
	return strings.Join(why, "; ")
}

// mergeRuns builds the merged run from the parts' reports, case by case
// by name (caseOrder).
func mergeRuns(parts []Part, m *output.PerfcaseMerged) (*metrics.Run, error) {
	ps := make([]runPart, len(parts))
	var errs []error
	for i, p := range parts {
		r, err := readRun(p.Report)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", p.Name, err))
		}
		ps[i] = runPart{Part: p, run: r, failed: failedPart(&p.Report.Result.Perfcase)}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Complete parts first, then by index: whatever the order the parts
	// are given in, a case's first part is the same, and a complete one
	// where it can be, whose stages all ran.
	slices.SortFunc(ps, func(a, b runPart) int {
		if a.failed != b.failed {
			if a.failed {
				return 1
			}
			return -1
		}
		return a.Report.Result.Perfcase.Segment.Index - b.Report.Result.Perfcase.Segment.Index
	})
	names, err := caseOrder(ps)
	if err != nil {
		return nil, err
	}
	first := ps[0].run
	run := &metrics.Run{ID: first.ID, Name: first.Name, Source: first.Source, Labels: first.Labels, CI: first.CI}
	// A part that started no case (stopped while waiting for --start-at)
	// has no time of the cases': it spans the run only when no part has.
	timed := slices.DeleteFunc(slices.Clone(ps), func(p runPart) bool { return len(p.run.Cases) == 0 })
	if len(timed) == 0 {
		timed = ps
	}
	run.Start, run.End = timed[0].run.Start, timed[0].run.End
	for _, p := range timed {
		run.Start, run.End = minTime(run.Start, p.run.Start), maxTime(run.End, p.run.End)
	}
	run.Partial = partialWords(m)
	for _, name := range names {
		var cases []*metrics.CaseResult
		var of []Part
		for _, p := range ps {
			if i := slices.IndexFunc(p.run.Cases, func(c *metrics.CaseResult) bool { return c.Stats.Name == name }); i >= 0 {
				cases = append(cases, p.run.Cases[i])
				of = append(of, p.Part)
			}
		}
		mc, err := mergeCases(cases, of)
		if err != nil {
			return nil, err
		}
		run.Cases = append(run.Cases, mc)
	}
	run.Judge()
	return run, nil
}

// runPart is a part and the run read from its report.
type runPart struct {
	Part
	run    *metrics.Run
	failed bool
}

// caseOrder is the names of the merged run's cases, in the scenario's
// order. Every complete part ran every case; a failed part ran those it
// started, in the same order (a sequential file's first ones), and the
// union of the failed parts' is what there is when no part completed.
// Parts whose cases differ otherwise are of different scenarios, and
// refused. ps has its complete parts first.
func caseOrder(ps []runPart) ([]string, error) {
	var names []string
	var complete *runPart
	for k := range ps {
		p := &ps[k]
		got := make([]string, len(p.run.Cases))
		for i, c := range p.run.Cases {
			got[i] = c.Stats.Name
		}
		if !p.failed {
			if complete == nil {
				complete, names = p, got
			} else if !slices.Equal(got, names) {
				return nil, fmt.Errorf("%s and %s are not of the same scenario: their cases differ (%s; %s)",
					complete.Name, p.Name, quoteList(names), quoteList(got))
			}
			continue
		}
		at := -1
		for _, n := range got {
			i := slices.Index(names, n)
			switch {
			case i < 0 && complete != nil:
				return nil, fmt.Errorf("%s has case %q, which %s, a part that completed, has not: they are not of the same scenario", p.Name, n, complete.Name)
			case i < 0:
				i = at + 1
				names = slices.Insert(names, i, n)
			case i <= at:
				return nil, fmt.Errorf("%s is not of the same scenario as the other parts: its cases (%s) are not in their order (%s)", p.Name, quoteList(got), quoteList(names))
			}
			at = i
		}
	}
	return names, nil
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// mergeCases merges one case of every part.
func mergeCases(cases []*metrics.CaseResult, parts []Part) (*metrics.CaseResult, error) {
	first := cases[0]
	start, end := first.Stats.Start, first.Stats.End
	for _, c := range cases {
		start, end = minTime(start, c.Stats.Start), maxTime(end, c.Stats.End)
	}
	// A part's second k is the merged case's second off+k: parts that
	// started within half a second of each other line up exactly.
	offsets := make([]int, len(cases))
	for i, c := range cases {
		offsets[i] = int(c.Stats.Start.Sub(start).Round(time.Second) / time.Second)
	}
	mc := &metrics.CaseResult{Role: first.Role, Protocols: first.Protocols, Mode: first.Mode, Together: first.Together,
		LatencyFrom: first.LatencyFrom, Stages: first.Stages}
	cs := &metrics.CaseStats{Name: first.Stats.Name, Start: start, End: end}
	for si, s := range first.Stats.Series {
		ps := make([]*metrics.Stats, len(cases))
		for i, c := range cases {
			if len(c.Stats.Series) != len(first.Stats.Series) || c.Stats.Series[si].Name != s.Name || c.Stats.Series[si].Kind != s.Kind {
				return nil, fmt.Errorf("%s and %s are not of the same scenario: the series of case %q differ", parts[0].Name, parts[i].Name, cs.Name)
			}
			ps[i] = c.Stats.Series[si]
		}
		ms := metrics.MergeAt(s.Name, s.Kind, ps, offsets)
		ms.Errors = mergedErrors(ps)
		cs.Series = append(cs.Series, ms)
	}
	var reqs []*metrics.Stats
	for _, s := range cs.Series {
		if s.Kind == metrics.KindRequest {
			reqs = append(reqs, s)
		}
	}
	cs.Requests = metrics.Merge(cs.Name, metrics.KindCase, reqs...)
	// Every part carries its own VUs: the merged second has their sum.
	if n := secondsOf(cs); n > 0 {
		vus := make([]uint32, n)
		for i, c := range cases {
			for k, v := range caseVUs(c.Stats) {
				vus[offsets[i]+k] += v
			}
		}
		for _, s := range append([]*metrics.Stats{cs.Requests}, cs.Series...) {
			for k := range s.Seconds {
				s.Seconds[k].VUs = vus[k]
			}
		}
		cs.MaxVUs = int(slices.Max(vus))
	}
	// A second's VUs are a mean, below the peak of a run shorter than a
	// second; the parts' VUs are shares of one shape read at the same
	// instants, so their peaks coincide and add up to the whole run's.
	peaks := 0
	for _, c := range cases {
		peaks += c.Stats.MaxVUs
	}
	cs.MaxVUs = max(cs.MaxVUs, peaks)
	for _, c := range cases {
		mc.Missed += c.Missed
		mc.SLA = append(mc.SLA, c.SLA...)
		if mc.RowsOut == "" {
			mc.RowsOut = c.RowsOut
		}
		for _, r := range c.Rendezvous {
			if i := slices.IndexFunc(mc.Rendezvous, func(x metrics.RendezvousResult) bool { return x.Name == r.Name }); i >= 0 {
				mc.Rendezvous[i].Releases += r.Releases
				mc.Rendezvous[i].Timeouts += r.Timeouts
			} else {
				mc.Rendezvous = append(mc.Rendezvous, r)
			}
		}
	}
	slices.SortStableFunc(mc.SLA, func(a, b metrics.SLATrigger) int { return a.Time.Compare(b.Time) })
	mc.Stats = cs
	kpis, err := rejudge(first, cs)
	if err != nil {
		return nil, err
	}
	mc.KPIs = kpis
	return mc, nil
}

func secondsOf(cs *metrics.CaseStats) int {
	n := len(cs.Requests.Seconds)
	for _, s := range cs.Series {
		n = max(n, len(s.Seconds))
	}
	return n
}

// caseVUs is a case's VUs per second, which every series of it carries.
func caseVUs(cs *metrics.CaseStats) []uint32 {
	var vus []uint32
	for _, s := range cs.Series {
		for k, sec := range s.Seconds {
			if k == len(vus) {
				vus = append(vus, 0)
			}
			vus[k] = max(vus[k], sec.VUs)
		}
	}
	return vus
}

// mergedErrors adds the parts' failure messages up.
func mergedErrors(ps []*metrics.Stats) []metrics.ErrorCount {
	var errs []metrics.ErrorCount
	for _, p := range ps {
		for _, e := range p.Errors {
			if i := slices.IndexFunc(errs, func(x metrics.ErrorCount) bool { return x.Outcome == e.Outcome && x.Message == e.Message }); i >= 0 {
				errs[i].Count += e.Count
			} else {
				errs = append(errs, e)
			}
		}
	}
	slices.SortStableFunc(errs, func(a, b metrics.ErrorCount) int { return int(min(max(b.Count-a.Count, -1), 1)) })
	return errs
}

// rejudge judges the case's KPIs, as the first part wrote them, on the
// merged series, with the row of metrics.KPIs each names and the same
// comparison the runner makes (scenario.KPICheck.Holds).
func rejudge(first *metrics.CaseResult, cs *metrics.CaseStats) ([]metrics.KPIResult, error) {
	d := cs.Duration()
	var out []metrics.KPIResult
	for _, k := range first.KPIs {
		def := metrics.KPIs.Lookup(k.Metric)
		if def == nil {
			return nil, fmt.Errorf("case %q: the KPI %q is on a custom metric, which perfcase merge cannot merge yet", cs.Name, k.Source)
		}
		var s *metrics.Stats
		switch {
		case k.Series == "" && def.OnPasses:
			s = cs.Series[len(cs.Series)-1]
		case k.Series == "":
			s = cs.Requests
		default:
			for _, x := range cs.Series {
				if x.Name == k.Series && x.Kind != metrics.KindCase {
					s = x
				}
			}
		}
		if s == nil {
			return nil, fmt.Errorf("case %q: the KPI %q is on %q, which the case has no series of", cs.Name, k.Source, k.Series)
		}
		check := scenario.KPICheck{Source: k.Source, Metric: k.Metric, Op: k.Op, Value: k.Threshold}
		obs := def.Run(s, d)
		k.Observed, k.Pass = obs, check.Holds(obs)
		out = append(out, k)
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// readRun reads a finished run back from its report: what a merge needs
// of it, exactly. The report must carry the curves' histograms and
// totals (perfcase writes them since it merges).
func readRun(rep *output.Report) (*metrics.Run, error) {
	pc := &rep.Result.Perfcase
	run := &metrics.Run{ID: pc.RunID, Name: pc.Scenario, Source: pc.File, Labels: pc.Labels, CI: metrics.CI(pc.CI)}
	cv := &pc.Curves
	if len(cv.Cases) != len(pc.Cases) {
		return nil, fmt.Errorf("its curves have %d cases, the report %d: it is not a report of perfcase that can be merged", len(cv.Cases), len(pc.Cases))
	}
	names := make([]string, len(pc.Cases))
	for i, c := range pc.Cases {
		names[i] = c.Case
	}
	if err := cv.Check(names); err != nil {
		return nil, err
	}
	for i := range cv.Cases {
		c, err := readCase(rep, i)
		if err != nil {
			return nil, fmt.Errorf("case %q: %v", names[i], err)
		}
		if i == 0 || c.Stats.Start.Before(run.Start) {
			run.Start = c.Stats.Start
		}
		run.End = maxTime(run.End, c.Stats.End)
		run.Cases = append(run.Cases, c)
	}
	if o := rep.Result.Outline; len(run.Cases) == 0 && o != nil && o.StartTime != nil && o.EndTime != nil {
		// No case to time the run by: the run's own times, to the second.
		run.Start, _ = time.Parse(timeLayout, *o.StartTime)
		run.End, _ = time.Parse(timeLayout, *o.EndTime)
	}
	return run, nil
}

// readCase reads case i of a report.
func readCase(rep *output.Report, i int) (*metrics.CaseResult, error) {
	pc := &rep.Result.Perfcase
	cc := &pc.Curves.Cases[i]
	step := pc.Curves.Step
	name := cc.Case
	c := &metrics.CaseResult{Role: pc.Cases[i].Role, LatencyFrom: pc.Cases[i].LatencyFrom, Missed: pc.Cases[i].MissedStarts}
	if c.Role == "case" {
		c.Role = ""
	}
	if r := pc.Cases[i].RowsOut; r != nil {
		c.RowsOut = *r
	}
	cs := &metrics.CaseStats{Name: name, Start: time.UnixMilli(cc.Start), End: time.UnixMilli(cc.End)}
	if i < len(rep.Result.Cases) && rep.Result.Cases[i].Detail != nil && rep.Result.Cases[i].Detail.Performance != nil {
		perf := rep.Result.Cases[i].Detail.Performance
		c.Protocols = perf.Protocols
		if perf.Mode != nil {
			c.Mode = *perf.Mode
		}
		if perf.UserConcur != nil {
			cs.MaxVUs = int(*perf.UserConcur)
		}
	}
	for j := range cc.Series {
		sc := &cc.Series[j]
		if sc.Kind == output.CurveCase {
			continue
		}
		s, err := readSeries(sc, cc.VUs, step)
		if err != nil {
			return nil, fmt.Errorf("series %q: %v", sc.Name, err)
		}
		for _, e := range pc.Errors {
			if e.Case == name && e.Series == sc.Name && e.Kind == kindName(s.Kind) {
				s.Errors = append(s.Errors, metrics.ErrorCount{Outcome: outcomeOf(e.Outcome), Message: e.Message, Count: e.Count})
			}
		}
		if sc.Together {
			c.Together = append(c.Together, sc.Name)
		}
		cs.Series = append(cs.Series, s)
	}
	c.Stats = cs
	for _, k := range pc.KPIs {
		if k.Case == name {
			c.KPIs = append(c.KPIs, metrics.KPIResult{Source: k.KPI, Series: k.Series, Metric: k.Metric, Op: k.Op, Threshold: value(k.Threshold)})
		}
	}
	for _, st := range pc.Stages {
		if st.Case == name {
			s, _ := time.Parse(time.RFC3339, st.Start)
			e, _ := time.Parse(time.RFC3339, st.End)
			c.Stages = append(c.Stages, metrics.StageResult{Name: st.Name, Mode: st.Mode, Start: s, End: e})
		}
	}
	for _, tr := range pc.SLATriggers {
		if tr.Case == name {
			at, _ := time.Parse(time.RFC3339, tr.Time)
			c.SLA = append(c.SLA, metrics.SLATrigger{Time: at, Rule: tr.Rule, KPI: tr.KPI, Requests: tr.Requests, Observed: value(tr.Observed), Stopped: tr.Stopped})
		}
	}
	for _, r := range pc.Rendezvous {
		if r.Case == name {
			c.Rendezvous = append(c.Rendezvous, metrics.RendezvousResult{Name: r.Name, Releases: r.Releases, Timeouts: r.Timeouts})
		}
	}
	return c, nil
}

func value(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func outcomeOf(name string) metrics.Outcome {
	for o := range metrics.NumOutcomes {
		if o.String() == name {
			return o
		}
	}
	return metrics.Other
}

var seriesKinds = map[string]metrics.Kind{output.CurveRequest: metrics.KindRequest, output.CurveTransaction: metrics.KindTransaction, output.CurvePasses: metrics.KindCase}

// readSeries reads one series from its curve. A bucket of several
// seconds becomes its first second, with every count, sum and histogram
// of the bucket, and empty seconds after it that keep the VUs: folded
// again with the same step, the seconds give the bucket back.
func readSeries(sc *output.PerfcaseSeriesCurve, vus output.Values, step int) (*metrics.Stats, error) {
	if sc.Totals == nil || sc.Hists == "" && sumOf(sc.Count) > 0 {
		return nil, errors.New("the report has no histograms to merge: it was written by a perfcase older than 'perfcase merge'")
	}
	n := sc.Buckets()
	hists, err := output.DecodeHists(sc.Hists, n)
	if sc.Hists == "" {
		hists, err = make([]metrics.Coarse, n), nil
	}
	if err != nil {
		return nil, err
	}
	h, err := output.DecodeHist(sc.Hist)
	if err != nil {
		return nil, err
	}
	t := sc.Totals
	s := &metrics.Stats{Name: sc.Name, Kind: seriesKinds[sc.Kind], Hist: h, Min: time.Duration(t.MinNS), Max: time.Duration(t.MaxNS),
		MaxSent: t.MaxSent, MaxRecv: t.MaxRecv, Connects: t.Connects, ConnectTime: time.Duration(t.ConnectNS),
		Seconds: make([]metrics.Second, n*step), SecondHists: &metrics.CoarseLog{}}
	copy(s.Status[1:], t.Status)
	copy(s.Ranges[:], sc.Ranges)
	var empty metrics.Coarse
	for b := range n {
		count := sc.Count[b]
		sec := &s.Seconds[b*step]
		sec.Count = uint32(count)
		failed := int64(0)
		for o := metrics.Success + 1; o < metrics.NumOutcomes; o++ {
			if col := sc.Failures[o.String()]; col != nil {
				sec.Outcomes[o] = uint32(col[b])
				failed += col[b]
			}
		}
		sec.Outcomes[metrics.Success] = uint32(count - failed)
		sec.RTSum = time.Duration(math.Round(sc.RTSum[b] * 1e6))
		sec.Sent, sec.Recv = sc.Sent[b], sc.Recv[b]
		if count > 0 {
			sec.Max = metrics.Micros(math.Round(sc.RTMax[b] * 1000))
			sec.P99 = metrics.Micros(hists[b].Quantile(count, 0.99) / time.Microsecond)
		}
		v := uint32(0)
		if b < len(vus) && !math.IsNaN(vus[b]) {
			v = uint32(math.Round(vus[b]))
		}
		for k := range step {
			s.Seconds[b*step+k].VUs = v
			if k == 0 {
				s.SecondHists.Append(&hists[b])
			} else {
				s.SecondHists.Append(&empty)
			}
		}
		s.Count += count
		for o := range metrics.NumOutcomes {
			s.Outcomes[o] += int64(sec.Outcomes[o])
		}
		s.Sent += sec.Sent
		s.Recv += sec.Recv
	}
	if s.Count > 0 {
		s.Mean = time.Duration(t.RTSumNS / s.Count)
		// The last bucket's sum is exact in the totals, where the curve
		// rounds it to the µs.
		var rt time.Duration
		for k := range s.Seconds {
			rt += s.Seconds[k].RTSum
		}
		s.Seconds[len(s.Seconds)-step].RTSum += time.Duration(t.RTSumNS) - rt
	}
	return s, nil
}

func sumOf(col []int64) int64 {
	var n int64
	for _, v := range col {
		n += v
	}
	return n
}
