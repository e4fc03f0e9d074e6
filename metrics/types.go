// Package metrics measures a run: the hot path records samples into
// lock-free shards, a clock harvests them once per second into a per-second
// series, and Finish merges everything into Stats that reporters read.
// Memory is bounded by (series × seconds), never by the number of samples.
package metrics

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Outcome is the one bucket a sample falls into, as in PerfTest's report:
// success, or exactly one kind of failure.
type Outcome uint8

const (
	Success     Outcome = iota
	CheckFailed         // a checkpoint failed, or no checkpoint and not 2xx (failedAssert)
	ParseFailed         // the response could not be parsed, or an extraction found nothing (failedParsed)
	Refused             // the connection was refused (failedRefused)
	Timeout             // connect or response timeout (failedTimeout)
	Other               // anything else: reset, TLS, DNS... (failedOthers)
	NumOutcomes
)

var outcomeNames = [NumOutcomes]string{"success", "check_failed", "parse_failed", "refused", "timeout", "other"}

func (o Outcome) String() string {
	if o < NumOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Kind says what a series measures.
type Kind uint8

const (
	KindRequest     Kind = iota // one request ("AW" in PerfTest)
	KindTransaction             // a named transaction, timed as one unit
	KindCase                    // one pass of a VU over the case's steps
)

// SeriesInfo names one series of a Recorder.
type SeriesInfo struct {
	Name string
	Kind Kind
}

// Sample is one measured request, transaction or pass.
type Sample struct {
	RT      time.Duration
	Outcome Outcome
	Status  int // HTTP status; 0 when the protocol has none or no response came
	Sent    int64
	Recv    int64
	// Connect is the part of RT spent opening a connection (dial, TLS,
	// WebSocket handshake); 0 when a kept connection served the sample.
	Connect time.Duration
}

// The response-time ranges of PerfTest's respTimeRange, upper bounds
// exclusive; the last range is open.
var RangeNames = [9]string{"0~50ms", "50~200ms", "200~500ms", "500ms~1s", "1~2s", "2~3s", "3~4s", "4~5s", ">5s"}

// RangeBounds are the upper bounds of RangeNames but the last.
var RangeBounds = [8]time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second}

// Second is what one series did in one second of the run, by the time
// samples completed.
type Second struct {
	Count    int64
	Outcomes [NumOutcomes]int64
	RTSum    time.Duration
	Sent     int64
	Recv     int64
	// P99 is the second's 99th percentile of response time, from a coarse
	// histogram (within 1/16 of the value); 0 with no samples.
	P99 time.Duration
}

// ErrorCount is one distinct failure message and how often it was kept.
type ErrorCount struct {
	Outcome Outcome
	Message string
	Count   int64
}

// Stats is one series over the whole run.
type Stats struct {
	Name string
	Kind Kind

	Count    int64
	Outcomes [NumOutcomes]int64 // Outcomes[Success] is the success count
	Status   [6]int64           // Status[1..5]: 1xx..5xx responses

	Min, Max, Mean time.Duration
	// Hist holds every response time in microseconds, 3 significant
	// digits; nil when Count is 0.
	Hist *hdrhistogram.Histogram
	// Ranges counts samples in each of RangeNames.
	Ranges [9]int64

	Sent, Recv       int64 // bytes, all samples
	MaxSent, MaxRecv int64 // bytes, the largest single sample

	// Connects counts the connections samples opened, and ConnectTime the
	// time spent opening them.
	Connects    int64
	ConnectTime time.Duration

	// Errors are the first distinct failure messages, most frequent first.
	Errors []ErrorCount
	// Seconds is the per-second series, one entry per second of the run.
	Seconds []Second
}

// Failures is the number of failed samples.
func (s *Stats) Failures() int64 { return s.Count - s.Outcomes[Success] }

// Percentile returns the q-th percentile (0-100) of response time.
// A histogram bucket reports its highest value, which can pass the
// exact maximum by the histogram's precision; a percentile is never
// reported above the maximum.
func (s *Stats) Percentile(q float64) time.Duration {
	if s.Hist == nil {
		return 0
	}
	return min(time.Duration(s.Hist.ValueAtQuantile(q))*time.Microsecond, s.Max)
}

// CaseStats is one case's measurements.
type CaseStats struct {
	Name       string
	Start, End time.Time
	// Series holds every series in the order given to NewRecorder:
	// requests, then transactions, then the case's passes.
	Series []*Stats
	// Requests is every request series merged: the case's requests as one.
	Requests *Stats
	// VUs is the number of active VUs in each second, aligned with
	// Stats.Seconds.
	VUs    []int
	MaxVUs int
}

// Duration is how long the case ran.
func (c *CaseStats) Duration() time.Duration { return c.End.Sub(c.Start) }

// Status says how a run ended.
type Status uint8

const (
	Completed    Status = iota // every stage ran to its end
	Interrupted                // stopped early by a signal; the report holds what ran
	Aborted                    // could not go on: an internal error
	StoppedBySLA               // an SLA rule with action stop ended the run
)

// Run is a finished run: what every reporter renders. Reporters are pure
// functions of a Run.
type Run struct {
	// ID identifies the run wherever its report goes (a random UUID), so
	// that uploading the same report twice is recognised as one run.
	ID     string
	Name   string // the scenario's name
	Source string // the scenario file
	Start  time.Time
	End    time.Time
	Status Status
	Reason string // why the run ended early, when Status is not Completed
	Cases  []*CaseResult
	// Labels (key=value, from 'perfcase run --label') and CI (what the
	// CI system's variables said) describe the run to the report
	// service, which stores them with it and filters by them.
	Labels map[string]string
	CI     CI
}

// CI is what a CI system told about the build that ran a run; every field
// is "" when it said nothing.
type CI struct {
	System      string // "github", "gitlab" or "jenkins"
	Commit      string
	Branch      string
	PipelineURL string
}

// Passed reports whether every checkpoint of every case held.
func (r *Run) Passed() bool {
	for _, c := range r.Cases {
		if !c.Passed() {
			return false
		}
	}
	return true
}

// CaseResult is one case of a finished run.
type CaseResult struct {
	Stats     *CaseStats
	Protocols []string // e.g. ["HTTP"], in the report's spelling
	Mode      string   // the first stage's pressure mode, e.g. "concurrency_mode"
	Stages    []StageResult
	KPIs      []KPIResult

	// LatencyFrom says where response times start: "send" (closed
	// models), or "intended_start" when a TPS stage ran: the first request
	// of a pass is timed from when the pass was due, so a slow server
	// cannot hide behind coordinated omission.
	LatencyFrom string
	// Missed counts the passes a TPS stage was due to start but could not,
	// every VU up to the cap being busy.
	Missed int64
	// Peak is what a probing stage found; nil when none ran or none broke.
	Peak *Peak
	// Steps are a step_probe stage's steps, each judged on its own data.
	Steps []ProbeStep
	// Changes are the manual regulations made while the case ran.
	Changes []Change
	// SLA are the SLA rules' triggers, in time order.
	SLA []SLATrigger
	// Rendezvous are the case's rendezvous points and how they released.
	Rendezvous []RendezvousResult
	// RowsOut names the file variable (on_end: stop) whose rows ran out
	// and ended the case early: every VU stopped for want of a row.
	RowsOut string
}

// Peak is the load at which a probing stage's KPIs first missed: the
// first second of the first window in which one did (PerfTest's
// peakMetric), or, for step probing, the last good step.
type Peak struct {
	Stage       string
	Time        time.Time
	VUs         int
	RPS         float64 // requests per second
	TPS         float64 // passes per second
	AvgRT       float64 // ms
	SuccessRate float64 // percent
	Reason      string  // the KPI that missed, e.g. "avg_rt < 200ms (observed 312 ms)"
}

// ProbeStep is one step of a step_probe stage.
type ProbeStep struct {
	Stage       string
	Start, End  time.Time
	VUs         int
	RPS         float64
	AvgRT       float64 // ms
	SuccessRate float64 // percent
	Good        bool    // its KPIs held and its rate still rose
	Reason      string  // why a step is not good
}

// Change is one manual regulation of a running stage.
type Change struct {
	Time   time.Time
	Stage  string
	Target float64 // VUs, or passes per second for a rate stage
	By     string  // where it came from, e.g. "control 127.0.0.1:6565"
}

// SLATrigger is one time an SLA rule's KPI missed for as many windows in
// a row as the rule tolerates.
type SLATrigger struct {
	Time     time.Time
	Rule     string // the rule's name
	KPI      string // as written
	Requests []string
	Observed float64
	Stopped  bool // the rule stopped the run
}

// RendezvousResult is how a rendezvous point released its VUs.
type RendezvousResult struct {
	Name     string
	Releases int64 // releases because enough VUs arrived
	Timeouts int64 // releases because the timeout passed
}

// Passed reports whether every KPI of the case held and no SLA rule
// acted: a rule that only flags fails the verdict too, as one that stops
// the run does.
func (c *CaseResult) Passed() bool {
	if len(c.SLA) > 0 {
		return false
	}
	for _, k := range c.KPIs {
		if !k.Pass {
			return false
		}
	}
	return true
}

// StageResult is when one stage ran.
type StageResult struct {
	Name       string
	Mode       string
	Start, End time.Time
}

// KPIResult is one KPI judged on a finished case.
type KPIResult struct {
	Source    string // as written, e.g. "tp99 < 300ms"
	Series    string // the request or transaction it applies to; "" for the case
	Metric    string // e.g. "tp99"
	Op        string
	Threshold float64 // in the metric's unit (ms, %, /s, bytes, count)
	Observed  float64 // same unit
	Pass      bool
}
