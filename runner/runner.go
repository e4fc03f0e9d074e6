// Package runner runs a compiled scenario.Plan: virtual users as
// goroutines, each with its own connections, variables and buffers; the
// stages that decide how many of them run; the run's clock; and the
// recording of every request, transaction and pass into lock-free metric
// shards. It knows no protocol: a VU holds a protocols.Session for each
// protocol its case uses, made from the driver table (or Options.Drivers)
// when the VU is, and sends every request through Session.Do; the runner
// judges the Result and records it, and the extra metrics it carries,
// whatever the protocol. It knows no output either: it hands the run's
// start and every harvested second to Options.Output (package output),
// judges the KPIs and SLA rules from metrics.KPIs, and returns the run
// judged (metrics.Run.Verdict) for its caller to end the outputs with.
//
// A plan's test-wide before: and after: steps run as cases of their own,
// first and last; a together: step's requests go out from lanes, the VU's
// own goroutines (together.go); custom metrics and soft checks are the
// case's extra metrics after its protocols'.
//
// Its timing tests run on testing/synctest's fake clock, every request
// answered in memory by package protocols/mem: the runner waits only on
// timers and channels, which that clock sees, never on a busy loop or a
// lock held for long.
package runner

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/scenario"
)

// DefaultGrace is how long VUs get, once a run ends, to finish the request
// they are waiting on before it is cut.
const DefaultGrace = 5 * time.Second

// Options tune a run.
type Options struct {
	// Output, when set, receives the run's start and every second each
	// case's clock harvests (see package output); its End is the
	// caller's to call with the finished run.
	Output output.Output
	// Grace bounds how long a stopping VU may finish its request;
	// 0 means DefaultGrace.
	Grace time.Duration
	// Shards is the number of metric shards per case; 0 means twice
	// GOMAXPROCS, at most 16.
	Shards int
	// Seed makes the random choices of a run (random variables, think
	// times, functions) repeatable; 0 picks a random seed.
	Seed uint64
	// Abort, when closed, cuts every request in flight at once (a second
	// Ctrl-C). Cancelling Run's context stops gracefully instead.
	Abort <-chan struct{}
	// Control, when set, lets a person change the target of manual stages
	// while they run.
	Control *Control
	// Segment makes this process part Index of Count of a run split over
	// Count processes (perfcase run --segment): each case runs its share
	// of the VUs, passes and case-share reads, striped by their whole-run
	// numbers (scenario.Segment). Call Plan.CheckSegment first. The zero
	// Segment runs the whole plan.
	Segment scenario.Segment
	// StartAt, when set, is when the cases start (perfcase run
	// --start-at): Run waits for it (after the before: steps, when the
	// plan has some), and the cases' clock 0 is that instant, so parts
	// started on several machines share one. A run that reaches it late
	// starts at once.
	StartAt time.Time
	// Started, when set, is called as the cases start, with their clock 0
	// and how much later than StartAt that is (0 when on time or without
	// StartAt).
	Started func(at time.Time, late time.Duration)
	// RunID, when set, is the run's id (perfcase run --run-id): the parts
	// of a split run share one. By default Run makes a random UUID.
	RunID string
	// Drivers replaces perfcase's driver of a protocol, for tests and for
	// programs that embed the runner: the runner's own tests answer
	// requests with a Go function (package protocols/mem). Protocols not
	// in it keep their driver of package protocols.
	Drivers map[scenario.Protocol]protocols.Driver
}

// driver is the driver of protocol p: the one Drivers gives, or
// perfcase's; none (a nil New) for a protocol perfcase cannot run, which
// Check refuses before a run.
func (o *Options) driver(p scenario.Protocol) protocols.Driver {
	if d, ok := o.Drivers[p]; ok {
		return d
	}
	d, _ := protocols.For(p)
	return d
}

func (o *Options) grace() time.Duration {
	if o.Grace > 0 {
		return o.Grace
	}
	return DefaultGrace
}

// output is where the run's data goes: Output, or nowhere.
func (o *Options) output() output.Output {
	if o.Output != nil {
		return o.Output
	}
	return output.List(nil)
}

func (o *Options) shards() int {
	if o.Shards > 0 {
		return o.Shards
	}
	// Each shard holds a histogram per series (~184 KB); past a few shards
	// per core, contention is no longer what costs.
	return min(2*runtime.GOMAXPROCS(0), 16)
}

// Run runs every enabled case of the plan, in order or all at once as the
// plan says, between the plan's test-wide before: and after: steps, and
// returns what was measured, judged (Run.Verdict). Cancelling ctx ends
// the run gracefully: the result then has status Interrupted and holds
// everything measured until then. Call Check first: Run assumes the plan
// is supported.
//
// The before: steps run first, by one VU, once; every VU of every case
// and of the after: steps starts with the variables they left. The
// after: steps run last, once, whatever ended the cases: when that was a
// Ctrl-C, an SLA rule or an internal error, they get the grace period to
// run, and a second Ctrl-C cuts them at once.
func Run(ctx context.Context, plan *scenario.Plan, opts Options) *metrics.Run {
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	id := opts.RunID
	if id == "" {
		id = newRunID()
	}
	// clock0 is the start of the cases that start first: all of them in
	// a parallel plan, else the first. A run without before: steps waits
	// for StartAt before it begins, so that it begins then; one with them
	// runs them first and waits after.
	var clock0 time.Time
	waited := plan.Before == nil
	if waited {
		clock0 = startCases(ctx, &opts)
	}
	run := &metrics.Run{ID: id, Name: plan.Name, Source: plan.Source, Start: time.Now()}
	if !clock0.IsZero() {
		run.Start = clock0
	}
	opts.output().Start(&output.Start{RunID: run.ID, Time: run.Start, Plan: plan})
	// What runs, in order: before, the enabled cases, after. Seeds are
	// the cases' own (seed + i × k) whatever runs around them.
	var all []*scenario.CasePlan
	var seeds []uint64
	if plan.Before != nil {
		all, seeds = append(all, plan.Before), append(seeds, seed^0x6a09e667f3bcc908)
	}
	lo := len(all)
	for _, cp := range plan.Cases {
		if !cp.Disabled {
			all, seeds = append(all, cp), append(seeds, seed+uint64(len(all)-lo)*0x2545f4914f6cdd1d)
		}
	}
	hi := len(all)
	if plan.After != nil {
		all, seeds = append(all, plan.After), append(seeds, seed^0xbb67ae8584caa73b)
	}
	results := make([]*metrics.CaseResult, len(all))
	interrupted := make([]bool, len(all))
	fatal := make([]*string, len(all))
	slaStop := make([]string, len(all))
	// An SLA rule that stops, or a VU that panics, ends the whole run:
	// the other cases, running or still to run, stop too.
	ctx, endRun := context.WithCancel(ctx)
	defer endRun()
	var before map[string][]byte
	// before: and after: run whole in every part of a split run: a
	// part's VUs need what its own before: extracted, and a part's share
	// of their one pass would be none but in part 0.
	hookOpts := opts
	hookOpts.Segment = scenario.Segment{}
	runCase := func(i int, ctx context.Context, abort <-chan struct{}) *caseRun {
		o := &opts
		if i < lo || i >= hi {
			o = &hookOpts
		}
		cr := newCaseRun(all[i], o, seeds[i])
		cr.before = before
		if i >= lo && i < hi {
			cr.clock0 = clock0
		}
		results[i], interrupted[i] = cr.run(ctx, abort)
		if cr.slaStop.Load() || cr.fatal.Load() != nil {
			endRun()
		}
		fatal[i] = cr.fatal.Load()
		if cr.slaStop.Load() {
			slaStop[i] = cr.watch.slaStop
		}
		judge(all[i], results[i])
		return cr
	}
	if plan.Before != nil {
		before = runCase(0, ctx, opts.Abort).left()
		results[0].Role = scenario.BeforeName
	}
	if !waited {
		clock0 = startCases(ctx, &opts)
	}
	if plan.Parallel {
		var wg sync.WaitGroup
		for i := lo; i < hi && ctx.Err() == nil; i++ {
			wg.Go(func() { runCase(i, ctx, opts.Abort) })
		}
		wg.Wait()
	} else {
		for i := lo; i < hi && ctx.Err() == nil; i++ {
			runCase(i, ctx, opts.Abort)
			clock0 = time.Time{}
		}
	}
	if plan.After != nil {
		// The after: steps are not stopped by what stopped the cases, but
		// a run that was stopped gives them the grace period only.
		cut, done := graceAfter(ctx, opts.Abort, opts.grace())
		runCase(len(all)-1, context.Background(), cut)
		close(done)
		results[len(all)-1].Role = scenario.AfterName
	}
	for i, r := range results {
		if r != nil {
			run.Cases = append(run.Cases, r)
		}
		switch {
		case fatal[i] != nil:
			run.Status, run.Reason = metrics.Aborted, *fatal[i]
		case slaStop[i] != "" && run.Status != metrics.Aborted:
			run.Status, run.Reason = metrics.StoppedBySLA, "SLA rule "+slaStop[i]+" stopped the run"
		case (interrupted[i] || r == nil) && run.Status == metrics.Completed:
			run.Status, run.Reason = metrics.Interrupted, "interrupted"
		}
	}
	run.End = time.Now()
	run.Judge()
	return run
}

// startCases waits for opts.StartAt, if set and not yet passed, and
// returns the cases' clock 0: StartAt itself, or now when it has passed or
// is not set. A ctx that ends while it waits ends the wait, and no case
// starts. The instant returned carries the monotonic clock, so a step of
// the wall clock during the run does not move the cases' elapsed time.
func startCases(ctx context.Context, opts *Options) time.Time {
	now := time.Now()
	at, late := now, time.Duration(0)
	if !opts.StartAt.IsZero() {
		wait := opts.StartAt.Sub(now)
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return time.Time{}
			}
			at = now.Add(wait)
		} else {
			late = -wait
		}
	}
	if opts.Started != nil {
		opts.Started(at, late)
	}
	return at
}

// graceAfter is when the after: steps are cut: when abort closes, or
// once grace has passed since stopped ended (a Ctrl-C, an SLA rule or an
// internal error stopped the run), and not before; closing done ends the
// watch.
func graceAfter(stopped context.Context, abort <-chan struct{}, grace time.Duration) (cut, done chan struct{}) {
	cut, done = make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-abort:
		case <-stopped.Done():
			t := time.NewTimer(grace)
			defer t.Stop()
			select {
			case <-done:
				return
			case <-abort:
			case <-t.C:
			}
		}
		close(cut)
	}()
	return cut, done
}

// newRunID returns a random version-4 UUID.
func newRunID() string {
	var b [16]byte
	crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
