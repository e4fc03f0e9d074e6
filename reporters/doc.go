// Package reporters turns a finished run (metrics.Run) into what people
// and programs read: the JSON report in the shape of the CodeArts PerfTest
// report API (PerfTestReport, filling the API's own types, which package
// perftest holds), the HTML page rendered from that JSON (WriteHTML, with uPlot embedded
// from assets/), JUnit XML (WriteJUnit), a Markdown summary
// (WriteMarkdown), the terminal summary (WriteSummary), and while a run
// goes on, the live line (WriteLive) or the live view redrawn on a
// terminal (LiveView). docs/report-json.md describes the JSON file field
// by field.
//
// Every reporter but the live view is a pure function of its input: it
// must not run anything, read the clock or the environment, or hold state
// between calls, so a report re-rendered from the same run is byte for
// byte the same. A report never holds variable values, so secrets cannot
// leak through it.
package reporters
