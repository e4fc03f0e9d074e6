// Package output is the seam between a run and where its results go: the
// report files, the terminal, CI and report services. An Output receives
// the run's start, every second the run's clock harvests (per case, with
// every series of it), and the finished run with its verdict, in the
// manner of k6's outputs but without a channel or a call per sample: the
// metrics are aggregated per second before any output sees them.
//
// package output imports only metrics and scenario (and perftest for the
// report's API types, compare for a comparison with a baseline); the
// runner emits into it and the reporters implement it. cmd/perfcase chooses outputs by flag from one table, so a
// new output is its own file and one row there.
package output

import (
	"errors"
	"time"

	"github.com/perfcase/perfcase/compare"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// Output is one place a run's results go. The runner calls Start once,
// before the first case starts, then Second for every second it harvests
// of every case; whoever ran the run calls End once with the finished
// run, after the runner has returned, since what follows a run (files,
// uploads) belongs to it.
//
// Second runs on a case's clock, and cases may run side by side: it must
// be safe for concurrent calls, return quickly (the clock waits for it:
// an output that does slow I/O hands what it needs to a goroutine of its
// own), and not keep what the Second lends it.
type Output interface {
	Start(*Start)
	Second(*Second)
	End(*Finished) error
}

// Start is the run about to start.
type Start struct {
	RunID string    // the run's id, as in the report
	Time  time.Time // when the run started
	Plan  *scenario.Plan
}

// Second is one harvested second of one case: what each of its series
// did, with its coarse histogram (metrics.Harvest: Info names the
// series, Series and Hists are per series, Requests is the case's
// requests taken together), and where the case stands. The seconds an
// output receives for a case add up to the case's finished figures: those
// the clock harvests while the load runs, then (Final) those harvested
// once it ended.
type Second struct {
	Case string
	Time time.Time // when the second began
	// Final says the case's load had ended when the second was
	// harvested: its last seconds, the very last cut short by the end, so
	// that its counts are not a rate. SLA rules and probes do not judge
	// them, and the live view does not show them.
	Final bool
	metrics.Harvest
	Progress Progress
}

// Progress is where a running case stands.
type Progress struct {
	Stage      string // the current stage's name or mode
	StageIndex int    // from 1
	Stages     int
	// Elapsed is the stage's time so far; Duration its length, 0 in count
	// mode, where Done of Count passes tell how far it is.
	Elapsed, Duration time.Duration
	Done, Count       int64
	Missed            int64 // missed starts so far
}

// Finished is a run that ended, as every output reads it: the run, its
// verdict (Run.Verdict) and its report JSON, built once from the run
// (reporters.Finish) for every output that renders or sends it.
type Finished struct {
	// Run is nil when the finished run was read back from its report
	// ('perfcase report'): only outputs that render the report take it.
	Run    *metrics.Run
	Report *Report
	// Comparison is the run compared with a baseline ('run --baseline'),
	// nil when none was asked for: the baseline output sets it, ending
	// before the outputs that render it. 'perfcase compare' ends the
	// JUnit and Markdown outputs with a Finished that holds only a
	// Comparison.
	Comparison *Comparison
}

// Comparison is a run compared with its baseline.
type Comparison struct {
	Baseline string // where the baseline came from: its file, or the report service's URL
	Result   *compare.Result
}

// List is several outputs as one, each called in order.
type List []Output

func (l List) Start(s *Start) {
	for _, o := range l {
		o.Start(s)
	}
}

func (l List) Second(s *Second) {
	for _, o := range l {
		o.Second(s)
	}
}

// End ends every output, in order, even after one failed, and returns
// every error.
func (l List) End(f *Finished) error {
	var errs []error
	for _, o := range l {
		if err := o.End(f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// EndFunc is an output that only reads the finished run.
type EndFunc func(*Finished) error

func (EndFunc) Start(*Start)            {}
func (EndFunc) Second(*Second)          {}
func (f EndFunc) End(r *Finished) error { return f(r) }
