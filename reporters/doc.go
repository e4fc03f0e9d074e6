// Package reporters turns a finished run (metrics.Run) into what people
// and programs read: the JSON report in the shape of the CodeArts PerfTest
// report API (PerfTestReport, with the API's own types in perftest.go), the
// terminal summary (WriteSummary) and the live progress line (WriteLive).
// docs/report-json.md describes the JSON file field by field.
//
// Every reporter is a pure function of its input: it must not run
// anything, read the clock or the environment, or hold state between
// calls, so a report re-rendered from the same run is byte for byte the
// same. A report never holds variable values, so secrets cannot leak
// through it.
package reporters
