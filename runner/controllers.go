package runner

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// rendezvousPoll is how often a VU held at a rendezvous re-checks its
// gathering when nothing else wakes it: VUs that left (a ramp-down, the
// tail of a count stage) or a timeout that passed must release it even if
// no one else arrives.
const rendezvousPoll = 50 * time.Millisecond

// controllers holds the case-wide state of the rendezvous, weighted and
// throughput controllers, by the nodes' Controller index. It is built
// before the run; the run only reads the slices.
type controllers struct {
	rdv   []*rendezvous
	wtd   []*weighted
	thr   []*throughput
	order []*rendezvous // plan order, for the results

	// held is how many VUs wait at any rendezvous of the case: a VU held
	// at one point cannot arrive at another.
	held atomic.Int64
}

func newControllers(cp *scenario.CasePlan, seg scenario.Segment) *controllers {
	n := cp.Controllers
	c := &controllers{rdv: make([]*rendezvous, n), wtd: make([]*weighted, n), thr: make([]*throughput, n)}
	base := time.Now()
	var walk func(nodes []scenario.Node)
	walk = func(nodes []scenario.Node) {
		for _, nd := range nodes {
			switch nd := nd.(type) {
			case *scenario.TransactionNode:
				walk(nd.Steps)
			case *scenario.LoopNode:
				walk(nd.Steps)
			case *scenario.IfNode:
				for _, b := range nd.Branches {
					walk(b.Steps)
				}
				walk(nd.Else)
			case *scenario.RendezvousNode:
				// A transaction used twice is one node: its controllers
				// are met, and made, once.
				if c.rdv[nd.Controller] == nil {
					r := &rendezvous{name: nd.Name, users: int64(max(nd.Users, 1)), timeout: nd.Timeout}
					c.rdv[nd.Controller] = r
					c.order = append(c.order, r)
				}
			case *scenario.WeightedNode:
				if c.wtd[nd.Controller] == nil {
					c.wtd[nd.Controller] = newWeighted(nd)
				}
				for _, b := range nd.Branches {
					walk(b)
				}
			case *scenario.ThroughputNode:
				if c.thr[nd.Controller] == nil {
					c.thr[nd.Controller] = newThroughput(nd, seg, base)
				}
				walk(nd.Steps)
			}
		}
	}
	walk(cp.Setup)
	walk(cp.Steps)
	return c
}

// results reports how each rendezvous point released, in plan order.
func (c *controllers) results() []metrics.RendezvousResult {
	if len(c.order) == 0 {
		return nil
	}
	out := make([]metrics.RendezvousResult, len(c.order))
	for i, r := range c.order {
		out[i] = metrics.RendezvousResult{Name: r.name, Releases: r.releases.Load(), Timeouts: r.timeouts.Load()}
	}
	return out
}

// rendezvous is one rendezvous point. VUs gather at it; a gathering ends
// when it is released, by closing its gate, and the next arrival opens a
// new one.
type rendezvous struct {
	name    string
	users   int64
	timeout time.Duration

	mu       sync.Mutex
	waiting  int64         // VUs in the current gathering
	gate     chan struct{} // closed to release the current gathering; nil when none
	deadline time.Time     // of the current gathering, when timeout > 0

	releases atomic.Int64 // gatherings released because everyone expected arrived
	timeouts atomic.Int64 // gatherings released because the timeout passed
}

// liveVUs is how many VUs could still arrive anywhere: the VUs running
// in a closed model, and in a count stage no more than the passes not yet
// completed. In an open model passes arrive on their own schedule, so a
// gathering waits for its users (at most max_vus can be in flight) or
// its timeout.
func liveVUs(c *caseRun) int64 {
	sp := c.cur.Load()
	if sp.rate {
		return sp.limit
	}
	n := int64(c.vusNow())
	if sp.counted {
		n = min(n, sp.count-sp.done.Load())
	}
	return n
}

// full reports whether the current gathering is complete: users VUs have
// arrived, or every VU that could still arrive has (the live VUs less
// those held at other rendezvous points). r.mu is held.
func (r *rendezvous) full(ctl *controllers, c *caseRun) bool {
	return r.waiting >= r.need(ctl, c)
}

// need is how many VUs the current gathering waits for. r.mu is held.
func (r *rendezvous) need(ctl *controllers, c *caseRun) int64 {
	elsewhere := ctl.held.Load() - r.waiting
	return max(min(r.users, liveVUs(c)-elsewhere), 1)
}

// release lets the current gathering go. r.mu is held.
func (r *rendezvous) release(ctl *controllers, timedOut bool) {
	close(r.gate)
	r.gate = nil
	ctl.held.Add(-r.waiting)
	r.waiting = 0
	if timedOut {
		r.timeouts.Add(1)
	} else {
		r.releases.Add(1)
	}
}

// check releases the gathering if it is complete or its timeout passed,
// and reports whether it did. r.mu is held.
func (r *rendezvous) check(ctl *controllers, c *caseRun) bool {
	switch {
	case r.full(ctl, c):
		r.release(ctl, false)
	case r.timeout > 0 && !time.Now().Before(r.deadline):
		r.release(ctl, true)
	default:
		return false
	}
	return true
}

// rendezvous holds the VU at a rendezvous point until its gathering is
// released, or the run stops.
func (v *vu) rendezvous(n *scenario.RendezvousNode) flow {
	ctl := v.c.ctl
	r := ctl.rdv[n.Controller]
	r.mu.Lock()
	if r.gate == nil && r.need(ctl, v.c) <= 1 {
		// The VU is everyone expected (users: 1, or the last VU alive):
		// released at once, without a gate.
		r.mu.Unlock()
		r.releases.Add(1)
		return flowNext
	}
	if r.gate == nil {
		r.gate = make(chan struct{})
		if r.timeout > 0 {
			r.deadline = time.Now().Add(r.timeout)
		}
	}
	gate, deadline := r.gate, r.deadline
	r.waiting++
	ctl.held.Add(1)
	released := r.check(ctl, v.c)
	r.mu.Unlock()
	if released {
		return flowNext
	}
	for {
		// A stage change closes this channel; a VU count that drops is
		// seen by the poll below.
		wake := *v.c.stageWake.Load()
		d := rendezvousPoll
		if r.timeout > 0 {
			d = min(d, max(time.Until(deadline), 0))
		}
		if v.timer == nil {
			v.timer = time.NewTimer(d)
		} else {
			v.timer.Reset(d)
		}
		select {
		case <-gate:
			v.timer.Stop()
			return flowNext
		case <-v.c.stopCh:
			v.timer.Stop()
			r.mu.Lock()
			if r.gate == gate {
				r.waiting--
				ctl.held.Add(-1)
			}
			r.mu.Unlock()
			return flowStop
		case <-wake:
			v.timer.Stop()
		case <-v.timer.C:
		}
		r.mu.Lock()
		released := r.gate != gate || r.check(ctl, v.c)
		r.mu.Unlock()
		if released {
			return flowNext
		}
	}
}

// weighted is a weighted controller: cumulative weights for random draws,
// and for fixed mode the branch of each VU slot.
type weighted struct {
	fixed bool
	cum   []int // cumulative weights
	sum   int

	// Fixed mode: VU gid (its number in the whole run) maps to slot
	// gid % sum, and slot k to the k-th pick of a smooth weighted
	// round-robin over the weights, so that any sum consecutive VUs split
	// exactly by weight and any prefix is within one VU of its share. The
	// table grows, copy on write, as far as the VU ids need.
	mu    sync.Mutex
	table atomic.Pointer[[]int32]
	cur   []int // the round-robin's state after the table's last pick
}

func newWeighted(n *scenario.WeightedNode) *weighted {
	w := &weighted{fixed: n.Fixed, cum: make([]int, len(n.Weights)), cur: make([]int, len(n.Weights))}
	for i, x := range n.Weights {
		w.sum += max(x, 1)
		w.cum[i] = w.sum
	}
	return w
}

// pick chooses the branch for this pass of VU v.
func (w *weighted) pick(v *vu) int {
	if len(w.cum) <= 1 {
		return 0
	}
	if !w.fixed {
		x := v.fe.Rand.IntN(w.sum)
		i := 0
		for w.cum[i] <= x {
			i++
		}
		return i
	}
	k := v.gid % w.sum
	if t := w.table.Load(); t != nil && k < len(*t) {
		return int((*t)[k])
	}
	return w.grow(k)
}

// grow extends the fixed-mode table past slot k and returns its branch.
func (w *weighted) grow(k int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	var old []int32
	if t := w.table.Load(); t != nil {
		old = *t
	}
	if k < len(old) {
		return int(old[k])
	}
	n := min(w.sum, max(k+1, 2*len(old), 64))
	t := make([]int32, len(old), n)
	copy(t, old)
	for len(t) < n {
		best := 0
		for i := range w.cur {
			w.cur[i] += w.weight(i)
			if w.cur[i] > w.cur[best] {
				best = i
			}
		}
		w.cur[best] -= w.sum
		t = append(t, int32(best))
	}
	w.table.Store(&t)
	return int(t[k])
}

func (w *weighted) weight(i int) int {
	if i == 0 {
		return w.cum[0]
	}
	return w.cum[i] - w.cum[i-1]
}

func (v *vu) weighted(n *scenario.WeightedNode) flow {
	return v.exec(n.Branches[v.c.ctl.wtd[n.Controller].pick(v)])
}

// throughput is a throughput controller: one of an rps ceiling, a share
// of passes or a total.
type throughput struct {
	// rps: the block's starts are spaced at least interval apart across
	// the case (a GCRA without burst); next is the first free start, in
	// nanoseconds since base.
	interval int64
	next     atomic.Int64
	base     time.Time

	ppm     int64 // percent, in millionths of the passes
	total   int64 // the part's share of the total, which may be 0
	byTotal bool
	seg     scenario.Segment
	n       atomic.Int64 // passes that reached the block (percent), or runs taken (total)
}

// newThroughput makes a throughput controller for seg's part of a run. A
// part counts the turns of its own passes, and the whole run's turn
// numbers are striped over the parts as passes are (scenario.Segment): the
// part's turn k is the whole run's turn seg.Global(k). So a total gives
// the part the turns numbered below it, its share, and a percent judges
// each turn by its whole-run number. Both are exact across the parts when
// the parts reach the block equally often, to within one turn, as in
// count mode when every pass reaches it; otherwise a total may fall short
// by what a part did not reach and a percent may drift by a turn per part.
// An rps ceiling gives each part 1/N of the rate.
func newThroughput(n *scenario.ThroughputNode, seg scenario.Segment, base time.Time) *throughput {
	t := &throughput{base: base, total: seg.Share(n.Total), byTotal: n.Total > 0, seg: seg}
	switch {
	case n.RPS > 0:
		// Part I's slots sit I whole-run intervals after part 0's, so
		// the parts' starts interleave as one process's would.
		t.interval = max(int64(math.Round(1e9/n.RPS*float64(max(seg.Count, 1)))), 1)
		t.next.Store(int64(math.Round(1e9 / n.RPS * float64(seg.Index))))
	case n.Percent > 0:
		t.ppm = int64(math.Round(min(n.Percent, 100) * 1e4))
	}
	return t
}

func (v *vu) throughput(n *scenario.ThroughputNode) flow {
	t := v.c.ctl.thr[n.Controller]
	switch {
	case t.interval > 0:
		now := int64(time.Since(t.base))
		for {
			next := t.next.Load()
			slot := max(next, now)
			if t.next.CompareAndSwap(next, slot+t.interval) {
				if slot > now && !v.sleep(time.Duration(slot-now)) {
					return flowStop
				}
				break
			}
		}
	case t.ppm > 0:
		// The k-th pass to reach the block (from 0) runs it when
		// floor((k+1)·p) > floor(k·p): exactly the share over any run of
		// passes, spread evenly (JMeter's percent executions).
		k := t.seg.Global(t.n.Add(1) - 1)
		if (k+1)*t.ppm/1e6 == k*t.ppm/1e6 {
			return flowNext
		}
	case t.byTotal:
		if t.n.Load() >= t.total || t.n.Add(1) > t.total {
			return flowNext
		}
	}
	return v.exec(n.Steps)
}
