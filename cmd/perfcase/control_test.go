package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/runner"
	"github.com/perfcase/perfcase/scenario"
)

func startTestControl(t *testing.T, ctl *runner.Control) string {
	t.Helper()
	addr, stop, err := startControl("127.0.0.1:0", ctl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

// controlDo sends one request and returns the status and the decoded
// body's "error", if any.
func controlDo(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var ce controlError
	json.Unmarshal(data, &ce)
	if ce.Error == "" {
		return resp.StatusCode, string(data)
	}
	return resp.StatusCode, ce.Error
}

func TestControlEndpointNoCases(t *testing.T) {
	addr := startTestControl(t, runner.NewControl())
	base := "http://" + addr
	const js = "application/json"
	for _, c := range []struct {
		method, path, ctype, body string
		code                      int
		want                      string
	}{
		{"GET", "/status", "", "", 200, "[]"},
		{"POST", "/scale", js, `{"target": 5}`, 404, "no case is running right now"},
		{"POST", "/scale", js + "; charset=utf-8", `{"case": "browse", "target": 5}`, 404, "no case is running right now"},
		{"POST", "/scale", js, `{"target": -1}`, 400, "the target must be a number ≥ 0, got -1"},
		{"POST", "/scale", js, `{"case": "browse"}`, 400, "give a target"},
		{"POST", "/scale", js, `{"target": "many"}`, 400, `the body is not {"case": "name", "target": 50}`},
		{"POST", "/scale", js, `{"target": 5, "vus": 3}`, 400, `unknown field "vus"`},
		{"POST", "/scale", "", `{"target": 5}`, 415, "Content-Type: application/json"},
		{"POST", "/scale", "text/plain", `{"target": 5}`, 415, "Content-Type: application/json"},
		{"GET", "/scale", "", "", 405, "use POST /scale"},
		{"POST", "/status", js, "{}", 405, "use GET /status"},
		{"GET", "/nope", "", "", 404, "unknown path /nope"},
	} {
		code, msg := controlDo(t, c.method, base+c.path, c.ctype, c.body)
		if code != c.code || !strings.Contains(msg, c.want) {
			t.Errorf("%s %s %s: %d %q, want %d %q", c.method, c.path, c.body, code, msg, c.code, c.want)
		}
	}

	// A page that rebinds its own name to 127.0.0.1 is refused.
	req, _ := http.NewRequest("GET", base+"/status", nil)
	req.Host = "evil.example:6565"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a foreign Host header: %d, want 403", resp.StatusCode)
	}

	// The command maps the answers to exit statuses.
	code, out, errOut := runCmd(t, "scale", "--control", addr, "5")
	if code != exitInvalid || !strings.Contains(errOut, "perfcase scale: no case is running right now") || out != "" {
		t.Errorf("scale with no case: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "scale", "--control", addr)
	if code != exitOK || out != "no case is running right now\n" {
		t.Errorf("status with no case: exit %d\n%s%s", code, out, errOut)
	}
}

func TestControlRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:6565", "example.com:6565", "127.0.0.1", ""} {
		_, stop, err := startControl(addr, runner.NewControl())
		if err == nil {
			stop()
			t.Errorf("startControl(%q) listened", addr)
			continue
		}
		if !strings.Contains(err.Error(), "--control address") {
			t.Errorf("startControl(%q): %v; want the flag named", addr, err)
		}
	}
	if _, _, err := startControl("0.0.0.0:0", runner.NewControl()); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("0.0.0.0: %v", err)
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		got, stop, err := startControl(addr, runner.NewControl())
		if err != nil {
			if addr == "[::1]:0" {
				continue // no IPv6 loopback here
			}
			t.Errorf("startControl(%q): %v", addr, err)
			continue
		}
		stop()
		if strings.HasSuffix(got, ":0") {
			t.Errorf("startControl(%q) reports %s, not the port it got", addr, got)
		}
	}
}

func TestControlBusyPort(t *testing.T) {
	addr := startTestControl(t, runner.NewControl())
	_, _, err := startControl(addr, runner.NewControl())
	if err == nil || !strings.Contains(err.Error(), "--control address "+addr+" is already in use") {
		t.Errorf("a busy port: %v", err)
	}
}

func TestScaleNoRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{{"scale", "--control", addr, "5"}, {"scale", "--control", addr}} {
		code, _, errOut := runCmd(t, args...)
		if code != exitAborted || !strings.Contains(errOut, "no perfcase run is listening on "+addr+" (start one with a manual stage)") {
			t.Errorf("%v: exit %d\n%s", args, code, errOut)
		}
	}
}

func TestScaleCommandLine(t *testing.T) {
	code, out, _ := runCmd(t, "scale", "--help")
	if code != exitOK || !strings.Contains(out, "usage: perfcase scale") || !strings.Contains(out, "Example:") || !strings.Contains(out, "-control address") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scale", "many"}, `TARGET must be a number ≥ 0`},
		{[]string{"scale", "--", "-3"}, `TARGET must be a number ≥ 0`},
		{[]string{"scale", "1", "2"}, "give one TARGET"},
		{[]string{"scale", "--control", "6565", "1"}, "want host:port"},
		{[]string{"scale", "--bogus", "1"}, "flag provided but not defined"},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if code != exitInvalid || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", c.args, code, c.want, errOut)
		}
	}
	if !strings.Contains(func() string { _, out, _ := runCmd(t, "help"); return out }(), "scale      change the load of a running manual stage") {
		t.Error("scale is not in the command list")
	}
}

func TestControlFormatStatus(t *testing.T) {
	for _, c := range []struct {
		s    runner.CaseStatus
		live bool
		want string
	}{
		{runner.CaseStatus{Case: "browse", Stage: "load", Mode: "concurrency", Manual: true, Target: 50, VUs: 48}, false, "case browse, stage load: target 50 VUs"},
		{runner.CaseStatus{Case: "browse", Stage: "load", Mode: "concurrency", Manual: true, Target: 50, VUs: 48}, true, "case browse, stage load: target 50 VUs, 48 VUs running"},
		{runner.CaseStatus{Case: "pay", Stage: "tps", Mode: "tps", Manual: true, Rate: true, Target: 12.5, VUs: 3}, false, "case pay, stage tps: target 12.5 passes/s"},
		{runner.CaseStatus{Case: "pay", Stage: "warm", Mode: "concurrency", Target: 2, VUs: 2}, true, "case pay, stage warm: target 2 VUs, 2 VUs running (not manual: 'perfcase scale' cannot change it)"},
	} {
		if got := formatStatus(c.s, c.live); got != c.want {
			t.Errorf("formatStatus(%+v, %v) = %q, want %q", c.s, c.live, got, c.want)
		}
	}
}

const manualScenario = `name: manual
cases:
  - name: browse
    steps:
      - http: {name: get, url: "${base}/slow"}
    stages:
      - {name: load, concurrency: 2, duration: 1500ms, manual: true}
`

// A run with a manual stage listens for 'perfcase scale', which changes
// its VUs while it runs.
func TestControlEndToEnd(t *testing.T) {
	file := writeScenario(t, manualScenario)
	plan, err := scenario.Load(file, scenario.Options{Set: map[string]string{"base": "http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !hasManual(plan) {
		t.Fatal("hasManual: false for a manual stage")
	}
	if errs := runner.Check(plan); len(errs) > 0 {
		t.Fatalf("the run engine refuses a manual stage: %v", errs)
	}
	srv, _ := okServer(t)
	report := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr testsupport.SyncBuffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, lookupEnv: func(string) (string, bool) { return "", false }}
	exit := make(chan int, 1)
	go func() {
		exit <- run(e, []string{"run", "--quiet", "--control", "127.0.0.1:0", "--out", report, "--set=base=" + srv.URL, file})
	}()

	line := regexp.MustCompile(`perfcase: manual stages: change the load with 'perfcase scale --control (127\.0\.0\.1:\d+) N' \(GET http://127\.0\.0\.1:\d+/status\)`)
	var addr string
	for deadline := time.Now().Add(time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := line.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no control address on stderr:\n%s", stderr.String())
	}

	// A second run on the same port is refused before it runs.
	code, _, errOut := runCmd(t, "run", "--quiet", "--control", addr, "--set=base="+srv.URL, file)
	if code != exitInvalid || !strings.Contains(errOut, "--control address "+addr+" is already in use") {
		t.Errorf("a busy control port: exit %d\n%s", code, errOut)
	}

	var code7 int
	var out7, err7 string
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		// The case registers when its first stage begins.
		if code7, out7, err7 = runCmd(t, "scale", "--control", addr, "7"); code7 != exitInvalid {
			break
		}
	}
	if code7 != exitOK || out7 != "case browse, stage load: target 7 VUs\n" {
		t.Fatalf("scale 7: exit %d\n%s%s", code7, out7, err7)
	}
	var st []runner.CaseStatus
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/status")
		if err != nil {
			t.Fatal(err)
		}
		st = nil
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if len(st) == 1 && st[0].VUs == 7 {
			break
		}
	}
	if len(st) != 1 || st[0].Target != 7 || st[0].VUs != 7 || !st[0].Manual || st[0].Stage != "load" {
		t.Errorf("status after scale 7: %+v", st)
	}
	code, out, errOut := runCmd(t, "scale", "--control", addr)
	if code != exitOK || !strings.HasPrefix(out, "case browse, stage load: target 7 VUs, ") {
		t.Errorf("status: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runCmd(t, "scale", "--control", addr, "--case", "checkout", "3")
	if code != exitInvalid || !strings.Contains(errOut, `no case "checkout" is running; running: browse`) {
		t.Errorf("an unknown case: exit %d\n%s", code, errOut)
	}

	select {
	case code := <-exit:
		if code != exitOK {
			t.Errorf("the run: exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the run did not end")
	}
	// The change is in the report (result.perfcase.manual_changes) and the
	// summary, with its time and where it came from.
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Result struct {
			Perfcase struct {
				ManualChanges []struct {
					Case, Time, Stage, By string
					Target                float64
				} `json:"manual_changes"`
			} `json:"perfcase"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if ch := rep.Result.Perfcase.ManualChanges; len(ch) != 1 || ch[0].Case != "browse" || ch[0].Stage != "load" || ch[0].Target != 7 || ch[0].Time == "" || !strings.HasPrefix(ch[0].By, "control 127.0.0.1:") {
		t.Errorf("result.perfcase.manual_changes in the report: %+v", ch)
	}
	if !strings.Contains(stdout.String(), "manual changes") {
		t.Errorf("the summary shows no manual change:\n%s", stdout.String())
	}
	// The endpoint ends with the run.
	if code, _, errOut := runCmd(t, "scale", "--control", addr, "3"); code != exitAborted || !strings.Contains(errOut, "no perfcase run is listening") {
		t.Errorf("scale after the run: exit %d\n%s", code, errOut)
	}
}

// Without a manual stage no endpoint is started: the flag's port stays free.
func TestControlOnlyForManualStages(t *testing.T) {
	srv, _ := okServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	yml := strings.Replace(strings.Replace(manualScenario, ", manual: true", "", 1), "1500ms", "100ms", 1)
	code, _, errOut := runScenario(t, yml, "--set=base="+srv.URL, "--control", ln.Addr().String())
	if code != exitOK || strings.Contains(errOut, "manual stages") {
		t.Errorf("no manual stage, busy control port: exit %d\n%s", code, errOut)
	}
}
