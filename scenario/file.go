package scenario

import (
	"strconv"
	"time"

	"github.com/perfcase/perfcase/metrics"
)

// File is a parsed scenario: the typed tree of the YAML, before names are
// resolved. Every node keeps the position it came from so that the compiler
// and the validator can point at it.
type File struct {
	Path         string
	Pos          Pos
	Name         string
	Description  string
	Parallel     bool // cases run at once; serial (false) is the default
	Variables    []*Variable
	Transactions []*Transaction
	// Before and After are the test-wide steps: run once per run by one
	// VU, before the first case and after the last.
	Before, After []*Step
	Cases         []*Case
}

// VarType is the kind of a global variable (PerfTest variable_type).
type VarType int

const (
	VarText    VarType = iota // a fixed string (variable_type 5)
	VarInteger                // a range [min, max] (variable_type 1)
	VarList                   // an enumerated list (variable_type 2)
	VarFile                   // rows of a CSV file (variable_type 3)
)

var varTypeNames = []string{"text", "integer", "list", "file"}

func (t VarType) String() string { return varTypeNames[t] }

// ReadMode says how a VU reads the next value (PerfTest variable_mode).
type ReadMode int

const (
	Sequential ReadMode = iota // values in order, wrapping around (default)
	Random                     // a uniformly random value each read
)

// ShareMode says who shares a variable's cursor (PerfTest share_mode).
type ShareMode int

const (
	ShareCase ShareMode = iota // one cursor for all VUs of the case (default)
	ShareVU                    // each VU walks its own copy from the start
)

// Variable is a global variable.
type Variable struct {
	Pos       Pos
	Name      string
	Type      VarType
	Value     string   // text
	Min, Max  int64    // integer range, inclusive
	Values    []string // list
	Path      string   // file: CSV path, relative to the scenario file
	Delimiter rune     // file: column separator, ',' by default
	Mode      ReadMode
	Share     ShareMode
	Sensitive bool // never printed in clear in reports or logs
	// Per-pass re-reads are the default; Once makes a VU read the value a
	// single time and keep it.
	Once bool
	// StopAtEnd (on_end: stop, file variables read in order) makes a VU
	// that needs a row when none is left stop, instead of wrapping around.
	StopAtEnd bool
}

// Transaction is a named, reusable group of steps, timed and counted as one
// unit each time it runs.
type Transaction struct {
	Pos         Pos
	Name        string
	Description string
	Steps       []*Step
	KPIs        []*KPICheck
}

// Case is one load scenario of the task.
type Case struct {
	Pos         Pos
	Name        string
	Description string
	Labels      []string
	Disabled    bool
	Doc         CaseDoc
	Setup       []*Step
	Steps       []*Step
	Stages      []*Stage
	KPIs        []*KPICheck
	SLA         []*SLARule
	Replicas    int           // user_replicas: executors for scale-out; 0 means one
	Pacing      time.Duration // minimum period of one pass; 0 means none
	LogPolicy   string        // "request" (default) or "case" (collect_log_policy)
	NoCookies   bool          // cookies: false; by default each VU keeps a cookie jar
}

// CaseDoc carries the text-case fields of PerfTest's CaseDoc so that an
// imported case exports back unchanged.
type CaseDoc struct {
	Preparation string
	Rank        int    // 0..4 for L0..L4
	Status      string // new, designing, testing, done
	Steps       []ManualStep
}

// ManualStep is one written step of a case's documentation.
type ManualStep struct {
	Step   string
	Expect string
}

// StepKind discriminates Step.
type StepKind int

const (
	StepRequest StepKind = iota
	StepThink
	StepTransaction
	StepLoop
	StepBreak
	StepIf
	StepSet
	StepRendezvous
	StepWeighted
	StepThroughput
	StepPlugin
	StepClearCookies
	StepMetric
	StepTogether
)

var stepKindNames = []string{"request", "think", "transaction", "loop", "break", "if", "set", "rendezvous", "weighted", "throughput", "plugin", "cookies", "metric", "together"}

func (k StepKind) String() string { return stepKindNames[k] }

// Step is one element of a step list. Exactly one of the kind-specific
// fields is set, as Kind says.
type Step struct {
	Pos      Pos
	Kind     StepKind
	Disabled bool

	Request     *Request
	Think       *Think
	Transaction string // the referenced transaction's name
	// With are a transaction call's arguments: VU variables set from
	// their templates before the transaction's steps run.
	With       []KV
	Loop       *Loop
	Break      *Expr // nil condition means an unconditional break
	If         *If
	Set        *Set
	Rendezvous *Rendezvous
	Weighted   *Weighted
	Throughput *Throughput
	Plugin     *Plugin
	Metric     *Metric
	Together   *Together
}

// Together is a together: step: HTTP requests a VU sends at once, as a
// browser loads a page's resources, timed each and as a group (Name's
// series, the slowest of them).
type Together struct {
	Name  string // "" names the group after its requests
	Steps []*Step
}

// Metric is a metric: step: one value of a custom metric, from an
// expression.
type Metric struct {
	Name  string
	Kind  metrics.ExtraKind // Counter, Gauge or Trend
	Value *Expr
}

// Expr is an expression as written, with the place it was written.
type Expr struct {
	Pos    Pos
	Source string
}

// Protocol is what a request speaks. It is a small integer so that the
// runner keeps a VU's sessions in an array indexed by it; String gives the
// step key that names it in YAML.
type Protocol uint8

// The protocols. A new protocol adds its constant here, its key and name
// to protocolNames, and its spec (a Spec) to the plan.
const (
	NoProtocol Protocol = iota // a plugin step's request in the file tree, which has no packet
	HTTP
	TCP
	UDP
	WebSocket
	HLS            // an HLS viewer (PerfTest protocol_type 7)
	FLV            // an HTTP-FLV viewer (protocol_type 10)
	RTMP           // an RTMP player or publisher (protocol_type 7)
	MQTT           // an MQTT client (no PerfTest code)
	PluginProtocol // a plugin step in the plan; perfcase has no driver for it yet
	// HTTP2 is an http: request with version "2" in the plan, which a
	// driver of its own sends; the file tree has HTTP with that version.
	HTTP2
	NumProtocols
)

// protocolNames are each protocol's step key and the name people and the
// report's "protocols" read.
var protocolNames = [NumProtocols]struct{ key, title string }{
	HTTP:           {"http", "HTTP"},
	TCP:            {"tcp", "TCP"},
	UDP:            {"udp", "UDP"},
	WebSocket:      {"ws", "WebSocket"},
	HLS:            {"hls", "HLS"},
	FLV:            {"flv", "HTTP-FLV"},
	RTMP:           {"rtmp", "RTMP"},
	MQTT:           {"mqtt", "MQTT"},
	PluginProtocol: {"plugin", "PLUGIN"},
	HTTP2:          {"http", "HTTP"},
}

// String is the protocol's step key: http, tcp, udp, ws, hls, flv, rtmp,
// mqtt, plugin.
func (p Protocol) String() string {
	if p < NumProtocols {
		return protocolNames[p].key
	}
	return "protocol " + strconv.Itoa(int(p))
}

// Title is the protocol's name as the report spells it: HTTP, TCP, UDP,
// WebSocket, HLS, HTTP-FLV, RTMP, MQTT.
func (p Protocol) Title() string {
	if p < NumProtocols {
		return protocolNames[p].title
	}
	return p.String()
}

// protocolOf is the protocol whose step key is key: HTTP for "http",
// whatever the version.
func protocolOf(key string) Protocol {
	for p, n := range protocolNames {
		if n.key == key && key != "" {
			return Protocol(p)
		}
	}
	return NoProtocol
}

// Request is a request step: the packet, its checks and its extractions.
type Request struct {
	Pos      Pos
	Protocol Protocol
	Name     string

	HTTP   *HTTPRequest
	Socket *SocketRequest // TCP and UDP
	WS     *WSRequest
	Stream *StreamRequest // HLS, HTTP-FLV and RTMP
	MQTT   *MQTTRequest

	Checks   []*Check
	CheckAny bool // OR instead of AND
	// SoftChecks are judged like checks and counted per check, passed or
	// failed, without failing the request.
	SoftChecks        []*Check
	Retry             Retry
	Extract           []*Extract
	ContinueOnFailure bool
	KPIs              []*KPICheck
}

// Retry re-sends a failed request, up to Count more times, Interval
// apart; only the last attempt is counted. On says which failures are
// retried; zero means every failure (PerfTest's "until it succeeds").
type Retry struct {
	Count    int
	Interval time.Duration
	On       RetryOn
}

// RetryOn is a set of failure kinds, one bit per name of RetryKinds.
type RetryOn uint8

const (
	RetryCheck   RetryOn = 1 << iota // failed_assert: a check, the default 2xx rule or an extraction's expect
	RetryParse                       // failed_parsed: an extraction found nothing, or the reply did not parse
	RetryTimeout                     // failed_timeout
	RetryRefused                     // failed_refused
	RetryReset                       // the peer reset or closed the connection mid-exchange (counted in failed_others)
	RetryOther                       // any other failure in failed_others: TLS, DNS, a URL rendered wrong...
)

// RetryKinds names the bits of RetryOn, lowest first, as `on:` spells them.
var RetryKinds = []string{"check", "parse", "timeout", "refused", "reset", "other"}

// RetryKind is the bit of RetryOn a kind's name stands for.
func RetryKind(name string) (RetryOn, bool) {
	for i, k := range RetryKinds {
		if k == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// Has reports whether a failure of kind k is retried.
func (r Retry) Has(k RetryOn) bool { return r.On == 0 || r.On&k != 0 }

// Names lists the kinds in the set, in RetryKinds order.
func (o RetryOn) Names() []string {
	var out []string
	for i, name := range RetryKinds {
		if o&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// KV is an ordered key/value pair (headers, query, forms keep their order).
type KV struct {
	Pos   Pos
	Key   string
	Value string
}

// BodyKind says how an HTTP body is given.
type BodyKind int

const (
	BodyNone      BodyKind = iota
	BodyRaw                // body: a string (PerfTest body_type 0)
	BodyJSON               // json: any YAML value, sent as JSON
	BodyForm               // form: x-www-form-urlencoded (body_type 3)
	BodyMultipart          // multipart: form-data with files (body_type 1)
)

// Part is one field of a multipart body; File, when set, names a file whose
// contents are the value.
type Part struct {
	Pos         Pos
	Name        string
	Value       string
	File        string
	ContentType string
}

// HTTPRequest is an HTTP or HTTPS packet.
type HTTPRequest struct {
	Method         string // GET when empty
	URL            string
	URLPos         Pos
	Version        string // HTTP/1.1 when empty
	Headers        []KV
	Query          []KV
	BodyKind       BodyKind
	Body           string // raw body, or the JSON text of json:
	BodyPos        Pos
	Form           []KV
	Parts          []Part
	ConnectTimeout time.Duration // 0: the default (5s)
	Timeout        time.Duration // response timeout; 0: the default (5s)
	MaxRedirects   int           // -1 never follow; 0: the default (10)
	TLSVerify      bool          // true unless tls_verify: false
}

// EndKind says how a TCP/UDP response ends (PerfTest check_end_type).
type EndKind int

const (
	EndNone       EndKind = iota // no reply is read
	EndLength                    // after Length bytes (check_end_type 1)
	EndTerminator                // at the first Terminator (check_end_type 2)
	EndIdle                      // when nothing arrives for Idle
	EndDatagram                  // UDP: the first datagram
)

// SocketRequest is a TCP or UDP packet.
type SocketRequest struct {
	Address        string // host:port, may hold templates
	AddressPos     Pos
	Payload        string
	PayloadPos     Pos
	Hex            bool // payload is a hex byte stream
	End            EndKind
	Length         int
	Terminator     string
	Idle           time.Duration
	ConnectTimeout time.Duration
	Timeout        time.Duration
	CloseAfter     bool // TCP: close instead of keeping the connection per VU
}

// WSAction is one thing a WebSocket step does on its connection.
type WSAction struct {
	Pos     Pos
	Kind    string // send, receive, ping, close
	Text    string // send: the message; ping: the payload
	Binary  bool   // send: Text is hex, sent as a binary frame
	Count   int    // receive: messages to read; 0 with Until
	Until   *Expr  // receive: read until a message makes this true
	Max     int    // receive with Until: give up after this many messages
	Timeout time.Duration
	Code    int // close: the close code, 1000 by default
}

// WSRequest is a WebSocket step.
type WSRequest struct {
	URL            string
	URLPos         Pos
	Headers        []KV
	Subprotocols   []string
	ConnectTimeout time.Duration
	Timeout        time.Duration
	TLSVerify      bool
	PerIteration   bool // reconnect every pass instead of once per VU
	Actions        []WSAction
}

// Check is one response checkpoint: either an expression or a structured
// comparison of a subject (status, header, body, jsonpath, rt, payload).
type Check struct {
	Pos     Pos
	Expr    *Expr
	Subject string // status, header, body, jsonpath, rt
	Arg     string // the header name or the JSONPath
	Op      string // equals, not_equals, contains, not_contains, matches, lt, le, gt, ge, exists, in
	Value   string
	Values  []string // for in
}

// Extract assigns part of a response to a VU variable.
type Extract struct {
	Pos      Pos
	Var      string
	From     string // body (default), header, url, status
	Header   string // with From == header
	JSONPath string
	Regex    string
	Match    int // regex: which match, 1-based; 0 means 1; -1 a random one
	Group    int // regex: 0 the whole match, n the n-th group
	Left     string
	Right    string
	Default  *string
	Expect   *string
}

// Think pauses a VU; with Max set the pause is uniform in [Min, Max].
type Think struct {
	Min, Max time.Duration
}

// Loop repeats its steps Count times, or while While holds.
type Loop struct {
	Count int
	While *Expr
	Max   int // with While: a bound on the passes; 0 means none
	Steps []*Step
}

// If runs the first branch whose condition holds, else Else.
type If struct {
	Branches []Branch
	Else     []*Step
}

// Branch is one condition and its steps.
type Branch struct {
	Cond  Expr
	Steps []*Step
}

// Rounding modes of data instructions (perftest-semantics §5.1).
const (
	RoundNone     = ""
	RoundUp       = "up"        // away from zero
	RoundDown     = "down"      // toward zero
	RoundCeiling  = "ceiling"   // toward +inf
	RoundFloor    = "floor"     // toward -inf
	RoundHalfUp   = "half_up"   // 0.5 away from zero
	RoundHalfDown = "half_down" // round up only from 6 ("five-down-six-up")
	RoundHalfEven = "half_even" // banker's
)

// Assign is one variable of a data instruction: a template (concatenation
// of text and variables) or an arithmetic expression with rounding.
type Assign struct {
	Pos      Pos
	Var      string
	Template string
	Expr     *Expr
	Round    string
	Scale    int
}

// Set is a data instruction.
type Set struct {
	Assigns []Assign
	Once    bool // once per VU instead of on every pass
}

// Rendezvous holds VUs until Users have arrived or Timeout passes.
type Rendezvous struct {
	Name    string
	Users   int
	Timeout time.Duration
}

// Weighted picks one branch by weight, once per VU (Fixed) or every pass.
type Weighted struct {
	Fixed    bool
	Branches []WeightedBranch
}

// WeightedBranch is a branch of a weighted controller.
type WeightedBranch struct {
	Pos    Pos
	Weight int
	Steps  []*Step
}

// Throughput limits its block: an RPS ceiling across all VUs, a share of
// passes, or a total count across the case. Exactly one is set.
type Throughput struct {
	RPS     float64
	Percent float64
	Total   int64
	Steps   []*Step
}

// Plugin is a request served by a plugin (PerfTest data_type 302).
type Plugin struct {
	Name   string
	Params []KV
}

// PressureMode is a stage's load shape (PerfTest pressure_mode codes).
type PressureMode int

const (
	ModeConcurrency          PressureMode = 0
	ModeTPS                  PressureMode = 1
	ModePeakProbe            PressureMode = 2
	ModeSurgeConcurrency     PressureMode = 3
	ModeSurgeTPS             PressureMode = 4
	ModeOscillateConcurrency PressureMode = 5
	ModeOscillateTPS         PressureMode = 6
	ModeStepProbe            PressureMode = 7
)

// stageKeys maps each pressure mode to its YAML key, in code order.
var stageKeys = []string{"concurrency", "tps", "peak_probe", "surge_concurrency", "surge_tps", "oscillate_concurrency", "oscillate_tps", "step_probe"}

func (m PressureMode) String() string { return stageKeys[m] }

// Stage is one pressure stage. Duration and Count are exclusive: a stage
// runs for Duration (duration mode) or until Count sends (count mode).
type Stage struct {
	Pos      Pos
	Name     string
	Mode     PressureMode
	Duration time.Duration
	Count    int64
	Manual   bool // manual regulation allowed while the stage runs

	VUs      int // concurrency: target VUs; others: the VU cap (issue_num)
	StartVUs int // concurrency and peak probing: ramp from here
	RampUp   time.Duration
	TPS      float64 // tps: target rate
	StartTPS float64 // tps: ramp from here

	Min, Max   float64       // surge, oscillation, probing bounds
	Loops      int           // surge, oscillation
	Hold       time.Duration // surge: how long the peak is held
	StepSize   int           // step probing
	StepTime   time.Duration // step probing
	KPIs       []*KPICheck   // probing: what must hold
	StopAtPeak bool          // probing: end the stage when the peak is found

	// at is where each key of the stage was written, the shape's own keys
	// (start, max, min, …) included, so that checks made after parsing
	// point at the value; nil for a stage that did not come from YAML.
	at map[string]Pos
}

// KPICheck is a threshold on a KPI of the finished run, a probing KPI or an
// SLA rule: Metric Op Value, e.g. "tp99 < 300ms".
type KPICheck struct {
	Pos    Pos
	Source string
	Metric string // as written
	// Def is the metric's row of the KPI table: its unit and how it is
	// computed, on a finished series and on a window. A custom metric's
	// KPI has none in the file tree; the compiler makes its row from the
	// case's metric: steps (metrics.CustomKPI).
	Def   *metrics.KPIMetric
	Op    string
	Value float64 // in the metric's unit: ms, %, /s, bytes or a count
}

// SLARule watches a KPI while the run goes on.
type SLARule struct {
	Pos      Pos
	Name     string
	KPI      *KPICheck
	Window   time.Duration // 6s by default, as PerfTest samples
	Breaches int           // in a row before acting; 1 by default
	Requests []string      // request names; empty means all
	Stop     bool          // stop the run; otherwise only flag it
}
