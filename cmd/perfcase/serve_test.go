package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/upload"
)

var listening = regexp.MustCompile(`listening on (https?://[^ ]+) `)

// serveInProcess runs 'perfcase serve' with args in this process until the
// test ends, and returns its base URL and its log.
func serveInProcess(t *testing.T, args ...string) (string, *testsupport.SyncBuffer) {
	t.Helper()
	log := &testsupport.SyncBuffer{}
	sigs := make(chan os.Signal, 1)
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: log, signals: sigs,
		lookupEnv: func(string) (string, bool) { return "", false }}
	done := make(chan int, 1)
	go func() { done <- run(e, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := listening.FindStringSubmatch(log.String()); m != nil {
			t.Cleanup(func() {
				sigs <- syscall.SIGTERM
				if code := <-done; code != exitOK {
					t.Errorf("serve exited %d\n%s", code, log.String())
				}
			})
			return m[1], log
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d\n%s", code, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// makeToken creates a token with 'perfcase serve token create'.
func makeToken(t *testing.T, data, project, scope string) string {
	t.Helper()
	code, out, errOut := runCmd(t, "serve", "token", "create", "--data", data, "--project", project, "--scope", scope)
	if code != exitOK || !strings.HasPrefix(out, "pct_") || !strings.Contains(errOut, "shown this once") {
		t.Fatalf("token create: exit %d\n%s%s", code, out, errOut)
	}
	return strings.TrimSpace(out)
}

func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// 'perfcase run --upload' against 'perfcase serve': the run shows up in
// every endpoint of the report API and perfcase's own; the token never
// shows in the service's log.
func TestServeEndToEnd(t *testing.T) {
	data := t.TempDir()
	write := makeToken(t, data, "shop", "write")
	read := makeToken(t, data, "shop", "read")
	base, log := serveInProcess(t, "--data", data)

	srv, _ := okServer(t)
	out := filepath.Join(t.TempDir(), "report.json")
	yml := writeScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1))
	code, stdout, errOut := uploadCmd(t, write, "run", "--quiet", "--set=base="+srv.URL, "--out", out,
		"--upload", "--endpoint", base, "--project", "shop", yml)
	if code != exitOK || !strings.Contains(errOut, "perfcase: uploaded run ") {
		t.Fatalf("run --upload: exit %d\n%s%s", code, stdout, errOut)
	}
	// perfcase upload of the same report: already there.
	code, stdout, _ = uploadCmd(t, write, "upload", "--endpoint", base, "--project", "shop", out)
	if code != exitOK || !strings.Contains(stdout, "was already uploaded") {
		t.Errorf("upload again: exit %d\n%s", code, stdout)
	}
	report, _ := os.ReadFile(out)
	var rep struct {
		Result struct {
			Perfcase struct {
				RunID string `json:"run_id"`
			}
		}
	}
	json.Unmarshal(report, &rep)
	runID := rep.Result.Perfcase.RunID

	var runs struct {
		Result struct {
			Runs []struct {
				RunID     string `json:"run_id"`
				TaskRunID int64  `json:"task_run_id"`
				TaskID    int64  `json:"task_id"`
				Verdict   string
			}
		}
	}
	status, body := get(t, base+"/v1/shop/perfcase/runs", read)
	if json.Unmarshal(body, &runs) != nil || status != 200 || len(runs.Result.Runs) != 1 || runs.Result.Runs[0].RunID != runID || runs.Result.Runs[0].Verdict != "passed" {
		t.Fatalf("runs: %d %s", status, body)
	}
	r := runs.Result.Runs[0]
	status, body = get(t, base+"/v1/shop/perfcase/runs/"+runID+"/report", read)
	if status != 200 || !bytes.Equal(body, report) {
		t.Errorf("the stored report is not the file: %d", status)
	}
	var cases struct {
		Result struct {
			CaseAwInfoList []struct {
				CaseURII string `json:"case_uri_i"`
				ID       string `json:"id"`
				Aw       []struct{ ID, Name string }
			} `json:"case_aw_info_list"`
		}
	}
	status, body = get(t, fmt.Sprintf("%s/v2/shop/task-run-infos/%d/cases", base, r.TaskRunID), read)
	if json.Unmarshal(body, &cases) != nil || status != 200 || len(cases.Result.CaseAwInfoList) != 1 || cases.Result.CaseAwInfoList[0].Aw[0].Name != "get" {
		t.Fatalf("cases: %d %s", status, body)
	}
	c := cases.Result.CaseAwInfoList[0]
	for _, path := range []string{
		fmt.Sprintf("/v1/shop/tasks/history-run-list/%d", r.TaskID),
		fmt.Sprintf("/v1/shop/task-run-infos/%d/case-run-infos/%s/reports?brokens_limit_count=60", r.TaskRunID, c.CaseURII),
		fmt.Sprintf("/v2/shop/task-run-infos/%d/case-run-infos/%s/detail", r.TaskRunID, c.CaseURII),
		fmt.Sprintf("/v2/shop/task-run-infos/%d/case-run-infos/%s/detail/%s/chart", r.TaskRunID, c.CaseURII, c.ID),
		fmt.Sprintf("/v1/shop/perfcase/tasks/%d/trend?case=c&kind=request&name=get", r.TaskID),
		"/v1/shop/perfcase/compare?base=" + runID + "&new=" + runID,
	} {
		status, body := get(t, base+path, read)
		if status != 200 || !bytes.Contains(body, []byte(`"code":"SVCSTG.CPTS.0000000"`)) {
			t.Errorf("GET %s: %d %s", path, status, body)
		}
		if status, _ := get(t, base+path, ""); status != 401 {
			t.Errorf("GET %s without a token: %d", path, status)
		}
	}
	// Every page, logged in through the form.
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar}
	form := strings.NewReader(url.Values{"token": {read}}.Encode())
	req, _ := http.NewRequest("POST", base+"/ui/login", form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := web.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, path := range []string{
		"/ui/shop/",
		fmt.Sprintf("/ui/shop/tasks/%d/", r.TaskID),
		"/ui/shop/runs/" + runID + "/",
		"/ui/shop/runs/" + runID + "/report.html",
		fmt.Sprintf("/ui/shop/tasks/%d/trend?case=c&kind=request&name=get", r.TaskID),
		"/ui/shop/compare?base=" + runID + "&new=" + runID,
	} {
		resp, err := web.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(page, []byte(runID[:8])) {
			t.Errorf("GET %s: %d, the run %s is not on the page", path, resp.StatusCode, runID)
		}
	}
	for _, tok := range []string{write, read} {
		if strings.Contains(log.String(), tok) {
			t.Errorf("a token is in the service's log:\n%s", log.String())
		}
	}
	if !strings.Contains(log.String(), "POST /v1/shop/perfcase/reports 201") {
		t.Errorf("the upload is not in the log:\n%s", log.String())
	}
}

// The service is killed (SIGKILL) in the middle of 50 uploads and
// restarted: every upload it answered 201 is there, whole; sending all
// 50 again stores each missing one once and answers 409 for the rest.
func TestServeKilledMidUploads(t *testing.T) {
	data := t.TempDir()
	token := makeToken(t, data, "shop", "write")
	fixture, err := os.ReadFile(filepath.Join("..", "..", "server", "testdata", "shop.json"))
	if err != nil {
		t.Fatal(err)
	}
	orig := regexp.MustCompile(`"run_id": "[^"]+"`).Find(fixture)
	const n = 50
	reports := make([][]byte, n)
	for i := range reports {
		reports[i] = bytes.Replace(fixture, orig, fmt.Appendf(nil, `"run_id": "kill-%02d"`, i), 1)
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := func() (*exec.Cmd, string) {
		cmd := exec.Command(exe, "serve", "--data", data, "--addr", "127.0.0.1:0", "--rate", "-1")
		cmd.Env = append(os.Environ(), mainEnv+"=1")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				go io.Copy(io.Discard, stderr)
				return cmd, m[1]
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("serve did not start")
		return nil, ""
	}

	cmd, base := start()
	var mu sync.Mutex
	created := map[int]bool{}
	var wg sync.WaitGroup
	next := make(chan int)
	go func() {
		for i := range n {
			next <- i
		}
		close(next)
	}()
	killed := make(chan struct{})
	var once sync.Once
	for range 4 {
		wg.Go(func() {
			c := upload.Client{Endpoint: base, Project: "shop", Token: token, Attempts: 1}
			for i := range next {
				select {
				case <-killed:
					continue
				default:
				}
				res, err := c.Upload(context.Background(), reports[i])
				if err != nil {
					continue
				}
				mu.Lock()
				created[i] = res.Status == http.StatusCreated
				k := len(created)
				mu.Unlock()
				if k == 20 {
					once.Do(func() {
						cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					})
				}
			}
		})
	}
	wg.Wait()
	once.Do(func() { cmd.Process.Kill(); close(killed) })
	cmd.Wait()
	if len(created) < 20 || len(created) == n {
		t.Fatalf("%d of %d uploads answered before the kill; the kill did not land mid-way", len(created), n)
	}

	cmd, base = start()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	for i, ok := range created {
		if !ok {
			continue
		}
		status, body := get(t, base+fmt.Sprintf("/v1/shop/perfcase/runs/kill-%02d/report", i), token)
		if status != 200 || !bytes.Equal(body, reports[i]) {
			t.Errorf("run kill-%02d was answered 201, and after the restart: %d", i, status)
		}
	}
	c := upload.Client{Endpoint: base, Project: "shop", Token: token, Attempts: 1}
	again := 0
	for i := range n {
		res, err := c.Upload(context.Background(), reports[i])
		if err != nil {
			t.Fatalf("upload %d after the restart: %v", i, err)
		}
		if res.Already {
			again++
			continue
		}
		if created[i] {
			t.Errorf("run kill-%02d was answered 201 before, and stored again", i)
		}
	}
	status, body := get(t, base+"/v1/shop/perfcase/runs?limit=1000", token)
	if got := strings.Count(string(body), `"run_id"`); status != 200 || got != n {
		t.Errorf("%d runs after uploading all again, want %d", got, n)
	}
	t.Logf("%d uploads answered 201 before the kill; %d of the 50 were there after the restart", len(created), again)
}

// With --tls-cert and --tls-key the service speaks HTTPS only, and the
// upload client reaches it.
func TestServeTLS(t *testing.T) {
	data := t.TempDir()
	token := makeToken(t, data, "shop", "write")
	certFile, keyFile, pool := testsupport.SelfSigned(t)
	base, _ := serveInProcess(t, "--data", data, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("serving at %s", base)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c := upload.Client{Endpoint: base, Project: "shop", Token: token, HTTP: hc, Attempts: 1}
	fixture, _ := os.ReadFile(filepath.Join("..", "..", "server", "testdata", "shop.json"))
	if res, err := c.Upload(context.Background(), fixture); err != nil || res.Status != http.StatusCreated {
		t.Fatalf("upload over TLS: %+v %v", res, err)
	}
	resp, err := http.Get("http://" + strings.TrimPrefix(base, "https://") + "/v1/shop/perfcase/runs")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS port: %d", resp.StatusCode)
		}
	}
}

// Mistakes in serve's and token's flags exit 2 before anything listens.
func TestServeFlags(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:0", "--data", data}, "--addr 0.0.0.0:0 is not a loopback address: serve it over TLS (--tls-cert, --tls-key), or give --insecure"},
		{[]string{"serve", "--addr", "nope", "--data", data}, `--addr "nope" is not host:port`},
		{[]string{"serve", "--retain", "soon", "--data", data}, `--retain: "soon" is not an age such as 180d or 720h`},
		{[]string{"serve", "--retain", "-3d", "--data", data}, `"-3d" is not a number of days`},
		{[]string{"serve", "--tls-cert", "x.pem", "--data", data}, "--tls-cert and --tls-key go together"},
		{[]string{"serve", "--db", "mysql://x", "--data", data}, "--db wants a postgres:// URL"},
		{[]string{"serve", "--db", "postgres://perfcase:S3cretPW@127.0.0.1:1/db?connect_timeout=2", "--data", data}, "--db: "},
		{[]string{"serve", "token", "create", "--project", "shop", "--scope", "root", "--data", data}, "give the scope: --scope read, write or admin"},
		{[]string{"serve", "token", "create", "--scope", "read", "--data", data}, "give the project: --project ID"},
		{[]string{"serve", "token", "revoke", "--project", "nope", "--data", data, "1"}, `no project "nope"`},
		{[]string{"serve", "token", "grant", "--project", "shop", "--data", data}, `unknown token command "grant"`},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if code != exitInvalid || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "S3cretPW") {
			t.Errorf("%q: exit %d\n%s\nwant 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// token list shows each token by id and first characters, never whole;
// revoke refuses it from then on.
func TestServeTokenCommands(t *testing.T) {
	data := t.TempDir()
	token := makeToken(t, data, "shop", "admin")
	code, out, _ := runCmd(t, "serve", "token", "list", "--data", data, "--project", "shop")
	if code != exitOK || !strings.Contains(out, "1   admin  "+token[:10]+"…") || strings.Contains(out, token) {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	base, _ := serveInProcess(t, "--data", data)
	if status, _ := get(t, base+"/v1/shop/perfcase/runs", token); status != 200 {
		t.Fatalf("the token before revoking: %d", status)
	}
	if code, _, errOut := runCmd(t, "serve", "token", "revoke", "--data", data, "--project", "shop", "1"); code != exitOK {
		t.Fatalf("revoke: exit %d\n%s", code, errOut)
	}
	if status, _ := get(t, base+"/v1/shop/perfcase/runs", token); status != 401 {
		t.Errorf("the revoked token: %d", status)
	}
	if code, _, errOut := runCmd(t, "serve", "token", "revoke", "--data", data, "--project", "shop", "1"); code != exitInvalid || !strings.Contains(errOut, "no live token 1") {
		t.Errorf("revoking twice: exit %d\n%s", code, errOut)
	}
}

// compare exits 0 without a regression, 1 with one, 2 on a bad input.
func TestCompareCommand(t *testing.T) {
	base := filepath.Join("..", "..", "server", "testdata", "shop.json")
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	slow := filepath.Join(t.TempDir(), "slow.json")
	os.WriteFile(slow, regexp.MustCompile(`"tp99": ([0-9.]+)`).ReplaceAllFunc(data, func(b []byte) []byte {
		var v float64
		fmt.Sscanf(string(b), `"tp99": %g`, &v)
		return fmt.Appendf(nil, `"tp99": %g`, v*2)
	}), 0o644)
	code, out, _ := runCmd(t, "compare", base, base)
	if code != exitOK || !strings.Contains(out, "no regression") {
		t.Errorf("same run: exit %d\n%s", code, out)
	}
	code, out, errOut := runCmd(t, "compare", base, slow)
	if code != exitFailed || !strings.Contains(out, "REGRESSION (limit tp99 +10%)") || !strings.Contains(errOut, "regression(s) against "+base) {
		t.Errorf("tp99 doubled: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runCmd(t, "compare", "--max-regression", "tp99=150%", base, slow); code != exitOK {
		t.Errorf("tp99 doubled within 150%%: exit %d", code)
	}
	// --junit and --summary-md write the comparison as run's outputs
	// would; one that cannot be written stops it before anything is read.
	dir := t.TempDir()
	junit, md := filepath.Join(dir, "compare.xml"), filepath.Join(dir, "compare.md")
	if code, _, errOut := runCmd(t, "compare", "--junit", junit, "--summary-md", md, base, slow); code != exitFailed {
		t.Errorf("--junit --summary-md: exit %d\n%s", code, errOut)
	}
	x, _ := os.ReadFile(junit)
	m, _ := os.ReadFile(md)
	if !regexp.MustCompile(`<testsuites name="shop" tests="\d+" failures="[1-9]\d*" errors="0" skipped="0" time="0.000" timestamp="[0-9T:-]+">\s*<testsuite name="comparison with the baseline"`).Match(x) ||
		!strings.Contains(string(x), `<testcase name="tp99 within +10% of the baseline" classname="shop.browse.item"`) || !strings.Contains(string(x), `type="regression"`) {
		t.Errorf("compare --junit:\n%s", x)
	}
	if !strings.HasPrefix(string(m), "## ❌ shop: run `") || !strings.Contains(string(m), "❌ **regression**") {
		t.Errorf("compare --summary-md:\n%s", m)
	}
	if code, _, errOut := runCmd(t, "compare", "--junit", filepath.Join(dir, "no", "such", "dir", "x.xml"), base, slow); code != exitInvalid || !strings.Contains(errOut, "cannot write the JUnit report") {
		t.Errorf("an unwritable --junit: exit %d\n%s", code, errOut)
	}
	code, out, _ = runCmd(t, "compare", "--json", base, slow)
	var res struct {
		Rows []struct{ Values []struct{ Regression bool } }
	}
	if code != exitFailed || json.Unmarshal([]byte(out), &res) != nil || len(res.Rows) == 0 {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
	for _, c := range [][]string{{"compare", base}, {"compare", base, "nope.json"}, {"compare", "--max-regression", "tp98=1", base, base}} {
		if code, _, _ := runCmd(t, c...); code != exitInvalid {
			t.Errorf("%q: exit %d, want 2", c, code)
		}
	}
}
