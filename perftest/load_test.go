package perftest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/scenario"

	"github.com/perfcase/perfcase/internal/testsupport"
)

// ldCase is a CreateCase body with one GET and the given stages.
func ldCase(stages string) string {
	return `{
  "name": "c",
  "contents": [{"content": [{"content_type": 2, "content": {"name": "get", "protocol_type": 1, "url": "http://127.0.0.1:1/"}}]}],
  "stages": [` + stages + `]
}`
}

const ldFlowYAML = `{name: flow, cases: [{name: c, steps: [{http: {url: "http://127.0.0.1:1/"}}], stages: [{concurrency: 1, duration: 1s}]}]}`

// Open tells PerfTest case JSON from YAML by what the document holds,
// never by its name or its first byte.
func TestOpenTellsFormatsByContent(t *testing.T) {
	reference := string(ptRead(t, "testdata/create_case.json"))
	rich := string(ptRead(t, "testdata/rich.json"))
	tests := []struct {
		name, body string
		want       string
	}{
		{"the reference's CreateCase body, in a .yaml file", reference, JSON.Format()},
		{"perfcase's wrapper", rich, JSON.Format()},
		{"a QueryCase response", `{"code": "x", "test_case": ` + ldCase(`{"pressure_mode": 0, "time": 1, "issue_num": 1}`) + `}`, JSON.Format()},
		{"a wrapper whose variables are a list", `{"name": "w", "variables": [], "cases": [{"name": "c", "steps": []}]}`, JSON.Format()},
		{"a wrapper whose cases are CreateCase bodies", `{"name": "w", "cases": [` + ldCase(`{"pressure_mode": 0, "time": 1, "issue_num": 1}`) + `]}`, JSON.Format()},
		{"YAML in flow style, in a .json file", ldFlowYAML, "YAML"},
		{"YAML written as JSON", `{"name": "j", "cases": [{"name": "c", "steps": [{"http": {"url": "http://127.0.0.1:1/"}}], "stages": [{"concurrency": 1, "duration": "1s"}]}]}`, "YAML"},
		{"YAML in block style", "name: b\ncases:\n  - name: c\n    steps: [{think: 1s}]\n    stages: [{concurrency: 1, duration: 1s}]\n", "YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ext := map[string]string{"YAML": "s.json", JSON.Format(): "s.yaml"}[tt.want]
			l, err := scenario.Open(testsupport.WriteTemp(t, ext, tt.body), ldOptions(scenario.Options{ParseOnly: tt.want == JSON.Format()}))
			if l == nil {
				t.Fatalf("Open: %v", err)
			}
			if l.Format != tt.want {
				t.Errorf("Open read it as %v, want %v (error: %v)", l.Format, tt.want, err)
			}
			if tt.want == "YAML" && err != nil {
				t.Errorf("Open: %v", err)
			}
		})
	}
}

// A broken PerfTest case is reported as broken JSON, at its line, even
// though it is no JSON document to go by.
func TestOpenBrokenPerfTestJSON(t *testing.T) {
	p := testsupport.WriteTemp(t, "case.txt", "{\n  \"name\": \"c\",\n  \"contents\": [],\n}\n")
	_, err := scenario.Open(p, ldOptions(scenario.Options{}))
	if err == nil || !strings.Contains(err.Error(), p+":4:1: invalid JSON") {
		t.Errorf("got %v, want invalid JSON at %s:4:1", err, p)
	}
}

// A PerfTest case goes through every check a YAML scenario does, and each
// error names the JSON's line, column and JSONPath.
func TestOpenChecksPerfTestLikeYAML(t *testing.T) {
	tests := []struct {
		name, stage string
		want        string
	}{
		{"surge peaks that do not fit",
			`{"name": "s", "operate_mode": 0, "pressure_mode": 3, "time": 5,
     "minimum": 1, "maximum": 3, "loop_count": 2, "max_duration": 15}`,
			":5:51: $.stages[0].max_duration: 2 peaks of 15s do not fit in the stage's 5s"},
		{"a peak probe ramp longer than its stage",
			`{"name": "p", "operate_mode": 0, "pressure_mode": 2, "time": 5, "current_user_num": 1, "issue_num": 5,
     "ramp_up": 30, "peak_load_kpis": {"success_rate": {"comparison": ">=", "value": 99}}}`,
			":5:6: $.stages[0].ramp_up: ramp_up 30s is longer than the stage (5s)"},
		{"a surge TPS stage whose max is below its min",
			`{"pressure_mode": 4, "time": 60, "minimum": 9, "maximum": 3, "loop_count": 1, "max_duration": 5}`,
			":4:61: $.stages[0].maximum: max 3 is below min 9"},
		{"a concurrency stage of zero VUs",
			`{"pressure_mode": 0, "time": 60, "issue_num": 0}`,
			":4:60: $.stages[0].issue_num: concurrency must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testsupport.WriteTemp(t, "case.json", ldCase(tt.stage))
			for _, parseOnly := range []bool{false, true} {
				l, err := scenario.Open(p, ldOptions(scenario.Options{ParseOnly: parseOnly}))
				if err == nil || !strings.Contains(err.Error(), p+tt.want) {
					t.Errorf("ParseOnly %v: got\n%v\nwant it to contain %q", parseOnly, err, p+tt.want)
				}
				if l == nil || l.Plan != nil {
					t.Errorf("ParseOnly %v: an invalid case must have no Plan", parseOnly)
				}
			}
		})
	}
}

// Names and templates are checked too: an error inside a JSON string
// points at its column, and the JSONPath names the field.
func TestOpenPerfTestCompileErrors(t *testing.T) {
	p := testsupport.WriteTemp(t, "case.json", `{"name": "c",
 "contents": [{"content": [{"content_type": 2, "content": {"name": "get", "protocol_type": 1, "url": "http://h/${nope}"}},
                           {"content_type": 3, "content": {"checks": [{"subject": "expression", "value": "stauts == 200"}]}}]}],
 "stages": [{"pressure_mode": 0, "time": 60, "issue_num": 1}]}`)
	_, err := scenario.Open(p, ldOptions(scenario.Options{}))
	var list scenario.ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("got %v, want 2 errors", err)
	}
	want := []struct {
		pos  string
		path string
		msg  string
	}{
		{p + ":2:114", "$.contents[0].content[0].content.url", `unknown variable "nope"`},
		{p + ":3:107", "$.contents[0].content[1].content.checks[0].value", "unknown name stauts"},
	}
	for i, w := range want {
		e := list[i]
		if e.Pos.String() != w.pos || e.Path != w.path || !strings.Contains(e.Msg, w.msg) {
			t.Errorf("error %d: got %s %s %q, want %s %s %q", i, e.Pos, e.Path, e.Msg, w.pos, w.path, w.msg)
		}
	}
}

// A PerfTest case on standard input is told apart and run like a file.
func TestOpenStdin(t *testing.T) {
	l, err := scenario.Open("-", ldOptions(scenario.Options{Stdin: strings.NewReader(ldCase(`{"pressure_mode": 0, "time": 60, "issue_num": 2}`))}))
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "<stdin>" || l.Format != JSON.Format() || l.Plan == nil || l.Plan.Cases[0].Stages[0].VUs != 2 {
		t.Errorf("Open(-): name %q, format %v, plan %v", l.Name, l.Format, l.Plan)
	}
}

// ptModeStage is a stage of the given pressure mode with a value other than
// the default in every field, each valid for every mode.
func ptModeStage(mode, operate int, withCurrentUsers bool) map[string]any {
	st := map[string]any{
		"name": "s", "operate_mode": operate, "pressure_mode": mode, "time": 60, "count": 500,
		"start_time": 1, "end_time": 2, "issue_num": 40, "current_user_num": 4, "tps_value": 50,
		"current_tps": 5, "voltage_regulating_mode": 1, "maximum": 30, "minimum": 3, "loop_count": 2,
		"max_duration": 5, "ramp_up": 20, "step_duration": 10, "step_size": 2,
		"peak_load_kpis": map[string]any{"average_response_time": map[string]any{"comparison": "<=", "value": 500}},
	}
	if !withCurrentUsers {
		delete(st, "current_user_num")
	}
	return st
}

// ptImportStage imports a case with stage st and returns the Stage, the
// JSONPaths of the notes, and the error of the whole load.
func ptImportStage(t *testing.T, st map[string]any) (*scenario.Stage, []string, error) {
	t.Helper()
	doc, err := json.MarshalIndent(map[string]any{
		"name":     "c",
		"contents": []any{map[string]any{"content": []any{map[string]any{"content_type": 2, "content": map[string]any{"name": "get", "protocol_type": 1, "url": "http://127.0.0.1:1/"}}}}},
		"stages":   []any{st},
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	l, err := scenario.Open(testsupport.WriteTemp(t, "case.json", string(doc)), ldOptions(scenario.Options{}))
	if l == nil || l.File == nil {
		t.Fatalf("not imported: %v", err)
	}
	var noted []string
	for _, n := range l.Notes {
		noted = append(noted, strings.TrimPrefix(n.Path, "$.stages[0]."))
	}
	return l.File.Cases[0].Stages[0], noted, err
}

// The table of which stage fields each pressure mode reads: a field it
// reads changes the stage, any other field does not and is noted when it
// carries a value. Every mode's stage, the others' values and all, is a
// valid scenario.
func TestPerfTestStageFieldsByMode(t *testing.T) {
	type row struct {
		name             string
		mode, operate    int
		withCurrentUsers bool
	}
	var rows []row
	for mode := range 8 {
		rows = append(rows, row{fmt.Sprintf("%s by duration", pressureModes[mode]), mode, 0, true})
		rows = append(rows, row{fmt.Sprintf("%s with operate_mode 1", pressureModes[mode]), mode, 1, true})
	}
	rows = append(rows, row{"concurrency without current_user_num", 0, 0, false})
	bump := func(v any) any {
		switch x := v.(type) {
		case int:
			if x == 1 {
				return 0 // codes: manual regulation off
			}
			return x + 1
		case map[string]any:
			return map[string]any{"success_rate": map[string]any{"comparison": ">=", "value": 99}}
		}
		panic(fmt.Sprintf("no way to change %v", v))
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			st := ptModeStage(r.mode, r.operate, r.withCurrentUsers)
			reads := ptReadsOf(map[string]any{"operate_mode": float64(r.operate), "pressure_mode": float64(r.mode), "current_user_num": st["current_user_num"]})
			if !r.withCurrentUsers {
				reads = ptReadsOf(map[string]any{"operate_mode": float64(r.operate), "pressure_mode": float64(r.mode)})
			}
			base, noted, err := ptImportStage(t, st)
			if err != nil {
				t.Errorf("the stage does not validate: %v", err)
			}
			var wantNoted []string
			for _, f := range []string{"operate_mode", "time", "count", "start_time", "end_time", "issue_num", "current_user_num", "tps_value", "current_tps",
				"voltage_regulating_mode", "maximum", "minimum", "loop_count", "max_duration", "ramp_up", "peak_load_kpis", "step_duration", "step_size"} {
				v, ok := st[f]
				if !ok || v == 0 || slices.Contains(reads, f) {
					continue
				}
				wantNoted = append(wantNoted, f)
			}
			slices.Sort(noted)
			slices.Sort(wantNoted)
			if !slices.Equal(noted, wantNoted) {
				t.Errorf("notes for %q, want %q", noted, wantNoted)
			}
			for f, v := range st {
				if f == "name" || f == "pressure_mode" || f == "operate_mode" {
					continue
				}
				changed := map[string]any{}
				for k, x := range st {
					changed[k] = x
				}
				changed[f] = bump(v)
				got, _, _ := ptImportStage(t, changed)
				if differs := !reflect.DeepEqual(got, base); differs != slices.Contains(reads, f) {
					t.Errorf("changing %s changes the stage: %v, want %v", f, differs, !differs)
				}
			}
		})
	}
}

// The three measured bugs of PerfTest stages.
func TestPerfTestStageBugs(t *testing.T) {
	// A TPS stage of 200/s for 10 s beside the reference's ramp_up: 30,
	// peak probing's field, is 200/s from the start: 2,000 passes.
	st, noted, err := ptImportStage(t, map[string]any{"pressure_mode": 1, "time": 10, "tps_value": 200, "issue_num": 50, "ramp_up": 30})
	if err != nil || st.RampUp != 0 || st.StartTPS != 200 || st.TPS != 200 || !slices.Contains(noted, "ramp_up") {
		t.Errorf("TPS with ramp_up: ramp %v, from %g to %g/s, notes %q, err %v; want no ramp, 200/s throughout, ramp_up noted", st.RampUp, st.StartTPS, st.TPS, noted, err)
	}
	// A concurrency stage with no current_user_num starts at issue_num,
	// whatever ramp_up says; a 30 s ramp no longer outlasts the 3 s stage.
	st, noted, err = ptImportStage(t, map[string]any{"pressure_mode": 0, "time": 3, "issue_num": 5, "ramp_up": 30})
	if err != nil || st.StartVUs != 5 || st.VUs != 5 || st.RampUp != 0 || !slices.Contains(noted, "ramp_up") {
		t.Errorf("concurrency without current_user_num: %d to %d VUs over %v, notes %q, err %v; want 5 VUs throughout", st.StartVUs, st.VUs, st.RampUp, noted, err)
	}
	// operate_mode 1 is for concurrency and TPS stages: a probe runs for
	// its time.
	for _, mode := range []int{2, 7} {
		st, noted, err = ptImportStage(t, map[string]any{"pressure_mode": mode, "operate_mode": 1, "count": 50, "time": 5, "current_user_num": 1, "issue_num": 5,
			"ramp_up": 2, "step_size": 1, "step_duration": 1, "peak_load_kpis": map[string]any{"success_rate": map[string]any{"comparison": ">=", "value": 99}}})
		if err != nil || st.Count != 0 || st.Duration != 5*time.Second || !slices.Contains(noted, "operate_mode") || !slices.Contains(noted, "count") {
			t.Errorf("%s with operate_mode 1: count %d, duration %v, notes %q, err %v; want a 5s stage", pressureModes[mode], st.Count, st.Duration, noted, err)
		}
	}
}

// docs/perftest-json.md's table of the stage fields each pressure mode
// reads is the table the tests hold (ptStageFields).
func TestPerfTestDocStageTable(t *testing.T) {
	doc := string(ptRead(t, "../docs/perftest-json.md"))
	fields := []string{"operate_mode", "time", "count", "start_time", "end_time", "issue_num", "current_user_num", "tps_value", "current_tps",
		"voltage_regulating_mode", "maximum", "minimum", "loop_count", "max_duration", "ramp_up", "peak_load_kpis", "step_duration", "step_size"}
	rows := 0
	for _, line := range strings.Split(doc, "\n") {
		var mode int
		var name string
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "| %d %s", &mode, &name); err != nil || !strings.Contains(line, "`time`") {
			continue
		}
		rows++
		_, reads, _ := strings.Cut(strings.TrimSpace(line)[1:], "|")
		var got []string
		for _, f := range fields {
			if strings.Contains(reads, "`"+f+"`") {
				got = append(got, f)
			}
		}
		want := []string{"time"}
		if mode <= 1 {
			want = append(want, "operate_mode", "count")
		}
		want = append(want, ptStageFields[mode]...)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("pressure_mode %d: the doc lists %q, the tests %q", mode, got, want)
		}
	}
	if rows != 8 {
		t.Errorf("found %d rows of the stage table in docs/perftest-json.md, want 8", rows)
	}
}
