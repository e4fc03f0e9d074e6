package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/reporters"
	"github.com/perfcase/perfcase/runner"
	"github.com/perfcase/perfcase/scenario"
)

const runUsage = `usage: perfcase run [flags] FILE

Runs a scenario: a YAML file, or a PerfTest case JSON as 'perfcase import'
reads it. While it runs, one progress line per second goes to standard
error; at the end a summary goes to standard output, and --out writes the
report JSON (the PerfTest report API's shape, see docs/report-json.md).

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
	up := addRunUpload(fs)
	file, done, err := oneFile(e, fs, runUsage, args, "name one scenario file, e.g. perfcase run examples/quickstart.yaml")
	if done || err != nil {
		return err
	}
	plan, err := loadPlan(e, file, sets)
	if err != nil {
		reportScenarioError(e.stderr, file, err)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s is not valid; nothing was run", file)}
	}
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
	if *out != "" {
		// Fail now, not after a long run, if the report cannot be written.
		if err := checkWritable(*out); err != nil {
			return &exitError{code: exitInvalid, err: err}
		}
	}
	if *htmlOut != "" {
		if err := checkWritable(*htmlOut); err != nil {
			return &exitError{code: exitInvalid, err: err}
		}
	}
	if err := up.check(e, *out); err != nil {
		return err
	}
	stepSummary := ""
	if e.lookupEnv != nil {
		stepSummary, _ = e.lookupEnv("GITHUB_STEP_SUMMARY")
	}
	for _, p := range []string{*junit, *summaryMD, stepSummary} {
		if p == "" {
			continue
		}
		if err := checkWritable(p); err != nil {
			return &exitError{code: exitInvalid, err: err}
		}
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
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return &exitError{code: exitInvalid, err: fmt.Errorf("cannot write the profile: %v", pathErr(err))}
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	before := measureSelf()
	run := runner.Run(ctx, plan, opts)
	if *self {
		printSelf(e, before, measureSelf(), run)
	}

	var writeErr error
	if *out != "" {
		writeErr = writeReport(*out, run)
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
	switch {
	case writeErr != nil:
		return &exitError{code: exitAborted, err: writeErr}
	case run.Status != metrics.Completed && run.Status != metrics.StoppedBySLA:
		return &exitError{code: exitAborted, err: fmt.Errorf("the run did not complete: %s", run.Reason)}
	case !run.Passed():
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

// loadPlan compiles a YAML scenario, or a PerfTest case JSON converted as
// import does.
func loadPlan(e *env, file string, sets setFlags) (*scenario.Plan, error) {
	opts := scenario.Options{Set: sets, LookupEnv: e.lookupEnv}
	if !isJSON(file) {
		return scenario.Load(file, opts)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v; check the path", file, pathErr(err))
	}
	f, err := scenario.ImportPerfTest(file, data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(file)
	opts.ReadFile = func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return os.ReadFile(p)
	}
	return scenario.Compile(f, opts)
}

func isJSON(file string) bool {
	if strings.HasSuffix(strings.ToLower(file), ".json") {
		return true
	}
	data, err := os.ReadFile(file)
	return err == nil && bytes.HasPrefix(bytes.TrimSpace(data), []byte("{"))
}

func checkWritable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write the report to %s: %v", path, pathErr(err))
	}
	return f.Close()
}

// writeReport writes the report JSON atomically: a reader never sees half
// a report, even if the run is cut while writing.
func writeReport(path string, run *metrics.Run) error {
	var buf bytes.Buffer
	if err := reporters.PerfTestReport(run).WriteJSON(&buf); err != nil {
		return fmt.Errorf("cannot render the report: %v", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("cannot write the report to %s: %v", path, pathErr(err))
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write the report to %s: %v", path, pathErr(err))
	}
	return nil
}

// writeCIReports writes the JUnit XML and the Markdown summary where the
// flags say, each atomically as writeReport does, and appends the summary
// to stepSummary ($GITHUB_STEP_SUMMARY), as GitHub Actions expects. It
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
			keep(writeAtomic(junit, "the JUnit report", buf.Bytes()))
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
		keep(writeAtomic(summaryMD, "the Markdown summary", md.Bytes()))
	}
	if stepSummary != "" {
		f, err := os.OpenFile(stepSummary, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			data := md.Bytes()
			if st, serr := f.Stat(); serr == nil && st.Size() > 0 {
				// A blank line parts it from what an earlier command wrote.
				data = append([]byte("\n"), data...)
			}
			_, err = f.Write(data)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			keep(fmt.Errorf("cannot append the Markdown summary to $GITHUB_STEP_SUMMARY (%s): %v", stepSummary, pathErr(err)))
		}
	}
	return first
}

// writeAtomic writes data to path through a temporary file renamed into
// place, so that a reader never sees half a file.
func writeAtomic(path, what string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("cannot write %s to %s: %v", what, path, pathErr(err))
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s to %s: %v", what, path, pathErr(err))
	}
	return nil
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
