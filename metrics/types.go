// Package metrics measures a run and judges it: the hot path records
// samples into lock-free shards; a clock harvests them once per second
// into one 64-byte Second per series (with a coarse histogram it lends,
// not keeps), handed to whoever listens (OnHarvest: the runner's SLA
// rules, probes and outputs); Finish merges everything into Stats. Memory
// is bounded by (series × seconds), never by the number of samples. KPIs
// is the one table of KPI metrics (unit, better direction, how each is
// computed from a series and from a window), and Run.Judge computes a
// finished run's one verdict, which every output reads. It imports
// nothing of perfcase's. Beside the request tables, a case records the
// extra metrics its protocols declare (ExtraInfo): counters and
// distributions, per second and in total, recorded the same way.
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

// Second is what one series did in one second of a case, by the time its
// samples completed: the record the case's clock harvests once a second,
// hands to every output (see package output) and keeps for the report.
//
// It is 64 bytes, and it is all a series keeps per second of a run
// (TestSecondSize, TestRetainedPerSecond): counts are 32-bit (four
// billion samples of one series in one second), times that are not sums
// are whole microseconds, clamped at an hour as the histograms clamp
// them. Sums over more than a second go into Counts. The second's
// response times are also counted in a coarse histogram (Coarse), which
// the harvest lends to outputs and does not keep.
type Second struct {
	RTSum time.Duration // response times, summed
	Sent  int64         // bytes
	Recv  int64
	Count uint32
	// Outcomes[Success] succeeded; the others failed, each in its one
	// bucket. They add up to Count.
	Outcomes [NumOutcomes]uint32
	Max      Micros // the longest response time; 0 with no samples
	// P99 is the 99th percentile of response time, the middle of its
	// coarse histogram bucket (within 1/32 of the value); 0 with no
	// samples.
	P99 Micros
	// VUs is the case's VU count in that second, as the clock sampled it
	// 100 ms into the second: the same in every series of the second.
	VUs uint32
}

// Micros is a response time in whole microseconds, as the histograms
// keep them.
type Micros uint32

// micros is d in whole microseconds, clamped as histMicros clamps.
func micros(d time.Duration) Micros { return Micros(histMicros(d)) }

// Duration is m as a time.Duration.
func (m Micros) Duration() time.Duration { return time.Duration(m) * time.Microsecond }

// Counts are what many samples add up to: a window of seconds, or a case's
// requests over several seconds. Unlike a Second's, they are 64-bit.
type Counts struct {
	Count    int64
	Outcomes [NumOutcomes]int64
	RTSum    time.Duration
	Sent     int64
	Recv     int64
}

// Add adds one second.
func (c *Counts) Add(s *Second) {
	c.Count += int64(s.Count)
	for o, n := range s.Outcomes {
		c.Outcomes[o] += int64(n)
	}
	c.RTSum += s.RTSum
	c.Sent += s.Sent
	c.Recv += s.Recv
}

// Merge adds o.
func (c *Counts) Merge(o *Counts) {
	c.Count += o.Count
	for k, n := range o.Outcomes {
		c.Outcomes[k] += n
	}
	c.RTSum += o.RTSum
	c.Sent += o.Sent
	c.Recv += o.Recv
}

// Failures is the number of failed samples.
func (c *Counts) Failures() int64 { return c.Count - c.Outcomes[Success] }

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
	// Seconds is the per-second series, one entry per second of the case.
	Seconds []Second
	// SecondHists holds each second's coarse histogram, aligned with
	// Seconds; nil, or shorter, where a series was built without them
	// (a report written before they were kept).
	SecondHists *CoarseLog
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
	// Requests is every request series merged: the case's requests as one,
	// its row in the report. Its Seconds carry the tp99 of the requests
	// taken together, and, as every series' seconds do, the VUs.
	Requests *Stats
	MaxVUs   int
	// Extras are the case's extra metrics (see ExtraInfo), in the order
	// given to NewRecorder; nil when it has none.
	Extras []*ExtraStats
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

// Run is a finished run: what every output receives at its end, and
// what every reporter renders.
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
	// Verdict is what the run came to; Judge sets it once the cases'
	// KPIs are judged, and every output reads it.
	Verdict Verdict
	// Labels (key=value, from 'perfcase run --label') and CI (what the
	// CI system's variables said) describe the run to the report
	// service, which stores them with it and filters by them.
	Labels map[string]string
	CI     CI
	// Partial says why a run merged from the parts of a split run lacks
	// some of them (a part missing or failed); "" for a whole run. Judge
	// then cannot pass it.
	Partial string
}

// CI is what a CI system told about the build that ran a run; every field
// is "" when it said nothing.
type CI struct {
	System      string // "github", "gitlab" or "jenkins"
	Commit      string
	Branch      string
	PipelineURL string
}

// Passed reports whether every checkpoint of every case held: the
// verdict's Passed.
func (r *Run) Passed() bool { return r.Verdict.Passed }

// CaseResult is one case of a finished run.
type CaseResult struct {
	// Role is "before" or "after" for the run's test-wide steps, which
	// run and are reported as cases of their own; "" for a case.
	Role      string
	Stats     *CaseStats
	Protocols []string // e.g. ["HTTP"], in the report's spelling
	Mode      string   // the first stage's pressure mode, e.g. "concurrency_mode"
	Stages    []StageResult
	KPIs      []KPIResult
	// Together names the case's transaction series that time a together:
	// step's group of requests sent at once.
	Together []string

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
