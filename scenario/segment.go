package scenario

import (
	"fmt"
	"strconv"
	"strings"
)

// Segment is part Index of Count disjoint parts of a run (perfcase run
// --segment I/N), numbered from 0 as a Kubernetes Indexed Job counts its
// pods. Everything a run hands out by number — VUs, a rate stage's
// passes, a count stage's passes, a case-share variable's reads, a
// throughput controller's turns — is striped: global item j belongs to
// part j mod Count. The parts of any prefix of items then differ by at
// most one, so N parts together make exactly the items one process
// makes, at every instant a shape is read. The zero Segment is the whole
// run.
type Segment struct {
	Index, Count int
}

// Whole reports whether s is the whole run rather than a part of one.
func (s Segment) Whole() bool { return s.Count <= 1 }

// Share is how many of the global items 0..n-1 belong to this part.
func (s Segment) Share(n int64) int64 {
	if s.Whole() {
		return n
	}
	if n <= int64(s.Index) {
		return 0
	}
	return (n-int64(s.Index)-1)/int64(s.Count) + 1
}

// Global is the global number of this part's item i (both from 0).
func (s Segment) Global(i int64) int64 {
	if s.Whole() {
		return i
	}
	return i*int64(s.Count) + int64(s.Index)
}

func (s Segment) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseSegment reads "I/N", or "I" alone, in which case N is the plan's
// user_replicas (Plan.Replicas). I runs from 0 to N-1.
func ParseSegment(text string, p *Plan) (Segment, error) {
	is, ns, slash := strings.Cut(text, "/")
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 {
		return Segment{}, fmt.Errorf("--segment %q: want I/N, part I (from 0) of N, e.g. --segment 0/4", text)
	}
	var n int
	if slash {
		if n, err = strconv.Atoi(ns); err != nil || n < 1 {
			return Segment{}, fmt.Errorf("--segment %q: N must be a whole number from 1, e.g. --segment 0/4", text)
		}
	} else if n, err = p.Replicas(); err != nil {
		return Segment{}, fmt.Errorf("--segment %s: %v", text, err)
	}
	if i >= n {
		return Segment{}, fmt.Errorf("--segment %d/%d: I counts from 0, so it must be below N (0 to %d)", i, n, n-1)
	}
	if n > maxSegments {
		return Segment{}, fmt.Errorf("--segment %d/%d: at most %d parts", i, n, maxSegments)
	}
	return Segment{Index: i, Count: n}, nil
}

// maxSegments bounds N as the report service does: far beyond any fleet
// of generators.
const maxSegments = 10000

// Replicas is the number of parts the file asks for (user_replicas),
// which --segment I without /N takes. Every enabled case that sets it
// must set the same number: the parts split the whole file.
func (p *Plan) Replicas() (int, error) {
	n, from := 0, ""
	for _, c := range p.Cases {
		if c.Disabled || c.Replicas == 0 {
			continue
		}
		if n != 0 && c.Replicas != n {
			return 0, fmt.Errorf("cases %q and %q set different user_replicas (%d and %d); give N with --segment I/N", from, c.Name, n, c.Replicas)
		}
		n, from = c.Replicas, c.Name
	}
	if n == 0 {
		return 0, fmt.Errorf("no case sets user_replicas, so N is unknown; give it with --segment I/N")
	}
	return n, nil
}

// CheckSegment lists what the plan cannot do when split into n parts:
// whatever needs every part's state at once, since the parts share
// nothing while they run and meet only through their reports.
//   - A rendezvous for more users than the smallest part has VUs would
//     wait for VUs that run in other processes (to its timeout, or for
//     ever).
//   - An SLA rule that stops the run would stop one part on its own
//     share of the figures, and leave the others running.
//   - Manual regulation takes one process's control address.
//   - Peak and step probing decide the next step from the whole load's
//     KPIs, which no part sees.
//   - A count stage of fewer VUs than parts, or a rate stage's max_vus
//     below the parts, leaves a part without a VU to run its passes.
func (p *Plan) CheckSegment(n int) ErrorList {
	var errs ErrorList
	if n <= 1 {
		return nil
	}
	const why = "a part of a split run sees only its own share"
	for _, c := range p.Cases {
		if c.Disabled {
			continue
		}
		// The smallest part's VUs: parts differ by at most one, and a
		// rendezvous every part cannot meet is refused for all of them,
		// so the parts of one run agree.
		peak, bounded := 0, true
		for _, st := range c.Stages {
			switch {
			case st.Mode == ModePeakProbe || st.Mode == ModeStepProbe:
				errs.add(st.Pos, "probe on one process, or split a tps: or concurrency: stage instead",
					"case %q: %s cannot run with --segment: it steps the load by the KPIs of the whole run, and %s", c.Name, st.Mode, why)
			case st.Manual:
				errs.add(st.KeyPos("manual"), "drop manual: true to split the run, or run it in one process",
					"case %q: a manual stage cannot run with --segment: 'perfcase scale' reaches one process, not every part", c.Name)
			}
			// A part without a VU cannot run its share of the passes: a
			// count stage would wait for them for ever, and a rate stage
			// would count them all missed.
			switch {
			case !st.IsRate() && st.Count > 0 && st.Peak() < float64(n):
				errs.add(st.KeyPos("concurrency"), fmt.Sprintf("run it with at least %d VUs, or in fewer parts", n),
					"case %q: a count stage of %g VUs cannot run split in %d parts: the VUs are split too, and a part without one could not run its share of the count", c.Name, st.Peak(), n)
			case st.IsRate() && st.VUs > 0 && st.VUs < n:
				errs.add(st.KeyPos("max_vus"), fmt.Sprintf("raise max_vus to %d or more, or run in fewer parts", n),
					"case %q: max_vus %d cannot be split in %d parts: a part without a VU would count every pass of its share missed", c.Name, st.VUs, n)
			}
			switch {
			case !st.IsRate():
				peak = max(peak, int(st.Peak()+0.5))
			case st.VUs > 0:
				peak = max(peak, st.VUs)
			default:
				bounded = false
			}
		}
		least := int(Segment{Index: n - 1, Count: n}.Share(int64(peak)))
		seen := map[*RendezvousNode]bool{}
		for _, r := range rendezvousNodes(c.Setup, rendezvousNodes(c.Steps, nil)) {
			// A transaction used twice is one node: one error.
			if bounded && r.Users > least && !seen[r] {
				seen[r] = true
				errs.add(r.Pos, fmt.Sprintf("lower users to %d or fewer, or run it in fewer parts", least),
					"case %q: rendezvous %q waits for %d users, but split in %d parts the smallest part has %d VUs: the others run in other processes, which a rendezvous cannot wait for",
					c.Name, r.Name, r.Users, n, least)
			}
		}
		for _, rule := range c.SLA {
			if rule.Stop {
				errs.add(rule.Pos, "make the rule flag only (drop action: stop), or run in one process",
					"case %q: SLA rule %q stops the run, which cannot be done with --segment: %s, and stopping one part would leave the others running", c.Name, rule.Name, why)
			}
		}
	}
	errs.Sort()
	return errs
}

// rendezvousNodes appends every rendezvous among nodes, in blocks too.
func rendezvousNodes(nodes []Node, out []*RendezvousNode) []*RendezvousNode {
	for _, nd := range nodes {
		switch nd := nd.(type) {
		case *RendezvousNode:
			out = append(out, nd)
		case *TransactionNode:
			out = rendezvousNodes(nd.Steps, out)
		case *LoopNode:
			out = rendezvousNodes(nd.Steps, out)
		case *IfNode:
			for _, b := range nd.Branches {
				out = rendezvousNodes(b.Steps, out)
			}
			out = rendezvousNodes(nd.Else, out)
		case *WeightedNode:
			for _, b := range nd.Branches {
				out = rendezvousNodes(b, out)
			}
		case *ThroughputNode:
			out = rendezvousNodes(nd.Steps, out)
		}
	}
	return out
}
