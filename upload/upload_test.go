package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testToken = "tok-S3CRET-0123456789abcdef"
	testRunID = "6f1c2d1e-8a6b-4c1e-9f00-0123456789ab"
	project   = "proj1"
)

// reportService is a report service on 127.0.0.1 that keeps at most one
// run per run id, as the contract says, and checks every request it gets:
// a request that breaks the contract is answered 400 and noted in bad.
type reportService struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	runs map[string][]byte // stored reports by run id
	seen []string          // the Idempotency-Key of every request, in order
	bad  []string          // contract violations
	// fault, when set, may answer request n (1-based) itself; it gets the
	// run id and returns true when it did.
	fault func(w http.ResponseWriter, r *http.Request, n int, runID string) bool
}

func newReportService(t *testing.T) *reportService {
	s := &reportService{t: t, runs: map[string][]byte{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *reportService) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	s.seen = append(s.seen, key)
	n := len(s.seen)
	fault := s.fault
	s.mu.Unlock()
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		s.mu.Lock()
		s.bad = append(s.bad, msg)
		s.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error_code":"TEST.400","error_msg":%q}`, msg)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/"+project+"/perfcase/reports" {
		http.NotFound(w, r)
		return
	}
	var doc struct {
		Result struct {
			Perfcase struct {
				RunID string `json:"run_id"`
			} `json:"perfcase"`
		} `json:"result"`
	}
	switch {
	case r.Header.Get("Content-Type") != "application/json":
		fail("Content-Type %q", r.Header.Get("Content-Type"))
		return
	case json.Unmarshal(body, &doc) != nil:
		fail("the body is not JSON")
		return
	case key == "" || key != doc.Result.Perfcase.RunID || r.Header.Get("X-Perfcase-Run-Id") != key:
		fail("Idempotency-Key %q, X-Perfcase-Run-Id %q, run_id %q", key, r.Header.Get("X-Perfcase-Run-Id"), doc.Result.Perfcase.RunID)
		return
	}
	if fault != nil && fault(w, r, n, key) {
		return
	}
	switch tok := r.Header.Get("X-Auth-Token"); tok {
	case testToken:
	case "":
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error_code":"TEST.401","error_msg":"no token"}`)
		return
	default:
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error_code":"TEST.401","error_msg":"bad token"}`)
		return
	}
	if s.store(key, body) {
		w.Header().Set("Location", "/reports/"+key)
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusConflict)
	io.WriteString(w, `{"error_code":"TEST.409","error_msg":"already have this run"}`)
}

// store keeps body under its run id unless one is there; it reports
// whether it stored.
func (s *reportService) store(key string, body []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.runs[key]; ok {
		return false
	}
	s.runs[key] = bytes.Clone(body)
	return true
}

// check fails the test on a contract violation, and when the service
// does not hold exactly wantRuns runs.
func (s *reportService) check(wantRuns int) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bad {
		s.t.Errorf("the service saw a request breaking the contract: %s", b)
	}
	if len(s.runs) != wantRuns {
		s.t.Errorf("the service holds %d runs, want %d", len(s.runs), wantRuns)
	}
}

func (s *reportService) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// client is a client of s whose waits take no time and are recorded.
func (s *reportService) client(waits *[]time.Duration) *Client {
	return &Client{Endpoint: s.srv.URL, Project: project, Token: testToken,
		sleep: func(ctx context.Context, d time.Duration) error {
			if waits != nil {
				*waits = append(*waits, d)
			}
			return ctx.Err()
		}}
}

// testCase is a case of a test report.
type testCase struct {
	name    string
	kpis    map[string]bool // KPI as written → pass
	sla     string          // the KPI of a triggered SLA rule, if any
	verdict string          // the case's verdict, as the run judged it
	start   string
	end     string
}

// testReport is a report JSON in the shape perfcase writes, with the
// fields upload reads.
func testReport(runID, status string, cases ...testCase) []byte {
	var kpis, stages, slas, pcases []any
	passed := true
	for _, c := range cases {
		pcases = append(pcases, map[string]any{"case": c.name, "verdict": c.verdict})
		for k, pass := range c.kpis {
			kpis = append(kpis, map[string]any{"case": c.name, "kpi": k, "pass": pass})
			passed = passed && pass
		}
		if c.sla != "" {
			slas = append(slas, map[string]any{"case": c.name, "rule": "r", "kpi": c.sla})
			passed = false
		}
		if c.start != "" {
			stages = append(stages, map[string]any{"case": c.name, "name": "s", "start": c.start, "end": c.end})
		}
	}
	verdict := status
	if status == "completed" {
		verdict = map[bool]string{true: "passed", false: "failed"}[passed]
	}
	doc := map[string]any{"code": "SVCSTG.CPTS.0000000", "message": "success", "extend": nil,
		"result": map[string]any{"perfcase": map[string]any{
			"run_id": runID, "scenario": "shop", "status": status, "passed": passed, "verdict": verdict,
			"cases": pcases, "kpis": kpis, "stages": stages, "sla_triggers": slas}}}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(data, '\n')
}

var oneCase = testCase{name: "browse", kpis: map[string]bool{"tp99 < 300ms": true}, verdict: "passed",
	start: "2026-01-02T03:04:05+08:00", end: "2026-01-02T03:05:05+08:00"}

func TestUploadStoresTheReportAsItIs(t *testing.T) {
	s := newReportService(t)
	report := testReport(testRunID, "completed", oneCase)
	res, err := s.client(nil).Upload(context.Background(), report)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{RunID: testRunID, URL: s.srv.URL + "/v1/proj1/perfcase/reports", Status: 201, Attempts: 1, Location: "/reports/" + testRunID}
	if res != want {
		t.Errorf("Upload = %+v, want %+v", res, want)
	}
	s.check(1)
	if got := s.runs[testRunID]; !bytes.Equal(got, report) {
		t.Errorf("the service stored\n%s\nwant the report byte for byte", got)
	}
}

// Uploading the same report again stores nothing more: the service
// answers 409 and the upload succeeds as "already uploaded".
func TestUploadTwiceIsOneRun(t *testing.T) {
	s := newReportService(t)
	report := testReport(testRunID, "completed", oneCase)
	c := s.client(nil)
	if _, err := c.Upload(context.Background(), report); err != nil {
		t.Fatal(err)
	}
	res, err := c.Upload(context.Background(), report)
	if err != nil || !res.Already || res.Status != http.StatusConflict || res.Attempts != 1 {
		t.Errorf("second Upload = %+v, %v; want Already after one 409", res, err)
	}
	s.check(1)
}

// A 2xx with Idempotent-Replayed: true says "already have it" too.
func TestUploadIdempotentReplayed(t *testing.T) {
	s := newReportService(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, n int, _ string) bool {
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(http.StatusOK)
		return true
	}
	res, err := s.client(nil).Upload(context.Background(), testReport(testRunID, "completed", oneCase))
	if err != nil || !res.Already || res.Status != 200 {
		t.Errorf("Upload = %+v, %v; want Already", res, err)
	}
}

// 503 twice, then the service stores the run: three attempts, waits that
// double (with jitter), one run.
func TestUploadRetries5xx(t *testing.T) {
	s := newReportService(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, n int, _ string) bool {
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "busy; your token %s is fine", r.Header.Get("X-Auth-Token")) // a service that echoes it
			return true
		}
		return false
	}
	var waits []time.Duration
	var log bytes.Buffer
	c := s.client(&waits)
	c.Log = &log
	res, err := c.Upload(context.Background(), testReport(testRunID, "completed", oneCase))
	if err != nil || res.Attempts != 3 || res.Already || res.Status != 201 {
		t.Fatalf("Upload = %+v, %v; want stored on the third attempt", res, err)
	}
	s.check(1)
	if len(waits) != 2 || waits[0] < 250*time.Millisecond || waits[0] >= 750*time.Millisecond ||
		waits[1] < 500*time.Millisecond || waits[1] >= 1500*time.Millisecond {
		t.Errorf("waits %v, want ~0.5s then ~1s (±50%%)", waits)
	}
	if got := log.String(); strings.Count(got, "\n") != 2 || !strings.Contains(got, "attempt 1 of 5: the service answered 503 Service Unavailable") ||
		!strings.Contains(got, "retrying in") || strings.Contains(got, testToken) {
		t.Errorf("log:\n%s", got)
	}
}

// The service stores the run but the connection drops before it answers;
// the retry carries the same run id, the service answers 409, and the
// upload succeeds with exactly one run stored.
func TestUploadLostAnswerIsNotADuplicate(t *testing.T) {
	s := newReportService(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, n int, key string) bool {
		if n > 1 {
			return false
		}
		body, _ := json.Marshal(map[string]string{"stored": key})
		s.store(key, body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return true
		}
		conn.Close()
		return true
	}
	res, err := s.client(nil).Upload(context.Background(), testReport(testRunID, "completed", oneCase))
	if err != nil || !res.Already {
		t.Fatalf("Upload = %+v, %v; want success, already uploaded", res, err)
	}
	s.check(1)
	if n := s.requests(); n < 2 {
		t.Errorf("the service saw %d requests, want the lost one and a retry", n)
	}
	for _, k := range s.seen {
		if k != testRunID {
			t.Errorf("Idempotency-Key %q, want %q on every attempt", k, testRunID)
		}
	}
}

// A refusal is final: one request, a message that says what to check,
// the service's own words, never the token.
func TestUploadRefusalsAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		token  string
		want   []string
	}{
		{"bad token", 401, nil, testToken, []string{"the token was refused (401): check PERFCASE_TOKEN, --token-file or --token", "TEST.x: echo " + "[token]"}},
		{"no token", 401, nil, "", []string{"the service wants a token (401): set PERFCASE_TOKEN or --token-file"}},
		{"forbidden", 403, nil, testToken, []string{"the token may not write to project proj1 (403)"}},
		{"not found", 404, nil, testToken, []string{"no such endpoint or project (404): check --endpoint and --project", "/v1/proj1/perfcase/reports"}},
		{"bad request", 400, nil, testToken, []string{"the service answered 400 Bad Request; it said: TEST.x"}},
		{"too large", 413, nil, testToken, []string{"the service answered 413 Request Entity Too Large"}},
		{"redirect", 307, map[string]string{"Location": "https://elsewhere.example/v1/"}, testToken, []string{`redirected (307 Temporary Redirect) to "https://elsewhere.example/v1/"`, "are not followed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newReportService(t)
			s.fault = func(w http.ResponseWriter, r *http.Request, n int, _ string) bool {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, `{"error_code":"TEST.x","error_msg":"echo %s"}`, r.Header.Get("X-Auth-Token"))
				return true
			}
			c := s.client(nil)
			c.Token = tc.token
			_, err := c.Upload(context.Background(), testReport(testRunID, "completed", oneCase))
			var ue *Error
			if !errors.As(err, &ue) || ue.Status != tc.status || ue.Attempts != 1 {
				t.Fatalf("Upload error %#v, want an *Error with status %d after 1 attempt", err, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("message %q shows the token", err)
			}
			if n := s.requests(); n != 1 {
				t.Errorf("%d requests, want 1: a %d is not retried", n, tc.status)
			}
			s.check(0)
		})
	}
}

// Retry-After is honoured, in seconds or as a date; a wait beyond the
// time limit ends the upload at once.
func TestUploadRetryAfter(t *testing.T) {
	s := newReportService(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, n int, _ string) bool {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.Header().Set("Retry-After", time.Now().Add(20*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			return false
		}
		return true
	}
	var waits []time.Duration
	res, err := s.client(&waits).Upload(context.Background(), testReport(testRunID, "completed", oneCase))
	if err != nil || res.Attempts != 3 {
		t.Fatalf("Upload = %+v, %v", res, err)
	}
	if len(waits) != 2 || waits[0] < 3*time.Second || waits[1] < 18*time.Second || waits[1] > 21*time.Second {
		t.Errorf("waits %v, want at least 3s, then ~20s", waits)
	}
	s.check(1)

	s = newReportService(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, n int, _ string) bool {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	waits = nil
	_, err = s.client(&waits).Upload(context.Background(), testReport(testRunID, "completed", oneCase))
	var ue *Error
	if !errors.As(err, &ue) || ue.Attempts != 1 || len(waits) != 0 || !strings.Contains(err.Error(), "the service asked to wait 1h0m0s") ||
		!strings.Contains(err.Error(), "time limit of 2m0s") {
		t.Errorf("Retry-After beyond the time limit: %v, %d waits", err, len(waits))
	}
}

// The attempts run out: the last status and what went wrong, no token.
func TestUploadGivesUp(t *testing.T) {
	s := newReportService(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, n int, _ string) bool {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html>proxy error for %s</html>", r.Header.Get("X-Auth-Token"))
		return true
	}
	c := s.client(nil)
	c.Attempts = 3
	_, err := c.Upload(context.Background(), testReport(testRunID, "completed", oneCase))
	var ue *Error
	if !errors.As(err, &ue) || ue.Status != 502 || ue.Attempts != 3 || s.requests() != 3 {
		t.Fatalf("Upload error %v (%+v), %d requests; want 3 attempts ending on 502", err, ue, s.requests())
	}
	if msg := err.Error(); !strings.Contains(msg, "gave up after 3 attempts") || !strings.Contains(msg, "502 Bad Gateway; it said: <html>proxy error for [token]</html>") ||
		strings.Contains(msg, testToken) {
		t.Errorf("message %q", msg)
	}
}

// A service that cannot be reached: every attempt is made, the message
// is the network's, without the token.
func TestUploadNetworkError(t *testing.T) {
	s := newReportService(t)
	s.srv.Close()
	var waits []time.Duration
	c := s.client(&waits)
	_, err := c.Upload(context.Background(), testReport(testRunID, "completed", oneCase))
	var ue *Error
	if !errors.As(err, &ue) || ue.Status != 0 || ue.Attempts != DefaultAttempts || len(waits) != DefaultAttempts-1 {
		t.Fatalf("Upload error %v, %d waits", err, len(waits))
	}
	if msg := err.Error(); !strings.Contains(msg, "gave up after 5 attempts") || !strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, testToken) || strings.Contains(msg, `Post "`) {
		t.Errorf("message %q", msg)
	}
}

// Cancelling the context stops the retries at once.
func TestUploadCancelStopsRetries(t *testing.T) {
	s := newReportService(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, n int, _ string) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := s.client(nil)
	c.sleep = nil // the real wait, cut by the cancel
	c.Backoff = time.Hour
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Upload(ctx, testReport(testRunID, "completed", oneCase))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped after 1 attempt") {
		t.Errorf("Upload error %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancelling took %v", d)
	}
	if n := s.requests(); n != 1 {
		t.Errorf("%d requests after the cancel, want 1", n)
	}
}

// The time limit bounds an upload, a hung request included.
func TestUploadTimeLimit(t *testing.T) {
	s := newReportService(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, n int, _ string) bool {
		<-r.Context().Done()
		return true
	}
	c := s.client(nil)
	c.MaxTime = 100 * time.Millisecond
	start := time.Now()
	_, err := c.Upload(context.Background(), testReport(testRunID, "completed", oneCase))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "the time limit of 100ms passed") {
		t.Errorf("Upload error %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the 100ms limit took %v", d)
	}
}

// An unusable client or report sends nothing.
func TestUploadRefusesBeforeSending(t *testing.T) {
	s := newReportService(t)
	for _, tc := range []struct {
		name   string
		edit   func(*Client)
		report []byte
		want   string
	}{
		{"not JSON", nil, []byte("{oops"), "not a report JSON"},
		{"not a report", nil, []byte(`{"code":"x","result":{}}`), "no result.perfcase"},
		{"no run id", nil, testReport("", "completed", oneCase), "has no run id (result.perfcase.run_id)"},
		{"bad run id", nil, testReport("a b\n", "completed", oneCase), "is not a key"},
		{"http to another host", func(c *Client) { c.Endpoint = "http://reports.example.com" }, nil, "http:// would send the token in clear to reports.example.com"},
		{"credentials", func(c *Client) { c.Endpoint = "https://me:" + testToken + "@reports.example.com" }, nil, "carries credentials"},
		{"credentials in a bad URL", func(c *Client) { c.Endpoint = "http://me:" + testToken + "@reports.example.com:port" }, nil, "seems to carry credentials"},
		{"token in a query", func(c *Client) { c.Endpoint = "https://reports.example.com/?token=" + testToken }, nil, "?token=[token]"},
		{"token URL-encoded and lowercased in a query", func(c *Client) {
			c.Token = "S3cr+t/Tok=="
			c.Endpoint = "https://reports.example.com/?token=" + strings.ToLower(url.QueryEscape(c.Token))
		}, nil, "?token=[token]"},
		{"ftp", func(c *Client) { c.Endpoint = "ftp://reports.example.com" }, nil, "want https://"},
		{"no endpoint", func(c *Client) { c.Endpoint = "" }, nil, "no endpoint"},
		{"no host", func(c *Client) { c.Endpoint = "https:///x" }, nil, "is not a URL"},
		{"query", func(c *Client) { c.Endpoint = "https://reports.example.com/?a=1" }, nil, "query"},
		{"no project", func(c *Client) { c.Project = "" }, nil, "no project"},
		{"token with a newline", func(c *Client) { c.Token = testToken + "\n" }, nil, "stray newline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s.client(nil)
			if tc.edit != nil {
				tc.edit(c)
			}
			report := tc.report
			if report == nil {
				report = testReport(testRunID, "completed", oneCase)
			}
			_, err := c.Upload(context.Background(), report)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Upload error %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), testToken) {
				t.Errorf("message %q shows the token", err)
			}
		})
	}
	if n := s.requests(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestCheckEndpoints(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		insecure bool
		ok       bool
	}{
		{"https://reports.example.com", false, true},
		{"https://reports.example.com/perf/", false, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://[::1]:8080", false, true},
		{"http://localhost:8080", false, true},
		{"http://10.0.0.5:8080", false, false},
		{"http://reports.example.com", false, false},
		{"http://reports.example.com", true, true},
		{"reports.example.com", false, false},
	} {
		c := Client{Endpoint: tc.endpoint, Project: "p", Insecure: tc.insecure}
		if err := c.Check(); (err == nil) != tc.ok {
			t.Errorf("Check(%q, insecure %v) = %v, want ok %v", tc.endpoint, tc.insecure, err, tc.ok)
		}
	}
	c := Client{Endpoint: "https://example.com/perf/", Project: "a/b"}
	if u, err := c.ReportsURL(); err != nil || u != "https://example.com/perf/v1/a%2Fb/perfcase/reports" {
		t.Errorf("ReportsURL = %q, %v", u, err)
	}
}

func TestJitterDoubles(t *testing.T) {
	for n, want := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second} {
		for range 50 {
			if d := jitter(DefaultBackoff, n+1); d < want/2 || d >= want*3/2 {
				t.Fatalf("jitter(0.5s, %d) = %v, want in [%v, %v)", n+1, d, want/2, want*3/2)
			}
		}
	}
	if d := jitter(DefaultBackoff, 60); d >= maxWait*3/2 {
		t.Errorf("jitter after 60 attempts = %v, want at most ~%v", d, maxWait)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:04:35 GMT": 30 * time.Second,
		"Fri, 02 Jan 2026 03:04:00 GMT": 0, // past
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestReadRunVerdicts(t *testing.T) {
	report := testReport(testRunID, "stopped_by_sla",
		testCase{name: "ok", kpis: map[string]bool{"tp99 < 300ms": true, "success_rate >= 99": true}, verdict: "passed",
			start: "2026-01-02T03:04:05+08:00", end: "2026-01-02T03:05:05+08:00"},
		testCase{name: "slow", kpis: map[string]bool{"tp99 < 1ms": false}, verdict: "failed"},
		testCase{name: "dead", verdict: "unusable"},
		testCase{name: "sla", sla: "avg_rt < 10ms", verdict: "failed"},
	)
	run, err := ReadRun(report)
	if err != nil {
		t.Fatal(err)
	}
	if run.ID != testRunID || run.Scenario != "shop" || run.Status != "stopped_by_sla" || run.Passed {
		t.Errorf("run %+v", run)
	}
	want := map[string]string{"ok": "", "slow": "tp99 < 1ms", "dead": "not one request succeeded", "sla": "SLA rule r (avg_rt < 10ms)"}
	for _, c := range run.Cases {
		if got := strings.Join(c.Failed, "; "); got != want[c.Name] || c.Passed != (got == "") {
			t.Errorf("case %s: passed %v, failed %q; want %q", c.Name, c.Passed, got, want[c.Name])
		}
	}
	if c := run.Cases[0]; c.KPIs != 2 || c.End.Sub(c.Start) != time.Minute {
		t.Errorf("case ok: %d KPIs, %v to %v", c.KPIs, c.Start, c.End)
	}
}
