package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/perfcase/perfcase/internal/safefile"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/reporters"
)

// outputRow is one output 'perfcase run' can give: the flag that asks for
// it, its help, and what makes it. Adding an output is its own file and
// one row in runOutputs.
type outputRow struct {
	flag string // "" for an output that is always there
	help string
	// isBool says the flag is a switch (--quiet), not a file name;
	// input that it names a file or URL read, not written (--baseline).
	isBool, input bool
	// flags, when set, adds the flags that refine the output (the
	// upload's endpoint, project and token).
	flags func(fs *flag.FlagSet)
	// make builds the output from its flag's value (a file name, "true"
	// or "false" for a switch, "" when not given), or returns nil when it
	// is not asked for. It runs before the run and checks all it can
	// then: a file that cannot be written, a mistake in the flags. Its
	// error stops the run before it starts (exit 2).
	make func(c *outputContext, value string) (output.Output, error)
}

// runOutputs is the table of run's outputs, in the order they end: the
// run's own cost is measured and the CPU profile stopped before anything
// is rendered, the comparison with a baseline is made before the outputs
// that render it, and the report JSON is on disk before the upload sends
// it.
func runOutputs() []outputRow {
	up := &runUploadOutput{}
	base := &baselineOutput{up: up}
	return []outputRow{
		{flag: "self", isBool: true, help: "print the generator's own cost: CPU and allocations per request, peak memory", make: newSelfOutput},
		{flag: "cpuprofile", help: "write a CPU profile of perfcase itself to `file` (go tool pprof)", make: newProfileOutput},
		{flag: "baseline", input: true, flags: base.addFlags, make: base.output,
			help: "compare the run with a baseline and exit 1 on a regression: a report `file`, or the report service's URL (with --project: the scenario's marked baseline); the summary, --junit and --summary-md include the comparison"},
		{flag: "out", help: "write the report JSON to `file`", make: fileOutput("the report", reporters.WriteJSON)},
		{flag: "html", help: "write the HTML report to `file`: one self-contained page with charts (see 'perfcase report')",
			make: fileOutput("the HTML report", reporters.WriteHTML)},
		{flag: "junit", help: "write a JUnit XML report to `file`: a test per KPI checkpoint, per SLA trigger and per case (and, with --baseline, per regression limit)",
			make: fileOutput("the JUnit report", reporters.WriteJUnit)},
		{flag: "summary-md", help: "write a Markdown summary to `file` (and append it to $GITHUB_STEP_SUMMARY when that is set)",
			make: newMarkdownOutput},
		{flag: "quiet", isBool: true, help: "no progress lines while running", make: newLiveOutput},
		{make: newSummaryOutput},
		{flag: "upload", isBool: true, flags: up.add, make: up.output,
			help: "once the report is written (--out is required), upload it as 'perfcase upload' does, with --endpoint, --project and the flags after it; the token from --token-file or PERFCASE_TOKEN"},
		// The live outputs end last: a linger or a last push does not hold
		// back the summary and the reports.
		{flag: "prometheus-listen", flags: addLingerFlag, make: newPrometheusOutput,
			help: "serve the run's metrics for Prometheus to scrape at http://`address`/metrics (e.g. 127.0.0.1:9464) while it runs; see docs/live-metrics.md"},
		{flag: "prometheus-remote-write", make: newRemoteWriteOutput,
			help: "push the run's metrics each second to a Prometheus remote-write `URL` (e.g. http://127.0.0.1:9090/api/v1/write)"},
		{flag: "otlp", make: newOTLPOutput,
			help: "export the run's metrics each second over OTLP/HTTP to `URL` (e.g. http://127.0.0.1:4318; /v1/metrics is added to a URL without a path)"},
	}
}

// addOutputFlags adds the flags of every row to fs.
func addOutputFlags(fs *flag.FlagSet, rows []outputRow) {
	for _, r := range rows {
		switch {
		case r.flag == "":
		case r.isBool:
			fs.Bool(r.flag, false, r.help)
		default:
			fs.String(r.flag, "", r.help)
		}
		if r.flags != nil {
			r.flags(fs)
		}
	}
}

// outputContext is what the outputs of one run are made with.
type outputContext struct {
	e  *env
	fs *flag.FlagSet
	// ctx ends when the run is interrupted; abort is closed by a second
	// Ctrl-C. What an output does after the run (an upload) stops on
	// them.
	ctx   context.Context
	abort <-chan struct{}
	// scenario is the scenario's name, by which the report service knows
	// its runs.
	scenario string
	// nothing is what a mistake in the outputs means, for a command that
	// is not a run: "nothing was merged"; "" is "nothing was run".
	nothing string
}

// value is the value of another row's flag.
func (c *outputContext) value(name string) string { return c.fs.Lookup(name).Value.String() }

// makeOutputs makes the outputs the flags ask for, checking each before
// the run; every mistake is reported at once, and then nothing runs.
func makeOutputs(c *outputContext, rows []outputRow) (output.List, error) {
	var list output.List
	var errs []error
	for _, r := range rows {
		v := ""
		if r.flag != "" {
			v = c.value(r.flag)
		}
		o, err := r.make(c, v)
		switch {
		case err != nil:
			errs = append(errs, err)
		case o != nil:
			list = append(list, o)
		}
	}
	if len(errs) > 0 {
		nothing := c.nothing
		if nothing == "" {
			nothing = "nothing was run"
		}
		return nil, &exitError{code: exitInvalid, err: fmt.Errorf("%w; %s", errors.Join(errs...), nothing)}
	}
	return list, nil
}

// fileOutput is an output that renders the finished run into one file,
// checked before the run and written whole after it (internal/safefile);
// what names it in messages.
func fileOutput(what string, render func(io.Writer, *output.Finished) error) func(*outputContext, string) (output.Output, error) {
	return func(_ *outputContext, path string) (output.Output, error) {
		if path == "" {
			return nil, nil
		}
		if err := safefile.Check(path); err != nil {
			return nil, fmt.Errorf("cannot write %s to %s: %v", what, path, err)
		}
		return output.EndFunc(func(f *output.Finished) error {
			var buf bytes.Buffer
			if err := render(&buf, f); err != nil {
				return fmt.Errorf("cannot render %s: %v", what, err)
			}
			return writeOutput(path, what, buf.Bytes())
		}), nil
	}
}

// writeOutput writes one output file whole or not at all (see
// internal/safefile); what names it in the error.
func writeOutput(path, what string, data []byte) error {
	if err := safefile.Write(path, data); err != nil {
		return fmt.Errorf("cannot write %s to %s: %v", what, path, err)
	}
	return nil
}

// newMarkdownOutput writes the Markdown summary to its file and appends
// it to $GITHUB_STEP_SUMMARY, as GitHub Actions expects, when either is
// asked for.
func newMarkdownOutput(c *outputContext, path string) (output.Output, error) {
	step := ""
	if c.e.lookupEnv != nil {
		step, _ = c.e.lookupEnv("GITHUB_STEP_SUMMARY")
	}
	if path == "" && step == "" {
		return nil, nil
	}
	var errs []error
	if path != "" {
		if err := safefile.Check(path); err != nil {
			errs = append(errs, fmt.Errorf("cannot write the Markdown summary to %s: %v", path, err))
		}
	}
	if step != "" {
		if err := safefile.CheckAppend(step); err != nil {
			errs = append(errs, fmt.Errorf("cannot append the Markdown summary to $GITHUB_STEP_SUMMARY (%s): %v", step, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return output.EndFunc(func(f *output.Finished) error {
		var md bytes.Buffer
		if err := reporters.WriteMarkdown(&md, f); err != nil {
			return fmt.Errorf("cannot render the Markdown summary: %v", err)
		}
		var errs []error
		if path != "" {
			if err := writeOutput(path, "the Markdown summary", md.Bytes()); err != nil {
				errs = append(errs, err)
			}
		}
		if step != "" {
			data := md.Bytes()
			if st, err := os.Lstat(step); err == nil && st.Size() > 0 {
				// A blank line parts it from what an earlier command wrote.
				data = append([]byte("\n"), data...)
			}
			if err := safefile.Append(step, data); err != nil {
				errs = append(errs, fmt.Errorf("cannot append the Markdown summary to $GITHUB_STEP_SUMMARY (%s): %v", step, err))
			}
		}
		return errors.Join(errs...)
	}), nil
}

// newSummaryOutput prints the summary on standard output.
func newSummaryOutput(c *outputContext, _ string) (output.Output, error) {
	return output.EndFunc(func(f *output.Finished) error {
		if err := reporters.WriteSummary(c.e.stdout, f); err != nil {
			return fmt.Errorf("cannot print the summary: %v", err)
		}
		return nil
	}), nil
}

// newLiveOutput shows the run while it goes, unless --quiet: on a
// terminal, a view redrawn in place; in a CI log, one line a second.
func newLiveOutput(c *outputContext, quiet string) (output.Output, error) {
	switch {
	case quiet == "true":
		return nil, nil
	case isTerminal(c.e.stderr):
		return reporters.NewLiveView(c.e.stderr), nil
	}
	return reporters.NewLiveLines(c.e.stderr), nil
}

// profileOutput profiles perfcase itself while the run goes, into memory
// (no file exists until the run is over), and writes the profile with
// the reports.
type profileOutput struct {
	path    string
	profile bytes.Buffer
	err     error // starting the profile failed
}

func newProfileOutput(_ *outputContext, path string) (output.Output, error) {
	if path == "" {
		return nil, nil
	}
	if err := safefile.Check(path); err != nil {
		return nil, fmt.Errorf("cannot write the CPU profile to %s: %v", path, err)
	}
	return &profileOutput{path: path}, nil
}

func (p *profileOutput) Start(*output.Start) { p.err = pprof.StartCPUProfile(&p.profile) }

func (p *profileOutput) Second(*output.Second) {}

func (p *profileOutput) End(*output.Finished) error {
	if p.err != nil {
		return fmt.Errorf("cannot profile the run: %v", p.err)
	}
	pprof.StopCPUProfile()
	return writeOutput(p.path, "the CPU profile", p.profile.Bytes())
}

// selfOutput prints what the run cost the generator (--self).
type selfOutput struct {
	e      *env
	before selfStats
}

func newSelfOutput(c *outputContext, on string) (output.Output, error) {
	if on != "true" {
		return nil, nil
	}
	return &selfOutput{e: c.e}, nil
}

func (s *selfOutput) Start(*output.Start) { s.before = measureSelf() }

func (s *selfOutput) Second(*output.Second) {}

func (s *selfOutput) End(f *output.Finished) error {
	printSelf(s.e, s.before, measureSelf(), f.Run)
	return nil
}
