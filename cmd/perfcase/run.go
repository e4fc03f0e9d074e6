package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/perfcase/perfcase/internal/safefile"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/reporters"
	"github.com/perfcase/perfcase/runner"
	"github.com/perfcase/perfcase/scenario"
)

const runUsage = `usage: perfcase run [flags] FILE

Runs a scenario: a YAML file, or a PerfTest case JSON as 'perfcase import'
reads it (told apart by content; - reads standard input). It is checked
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

Exit status: 0 every checkpoint (kpis:) passed, 1 a checkpoint failed,
2 the scenario or the command line is invalid, or the plan needs more
than this machine has, 3 the run could not complete (interrupted, or the
report could not be written).

Flags:
`

func runRun(e *env, args []string) error {
	fs := newFlagSet(e, "run", runUsage)
	sets := setFlags{}
	fs.Var(sets, "set", "override a variable: name=value (repeatable)")
	out := fs.String("out", "", "write the report JSON to `file`")
	htmlOut := fs.String("html", "", "write the HTML report to `file`: one self-contained page with charts (see 'perfcase report')")
	junit := fs.String("junit", "", "write a JUnit XML report to `file`: a test per KPI checkpoint, per SLA trigger and per case")
	summaryMD := fs.String("summary-md", "", "write a Markdown summary to `file` (and append it to $GITHUB_STEP_SUMMARY when that is set)")
	quiet := fs.Bool("quiet", false, "no progress lines while running")
	grace := fs.Duration("grace", runner.DefaultGrace, "how long VUs may finish their request when the run stops")
	seed := fs.Uint64("seed", 0, "seed for random choices, to repeat a run's data (0: random)")
	self := fs.Bool("self", false, "print the generator's own cost: CPU and allocations per request, peak memory")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of perfcase itself to `file` (go tool pprof)")
	control := fs.String("control", controlDefault, "listen `address` for 'perfcase scale' while a manual stage runs (loopback only; port 0 picks a free one)")
	up := addRunUpload(fs.FlagSet)
	meta := addRunMeta(fs.FlagSet)
	maxSize := addMaxFileSize(fs.FlagSet)
	file, done, err := fs.oneFile(args, "name one scenario file, e.g. perfcase run examples/quickstart.yaml")
	if done || err != nil {
		return err
	}
	loaded, err := openScenario(e, file, scenario.Options{Set: sets}, maxSize)
	if err != nil {
		file = scenarioName(loaded, file)
		reportScenarioError(e.stderr, file, err)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s is not valid; nothing was run", file)}
	}
	plan := loaded.Plan
	if errs := runner.Check(plan); len(errs) > 0 {
		reportScenarioError(e.stderr, file, errs)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s uses what the run engine cannot do yet; nothing was run", file)}
	}
	// What this machine can hold is checked before anything starts: a run
	// that runs out of files or memory half way takes its reports with it.
	if errs := runner.CheckMachine(plan, e.thisMachine()); len(errs) > 0 {
		reportScenarioError(e.stderr, file, errs)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s needs more than this machine has; nothing was run", file)}
	}
	for _, w := range plan.Warnings {
		fmt.Fprintf(e.stderr, "warning: %v\n", w)
	}
	stepSummary := ""
	if e.lookupEnv != nil {
		stepSummary, _ = e.lookupEnv("GITHUB_STEP_SUMMARY")
	}
	// Fail now, not after a long run, if a file cannot be written.
	if err := checkOutputs(map[string]string{"the report": *out, "the HTML report": *htmlOut, "the JUnit report": *junit,
		"the Markdown summary": *summaryMD, "the CPU profile": *cpuProfile}, stepSummary); err != nil {
		return err
	}
	if err := meta.check(e, plan.Name, up); err != nil {
		return err
	}
	up.forBaseline = meta.fromServer()
	if err := up.check(e, *out); err != nil {
		return err
	}
	var ctl *runner.Control
	if hasManual(plan) {
		ctl = runner.NewControl()
		addr, stop, err := startControl(*control, ctl)
		if err != nil {
			return usageError("%v", err)
		}
		defer stop()
		fmt.Fprintf(e.stderr, "perfcase: manual stages: change the load with 'perfcase scale --control %s N' (GET http://%s/status)\n", addr, addr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	abort := make(chan struct{})
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

	opts := runner.Options{Grace: *grace, Seed: *seed, Abort: abort, Control: ctl}
	switch {
	case *quiet:
	case isTerminal(e.stderr):
		// On a terminal, a view redrawn in place; in a CI log, one line a
		// second.
		lv := reporters.NewLiveView(e.stderr)
		opts.Progress = lv.Update
	default:
		opts.Live = func(name string, sec, vus int, s metrics.Second) {
			// Label a second by the time it ended, as elapsed time reads.
			reporters.WriteLive(e.stderr, name, sec+1, vus, s)
		}
	}
	// The profile is kept in memory and written with the reports: no
	// file exists until the run is over.
	var profile bytes.Buffer
	if *cpuProfile != "" {
		if err := pprof.StartCPUProfile(&profile); err != nil {
			return err
		}
	}
	before := measureSelf()
	run := runner.Run(ctx, plan, opts)
	meta.stamp(e, run)
	if *self {
		printSelf(e, before, measureSelf(), run)
	}

	var writeErr error
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
		writeErr = writeOutput(*cpuProfile, "the CPU profile", profile.Bytes())
	}
	if *out != "" {
		if err := writeReport(*out, run); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	if *htmlOut != "" {
		if err := writeHTMLFile(*htmlOut, reporters.PerfTestReport(run)); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	if err := writeCIReports(*junit, *summaryMD, stepSummary, run); err != nil && writeErr == nil {
		writeErr = err
	}
	if err := reporters.WriteSummary(e.stdout, run); err != nil {
		return err
	}
	up.send(ctx, e, *out, run.ID, abort)
	regressed := meta.gate(e, run)
	switch {
	case writeErr != nil:
		return &exitError{code: exitAborted, err: writeErr}
	case run.Status != metrics.Completed && run.Status != metrics.StoppedBySLA:
		return &exitError{code: exitAborted, err: fmt.Errorf("the run did not complete: %s", run.Reason)}
	case !run.Passed() || regressed:
		return &exitError{code: exitFailed}
	}
	if c := unusable(run); c != "" {
		return &exitError{code: exitAborted, err: fmt.Errorf("case %s: not one request succeeded; the target looks unusable (see the errors above)", c)}
	}
	return up.exit()
}

// unusable names a case that sent requests and got not one success: with
// no KPI to judge it, such a run tested nothing and must not pass CI.
func unusable(run *metrics.Run) string {
	for _, c := range run.Cases {
		if r := c.Stats.Requests; r != nil && r.Count > 0 && r.Outcomes[metrics.Success] == 0 {
			return c.Stats.Name
		}
	}
	return ""
}

// checkOutputs checks, before the run, every file the run will write
// (what → path; an empty path is not written) and the file it appends to,
// and reports every one that cannot be written at once.
func checkOutputs(outputs map[string]string, appendTo string) error {
	var errs []error
	for _, what := range slices.Sorted(maps.Keys(outputs)) {
		if p := outputs[what]; p != "" {
			if err := safefile.Check(p); err != nil {
				errs = append(errs, fmt.Errorf("cannot write %s to %s: %v", what, p, err))
			}
		}
	}
	if appendTo != "" {
		if err := safefile.CheckAppend(appendTo); err != nil {
			errs = append(errs, fmt.Errorf("cannot append the Markdown summary to $GITHUB_STEP_SUMMARY (%s): %v", appendTo, err))
		}
	}
	if len(errs) > 0 {
		return &exitError{code: exitInvalid, err: fmt.Errorf("%w; nothing was run", errors.Join(errs...))}
	}
	return nil
}

// writeOutput writes one output file whole or not at all (see
// internal/safefile); what names it in the error.
func writeOutput(path, what string, data []byte) error {
	if err := safefile.Write(path, data); err != nil {
		return fmt.Errorf("cannot write %s to %s: %v", what, path, err)
	}
	return nil
}

// writeReport writes the report JSON.
func writeReport(path string, run *metrics.Run) error {
	var buf bytes.Buffer
	if err := reporters.PerfTestReport(run).WriteJSON(&buf); err != nil {
		return fmt.Errorf("cannot render the report: %v", err)
	}
	return writeOutput(path, "the report", buf.Bytes())
}

// writeCIReports writes the JUnit XML and the Markdown summary where the
// flags say, and appends the summary to stepSummary
// ($GITHUB_STEP_SUMMARY), as GitHub Actions expects. It
// tries every file and returns the first error.
func writeCIReports(junit, summaryMD, stepSummary string, run *metrics.Run) error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	if junit != "" {
		var buf bytes.Buffer
		if err := reporters.WriteJUnit(&buf, run); err != nil {
			keep(fmt.Errorf("cannot render the JUnit report: %v", err))
		} else {
			keep(writeOutput(junit, "the JUnit report", buf.Bytes()))
		}
	}
	if summaryMD == "" && stepSummary == "" {
		return first
	}
	var md bytes.Buffer
	if err := reporters.WriteMarkdown(&md, run); err != nil {
		keep(fmt.Errorf("cannot render the Markdown summary: %v", err))
		return first
	}
	if summaryMD != "" {
		keep(writeOutput(summaryMD, "the Markdown summary", md.Bytes()))
	}
	if stepSummary != "" {
		data := md.Bytes()
		if st, err := os.Lstat(stepSummary); err == nil && st.Size() > 0 {
			// A blank line parts it from what an earlier command wrote.
			data = append([]byte("\n"), data...)
		}
		if err := safefile.Append(stepSummary, data); err != nil {
			keep(fmt.Errorf("cannot append the Markdown summary to $GITHUB_STEP_SUMMARY (%s): %v", stepSummary, err))
		}
	}
	return first
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
