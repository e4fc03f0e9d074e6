package perftest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Document is perfcase's wrapper around the cases of one task, with the
// global variables and transactions they use.
type Document struct {
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Parallel     bool          `json:"parallel"`
	Variables    []Variable    `json:"variables"`
	Transactions []Transaction `json:"transactions"`
	// Before and After are the scenario's test-wide steps, as cards:
	// perfcase's own, since PerfTest runs nothing around a task's cases.
	Before []Contents `json:"before,omitempty"`
	After  []Contents `json:"after,omitempty"`
	Cases  []Case     `json:"cases"`
}

// Case is the CreateCase request body (§4.3.5). The ids are read and
// ignored: PerfTest assigns them.
type Case struct {
	CaseID           int               `json:"case_id,omitempty"`
	Name             string            `json:"name"`
	CaseType         int               `json:"case_type"`
	Status           *int              `json:"status,omitempty"`
	Sort             int               `json:"sort,omitempty"`
	TempID           int               `json:"temp_id,omitempty"`
	DirectoryID      int               `json:"directory_id,omitempty"`
	SetupContents    []Contents        `json:"setup_contents"`
	Contents         []Contents        `json:"contents"`
	ForLoopParams    []json.RawMessage `json:"for_loop_params,omitempty"`
	IncreaseSetting  []json.RawMessage `json:"increase_setting,omitempty"`
	Stages           []TestCaseStage   `json:"stages"`
	UserReplicas     int               `json:"user_replicas"`
	CollectLogPolicy int               `json:"collect_log_policy"`
	LinkAppList      []int             `json:"link_app_list,omitempty"`
	CaseInfo         *CaseDoc          `json:"case_info,omitempty"`
	Perfcase         json.RawMessage   `json:"perfcase,omitempty"` // CaseExt
}

// CaseExt holds a case's perfcase-only settings.
type CaseExt struct {
	KPIs    []string  `json:"kpis,omitempty"`
	SLA     []SLARule `json:"sla,omitempty"`
	Pacing  int64     `json:"pacing,omitempty"`  // ms
	Cookies *bool     `json:"cookies,omitempty"` // false: no cookie jar; absent: one per VU
}

// SLARule is one SLA rule of a case.
type SLARule struct {
	Name     string   `json:"name,omitempty"`
	KPI      string   `json:"kpi"`
	Window   int64    `json:"window,omitempty"`   // ms; 6000 when absent
	Breaches int      `json:"breaches,omitempty"` // 1 when absent
	Requests []string `json:"requests,omitempty"`
	Action   string   `json:"action,omitempty"` // stop, or flag (the default)
}

// CaseDoc is the text-case information of a case (CaseDoc).
type CaseDoc struct {
	Description string        `json:"description"`
	LabelNames  []string      `json:"label_names"`
	Preparation string        `json:"preparation"`
	Rank        int           `json:"rank"`
	StatusCode  *int          `json:"status_code,omitempty"`
	Steps       []CaseDocStep `json:"steps"`
}

// CaseDocStep is one written step of a CaseDoc. The reference's table
// swaps the two descriptions; the names are what counts.
type CaseDocStep struct {
	ExpectResult string `json:"expect_result"`
	TestStep     string `json:"test_step"`
}

// Contents is one card of a script.
type Contents struct {
	ContentID        int             `json:"content_id"`
	SelectedTempName string          `json:"selected_temp_name,omitempty"`
	Content          []Content       `json:"content"`
	Index            int             `json:"index"`
	Data             json.RawMessage `json:"data"`
	DataType         int             `json:"data_type"`
	Conditions       json.RawMessage `json:"conditions,omitempty"`
	IsDisabled       bool            `json:"is_disabled"`
	// IsContinue is not in the reference's tables but in its §4.5.3
	// example; it is the card's "skip on request failure" switch.
	IsContinue bool `json:"is_continue,omitempty"`
}

// Content is one item of a card; Content's shape depends on ContentType:
// Think, ContentInfo, Checkpoint or Extraction.
type Content struct {
	Content     json.RawMessage `json:"content"`
	ContentType int             `json:"content_type"`
}

// ContentInfo is a request packet (ContentInfo).
type ContentInfo struct {
	Name               string          `json:"name"`
	ProtocolType       int             `json:"protocol_type"`
	Method             string          `json:"method,omitempty"`
	URL                string          `json:"url"`
	HTTPVersion        string          `json:"http_version,omitempty"`
	Headers            []ContentHeader `json:"headers"`
	BodyType           int             `json:"body_type"`
	Bodys              []Body          `json:"bodys"`
	Bodies             []Body          `json:"bodies,omitempty"` // read as bodys
	ConnectTimeout     int64           `json:"connect_timeout,omitempty"`
	ConnectType        int             `json:"connect_type,omitempty"`
	ReturnTimeout      int64           `json:"return_timeout,omitempty"`
	ReturnTimeoutParam string          `json:"return_timeout_param,omitempty"`
	// The reference types these three as Object; they hold a number, a
	// number and a string.
	CheckEndType   json.RawMessage `json:"check_end_type,omitempty"`
	CheckEndLength json.RawMessage `json:"check_end_length,omitempty"`
	CheckEndStr    json.RawMessage `json:"check_end_str,omitempty"`
	// Streaming (HLS/RTMP, HTTP-FLV) fields: the RTMP and FLV URLs, the
	// HLS variant (0 first, 1 highest, 2 lowest), the play's duration in
	// seconds, and the wait in ms between polls of a live HLS playlist and
	// how many.
	RTMPURL     string          `json:"rtmp_url,omitempty"`
	FLVURL      string          `json:"flv_url,omitempty"`
	BitrateType int             `json:"bitrate_type,omitempty"`
	Duration    int64           `json:"duration,omitempty"`
	RetryDelay  int64           `json:"retry_delay,omitempty"`
	RetryTime   int             `json:"retry_time,omitempty"`
	Perfcase    json.RawMessage `json:"perfcase,omitempty"` // RequestExt
}

// ContentHeader is a key/value pair (ContentHeader).
type ContentHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Body is one item of bodys.
type Body struct {
	Key         string `json:"key,omitempty"`
	Value       string `json:"value"`
	File        string `json:"file,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Format      string `json:"format,omitempty"` // json, hex, or a plain string when empty
}

// RequestExt holds a request's perfcase-only settings.
type RequestExt struct {
	Query        []ContentHeader `json:"query,omitempty"`
	Redirects    int             `json:"redirects,omitempty"` // -1 never; 0 the default
	TLSVerify    *bool           `json:"tls_verify,omitempty"`
	Read         string          `json:"read,omitempty"` // none, or idle with Idle
	Idle         *int64          `json:"idle,omitempty"` // ms
	Close        bool            `json:"close,omitempty"`
	KPIs         []string        `json:"kpis,omitempty"`
	Subprotocols []string        `json:"subprotocols,omitempty"`
	Connection   string          `json:"connection,omitempty"` // iteration
	Actions      []WSAction      `json:"actions,omitempty"`
	// Streaming: the FLV file an RTMP step publishes, and the stall
	// threshold in ms of HTTP-FLV and RTMP plays.
	Publish    string `json:"publish,omitempty"`
	StallAfter int64  `json:"stall_after,omitempty"`
	// MQTT is an mqtt step, whose packet PerfTest has no shape for.
	MQTT *MQTTExt `json:"mqtt,omitempty"`
}

// MQTTExt is an mqtt step beyond its broker (url), connect_timeout and
// return_timeout: the connection's settings and the action.
type MQTTExt struct {
	ClientID     string       `json:"client_id,omitempty"`
	Username     string       `json:"username,omitempty"`
	Password     string       `json:"password,omitempty"`
	CleanSession *bool        `json:"clean_session,omitempty"` // absent: true
	KeepAlive    int64        `json:"keep_alive,omitempty"`    // ms; 0 the default
	Will         *MQTTMessage `json:"will,omitempty"`
	CA           string       `json:"ca,omitempty"`
	Cert         string       `json:"cert,omitempty"`
	Key          string       `json:"key,omitempty"`
	// Action is connect, publish, subscribe, receive, unsubscribe or
	// disconnect; the fields below are those of its kind.
	Action  string       `json:"action"`
	Publish *MQTTMessage `json:"publish,omitempty"`
	Filters []MQTTFilter `json:"filters,omitempty"` // subscribe, unsubscribe
	Count   int          `json:"count,omitempty"`
	Until   *string      `json:"until,omitempty"`
	Max     int          `json:"max,omitempty"`
	Timeout int64        `json:"timeout,omitempty"` // ms
}

// MQTTMessage is a message an mqtt step publishes, or its will.
type MQTTMessage struct {
	Topic   string `json:"topic"`
	Payload string `json:"payload,omitempty"`
	QoS     int    `json:"qos,omitempty"`
	Retain  bool   `json:"retain,omitempty"`
}

// MQTTFilter is a topic filter and its QoS.
type MQTTFilter struct {
	Topic string `json:"topic"`
	QoS   int    `json:"qos,omitempty"`
}

// WSAction is one WebSocket action.
type WSAction struct {
	Kind    string  `json:"kind"` // send, receive, ping, close
	Text    string  `json:"text,omitempty"`
	Binary  bool    `json:"binary,omitempty"`
	Count   int     `json:"count,omitempty"`
	Until   *string `json:"until,omitempty"`
	Max     int     `json:"max,omitempty"`
	Timeout int64   `json:"timeout,omitempty"` // ms
	Code    int     `json:"code,omitempty"`
}

// Think is a think-time item: T, or Min and Max.
type Think struct {
	T   *int64 `json:"t,omitempty"`
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
}

// Checkpoint is a checkpoint item.
type Checkpoint struct {
	Mode          string   `json:"mode"`
	RetryCount    int      `json:"retry_count,omitempty"`
	RetryInterval int64    `json:"retry_interval,omitempty"`
	RetryOn       []string `json:"retry_on,omitempty"` // perfcase's retry on:; absent: every failure
	Checks        []Check  `json:"checks"`
	// SoftChecks are perfcase's soft_check: counted, never failing the
	// request; PerfTest has none.
	SoftChecks []Check `json:"soft_checks,omitempty"`
}

// Check is one check of a checkpoint. Value and Values hold strings; a
// number or a boolean is read as its text, so that {"value": 200} works.
type Check struct {
	Subject  string            `json:"subject"`
	Key      string            `json:"key,omitempty"`
	Operator string            `json:"operator,omitempty"`
	Value    json.RawMessage   `json:"value,omitempty"`
	Values   []json.RawMessage `json:"values,omitempty"`
}

// Extraction is an extraction item.
type Extraction struct {
	Name          string  `json:"name"`
	Range         string  `json:"range"`
	Header        string  `json:"header,omitempty"`
	Regexp        string  `json:"regexp,omitempty"`
	MatchIndex    int     `json:"match_index,omitempty"`
	ExpIndex      int     `json:"exp_index,omitempty"`
	JSONKey       string  `json:"json_key,omitempty"`
	Condition     string  `json:"condition,omitempty"`
	JSONPath      string  `json:"jsonpath,omitempty"`
	Left          string  `json:"left,omitempty"`
	Right         string  `json:"right,omitempty"`
	Default       *string `json:"default,omitempty"`
	ExpectedValue *string `json:"expected_value,omitempty"`
}

// SetData is the data of a data instruction (data_type 1).
type SetData struct {
	Mode   string  `json:"mode"`
	Params []Param `json:"params"`
}

// Param is one parameter of a data instruction: Value (a template) or
// Expression with rounding.
type Param struct {
	Name       string  `json:"name"`
	Value      *string `json:"value,omitempty"`
	Expression *string `json:"expression,omitempty"`
	Round      string  `json:"round,omitempty"`
	Scale      int     `json:"scale,omitempty"`
}

// LoopData is the data of a loop (data_type 201).
type LoopData struct {
	Count    int        `json:"count,omitempty"`
	While    *string    `json:"while,omitempty"`
	Max      int        `json:"max,omitempty"`
	Contents []Contents `json:"contents"`
}

// Condition is one entry of a condition card's conditions.
type Condition struct {
	Expression string `json:"expression"`
}

// IfData is the data of a condition (data_type 202); the first branch's
// condition is the card's conditions field.
type IfData struct {
	Contents []Contents `json:"contents"`
	Elif     []Elif     `json:"elif,omitempty"`
	Else     []Contents `json:"else,omitempty"`
}

// Elif is a further branch of a condition.
type Elif struct {
	Conditions []Condition `json:"conditions"`
	Contents   []Contents  `json:"contents"`
}

// WeightedData is the data of a VU-percentage controller (data_type 203).
type WeightedData struct {
	Mode     string   `json:"mode"`
	Branches []Branch `json:"branches"`
}

// Branch is a branch of a VU-percentage controller.
type Branch struct {
	Weight   int        `json:"weight"`
	Contents []Contents `json:"contents"`
}

// ThroughputData is the data of a throughput controller (data_type 204).
type ThroughputData struct {
	RPS      float64    `json:"rps,omitempty"`
	Percent  float64    `json:"percent,omitempty"`
	Total    int64      `json:"total,omitempty"`
	Contents []Contents `json:"contents"`
}

// RendezvousData is the data of a rendezvous (data_type 301).
type RendezvousData struct {
	Name    string `json:"name"`
	Users   int    `json:"users"`
	Timeout int64  `json:"timeout,omitempty"` // ms
}

// PluginData is the data of a plugin request (data_type 302).
type PluginData struct {
	Name   string          `json:"name"`
	Params []ContentHeader `json:"params"`
}

// BreakData is the data of perfcase's break card (data_type 9001); null
// data breaks unconditionally.
type BreakData struct {
	Condition string `json:"condition"`
}

// MetricData is the data of perfcase's metric card (data_type 9101): a
// custom metric's name, type (counter, gauge or trend) and the
// expression of its value.
type MetricData struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// TogetherData is the data of perfcase's together card (data_type
// 9102): the request cards sent at once, and the group's name.
type TogetherData struct {
	Name     string     `json:"name,omitempty"`
	Contents []Contents `json:"contents"`
}

// CallData is the data of a transaction card that calls its transaction
// with arguments (perfcase's: PerfTest's calls take none).
type CallData struct {
	With []ContentHeader `json:"with"`
}

// TestCaseStage is a pressure stage (TestCaseStage). Times are seconds.
type TestCaseStage struct {
	Name                  string          `json:"name"`
	OperateMode           int             `json:"operate_mode"`
	PressureMode          int             `json:"pressure_mode"`
	Time                  int64           `json:"time,omitempty"`
	Count                 int64           `json:"count,omitempty"`
	StartTime             int64           `json:"start_time,omitempty"`
	EndTime               int64           `json:"end_time,omitempty"`
	IssueNum              int             `json:"issue_num,omitempty"`
	CurrentUserNum        *int            `json:"current_user_num,omitempty"`
	TPSValue              float64         `json:"tps_value,omitempty"`
	CurrentTPS            *float64        `json:"current_tps,omitempty"`
	VoltageRegulatingMode int             `json:"voltage_regulating_mode"`
	Maximum               float64         `json:"maximum,omitempty"`
	Minimum               float64         `json:"minimum,omitempty"`
	LoopCount             int             `json:"loop_count,omitempty"`
	MaxDuration           int64           `json:"max_duration,omitempty"`
	RampUp                int64           `json:"ramp_up,omitempty"`
	PeakLoadKpis          *StageKpis      `json:"peak_load_kpis,omitempty"`
	StepDuration          int64           `json:"step_duration,omitempty"`
	StepSize              int             `json:"step_size,omitempty"`
	Perfcase              json.RawMessage `json:"perfcase,omitempty"` // StageExt
}

// StageKpis are the stop KPIs of a probing stage (StageKpiItems).
type StageKpis struct {
	AverageResponseTime *StageKpiItem `json:"average_response_time,omitempty"`
	SuccessRate         *StageKpiItem `json:"success_rate,omitempty"`
}

// StageKpiItem is one stop KPI (StageKpiItem).
type StageKpiItem struct {
	Comparison string  `json:"comparison"`
	Value      float64 `json:"value"`
}

// StageExt holds a stage's perfcase-only settings. KPIs, when present,
// is the whole list and wins over peak_load_kpis, which holds only two.
// RampUp (seconds) is a TPS stage's ramp: PerfTest's ramp_up belongs to
// peak probing, and its TPS mode has none.
type StageExt struct {
	KPIs       []string `json:"kpis,omitempty"`
	StopAtPeak bool     `json:"stop_at_peak,omitempty"`
	RampUp     int64    `json:"ramp_up,omitempty"`
}

// Variable is a global variable (§4.4).
type Variable struct {
	Name         string            `json:"name"`
	VariableType int               `json:"variable_type"`
	Variable     []json.RawMessage `json:"variable"`
	VariableMode int               `json:"variable_mode"`
	ShareMode    int               `json:"share_mode"`
	IsSensitive  bool              `json:"is_sensitive"`
	Perfcase     json.RawMessage   `json:"perfcase,omitempty"` // VariableExt
}

// VariableExt holds a variable's perfcase-only settings.
type VariableExt struct {
	Delimiter string `json:"delimiter,omitempty"` // file: one character; "," when absent
	Once      bool   `json:"once,omitempty"`
	OnEnd     string `json:"on_end,omitempty"` // file: "stop"; "wrap" when absent
}

// Transaction is a transaction (§4.5). ID is local to the document: it is
// what content_id refers to; PerfTest assigns its own on upload.
type Transaction struct {
	ID          int             `json:"id,omitempty"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Contents    []Contents      `json:"contents"`
	Perfcase    json.RawMessage `json:"perfcase,omitempty"` // TransactionExt
}

// TransactionExt holds a transaction's perfcase-only settings.
type TransactionExt struct {
	KPIs []string `json:"kpis,omitempty"`
}

// Integer codes, named for error messages.
type codeSet map[int]string

func (c codeSet) list() string {
	keys := make([]int, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", k, c[k])
	}
	return strings.Join(parts, ", ")
}

const (
	dataRequest    = 0
	dataSet        = 1
	dataLoop       = 201
	dataIf         = 202
	dataWeighted   = 203
	dataThroughput = 204
	dataRendezvous = 301
	dataPlugin     = 302
	// dataBreak and dataClearCookies are perfcase's own: PerfTest has no
	// break card, nor one that empties the cookie jar.
	dataBreak        = 9001
	dataClearCookies = 9002
	// dataMetric and dataTogether are perfcase's too: a custom metric's
	// value, and requests sent at once.
	dataMetric   = 9101
	dataTogether = 9102
)

// protocolMQTT is perfcase's protocol_type for an mqtt step: the
// reference has no MQTT code. perfcase's own codes, data_type and
// protocol_type alike, are the 9000s, each used once.
const protocolMQTT = 9003

var (
	dataTypes     = codeSet{dataRequest: "request card", dataSet: "data instruction", dataLoop: "loop", dataIf: "condition", dataWeighted: "VU-percentage controller", dataThroughput: "throughput controller", dataRendezvous: "rendezvous", dataPlugin: "plugin request", dataBreak: "break (perfcase)", dataClearCookies: "cookies: clear (perfcase)", dataMetric: "metric (perfcase)", dataTogether: "together (perfcase)"}
	contentTypes  = codeSet{1: "think time", 2: "request packet", 3: "checkpoint", 4: "variable extraction"}
	protocolTypes = codeSet{1: "HTTP", 2: "HTTPS", 3: "TCP", 4: "UDP", 7: "HLS/RTMP", 9: "WebSocket", 10: "HTTP-FLV", protocolMQTT: "MQTT (perfcase)"}
	bodyTypes     = codeSet{0: "raw string", 1: "multipart/form-data", 3: "x-www-form-urlencoded"}
	pressureModes = codeSet{0: "concurrency", 1: "TPS", 2: "peak probing", 3: "surge concurrency", 4: "surge TPS", 5: "oscillating concurrency", 6: "oscillating TPS", 7: "smart peak probing"}
	operateModes  = codeSet{0: "duration", 1: "count"}
	regulateModes = codeSet{0: "automatic", 1: "manual"}
	varTypes      = codeSet{1: "integer", 2: "enum", 3: "file", 5: "text"}
	varModes      = codeSet{0: "sequential", 1: "random"}
	shareModes    = codeSet{0: "case", 1: "concurrency (per VU)"}
	caseStatuses  = codeSet{1: "enabled", 2: "disabled"}
	logPolicies   = codeSet{0: "request", 1: "case"}
	caseTypes     = codeSet{0: "regular case"}
	endTypes      = codeSet{1: "by data length", 2: "by terminator"}
	docStatusCode = codeSet{0: "new", 5: "designing", 6: "testing", 7: "done"}
)

// ptCheckSubjects are the check subjects of perfcase JSON, keyed by the
// File's subject; ptSubjectsByName is the other way round.
var (
	ptCheckSubjects  = map[string]string{"status": "response_code", "header": "header", "body": "body", "jsonpath": "jsonpath", "rt": "rt", "payload": "payload"}
	ptSubjectsByName = map[string]string{"response_code": "status", "header": "header", "body": "body", "jsonpath": "jsonpath", "rt": "rt", "payload": "payload"}
)

// Extraction ranges in perfcase JSON, keyed by the File's From.
var ptRanges = map[string]string{"body": "body", "header": "header", "url": "url", "status": "response_code"}
