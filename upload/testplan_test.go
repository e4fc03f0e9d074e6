package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	tpProject = "efdb403066474ab08836b9eeaaa23bca"
	tcOK      = "b66aab5469cc4ab39b0dda8e644a42a4"
	tcSlow    = "c77bbc6570dd5bc40c1eeb9f755b53b5"
)

// testPlanService is a TestPlan on 127.0.0.1 that takes §4.4.1 and
// §4.4.2 requests, checks them against the reference's tables (unknown
// fields, required fields, lengths) and keeps each execution; a request
// that breaks them is answered 400 and noted in bad.
type testPlanService struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	registered map[string]executeItem // by execute_id
	planOf     map[string]string      // execute_id → plan_id
	results    map[string]resultItem  // by execute_id
	batches    []int                  // execute_list lengths, in order
	bad        []string
	status     int // when set, every request is answered this
}

func newTestPlanService(t *testing.T) *testPlanService {
	s := &testPlanService{t: t, registered: map[string]executeItem{}, planOf: map[string]string{}, results: map[string]resultItem{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *testPlanService) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	refuse := func(code int, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error_code":"CLOUDTEST.00000001","error_msg":%q}`, msg)
	}
	bad := func(format string, args ...any) {
		s.bad = append(s.bad, fmt.Sprintf(format, args...))
		refuse(http.StatusBadRequest, format, args...)
	}
	if s.status != 0 {
		refuse(s.status, "as told")
		return
	}
	prefix := "/v1/projects/" + tpProject + "/testcases/"
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) {
		refuse(http.StatusNotFound, "no such API")
		return
	}
	if r.Header.Get("X-Auth-Token") != testToken || r.Header.Get("Content-Type") != "application/json" {
		refuse(http.StatusUnauthorized, "认证信息过期")
		return
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	switch strings.TrimPrefix(r.URL.Path, prefix) {
	case "execution": // §4.4.1
		var body executeBody
		if err := dec.Decode(&body); err != nil {
			bad("execution: %v", err)
			return
		}
		if !s.checkList(len(body.ExecuteList), body.ServiceID) {
			bad("execution: execute_list of %d, service_id %d", len(body.ExecuteList), body.ServiceID)
			return
		}
		for _, e := range body.ExecuteList {
			if len(e.ExecuteID) == 0 || len(e.ExecuteID) > 32 || e.ResultID != ResultRunning || e.StartTime <= 0 || !validTestCaseID(e.TestCaseID) {
				bad("execution: item %+v", e)
				return
			}
		}
		for _, e := range body.ExecuteList {
			if _, ok := s.registered[e.ExecuteID]; ok {
				refuse(http.StatusBadRequest, "execute_id %s 重复", e.ExecuteID) // not a bad request of ours: a repeat
				return
			}
		}
		for _, e := range body.ExecuteList {
			s.registered[e.ExecuteID] = e
			s.planOf[e.ExecuteID] = body.PlanID
		}
	case "result": // §4.4.2
		var body resultBody
		if err := dec.Decode(&body); err != nil {
			bad("result: %v", err)
			return
		}
		if !s.checkList(len(body.ExecuteList), body.ServiceID) {
			bad("result: execute_list of %d, service_id %d", len(body.ExecuteList), body.ServiceID)
			return
		}
		for _, e := range body.ExecuteList {
			reg, ok := s.registered[e.ExecuteID]
			if !ok {
				refuse(http.StatusBadRequest, "execute_id %s 不存在", e.ExecuteID)
				return
			}
			if e.TestCaseID != reg.TestCaseID || e.EndTime < reg.StartTime || e.Duration < 0 || (e.ResultID != ResultPassed && e.ResultID != ResultFailed && e.ResultID != ResultStopped) {
				bad("result: item %+v for %+v", e, reg)
				return
			}
		}
		for _, e := range body.ExecuteList {
			s.results[e.ExecuteID] = e
		}
	default:
		refuse(http.StatusNotFound, "no such API")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *testPlanService) checkList(n, serviceID int) bool {
	s.batches = append(s.batches, n)
	return n >= 1 && n <= maxBatch && serviceID == 13
}

func (s *testPlanService) check() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bad {
		s.t.Errorf("TestPlan saw a request breaking the reference: %s", b)
	}
}

func (s *testPlanService) plan(cases map[string]string) *TestPlan {
	return &TestPlan{
		Client:    Client{Endpoint: s.srv.URL, Project: tpProject, Token: testToken, sleep: func(context.Context, time.Duration) error { return nil }},
		ServiceID: 13, PlanID: "plan-7", Cases: cases,
	}
}

var slowCase = testCase{name: "slow", kpis: map[string]bool{"tp99 < 1ms": false, "success_rate >= 99": true}, verdict: "failed",
	start: "2026-01-02T03:04:05+08:00", end: "2026-01-02T03:04:35+08:00"}

func TestTestPlanPush(t *testing.T) {
	s := newTestPlanService(t)
	report := testReport(testRunID, "completed", oneCase, slowCase, testCase{name: "unmapped", verdict: "passed"})
	p := s.plan(map[string]string{"browse": tcOK, "slow": tcSlow})
	res, err := p.Push(context.Background(), report)
	if err != nil {
		t.Fatal(err)
	}
	s.check()
	if len(res.Pushed) != 2 || res.Reregistered || strings.Join(res.Skipped, ",") != "unmapped" {
		t.Errorf("Push = %+v", res)
	}
	okID, slowID := ExecuteID(testRunID, "browse"), ExecuteID(testRunID, "slow")
	if len(okID) != 32 || okID == slowID {
		t.Errorf("execute ids %q, %q: want 32 hex digits, one per case", okID, slowID)
	}
	start := int64(1767294245000) // 2026-01-02T03:04:05+08:00
	for id, want := range map[string]struct {
		tc, result, desc string
		duration         int64
	}{
		okID:   {tcOK, ResultPassed, "perfcase run " + testRunID + ", scenario shop, case browse: passed: 1 KPIs held", 60000},
		slowID: {tcSlow, ResultFailed, "perfcase run " + testRunID + ", scenario shop, case slow: failed: tp99 < 1ms", 30000},
	} {
		reg, res := s.registered[id], s.results[id]
		if reg.TestCaseID != want.tc || reg.StartTime != start || s.planOf[id] != "plan-7" {
			t.Errorf("registered %+v in plan %q", reg, s.planOf[id])
		}
		if res.TestCaseID != want.tc || res.ResultID != want.result || res.Description != want.desc ||
			res.Duration != want.duration || res.EndTime != start+want.duration {
			t.Errorf("result %+v, want %+v", res, want)
		}
	}

	// A second push of the same report updates the same executions.
	res, err = p.Push(context.Background(), report)
	if err != nil || !res.Reregistered {
		t.Errorf("second Push = %+v, %v; want success, reregistered", res, err)
	}
	if len(s.registered) != 2 || len(s.results) != 2 {
		t.Errorf("%d executions, %d results after two pushes; want 2 and 2", len(s.registered), len(s.results))
	}
}

// An interrupted run's cases are stopped (6), whatever their KPIs said.
func TestTestPlanInterrupted(t *testing.T) {
	s := newTestPlanService(t)
	if _, err := s.plan(map[string]string{"browse": tcOK}).Push(context.Background(), testReport(testRunID, "interrupted", oneCase)); err != nil {
		t.Fatal(err)
	}
	s.check()
	if r := s.results[ExecuteID(testRunID, "browse")]; r.ResultID != ResultStopped || !strings.HasSuffix(r.Description, "stopped: the run was interrupted") {
		t.Errorf("result %+v", r)
	}
}

// More than 50 cases go in batches of at most 50.
func TestTestPlanBatches(t *testing.T) {
	s := newTestPlanService(t)
	var cases []testCase
	m := map[string]string{}
	for i := range 60 {
		c := oneCase
		c.name = fmt.Sprintf("c%02d", i)
		cases = append(cases, c)
		m[c.name] = fmt.Sprintf("tc%030d", i)
	}
	if _, err := s.plan(m).Push(context.Background(), testReport(testRunID, "completed", cases...)); err != nil {
		t.Fatal(err)
	}
	s.check()
	if fmt.Sprint(s.batches) != "[50 50 10 10]" || len(s.results) != 60 {
		t.Errorf("batches %v, %d results", s.batches, len(s.results))
	}
}

func TestTestPlanRefusals(t *testing.T) {
	s := newTestPlanService(t)
	report := testReport(testRunID, "completed", oneCase)
	for _, tc := range []struct {
		name string
		edit func(*TestPlan)
		want string
	}{
		{"unknown case", func(p *TestPlan) { p.Cases["brwose"] = tcSlow }, `the report has no case "brwose" (its cases: "browse")`},
		{"no token", func(p *TestPlan) { p.Client.Token = "" }, "TestPlan needs a token"},
		{"no service", func(p *TestPlan) { p.ServiceID = 0 }, "service_id"},
		{"bad test case id", func(p *TestPlan) { p.Cases["browse"] = "x y" }, `test case id "x y" is not 11 to 34 letters and digits`},
		{"no cases", func(p *TestPlan) { p.Cases = nil }, "at least one case"},
		{"http elsewhere", func(p *TestPlan) { p.Client.Endpoint = "http://testplan.example.com" }, "in clear"},
	} {
		p := s.plan(map[string]string{"browse": tcOK})
		tc.edit(p)
		if _, err := p.Push(context.Background(), report); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Push error %v, want %q", tc.name, err, tc.want)
		}
	}
	// A report without a verdict cannot say which case passed.
	unjudged := bytes.Replace(report, []byte(`"verdict": "passed"`), []byte(`"verdict": ""`), -1)
	if _, err := s.plan(map[string]string{"browse": tcOK}).Push(context.Background(), unjudged); err == nil || !strings.Contains(err.Error(), "no verdict") {
		t.Errorf("a report without a verdict: Push error %v", err)
	}
	if len(s.batches) != 0 {
		t.Errorf("%d requests sent", len(s.batches))
	}

	s.status = http.StatusUnauthorized
	_, err := s.plan(map[string]string{"browse": tcOK}).Push(context.Background(), report)
	if err == nil || !strings.Contains(err.Error(), "registering the executions (§4.4.1): the token was refused (401)") || strings.Contains(err.Error(), testToken) {
		t.Errorf("401: %v", err)
	}
	s.status = http.StatusNotFound
	_, err = s.plan(map[string]string{"browse": tcOK}).Push(context.Background(), report)
	if err == nil || !strings.Contains(err.Error(), "check --testplan-endpoint and --testplan-project") {
		t.Errorf("404: %v", err)
	}
	// A 400 on registration is not final, but a refused update is, and
	// says both.
	s.status = http.StatusBadRequest
	_, err = s.plan(map[string]string{"browse": tcOK}).Push(context.Background(), report)
	if err == nil || !strings.Contains(err.Error(), "updating the results (§4.4.2): the service answered 400 Bad Request") ||
		!strings.Contains(err.Error(), "the registration before it was refused too") {
		t.Errorf("400: %v", err)
	}
}

// The bodies carry exactly the reference's field names.
func TestTestPlanBodies(t *testing.T) {
	b, _ := json.Marshal(executeBody{ExecuteList: []executeItem{{}}, ServiceID: 13})
	want := `{"execute_list":[{"execute_id":"","result_id":"","start_time":0,"testcase_id":""}],"service_id":13}`
	if !bytes.Equal(b, []byte(want)) {
		t.Errorf("§4.4.1 body %s, want %s", b, want)
	}
	b, _ = json.Marshal(resultBody{ExecuteList: []resultItem{{}}, ServiceID: 13})
	want = `{"execute_list":[{"description":"","duration":0,"end_time":0,"execute_id":"","result_id":"","testcase_id":""}],"service_id":13}`
	if !bytes.Equal(b, []byte(want)) {
		t.Errorf("§4.4.2 body %s, want %s", b, want)
	}
}
