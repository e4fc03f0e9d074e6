package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/upload"
)

// okServer is a real HTTP server on 127.0.0.1 counting its requests.
func okServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/slow" {
			time.Sleep(20 * time.Millisecond)
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func runScenario(t *testing.T, yml string, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, append(append([]string{"run", "--quiet"}, args...), writeScenario(t, yml))...)
}

const countScenario = `name: gate
cases:
  - name: c
    steps:
      - http: {name: get, url: "${base}/"}
        check: status == 200
    stages:
      - {concurrency: 4, count: 100}
    kpis: [%s]
`

func TestRunExitCodes(t *testing.T) {
	srv, hits := okServer(t)
	base := "--set=base=" + srv.URL
	code, out, errOut := runScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100, requests == 100", 1), base)
	if code != exitOK || !strings.Contains(out, "all 2 checkpoints passed") {
		t.Errorf("passing KPIs: exit %d\n%s%s", code, out, errOut)
	}
	if hits.Load() != 100 {
		t.Errorf("count 100 sent %d requests", hits.Load())
	}
	code, out, _ = runScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100, tp99 < 0.001ms", 1), base)
	if code != exitFailed || !strings.Contains(out, "1 of 2 checkpoints failed") || !strings.Contains(out, "FAIL  tp99 < 0.001ms") {
		t.Errorf("a failing KPI: exit %d\n%s", code, out)
	}
	code, _, errOut = runScenario(t, strings.Replace(countScenario, "%s", "tp99 < 1s", 1)+"    typo: 1\n", base)
	if code != exitInvalid || !strings.Contains(errOut, `unknown key "typo"`) {
		t.Errorf("an invalid scenario: exit %d\n%s", code, errOut)
	}
	code, _, errOut = runScenario(t, strings.Replace(strings.Replace(countScenario, "%s", "tp99 < 1s", 1), `http: {name: get, url: "${base}/"}`, `plugin: {name: redis-get}`, 1), base)
	if code != exitInvalid || !strings.Contains(errOut, "a plugin request is not supported by the run engine yet") || !strings.Contains(errOut, "s.yaml:5:") {
		t.Errorf("an unsupported step: exit %d\n%s", code, errOut)
	}
	if code, _, _ := runCmd(t, "run", "--bogus", "x.yaml"); code != exitInvalid {
		t.Errorf("a bad flag: exit %d", code)
	}
}

// The report's top-level and per-case field names are the report API's.
func TestRunWritesReport(t *testing.T) {
	srv, _ := okServer(t)
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, errOut := runScenario(t, strings.Replace(countScenario, "%s", "tp99 < 5s, tps >= 1", 1), "--set=base="+srv.URL, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Code   string                     `json:"code"`
		Result map[string]json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Code != "SVCSTG.CPTS.0000000" {
		t.Errorf("code %q", doc.Code)
	}
	for _, key := range []string{"brokens", "details", "outline", "respTimeRange", "taskInfo", "case_aw_info_list", "cases", "perfcase"} {
		if _, ok := doc.Result[key]; !ok {
			t.Errorf("result has no %q", key)
		}
	}
	var cases []struct {
		Detail struct {
			Performance map[string]any   `json:"performance"`
			DetailDatas []map[string]any `json:"detailDatas"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(doc.Result["cases"], &cases); err != nil || len(cases) != 1 {
		t.Fatalf("cases: %v %d", err, len(cases))
	}
	perf := cases[0].Detail.Performance
	for key, want := range map[string]any{"requests": 100.0, "transactions": 100.0, "checkpointResult": true, "tp99CheckPoint": 5000.0, "tp99CheckRes": true, "tranTPSCheckPoint": 1.0, "tranTPSCheckRes": true, "failedTimeout": 0.0} {
		if perf[key] != want {
			t.Errorf("performance.%s = %v, want %v", key, perf[key], want)
		}
	}
	if aw := cases[0].Detail.DetailDatas; len(aw) != 1 || aw[0]["name"] != "get" || aw[0]["isAW"] != true || aw[0]["sum2xx"] != 100.0 {
		t.Errorf("detailDatas %v", aw)
	}
}

// Ctrl-C stops the run, writes the report, and exits 3.
func TestRunInterrupted(t *testing.T) {
	srv, _ := okServer(t)
	out := filepath.Join(t.TempDir(), "report.json")
	sigs := make(chan os.Signal, 1)
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, lookupEnv: func(string) (string, bool) { return "", false }, signals: sigs}
	path := writeScenario(t, `name: long
cases:
  - name: c
    steps:
      - http: {name: slow, url: "${base}/slow"}
    stages:
      - {concurrency: 2, duration: 1m}
    kpis: [success_rate >= 100]
`)
	time.AfterFunc(400*time.Millisecond, func() { sigs <- os.Interrupt })
	start := time.Now()
	code := run(e, []string{"run", "--set", "base=" + srv.URL, "--out", out, path})
	if code != exitAborted {
		t.Errorf("exit %d, want 3\n%s%s", code, stdout.String(), stderr.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stopping took %v", d)
	}
	if !strings.Contains(stdout.String(), "interrupted") || !strings.Contains(stderr.String(), "stopping") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(data, []byte(`"status": "interrupted"`)) {
		t.Errorf("the report of an interrupted run: %v\n%.400s", err, data)
	}
}

// A case exported as PerfTest JSON runs unchanged.
func TestRunPerfTestJSON(t *testing.T) {
	srv, hits := okServer(t)
	yml := writeScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1))
	js := filepath.Join(t.TempDir(), "case.json")
	if code, _, errOut := runCmd(t, "export", yml, "-o", js); code != exitOK {
		t.Fatalf("export: %d %s", code, errOut)
	}
	code, out, errOut := runCmd(t, "run", "--quiet", "--set", "base="+srv.URL, js)
	if code != exitOK || hits.Load() != 100 {
		t.Errorf("run case.json: exit %d, %d requests\n%s%s", code, hits.Load(), out, errOut)
	}
}

// A second Ctrl-C cuts requests in flight at once, and the report is
// still written.
func TestRunSecondInterruptCuts(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()
	out := filepath.Join(t.TempDir(), "report.json")
	sigs := make(chan os.Signal, 2)
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, lookupEnv: func(string) (string, bool) { return "", false }, signals: sigs}
	path := writeScenario(t, `name: hang
cases:
  - name: c
    steps:
      - http: {name: hang, url: "${base}/", timeout: 1m}
    stages:
      - {concurrency: 3, duration: 1m}
`)
	time.AfterFunc(200*time.Millisecond, func() { sigs <- os.Interrupt })
	time.AfterFunc(400*time.Millisecond, func() { sigs <- os.Interrupt })
	start := time.Now()
	code := run(e, []string{"run", "--grace", "30s", "--set", "base=" + hang.URL, "--out", out, path})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a second Ctrl-C took %v to stop the run (grace 30s)", d)
	}
	if code != exitAborted || !strings.Contains(stderr.String(), "cutting requests in flight") {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("no report after a second Ctrl-C: %v", err)
	}
}

// A run in which not one request succeeded exits 3 even without KPIs: the
// target is unusable and nothing was tested.
func TestRunUnusableTarget(t *testing.T) {
	srv, _ := okServer(t)
	srv.Close()
	code, _, errOut := runScenario(t, `name: dead
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{concurrency: 2, count: 10}]
`, "--set=base="+srv.URL)
	if code != exitAborted || !strings.Contains(errOut, "not one request succeeded") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// The verdict is judged once, by the run: every output says the same,
// and the upload reads it from the report.
func TestRunOneVerdict(t *testing.T) {
	srv, _ := okServer(t)
	srv.Close()
	dir := t.TempDir()
	out, html, junit, md := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html"), filepath.Join(dir, "j.xml"), filepath.Join(dir, "s.md")
	code, stdout, errOut := runScenario(t, `name: dead
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{concurrency: 2, count: 10}]
`, "--set=base="+srv.URL, "--out", out, "--html", html, "--junit", junit, "--summary-md", md)
	if code != exitAborted || !strings.Contains(errOut, "case c: not one request succeeded") || !strings.Contains(stdout, "no checkpoints") {
		t.Fatalf("exit %d\n%s%s", code, stdout, errOut)
	}
	read := func(path string) string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	report := read(out)
	for _, c := range []struct{ path, want string }{
		{out, `"verdict": "unusable",`},
		{out, `"exit_code": 3,`},
		{html, "case c: not one request succeeded; the target looks unusable"},
		{junit, `type="unusable"`},
		{md, "case c: not one request succeeded"},
	} {
		if got := read(c.path); !strings.Contains(got, c.want) {
			t.Errorf("%s does not say %q:\n%.2000s", c.path, c.want, got)
		}
	}
	run, err := upload.ReadRun([]byte(report))
	if err != nil || run.Verdict != "unusable" || len(run.Cases) != 1 || run.Cases[0].Passed || strings.Join(run.Cases[0].Failed, "; ") != "not one request succeeded" {
		t.Errorf("the upload reads %+v, %v", run, err)
	}
}
