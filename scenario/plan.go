package scenario

import (
	"regexp"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/theory/jsonpath"

	"github.com/perfcase/perfcase/metrics"
)

// Plan is a compiled scenario: names resolved, templates split, expressions
// compiled, data files loaded and stages turned into load shapes. It holds
// no YAML and needs no reflection to run. A Plan is immutable once built
// and may be shared by every VU.
type Plan struct {
	Name        string
	Description string
	Source      string // the scenario file
	Parallel    bool
	Cases       []*CasePlan
	// Before and After are the test-wide steps as cases of their own,
	// named "before" and "after", that one VU runs once (their stage):
	// before the first case, and after the last. nil when the file has
	// none.
	Before, After *CasePlan
	// Warnings are problems that do not stop a run, such as a plugin step
	// that needs a runtime perfcase does not have yet.
	Warnings ErrorList
}

// CasePlan is one compiled case.
type CasePlan struct {
	Name        string
	Description string
	Labels      []string
	Disabled    bool
	Replicas    int
	Pacing      time.Duration
	LogPolicy   string
	// Cookies gives each VU a cookie jar for its HTTP requests (the
	// default); false sends only the Cookie headers the scenario writes.
	Cookies bool

	Setup  []Node
	Steps  []Node
	Stages []*Stage
	KPIs   []*KPICheck
	SLA    []*SLARule

	// Slots are the VU variables, indexed by slot number: globals first,
	// then variables set by extraction or data instructions.
	Slots []Slot
	// Requests and Transactions name the metric series; a node's ID indexes
	// these lists, so the hot path records by integer.
	Requests     []RequestInfo
	Transactions []TransactionInfo
	// Controllers gives every controller that keeps state across VUs (once,
	// rendezvous, throughput, weighted) its own index.
	Controllers int
	// Metrics are the case's custom metrics (its metric: steps') and its
	// soft checks (one Rate per request name and check), which a
	// MetricNode and a request's SoftChecks record by their index here:
	// the runner declares them after its protocols' extra metrics.
	Metrics []metrics.ExtraInfo
}

// RequestInfo names a request series ("AW" in PerfTest's report): every
// request step with the same name adds to one series.
type RequestInfo struct {
	Name     string
	Protocol Protocol
	KPIs     []*KPICheck
}

// TransactionInfo names a transaction series and its KPIs.
type TransactionInfo struct {
	Name string
	KPIs []*KPICheck
	// Together marks the series of a together: step's group, whose time
	// is its slowest request's.
	Together bool
}

// Slot is one VU variable. Global variables carry their data; locals start
// empty; built-in slots hold a number the runner keeps.
type Slot struct {
	Name    string
	Global  *VarData // nil for locals and built-ins
	Builtin Builtin
	// Used says a template or an expression of the case reads the slot;
	// a global the case never reads is never read for it, so its cursor
	// and its end (on_end: stop) do not touch the case.
	Used bool
	// FromBefore marks a variable the run's before: steps extract or
	// set: every VU starts with the value they left (empty if they did
	// not), and may change it as any local.
	FromBefore bool
}

// Builtin marks the slots whose value the runner keeps rather than the
// scenario: they are integers in expressions and decimal text in
// templates.
type Builtin uint8

const (
	NotBuiltin  Builtin = iota
	BuiltinVU           // __VU: the VU's number, from 1
	BuiltinIter         // __ITER: the VU's pass number, from 0
)

// The built-in variables' names. The __ prefix is reserved for them, so
// they can never clash with a variable of the scenario.
const (
	VUName   = "__VU"
	IterName = "__ITER"
)

// VarData is a global variable with its values loaded.
type VarData struct {
	Name      string
	Type      VarType
	Mode      ReadMode
	Share     ShareMode
	Once      bool
	Sensitive bool
	StopAtEnd bool     // file, sequential: no row left stops the VU
	Min, Max  int64    // integer
	Values    []string // text (one value) and list
	Columns   []string // file: header row
	Rows      [][]string
}

// Len is the number of distinct values a sequential read walks through.
func (v *VarData) Len() int64 {
	switch v.Type {
	case VarInteger:
		return v.Max - v.Min + 1
	case VarFile:
		return int64(len(v.Rows))
	}
	return int64(len(v.Values))
}

// Node is a compiled step. The runner switches on its concrete type.
type Node interface{ node() }

// Program is a compiled expression with the source it came from.
type Program struct {
	Src string
	Pos Pos
	P   *vm.Program
	// Slots are the VU variables the expression reads and Uses the parts
	// of a response, so the runner refreshes only those before a run.
	Slots []int
	Uses  ResponseUse
}

// ResponseUse says which response values an expression reads.
type ResponseUse uint8

const (
	UsesStatus ResponseUse = 1 << iota
	UsesBody
	UsesRT
	UsesURL
)

// RequestNode sends one request and judges its response.
type RequestNode struct {
	Pos      Pos
	ID       int // index into CasePlan.Requests
	Name     string
	Protocol Protocol
	// Spec is the request as Protocol's driver reads it: an *HTTPSpec,
	// a *SocketSpec (TCP and UDP), a *WSSpec, a *StreamSpec (HLS,
	// HTTP-FLV and RTMP), an *MQTTSpec or a *PluginSpec.
	Spec Spec

	Checks            []CheckSpec
	CheckAny          bool
	SoftChecks        []SoftCheckSpec
	Retry             Retry
	Extract           []ExtractSpec
	ContinueOnFailure bool
	KPIs              []*KPICheck
}

// Defaults applied when a request leaves a timeout or the redirect limit
// unset (PerfTest's response-timeout default is 5000 ms).
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultTimeout        = 5 * time.Second
	DefaultMaxRedirects   = 10
	// DefaultReadIdle ends a TCP reply that has no length or terminator:
	// the reply is complete once nothing arrives for this long.
	DefaultReadIdle = 100 * time.Millisecond
)

// Spec is a compiled request of one protocol: what that protocol's
// driver (package protocols) renders and sends. The set is closed: a new
// protocol adds its spec type here, and its driver type-asserts the Spec
// it is given to it.
type Spec interface {
	// Endpoint is where the request connects, as written (templates
	// unrendered): a VU keeps one connection per protocol and endpoint,
	// and the runner counts them to size a run. "" for none.
	Endpoint() string
	spec()
}

func (*HTTPSpec) spec()   {}
func (*SocketSpec) spec() {}
func (*WSSpec) spec()     {}
func (*PluginSpec) spec() {}

// Endpoint is the URL's scheme and host, as written.
func (s *HTTPSpec) Endpoint() string { return origin(s.URL.Src) }

// Endpoint is the address, as written.
func (s *SocketSpec) Endpoint() string { return s.Address.Src }

// Endpoint is the URL, as written: a VU keeps a WebSocket per URL.
func (s *WSSpec) Endpoint() string { return s.URL.Src }

// Endpoint is empty: a plugin keeps no connection perfcase knows of.
func (*PluginSpec) Endpoint() string { return "" }

// origin is the scheme and host part of a URL as written, templates
// included: "${base}/items/${id}" gives "${base}".
func origin(src string) string {
	prefix, rest := "", src
	if i := strings.Index(src, "://"); i >= 0 {
		prefix, rest = src[:i+3], src[i+3:]
	}
	depth := 0
	for i := 0; i < len(rest); i++ {
		switch {
		case strings.HasPrefix(rest[i:], "${"):
			depth++
			i++
		case rest[i] == '}' && depth > 0:
			depth--
		case depth == 0 && (rest[i] == '/' || rest[i] == '?' || rest[i] == '#'):
			return prefix + rest[:i]
		}
	}
	return src
}

// Header is a header or query pair whose value is a template.
type Header struct {
	Key   string
	Value *Template
}

// HTTPSpec is a compiled HTTP request.
type HTTPSpec struct {
	Method         string
	URL            *Template
	Version        string
	Headers        []Header
	Query          []Header
	BodyKind       BodyKind
	Body           *Template // raw and JSON bodies
	Form           []Header
	Parts          []PartSpec
	ConnectTimeout time.Duration
	Timeout        time.Duration
	MaxRedirects   int // 0: never follow
	TLSVerify      bool
}

// PartSpec is a compiled multipart field; a file's contents are loaded at
// compile time.
type PartSpec struct {
	Name        string
	Value       *Template
	FileName    string
	Content     []byte
	ContentType string
}

// SocketSpec is a compiled TCP or UDP request.
type SocketSpec struct {
	Address *Template
	Payload *Template
	Hex     bool
	// Bytes is a static hex payload decoded at compile time; nil when the
	// payload has references and must be rendered (then decoded) per send.
	Bytes          []byte
	End            EndKind
	Length         int
	Terminator     string
	Idle           time.Duration
	ConnectTimeout time.Duration
	Timeout        time.Duration
	CloseAfter     bool
}

// WSSpec is a compiled WebSocket step.
type WSSpec struct {
	URL            *Template
	Headers        []Header
	Subprotocols   []string
	ConnectTimeout time.Duration
	Timeout        time.Duration
	TLSVerify      bool
	PerIteration   bool
	Actions        []WSActionSpec
}

// WSActionSpec is one compiled WebSocket action.
type WSActionSpec struct {
	Kind   string
	Text   *Template
	Binary bool
	// Bytes is a static send_binary payload decoded at compile time.
	Bytes   []byte
	Count   int
	Until   *Program
	Max     int
	Timeout time.Duration
	Code    int
}

// PluginSpec is the hook for plugin requests; no plugin runtime exists yet,
// so compiling a plan that uses one reports that clearly.
type PluginSpec struct {
	Name   string
	Params []Header
}

// CheckSpec is a compiled response checkpoint.
type CheckSpec struct {
	Pos     Pos
	Src     string
	Program *Program // expression form
	Subject string
	Arg     string         // header name
	Path    *jsonpath.Path // jsonpath subject
	Op      string
	Value   string
	Num     float64 // Value as a number, for lt/le/gt/ge and rt
	Re      *regexp.Regexp
	Values  []string
	// Codes are a status check's values as inclusive ranges: 200 is
	// [200, 200], 2xx is [200, 299]. The runner compares integers.
	Codes [][2]int
}

// SoftCheckSpec is a compiled soft check: a check counted, passed or
// failed, in CasePlan.Metrics[Metric] without failing the request.
type SoftCheckSpec struct {
	CheckSpec
	Metric int
}

// MetricNode records one value of CasePlan.Metrics[Metric]: the number
// Value yields, or, when it is nil, Const, or the text of the variable in
// Slot (>= 0) read as a number, which needs no expression VM.
type MetricNode struct {
	Pos    Pos
	Name   string
	Metric int
	Value  *Program
	Const  float64
	Slot   int
}

// ExtractSpec is a compiled extraction.
type ExtractSpec struct {
	Pos     Pos
	Slot    int
	Var     string
	From    string
	Header  string
	Path    *jsonpath.Path
	Re      *regexp.Regexp
	Match   int
	Group   int
	Left    string
	Right   string
	Default *string
	Expect  *string
}

// CookiesNode is a cookies: clear step: it empties the VU's cookie jar.
type CookiesNode struct{}

// ThinkNode pauses the VU for Min, or a uniform time in [Min, Max].
type ThinkNode struct{ Min, Max time.Duration }

// TransactionNode runs a named transaction, timed and counted as one unit.
// Every use of a transaction in a case shares its ID and Steps; a call
// with arguments has its own node, whose With set VU variables before
// the steps run.
type TransactionNode struct {
	ID    int // index into CasePlan.Transactions
	Name  string
	Steps []Node
	With  []AssignSpec
}

// TogetherNode sends its requests at once, each from its own goroutine
// of the VU, and records each, then the group as a transaction (ID's
// series) whose time is the slowest request's.
type TogetherNode struct {
	Pos      Pos
	ID       int // index into CasePlan.Transactions
	Name     string
	Requests []*RequestNode
}

// LoopNode repeats Steps Count times, or while While holds (at most Max
// passes when Max > 0).
type LoopNode struct {
	Count int
	While *Program
	Max   int
	Steps []Node
}

// BreakNode leaves the innermost loop when Cond holds (always when nil).
type BreakNode struct{ Cond *Program }

// IfNode runs the first branch whose condition holds, else Else.
type IfNode struct {
	Branches []CondBranch
	Else     []Node
}

// CondBranch is one compiled condition and its steps.
type CondBranch struct {
	Cond  *Program
	Steps []Node
}

// SetNode is a compiled data instruction. With Once, Controller identifies
// it so each VU runs it a single time; otherwise Controller is -1.
type SetNode struct {
	Once       bool
	Controller int
	Assigns    []AssignSpec
}

// AssignSpec sets Slot from a template or an expression rounded as asked.
// Exact, when set, evaluates a rounded expression that is pure arithmetic
// without float64's binary error; Expr stays the fallback.
type AssignSpec struct {
	Slot     int
	Template *Template
	Expr     *Program
	Exact    *Exact
	Round    string
	Scale    int
}

// RendezvousNode holds VUs until Users have arrived (or every live VU, if
// fewer are running) or Timeout passes; a zero Timeout means no limit.
type RendezvousNode struct {
	Pos        Pos // the step, for what a split run refuses (Plan.CheckSegment)
	Controller int
	Name       string
	Users      int
	Timeout    time.Duration
}

// WeightedNode picks a branch with probability weight/sum.
type WeightedNode struct {
	Controller int
	Fixed      bool
	Weights    []int
	Branches   [][]Node
}

// ThroughputNode limits its block (one of RPS, Percent, Total is set).
type ThroughputNode struct {
	Controller int
	RPS        float64
	Percent    float64
	Total      int64
	Steps      []Node
}

func (*RequestNode) node()     {}
func (*ThinkNode) node()       {}
func (*TransactionNode) node() {}
func (*LoopNode) node()        {}
func (*BreakNode) node()       {}
func (*IfNode) node()          {}
func (*SetNode) node()         {}
func (*RendezvousNode) node()  {}
func (*WeightedNode) node()    {}
func (*ThroughputNode) node()  {}
func (*CookiesNode) node()     {}
func (*MetricNode) node()      {}
func (*TogetherNode) node()    {}
