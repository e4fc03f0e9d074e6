package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/perfcase/perfcase/compare"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/reporters"
	"github.com/perfcase/perfcase/server"
	"github.com/perfcase/perfcase/upload"
)

// runMeta is what 'perfcase run' adds for the report service and the
// regression gate: --label, the CI system's metadata, and --baseline.
type runMeta struct {
	labels   labelFlags
	baseline string
	limits   string
	// base is the baseline, read before the run: a baseline that cannot
	// be had stops the run before it starts.
	base      *compare.Run
	limitList []compare.Limit
}

func addRunMeta(fs *flag.FlagSet) *runMeta {
	m := &runMeta{labels: labelFlags{}}
	fs.Var(m.labels, "label", "label the run `key=value` for the report service (repeatable), e.g. --label env=staging")
	fs.StringVar(&m.baseline, "baseline", "", "compare the run with a baseline and exit 1 on a regression: a report `file`, or the report service's URL (with --project: the scenario's marked baseline)")
	fs.StringVar(&m.limits, "max-regression", "", "the --baseline regression `limits`, as 'perfcase compare' takes them (default tp99=10%,avg_rt=10%,tps=5%,success_rate=0.5)")
	return m
}

// fromServer reports whether --baseline names the report service.
func (m *runMeta) fromServer() bool {
	return strings.HasPrefix(m.baseline, "http://") || strings.HasPrefix(m.baseline, "https://")
}

// check reads the baseline before the run, from its file or from the
// service (the scenario's marked baseline, with the upload flags'
// project and token), so that a missing one is found before a long run.
func (m *runMeta) check(e *env, scenarioName string, up *runUploadFlags) error {
	if m.limits != "" && m.baseline == "" {
		return usageError("--max-regression needs --baseline")
	}
	var err error
	if m.limitList, err = compare.ParseLimits(m.limits); err != nil {
		return usageError("--max-regression: %v", err)
	}
	var data []byte
	switch {
	case m.baseline == "":
		return nil
	case m.fromServer():
		if data, err = fetchBaseline(e, m.baseline, scenarioName, up); err != nil {
			return &exitError{code: exitInvalid, err: fmt.Errorf("--baseline: %v; nothing was run", err)}
		}
	default:
		if data, err = os.ReadFile(m.baseline); err != nil {
			return usageError("--baseline: cannot read %s: %v", m.baseline, pathErr(err))
		}
	}
	if m.base, err = compare.Read(data); err != nil {
		return usageError("--baseline %s: %v", m.baseline, err)
	}
	return nil
}

// fetchBaseline gets the scenario's baseline report from the service.
func fetchBaseline(e *env, endpoint, scenarioName string, up *runUploadFlags) ([]byte, error) {
	if up.project == "" {
		return nil, errors.New("give the project the scenario's runs are in: --project ID")
	}
	token, err := up.readToken(e)
	if err != nil {
		return nil, err
	}
	c := upload.Client{Endpoint: endpoint, Project: up.project, Token: token, Insecure: up.insecure}
	if err := c.Check(); err != nil {
		return nil, err
	}
	u := strings.TrimRight(endpoint, "/") + "/v1/" + url.PathEscape(up.project) + "/perfcase/baseline?scenario=" + url.QueryEscape(scenarioName)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, server.DefaultMaxReportSize+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		// The service's errors are {"error_code", "error_msg"}: the
		// message is what to show.
		var e struct {
			Msg string `json:"error_msg"`
		}
		msg := string(body[:min(len(body), 300)])
		if json.Unmarshal(body, &e) == nil && e.Msg != "" {
			msg = e.Msg
		}
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, strings.Join(strings.Fields(msg), " "))
	}
	return body, nil
}

// stamp puts the labels and what the CI system says into the run, for
// its report.
func (m *runMeta) stamp(e *env, run *metrics.Run) {
	run.Labels = map[string]string(m.labels)
	run.CI = ciFromEnv(e.lookupEnv)
}

// gate compares the run with the baseline, prints the comparison, and
// reports whether it regressed.
func (m *runMeta) gate(e *env, run *metrics.Run) bool {
	if m.base == nil {
		return false
	}
	rep := reporters.PerfTestReport(run)
	cur := &compare.Run{RunID: run.ID, Scenario: run.Name, Cases: rep.Result.Cases}
	if rep.Result.Outline != nil && rep.Result.Outline.StartTime != nil {
		cur.Start = *rep.Result.Outline.StartTime
	}
	res := compare.Compare(m.base, cur, m.limitList)
	fmt.Fprintf(e.stdout, "\ncompared with the baseline (%s):\n", m.baseline)
	compare.WriteText(e.stdout, res)
	return res.Regressed()
}

// labelFlags collects repeated --label key=value flags.
type labelFlags map[string]string

func (l labelFlags) String() string {
	var s []string
	for k, v := range l {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func (l labelFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("--label wants key=value, got %q", v)
	}
	if err := server.CheckLabel(k, val); err != nil {
		return fmt.Errorf("--label %q: %v", v, err)
	}
	if len(l) >= 32 {
		return errors.New("--label: at most 32 labels")
	}
	l[k] = val
	return nil
}

// ciFromEnv reads what the CI system running perfcase tells about the
// build, from its variables: GitHub Actions, GitLab CI and Jenkins.
func ciFromEnv(lookup func(string) (string, bool)) metrics.CI {
	get := func(k string) string {
		if lookup == nil {
			return ""
		}
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := get(k); v != "" {
				return v
			}
		}
		return ""
	}
	switch {
	case get("GITHUB_ACTIONS") == "true":
		ci := metrics.CI{System: "github", Commit: get("GITHUB_SHA"), Branch: first("GITHUB_HEAD_REF", "GITHUB_REF_NAME")}
		if srv, repo, id := get("GITHUB_SERVER_URL"), get("GITHUB_REPOSITORY"), get("GITHUB_RUN_ID"); srv != "" && repo != "" && id != "" {
			ci.PipelineURL = srv + "/" + repo + "/actions/runs/" + id
			if a := get("GITHUB_RUN_ATTEMPT"); a != "" && a != "1" {
				ci.PipelineURL += "/attempts/" + a
			}
		}
		return ci
	case get("GITLAB_CI") == "true":
		return metrics.CI{System: "gitlab", Commit: get("CI_COMMIT_SHA"),
			Branch: first("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME"), PipelineURL: get("CI_PIPELINE_URL")}
	case get("JENKINS_URL") != "":
		return metrics.CI{System: "jenkins", Commit: get("GIT_COMMIT"),
			Branch: strings.TrimPrefix(first("CHANGE_BRANCH", "BRANCH_NAME", "GIT_BRANCH"), "origin/"), PipelineURL: get("BUILD_URL")}
	}
	return metrics.CI{}
}
