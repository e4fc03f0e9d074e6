package runner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/scenario"
)

// Machine is what this machine gives a run: how many files the process
// may open and how much memory it may still take. Zero means unknown, and
// then that resource is not checked.
type Machine struct {
	OpenFiles     int64  // the open-files limit (ulimit -n)
	OpenFilesHard int64  // its hard limit (ulimit -Hn), to which Go raises it at start
	Memory        int64  // bytes available
	MemoryFrom    string // where Memory comes from, for messages
}

// ThisMachine reads the limits of this process now.
func ThisMachine() Machine {
	m := Machine{}
	m.OpenFiles, m.OpenFilesHard = openFiles()
	m.Memory, m.MemoryFrom = availableMemory()
	return m
}

// What a VU costs beside its sessions, on the safe side of what
// bench/vus.sh measures (12.3 KiB for a VU keeping one HTTP connection,
// thinking between requests, its session included): its goroutine,
// variables and buffers. Each connection it keeps adds its protocol's
// session memory (protocols.Driver.Memory).
const (
	vuBytes = 16 << 10
	// baseBytes is the rest of a run: metric shards, reports, the runtime.
	baseBytes = 64 << 20
	// reservedFiles are kept for what is not a VU's connection: data
	// files, reports, the control endpoint, the runtime.
	reservedFiles = 256
)

// vuNeed is what one VU of a case keeps: its connections (open files)
// and its memory, sessions included.
type vuNeed struct {
	conns int
	mem   int64
}

// maxVUs is how many VUs needing need each this machine can hold: what a
// rate stage without max_vus may grow to, and the highest target a
// person may set by hand.
func (m Machine) maxVUs(need vuNeed) int {
	n := int64(scenario.MaxVUs)
	if m.OpenFiles <= 0 && m.Memory <= 0 {
		n = 10_000
	}
	if m.OpenFiles > 0 {
		n = min(n, (m.OpenFiles-reservedFiles)/int64(max(need.conns, 1)))
	}
	if m.Memory > 0 {
		n = min(n, (m.Memory-baseBytes)/max(need.mem, vuBytes))
	}
	return int(max(n, 64))
}

// casePeak is the most VUs a case holds at once, and the stage that asks
// for them: VUs once started live until the case ends.
type casePeak struct {
	cp    *scenario.CasePlan
	stage *scenario.Stage
	vus   int64
	need  vuNeed
}

// peakOf finds a case's peak. A rate stage without max_vus grows its pool
// only as far as the machine allows (maxVUs), so it asks for nothing here.
func peakOf(cp *scenario.CasePlan) casePeak {
	p := casePeak{cp: cp, need: needPerVU(cp)}
	for _, st := range cp.Stages {
		var n int64
		switch {
		case st.IsRate():
			n = int64(st.VUs)
		case st.Mode == scenario.ModeSurgeConcurrency || st.Mode == scenario.ModeOscillateConcurrency:
			n = int64(st.Max)
		default:
			n = int64(st.VUs)
		}
		if n > p.vus {
			p.vus, p.stage = n, st
		}
	}
	return p
}

// vuKey is the key of a stage that sets its VU count, for positions.
func vuKey(st *scenario.Stage) string {
	switch st.Mode {
	case scenario.ModeConcurrency:
		return "concurrency"
	case scenario.ModeTPS, scenario.ModeSurgeTPS, scenario.ModeOscillateTPS:
		return "max_vus"
	}
	return "max"
}

// CheckMachine reports, before a run, the stages that need more than this
// machine has: open files for their VUs' connections, and memory for the
// VUs themselves (estimated per VU). Cases that run in parallel need
// their peaks together. Each error is at the stage that asks for the
// most and says what to raise.
func CheckMachine(plan *scenario.Plan, m Machine) scenario.ErrorList {
	return CheckPart(plan, scenario.Segment{}, m)
}

// CheckPart is CheckMachine for part seg of a split run, which needs only
// its share of each stage's VUs: what one machine cannot hold is what
// splitting is for.
func CheckPart(plan *scenario.Plan, seg scenario.Segment, m Machine) scenario.ErrorList {
	var groups [][]casePeak
	var all []casePeak
	for _, cp := range plan.Cases {
		if cp.Disabled {
			continue
		}
		if p := peakOf(cp); p.stage != nil {
			p.vus = seg.Share(p.vus)
			all = append(all, p)
		}
	}
	if plan.Parallel {
		groups = append(groups, all)
	} else {
		for _, p := range all {
			groups = append(groups, []casePeak{p})
		}
	}
	var errs scenario.ErrorList
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		var vus, files, mem int64
		for _, p := range g {
			vus += p.vus
			files += p.vus * int64(p.need.conns)
			mem += p.vus * p.need.mem
		}
		files += reservedFiles
		mem += baseBytes
		sort.SliceStable(g, func(i, j int) bool { return g[i].vus > g[j].vus })
		top := g[0]
		pos := top.stage.KeyPos(vuKey(top.stage))
		who := needOf(g)
		if m.OpenFiles > 0 && files > m.OpenFiles {
			errs = append(errs, &scenario.Error{Pos: pos,
				Msg: fmt.Sprintf("%s: %s VUs keeping %s need %s open files (%d kept for the rest); this process may open %s",
					who, grouped(vus), connections(g), grouped(files), reservedFiles, grouped(m.OpenFiles)),
				Hint: filesHint(files, m)})
		}
		if m.Memory > 0 && mem > m.Memory {
			errs = append(errs, &scenario.Error{Pos: pos,
				Msg: fmt.Sprintf("%s: %s VUs need about %s of memory (%s per VU, %s for the rest); %s is available (%s)",
					who, grouped(vus), bytesText(mem), perVUText(g), bytesText(baseBytes), bytesText(m.Memory), m.MemoryFrom),
				Hint: "lower the stage's VUs, free memory or raise the memory limit, or split the load over several machines"})
		}
	}
	errs.Sort()
	return errs
}

// needOf names who needs the VUs: one case's stage, or cases in parallel.
func needOf(g []casePeak) string {
	if len(g) == 1 {
		return fmt.Sprintf("case %q, stage %q", g[0].cp.Name, stageLabel(g[0].stage))
	}
	parts := make([]string, len(g))
	for i, p := range g {
		parts[i] = fmt.Sprintf("%q %s (stage %q)", p.cp.Name, grouped(p.vus), stageLabel(p.stage))
	}
	return "cases running in parallel, " + strings.Join(parts, " + ")
}

// connections says how many connections each VU keeps.
func connections(g []casePeak) string {
	lo, hi := spread(g, func(n vuNeed) int64 { return int64(n.conns) })
	switch {
	case lo != hi:
		return "their connections"
	case lo == 1:
		return "1 connection each"
	}
	return fmt.Sprintf("%d connections each", lo)
}

// perVUText says how much memory each VU needs.
func perVUText(g []casePeak) string {
	lo, hi := spread(g, func(n vuNeed) int64 { return n.mem })
	if lo == hi {
		return bytesText(lo)
	}
	return fmt.Sprintf("%s to %s", bytesText(lo), bytesText(hi))
}

// spread is the least and the greatest of f over the cases' needs.
func spread(g []casePeak, f func(vuNeed) int64) (lo, hi int64) {
	lo, hi = f(g[0].need), f(g[0].need)
	for _, p := range g {
		lo, hi = min(lo, f(p.need)), max(hi, f(p.need))
	}
	return lo, hi
}

// filesHint says how to raise the open-files limit to need.
func filesHint(need int64, m Machine) string {
	if m.OpenFilesHard >= need {
		return fmt.Sprintf("raise the limit in the shell that runs perfcase: ulimit -n %d; or lower the stage's VUs", need)
	}
	return fmt.Sprintf("raise the hard limit (ulimit -Hn, now %s) to %d: as root, nofile in /etc/security/limits.conf, LimitNOFILE= for a systemd service, or --ulimit nofile= for a container; or lower the stage's VUs",
		grouped(m.OpenFilesHard), need)
}

// grouped writes n with thousands separators.
func grouped(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// bytesText writes a size in KiB, MiB or GiB.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// needPerVU estimates what a VU of the case keeps at once: a connection
// per distinct endpoint its requests name, as written (a VU keeps one
// connection per HTTP origin, TCP or UDP address, WebSocket URL, stream
// origin and MQTT broker), and over HTTP/1.1 one more per lane of a
// together: step, whose requests each have a connection (HTTP/2's lanes
// share the VU's); and its memory: its own and, per connection, what a
// session of that protocol keeps (protocols.Driver.Memory: a streaming
// viewer's buffers weigh far more than an HTTP connection's).
func needPerVU(cp *scenario.CasePlan) vuNeed {
	type endpoint struct {
		p    scenario.Protocol // HTTP/1.1 and HTTP/2 to one origin are two connections
		e    string
		lane int
	}
	seen := map[endpoint]bool{}
	visit := func(n scenario.Node) {
		switch n := n.(type) {
		case *scenario.RequestNode:
			if e := n.Spec.Endpoint(); e != "" {
				seen[endpoint{n.Protocol, e, 0}] = true
			}
		case *scenario.TogetherNode:
			for i, r := range n.Requests {
				if e := r.Spec.Endpoint(); e != "" && r.Protocol == scenario.HTTP {
					seen[endpoint{r.Protocol, e, i}] = true
				}
			}
		}
	}
	walkNodes(cp.Setup, visit)
	walkNodes(cp.Steps, visit)
	need := vuNeed{conns: max(len(seen), 1), mem: vuBytes}
	for ep := range seen {
		d, _ := protocols.For(ep.p)
		need.mem += d.Memory
	}
	return need
}

// walkRequests calls fn on every request of a tree of compiled steps.
func walkRequests(nodes []scenario.Node, fn func(*scenario.RequestNode)) {
	walkNodes(nodes, func(n scenario.Node) {
		if r, ok := n.(*scenario.RequestNode); ok {
			fn(r)
		}
	})
}

// walkNodes calls fn on every node of a tree of compiled steps, depth
// first.
func walkNodes(nodes []scenario.Node, fn func(scenario.Node)) {
	for _, n := range nodes {
		fn(n)
		switch n := n.(type) {
		case *scenario.TransactionNode:
			walkNodes(n.Steps, fn)
		case *scenario.LoopNode:
			walkNodes(n.Steps, fn)
		case *scenario.IfNode:
			for _, b := range n.Branches {
				walkNodes(b.Steps, fn)
			}
			walkNodes(n.Else, fn)
		case *scenario.WeightedNode:
			for _, b := range n.Branches {
				walkNodes(b, fn)
			}
		case *scenario.ThroughputNode:
			walkNodes(n.Steps, fn)
		case *scenario.TogetherNode:
			for _, r := range n.Requests {
				fn(r)
			}
		}
	}
}
