package output

import "github.com/perfcase/perfcase/perftest"

// Report is the JSON perfcase writes with --out: the report API's envelope
// around a RunResult. docs/report-json.md describes every field.
type Report perftest.Response[RunResult]

// RunResult is ShowReport's ReportInfo for the whole run, with beside it
// the task's case list (4.6.5 shape), each case's detail (4.6.4 shape) and
// what the API has no place for. ReportInfo is embedded so that its fields
// sit directly in "result", where a consumer of ShowReport looks for them.
type RunResult struct {
	perftest.ReportInfo
	CaseAwInfoList []perftest.CaseAwInfo             `json:"case_aw_info_list"`
	Cases          []perftest.CaseReportDetailResult `json:"cases"`
	Perfcase       PerfcaseInfo                      `json:"perfcase"`
}

// PerfcaseInfo is what the report API has no place for: the scenario, how
// the run ended, every KPI, kept error message and stage, and what the
// load models, probes, regulation, SLA rules and rendezvous points did.
//
// Every list is written, [] when empty, never null; each entry names its
// case. Cases has one entry per case, in the scenario's order, aligned
// with result.cases; the other lists hold the cases' entries one case
// after the other, in the scenario's order.
type PerfcaseInfo struct {
	// RunID identifies the run (a UUID), so a report uploaded twice is
	// one run to the service.
	RunID    string `json:"run_id"`
	Scenario string `json:"scenario"`
	File     string `json:"file"`
	// Status is "completed", "interrupted", "aborted" or "stopped_by_sla".
	Status string `json:"status"`
	Reason string `json:"reason"` // why the run ended early; "" when it completed
	// Passed is whether every KPI held. It says nothing of how the run
	// ended: an interrupted run whose KPIs held is passed and interrupted.
	Passed bool `json:"passed"`
	// Verdict is what the run came to (metrics.State's word): "passed",
	// "failed", "stopped_by_sla", "unusable", "interrupted" or "aborted";
	// ExitCode is the exit code 'perfcase run' derives from it (0, 1 or
	// 3; a report that could not be written or uploaded exits 3 without
	// saying so here).
	Verdict       string               `json:"verdict"`
	ExitCode      int                  `json:"exit_code"`
	KPIs          []PerfcaseKPI        `json:"kpis"`
	Errors        []PerfcaseError      `json:"errors"`
	Stages        []PerfcaseStage      `json:"stages"`
	Cases         []PerfcaseCase       `json:"cases"`
	ProbeSteps    []PerfcaseProbeStep  `json:"probe_steps"`
	ManualChanges []PerfcaseChange     `json:"manual_changes"`
	SLATriggers   []PerfcaseSLATrigger `json:"sla_triggers"`
	Rendezvous    []PerfcaseRendezvous `json:"rendezvous"`
	// Connections are, per request series that opened any, how many
	// connections it opened and the mean time opening one took (dial, TLS,
	// WebSocket handshake), a part of its response times.
	Connections []PerfcaseConnections `json:"connections"`
	// Labels are the run's labels ('perfcase run --label key=value'), {}
	// when none; CI is what the CI system said about the build.
	Labels map[string]string `json:"labels"`
	CI     PerfcaseCI        `json:"ci"`
	// Curves are every series' per-second records over time, folded into
	// buckets when the run is long or has many series.
	Curves PerfcaseCurves `json:"curves"`
	// Metrics are the cases' custom metrics (metric: steps), each case's
	// in the order its steps first name them.
	Metrics []PerfcaseMetric `json:"metrics"`
	// SoftChecks are, per request series and soft check, how many of its
	// responses the check held for and how many it did not.
	SoftChecks []PerfcaseSoftCheck `json:"soft_checks"`
	// Segment says which part of a split run this report is; nil for a
	// run made whole in one process.
	Segment *PerfcaseSegment `json:"segment,omitempty"`
}

// PerfcaseSegment says which part of a split run this report is (perfcase run --segment).
type PerfcaseSegment struct {
	Index   int     `json:"index"`
	Count   int     `json:"count"`
	StartAt string  `json:"start_at,omitempty"` // --start-at, RFC 3339 (nanoseconds), as planned
	Started string  `json:"started"`            // when this part's clock 0 was, RFC 3339 (nanoseconds)
	LateMS  float64 `json:"late_ms"`            // how much later than start_at it started; 0 when on time or no --start-at
}

// PerfcaseCI is the CI build that made the run; "" where the CI system
// said nothing, or the run was not made by one.
type PerfcaseCI struct {
	System      string `json:"system"` // "github", "gitlab", "jenkins" or ""
	Commit      string `json:"commit"`
	Branch      string `json:"branch"`
	PipelineURL string `json:"pipeline_url"`
}

// PerfcaseMetric is one custom metric of a case over the run, in its own
// unit (what its expression yields, to the thousandth). A stat its kind
// does not have is null, as is one with no values.
type PerfcaseMetric struct {
	Case string `json:"case"`
	Name string `json:"name"`
	Type string `json:"type"` // counter, gauge or trend
	// Count is how many values were recorded.
	Count int64 `json:"count"`
	// Total and Rate are a counter's: what was added up, and that per
	// second of the case.
	Total *float64 `json:"total"`
	Rate  *float64 `json:"rate"`
	// Value is a gauge's last value.
	Value *float64 `json:"value"`
	// Min and Max are a gauge's or a trend's; Avg and the percentiles
	// (to 3 significant digits) a trend's.
	Min  *float64 `json:"min"`
	Max  *float64 `json:"max"`
	Avg  *float64 `json:"avg"`
	TP50 *float64 `json:"tp50"`
	TP90 *float64 `json:"tp90"`
	TP95 *float64 `json:"tp95"`
	TP99 *float64 `json:"tp99"`
	// PerSecond is, per second of the case from its start, a counter's
	// total, or a gauge's or a trend's mean value (null in a second
	// without values).
	PerSecond []*float64 `json:"per_second"`
}

// PerfcaseSoftCheck is one soft check of one request series.
type PerfcaseSoftCheck struct {
	Case   string `json:"case"`
	Series string `json:"series"` // the request
	Check  string `json:"check"`  // as written
	Passed int64  `json:"passed"`
	Failed int64  `json:"failed"`
}

// PerfcaseConnections is the connections one request series opened.
type PerfcaseConnections struct {
	Case         string   `json:"case"`
	Series       string   `json:"series"`
	Opened       int64    `json:"opened"`
	AvgConnectMS *float64 `json:"avg_connect_ms"`
}

// PerfcaseCase is what one case's load model and probing came to.
type PerfcaseCase struct {
	Case string `json:"case"`
	// Role is "case", or "before" or "after" for the run's test-wide
	// steps, reported as cases of their own.
	Role string `json:"role"`
	// Verdict is the case's part of the verdict: "passed" (every KPI
	// held, or it had none), "failed" (a KPI missed or an SLA rule
	// triggered on it) or "unusable" (it sent requests and not one
	// succeeded). How the run ended is the run's verdict.
	Verdict string `json:"verdict"`
	// LatencyFrom is "send" (closed models: a request is timed from when
	// it was sent) or "intended_start" (a TPS stage ran: the first request
	// of a pass is timed from when the pass was due).
	LatencyFrom string `json:"latency_from"`
	// MissedStarts counts the passes a TPS stage was due to start but
	// could not, every VU up to the cap being busy.
	MissedStarts int64 `json:"missed_starts"`
	// TP99PerSecond is the 99th percentile of the case's requests in each
	// second of the case (ms, within 1/32; null in a second without
	// requests), aligned with the case's own seconds from its start.
	TP99PerSecond []*float64 `json:"tp99_per_second"`
	// Peak is what a probing stage found; null when none ran or the load
	// never broke.
	Peak *PerfcasePeak `json:"peak"`
	// RowsOut names the file variable (on_end: stop) whose rows ran out
	// and ended the case early; null when it ran its stages.
	RowsOut *string `json:"rows_out"`
	// Streaming is what the case's HLS, HTTP-FLV and RTMP plays measured
	// beyond streamingMediaVo; null when the case has no streaming step.
	Streaming *PerfcaseStreaming `json:"streaming"`
	// MQTT is what the case's mqtt steps measured beyond the request
	// tables; null when the case has none.
	MQTT *PerfcaseMQTT `json:"mqtt"`
}

// PerfcaseStreaming is what a case's plays and publishes measured that
// streamingMediaVo has no field for. Times are in ms; a figure over no
// value is null.
type PerfcaseStreaming struct {
	Plays  int64 `json:"plays"`  // plays and publishes that ended
	Failed int64 `json:"failed"` // of them, failed
	// Startup is the time from a play's start to its first media.
	AvgStartupMS *float64 `json:"avg_startup_ms"`
	MinStartupMS *float64 `json:"min_startup_ms"`
	MaxStartupMS *float64 `json:"max_startup_ms"`
	// FirstKeyFrame is the time from a play's start to its first key
	// frame (HTTP-FLV and RTMP plays).
	AvgFirstKeyFrameMS *float64 `json:"avg_first_key_frame_ms"`
	MinFirstKeyFrameMS *float64 `json:"min_first_key_frame_ms"`
	MaxFirstKeyFrameMS *float64 `json:"max_first_key_frame_ms"`
	// Stalls are the times a viewer ran out of media, StallMS how long
	// they waited in all.
	Stalls  int64   `json:"stalls"`
	StallMS float64 `json:"stall_ms"`
	// Segments are the HLS segments downloaded whole, AvgSegmentMS the
	// mean time one took, from when the player wanted it.
	Segments     int64    `json:"segments"`
	AvgSegmentMS *float64 `json:"avg_segment_ms"`
}

// PerfcaseMQTT is what a case's mqtt steps measured beyond the request
// tables.
type PerfcaseMQTT struct {
	// Published counts the messages publish actions sent, as
	// acknowledged as their QoS asks; Received the messages receive
	// actions took, by the QoS they arrived with.
	Published PerfcaseQoS `json:"published"`
	Received  PerfcaseQoS `json:"received"`
	// Dropped counts messages that arrived when the client's inbox of
	// 1,024 held messages no receive had taken.
	Dropped int64 `json:"dropped"`
	// Latency is the end-to-end latency of the messages taken whose
	// payload carried a send stamp (${sendstamp()}).
	Latency PerfcaseLatency `json:"latency"`
}

// PerfcaseQoS is a count of messages by QoS.
type PerfcaseQoS struct {
	QoS0 int64 `json:"qos0"`
	QoS1 int64 `json:"qos1"`
	QoS2 int64 `json:"qos2"`
}

// PerfcaseLatency is a distribution of latencies in ms; the percentiles
// are within 1/32 of the exact values. Null figures when Count is 0.
type PerfcaseLatency struct {
	Count int64    `json:"count"`
	AvgMS *float64 `json:"avg_ms"`
	MinMS *float64 `json:"min_ms"`
	P50MS *float64 `json:"p50_ms"`
	P90MS *float64 `json:"p90_ms"`
	P99MS *float64 `json:"p99_ms"`
	MaxMS *float64 `json:"max_ms"`
}

// PerfcasePeak is the load at which a probing stage's KPIs first missed
// (peak_probe), or the last good step (step_probe).
type PerfcasePeak struct {
	Stage       string   `json:"stage"`
	Time        string   `json:"time"`
	VUs         int      `json:"vus"`
	RPS         *float64 `json:"rps"`          // requests per second
	TPS         *float64 `json:"tps"`          // passes per second
	AvgRT       *float64 `json:"avg_rt"`       // ms
	SuccessRate *float64 `json:"success_rate"` // %
	Reason      string   `json:"reason"`       // the KPI that missed, with what was observed
}

// PerfcaseProbeStep is one step of a step_probe stage, judged on its own
// data.
type PerfcaseProbeStep struct {
	Case        string   `json:"case"`
	Stage       string   `json:"stage"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	VUs         int      `json:"vus"`
	RPS         *float64 `json:"rps"`          // requests per second
	AvgRT       *float64 `json:"avg_rt"`       // ms
	SuccessRate *float64 `json:"success_rate"` // %
	Good        bool     `json:"good"`         // its KPIs held and its rate still rose
	Reason      string   `json:"reason"`       // why it is not good; "" when it is
}

// PerfcaseChange is one manual regulation of a running stage.
type PerfcaseChange struct {
	Case   string  `json:"case"`
	Time   string  `json:"time"`
	Stage  string  `json:"stage"`
	Target float64 `json:"target"` // VUs, or passes per second for a rate stage
	By     string  `json:"by"`     // where it came from, e.g. "control 127.0.0.1:6565"
}

// PerfcaseSLATrigger is one time an SLA rule's KPI missed for as many
// windows in a row as the rule tolerates.
type PerfcaseSLATrigger struct {
	Case     string   `json:"case"`
	Time     string   `json:"time"`
	Rule     string   `json:"rule"`
	KPI      string   `json:"kpi"`      // as written, e.g. "avg_rt < 200ms"
	Requests []string `json:"requests"` // the requests it watches; [] for all of the case's
	Observed *float64 `json:"observed"` // in the KPI metric's unit
	Stopped  bool     `json:"stopped"`  // the rule stopped the run; false: flagged only
}

// PerfcaseRendezvous is how one rendezvous point released its VUs.
type PerfcaseRendezvous struct {
	Case     string `json:"case"`
	Name     string `json:"name"`
	Releases int64  `json:"releases"` // releases because enough VUs arrived
	Timeouts int64  `json:"timeouts"` // releases because the timeout passed
}

// PerfcaseKPI is one KPI judged on a finished case.
type PerfcaseKPI struct {
	Case   string `json:"case"`
	KPI    string `json:"kpi"`    // as written, e.g. "tp99 < 300ms"
	Series string `json:"series"` // the request or transaction; "" for the case
	Metric string `json:"metric"`
	Op     string `json:"op"`
	// Threshold and Observed are in the metric's unit (ms, %, /s, bytes or
	// a count); null when not a number.
	Threshold *float64 `json:"threshold"`
	Observed  *float64 `json:"observed"`
	Pass      bool     `json:"pass"`
}

// PerfcaseError is one distinct failure message a series kept.
type PerfcaseError struct {
	Case    string `json:"case"`
	Series  string `json:"series"`
	Kind    string `json:"kind"`    // "request", "transaction" or "case"
	Outcome string `json:"outcome"` // metrics.Outcome's name, e.g. "timeout"
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

// PerfcaseStage is when one stage of a case ran.
type PerfcaseStage struct {
	Case  string `json:"case"`
	Name  string `json:"name"`
	Mode  string `json:"mode"`
	Start string `json:"start"`
	End   string `json:"end"`
}
