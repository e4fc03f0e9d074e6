package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/perfcase/perfcase/compare"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/reporters"
)

const compareUsage = `usage: perfcase compare [--max-regression LIMITS] [--json] [--junit FILE] [--summary-md FILE] BASE.json NEW.json

Compares two reports that 'perfcase run --out' wrote, row by row: every
case, request and transaction, each with its average, tp50 to tp99 and
maximum response times, tps, rps, success rate and errors, in both runs,
and the change. A change in a metric's bad direction (response times and
errors up; tps, rps and the success rate down) past its limit is a
regression, and the exit status is 1: a CI gate without a server.

--max-regression sets limits, metric=value separated by commas: with %
the limit is relative to the baseline (tp99=10%: the 99th percentile may
rise by a tenth), without it absolute in the metric's unit (ms, /s,
percentage points for success_rate, a count for errors); metric=off
drops a default. The defaults, which the limits named replace one by
one: tp99=10%,avg_rt=10%,tps=5%,success_rate=0.5. Metrics: avg_rt, tp50,
tp90, tp95, tp99, max_rt, tps (a case's passes per second), rps,
success_rate, errors.

--junit writes the comparison as JUnit XML (a test per limit of every
row, failed on a regression), --summary-md as a Markdown table
(regressions in bold; appended to $GITHUB_STEP_SUMMARY too when that is
set), as 'perfcase run --baseline' adds them to its own.

Example:
  perfcase compare baseline.json report.json
  perfcase compare --max-regression tp99=10%,success_rate=0.5,tps=5% baseline.json report.json
  perfcase compare --junit compare.xml --summary-md compare.md baseline.json report.json

Exit status: 0 no regression, 1 a regression, 2 a report cannot be read,
an output file cannot be written or the command line is invalid, 3 an
output could not be written after all.

Flags:
`

func runCompare(e *env, args []string) error {
	fs := newFlagSet(e, "compare", compareUsage)
	limitsFlag := fs.String("max-regression", "", "regression `limits`, e.g. tp99=10%,success_rate=0.5,tps=5% (default: the defaults above)")
	asJSON := fs.Bool("json", false, "write the comparison as JSON instead of a table")
	rows := []outputRow{
		{flag: "junit", help: "write the comparison as JUnit XML to `file`: a test per limit of every row", make: fileOutput("the JUnit report", reporters.WriteJUnit)},
		{flag: "summary-md", help: "write the comparison as Markdown to `file` (and append it to $GITHUB_STEP_SUMMARY when that is set)", make: newMarkdownOutput},
	}
	addOutputFlags(fs.FlagSet, rows)
	files, done, err := fs.parseArgs(args)
	if done || err != nil {
		return err
	}
	if len(files) != 2 {
		return fs.mistake("name two reports, the baseline first: perfcase compare BASE.json NEW.json")
	}
	limits, err := compare.ParseLimits(*limitsFlag)
	if err != nil {
		return fs.mistake("--max-regression: %v", err)
	}
	// The same outputs as run's --junit and --summary-md, checked before
	// anything is read.
	outs, err := makeOutputs(&outputContext{e: e, fs: fs.FlagSet, nothing: "nothing was compared"}, rows)
	if err != nil {
		return err
	}
	var runs [2]*compare.Run
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return usageError("cannot read %s: %v", f, pathErr(err))
		}
		if runs[i], err = compare.Read(data); err != nil {
			return usageError("%s: %v", f, err)
		}
	}
	res := compare.Compare(runs[0], runs[1], limits)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		err = compare.WriteText(e.stdout, res)
	}
	if err != nil {
		return err
	}
	if err := outs.End(&output.Finished{Comparison: &output.Comparison{Baseline: files[0], Result: res}}); err != nil {
		return err
	}
	if n := len(res.Regressions()); n > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%d regression(s) against %s", n, files[0])}
	}
	return nil
}
