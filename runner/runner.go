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
// plan says, and returns what was measured, judged (Run.Verdict).
// Cancelling ctx ends the run gracefully: the result then has status
// Interrupted and holds everything measured until then. Call Check
// first: Run assumes the plan is supported.
func Run(ctx context.Context, plan *scenario.Plan, opts Options) *metrics.Run {
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	run := &metrics.Run{ID: newRunID(), Name: plan.Name, Source: plan.Source, Start: time.Now()}
	opts.output().Start(&output.Start{RunID: run.ID, Time: run.Start, Plan: plan})
	var cases []*scenario.CasePlan
	for _, cp := range plan.Cases {
		if !cp.Disabled {
			cases = append(cases, cp)
		}
	}
	results := make([]*metrics.CaseResult, len(cases))
	interrupted := make([]bool, len(cases))
	fatal := make([]*string, len(cases))
	slaStop := make([]string, len(cases))
	// An SLA rule that stops, or a VU that panics, ends the whole run:
	// the other cases, running or still to run, stop too.
	ctx, endRun := context.WithCancel(ctx)
	defer endRun()
	runCase := func(i int) {
		cr := newCaseRun(cases[i], &opts, seed+uint64(i)*0x2545f4914f6cdd1d)
		results[i], interrupted[i] = cr.run(ctx, opts.Abort)
		if cr.slaStop.Load() || cr.fatal.Load() != nil {
			endRun()
		}
		fatal[i] = cr.fatal.Load()
		if cr.slaStop.Load() {
			slaStop[i] = cr.watch.slaStop
		}
		judge(cases[i], results[i])
	}
	if plan.Parallel {
		var wg sync.WaitGroup
		for i := range cases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runCase(i)
			}()
		}
		wg.Wait()
	} else {
		for i := range cases {
			if ctx.Err() != nil {
				break
			}
			runCase(i)
		}
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

// newRunID returns a random version-4 UUID.
func newRunID() string {
	var b [16]byte
	crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
