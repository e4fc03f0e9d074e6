package perftest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/scenario"
)

// importDoc converts a PerfTest document as Open does before its checks.
func importDoc(name string, data []byte) (*scenario.File, error) {
	in := JSON.Import(name, data)
	if err := in.Errors.Err(); err != nil {
		return nil, err
	}
	return in.File, nil
}

// ldOptions are the Options every command passes, without the
// environment.
func ldOptions(opts scenario.Options) scenario.Options {
	opts.Importers = []scenario.Importer{JSON}
	if opts.LookupEnv == nil {
		opts.LookupEnv = noEnv
	}
	return opts
}

var noEnv = func(string) (string, bool) { return "", false }

// ptSameFile fails the test when got and want differ other than in
// positions.
func ptSameFile(t *testing.T, what string, got, want *scenario.File) {
	t.Helper()
	if d := testsupport.Diff(got, want, reflect.TypeFor[scenario.Pos]()); d != "" {
		t.Errorf("%s: File%s", what, d)
	}
}

// ptNotCarried are the CreateCase fields perfcase does not keep, and why.
// A round trip through YAML drops them; every other field must come back.
var ptNotCarried = map[string]string{
	"case_id":         "an id PerfTest assigns",
	"temp_id":         "an id PerfTest assigns",
	"directory_id":    "the folder of PerfTest's UI the case sits in",
	"sort":            "the case's place in PerfTest's UI; the order of cases stands for it",
	"link_app_list":   "links to PerfTest full-link apps, which exist only there",
	"for_loop_params": "unused, per the reference",
	"connect_type":    "unused, per the reference",
	"start_time":      "stage timing the reference leaves undefined",
	"end_time":        "stage timing the reference leaves undefined",
	// The UI fills the streaming fields in on every request, where they mean
	// nothing; a streaming request (protocol_type 7 and 10) carries them as
	// its step's keys, and rich.yaml's streaming steps round-trip them.
	"duration":     "streaming only",
	"retry_delay":  "streaming only",
	"retry_time":   "streaming only",
	"rtmp_url":     "streaming only",
	"flv_url":      "streaming only",
	"bitrate_type": "streaming only",
}

// ptStageFields are the stage fields each pressure_mode reads, besides
// name, pressure_mode and perfcase: the table of docs/perftest-json.md.
// Concurrency and TPS stages also read operate_mode, then time (duration
// mode, with voltage_regulating_mode) or count (count mode); the other
// modes always run for time. A concurrency stage reads ramp_up only with a
// current_user_num to ramp from; a TPS stage in count mode reads
// current_tps only with perfcase.ramp_up. The UI keeps values in the other fields
// (the reference example's concurrency stage has maximum, loop_count,
// peak_load_kpis, ...), which mean nothing there.
var ptStageFields = map[int][]string{
	0: {"issue_num", "current_user_num", "ramp_up", "voltage_regulating_mode"},
	1: {"tps_value", "current_tps", "issue_num", "voltage_regulating_mode"},
	2: {"current_user_num", "issue_num", "ramp_up", "peak_load_kpis"},
	3: {"minimum", "maximum", "loop_count", "max_duration"},
	4: {"minimum", "maximum", "loop_count", "max_duration", "issue_num"},
	5: {"minimum", "maximum", "loop_count"},
	6: {"minimum", "maximum", "loop_count", "issue_num"},
	7: {"current_user_num", "issue_num", "step_size", "step_duration", "peak_load_kpis"},
}

// ptReadsOf is what ptStageFields says a stage reads, with the
// conditions above.
func ptReadsOf(obj map[string]any) []string {
	operate, _ := obj["operate_mode"].(float64)
	mode, _ := obj["pressure_mode"].(float64)
	open := mode == 0 || mode == 1
	var out []string
	switch {
	case !open:
		out = append(out, "time")
	case operate == 1:
		out = append(out, "operate_mode", "count")
	default:
		out = append(out, "operate_mode", "time")
	}
	for _, f := range ptStageFields[int(mode)] {
		_, from := obj["current_user_num"]
		switch {
		case f == "voltage_regulating_mode" && operate != 0:
		case f == "ramp_up" && mode == 0 && !from:
		case f == "current_tps" && mode == 1 && operate == 1 && obj["perfcase"] == nil:
		default:
			out = append(out, f)
		}
	}
	return out
}

var ptStagePath = regexp.MustCompile(`(^|\.)stages\[\d+\]$`)

// ptCarried says whether key of obj (at path) survives a round trip.
func ptCarried(path, key string, obj map[string]any) bool {
	if _, dropped := ptNotCarried[key]; dropped {
		return false
	}
	if !ptStagePath.MatchString(path) {
		return true
	}
	switch key {
	case "name", "operate_mode", "pressure_mode", "perfcase":
		return true
	}
	return slices.Contains(ptReadsOf(obj), key)
}

func ptAll(string, string, map[string]any) bool { return true }

func ptZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case float64:
		return x == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// ptCompareJSON lists every path where got differs from want, two decoded
// JSON values. A zero value (null, false, 0, "", [], {}) equals a missing
// key; keys for which compare is false are skipped.
func ptCompareJSON(path string, got, want any, compare func(path, key string, obj map[string]any) bool) []string {
	if ptZero(got) && ptZero(want) {
		return nil
	}
	var diffs []string
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok && got != nil {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			if compare(path, k, w) {
				diffs = append(diffs, ptCompareJSON(joinPath(path, k), g[k], w[k], compare)...)
			}
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		for i := range w {
			diffs = append(diffs, ptCompareJSON(indexPath(path, i), g[i], w[i], compare)...)
		}
		return diffs
	}
	if !reflect.DeepEqual(got, want) {
		return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
	}
	return nil
}

func ptDecode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, data)
	}
	return v
}

func ptRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ptViaYAML writes f as YAML and parses it back, failing the test unless
// the result equals f.
func ptViaYAML(t *testing.T, f *scenario.File) *scenario.File {
	t.Helper()
	out, err := scenario.FormatYAML(f)
	if err != nil {
		t.Fatalf("FormatYAML: %v", err)
	}
	back, err := scenario.Parse(f.Path, out)
	if err != nil {
		t.Fatalf("Parse(FormatYAML(f)): %v\n%s", err, out)
	}
	ptSameFile(t, "Parse(FormatYAML(f))", back, f)
	return back
}

func ptExport(t *testing.T, f *scenario.File) []byte {
	t.Helper()
	js, err := Export(f)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return js
}

// The reference's own CreateCase and UpdateCase examples: import, write as
// YAML, read back, export, and every field perfcase models comes back.
func TestCaseExamplesRoundTrip(t *testing.T) {
	for _, name := range []string{"testdata/create_case.json", "testdata/update_case.json"} {
		t.Run(name, func(t *testing.T) {
			src := ptRead(t, name)
			f, err := importDoc(name, src)
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			back := ptViaYAML(t, f)
			doc := ptDecode(t, ptExport(t, back))
			cases, _ := doc["cases"].([]any)
			if len(cases) != 1 {
				t.Fatalf("exported %d cases, want 1", len(cases))
			}
			for _, d := range ptCompareJSON("", cases[0], ptDecode(t, src), ptCarried) {
				t.Error(d)
			}
		})
	}
}

// What the reference example means, field by field.
func TestReferenceExampleMeaning(t *testing.T) {
	f, err := importDoc("create_case.json", ptRead(t, "testdata/create_case.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := f.Cases[0]
	r := c.Steps[0].Request
	st := c.Stages[0]
	tests := []struct {
		what      string
		got, want any
	}{
		{"file name", f.Name, "new_case"},
		{"case name", c.Name, "new_case"},
		{"disabled", c.Disabled, false},
		{"log policy", c.LogPolicy, "request"},
		{"steps", len(c.Steps), 1},
		{"protocol", r.Protocol, scenario.HTTP},
		{"request name", r.Name, "request_example"},
		{"method (GET is the default)", r.HTTP.Method, ""},
		{"version (HTTP/1.1 is the default)", r.HTTP.Version, ""},
		{"url", r.HTTP.URL, "http://127.0.0.1"},
		{"headers", r.HTTP.Headers, []scenario.KV{{Key: "Content-Type", Value: "application/json"}}},
		{"body (empty bodys)", r.HTTP.BodyKind, scenario.BodyNone},
		{"connect timeout", r.HTTP.ConnectTimeout, 5 * time.Second},
		{"timeout", r.HTTP.Timeout, 5 * time.Second},
		{"stage mode", st.Mode, scenario.ModeConcurrency},
		{"stage VUs (issue_num)", st.VUs, 1},
		{"stage start (current_user_num)", st.StartVUs, 1},
		{"stage duration (time, seconds)", st.Duration, time.Minute},
		{"stage ramp_up", st.RampUp, 30 * time.Second},
		{"stage count (not read in duration mode)", st.Count, int64(0)},
		{"stage KPIs (not read in concurrency mode)", len(st.KPIs), 0},
		{"doc rank", c.Doc.Rank, 1},
		{"doc status (status_code 0)", c.Doc.Status, "new"},
		{"doc steps", c.Doc.Steps, []scenario.ManualStep{{}}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.what, tt.got, tt.want)
		}
	}
}

// JSON → YAML → JSON on the hand-written rich document: nothing is lost,
// and the imported scenario compiles.
func TestRichJSONRoundTrip(t *testing.T) {
	const name = "testdata/rich.json"
	src := ptRead(t, name)
	f, err := importDoc(name, src)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if _, err := scenario.Compile(f, scenario.Options{LookupEnv: func(string) (string, bool) { return "", false }}); err != nil {
		t.Errorf("the imported scenario does not compile: %v", err)
	}
	back := ptViaYAML(t, f)
	for _, d := range ptCompareJSON("", ptDecode(t, ptExport(t, back)), ptDecode(t, src), ptAll) {
		t.Error(d)
	}
}

// YAML → JSON → YAML on the hand-written rich scenario, which is also the
// scenario rich.json describes.
func TestRichYAMLRoundTrip(t *testing.T) {
	want, err := scenario.ParseFile("testdata/rich.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := importDoc(want.Path, ptExport(t, want))
	if err != nil {
		t.Fatalf("importDoc(Export(f)): %v", err)
	}
	ptSameFile(t, "importDoc(Export(f))", ptViaYAML(t, got), want)

	fromJSON, err := importDoc(want.Path, ptRead(t, "testdata/rich.json"))
	if err != nil {
		t.Fatal(err)
	}
	ptSameFile(t, "rich.json against rich.yaml", fromJSON, want)
}

// ptCanonical spells what the File writes two ways the way import does:
// GET and HTTP/1.1 are the defaults, "".
func ptCanonical(steps []*scenario.Step) {
	for _, s := range steps {
		if s.Request != nil && s.Request.HTTP != nil {
			h := s.Request.HTTP
			if h.Method == "GET" {
				h.Method = ""
			}
			if h.Version == "HTTP/1.1" {
				h.Version = ""
			}
			if scenario.HTTPVersion(h.Version) == scenario.HTTP2Version {
				h.Version = scenario.HTTP2Version
			}
		}
		for _, list := range ptChildren(s) {
			ptCanonical(list)
		}
	}
}

func ptChildren(s *scenario.Step) [][]*scenario.Step {
	var out [][]*scenario.Step
	switch s.Kind {
	case scenario.StepLoop:
		out = append(out, s.Loop.Steps)
	case scenario.StepIf:
		for _, b := range s.If.Branches {
			out = append(out, b.Steps)
		}
		out = append(out, s.If.Else)
	case scenario.StepWeighted:
		for _, b := range s.Weighted.Branches {
			out = append(out, b.Steps)
		}
	case scenario.StepThroughput:
		out = append(out, s.Throughput.Steps)
	case scenario.StepTogether:
		out = append(out, s.Together.Steps)
	}
	return out
}

// Every scenario around exports and imports back to itself.
func TestExportImportRoundTrip(t *testing.T) {
	for _, path := range testsupport.Glob(t, "../examples/*.yaml", "../scenario/testdata/valid/*.yaml", "testdata/*.yaml") {
		t.Run(path, func(t *testing.T) {
			want, err := scenario.ParseFile(path)
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			got, err := importDoc(path, ptExport(t, want))
			if err != nil {
				t.Fatalf("importDoc(Export(f)): %v", err)
			}
			for _, tx := range want.Transactions {
				ptCanonical(tx.Steps)
			}
			for _, c := range want.Cases {
				ptCanonical(c.Setup)
				ptCanonical(c.Steps)
			}
			ptCanonical(want.Before)
			ptCanonical(want.After)
			ptSameFile(t, "importDoc(Export(f))", got, want)
		})
	}
}

// ptCase wraps cards and stages in a CreateCase body.
func ptCase(contents string) string {
	return `{"name": "c", "contents": [` + contents + `], "stages": [{"operate_mode": 0, "pressure_mode": 0, "time": 60, "issue_num": 1}]}`
}

const ptGet = `{"content_id": 0, "data_type": 0, "content": [{"content_type": 2, "content": {"name": "get", "protocol_type": 1, "url": "http://h/"}}]}`

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // each must appear in the error
	}{
		{"unknown data_type", ptCase(ptGet + `, ` + ptGet + `, {"data_type": 999}`),
			[]string{"x.json:1:303: $.contents[2].data_type: unknown code 999", "hint: use one of: 0 request card, 1 data instruction"}},
		{"unknown data_type in a wrapper", `{"name": "w", "cases": [` + ptCase(`{"data_type": 999}`) + `]}`,
			[]string{"x.json:1:53: $.cases[0].contents[0].data_type: unknown code 999"}},
		{"streaming request without duration", ptCase(`{"content": [{"content_type": 2, "content": {"name": "live", "protocol_type": 7, "rtmp_url": "rtmp://h/l"}}]}`),
			[]string{`contents[0].content[0].content.duration: a streaming request needs a duration`}},
		{"HTTP-FLV request without URL", ptCase(`{"content": [{"content_type": 2, "content": {"name": "flv", "protocol_type": 10, "duration": 5}}]}`),
			[]string{`content.flv_url: the HTTP-FLV request has no flv_url`}},
		{"HLS/RTMP request without URL", ptCase(`{"content": [{"content_type": 2, "content": {"name": "s", "protocol_type": 7, "duration": 5}}]}`),
			[]string{`content.url: the HLS/RTMP request has no url (HLS) or rtmp_url (RTMP)`}},
		{"both url and rtmp_url", ptCase(`{"content": [{"content_type": 2, "content": {"name": "s", "protocol_type": 7, "url": "http://h/a.m3u8", "rtmp_url": "rtmp://h/l/s", "duration": 5}}]}`),
			[]string{`content.url: protocol_type 7 with both url and rtmp_url`}},
		{"unknown bitrate_type", ptCase(`{"content": [{"content_type": 2, "content": {"name": "s", "protocol_type": 7, "url": "http://h/a.m3u8", "bitrate_type": 3, "duration": 5}}]}`),
			[]string{`content.bitrate_type: unknown code 3`, `hint: use one of: 0 the first variant, 1 the highest bandwidth, 2 the lowest bandwidth`}},
		{"checkpoint on a play", ptCase(`{"content": [{"content_type": 2, "content": {"name": "s", "protocol_type": 10, "flv_url": "http://h/a.flv", "duration": 5}}, {"content_type": 3, "content": {"mode": "AND", "checks": []}}]}`),
			[]string{`contents[0].content[1]: HTTP-FLV requests have no checkpoint`}},
		{"MQTT without perfcase.mqtt", ptCase(`{"content": [{"content_type": 2, "content": {"name": "m", "protocol_type": 9003, "url": "tcp://h:1883"}}]}`),
			[]string{`content.perfcase: an MQTT request (protocol_type 9003) needs perfcase.mqtt`}},
		{"MQTT unknown action", ptCase(`{"content": [{"content_type": 2, "content": {"name": "m", "protocol_type": 9003, "url": "tcp://h:1883", "perfcase": {"mqtt": {"action": "ping"}}}}]}`),
			[]string{`content.perfcase.mqtt.action: unknown action "ping"`}},
		{"MQTT with a retry", ptCase(`{"content": [{"content_type": 2, "content": {"name": "m", "protocol_type": 9003, "url": "tcp://h:1883", "perfcase": {"mqtt": {"action": "connect"}}}}, {"content_type": 3, "content": {"mode": "AND", "retry_count": 1, "checks": []}}]}`),
			[]string{`MQTT requests have no retry`}},
		{"a body on a play", ptCase(`{"content": [{"content_type": 2, "content": {"name": "s", "protocol_type": 10, "flv_url": "http://h/a.flv", "duration": 5, "bodys": [{"value": "x"}]}}]}`),
			[]string{`content.bodys: request "s": HTTP-FLV requests send no body`}},
		{"trailing comma", "{\n  \"name\": \"c\",\n}",
			[]string{"x.json:3:1: invalid JSON", "trailing commas"}},
		{"wrong type", ptCase(`{"data_type": "zero"}`),
			[]string{"contents[0].data_type: expected a whole number, got string"}},
		{"wrong type deep", ptCase(`{"content": [{"content_type": 2, "content": {"protocol_type": 1, "url": "http://h/", "headers": [{"key": "a", "value": 1}]}}]}`),
			[]string{"contents[0].content[0].content.headers[0].value: expected a string, got number"}},
		{"not an object", `[1, 2]`,
			[]string{"x.json:1:1: $: the document must be a JSON object, got array"}},
		{"misspelt think field", ptCase(`{"content": [{"content_type": 1, "content": {"tt": 100}}]}`),
			[]string{`contents[0].content[0].content.tt: unknown field "tt"`, `did you mean "t"?`}},
		{"misspelt checkpoint field", ptCase(`{"content": [{"content_type": 2, "content": {"protocol_type": 1, "url": "http://h/"}}, {"content_type": 3, "content": {"checks": [{"subject": "body", "opertor": "contains"}]}}]}`),
			[]string{`contents[0].content[1].content.checks[0].opertor: unknown field "opertor"`, `did you mean "operator"?`}},
		{"deleted case", `{"name": "c", "status": 0}`,
			[]string{"status: the case is deleted", "drop the case"}},
		{"unknown status", `{"name": "c", "status": 3}`,
			[]string{"status: unknown code 3", "1 enabled, 2 disabled"}},
		{"unknown pressure_mode", `{"name": "c", "stages": [{"pressure_mode": 9}]}`,
			[]string{"stages[0].pressure_mode: unknown code 9"}},
		{"unknown operate_mode", `{"name": "c", "stages": [{"operate_mode": 2}]}`,
			[]string{"stages[0].operate_mode: unknown code 2"}},
		{"unknown content_type", ptCase(`{"content": [{"content_type": 5, "content": {}}]}`),
			[]string{"contents[0].content[0].content_type: unknown code 5"}},
		{"unknown body_type", ptCase(`{"content": [{"content_type": 2, "content": {"protocol_type": 1, "url": "http://h/", "body_type": 2}}]}`),
			[]string{"contents[0].content[0].content.body_type: unknown code 2"}},
		{"unknown check_end_type", ptCase(`{"content": [{"content_type": 2, "content": {"protocol_type": 3, "url": "h:1", "check_end_type": 3}}]}`),
			[]string{"contents[0].content[0].content.check_end_type: unknown code 3"}},
		{"check_end_length not a number", ptCase(`{"content": [{"content_type": 2, "content": {"protocol_type": 3, "url": "h:1", "check_end_type": 1, "check_end_length": "ten"}}]}`),
			[]string{`contents[0].content[0].content.check_end_length: expected a whole number, got "ten"`}},
		{"unknown protocol", ptCase(`{"content": [{"content_type": 2, "content": {"protocol_type": 5}}]}`),
			[]string{"contents[0].content[0].content.protocol_type: unknown code 5"}},
		{"unknown variable_type", `{"name": "w", "variables": [{"name": "v", "variable_type": 4, "variable": []}], "cases": []}`,
			[]string{"variables[0].variable_type: unknown code 4"}},
		{"integer variable without a range", `{"name": "w", "variables": [{"name": "v", "variable_type": 1, "variable": [1]}], "cases": []}`,
			[]string{"variables[0].variable: has 1 values, want 2"}},
		{"unknown share_mode", `{"name": "w", "variables": [{"name": "v", "variable_type": 2, "variable": ["a"], "share_mode": 3}], "cases": []}`,
			[]string{"variables[0].share_mode: unknown code 3"}},
		{"unknown wrapper key", `{"name": "w", "stages": [], "cases": []}`,
			[]string{`stages: unknown field "stages"`}},
		{"variable timeout", ptCase(`{"content": [{"content_type": 2, "content": {"name": "t", "protocol_type": 1, "url": "http://h/", "return_timeout_param": "${t}"}}]}`),
			[]string{`contents[0].content[0].content.return_timeout_param: request "t": a variable timeout is not supported`}},
		{"two conditions", ptCase(`{"data_type": 202, "conditions": [{"expression": "a"}, {"expression": "b"}], "data": {"contents": []}}`),
			[]string{"contents[0].conditions: has 2 entries; perfcase reads one expression", "&& or ||"}},
		{"controller without data", ptCase(`{"data_type": 201}`),
			[]string{"contents[0].data: a loop card needs data"}},
		{"transaction nobody names", ptCase(`{"content_id": 5, "content": []}`),
			[]string{"contents[0].content_id: content_id 5 names no transaction"}},
		{"checkpoint before the packet", ptCase(`{"content": [{"content_type": 3, "content": {"checks": []}}]}`),
			[]string{"contents[0].content[0]: a checkpoint with no request before it"}},
		{"empty request card", ptCase(`{"content": []}`),
			[]string{"contents[0].content: the request card is empty"}},
		{"json key with [] and no condition", ptCase(`{"content": [{"content_type": 2, "content": {"protocol_type": 1, "url": "http://h/"}}, {"content_type": 4, "content": {"name": "x", "range": "json", "json_key": "a[].b"}}]}`),
			[]string{`contents[0].content[1].content.json_key: json_key "a[].b" has [] but no condition picks the element`}},
		{"HTTP setting on TCP", ptCase(`{"content": [{"content_type": 2, "content": {"name": "s", "protocol_type": 3, "url": "h:1", "perfcase": {"query": [{"key": "a", "value": "b"}]}}}]}`),
			[]string{`contents[0].content[0].content.perfcase.query: request "s": query does not apply to a tcp request`}},
		{"legacy gradient", `{"name": "c", "increase_setting": [{"step": 1}]}`,
			[]string{"increase_setting: the legacy gradient increase is not supported"}},
		{"unknown operator", ptCase(`{"content": [{"content_type": 2, "content": {"protocol_type": 1, "url": "http://h/"}}, {"content_type": 3, "content": {"checks": [{"subject": "body", "operator": "like", "value": "x"}]}}]}`),
			[]string{`contents[0].content[1].content.checks[0].operator: unknown operator "like"`}},
		{"QueryCase response", `{"code": "x", "test_case": {"name": "c", "status": 9}}`,
			[]string{"test_case.status: unknown code 9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := importDoc("x.json", []byte(tt.doc))
			if err == nil {
				t.Fatalf("got no error and %d cases, want an error", len(f.Cases))
			}
			var list scenario.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got a %T, want an ErrorList", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got error\n%v\nwant it to contain %q", err, want)
				}
			}
		})
	}
}

func TestImportReportsEveryError(t *testing.T) {
	doc := ptCase(`{"data_type": 999}, {"data_type": 998}`)
	_, err := importDoc("x.json", []byte(doc))
	var list scenario.ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("got %v, want 2 errors", err)
	}
}

func TestImportDefaults(t *testing.T) {
	f, err := importDoc("x.json", []byte(`{"name": "c", "contents": [`+ptGet+`],
		"stages": [{"pressure_mode": 0, "time": 60, "issue_num": 8},
		           {"pressure_mode": 0, "time": 60, "issue_num": 8, "current_user_num": 0},
		           {"pressure_mode": 1, "time": 60, "tps_value": 20},
		           {"pressure_mode": 3, "time": 60, "minimum": 1, "maximum": 9, "loop_count": 1, "max_duration": 5, "issue_num": 50}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := f.Cases[0]
	tests := []struct {
		what      string
		got, want any
	}{
		{"status absent: enabled", c.Disabled, false},
		{"collect_log_policy absent: request", c.LogPolicy, "request"},
		{"current_user_num absent: start at issue_num", c.Stages[0].StartVUs, 8},
		{"current_user_num 0: start at 0", c.Stages[1].StartVUs, 0},
		{"current_tps absent: start at tps_value", c.Stages[2].StartTPS, 20.0},
		{"issue_num of a surge concurrency stage: not read", c.Stages[3].VUs, 0},
		{"tls_verify absent: verify", c.Steps[0].Request.HTTP.TLSVerify, true},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.what, tt.got, tt.want)
		}
	}
}

func TestImportBodiesAlias(t *testing.T) {
	f, err := importDoc("x.json", []byte(ptCase(`{"content": [{"content_type": 2, "content": {"protocol_type": 1, "url": "http://h/", "body_type": 3, "bodies": [{"key": "a", "value": "1"}]}}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Cases[0].Steps[0].Request.HTTP.Form, []scenario.KV{{Key: "a", Value: "1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("form from bodies: got %v, want %v", got, want)
	}
}

// A card with content_id refers to a transaction by selected_temp_name or,
// without one, by the wrapper's transaction id. Cards that carry the
// transaction's steps define it when the document does not.
func TestImportTransactionCards(t *testing.T) {
	doc := `{"name": "w", "transactions": [{"id": 40, "name": "login", "contents": [` + ptGet + `]}], "cases": [` + ptCase(
		`{"content_id": 40, "content": []},
		 {"content_id": 40, "content": [], "is_disabled": true},
		 {"content_id": 9, "selected_temp_name": "browse", "content": [{"content_type": 2, "content": {"name": "a", "protocol_type": 1, "url": "http://h/a"}}]},
		 {"content_id": 9, "selected_temp_name": "browse", "content": [{"content_type": 2, "content": {"name": "b", "protocol_type": 1, "url": "http://h/b"}}]},
		 `+ptGet) + `]}`
	f, err := importDoc("x.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range f.Cases[0].Steps {
		got = append(got, fmt.Sprintf("%s %s disabled=%v", s.Kind, s.Transaction, s.Disabled))
	}
	want := []string{"transaction login disabled=false", "transaction login disabled=true", "transaction browse disabled=false", "request  disabled=false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps: got %q, want %q", got, want)
	}
	if len(f.Transactions) != 2 || f.Transactions[1].Name != "browse" || len(f.Transactions[1].Steps) != 2 {
		t.Fatalf("transactions: got %d, want login and browse (two requests)", len(f.Transactions))
	}
	if got := f.Transactions[1].Steps[1].Request.HTTP.URL; got != "http://h/b" {
		t.Errorf("browse's second request: got %s, want http://h/b", got)
	}
}

func TestPerfTestKeyToJSONPath(t *testing.T) {
	tests := []struct {
		key, cond string
		want      string // "" when an error is expected
	}{
		{"token", "", "$.token"},
		{"data.token", "", "$.data.token"},
		{"a.b[0].c", "", "$.a.b[0].c"},
		{"a[1][2]", "", "$.a[1][2]"},
		{"[0].id", "", "$[0].id"},
		{"key.key4[].key41", "key.key4[].key42 = v42", "$.key.key4[?@.key42=='v42'].key41"},
		{"a.b[]", "a.b[].c = v", "$.a.b[?@.c=='v']"},
		{"a.b[].d", "a.b[].c == v", "$.a.b[?@.c=='v'].d"},
		{"a.b[].d", "a.b[].c=5", "$.a.b[?@.c=='5' || @.c==5].d"},
		{"a.b[].d", "a.b[].c = true", "$.a.b[?@.c=='true' || @.c==true].d"},
		{"a.b[].d", "a.b[].x.y = it's", `$.a.b[?@.x.y=='it\'s'].d`},
		{"my-key.1st", "", "$['my-key']['1st']"},
		{"名字", "", "$.名字"},
		{"", "", ""},
		{"$.a", "", ""},
		{"a[].b", "", ""},
		{"a..b", "", ""},
		{"a[x]", "", ""},
		{"a.b[].d", "a.c[].d = 1", ""},
		{"a.b[].d", "a.b[].c != 1", ""},
		{"a.b[].d", "a.b[].c", ""},
	}
	for _, tt := range tests {
		got, err := perfTestKeyToJSONPath(tt.key, tt.cond)
		if tt.want == "" {
			if err == nil {
				t.Errorf("perfTestKeyToJSONPath(%q, %q) = %q, want an error", tt.key, tt.cond, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("perfTestKeyToJSONPath(%q, %q) = %q, %v; want %q", tt.key, tt.cond, got, err, tt.want)
			continue
		}
		key, cond, ok := jsonPathToPerfTestKey(got)
		if !ok {
			t.Errorf("jsonPathToPerfTestKey(%q): no dotted form, want %q %q", got, tt.key, tt.cond)
			continue
		}
		if back, _ := perfTestKeyToJSONPath(key, cond); back != got {
			t.Errorf("jsonPathToPerfTestKey(%q) = %q, %q, which converts to %q", got, key, cond, back)
		}
	}
}

func TestJSONPathWithoutDottedForm(t *testing.T) {
	for _, p := range []string{"$..id", "$.a[*]", "$.a[?@.b>1]", "$.a[0:2]", "$.a[?@.b=='x'][?@.c=='y']", "$['a.b']", "$.a['b]c']", "$.a[?@.b=='x' || @.b=='y']", "token"} {
		if key, cond, ok := jsonPathToPerfTestKey(p); ok {
			t.Errorf("jsonPathToPerfTestKey(%q) = %q, %q; want no dotted form", p, key, cond)
		}
	}
}

func TestExportErrors(t *testing.T) {
	src := `name: e
transactions:
  t: [{think: 1s}]
cases:
  - name: c
    steps:
      - http: {url: "http://h/", timeout: 1500us}
      - think: 1.5ms
      - transaction: nope
    stages:
      - {concurrency: 1, duration: 1500ms}
`
	f, err := scenario.Parse("e.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Export(f)
	if err == nil {
		t.Fatal("got no error, want one per value JSON cannot hold")
	}
	for _, want := range []string{
		"e.yaml:7:9: timeout 1.5ms is not a whole number of milliseconds",
		"e.yaml:8:9: think 1.5ms is not a whole number of milliseconds",
		`e.yaml:9:9: transaction "nope" is not defined in this file`,
		"e.yaml:11:9: duration 1.5s is not a whole number of seconds",
		"hint: round it to whole",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got error\n%v\nwant it to contain %q", err, want)
		}
	}
}

// Think times join the request card next to them, and come back in place.
func TestExportThinkPlacement(t *testing.T) {
	src := `name: p
cases:
  - name: c
    steps:
      - think: 1s
      - http: {name: a, url: "http://h/a"}
      - think: 2s
      - think: 3s
        disabled: true
      - http: {name: b, url: "http://h/b"}
      - loop: 2
        steps: [{think: 4s}]
      - think: 5s
    stages: [{concurrency: 1, duration: 1m}]
`
	want, err := scenario.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	js := ptExport(t, want)
	var doc Document
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	var shape []string
	for _, c := range doc.Cases[0].Contents {
		var items []string
		for _, it := range c.Content {
			items = append(items, contentTypes[it.ContentType])
		}
		shape = append(shape, fmt.Sprintf("%s disabled=%v [%s]", dataTypes[c.DataType], c.IsDisabled, strings.Join(items, ", ")))
	}
	wantShape := []string{
		"request card disabled=false [think time, request packet, think time]",
		"request card disabled=true [think time]",
		"request card disabled=false [request packet]",
		"loop disabled=false []",
		"request card disabled=false [think time]",
	}
	if !reflect.DeepEqual(shape, wantShape) {
		t.Errorf("cards:\ngot  %q\nwant %q", shape, wantShape)
	}
	got, err := importDoc("p.yaml", js)
	if err != nil {
		t.Fatal(err)
	}
	ptSameFile(t, "importDoc(Export(f))", got, want)
}

// The HTTPS code is chosen from the URL, whatever the imported code was.
func TestExportProtocolFromURL(t *testing.T) {
	tests := []struct {
		url  string
		want int
	}{
		{"http://h/", 1},
		{"https://h/", 2},
		{"HTTPS://h/", 2},
		{"${base}/x", 1},
	}
	for _, tt := range tests {
		f := &scenario.File{Name: "u", Cases: []*scenario.Case{{Name: "c", Steps: []*scenario.Step{{Kind: scenario.StepRequest, Request: &scenario.Request{Protocol: scenario.HTTP, HTTP: &scenario.HTTPRequest{URL: tt.url, TLSVerify: true}}}}}}}
		var doc Document
		if err := json.Unmarshal(ptExport(t, f), &doc); err != nil {
			t.Fatal(err)
		}
		var ci ContentInfo
		if err := json.Unmarshal(doc.Cases[0].Contents[0].Content[0].Content, &ci); err != nil {
			t.Fatal(err)
		}
		if ci.ProtocolType != tt.want {
			t.Errorf("url %s: got protocol_type %d, want %d", tt.url, ci.ProtocolType, tt.want)
		}
	}
}

// FuzzImport: detecting and importing never panic, an import returns a
// File or an ErrorList, and an imported File that FormatYAML writes as a valid scenario reads
// back unchanged.
func FuzzImport(f *testing.F) {
	for _, p := range []string{"testdata/create_case.json", "testdata/update_case.json", "testdata/rich.json"} {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte(ptCase(ptGet)))
	// YAML too, and YAML written as JSON, for Detect.
	yamls, _ := filepath.Glob("../examples/*.yaml")
	for _, p := range yamls {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte(ldFlowYAML))
	f.Fuzz(func(t *testing.T, data []byte) {
		JSON.Detect(data) // must not panic on any input
		file, err := importDoc("fuzz.json", data)
		if err != nil {
			var list scenario.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
			}
			return
		}
		out, err := scenario.FormatYAML(file)
		if err != nil {
			t.Fatalf("FormatYAML(imported): %v", err)
		}
		// Open reads the tree FormatYAML encodes, placed in the JSON: it
		// must find what parsing the encoded text finds.
		_, walkErr := scenario.Open("-", scenario.Options{As: JSON, ParseOnly: true, Stdin: bytes.NewReader(data)})
		var walkErrs scenario.ErrorList
		errors.As(walkErr, &walkErrs)
		back, err := scenario.Parse("fuzz.json", out)
		var textErrs scenario.ErrorList
		errors.As(err, &textErrs)
		if len(walkErrs) != len(textErrs) {
			t.Fatalf("walking the tree found %d errors, parsing its text %d:\n%v\n---\n%v", len(walkErrs), len(textErrs), walkErrs, textErrs)
		}
		if err != nil {
			return // an import need not be a valid scenario; validate says why
		}
		ptSameFile(t, "Parse(FormatYAML(imported))", back, file)
	})
}

// A checkpoint's retry_on is checked as retry's on: is.
func TestImportRetryOn(t *testing.T) {
	doc := `{"name": "c", "contents": [{"data_type": 0, "content": [
	  {"content_type": 2, "content": {"protocol_type": 1, "name": "r", "method": "GET", "url": "http://127.0.0.1:1/"}},
	  {"content_type": 3, "content": {"mode": "AND", "retry_count": 2, "retry_on": ["refused", "nope"], "checks": []}}]}],
	  "stages": [{"pressure_mode": 0, "operate_mode": 0, "time": 1, "issue_num": 1}]}`
	_, err := importDoc("c.json", []byte(doc))
	testsupport.WantErrors(t, err, `retry_on[1]`, `"nope" is not a kind of failure`)
}

// on_end survives export and import.
func TestOnEndRoundTrip(t *testing.T) {
	f, err := scenario.Parse("s.yaml", []byte("name: r\nvariables: {a: {path: a.csv, on_end: stop, share: vu}}\ncases: [{name: c, steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Export(f)
	if err != nil || !strings.Contains(string(doc), `"on_end": "stop"`) {
		t.Fatalf("export = %v\n%s", err, doc)
	}
	back, err := importDoc("s.json", doc)
	if err != nil || !back.Variables[0].StopAtEnd || back.Variables[0].Share != scenario.ShareVU {
		t.Errorf("import = %v, %+v", err, back.Variables)
	}
}

// The case's cookies switch and the cookies: clear step survive export
// and import.
func TestCookiesRoundTrip(t *testing.T) {
	f, err := scenario.Parse("s.yaml", []byte("name: r\ncases: [{name: c, cookies: false, steps: [{think: 1s}, {cookies: clear, disabled: true}], stages: [{concurrency: 1, duration: 1s}]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Export(f)
	if err != nil || !strings.Contains(string(doc), `"cookies": false`) || !strings.Contains(string(doc), `"data_type": 9002`) {
		t.Fatalf("export = %v\n%s", err, doc)
	}
	back, err := importDoc("s.json", doc)
	if err != nil || !back.Cases[0].NoCookies || len(back.Cases[0].Steps) != 2 || back.Cases[0].Steps[1].Kind != scenario.StepClearCookies || !back.Cases[0].Steps[1].Disabled {
		t.Errorf("import = %v, %+v", err, back.Cases[0])
	}
}

// What an import writes as YAML satisfies the JSON Schema editors use.
func TestImportedYAMLMatchesSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(scenario.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(scenario.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(scenario.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"testdata/create_case.json", "testdata/rich.json"} {
		f, err := importDoc(path, ptRead(t, path))
		if err != nil {
			t.Fatal(err)
		}
		out, err := scenario.FormatYAML(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(out, &v); err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: the schema rejects FormatYAML's output: %v\n%s", path, err, out)
		}
	}
}

// ptTricky are strings YAML could misread: types, indicators, comments,
// line breaks, spaces at the ends, control and non-ASCII characters.
var ptTricky = []string{
	"", " lead", "trail ", "a: b", "#x", "x #y", "- a", "? q", "[a]", "{a}", "'q'", `"dq"`, `back\slash`,
	"multi\nline", "multi\nline\n", "ends\n\n", "  indented\nlines", "\ttab", "a\r\nb", "bell\a",
	"yes", "no", "on", "off", "~", "null", "true", "0x1F", "1e3", ".inf", "012", "1_000",
	"*alias", "&anchor", "!tag", "%percent", "@at", "`tick", "|", ">", "---", "...",
	"é", "\u2028", "🚀", "${x}", "$${x}",
}

// ptSetText puts s into every free-text field of v: names, URLs, values,
// bodies, expressions, documentation.
func ptSetText(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			ptSetText(v.Elem(), s)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			ptSetText(v.Index(i), s)
		}
	case reflect.Struct:
		free := map[string][]string{
			"File":          {"Description"},
			"Case":          {"Description"},
			"CaseDoc":       {"Preparation"},
			"ManualStep":    {"Step", "Expect"},
			"Request":       {"Name"},
			"HTTPRequest":   {"URL"},
			"KV":            {"Key", "Value"},
			"Expr":          {"Source"},
			"Assign":        {"Template"},
			"Check":         {"Value"}, // only where the operator takes one, see below
			"Part":          {"Value"},
			"Rendezvous":    {"Name"},
			"Plugin":        {"Name"},
			"Transaction":   {"Description"},
			"SocketRequest": {"Address"},
		}[v.Type().Name()]
		switch x := v.Addr().Interface().(type) {
		case *scenario.Check:
			if x.Expr != nil || x.Op == "in" || strings.HasSuffix(x.Op, "exists") {
				free = nil
			}
		case *scenario.Plugin:
			if s == "" { // a plugin needs a name
				free = nil
			}
		case *scenario.Request:
			if x.Protocol == scenario.NoProtocol { // a plugin's checks; the plugin has the name
				free = nil
			}
		case *scenario.Part:
			if x.File != "" { // a file part has no value
				free = nil
			}
		case *scenario.Assign:
			if x.Expr != nil { // an expression has no template
				free = nil
			}
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			switch {
			case f.Kind() == reflect.String && slices.Contains(free, v.Type().Field(i).Name):
				f.SetString(s)
			case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String && !f.IsNil():
				f.Elem().SetString(s) // Extract.Default and Expect
			default:
				ptSetText(f, s)
			}
		}
	}
}

// Free text YAML or JSON could misread survives both: written as YAML and
// read back, exported and imported back.
func TestTrickyStringsRoundTrip(t *testing.T) {
	for _, s := range ptTricky {
		f, err := scenario.ParseFile("testdata/rich.yaml")
		if err != nil {
			t.Fatal(err)
		}
		ptSetText(reflect.ValueOf(f), s)
		out, err := scenario.FormatYAML(f)
		if err != nil {
			t.Fatalf("%q: FormatYAML: %v", s, err)
		}
		back, err := scenario.Parse(f.Path, out)
		if err != nil {
			t.Errorf("%q: Parse(FormatYAML(f)): %v", s, err)
			continue
		}
		ptSameFile(t, fmt.Sprintf("%q through YAML", s), back, f)
		js, err := Export(f)
		if err != nil {
			t.Fatalf("%q: Export: %v", s, err)
		}
		imported, err := importDoc(f.Path, js)
		if err != nil {
			t.Errorf("%q: importDoc(Export(f)): %v", s, err)
			continue
		}
		ptSameFile(t, fmt.Sprintf("%q through JSON", s), imported, f)
	}
}

// A streaming packet is read as the protocol its URL fields say: code 7
// is RTMP from rtmp_url and HLS from url, code 10 HTTP-FLV from flv_url;
// the HLS fields an RTMP or HTTP-FLV packet carries (the UI fills them
// in) are noted as ignored.
func TestImportStreamingPackets(t *testing.T) {
	in := JSON.Import("x.json", []byte(ptCase(`{"content": [
		{"content_type": 2, "content": {"name": "h", "protocol_type": 7, "url": "http://h/a.m3u8", "bitrate_type": 2, "duration": 30, "retry_delay": 1500, "retry_time": 4}},
		{"content_type": 2, "content": {"name": "r", "protocol_type": 7, "url": "", "rtmp_url": "rtmp://h/live/s", "duration": 10, "bitrate_type": 1, "retry_time": 3}},
		{"content_type": 2, "content": {"name": "f", "protocol_type": 10, "url": "http://h/ignored.flv", "flv_url": "http://h/a.flv", "duration": 5}}]}`)))
	if err := in.Errors.Err(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range in.File.Cases[0].Steps {
		r := s.Request
		got = append(got, fmt.Sprintf("%s %s %v %v %v %d", r.Protocol, r.Stream.URL, r.Stream.Duration, r.Stream.Variant, r.Stream.RetryDelay, r.Stream.Retries))
	}
	want := []string{"hls http://h/a.m3u8 30s lowest 1.5s 4", "rtmp rtmp://h/live/s 10s first 0s 0", "flv http://h/a.flv 5s first 0s 0"}
	if !slices.Equal(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	var noted []string
	for _, n := range in.Notes {
		noted = append(noted, n.Path+": "+n.Msg)
	}
	wantNotes := []string{"$.contents[0].content[1].content.bitrate_type: ignored: RTMP requests do not read bitrate_type, an HLS field",
		"$.contents[0].content[1].content.retry_time: ignored: RTMP requests do not read retry_time, an HLS field"}
	if !slices.Equal(noted, wantNotes) {
		t.Errorf("notes %q, want %q", noted, wantNotes)
	}
}

// HTTP/2 travels as PerfTest's http_version: export writes "HTTP/2" for
// version "2", and import reads "HTTP/2" and "HTTP/2.0" back as a request
// the HTTP/2 driver sends.
func TestHTTP2VersionInterop(t *testing.T) {
	f, err := scenario.Parse("s.yaml", []byte("name: r\ncases: [{name: c, steps: [{http: {url: \"https://h/\", version: \"2\"}}], stages: [{concurrency: 1, count: 1}]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Export(f)
	if err != nil || !strings.Contains(string(doc), `"http_version": "HTTP/2"`) {
		t.Fatalf("export = %v\n%s", err, doc)
	}
	for _, v := range []string{"HTTP/2", "HTTP/2.0"} {
		body := strings.Replace(string(doc), `"http_version": "HTTP/2"`, `"http_version": "`+v+`"`, 1)
		back, err := importDoc("s.json", []byte(body))
		if err != nil {
			t.Fatalf("import %s: %v", v, err)
		}
		plan, err := scenario.Compile(back, scenario.Options{})
		if err != nil {
			t.Fatalf("compile %s: %v", v, err)
		}
		if n := plan.Cases[0].Steps[0].(*scenario.RequestNode); n.Protocol != scenario.HTTP2 {
			t.Errorf("http_version %s imports as %v", v, n.Protocol)
		}
	}
}
