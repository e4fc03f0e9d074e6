package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/reporters"
)

const mergeUsage = `usage: perfcase merge [--allow-partial] [--out run.json] [--html run.html] [--junit junit.xml] [--summary-md summary.md] PART.json...

Merges the reports of the parts of a split run ('perfcase run --segment
I/N --run-id ID --out PART.json' on several machines) into the report of
one run, exactly: counts and bytes add, each series' HDR histogram is
merged and every percentile read from the merged histogram, the curves
add up second by second by absolute time (each second's percentiles from
its merged histograms), the VUs of the parts add up, and every KPI is
judged again on the merged run. It prints the summary and writes the
outputs 'perfcase run' writes, with the merged run's verdict and exit
code; the report says which parts it was merged from, when each started
(and how late after --start-at), and how far apart their starts were.

The parts must be of one run id and one count, each index once. A part
missing or failed (interrupted or aborted) is refused, named, unless
--allow-partial: the parts there are are merged, and the run is partial
in every output, a verdict that cannot pass (exit 3).

Example:
  perfcase merge --out run.json --html run.html part-0.json part-1.json part-2.json part-3.json

Exit status: 0 every KPI of the merged run held, 1 a KPI missed, 2 a
part cannot be read or does not belong with the others, a part is missing
or failed (without --allow-partial), an output file cannot be written or
the command line is invalid; nothing is written then; 3 the run is
partial, or an output could not be written after all.

Flags:
`

// mergeOutputs are the rows of run's outputs that merge writes.
var mergeOutputs = []string{"out", "html", "junit", "summary-md", ""}

func runMerge(e *env, args []string) error {
	fs := newFlagSet(e, "merge", mergeUsage)
	allowPartial := fs.Bool("allow-partial", false, "merge the parts there are when one is missing or failed; the run is then partial and cannot pass")
	var rows []outputRow
	for _, r := range runOutputs() {
		if slices.Contains(mergeOutputs, r.flag) {
			rows = append(rows, r)
		}
	}
	addOutputFlags(fs.FlagSet, rows)
	files, done, err := fs.parseArgs(args)
	if done || err != nil {
		return err
	}
	if len(files) == 0 {
		return fs.mistake("name the parts' reports, e.g. perfcase merge --out run.json part-0.json part-1.json")
	}
	outs, err := makeOutputs(&outputContext{e: e, fs: fs.FlagSet, nothing: "nothing was merged"}, rows)
	if err != nil {
		return err
	}
	var parts []reporters.Part
	var errs []error
	for _, f := range files {
		rep, err := readReport(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		parts = append(parts, reporters.Part{Name: f, Report: rep})
	}
	if len(errs) > 0 {
		return &exitError{code: exitInvalid, err: fmt.Errorf("%w; nothing was merged", errors.Join(errs...))}
	}
	f, err := reporters.MergeParts(parts, *allowPartial)
	if err != nil {
		return &exitError{code: exitInvalid, err: fmt.Errorf("%w; nothing was merged", err)}
	}
	endErr := outs.End(f)
	if f.Run.Verdict.State == metrics.VerdictPartial {
		return &exitError{code: exitAborted, err: errors.Join(fmt.Errorf("the run is partial: %s", f.Run.Partial), endErr)}
	}
	return runExit(f.Run, endErr)
}
