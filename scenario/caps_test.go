package scenario

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Every cap the schema can carry as a maximum is the compiler's: a value
// at the cap compiles and validates against the schema, one past it is
// refused by both, and the compiler's error names the cap.
func TestCapsAgreeWithSchema(t *testing.T) {
	sch := compileSchema(t, "")
	stage := func(s string) func(v string) string {
		return func(v string) string { return snippetScenario("", "", "["+strings.ReplaceAll(s, "V", v)+"]") }
	}
	step := func(s string) func(v string) string {
		return func(v string) string { return snippetScenario("", "["+strings.ReplaceAll(s, "V", v)+"]", "") }
	}
	tests := []struct {
		name string
		src  func(v string) string
		cap  int64
	}{
		{"concurrency", stage("{concurrency: V, duration: 1m}"), MaxVUs},
		{"start_vus", stage("{concurrency: V, start_vus: V, duration: 1m}"), MaxVUs},
		{"concurrency count", stage("{concurrency: 1, count: V}"), MaxCount},
		{"tps", stage("{tps: V, duration: 1m}"), MaxTPS},
		{"start_tps", stage("{tps: V, start_tps: V, duration: 1m}"), MaxTPS},
		{"tps count", stage("{tps: 1, count: V}"), MaxCount},
		{"tps max_vus", stage("{tps: 1, max_vus: V, duration: 1m}"), MaxVUs},
		{"peak_probe max", stage("{peak_probe: {start: 1, max: V, ramp_up: 1m, kpis: avg_rt < 1s}, duration: 2m}"), MaxVUs},
		{"step_probe max", stage("{step_probe: {start: V, max: V, step_size: 1, step_duration: 1m, kpis: avg_rt < 1s}, duration: 2m}"), MaxVUs},
		{"step_probe step_size", stage("{step_probe: {start: 1, max: 10, step_size: V, step_duration: 1m, kpis: avg_rt < 1s}, duration: 2m}"), MaxVUs},
		{"surge_concurrency max", stage("{surge_concurrency: {min: V, max: V, loops: 1, hold: 1s}, duration: 1m}"), MaxVUs},
		{"oscillate_concurrency max", stage("{oscillate_concurrency: {min: 1, max: V, loops: 1}, duration: 1m}"), MaxVUs},
		{"surge_tps max", stage("{surge_tps: {min: 1, max: V, loops: 1, hold: 1s}, max_vus: 10, duration: 1m}"), MaxTPS},
		{"oscillate_tps max", stage("{oscillate_tps: {min: V, max: V, loops: 1}, duration: 1m}"), MaxTPS},
		{"loop count", step("{loop: V, steps: [{think: 1ms}]}"), MaxLoops},
		{"loop max", step(`{loop: {while: "true", max: V}, steps: [{think: 1ms}]}`), MaxLoops},
		{"rendezvous users", step("{rendezvous: {name: r, users: V}}"), MaxVUs},
		{"throughput total", step("{throughput: {total: V}, steps: [{think: 1ms}]}"), MaxCount},
		{"redirects", step(`{http: {url: "http://127.0.0.1:8080/", redirects: V}}`), MaxRedirectsCap},
		{"tcp read length", step(`{tcp: {address: "127.0.0.1:9", read: {length: V}}}`), MaxReadLength},
		{"udp read length", step(`{udp: {address: "127.0.0.1:9", read: {length: V}}}`), MaxReadLength},
		{"ws receive", step(`{ws: {url: "ws://127.0.0.1:8080/", actions: [{receive: V}]}}`), MaxLoops},
		{"ws receive count", step(`{ws: {url: "ws://127.0.0.1:8080/", actions: [{receive: {count: V}}]}}`), MaxLoops},
		{"ws receive max", step(`{ws: {url: "ws://127.0.0.1:8080/", actions: [{receive: {until: "true", max: V}}]}}`), MaxLoops},
		{"hls retries", step(`{hls: {url: "http://127.0.0.1:8080/a.m3u8", duration: 1s, retries: V}}`), MaxLoops},
		{"mqtt receive", step(`{mqtt: {broker: "tcp://127.0.0.1:1883", receive: V}}`), MaxLoops},
		{"mqtt receive max", step(`{mqtt: {broker: "tcp://127.0.0.1:1883", receive: {until: "true", max: V}}}`), MaxLoops},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range []int64{tt.cap, tt.cap + 1} {
				src := tt.src(fmt.Sprint(v))
				_, cerr := compileSnippet(src)
				serr := sch.Validate(yamlValue(t, []byte(src)))
				if want := v <= tt.cap; (cerr == nil) != want || (serr == nil) != want {
					t.Errorf("value %d: compile error %v, schema error %v; want both to accept it: %v\n%s", v, cerr, serr, want, src)
				}
				if cerr != nil && !strings.Contains(cerr.Error(), "cap of "+fmtNumber(float64(tt.cap))) && !strings.Contains(cerr.Error(), "cap of 16 MiB") {
					t.Errorf("value %d: the error does not name the cap %s:\n%v", v, fmtNumber(float64(tt.cap)), cerr)
				}
			}
		})
	}
}

// compileSnippet parses and compiles a scenario held in memory.
func compileSnippet(src string) (*Plan, error) {
	f, err := Parse("snippet.yaml", []byte(src))
	if err != nil {
		return nil, err
	}
	return Compile(f, Options{LookupEnv: func(string) (string, bool) { return "", false }})
}

// Durations have no maximum a schema can state; the compiler refuses a
// stage, a case's stages together, and each duration inside a pass past
// its cap, at the value.
func TestDurationCaps(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"stage at the cap", snippetScenario("", "", "[{concurrency: 1, duration: 30d}]"), ""},
		{"stage past the cap", snippetScenario("", "", "[{concurrency: 1, duration: 721h}]"), "snippet.yaml:6:31: stage (concurrency): duration 721h is over the cap of 30d"},
		{"stages together", snippetScenario("", "", "[{concurrency: 1, duration: 15d}, {concurrency: 1, count: 5}, {tps: 1, duration: 360h1s}]"), `case "c": its stages last 720h0m1s up to stage (tps), over the cap of 30d`},
		{"ramp_up of a count stage", snippetScenario("", "", "[{concurrency: 2, start_vus: 1, ramp_up: 31d, count: 5}]"), "ramp_up 31d is over the cap of 30d"},
		{"think at the cap", snippetScenario("", "[{think: 24h}]", ""), ""},
		{"think past the cap", snippetScenario("", "[{think: {min: 1s, max: 24h1s}}]", ""), "snippet.yaml:5:14: think max 24h0m1s is over the cap of 24h"},
		{"timeout", snippetScenario("", `[{http: {url: "http://127.0.0.1:8080/", connect_timeout: 25h}}]`, ""), "connect_timeout 25h is over the cap of 24h"},
		{"retry interval", snippetScenario("", `[{http: "http://127.0.0.1:8080/", retry: {count: 1, interval: 2d}}]`, ""), "retry interval 2d is over the cap of 24h"},
		{"rendezvous timeout", snippetScenario("", "[{rendezvous: {name: r, users: 2, timeout: 25h}}]", ""), "rendezvous timeout 25h is over the cap of 24h"},
		{"play duration", snippetScenario("", `[{flv: {url: "http://127.0.0.1:8080/a.flv", duration: 25h}}]`, ""), "duration 25h is over the cap of 24h"},
		{"mqtt receive timeout", snippetScenario("", `[{mqtt: {broker: "tcp://127.0.0.1:1883", receive: {count: 1, timeout: 25h}}}]`, ""), "receive timeout 25h is over the cap of 24h"},
		{"socket idle", snippetScenario("", `[{tcp: {address: "127.0.0.1:9", read: {idle: 25h}}}]`, ""), "read idle 25h is over the cap of 24h"},
		{"pacing", "name: t\ncases: [{name: c, pacing: 25h, steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", `case "c": pacing 25h is over the cap of 24h`},
		{"sla window", "name: t\ncases: [{name: c, sla: [{kpi: avg_rt < 1s, window: 25h}], steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]", "window 25h is over the cap of 24h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileSnippet(tt.src)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Compile: %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Compile: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// The table of caps in docs/language.md says what the compiler enforces:
// each row's cap is the constant's value.
func TestLanguageDocListsCaps(t *testing.T) {
	text, err := os.ReadFile(languageDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(text), "\n## Caps\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var rows [][2]string // what, cap
	for line := range strings.Lines(section) {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) == 2 {
			rows = append(rows, [2]string{cells[0], strings.TrimSpace(cells[1])})
		}
	}
	want := []struct{ row, cap string }{
		{"VUs: `concurrency`", fmtNumber(MaxVUs)},
		{"rates, in passes", fmtNumber(MaxTPS)},
		{"a stage's `count`", fmtNumber(MaxCount)},
		{"a stage's `duration`", fmtDuration(MaxStageTime)},
		{"durations inside a pass", fmtDuration(MaxStepTime)},
		{"loop `count`", fmtNumber(MaxLoops)},
		{"retry `count`", "100"},
		{"`redirects`", fmt.Sprint(MaxRedirectsCap)},
		{"read `length`", fmt.Sprintf("%d MiB (%s bytes)", MaxReadLength>>20, fmtNumber(MaxReadLength))},
	}
	for _, w := range want {
		found := false
		for _, r := range rows {
			if strings.Contains(r[0], w.row) {
				found = true
				if r[1] != w.cap {
					t.Errorf("docs/language.md, Caps: the row %q says %q, want %q", r[0], r[1], w.cap)
				}
			}
		}
		if !found {
			t.Errorf("docs/language.md, Caps: no row for %s", w.row)
		}
	}
}
