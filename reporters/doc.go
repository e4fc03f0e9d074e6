// Package reporters will turn a finished run into reports: JSON in the
// shape of the PerfTest report API, HTML, a terminal summary and JUnit, as
// pure functions of the result. It must not run anything. Not written yet;
// see the README's status.
package reporters
