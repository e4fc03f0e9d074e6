package runner

import (
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/scenario"
)

// A together: step's requests go out at once: the VU sends the first
// itself and hands each other to a lane, a goroutine the VU starts the
// first time it needs it and keeps for its life, with sessions of its own
// made as lanes of the VU's (protocols.Config.Lane): over HTTP/1.1 each
// lane keeps its own connections, as a browser opens several to one
// host; over HTTP/2 they share the VU's and their requests are streams
// of it. Lanes only exchange: once every request is back, the VU judges
// them in the step's order on its own goroutine, so checks, extraction
// and variables stay the VU's alone. Handing a request to a lane and
// hearing it is back are two channel operations: the one place a VU
// synchronises per request, and only in a together: step.

// lane is one goroutine of a VU that sends together: requests.
type lane struct {
	sessions [scenario.NumProtocols]protocols.Session // made as the lane's requests need them
	seed     uint64
	in       protocols.Input
	res      protocols.Result
	work     chan *scenario.RequestNode
}

// run sends each request handed to it and says so on done, until work
// is closed.
func (l *lane) run(done chan<- struct{}) {
	for n := range l.work {
		l.sessions[n.Protocol].Do(n.Spec, &l.in, &l.res)
		done <- struct{}{}
	}
}

// lane returns the VU's i-th lane, ready to send a request of protocol
// p, starting it and making its session of p if need be. Its template
// functions have their own random source: lanes render at the same time.
func (v *vu) lane(i int, p scenario.Protocol) *lane {
	// Only the VU's goroutine changes the lanes (the lock is for
	// interrupt's reads), so it reads them without it: a step whose lanes
	// are ready takes no lock.
	if i < len(v.lanes) && v.lanes[i].sessions[p] != nil {
		return v.lanes[i]
	}
	v.lanesMu.Lock()
	defer v.lanesMu.Unlock()
	for len(v.lanes) <= i {
		seed := v.seed + uint64(len(v.lanes)+1)*0xbf58476d1ce4e5b9
		l := &lane{work: make(chan *scenario.RequestNode, 1), seed: seed}
		l.in = protocols.Input{Scope: v, Funcs: scenario.NewFuncEnv(seed)}
		if v.laneDone == nil {
			v.laneDone = make(chan struct{}, scenario.MaxTogether)
		}
		go l.run(v.laneDone)
		v.lanes = append(v.lanes, l)
	}
	l := v.lanes[i]
	if l.sessions[p] == nil {
		// Made here, on the VU's goroutine and under the lock interrupt
		// takes, before the lane is handed a request that uses it.
		l.sessions[p] = v.c.drivers[p].New(protocols.Config{Ctx: v.c.hardCtx, Seed: l.seed, Jar: v.jar, Lane: v.sessions[p]})
		if v.c.hardStopped.Load() {
			l.sessions[p].Interrupt()
		}
	}
	return l
}

// together sends its requests at once, waits for every one, then judges
// and records each in order, and the group as a transaction whose time is
// the slowest request's (its bytes all of theirs, its outcome the first
// failure's). The pass goes on unless a request failed without
// continue_on_failure.
func (v *vu) together(n *scenario.TogetherNode) flow {
	reqs := n.Requests
	if v.jar != nil && len(reqs) > 1 {
		v.jar.Share(true)
	}
	for i, r := range reqs[1:] {
		v.lane(i, r.Protocol).work <- r
	}
	v.sessions[reqs[0].Protocol].Do(reqs[0].Spec, &v.in, &v.res)
	for range len(reqs) - 1 {
		<-v.laneDone
	}
	if v.jar != nil {
		v.jar.Share(false)
	}
	lag := v.lag
	v.lag = 0
	var group acc
	var slowest time.Duration
	fl, cut := flowNext, false
	for i, r := range reqs {
		res, s := &v.res, v.sessions[r.Protocol]
		if i > 0 {
			l := v.lanes[i-1]
			res, s = &l.res, l.sessions[r.Protocol]
		}
		smp, msg, wasCut := v.judged(r, res)
		if wasCut {
			s.Release()
			cut = true
			continue
		}
		smp.RT += lag
		v.settle(r, res, s, &smp, msg)
		group.add(&smp)
		slowest = max(slowest, smp.RT)
		if smp.Outcome != metrics.Success && !r.ContinueOnFailure {
			fl = flowEndPass
		}
	}
	if cut {
		return flowStop
	}
	g := metrics.Sample{RT: slowest, Outcome: group.outcome, Sent: group.sent, Recv: group.recv}
	v.shard.Record(v.c.txnSeries+n.ID, time.Now(), g)
	v.pass.add(&g)
	for i := range v.txns {
		v.txns[i].add(&g)
	}
	return fl
}
