package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/perfcase/perfcase/metrics"
)

// The schema is written by hand, so these tests are what keeps it honest:
// the examples must satisfy both the schema and the parser, the parser's
// key lists must match the schema's properties, and snippets the parser
// refuses must be refused by the schema too.

const examplesDir = "../examples"

// schemaHeader is the first line of every example, so that editors with
// the YAML language server find the schema from inside the repository.
const schemaHeader = "# yaml-language-server: $schema=../scenario/schema.json"

// compileSchema compiles the embedded schema, or one of its definitions
// when ptr is a fragment such as "#/$defs/kpi". Nothing is fetched: the
// schema is added as a resource under its $id, and the draft 2020-12
// metaschema ships inside the jsonschema module.
func compileSchema(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatalf("AddResource: %v", err)
	}
	sch, err := c.Compile(SchemaID + ptr)
	if err != nil {
		t.Fatalf("Compile(%s%s): %v", SchemaID, ptr, err)
	}
	return sch
}

// yamlValue decodes YAML into the plain values a JSON validator expects.
func yamlValue(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return yamlToJSON(v)
}

// yamlToJSON turns yaml.v3's map[any]any (from non-string keys) into
// map[string]any, recursively, as JSON would have it.
func yamlToJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = yamlToJSON(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = yamlToJSON(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = yamlToJSON(e)
		}
		return x
	}
	return v
}

func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found %d examples in %s, want at least 5", len(files), examplesDir)
	}
	return files
}

func TestExamplesMatchSchema(t *testing.T) {
	sch := compileSchema(t, "")
	for _, path := range exampleFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(yamlValue(t, src)); err != nil {
				t.Errorf("schema rejects %s:\n%v", path, err)
			}
		})
	}
}

func TestExamplesParse(t *testing.T) {
	for _, path := range exampleFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(path, src); err != nil {
				t.Errorf("Parse(%s) failed:\n%v", path, err)
			}
		})
	}
}

func TestExamplesStartWithSchemaLine(t *testing.T) {
	for _, path := range exampleFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(src), "\n")
		if got := strings.TrimRight(first, "\r"); got != schemaHeader {
			t.Errorf("%s: first line = %q, want %q", path, got, schemaHeader)
		}
	}
}

// TestExamplesCoverEveryKey makes the examples a tour of the whole
// language: each key the schema knows is used by at least one example, so
// a new key arrives with an example of its use.
func TestExamplesCoverEveryKey(t *testing.T) {
	var schema any
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	walkProps(schema, func(k string) { known[k] = true })

	used := map[string]bool{}
	var walkDoc func(v any)
	walkDoc = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				used[k] = true
				walkDoc(e)
			}
		case []any:
			for _, e := range x {
				walkDoc(e)
			}
		}
	}
	for _, path := range exampleFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		walkDoc(yamlValue(t, src))
	}
	var missing []string
	for k := range known {
		if !used[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no example uses these keys: %v; show each in examples/", missing)
	}
}

const languageDoc = "../docs/language.md"

// TestLanguageDocMentionsEveryKey keeps the reference complete: each key
// the schema knows is named in docs/language.md.
func TestLanguageDocMentionsEveryKey(t *testing.T) {
	text, err := os.ReadFile(languageDoc)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, def := range schemaDefs(t) {
		walkProps(def, func(key string) {
			re := regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(key) + `([^A-Za-z0-9_]|$)`)
			if !re.Match(text) && !slices.Contains(missing, key) {
				missing = append(missing, key)
			}
		})
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s never mentions these keys: %v", languageDoc, missing)
	}
}

// TestLanguageDocScenariosAreValid checks the whole scenarios shown in
// docs/language.md (the YAML blocks with a top-level cases:), so the
// reference cannot teach something the parser refuses.
func TestLanguageDocScenariosAreValid(t *testing.T) {
	text, err := os.ReadFile(languageDoc)
	if err != nil {
		t.Fatal(err)
	}
	sch := compileSchema(t, "")
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(text, -1)
	checked := 0
	for i, b := range blocks {
		src := b[1]
		if !regexp.MustCompile(`(?m)^cases:`).Match(src) {
			continue
		}
		checked++
		f, err := Parse(fmt.Sprintf("language.md block %d", i+1), src)
		if err != nil {
			t.Errorf("Parse(block %d) failed:\n%v\n%s", i+1, err, src)
		} else if _, err := Compile(f, docCompileOptions); err != nil {
			t.Errorf("Compile(block %d) failed:\n%v\n%s", i+1, err, src)
		}
		if err := sch.Validate(yamlValue(t, src)); err != nil {
			t.Errorf("schema rejects block %d:\n%v\n%s", i+1, err, src)
		}
	}
	if checked == 0 {
		t.Errorf("%s has no complete scenario to check", languageDoc)
	}
}

// walkProps calls fn with every property name in a schema value.
func walkProps(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		if props, ok := x["properties"].(map[string]any); ok {
			for k := range props {
				fn(k)
			}
		}
		for _, e := range x {
			walkProps(e, fn)
		}
	case []any:
		for _, e := range x {
			walkProps(e, fn)
		}
	}
}

// schemaDefs returns the schema's $defs as plain JSON values.
func schemaDefs(t *testing.T) map[string]any {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	defs, ok := root["$defs"].(map[string]any)
	if !ok {
		t.Fatal("schema.json has no $defs")
	}
	return defs
}

// defProps returns the property names of a definition, sorted.
func defProps(t *testing.T, defs map[string]any, name string) []string {
	t.Helper()
	d, ok := defs[name].(map[string]any)
	if !ok {
		t.Fatalf("schema has no $defs/%s", name)
	}
	props, _ := d["properties"].(map[string]any)
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedSet(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestSchemaKeysMatchParser compares each key list of the parser with the
// properties of the schema definition that describes the same mapping, as
// sets: a key the parser gains and the schema lacks (or the reverse) fails
// here instead of surprising an editor user.
func TestSchemaKeysMatchParser(t *testing.T) {
	defs := schemaDefs(t)
	type row struct {
		def  string   // $defs entry
		want []string // the parser's keys for that mapping
	}
	rows := []row{
		{"case", caseKeys},
		{"http_request", httpKeys},
		{"tcp_request", socketKeys},
		// The parser's UDP list is written inline; it is socketKeys less
		// the connection keys, which UDP has not.
		{"udp_request", slices.DeleteFunc(slices.Clone(socketKeys), func(k string) bool { return k == "connect_timeout" || k == "close" })},
		{"ws_request", wsKeys},
		{"ws_action", wsActionKeys},
		{"hls_request", hlsKeys},
		{"flv_request", flvKeys},
		{"rtmp_request", rtmpKeys},
		{"mqtt_request", mqttKeys},
		{"mqtt_message", mqttPublishKeys},
		{"extract_rule", extractKeys},
		{"check_mapping", sortedSet(checkSubjects, CheckOps)},
		{"peak_probe", probeKeys},
		{"step_probe", stepProbeKeys},
		{"surge_concurrency", waveKeys},
		{"surge_tps", waveKeys},
		{"oscillate_concurrency", slices.DeleteFunc(slices.Clone(waveKeys), func(k string) bool { return k == "hold" })},
		{"oscillate_tps", slices.DeleteFunc(slices.Clone(waveKeys), func(k string) bool { return k == "hold" })},
		{"variable_text", nil}, // checked as a union below
	}
	for _, kind := range stepKindKeys {
		rows = append(rows, row{"step_" + kind, sortedSet([]string{kind}, stepModifiers[kind])})
	}
	for _, mode := range stageKeys {
		keys := []string{"name", mode, "duration"}
		if mode == "concurrency" || mode == "tps" {
			keys = append(keys, "count") // count mode exists for these two only
		}
		rows = append(rows, row{"stage_" + mode, sortedSet(keys, stageAllowed[mode])})
	}
	for _, r := range rows {
		if r.want == nil {
			continue
		}
		if got, want := defProps(t, defs, r.def), sortedSet(r.want); !slices.Equal(got, want) {
			t.Errorf("$defs/%s properties = %v, want the parser's %v", r.def, got, want)
		}
	}

	// Every parser variable key is a property of some typed variable, and
	// no typed variable has a key the parser does not know.
	var varProps []string
	for _, d := range []string{"variable_text", "variable_integer", "variable_list", "variable_file"} {
		varProps = sortedSet(varProps, defProps(t, defs, d))
	}
	if want := sortedSet(varKeys); !slices.Equal(varProps, want) {
		t.Errorf("variable properties = %v, want the parser's varKeys %v", varProps, want)
	}

	// The stage keys beside the shape are exactly stageCommonKeys.
	var stageProps []string
	for _, mode := range stageKeys {
		for _, p := range defProps(t, defs, "stage_"+mode) {
			if !slices.Contains(stageKeys, p) {
				stageProps = sortedSet(stageProps, []string{p})
			}
		}
	}
	if want := sortedSet(stageCommonKeys); !slices.Equal(stageProps, want) {
		t.Errorf("stage properties besides the shape = %v, want the parser's stageCommonKeys %v", stageProps, want)
	}

	// The step and stage unions list one branch per kind, in the parser's
	// order, so the schema's error messages follow the documentation.
	for _, u := range []struct {
		def, prefix string
		keys        []string
	}{{"step", "step_", stepKindKeys}, {"stage", "stage_", stageKeys}} {
		var got []string
		for _, b := range defs[u.def].(map[string]any)["oneOf"].([]any) {
			ref := b.(map[string]any)["$ref"].(string)
			got = append(got, strings.TrimPrefix(ref, "#/$defs/"+u.prefix))
		}
		if !slices.Equal(got, u.keys) {
			t.Errorf("$defs/%s oneOf = %v, want %v", u.def, got, u.keys)
		}
	}
}

// TestSchemaEnumsMatchParser compares closed sets the parser keeps in
// package variables with the schema's enums.
func TestSchemaEnumsMatchParser(t *testing.T) {
	defs := schemaDefs(t)
	enumAt := func(path ...string) []string {
		var v any = defs
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("schema: no %s", strings.Join(path, "/"))
			}
			v = m[p]
		}
		var out []string
		for _, e := range v.(map[string]any)["enum"].([]any) {
			out = append(out, e.(string))
		}
		sort.Strings(out)
		return out
	}
	setAssign := defs["set_assign"].(map[string]any)["anyOf"].([]any)[2].(map[string]any)
	var roundEnum []string
	for _, e := range setAssign["properties"].(map[string]any)["round"].(map[string]any)["enum"].([]any) {
		roundEnum = append(roundEnum, e.(string))
	}
	sort.Strings(roundEnum)

	var typeConsts []string
	for _, d := range []string{"variable_text", "variable_integer", "variable_list", "variable_file"} {
		c := defs[d].(map[string]any)["properties"].(map[string]any)["type"].(map[string]any)["const"].(string)
		typeConsts = append(typeConsts, c)
	}
	sort.Strings(typeConsts)

	tests := []struct {
		name      string
		got, want []string
	}{
		{"doc status", enumAt("case_doc", "properties", "status"), sortedSet(docStatuses)},
		{"set round", roundEnum, sortedSet(RoundModes)},
		{"variable type", typeConsts, sortedSet(varTypeNames)},
		{"retry on", enumAt("retry_kind"), sortedSet(RetryKinds)},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: schema enum = %v, want the parser's %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestSchemaKPIs checks the KPI patterns against the parser's metric and
// operator tables: every metric with every operator is valid in both.
func TestSchemaKPIs(t *testing.T) {
	sch := compileSchema(t, "#/$defs/kpi")
	for _, metric := range metrics.KPIs.Names() {
		for _, op := range kpiOps {
			kpi := metric + " " + op + " 1"
			if _, err := ParseKPI(kpi); err != nil {
				t.Errorf("ParseKPI(%q) = %v, want ok", kpi, err)
			}
			if err := sch.Validate(kpi); err != nil {
				t.Errorf("schema rejects KPI %q: %v", kpi, err)
			}
		}
	}
	tests := []struct {
		kpi string
		ok  bool
	}{
		{"tp99 < 300ms", true},
		{"tp99.9<=1.5s", true},
		{"avg_rt < 250us", true},
		{"success_rate >= 99.5%", true},
		{"max_recv_bytes < 64 KB", true},
		{"tps >= 400/s", true},
		{"failed_timeout == 0", true},
		{"tp99 < 300KB", false}, // a size is not a time
		{"success_rate >= 99ms", false},
		{"requests > 10/s", false}, // counts take no unit
		{"p99 < 300ms", false},     // unknown metric
		{"tp99 300ms", false},      // no operator
		{"tp99 < fast", false},     // not a number
		{"queue_ms.tp95 < 50", true},
		{"orders.rate >= 2/s", true},
		{"orders.total > 10/s", false}, // only a rate takes /s
		{"queue_ms.p95 < 50", false},   // not a stat
	}
	for _, tt := range tests {
		_, perr := ParseKPI(tt.kpi)
		serr := sch.Validate(tt.kpi)
		if (perr == nil) != tt.ok {
			t.Errorf("ParseKPI(%q) error = %v, want ok=%v", tt.kpi, perr, tt.ok)
		}
		if (serr == nil) != tt.ok {
			t.Errorf("schema on KPI %q: error = %v, want ok=%v", tt.kpi, serr, tt.ok)
		}
	}
}

// snippetScenario wraps steps, stages or variables into a whole scenario, so snippets
// stay short. The placeholders are replaced as given.
func snippetScenario(variables, steps, stages string) string {
	if variables == "" {
		variables = "{}"
	}
	if steps == "" {
		steps = `[{http: "http://127.0.0.1:8080/"}]`
	}
	if stages == "" {
		stages = "[{concurrency: 1, duration: 1s}]"
	}
	return fmt.Sprintf("name: t\nvariables: %s\ncases:\n  - name: c\n    steps: %s\n    stages: %s\n", variables, steps, stages)
}

// snippetTests are small scenarios that exercise each shorthand and each
// rule the schema encodes; ok says whether both must accept or both
// refuse.
var snippetTests = []struct {
	name string
	src  string
	ok   bool
}{
	// Shorthands and alternative shapes the parser accepts.
	{"http URL shorthand", snippetScenario("", "", ""), true},
	{"text, list and typed variables", snippetScenario(`{a: x, b: [1, 2], c: {min: 1, max: 9}, d: {type: list, values: [x]}, e: {value: s, sensitive: true}, f: {path: u.csv, delimiter: "\\t"}}`, "", ""), true},
	{"think shorthand and range", snippetScenario("", "[{think: 1s}, {think: {min: 100ms, max: 2s}}]", ""), true},
	{"loop forms", snippetScenario("", `[{loop: 3, steps: [{think: 1s}]}, {loop: {count: 2}, steps: [{break: true}]}, {loop: {while: "true", max: 5}, steps: [{break: "1 == 1"}]}]`, ""), true},
	{"check forms", snippetScenario("", `[{http: "http://h/", check: [status == 200, {status: 200}, {status: [200, 2xx]}, {header: X, exists: true}, {body: true, contains: ok}, {jsonpath: $.a, in: [1, 2]}, {rt: true, lt: 300ms}], check_mode: or}]`, ""), true},
	{"retry forms", snippetScenario("", `[{http: "http://h/", retry: 2}, {http: "http://h/", retry: {count: 3, interval: 1s}}]`, ""), true},
	{"retry on forms", snippetScenario("", `[{http: "http://h/", retry: {count: 2, on: timeout}}, {tcp: {address: "h:1"}, retry: {count: 1, interval: 1s, on: [check, parse, refused, reset, other]}}]`, ""), true},
	{"headers as mapping and as list", snippetScenario("", `[{http: {url: "http://h/", headers: {A: "1"}, query: [{key: q, value: x}, {key: q, value: y}]}}]`, ""), true},
	{"multipart as mapping and list", snippetScenario("", `[{http: {method: post, url: "http://h/", multipart: {a: x, f: {file: f.txt, content_type: text/plain}}}}, {http: {url: "http://h/", multipart: [{name: a, value: x}]}}]`, ""), true},
	{"redirects forms", snippetScenario("", `[{http: {url: "http://h/", redirects: false}}, {http: {url: "http://h/", redirects: 3}}]`, ""), true},
	{"socket read forms", snippetScenario("", `[{tcp: {address: "h:1", read: none}}, {tcp: {address: "h:1", payload: "0a ff", hex: true, read: {length: 2}}}, {udp: {address: "h:1", read: datagram}}, {tcp: {address: "h:1", read: false}}]`, ""), true},
	{"ws actions", snippetScenario("", `[{ws: {url: "ws://h/", actions: [{send: hi}, {send_binary: "cafe"}, {receive: 2}, {receive: {until: "body == 'x'", max: 5}}, {ping: }, {close: }]}}]`, ""), true},
	{"streaming steps", snippetScenario("", `[{hls: {url: "http://h/live.m3u8", duration: 10s, variant: highest, retry_delay: 1s, retries: 5}}, {flv: {url: "https://h/live.flv", duration: 1m, stall_after: 500ms, tls_verify: false}}, {rtmp: {url: "rtmp://h/live/s", duration: 5s, timeout: 2s}, continue_on_failure: true, kpis: [tp99 < 20s]}]`, ""), true},
	{"mqtt actions", snippetScenario("", `[{mqtt: {broker: "tcp://h:1883", client_id: "c-${__VU}", clean_session: false, keep_alive: 30s, will: {topic: w, payload: bye, qos: 1, retain: true}, connect: true}}, {mqtt: {broker: "tcp://h", subscribe: [a/+/c, {topic: "d/#", qos: 2}]}}, {mqtt: {broker: "tcp://h", subscribe: x}}, {mqtt: {broker: "tcp://h", publish: {topic: a, payload: "${sendstamp()}", qos: 1}}}, {mqtt: {broker: "tcp://h", receive: {until: "body == 'x'", max: 3, timeout: 1s}}, check: body contains "x"}, {mqtt: {broker: "tcp://h", receive: 2}}, {mqtt: {broker: "tcp://h", unsubscribe: [a, b]}}, {mqtt: {broker: "tcp://h", disconnect: }}]`, ""), true},
	{"streaming step without duration", snippetScenario("", `[{hls: {url: "http://h/a.m3u8"}}]`, ""), false},
	{"hls variant unknown", snippetScenario("", `[{hls: {url: "http://h/a.m3u8", duration: 1s, variant: best}}]`, ""), false},
	{"flv has no variant", snippetScenario("", `[{flv: {url: "http://h/a.flv", duration: 1s, variant: first}}]`, ""), false},
	{"rtmp publish with stall_after", snippetScenario("", `[{rtmp: {url: "rtmp://h/a/b", duration: 1s, publish: c.flv, stall_after: 1s}}]`, ""), false},
	{"check on a streaming step", snippetScenario("", `[{flv: {url: "http://h/a.flv", duration: 1s}, check: body contains "x"}]`, ""), false},
	{"mqtt without action", snippetScenario("", `[{mqtt: {broker: "tcp://h"}}]`, ""), false},
	{"mqtt with two actions", snippetScenario("", `[{mqtt: {broker: "tcp://h", connect: true, disconnect: true}}]`, ""), false},
	{"mqtt qos 3", snippetScenario("", `[{mqtt: {broker: "tcp://h", publish: {topic: a, qos: 3}}}]`, ""), false},
	{"mqtt publish without topic", snippetScenario("", `[{mqtt: {broker: "tcp://h", publish: {payload: x}}}]`, ""), false},
	{"mqtt cert without key", snippetScenario("", `[{mqtt: {broker: "ssl://h", cert: c.pem, connect: true}}]`, ""), false},
	{"mqtt receive count and until", snippetScenario("", `[{mqtt: {broker: "tcp://h", receive: {count: 1, until: "true"}}}]`, ""), false},
	{"mqtt connect with a value", snippetScenario("", `[{mqtt: {broker: "tcp://h", connect: {client_id: x}}}]`, ""), false},
	{"set forms", snippetScenario("", `[{set: {a: "x${b}", b: {expr: "1 + 2", round: half_even, scale: 2}}, once: true}]`, ""), true},
	{"controllers", snippetScenario("", `[{rendezvous: {name: r, users: 2}}, {weighted: {mode: fixed, branches: [{weight: 1, steps: [{think: 1s}]}]}}, {throughput: {percent: 50}, steps: [{think: 1s}]}, {plugin: {name: p, params: {a: b}}, disabled: true}]`, ""), true},
	{"if elif else", snippetScenario("", `[{if: "a == 'x'", steps: [{think: 1s}], elif: [{if: "true", steps: [{think: 1s}]}], else: [{think: 1s}]}]`, ""), true},
	{"count mode", snippetScenario("", "", "[{concurrency: 5, count: 100}, {tps: 10, count: 100, max_vus: 5}]"), true},
	{"disabled case needs no stages", "cases: [{name: c, disabled: true, steps: [{think: 1s}]}]", true},
	{"transaction list and mapping", "transactions: {a: [{think: 1s}], b: {description: d, steps: [{think: 1s}], kpis: tp99 < 1s}}\ncases: [{name: c, steps: [{transaction: a}], stages: [{concurrency: 1, duration: 1s}]}]", true},

	// Mistakes both must refuse.
	{"unknown top-level key", "nme: x\ncases: []", false},
	{"no cases", "name: x", false},
	{"misspelt step kind", snippetScenario("", "[{thnk: 1s}]", ""), false},
	{"two kinds in one step", snippetScenario("", `[{think: 1s, http: "http://h/"}]`, ""), false},
	{"modifier on the wrong kind", snippetScenario("", "[{think: 1s, retry: 2}]", ""), false},
	{"retry on ws", snippetScenario("", `[{ws: {url: "ws://h/"}, retry: 1}]`, ""), false},
	{"duration without unit", snippetScenario("", "[{think: 30}]", ""), false},
	{"retry above 100", snippetScenario("", `[{http: "http://h/", retry: 101}]`, ""), false},
	{"retry on unknown kind", snippetScenario("", `[{http: "http://h/", retry: {count: 2, on: [timeout, network]}}]`, ""), false},
	{"retry on nothing", snippetScenario("", `[{http: "http://h/", retry: {count: 2, on: []}}]`, ""), false},
	{"retry without count", snippetScenario("", `[{http: "http://h/", retry: {on: timeout}}]`, ""), false},
	{"check_mode unknown", snippetScenario("", `[{http: "http://h/", check_mode: xor}]`, ""), false},
	{"body and payload value shorthand", snippetScenario("", `[{http: "http://h/", check: [{body: ok}, {body: [a, b]}]}, {tcp: {address: "127.0.0.1:9"}, check: {payload: pong}}]`, ""), true},
	{"rt has no value shorthand", snippetScenario("", `[{http: "http://h/", check: {rt: 300ms}}]`, ""), false},
	{"check with two subjects", snippetScenario("", `[{http: "http://h/", check: {status: true, body: true, equals: "1"}}]`, ""), false},
	{"header check without comparison", snippetScenario("", `[{http: "http://h/", check: {header: X}}]`, ""), false},
	{"two bodies", snippetScenario("", `[{http: {url: "http://h/", body: x, json: {a: 1}}}]`, ""), false},
	{"http without url", snippetScenario("", "[{http: {method: GET}}]", ""), false},
	{"http version unknown", snippetScenario("", `[{http: {url: "http://h/", version: HTTP/3}}]`, ""), false},
	{"http version 2", snippetScenario("", `[{http: {url: "http://h/", version: "2"}}]`, ""), true},
	{"http version HTTP/2.0", snippetScenario("", `[{http: {url: "https://h/", version: HTTP/2.0}}]`, ""), true},
	{"soft checks", snippetScenario("", `[{http: "http://h/", soft_check: [status == 200, {body: true, contains: x}]}]`, ""), true},
	{"soft check on think", snippetScenario("", `[{think: 1s, soft_check: status == 200}]`, ""), false},
	{"metric of each kind", snippetScenario("", `[{metric: {name: a, counter: 1}}, {metric: {name: b, gauge: "2"}}, {metric: {name: c, trend: __ITER}}]`, ""), true},
	{"metric without kind", snippetScenario("", `[{metric: {name: a}}]`, ""), false},
	{"metric of two kinds", snippetScenario("", `[{metric: {name: a, gauge: 1, trend: 1}}]`, ""), false},
	{"metric named badly", snippetScenario("", `[{metric: {name: 1a, counter: 1}}]`, ""), false},
	{"together", snippetScenario("", `[{together: [{http: "http://h/a"}, {http: {url: "http://h/b", version: "2"}, check: status == 200}], name: page}]`, ""), true},
	{"together with a think", snippetScenario("", `[{together: [{http: "http://h/a"}, {think: 1s}]}]`, ""), false},
	{"together empty", snippetScenario("", `[{together: []}]`, ""), false},
	{"name on a request step", snippetScenario("", `[{http: "http://h/a", name: x}]`, ""), false},
	{"transaction with arguments", "transactions: {t: [{http: \"http://h/${u}\"}]}\ncases: [{name: c, steps: [{transaction: {name: t, with: {u: x}}}], stages: [{concurrency: 1, duration: 1s}]}]", true},
	{"transaction call without name", "transactions: {t: [{think: 1s}]}\ncases: [{name: c, steps: [{transaction: {with: {u: x}}}], stages: [{concurrency: 1, duration: 1s}]}]", false},
	{"before and after", "before: [{http: \"http://h/login\"}]\nafter: [{think: 1s}]\ncases: [{name: c, steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", true},
	{"multipart value and file", snippetScenario("", `[{http: {url: "http://h/", multipart: {a: {value: x, file: f}}}}]`, ""), false},
	{"udp has no close", snippetScenario("", `[{udp: {address: "h:1", close: true}}]`, ""), false},
	{"tcp cannot read a datagram", snippetScenario("", `[{tcp: {address: "h:1", read: datagram}}]`, ""), false},
	{"read with two ends", snippetScenario("", `[{tcp: {address: "h:1", read: {length: 1, until: x}}}]`, ""), false},
	{"bad hex payload", snippetScenario("", `[{tcp: {address: "h:1", payload: "0g", hex: true}}]`, ""), false},
	{"ws action with two kinds", snippetScenario("", `[{ws: {url: "ws://h/", actions: [{send: a, ping: b}]}}]`, ""), false},
	{"ws connection unknown", snippetScenario("", `[{ws: {url: "ws://h/", connection: pass}}]`, ""), false},
	{"extract two ways", snippetScenario("", `[{http: "http://h/", extract: {t: {jsonpath: $.a, regex: "a"}}}]`, ""), false},
	{"extract from body without a rule", snippetScenario("", `[{http: "http://h/", extract: {t: {default: x}}}]`, ""), false},
	{"extract jsonpath from a header", snippetScenario("", `[{http: "http://h/", extract: {t: {header: X, jsonpath: $.a}}}]`, ""), false},
	{"extract group without regex", snippetScenario("", `[{http: "http://h/", extract: {t: {left: a, group: 1}}}]`, ""), false},
	{"extract match zero", snippetScenario("", `[{http: "http://h/", extract: {t: {regex: a, match: 0}}}]`, ""), false},
	{"extract bad variable name", snippetScenario("", `[{http: "http://h/", extract: {1t: {regex: a}}}]`, ""), false},
	{"loop zero", snippetScenario("", "[{loop: 0, steps: [{think: 1s}]}]", ""), false},
	{"loop count and while", snippetScenario("", `[{loop: {count: 1, while: "true"}, steps: [{think: 1s}]}]`, ""), false},
	{"loop without steps", snippetScenario("", "[{loop: 2}]", ""), false},
	{"elif without if", snippetScenario("", `[{if: "true", steps: [{think: 1s}], elif: [{steps: []}]}]`, ""), false},
	{"set round unknown", snippetScenario("", `[{set: {a: {expr: "1", round: nearest}}}]`, ""), false},
	{"set scale above 32", snippetScenario("", `[{set: {a: {expr: "1", scale: 33}}}]`, ""), false},
	{"set nothing", snippetScenario("", "[{set: {}}]", ""), false},
	{"rendezvous without users", snippetScenario("", "[{rendezvous: {name: r}}]", ""), false},
	{"weighted mode unknown", snippetScenario("", "[{weighted: {mode: sticky, branches: [{weight: 1, steps: [{think: 1s}]}]}}]", ""), false},
	{"weight out of range", snippetScenario("", "[{weighted: {branches: [{weight: 10001, steps: [{think: 1s}]}]}}]", ""), false},
	{"throughput two limits", snippetScenario("", "[{throughput: {rps: 1, total: 5}, steps: [{think: 1s}]}]", ""), false},
	{"throughput percent above 100", snippetScenario("", "[{throughput: {percent: 150}, steps: [{think: 1s}]}]", ""), false},
	{"plugin without name", snippetScenario("", "[{plugin: {params: {a: b}}}]", ""), false},
	{"variable type unknown", snippetScenario("{a: {type: float, value: 1}}", "", ""), false},
	{"integer variable without max", snippetScenario("{a: {min: 1}}", "", ""), false},
	{"key of another variable type", snippetScenario("{a: {type: integer, min: 1, max: 2, values: [x]}}", "", ""), false},
	{"mode unknown", snippetScenario("{a: {values: [x], mode: shuffled}}", "", ""), false},
	{"share unknown", snippetScenario("{a: {values: [x], share: all}}", "", ""), false},
	{"bad variable name", snippetScenario("{1a: x}", "", ""), false},
	{"empty list variable", snippetScenario("{a: []}", "", ""), false},
	{"long delimiter", snippetScenario("{a: {path: u.csv, delimiter: ';;'}}", "", ""), false},
	{"on_end forms", snippetScenario("{a: {path: u.csv, on_end: stop}, b: {path: u.csv, on_end: wrap, mode: random}, c: {path: u.csv, on_end: stop, share: vu, once: true, mode: sequential}}", "", ""), true},
	{"on_end unknown", snippetScenario("{a: {path: u.csv, on_end: recycle}}", "", ""), false},
	{"on_end stop with random reads", snippetScenario("{a: {path: u.csv, on_end: stop, mode: random}}", "", ""), false},
	{"on_end on a list", snippetScenario("{a: {values: [x], on_end: stop}}", "", ""), false},
	{"case without name", "cases: [{steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", false},
	{"case without stages", "cases: [{name: c, steps: [{think: 1s}]}]", false},
	{"case without steps", "cases: [{name: c, stages: [{concurrency: 1, duration: 1s}]}]", false},
	{"log_policy unknown", "cases: [{name: c, log_policy: step, steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", false},
	{"doc rank unknown", "cases: [{name: c, doc: {rank: L5}, steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", false},
	{"doc status unknown", "cases: [{name: c, doc: {status: draft}, steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", false},
	{"stage without shape", snippetScenario("", "", "[{duration: 1m}]"), false},
	{"stage with two shapes", snippetScenario("", "", "[{concurrency: 1, tps: 2, duration: 1m}]"), false},
	{"stage with duration and count", snippetScenario("", "", "[{concurrency: 1, duration: 1m, count: 10}]"), false},
	{"stage without duration or count", snippetScenario("", "", "[{concurrency: 1}]"), false},
	{"count on a probing stage", snippetScenario("", "", "[{peak_probe: {start: 1, max: 9, ramp_up: 1m, kpis: tp99 < 1s}, count: 100}]"), false},
	{"manual with count", snippetScenario("", "", "[{concurrency: 5, count: 100, manual: true}]"), false},
	{"max_vus on concurrency", snippetScenario("", "", "[{concurrency: 5, max_vus: 9, duration: 1m}]"), false},
	{"start_tps on concurrency", snippetScenario("", "", "[{concurrency: 5, start_tps: 1, duration: 1m}]"), false},
	{"concurrency zero", snippetScenario("", "", "[{concurrency: 0, duration: 1m}]"), false},
	{"tps zero", snippetScenario("", "", "[{tps: 0, duration: 1m}]"), false},
	{"peak_probe without kpis", snippetScenario("", "", "[{peak_probe: {start: 1, max: 9, ramp_up: 1m}, duration: 2m}]"), false},
	{"step_probe without step_size", snippetScenario("", "", "[{step_probe: {start: 1, max: 9, step_duration: 10s, kpis: tp99 < 1s}, duration: 2m}]"), false},
	{"surge without hold", snippetScenario("", "", "[{surge_concurrency: {min: 1, max: 9, loops: 2}, duration: 2m}]"), false},
	{"hold on oscillation", snippetScenario("", "", "[{oscillate_tps: {min: 1, max: 9, loops: 2, hold: 5s}, duration: 2m}]"), false},
	{"fractional surge VUs", snippetScenario("", "", "[{surge_concurrency: {min: 1.5, max: 9, loops: 2, hold: 5s}, duration: 2m}]"), false},
	{"bad kpi", "cases: [{name: c, kpis: [p99 < 1s], steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", false},
	{"sla without kpi", "cases: [{name: c, sla: [{action: stop}], steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", false},
	{"sla action unknown", "cases: [{name: c, sla: [{kpi: avg_rt < 1s, action: warn}], steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", false},
	{"sla breaches zero", "cases: [{name: c, sla: [{kpi: avg_rt < 1s, breaches: 0}], steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", false},
}

// TestSnippetsAgree runs each snippet through the parser and the schema;
// both must accept it, or both refuse it.
func TestSnippetsAgree(t *testing.T) {
	sch := compileSchema(t, "")
	for _, tt := range snippetTests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if !strings.HasPrefix(src, "name:") {
				// Every scenario needs a name; the snippets are about the rest.
				src = "name: snippet\n" + src
			}
			_, perr := Parse("snippet.yaml", []byte(src))
			serr := sch.Validate(yamlValue(t, []byte(src)))
			if (perr == nil) != tt.ok {
				t.Errorf("Parse: error = %v, want ok=%v\n%s", perr, tt.ok, tt.src)
			}
			if (serr == nil) != tt.ok {
				t.Errorf("schema: error = %v, want ok=%v\n%s", serr, tt.ok, tt.src)
			}
		})
	}
}

// TestSchemaDescribesEveryProperty walks the schema: an editor shows a
// property's description on hover, so none may be missing.
func TestSchemaDescribesEveryProperty(t *testing.T) {
	defs := schemaDefs(t)
	var root map[string]any
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatal(err)
	}
	described := func(s map[string]any) bool {
		if d, _ := s["description"].(string); d != "" {
			return true
		}
		if ref, ok := s["$ref"].(string); ok {
			target, _ := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			d, _ := target["description"].(string)
			return d != ""
		}
		return false
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			// Only object schemas declare properties; a bare "properties"
			// inside if/then/not/oneOf restates one to test its value, and
			// its description is in the declaring schema.
			if props, ok := x["properties"].(map[string]any); ok && x["type"] == "object" {
				for name, p := range props {
					if ps, _ := p.(map[string]any); !described(ps) {
						t.Errorf("%s/properties/%s has no description", path, name)
					}
				}
			}
			for k, e := range x {
				walk(path+"/"+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s/%d", path, i), e)
			}
		}
	}
	walk("#", root)
}

func TestSchemaIdentity(t *testing.T) {
	var root struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
	}
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatal(err)
	}
	if root.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q, want draft 2020-12", root.Schema)
	}
	if root.ID != SchemaID {
		t.Errorf("$id = %q, want SchemaID %q", root.ID, SchemaID)
	}
	// Schema hands out copies: changing one must not change the next.
	a := Schema()
	a[0] = 'x'
	if b := Schema(); b[0] == 'x' {
		t.Error("Schema() returned the embedded bytes, not a copy")
	}
}

// docCompileOptions compiles the language reference's scenarios as if they
// sat in examples/, whose data files they name, with the environment
// variables they use.
var docCompileOptions = Options{
	LookupEnv: func(k string) (string, bool) { return "doc-" + k, true },
	ReadFile: func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join("..", "examples", p)
		}
		return os.ReadFile(p)
	},
}

// TestLanguageDocKPIDirections keeps the reference's word on which way
// each KPI metric is better the table's.
func TestLanguageDocKPIDirections(t *testing.T) {
	text, err := os.ReadFile(languageDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, para, _ := strings.Cut(string(text), "a metric is better higher when it is one\nof ")
	para, _, _ = strings.Cut(para, ", and\nbetter lower")
	var doc []string
	for _, m := range regexp.MustCompile("`([a-z_.0-9]+)`").FindAllStringSubmatch(para, -1) {
		doc = append(doc, m[1])
	}
	var higher []string
	for _, m := range metrics.KPIs {
		if m.Better == metrics.Higher {
			higher = append(higher, m.Name)
		}
	}
	slices.Sort(doc)
	slices.Sort(higher)
	if len(doc) == 0 || !slices.Equal(doc, higher) {
		t.Errorf("%s says %v are better higher; the KPI table says %v", languageDoc, doc, higher)
	}
}
