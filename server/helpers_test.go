package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/server/store"
)

func TestMain(m *testing.M) { os.Exit(testsupport.PostgresMain(m)) }

// env is a service on 127.0.0.1 on a store of its own.
type env struct {
	t   testing.TB
	st  store.Store
	s   *Server
	srv *httptest.Server
	log *testsupport.SyncBuffer
}

// stores are the backends every service test runs on.
var stores = []string{"sqlite", "postgres"}

func openStore(t testing.TB, backend string) store.Store {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	switch backend {
	case "sqlite":
		st, err = store.OpenSQLite(ctx, t.TempDir())
	case "postgres":
		st, err = store.OpenPostgres(ctx, testsupport.Postgres(t))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newEnv starts a service on the backend; edit changes its Config.
func newEnv(t testing.TB, backend string, edit func(*Config)) *env {
	t.Helper()
	e := &env{t: t, st: openStore(t, backend), log: &testsupport.SyncBuffer{}}
	cfg := Config{Store: e.st, Log: e.log, Rate: -1}
	if edit != nil {
		edit(&cfg)
	}
	e.s = New(cfg)
	e.srv = httptest.NewServer(e.s.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// token makes a token of the project (created when new) with the scope.
func (e *env) token(project string, scope store.Scope) string {
	e.t.Helper()
	ctx := context.Background()
	p, err := e.st.Project(ctx, project)
	if err == store.ErrNotFound {
		p, err = e.st.CreateProject(ctx, project)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	secret, hash, prefix := NewToken()
	if err := e.st.CreateToken(ctx, &store.Token{ProjectID: p.ID, Name: "test", Scope: scope, Hash: hash, Prefix: prefix}); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// do sends a request with the token (none when "") and returns the
// status and body.
func (e *env) do(method, path, token string, body []byte, header ...string) (int, []byte, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// getJSON GETs path, wants 200 and decodes the answer into v.
func (e *env) getJSON(path, token string, v any) []byte {
	e.t.Helper()
	status, body, _ := e.do("GET", path, token, nil)
	if status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		e.t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
	return body
}

// upload POSTs a report as the upload client does.
func (e *env) upload(project, token string, report []byte, header ...string) (int, []byte) {
	e.t.Helper()
	id := runIDOf(e.t, report)
	status, body, _ := e.do("POST", "/v1/"+project+"/perfcase/reports", token, report,
		append([]string{"Content-Type", "application/json", "Idempotency-Key", id, "X-Perfcase-Run-Id", id}, header...)...)
	return status, body
}

var runIDField = regexp.MustCompile(`"run_id": "([^"]*)"`)

func runIDOf(t testing.TB, report []byte) string {
	m := runIDField.FindSubmatch(report)
	if m == nil {
		t.Fatal("no run_id in the report")
	}
	return string(m[1])
}

// fixture reads a report of testdata (see the .yaml beside it).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withRun is report with another run id, and its start and end moved by
// shift, as another run of the same scenario.
func withRun(t testing.TB, report []byte, runID string, shift time.Duration) []byte {
	t.Helper()
	old := runIDOf(t, report)
	out := bytes.Replace(report, []byte(`"run_id": "`+old+`"`), []byte(`"run_id": "`+runID+`"`), 1)
	if shift == 0 {
		return out
	}
	return timeStamp.ReplaceAllFunc(out, func(b []byte) []byte {
		ts, err := time.Parse(timeLayout, string(b[1:len(b)-1]))
		if err != nil {
			return b
		}
		return []byte(`"` + ts.Add(shift).Format(timeLayout) + `"`)
	})
}

var timeStamp = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"`)

// apiErr decodes an error answer, failing unless it has exactly the
// reference's two keys.
func apiErr(t testing.TB, body []byte) (code, msg string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || len(m) != 2 {
		t.Fatalf("error body %s: want {\"error_code\", \"error_msg\"}", body)
	}
	c, ok1 := m["error_code"].(string)
	s, ok2 := m["error_msg"].(string)
	if !ok1 || !ok2 || !regexp.MustCompile(`^CPTS\.\d{8}$`).MatchString(c) {
		t.Fatalf("error body %s: want {\"error_code\": \"CPTS.SSSSNNNN\", \"error_msg\": \"...\"}", body)
	}
	return c, s
}

func (e *env) runCount(project string) int {
	e.t.Helper()
	p, err := e.st.Project(context.Background(), project)
	if err != nil {
		return 0
	}
	runs, err := e.st.Runs(context.Background(), store.RunQuery{ProjectID: p.ID, Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(runs)
}

func uuidN(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
