// Package reporters renders a finished run (output.Finished: the run, its
// verdict, and its report JSON built once by Finish) for people and
// programs: the JSON report in the shape of the CodeArts PerfTest report
// API (PerfTestReport builds it, filling the API's own types, which
// package perftest holds, and perfcase's additions, which package output
// holds; WriteJSON writes it), the HTML page rendered from that JSON
// (WriteHTML, with uPlot embedded from assets/), JUnit XML (WriteJUnit),
// a Markdown summary (WriteMarkdown) and the terminal summary
// (WriteSummary); and, while a run goes on, the outputs that show it
// live: the view redrawn on a terminal (LiveView) and one line a second
// for a log (LiveLines). docs/report-json.md describes the JSON file
// field by field.
//
// The summary, JUnit and Markdown also render a comparison with a
// baseline (output.Finished.Comparison), which package compare judged:
// after the run's figures, or alone for 'perfcase compare'.
//
// Every renderer reads the run's verdict (metrics.Run.Verdict, or the
// report's perfcase.verdict) and never judges again. Every renderer is a
// pure function of its input: it must not run anything, read the clock or
// the environment, or hold state between calls, so a report re-rendered
// from the same run is byte for byte the same. A report never holds
// variable values, so secrets cannot leak through it. Writing files is
// the caller's (cmd/perfcase, through internal/safefile).
package reporters
