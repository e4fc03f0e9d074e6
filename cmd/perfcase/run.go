package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/reporters"
	"github.com/perfcase/perfcase/runner"
	"github.com/perfcase/perfcase/scenario"
	"github.com/perfcase/perfcase/upload"
)

const runUsage = `usage: perfcase run [flags] FILE

Runs a scenario: a YAML file, or any format 'perfcase import' reads (a
PerfTest case JSON, a HAR, a Postman collection, cURL commands), told
apart by content; - reads standard input. It is checked
exactly as 'perfcase validate' checks it, and nothing runs unless it is
valid. While it runs, one progress line per second goes to standard
error; at the end a summary goes to standard output, and --out writes the
report JSON (the PerfTest report API's shape, see docs/report-json.md).

Every output file is checked before the load starts (a file that cannot
be written exits 2, and no file is created) and written when the run
ends, through a temporary file renamed into place.

Ctrl-C stops the run gracefully: VUs finish the request they wait on (up
to --grace), every report is written, and the exit status is 3. A second
Ctrl-C cuts requests in flight at once and still writes the reports.

Example:
  perfcase target &                     # the demo target the examples use
  perfcase run --out report.json examples/quickstart.yaml

Before the load starts, run checks that this machine holds the VUs the
plan needs: open files (ulimit -n) for their connections, and memory.

--segment I/N runs part I of N disjoint parts, so that N processes make
exactly one process's load; --start-at starts them together and
--run-id makes them one run for the report service (docs/scale-out.md).

Exit status: 0 every checkpoint (kpis:) passed, 1 a checkpoint failed,
2 the scenario or the command line is invalid, or the plan needs more
than this machine has, 3 the run could not complete (interrupted, or the
report could not be written).

Flags:
`

// runFlags is run's command line: its own flags and every output's.
type runFlags struct {
	*flagSet
	sets    setFlags
	outputs []outputRow
	grace   *time.Duration
	seed    *uint64
	control *string
	maxSize *sizeFlag
	labels  labelFlags
	// One part of a split run (docs/scale-out.md).
	segment, startAt, runID *string
}

func newRunFlags(e *env) *runFlags {
	fs := &runFlags{flagSet: newFlagSet(e, "run", runUsage), sets: setFlags{}, outputs: runOutputs()}
	fs.Var(fs.sets, "set", "override a variable: name=value (repeatable)")
	addOutputFlags(fs.FlagSet, fs.outputs)
	fs.grace = fs.Duration("grace", runner.DefaultGrace, "how long VUs may finish their request when the run stops")
	fs.seed = fs.Uint64("seed", 0, "seed for random choices, to repeat a run's data (0: random)")
	fs.control = fs.String("control", controlDefault, "listen `address` for 'perfcase scale' while a manual stage runs (loopback only; port 0 picks a free one)")
	fs.maxSize = addMaxFileSize(fs.FlagSet)
	fs.labels = labelFlags{}
	fs.Var(fs.labels, "label", "label the run `key=value` for the report service (repeatable), e.g. --label env=staging")
	fs.segment = addSegmentFlag(fs.FlagSet)
	fs.startAt = fs.String("start-at", "", "start the cases at `TIME` (RFC 3339, e.g. 2026-01-02T15:04:05Z), waiting until then, so that the parts of a split run start together")
	fs.runID = fs.String("run-id", "", "the run's `ID` (result.perfcase.run_id; 1 to 128 letters, digits and ._:-), one for every part of a split run; default a random UUID")
	return fs
}

func runRun(e *env, args []string) error {
	fs := newRunFlags(e)
	file, done, err := fs.oneFile(args, "name one scenario file, e.g. perfcase run examples/quickstart.yaml")
	if done || err != nil {
		return err
	}
	loaded, err := openScenario(e, file, scenario.Options{Set: fs.sets}, fs.maxSize)
	if err != nil {
		file = scenarioName(loaded, file)
		reportScenarioError(e.stderr, file, err)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s is not valid; nothing was run", file)}
	}
	plan := loaded.Plan
	split, err := fs.split(plan)
	if err != nil {
		var list scenario.ErrorList
		if !errors.As(err, &list) {
			return err
		}
		reportScenarioError(e.stderr, file, list)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s cannot run split into %d parts; nothing was run", file, split.seg.Count)}
	}
	if errs := runner.Check(plan); len(errs) > 0 {
		reportScenarioError(e.stderr, file, errs)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s uses what the run engine cannot do yet; nothing was run", file)}
	}
	// What this machine can hold is checked before anything starts: a run
	// that runs out of files or memory half way takes its reports with it.
	if errs := runner.CheckPart(plan, split.seg, e.thisMachine()); len(errs) > 0 {
		reportScenarioError(e.stderr, file, errs)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s needs more than this machine has; nothing was run", file)}
	}
	for _, w := range plan.Warnings {
		fmt.Fprintf(e.stderr, "warning: %v\n", w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	abort := make(chan struct{})
	// Fail now, not after a long run, if an output cannot work.
	outs, err := makeOutputs(&outputContext{e: e, fs: fs.FlagSet, ctx: ctx, abort: abort, scenario: plan.Name}, fs.outputs)
	if err != nil {
		return err
	}
	var ctl *runner.Control
	if hasManual(plan) {
		ctl = runner.NewControl()
		addr, stop, err := startControl(*fs.control, ctl)
		if err != nil {
			return usageError("%v", err)
		}
		defer stop()
		fmt.Fprintf(e.stderr, "perfcase: manual stages: change the load with 'perfcase scale --control %s N' (GET http://%s/status)\n", addr, addr)
	}

	sigs, stopSignals := e.notifySignals()
	defer stopSignals()
	go func() {
		n := 0
		for range sigs {
			n++
			if n == 1 {
				fmt.Fprintln(e.stderr, "perfcase: stopping: VUs finish their requests, then the reports are written (Ctrl-C again to cut them now)")
				cancel()
			} else {
				fmt.Fprintln(e.stderr, "perfcase: cutting requests in flight (Ctrl-C again to kill)")
				close(abort)
				// A third signal gets Go's default: the process dies at once.
				stopSignals()
				return
			}
		}
	}()

	opts := runner.Options{Grace: *fs.grace, Seed: *fs.seed, Abort: abort, Control: ctl, Output: outs,
		Segment: split.seg, StartAt: split.startAt, RunID: *fs.runID, Started: split.started(e)}
	if !split.startAt.IsZero() {
		fmt.Fprintf(e.stderr, "perfcase: the cases start at %s (--start-at)\n", split.startAt.Format(time.RFC3339Nano))
	}
	run := runner.Run(ctx, plan, opts)
	stampRun(e, run, fs.labels)
	if split.seg.Whole() {
		return runExit(run, outs.End(reporters.Finish(run)))
	}
	return runExit(run, outs.End(reporters.FinishSegment(run, split.report())))
}

// split is what makes a run one part of a split run: --segment,
// --start-at, and when the cases started.
type split struct {
	seg     scenario.Segment
	startAt time.Time
	at      time.Time
	late    time.Duration
}

// split reads --segment, --start-at and --run-id for plan: a usage error
// for a malformed value, a scenario.ErrorList of what the plan cannot do
// split.
func (fs *runFlags) split(plan *scenario.Plan) (*split, error) {
	s := &split{}
	if *fs.runID != "" && !upload.ValidRunID(*fs.runID) {
		return s, usageError("--run-id %.80q: want 1 to 128 letters, digits and ._:- (it is the upload's idempotency key)", *fs.runID)
	}
	if *fs.startAt != "" {
		t, err := time.Parse(time.RFC3339Nano, *fs.startAt)
		if err != nil {
			return s, usageError("--start-at %q: want an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", *fs.startAt)
		}
		s.startAt = t
	}
	seg, err := segmentOf(*fs.segment, plan)
	s.seg = seg
	var list scenario.ErrorList
	if err != nil && !errors.As(err, &list) {
		return s, usageError("%v", err)
	}
	return s, err
}

// started notes when the cases started and says on standard error when
// that was later than --start-at: the part's load is that much behind
// the other parts'.
func (s *split) started(e *env) func(time.Time, time.Duration) {
	return func(at time.Time, late time.Duration) {
		s.at, s.late = at, late
		if late > 0 {
			what := "the run"
			if !s.seg.Whole() {
				what = "part " + s.seg.String()
			}
			fmt.Fprintf(e.stderr, "perfcase: %s started %v late (--start-at %s): its load is that much behind schedule\n",
				what, late.Round(time.Millisecond), s.startAt.Format(time.RFC3339Nano))
		}
	}
}

// report is the report's perfcase.segment.
func (s *split) report() *output.PerfcaseSegment {
	r := &output.PerfcaseSegment{Index: s.seg.Index, Count: s.seg.Count, LateMS: float64(s.late.Microseconds()) / 1000}
	if !s.startAt.IsZero() {
		r.StartAt = s.startAt.Format(time.RFC3339Nano)
	}
	if !s.at.IsZero() {
		r.Started = s.at.Format(time.RFC3339Nano)
	}
	return r
}

// runExit is how a run ends: the exit code of its verdict
// (metrics.Verdict.ExitCode), unless an output failed. A report that
// could not be written exits 3 whatever the verdict; a failed upload
// turns a passing run's 0 into 3 but leaves a failed checkpoint's 1, since
// its report is on disk for 'perfcase upload' to send again.
func runExit(run *metrics.Run, endErr error) error {
	v := &run.Verdict
	code := v.ExitCode()
	var why []error
	if endErr != nil {
		why = append(why, endErr)
		hard, regress := outputFailures(endErr)
		switch {
		case hard:
			code = exitAborted
		case code != exitOK:
		case regress:
			// The regression gate failed: as a failed checkpoint does.
			code = exitFailed
		default: // only uploads failed
			code = exitAborted
		}
	}
	switch v.State {
	case metrics.VerdictInterrupted, metrics.VerdictAborted:
		why = append(why, fmt.Errorf("the run did not complete: %s", run.Reason))
	case metrics.VerdictUnusable:
		why = append(why, fmt.Errorf("case %s: not one request succeeded; the target looks unusable (see the errors above)", v.Unusable()))
	}
	if code == exitOK {
		return nil
	}
	return &exitError{code: code, err: errors.Join(why...)}
}

// outputFailures sorts what the outputs' errors (errors.Join's) were:
// hard, an output that could not do its work (a report not written);
// regress, a run that regressed against its baseline. Anything else is
// an upload that failed.
func outputFailures(err error) (hard, regress bool) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			h, r := outputFailures(e)
			hard, regress = hard || h, regress || r
		}
		return hard, regress
	}
	switch err.(type) {
	case *uploadFailed:
		return false, false
	case *regressed:
		return false, true
	}
	return true, false
}

// notifySignals delivers SIGINT and SIGTERM; tests substitute their own.
func (e *env) notifySignals() (<-chan os.Signal, func()) {
	if e.signals != nil {
		return e.signals, func() {}
	}
	c := make(chan os.Signal, 2)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	return c, func() { signal.Stop(c) }
}

// selfStats is the generator's own resource use at a point in time.
type selfStats struct {
	cpu     time.Duration
	mallocs uint64
	maxRSS  int64 // KiB
}

func measureSelf() selfStats {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return selfStats{
		cpu:     time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		mallocs: ms.Mallocs,
		maxRSS:  ru.Maxrss,
	}
}

// printSelf reports what the run cost the generator, so a user can tell
// whether perfcase itself was the bottleneck.
func printSelf(e *env, a, b selfStats, run *metrics.Run) {
	var reqs int64
	for _, c := range run.Cases {
		for _, s := range c.Stats.Series {
			if s.Kind == metrics.KindRequest {
				reqs += s.Count
			}
		}
	}
	if reqs == 0 {
		fmt.Fprintln(e.stderr, "generator: no requests")
		return
	}
	secs := run.End.Sub(run.Start).Seconds()
	fmt.Fprintf(e.stderr, "generator: %d requests, %.0f requests/s, %.2f µs CPU per request, %.3f allocs per request, peak RSS %.1f MiB\n",
		reqs, float64(reqs)/secs, float64((b.cpu-a.cpu).Nanoseconds())/1e3/float64(reqs),
		float64(b.mallocs-a.mallocs)/float64(reqs), float64(b.maxRSS)/1024)
}

// isTerminal reports whether w is a terminal, for the live view.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
