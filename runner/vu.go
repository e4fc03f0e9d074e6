package runner

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/perfcase/perfcase/internal/redact"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/scenario"
)

// flow says how a block of steps ended.
type flow uint8

const (
	flowNext    flow = iota // go on with the next step
	flowBreak               // leave the innermost loop
	flowEndPass             // a request failed: end the pass
	flowStop                // the VU must stop now
)

// acc accumulates a pass or a transaction: the sum of its requests' times
// and bytes, and the first failure.
type acc struct {
	rt         time.Duration
	sent, recv int64
	outcome    metrics.Outcome
}

func (a *acc) add(s *metrics.Sample) {
	a.rt += s.RT
	a.sent += s.Sent
	a.recv += s.Recv
	if a.outcome == metrics.Success {
		a.outcome = s.Outcome
	}
}

// vu is one virtual user: a goroutine with its own connections, variables
// and buffers. Nothing in it is shared, so the hot path takes no lock.
type vu struct {
	c     *caseRun
	id    int // the VU's index in its case, in this process
	gid   int // the VU's number in the whole run, from 0: id unless the run is split
	shard *metrics.Shard
	fe    *scenario.FuncEnv
	// sessions are the VU's side of each protocol the case uses, made
	// with the VU so that the scheduler can interrupt them; jar is its
	// cookie jar, which the sessions that keep cookies share.
	sessions [scenario.NumProtocols]protocols.Session
	jar      *protocols.Jar
	in       protocols.Input
	// res is the VU's own exchange; cur is the one being judged: res, or
	// a lane's in a together: step.
	res protocols.Result
	cur *protocols.Result
	// lanes send a together: step's requests beside the VU (see
	// together.go); lanesMu guards the list against interrupt, from the
	// scheduler's goroutine; laneDone hears each request come back.
	lanes    []*lane
	lanesMu  sync.Mutex
	laneDone chan struct{}
	seed     uint64

	vals [][]byte // local variables by slot
	idx  []int64  // global variables: the index of the value read, by slot
	own  []int64  // global variables read per VU: the VU's own cursor
	ver  []uint32 // bumped when a slot's value changes
	once []bool   // once-per-VU controllers already run
	ex   exprState

	// The response being judged.
	status    int
	body      []byte
	url       []byte
	rt        time.Duration
	doc       any
	docOK     bool
	docParsed bool

	txns []acc // open transactions, innermost last
	pass acc
	// claim is the count stage whose pass this VU is running, if any;
	// wake is where a parked VU is told it may run again.
	claim *stagePlan
	wake  chan struct{}
	// open is the rate stage whose pass openPass this VU runs, if any;
	// seen is the last rate stage it took part in; left says it stopped
	// for want of a row and takes no part in any stage.
	open     *rateStage
	openPass int64
	seen     *rateStage
	left     atomic.Bool
	// due is when a rate stage wanted the current pass to start; lag is
	// how late it started, added to its first request's time.
	due   time.Time
	lag   time.Duration
	timer *time.Timer
	buf   []byte
	// secrets are the values of the sensitive variables when secretVer
	// was read from ver; see redact.
	secrets   *redact.Secrets
	secretVer []uint32

	// iter is the VU's pass number as scenarios see it (__ITER), from 0;
	// its __VU is gid+1.
	iter  int64
	exact scenario.ExactState

	// thought is the think time slept in the current pass. unreachable
	// says the last request could not reach its target; backoff is the
	// pause after the last pass that ended so, doubled each time.
	thought     time.Duration
	unreachable bool
	backoff     time.Duration
}

// closeDrivers closes every connection of the VU, its lanes' too, and
// ends its lanes.
func (v *vu) closeDrivers() {
	v.lanesMu.Lock()
	defer v.lanesMu.Unlock()
	for _, l := range v.lanes {
		close(l.work)
		for _, s := range l.sessions {
			if s != nil {
				s.Close()
			}
		}
	}
	v.lanes = nil
	for _, s := range v.sessions {
		if s != nil {
			s.Close()
		}
	}
}

// interrupt cuts whatever exchange the VU and its lanes have in flight;
// safe from any goroutine.
func (v *vu) interrupt() {
	v.lanesMu.Lock()
	defer v.lanesMu.Unlock()
	for _, l := range v.lanes {
		for _, s := range l.sessions {
			if s != nil {
				s.Interrupt()
			}
		}
	}
	for _, s := range v.sessions {
		if s != nil {
			s.Interrupt()
		}
	}
}

func newVU(c *caseRun, id int) *vu {
	n := len(c.globals.slots)
	// In a part of a split run, the VU is the whole run's VU gid (striped,
	// see scenario.Segment): __VU, its random source and a fixed weighted
	// branch are those it would have in one process.
	gid := int(c.seg.Global(int64(id)))
	seed := c.seed + uint64(gid)*0x9e3779b97f4a7c15
	v := &vu{
		c: c, id: id, gid: gid, shard: c.rec.Shard(id), fe: scenario.NewFuncEnv(seed), seed: seed,
		vals: make([][]byte, n), idx: make([]int64, n), own: make([]int64, n), ver: make([]uint32, n),
		once: make([]bool, c.plan.Controllers), wake: make(chan struct{}, 1),
	}
	for i, s := range c.plan.Slots {
		if s.FromBefore {
			v.vals[i] = append([]byte(nil), c.before[s.Name]...)
		}
	}
	if c.plan.Cookies && c.cookies {
		v.jar = protocols.NewJar()
	}
	v.in = protocols.Input{Scope: v, Funcs: v.fe, Until: func(p *scenario.Program, msg []byte) (bool, error) {
		v.body, v.docParsed = msg, false
		return v.evalBool(p, true)
	}}
	cfg := protocols.Config{Ctx: c.hardCtx, Seed: seed, Jar: v.jar}
	for p, d := range c.drivers {
		if d.New != nil {
			v.sessions[p] = d.New(cfg)
		}
	}
	return v
}

// run is the VU's life: setup once, then passes for as long as the
// schedule lets it.
func (v *vu) run() {
	defer v.c.wg.Done()
	defer v.closeDrivers()
	defer func() {
		// A bug must not take the whole run and its reports with it: the
		// case stops, the run is aborted, and the reports say why.
		if r := recover(); r != nil {
			msg := v.recordError(v.c.passSeries, metrics.Other, fmt.Sprintf("internal error in VU %d: %v", v.id, r))
			v.c.fatal.CompareAndSwap(nil, &msg)
		}
	}()
	first := true
	for v.c.mayStart(v) {
		var lag time.Duration
		if !v.due.IsZero() {
			// Open model: the pass is timed from when it fell due, not
			// from when this VU got to it (no coordinated omission). The
			// VU's own setup is not the server's latency and is left out.
			lag, v.due = max(time.Since(v.due), 0), time.Time{}
		}
		if !v.readGlobals(first) {
			v.c.stopForRows(v)
			return
		}
		if first {
			first = false
			// Setup runs once per VU whatever its outcome: its requests are
			// measured, and a failed login shows in the passes that follow.
			v.pass = acc{}
			if v.exec(v.c.plan.Setup) == flowStop {
				v.c.passEnded(v, false)
				return
			}
		}
		var start time.Time
		if v.c.plan.Pacing > 0 {
			start = time.Now()
		}
		v.lag = lag
		v.pass = acc{}
		v.thought = 0
		fl := v.exec(v.c.plan.Steps)
		if fl == flowStop {
			// A pass cut by the end of the run is not a pass; its
			// requests were counted as they finished.
			v.c.passEnded(v, false)
			return
		}
		v.shard.Record(v.c.passSeries, time.Now(), metrics.Sample{RT: v.pass.rt, Outcome: v.pass.outcome, Sent: v.pass.sent, Recv: v.pass.recv})
		v.c.passEnded(v, true)
		v.nextIter()
		v.lag = 0
		if v.c.cur.Load().rate {
			continue // an open model's schedule sets the pace
		}
		if !v.sleep(v.restAfter(fl)) {
			return
		}
		if p := v.c.plan.Pacing; p > 0 {
			if rest := p - time.Since(start); rest > 0 && !v.sleep(rest) {
				return
			}
		}
	}
}

// Backoff from a target that cannot be reached, in a closed model: the
// first pause, and the longest.
const (
	backoffFirst = 10 * time.Millisecond
	backoffMax   = time.Second
)

// restAfter is how long a VU of a closed model waits after a pass that
// ended as fl, so that a target that fails is not hammered: a pass that a
// failure ended early still waits the think time it skipped (the pass's
// think budget less what it slept), and one whose last request could not
// reach the target adds a backoff, doubled each time up to backoffMax
// and reset once a request gets through.
func (v *vu) restAfter(fl flow) time.Duration {
	var d time.Duration
	if fl == flowEndPass {
		d = max(v.c.think-v.thought, 0)
	}
	if v.unreachable {
		v.backoff = min(max(2*v.backoff, backoffFirst), backoffMax)
		d += v.backoff
	}
	return d
}

// alarm arms the VU's timer to fire in d and returns its channel.
func (v *vu) alarm(d time.Duration) <-chan time.Time {
	if v.timer == nil {
		v.timer = time.NewTimer(d)
	} else {
		v.timer.Reset(d)
	}
	return v.timer.C
}

// sleep pauses the VU; it returns false if the run ended meanwhile.
func (v *vu) sleep(d time.Duration) bool {
	if d <= 0 {
		return !v.c.stopping.Load()
	}
	select {
	case <-v.alarm(d):
		return true
	case <-v.c.stopCh:
		v.timer.Stop()
		return false
	}
}

func (v *vu) exec(nodes []scenario.Node) flow {
	for _, n := range nodes {
		if v.c.stopping.Load() {
			return flowStop
		}
		fl := flowNext
		switch n := n.(type) {
		case *scenario.RequestNode:
			fl = v.request(n)
		case *scenario.ThinkNode:
			d := n.Min
			if n.Max > n.Min {
				d += time.Duration(v.fe.Rand.Int64N(int64(n.Max - n.Min + 1)))
			}
			if !v.sleep(d) {
				return flowStop
			}
			v.thought += d
		case *scenario.TransactionNode:
			fl = v.transaction(n)
		case *scenario.LoopNode:
			fl = v.loop(n)
		case *scenario.BreakNode:
			if n.Cond == nil {
				return flowBreak
			}
			ok, err := v.evalBool(n.Cond, false)
			if err != nil {
				return v.flowError(n.Cond, err)
			}
			if ok {
				return flowBreak
			}
		case *scenario.IfNode:
			fl = v.ifElse(n)
		case *scenario.SetNode:
			fl = v.setVars(n)
		case *scenario.RendezvousNode:
			fl = v.rendezvous(n)
		case *scenario.WeightedNode:
			fl = v.weighted(n)
		case *scenario.ThroughputNode:
			fl = v.throughput(n)
		case *scenario.CookiesNode:
			v.jar.Clear()
		case *scenario.MetricNode:
			fl = v.metric(n)
		case *scenario.TogetherNode:
			fl = v.together(n)
		default:
			// Refused by Check before the run starts.
			panic(fmt.Sprintf("runner: step %T is not supported", n))
		}
		if fl != flowNext {
			return fl
		}
	}
	return flowNext
}

// recordError keeps a failure's message for the summary and the reports.
// Every message a VU keeps goes through here, so that none carries the
// value of a sensitive variable. It returns the message as kept.
func (v *vu) recordError(series int, o metrics.Outcome, msg string) string {
	msg = v.redact(msg)
	v.c.rec.Error(series, o, msg)
	return msg
}

// flowError ends a pass whose condition or data instruction could not be
// evaluated (int("abc"), a missing map key): there is no request to charge,
// so the failure is counted against the pass.
func (v *vu) flowError(p *scenario.Program, err error) flow {
	return v.failPass(fmt.Sprintf("%s: expression %q: %s", p.Pos, p.Src, err))
}

// failPass ends the pass with a failure no request had, counted against
// the pass and its open transactions.
func (v *vu) failPass(msg string) flow {
	v.recordError(v.c.passSeries, metrics.Other, msg)
	if v.pass.outcome == metrics.Success {
		v.pass.outcome = metrics.Other
	}
	for i := range v.txns {
		if v.txns[i].outcome == metrics.Success {
			v.txns[i].outcome = metrics.Other
		}
	}
	return flowEndPass
}

func (v *vu) transaction(n *scenario.TransactionNode) flow {
	for _, a := range n.With {
		v.buf = a.Template.Append(v.buf[:0], v, v.fe)
		v.set(a.Slot, v.buf)
	}
	v.txns = append(v.txns, acc{})
	fl := v.exec(n.Steps)
	t := v.txns[len(v.txns)-1]
	v.txns = v.txns[:len(v.txns)-1]
	if fl != flowStop {
		v.shard.Record(v.c.txnSeries+n.ID, time.Now(), metrics.Sample{RT: t.rt, Outcome: t.outcome, Sent: t.sent, Recv: t.recv})
	}
	return fl
}

func (v *vu) loop(n *scenario.LoopNode) flow {
	for i := 0; n.Count == 0 || i < n.Count; i++ {
		if n.While != nil {
			if n.Max > 0 && i >= n.Max {
				break
			}
			ok, err := v.evalBool(n.While, false)
			if err != nil {
				return v.flowError(n.While, err)
			}
			if !ok {
				break
			}
		}
		switch fl := v.exec(n.Steps); fl {
		case flowBreak:
			return flowNext
		case flowNext:
		default:
			return fl
		}
	}
	return flowNext
}

func (v *vu) ifElse(n *scenario.IfNode) flow {
	for _, b := range n.Branches {
		ok, err := v.evalBool(b.Cond, false)
		if err != nil {
			return v.flowError(b.Cond, err)
		}
		if ok {
			return v.exec(b.Steps)
		}
	}
	return v.exec(n.Else)
}

func (v *vu) setVars(n *scenario.SetNode) flow {
	if n.Once {
		if v.once[n.Controller] {
			return flowNext
		}
		v.once[n.Controller] = true
	}
	for _, a := range n.Assigns {
		if a.Template != nil {
			v.buf = a.Template.Append(v.buf[:0], v, v.fe)
		} else if out, ok := a.Exact.AppendRounded(v.buf[:0], &v.exact, v, a.Round, a.Scale); ok {
			v.buf = out
		} else {
			out, err := v.eval(a.Expr, false)
			if err != nil {
				return v.flowError(a.Expr, err)
			}
			v.buf = appendResult(v.buf[:0], out, a.Round, a.Scale)
		}
		v.set(a.Slot, v.buf)
	}
	return flowNext
}

// request sends a request, retrying as asked, and records only the last
// attempt.
func (v *vu) request(n *scenario.RequestNode) flow {
	var smp metrics.Sample
	var msg string
	var cut bool
	for attempt := 0; ; attempt++ {
		smp, msg, cut = v.attempt(n)
		if cut {
			break
		}
		// The last attempt is the one counted; at the end of the run the
		// attempt just made is the last.
		if smp.Outcome == metrics.Success || attempt >= n.Retry.Count || v.c.stopping.Load() || !n.Retry.Has(v.failureKind(smp.Outcome)) {
			break
		}
		if n.Retry.Interval > 0 && !v.sleep(n.Retry.Interval) {
			break // the run ended while waiting: the attempt made is the last
		}
	}
	// The response is judged: give its buffers back now, not at the next
	// request, so a thinking or parked VU holds none.
	s := v.sessions[n.Protocol]
	if cut {
		s.Release()
		return flowStop
	}
	if v.lag > 0 {
		smp.RT += v.lag
		v.lag = 0
	}
	v.settle(n, &v.res, s, &smp, msg)
	v.pass.add(&smp)
	for i := range v.txns {
		v.txns[i].add(&smp)
	}
	if smp.Outcome != metrics.Success && !n.ContinueOnFailure {
		return flowEndPass
	}
	return flowNext
}

// settle records a judged exchange of session s: its protocol's extra
// metrics, its soft checks, the sample and its failure's message; then it
// gives the response's buffers back.
func (v *vu) settle(n *scenario.RequestNode, r *protocols.Result, s protocols.Session, smp *metrics.Sample, msg string) {
	end := r.End
	if x := r.Extras; x != nil {
		v.shard.Observe(v.c.extraBase[n.Protocol], end, x)
	}
	if r.Fail == nil {
		// A soft check judges any response that arrived, and fails
		// nothing: it is counted, held or not.
		for i := range n.SoftChecks {
			sc := &n.SoftChecks[i]
			held, _ := v.check(&sc.CheckSpec)
			v.shard.Add(v.c.customBase+sc.Metric, end, boolInt(held))
		}
	}
	s.Release()
	v.shard.Record(n.ID, end, *smp)
	if msg != "" {
		v.recordError(n.ID, smp.Outcome, msg)
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// metric records one value of a custom metric. A value that is not a
// number ends the pass, as a data instruction that cannot be evaluated
// does.
func (v *vu) metric(n *scenario.MetricNode) flow {
	f := n.Const
	switch {
	case n.Value != nil:
		out, err := v.eval(n.Value, false)
		if err != nil {
			return v.flowError(n.Value, err)
		}
		x, ok := number(out)
		if !ok {
			return v.failPass(fmt.Sprintf("%s: metric %s: %q is not a number", n.Pos, n.Name, fmt.Sprint(out)))
		}
		f = x
	case n.Slot >= 0:
		v.buf = v.AppendValue(v.buf[:0], n.Slot, -1)
		// The text is read in place: ParseFloat keeps no reference to it.
		x, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(v.buf), len(v.buf)), 64)
		if err != nil {
			return v.failPass(fmt.Sprintf("%s: metric %s: %q is not a number", n.Pos, n.Name, v.buf))
		}
		f = x
	}
	x, ok := scenario.MetricValue(f)
	if !ok {
		return v.failPass(fmt.Sprintf("%s: metric %s: %g is out of range (at most %g in size)", n.Pos, n.Name, f, scenario.MaxMetricValue))
	}
	v.shard.Add(v.c.customBase+n.Metric, time.Now(), x)
	return flowNext
}

// number is an expression's result as a number: an integer, a float, or
// text that reads as one.
func number(out any) (float64, bool) {
	switch x := out.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// failureKind says what kind of failure the attempt just judged was, as
// retry's on: names them.
func (v *vu) failureKind(o metrics.Outcome) scenario.RetryOn {
	switch o {
	case metrics.CheckFailed:
		return scenario.RetryCheck
	case metrics.ParseFailed:
		return scenario.RetryParse
	case metrics.Timeout:
		return scenario.RetryTimeout
	case metrics.Refused:
		return scenario.RetryRefused
	}
	if f := v.cur.Fail; f != nil && f.Reset {
		return scenario.RetryReset
	}
	return scenario.RetryOther
}

// attempt sends once, through the session of the request's protocol, and
// judges the response: checks and extractions see a reply or a message
// as the body. cut reports an exchange the end of the run interrupted,
// which is not counted.
func (v *vu) attempt(n *scenario.RequestNode) (smp metrics.Sample, msg string, cut bool) {
	v.sessions[n.Protocol].Do(n.Spec, &v.in, &v.res)
	return v.judged(n, &v.res)
}

// judged judges a finished exchange r of request n, making it the one
// checks and extractions read; cut reports an exchange the end of the
// run interrupted, which is not counted.
func (v *vu) judged(n *scenario.RequestNode, r *protocols.Result) (smp metrics.Sample, msg string, cut bool) {
	v.cur = r
	smp = metrics.Sample{RT: r.RT, Status: r.Status, Sent: r.Sent, Recv: r.Recv, Connect: r.Connect}
	v.reached(r.Fail)
	if r.Fail != nil {
		if v.c.hardStopped.Load() {
			return smp, "", true
		}
		smp.Outcome = r.Fail.Outcome
		return smp, r.Fail.Msg, false
	}
	v.status, v.body, v.url, v.rt, v.docParsed = r.Status, r.Body, r.URL, r.RT, false
	smp.Outcome, msg = v.judge(n)
	return smp, msg, false
}

// reached notes whether an exchange reached its target: anything but a
// failure to reach it (a reply, even a wrong one, or a timeout waiting
// for one) ends the backoff.
func (v *vu) reached(f *protocols.Failure) {
	v.unreachable = f != nil && f.Unreachable()
	if !v.unreachable {
		v.backoff = 0
	}
}

// header is a header of the response being judged; nil when absent or
// when its protocol has no headers.
func (v *vu) header(name string) []byte {
	if v.cur == nil || v.cur.Header == nil {
		return nil
	}
	return v.cur.Header.Peek(name)
}

// thinkBudget is the think time of a full pass, what a pass ended early
// by a failure still waits: each think at its mean, a loop's body times
// its count (once for a while loop, whose count is not known), and at a
// branch point the branch that thinks most, so that a failed pass never
// comes around faster than the slowest full one would. It saturates at
// the longest a case may run.
func thinkBudget(nodes []scenario.Node) time.Duration {
	const most = scenario.MaxStageTime
	var d time.Duration
	for _, n := range nodes {
		var x time.Duration
		switch n := n.(type) {
		case *scenario.ThinkNode:
			x = n.Min + (max(n.Max, n.Min)-n.Min)/2
		case *scenario.TransactionNode:
			x = thinkBudget(n.Steps)
		case *scenario.LoopNode:
			body, count := thinkBudget(n.Steps), time.Duration(max(n.Count, 1))
			x = most
			if body < most/count {
				x = body * count
			}
		case *scenario.IfNode:
			x = thinkBudget(n.Else)
			for _, b := range n.Branches {
				x = max(x, thinkBudget(b.Steps))
			}
		case *scenario.WeightedNode:
			for _, b := range n.Branches {
				x = max(x, thinkBudget(b))
			}
		case *scenario.ThroughputNode:
			x = thinkBudget(n.Steps)
		}
		d = min(d+min(x, most), most)
	}
	return d
}
