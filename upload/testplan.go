package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// TestPlan result_id values (TestPlan API reference, table 4-137).
const (
	ResultPassed  = "0"
	ResultFailed  = "1"
	ResultRunning = "5"
	ResultStopped = "6"
)

// maxBatch is the longest execute_list the TestPlan API takes.
const maxBatch = 50

// TestPlan pushes each case's verdict to a CodeArts TestPlan project the
// way a custom test service reports executions (TestPlan API reference
// §4.4), in two calls per batch of at most 50 cases:
//
//	POST {endpoint}/v1/projects/{project_id}/testcases/execution   (§4.4.1)
//	{"execute_list": [{"execute_id", "result_id": "5", "start_time", "testcase_id"}],
//	 "plan_id", "service_id"}
//
//	POST {endpoint}/v1/projects/{project_id}/testcases/result      (§4.4.2)
//	{"execute_list": [{"description", "duration", "end_time", "execute_id",
//	                   "result_id", "testcase_id"}], "service_id"}
//
// The first registers one execution per mapped case, in the plan when
// PlanID is set, running since the case started; the second sets its
// result: "0" passed, "1" failed, "6" stopped (the run was interrupted or
// aborted). Times are Unix milliseconds.
//
// An execute_id may not repeat, so it is derived from the run id and the
// case's name (32 hex digits): a retry, or a second push of the same
// report, names the same executions. A registration refused with 400 (the
// service may already have those ids) is therefore not final: the result
// update, idempotent by nature, decides, and its error, if any, says both.
type TestPlan struct {
	// Client holds TestPlan's endpoint, the project's id (32 letters and
	// digits), the token (required) and the retry rules; its Upload is not
	// used.
	Client Client
	// ServiceID is the custom test service's service_id.
	ServiceID int
	// PlanID, when set, is the plan_id the executions are registered in.
	PlanID string
	// Cases maps a case's name to its test case's testcase_id (11 to 34
	// letters and digits). A case not in the map is not pushed.
	Cases map[string]string
}

// Pushed is one case's execution as pushed.
type Pushed struct {
	Case       string
	TestCaseID string
	ExecuteID  string
	ResultID   string
}

// TestPlanResult is a push that succeeded.
type TestPlanResult struct {
	Pushed  []Pushed
	Skipped []string // the report's cases that have no test case
	// Reregistered is true when the service refused a registration with
	// 400, the executions being taken as registered by an earlier push.
	Reregistered bool
}

// Check reports whether the push can be made, without sending anything.
func (p *TestPlan) Check() error {
	if err := p.Client.Check(); err != nil {
		return err
	}
	if p.Client.Token == "" {
		return errors.New("TestPlan needs a token (X-Auth-Token): set PERFCASE_TOKEN or --token-file")
	}
	if p.ServiceID <= 0 {
		return errors.New("TestPlan needs the custom test service's id (service_id), a positive number")
	}
	if len(p.Cases) == 0 {
		return errors.New("TestPlan needs at least one case mapped to a test case: case=TESTCASE_ID")
	}
	for name, id := range p.Cases {
		if !validTestCaseID(id) {
			return fmt.Errorf("case %q: test case id %q is not 11 to 34 letters and digits", name, id)
		}
	}
	return nil
}

func validTestCaseID(s string) bool {
	if len(s) < 11 || len(s) > 34 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ExecuteID is the execute_id of a case of a run: 32 hex digits of the
// SHA-256 of the run id and the case's name.
func ExecuteID(runID, caseName string) string {
	sum := sha256.Sum256([]byte(runID + "\x00" + caseName))
	return hex.EncodeToString(sum[:16])
}

type executeItem struct {
	ExecuteID  string `json:"execute_id"`
	ResultID   string `json:"result_id"`
	StartTime  int64  `json:"start_time"`
	TestCaseID string `json:"testcase_id"`
}

type executeBody struct {
	ExecuteList []executeItem `json:"execute_list"`
	PlanID      string        `json:"plan_id,omitempty"`
	ServiceID   int           `json:"service_id"`
}

type resultItem struct {
	Description string `json:"description"`
	Duration    int64  `json:"duration"`
	EndTime     int64  `json:"end_time"`
	ExecuteID   string `json:"execute_id"`
	ResultID    string `json:"result_id"`
	TestCaseID  string `json:"testcase_id"`
}

type resultBody struct {
	ExecuteList []resultItem `json:"execute_list"`
	ServiceID   int          `json:"service_id"`
}

// Push sends the verdict of each mapped case of report, a report JSON as
// 'perfcase run --out' writes it. A mapped case the report does not have
// is an error, found before anything is sent: a typo would otherwise
// push nothing silently.
func (p *TestPlan) Push(ctx context.Context, report []byte) (TestPlanResult, error) {
	var res TestPlanResult
	run, err := ReadRun(report)
	if err != nil {
		return res, err
	}
	if run.Verdict == "" {
		return res, errors.New("the report carries no verdict (result.perfcase.verdict): it was written by an older perfcase; re-run it with this one")
	}
	if err := p.Check(); err != nil {
		return res, err
	}
	base, _ := p.Client.endpointURL()
	prefix := base + "/v1/projects/" + url.PathEscape(p.Client.Project) + "/testcases/"
	have := map[string]bool{}
	var execs []executeItem
	var results []resultItem
	now := time.Now()
	for _, c := range run.Cases {
		have[c.Name] = true
		tc, ok := p.Cases[c.Name]
		if !ok {
			res.Skipped = append(res.Skipped, c.Name)
			continue
		}
		start, end := c.Start, c.End
		if start.IsZero() {
			start = end
		}
		if end.IsZero() {
			start, end = now, now
		}
		id, verdict := ExecuteID(run.ID, c.Name), resultID(run, c)
		execs = append(execs, executeItem{ExecuteID: id, ResultID: ResultRunning, StartTime: start.UnixMilli(), TestCaseID: tc})
		results = append(results, resultItem{Description: description(run, c, verdict), Duration: end.Sub(start).Milliseconds(),
			EndTime: end.UnixMilli(), ExecuteID: id, ResultID: verdict, TestCaseID: tc})
		res.Pushed = append(res.Pushed, Pushed{Case: c.Name, TestCaseID: tc, ExecuteID: id, ResultID: verdict})
	}
	var missing []string
	for name := range p.Cases {
		if !have[name] {
			missing = append(missing, fmt.Sprintf("%q", name))
		}
	}
	if len(missing) > 0 {
		return TestPlanResult{}, fmt.Errorf("the report has no case %s (its cases: %s)", strings.Join(missing, ", "), caseNames(run))
	}
	for i := 0; i < len(execs); i += maxBatch {
		j := min(i+maxBatch, len(execs))
		regErr := p.send(ctx, prefix+"execution", executeBody{ExecuteList: execs[i:j], PlanID: p.PlanID, ServiceID: p.ServiceID})
		var e *Error
		switch {
		case errors.As(regErr, &e) && e.Status == http.StatusBadRequest:
			res.Reregistered = true
			if p.Client.Log != nil {
				fmt.Fprintf(p.Client.Log, "test plan: registering the executions: %v; taking them as registered by an earlier push\n", regErr)
			}
		case regErr != nil:
			return TestPlanResult{}, fmt.Errorf("registering the executions (§4.4.1): %w", regErr)
		}
		if err := p.send(ctx, prefix+"result", resultBody{ExecuteList: results[i:j], ServiceID: p.ServiceID}); err != nil {
			if regErr != nil {
				return TestPlanResult{}, fmt.Errorf("updating the results (§4.4.2): %w (the registration before it was refused too: %v)", err, regErr)
			}
			return TestPlanResult{}, fmt.Errorf("updating the results (§4.4.2): %w", err)
		}
	}
	return res, nil
}

// send posts body; any answer but 2xx is an *Error.
func (p *TestPlan) send(ctx context.Context, u string, body any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	a, err := p.Client.post(ctx, &request{url: u, body: data, header: h,
		endpointFlag: "--testplan-endpoint", projectFlag: "--testplan-project"})
	if err != nil {
		return err
	}
	if a.status < 200 || a.status >= 300 {
		return &Error{Status: a.status, Attempts: a.attempts, msg: p.Client.refusal(a)}
	}
	return nil
}

// resultID is a case's result_id: stopped when the run did not run to
// its end (an SLA stop is a verdict, not an interruption).
func resultID(run *Run, c Case) string {
	switch {
	case run.Status == "interrupted" || run.Status == "aborted":
		return ResultStopped
	case c.Passed:
		return ResultPassed
	}
	return ResultFailed
}

// description is the execution's note: the run, and why the case did
// not pass; at most 500 bytes.
func description(run *Run, c Case, verdict string) string {
	var s string
	switch verdict {
	case ResultStopped:
		s = "stopped: the run was " + run.Status
	case ResultPassed:
		s = fmt.Sprintf("passed: %d KPIs held", c.KPIs)
	default:
		s = "failed: " + strings.Join(c.Failed, "; ")
	}
	s = fmt.Sprintf("perfcase run %s, scenario %s, case %s: %s", run.ID, run.Scenario, c.Name, s)
	if len(s) > 500 {
		cut := 497
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func caseNames(run *Run) string {
	names := make([]string, len(run.Cases))
	for i, c := range run.Cases {
		names[i] = fmt.Sprintf("%q", c.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
