package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// runCmdStdin runs a command line in-process with stdin as its standard
// input.
func runCmdStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := run(e, args)
	return code, out.String(), errb.String()
}

// loadServer is a real HTTP server on 127.0.0.1 that counts requests and
// the most it held at once; each takes delay, so that concurrent VUs
// overlap.
type loadServer struct {
	*httptest.Server
	hits, inFlight, peak atomic.Int64
}

func newLoadServer(t *testing.T, delay time.Duration) *loadServer {
	t.Helper()
	s := &loadServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		n := s.inFlight.Add(1)
		for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
		}
		time.Sleep(delay)
		s.inFlight.Add(-1)
	}))
	t.Cleanup(s.Close)
	return s
}

// referenceWith is the reference's CreateCase example, its request sent to
// url and its one stage changed by set.
func referenceWith(t *testing.T, url string, set map[string]any) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(mustRead(t, referenceCase)), &doc); err != nil {
		t.Fatal(err)
	}
	card := doc["contents"].([]any)[0].(map[string]any)
	card["content"].([]any)[0].(map[string]any)["content"].(map[string]any)["url"] = url
	stage := doc["stages"].([]any)[0].(map[string]any)
	for k, v := range set {
		stage[k] = v
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return ptWrite(t, "case.json", string(out))
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The reference's own CreateCase body validates; it used to give 16
// "unknown key" errors, read as YAML.
func TestValidatePerfTestCase(t *testing.T) {
	code, out, errOut := runCmd(t, "validate", referenceCase)
	if code != exitOK || !strings.Contains(out, referenceCase+": ok") || !strings.Contains(out, `case "new_case": 1 steps, 1 requests, 1 stages, peak 1 VUs, ~1m`) {
		t.Errorf("validate %s: exit %d\n%s%s", referenceCase, code, out, errOut)
	}
	if strings.Contains(errOut, "unknown key") || !strings.Contains(errOut, "note: "+referenceCase+":49:1: $.stages[0].tps_value: ignored") {
		t.Errorf("stderr: want only notes on the fields a concurrency stage ignores:\n%s", errOut)
	}
}

// validate - reads standard input, YAML or JSON.
func TestValidateStdin(t *testing.T) {
	code, out, errOut := runCmdStdin(t, mustRead(t, referenceCase), "validate", "-")
	if code != exitOK || !strings.Contains(out, "<stdin>: ok") {
		t.Errorf("validate - with the reference case: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmdStdin(t, "name: s\ncases:\n  - name: c\n    steps: [{thnk: 1s}]\n    stages: [{concurrency: 1, duration: 1s}]\n", "validate", "-")
	if code != exitInvalid || !strings.Contains(errOut, `<stdin>:4:14: unknown key "thnk"`) || !strings.Contains(errOut, "1 error in <stdin>") {
		t.Errorf("validate - with a bad scenario: exit %d\n%s%s", code, out, errOut)
	}
}

// run never runs what validate refuses: a PerfTest case whose stage the
// YAML checks refuse exits 2, and the target sees nothing.
func TestRunRefusesWhatValidateRefuses(t *testing.T) {
	srv := newLoadServer(t, 0)
	tests := []struct {
		name  string
		stage map[string]any
		want  string
	}{
		{"surge: 2 peaks of 15s in a 5s stage", map[string]any{"pressure_mode": 3, "time": 5, "minimum": 1, "maximum": 3, "loop_count": 2, "max_duration": 15},
			"$.stages[0].max_duration: 2 peaks of 15s do not fit in the stage's 5s"},
		{"peak probe: a 30s ramp in a 5s stage", map[string]any{"pressure_mode": 2, "time": 5, "current_user_num": 1, "issue_num": 5, "ramp_up": 30},
			"$.stages[0].ramp_up: ramp_up 30s is longer than the stage (5s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := referenceWith(t, srv.URL, tt.stage)
			for _, args := range [][]string{{"validate", p}, {"run", "--quiet", p}} {
				code, _, errOut := runCmd(t, args...)
				if code != exitInvalid || !strings.Contains(errOut, p+":") || !strings.Contains(errOut, tt.want) {
					t.Errorf("%s: exit %d, want 2 with %q\n%s", args[0], code, tt.want, errOut)
				}
			}
			if n := srv.hits.Load(); n != 0 {
				t.Errorf("the target got %d requests from a refused case", n)
			}
		})
	}
}

// A YAML scenario in flow style starts with '{' and is still YAML.
func TestRunFlowStyleYAML(t *testing.T) {
	srv := newLoadServer(t, 0)
	p := ptWrite(t, "flow.json", `{name: flow, cases: [{name: c, steps: [{http: {url: "${base}/"}}], stages: [{concurrency: 2, count: 20}]}]}`)
	code, out, errOut := runCmd(t, "run", "--quiet", "--set", "base="+srv.URL, p)
	if code != exitOK || srv.hits.Load() != 20 {
		t.Errorf("run: exit %d, %d requests (want 20)\n%s%s", code, srv.hits.Load(), out, errOut)
	}
}

func TestMaxFileSizeFlag(t *testing.T) {
	p := ptWrite(t, "big.yaml", "# "+strings.Repeat("x", 2048)+"\nname: b\ncases:\n  - name: c\n    steps: [{think: 1s}]\n    stages: [{concurrency: 1, duration: 1s}]\n")
	for _, cmd := range []string{"validate", "export", "import", "run"} {
		code, _, errOut := runCmd(t, cmd, "--max-file-size", "1KiB", p)
		if code != exitInvalid || !strings.Contains(errOut, p+": the scenario is 2.1 KiB, over the 1.0 KiB limit") {
			t.Errorf("%s --max-file-size 1KiB: exit %d\n%s", cmd, code, errOut)
		}
	}
	if code, out, errOut := runCmd(t, "validate", "--max-file-size", "4KiB", p); code != exitOK {
		t.Errorf("validate --max-file-size 4KiB: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "validate", "--max-file-size", "lots", p); code != exitInvalid || !strings.Contains(errOut, "want a size such as 32MiB") {
		t.Errorf("--max-file-size lots: exit %d\n%s", code, errOut)
	}
}

// runAll runs command lines at once, each in-process: the runs below
// mostly wait on their stages, and t.Parallel would run only GOMAXPROCS of
// them at a time.
type runResult struct {
	code        int
	out, errOut string
	took        time.Duration
}

func runAll(t *testing.T, cmds [][]string) []runResult {
	t.Helper()
	res := make([]runResult, len(cmds))
	var wg sync.WaitGroup
	for i, args := range cmds {
		wg.Go(func() {
			start := time.Now()
			r := &res[i]
			r.code, r.out, r.errOut = runCmd(t, args...)
			r.took = time.Since(start)
		})
	}
	wg.Wait()
	return res
}

// The reference's CreateCase example, set to each pressure mode in turn
// (times shortened to seconds), runs the load that mode describes against
// a counting target: the rate modes start the passes their shape adds up
// to, the VU modes hold the VUs their shape says, and a count stage sends
// exactly its count. Its stage keeps every other mode's values, as the
// PerfTest UI writes them.
func TestRunPerfTestModes(t *testing.T) {
	short := map[string]any{"time": 3, "ramp_up": 2, "max_duration": 1, "step_duration": 1}
	tests := []struct {
		name     string
		set      map[string]any
		rate     bool  // check the passes against the shape's integral
		peak     int64 // the most requests at once at the target (VU modes)
		minPeak  int64
		count    int64 // a count stage: exactly this many requests
		lastsFor time.Duration
	}{
		{name: "0 concurrency", set: map[string]any{"pressure_mode": 0}, peak: 1, minPeak: 1},
		{name: "1 TPS (ramp_up is not its field)", set: map[string]any{"pressure_mode": 1}, rate: true},
		{name: "2 peak probing", set: map[string]any{"pressure_mode": 2}, peak: 1, minPeak: 1},
		{name: "3 surge concurrency", set: map[string]any{"pressure_mode": 3}, peak: 3, minPeak: 3},
		{name: "4 surge TPS", set: map[string]any{"pressure_mode": 4}, rate: true},
		{name: "5 oscillating concurrency", set: map[string]any{"pressure_mode": 5}, peak: 3, minPeak: 2},
		{name: "6 oscillating TPS", set: map[string]any{"pressure_mode": 6}, rate: true},
		{name: "7 smart peak probing", set: map[string]any{"pressure_mode": 7}, peak: 1, minPeak: 1},
		{name: "0 concurrency by count", set: map[string]any{"pressure_mode": 0, "operate_mode": 1, "count": 20}, count: 20},
		{name: "1 TPS by count", set: map[string]any{"pressure_mode": 1, "operate_mode": 1}, count: 1},
		{name: "2 peak probing ignores operate_mode 1", set: map[string]any{"pressure_mode": 2, "operate_mode": 1}, peak: 1, minPeak: 1, lastsFor: 3 * time.Second},
		{name: "7 smart peak probing ignores operate_mode 1", set: map[string]any{"pressure_mode": 7, "operate_mode": 1}, peak: 1, minPeak: 1, lastsFor: 3 * time.Second},
	}
	servers := make([]*loadServer, len(tests))
	paths := make([]string, len(tests))
	var cmds [][]string
	for i, tt := range tests {
		servers[i] = newLoadServer(t, 10*time.Millisecond)
		set := map[string]any{}
		for k, v := range short {
			set[k] = v
		}
		for k, v := range tt.set {
			set[k] = v
		}
		paths[i] = referenceWith(t, servers[i].URL, set)
		cmds = append(cmds, []string{"run", "--quiet", paths[i]})
	}
	results := runAll(t, cmds)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, p, r := servers[i], paths[i], results[i]
			if r.code != exitOK {
				t.Fatalf("run: exit %d\n%s%s", r.code, r.out, r.errOut)
			}
			hits, peak := srv.hits.Load(), srv.peak.Load()
			switch {
			case tt.count > 0:
				if hits != tt.count {
					t.Errorf("a count stage of %d sent %d requests", tt.count, hits)
				}
			case tt.rate:
				l, err := scenario.Open(p, scenario.Options{Importers: formats})
				if err != nil {
					t.Fatal(err)
				}
				want := passes(l.Plan.Cases[0].Stages[0])
				if float64(hits) < want-2 || float64(hits) > want+2 {
					t.Errorf("sent %d requests, want %.1f ± 2: the stage's rate over its time", hits, want)
				}
			default:
				if peak < tt.minPeak || peak > tt.peak || hits == 0 {
					t.Errorf("%d requests, at most %d at once; want %d..%d VUs at once", hits, peak, tt.minPeak, tt.peak)
				}
			}
			if r.took < tt.lastsFor {
				t.Errorf("the run took %v, shorter than its %v stage", r.took, tt.lastsFor)
			}
		})
	}
}

// passes is the integral of a rate stage's shape over its time: the
// passes an open model starts.
func passes(st *scenario.Stage) float64 {
	const step = time.Millisecond
	sum := 0.0
	for t := time.Duration(0); t < st.Duration; t += step {
		sum += st.Target(t) * step.Seconds()
	}
	return sum
}

// A TPS stage of 100/s beside ramp_up: 30 runs at 100/s from its start;
// a concurrency stage with no current_user_num runs its VUs from the start
// however long its ramp_up.
func TestRunPerfTestStageBugs(t *testing.T) {
	tps := newLoadServer(t, 0)
	tpsCase := referenceWith(t, tps.URL, map[string]any{"pressure_mode": 1, "time": 2, "tps_value": 100, "issue_num": 20, "ramp_up": 30})
	vus := newLoadServer(t, 10*time.Millisecond)
	vusCase := referenceWith(t, vus.URL, map[string]any{"pressure_mode": 0, "time": 2, "issue_num": 5, "ramp_up": 30})
	var doc map[string]any
	if err := json.Unmarshal([]byte(mustRead(t, vusCase)), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["stages"].([]any)[0].(map[string]any), "current_user_num")
	b, _ := json.Marshal(doc)
	if err := os.WriteFile(vusCase, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res := runAll(t, [][]string{{"run", "--quiet", tpsCase}, {"run", "--quiet", vusCase}})
	for _, r := range res {
		if r.code != exitOK {
			t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
		}
	}
	// 200 passes; ramped from 0 over 30 s it would be under 7.
	if n := tps.hits.Load(); n < 150 || n > 250 {
		t.Errorf("TPS with ramp_up: 100/s for 2s sent %d requests, want about 200", n)
	}
	if vus.peak.Load() != 5 {
		t.Errorf("concurrency without current_user_num: %d requests, at most %d at once; want 5 VUs from the start", vus.hits.Load(), vus.peak.Load())
	}
	if errOut := res[1].errOut; !strings.Contains(errOut, fmt.Sprintf("note: %s:", vusCase)) || !strings.Contains(errOut, "$.stages[0].ramp_up: ignored") {
		t.Errorf("stderr lacks the note on ramp_up:\n%s", errOut)
	}
}
