package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const uploadToken = "tok-CMD-S3CRET-0123456789"

// uploadSink is a report service on 127.0.0.1 that keeps one run per
// Idempotency-Key and answers 409 for a run it has; status, when set,
// answers every request instead.
type uploadSink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	runs   map[string][]byte
	hits   int
	bad    []string
	status int
}

func newUploadSink(t *testing.T) *uploadSink {
	s := &uploadSink{runs: map[string][]byte{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.hits++
		if s.status != 0 {
			w.WriteHeader(s.status)
			io.WriteString(w, `{"error_code":"T.1","error_msg":"as told"}`)
			return
		}
		var doc struct {
			Result struct {
				Perfcase struct {
					RunID string `json:"run_id"`
				} `json:"perfcase"`
			} `json:"result"`
		}
		key := r.Header.Get("Idempotency-Key")
		switch {
		case r.URL.Path != "/v1/shop/perfcase/reports":
			w.WriteHeader(http.StatusNotFound)
			return
		case r.Header.Get("X-Auth-Token") != uploadToken:
			w.WriteHeader(http.StatusUnauthorized)
			return
		case json.Unmarshal(body, &doc) != nil || key == "" || key != doc.Result.Perfcase.RunID ||
			r.Header.Get("X-Perfcase-Run-Id") != key || r.Header.Get("Content-Type") != "application/json":
			s.bad = append(s.bad, r.Header.Get("Content-Type")+" "+key)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, ok := s.runs[key]; ok {
			w.WriteHeader(http.StatusConflict)
			return
		}
		s.runs[key] = body
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// uploadCmd runs a command line in-process with PERFCASE_TOKEN set.
func uploadCmd(t *testing.T, token string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, lookupEnv: func(k string) (string, bool) {
		if k == "PERFCASE_TOKEN" && token != "" {
			return token, true
		}
		return "", false
	}}
	code := run(e, args)
	return code, out.String(), errb.String()
}

// runForUpload runs a passing scenario with --out and returns the report's
// path.
func runForUpload(t *testing.T) string {
	t.Helper()
	srv, _ := okServer(t)
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, errOut := runScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1), "--set=base="+srv.URL, "--out", out)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, errOut)
	}
	return out
}

func uploadHash(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// A report written by 'run --out' is uploaded as it is, once however
// often it is uploaded, and the file stays byte for byte the same.
func TestUploadCommand(t *testing.T) {
	report := runForUpload(t)
	before := uploadHash(t, report)
	s := newUploadSink(t)
	args := []string{"upload", "--endpoint", s.srv.URL, "--project", "shop", report}
	code, stdout, errOut := uploadCmd(t, uploadToken, args...)
	if code != exitOK || !strings.Contains(stdout, "perfcase: uploaded run ") || !strings.Contains(stdout, "(gate) to "+s.srv.URL+"/v1/shop/perfcase/reports") {
		t.Fatalf("upload: exit %d\n%s%s", code, stdout, errOut)
	}
	code, stdout, errOut = uploadCmd(t, uploadToken, args...)
	if code != exitOK || !strings.Contains(stdout, "was already uploaded") {
		t.Errorf("second upload: exit %d\n%s%s", code, stdout, errOut)
	}
	data, _ := os.ReadFile(report)
	if len(s.runs) != 1 || len(s.bad) > 0 {
		t.Fatalf("the service holds %d runs, saw bad requests %q", len(s.runs), s.bad)
	}
	for _, body := range s.runs {
		if !bytes.Equal(body, data) {
			t.Error("the service stored something else than the file")
		}
	}
	if uploadHash(t, report) != before {
		t.Error("uploading changed the report file")
	}
	// --token works too (the environment is better).
	s2 := newUploadSink(t)
	code, _, errOut = uploadCmd(t, "", "upload", "--token", uploadToken, "--endpoint", s2.srv.URL, "--project", "shop", report)
	if code != exitOK || len(s2.runs) != 1 {
		t.Errorf("upload --token: exit %d, %d runs\n%s", code, len(s2.runs), errOut)
	}
}

func TestUploadCommandExitCodes(t *testing.T) {
	report := runForUpload(t)
	before := uploadHash(t, report)
	s := newUploadSink(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noID := write("old.json", `{"code":"SVCSTG.CPTS.0000000","result":{"perfcase":{"scenario":"x"}}}`)
	for _, tc := range []struct {
		name  string
		token string
		args  []string
		code  int
		want  string
	}{
		{"no file", uploadToken, []string{"--endpoint", s.srv.URL, "--project", "shop"}, exitInvalid, "name one report file"},
		{"missing file", uploadToken, []string{"--endpoint", s.srv.URL, "--project", "shop", filepath.Join(dir, "nope.json")}, exitInvalid, "cannot read"},
		{"not JSON", uploadToken, []string{"--endpoint", s.srv.URL, "--project", "shop", write("bad.json", "{oops")}, exitInvalid, "not a report JSON"},
		{"no run id", uploadToken, []string{"--endpoint", s.srv.URL, "--project", "shop", noID}, exitInvalid, "has no run id"},
		{"no endpoint", uploadToken, []string{"--project", "shop", report}, exitInvalid, "give --endpoint"},
		{"no project", uploadToken, []string{"--endpoint", s.srv.URL, report}, exitInvalid, "--endpoint needs --project"},
		{"http elsewhere", uploadToken, []string{"--endpoint", "http://reports.example.com", "--project", "shop", report}, exitInvalid, "would send the token in clear"},
		{"testplan flags alone", uploadToken, []string{"--endpoint", s.srv.URL, "--project", "shop", "--plan-id", "p", report}, exitInvalid, "need --testplan-endpoint"},
		{"bad testplan case", uploadToken, []string{"--testplan-endpoint", s.srv.URL, "--project", "shop", "--testplan-case", "c", report}, exitInvalid, "wants name=TESTCASE_ID"},
		{"wrong token", "tok-wrong-0123456789", []string{"--endpoint", s.srv.URL, "--project", "shop", report}, exitAborted, "the token was refused (401): check PERFCASE_TOKEN, --token-file or --token"},
		{"no token", "", []string{"--endpoint", s.srv.URL, "--project", "shop", report}, exitAborted, "the service wants a token (401)"},
		{"no such project", uploadToken, []string{"--endpoint", s.srv.URL, "--project", "nope", report}, exitAborted, "no such endpoint or project (404)"},
	} {
		code, stdout, errOut := uploadCmd(t, tc.token, append([]string{"upload"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, want %d with %q\n%s%s", tc.name, code, tc.code, tc.want, stdout, errOut)
		}
		if strings.Contains(stdout+errOut, uploadToken) || strings.Contains(stdout+errOut, "tok-wrong") {
			t.Errorf("%s: the output shows the token:\n%s%s", tc.name, stdout, errOut)
		}
	}
	if len(s.runs) != 0 {
		t.Errorf("the service holds %d runs", len(s.runs))
	}
	s.status = http.StatusForbidden
	code, _, errOut := uploadCmd(t, uploadToken, "upload", "--endpoint", s.srv.URL, "--project", "shop", report)
	if code != exitAborted || !strings.Contains(errOut, "the token may not write to project shop (403)") || !strings.Contains(errOut, "the file is unchanged") {
		t.Errorf("403: exit %d\n%s", code, errOut)
	}
	if uploadHash(t, report) != before {
		t.Error("a failed upload changed the report file")
	}
	if code, stdout, _ := uploadCmd(t, "", "upload", "--help"); code != exitOK || !strings.Contains(stdout, "PERFCASE_TOKEN") || !strings.Contains(stdout, "-testplan-case") {
		t.Errorf("upload --help: exit %d\n%s", code, stdout)
	}
}

// 'run --upload' writes the report, then uploads that file.
func TestRunUpload(t *testing.T) {
	srv, _ := okServer(t)
	s := newUploadSink(t)
	out := filepath.Join(t.TempDir(), "report.json")
	yml := writeScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1))
	code, stdout, errOut := uploadCmd(t, uploadToken, "run", "--quiet", "--set=base="+srv.URL, "--out", out,
		"--upload", "--endpoint", s.srv.URL, "--project", "shop", yml)
	if code != exitOK || !strings.Contains(errOut, "perfcase: uploaded run ") {
		t.Fatalf("run --upload: exit %d\n%s%s", code, stdout, errOut)
	}
	data, _ := os.ReadFile(out)
	if len(s.runs) != 1 {
		t.Fatalf("the service holds %d runs", len(s.runs))
	}
	for _, body := range s.runs {
		if !bytes.Equal(body, data) {
			t.Error("the service stored something else than the report file")
		}
	}

	// A failed upload turns a passing run's exit into 3; the report stays.
	s.status = http.StatusForbidden
	code, _, errOut = uploadCmd(t, uploadToken, "run", "--quiet", "--set=base="+srv.URL, "--out", out,
		"--upload", "--endpoint", s.srv.URL, "--project", "shop", yml)
	if code != exitAborted || !strings.Contains(errOut, "was not uploaded") || strings.Contains(errOut, uploadToken) {
		t.Errorf("run --upload to a failing service: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the report is gone: %v", err)
	}

	// Mistakes are found before the run.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--upload", "--endpoint", s.srv.URL, "--project", "shop"}, "--upload needs --out FILE"},
		{[]string{"--out", out, "--endpoint", s.srv.URL}, "need --upload"},
		{[]string{"--out", out, "--upload", "--endpoint", "http://reports.example.com", "--project", "shop"}, "in clear"},
	} {
		code, stdout, errOut := uploadCmd(t, uploadToken, append(append([]string{"run", "--quiet", "--set=base=" + srv.URL}, tc.args...), yml)...)
		if code != exitInvalid || !strings.Contains(errOut, tc.want) || stdout != "" {
			t.Errorf("run %q: exit %d, want 2 with %q before running\n%s%s", tc.args, code, tc.want, stdout, errOut)
		}
	}
}

// An interrupted run's report is uploaded too: Ctrl-C stopped the run,
// not the upload after it.
func TestRunUploadInterrupted(t *testing.T) {
	srv, _ := okServer(t)
	s := newUploadSink(t)
	out := filepath.Join(t.TempDir(), "report.json")
	sigs := make(chan os.Signal, 1)
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, signals: sigs,
		lookupEnv: func(k string) (string, bool) {
			if k == "PERFCASE_TOKEN" {
				return uploadToken, true
			}
			return "", false
		}}
	yml := writeScenario(t, `name: long
cases:
  - name: c
    steps:
      - http: {name: get, url: "${base}/"}
    stages:
      - {concurrency: 1, duration: 1m}
`)
	time.AfterFunc(200*time.Millisecond, func() { sigs <- os.Interrupt })
	code := run(e, []string{"run", "--quiet", "--set", "base=" + srv.URL, "--out", out, "--upload", "--endpoint", s.srv.URL, "--project", "shop", yml})
	if code != exitAborted || !strings.Contains(stderr.String(), "perfcase: uploaded run ") {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, body := range s.runs {
		if !bytes.Contains(body, []byte(`"status": "interrupted"`)) {
			t.Errorf("the uploaded report is not the interrupted run's:\n%.300s", body)
		}
	}
	if len(s.runs) != 1 {
		t.Errorf("the service holds %d runs", len(s.runs))
	}
}

// --token-file keeps the token off the command line, where ps shows it to
// every user for as long as 'run --upload' lasts; --help says so.
func TestUploadTokenFile(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(uploadToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, _ := okServer(t)
	s := newUploadSink(t)
	out := filepath.Join(dir, "report.json")
	args := []string{"--set=base=" + srv.URL, "--out", out, "--upload", "--endpoint", s.srv.URL, "--project", "shop", "--token-file", tokenFile}
	code, stdout, errOut := runScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1), args...)
	if code != exitOK || len(s.runs) != 1 {
		t.Fatalf("run --upload --token-file: exit %d, %d runs stored\n%s%s", code, len(s.runs), stdout, errOut)
	}
	if strings.Contains(stdout+errOut, uploadToken) {
		t.Errorf("the output shows the token:\n%s%s", stdout, errOut)
	}
	code, _, errOut = uploadCmd(t, "", "upload", "--token-file", tokenFile, "--endpoint", s.srv.URL, "--project", "shop", out)
	if code != exitOK || len(s.runs) != 1 {
		t.Errorf("upload --token-file: exit %d\n%s", code, errOut)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--token-file", tokenFile, "--token", uploadToken}, "give --token-file or --token, not both"},
		{[]string{"--token-file", filepath.Join(dir, "missing")}, "--token-file: cannot read " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{[]string{"--token-file", empty}, "--token-file: " + empty + " holds no token on its first line"},
		{[]string{"--token-file", dir}, "--token-file: " + dir + " is not a file"},
	} {
		code, _, errOut := uploadCmd(t, "", append(append([]string{"upload"}, c.args...), "--endpoint", s.srv.URL, "--project", "shop", out)...)
		if code != exitInvalid || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 2 with %q\n%s", c.args, code, c.want, errOut)
		}
	}
	for _, cmd := range []string{"upload", "run"} {
		_, stdout, _ := runCmd(t, cmd, "--help")
		if !strings.Contains(stdout, "-token-file file") || !strings.Contains(stdout, "ps") || !strings.Contains(stdout, "PERFCASE_TOKEN") {
			t.Errorf("%s --help does not point at --token-file and PERFCASE_TOKEN as the safe way:\n%s", cmd, stdout)
		}
	}
}
