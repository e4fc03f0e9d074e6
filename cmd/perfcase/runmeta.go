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
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/server"
	"github.com/perfcase/perfcase/upload"
)

// baselineOutput is 'perfcase run --baseline': the run compared with a
// baseline once it ended, the comparison handed to the outputs that
// render it (the summary, JUnit, Markdown), and a regression failing the
// run (exit 1). The baseline is read before the run, from its file or
// from the report service (the scenario's marked baseline, with the upload
// flags' project and token), so a missing one is found before a long run.
type baselineOutput struct {
	up     *runUploadOutput
	limits string
}

func (b *baselineOutput) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&b.limits, "max-regression", "", "the --baseline regression `limits`, as 'perfcase compare' takes them (default tp99=10%,avg_rt=10%,tps=5%,success_rate=0.5)")
}

// regressed is the error of a run that regressed against its baseline:
// the gate's verdict, exit 1.
type regressed struct{ baseline string }

func (r *regressed) Error() string { return "the run regressed against the baseline " + r.baseline }

func (b *baselineOutput) output(c *outputContext, baseline string) (output.Output, error) {
	fromServer := strings.HasPrefix(baseline, "http://") || strings.HasPrefix(baseline, "https://")
	// The upload row, after this one, accepts its access flags for
	// --baseline's service without --upload.
	b.up.forBaseline = fromServer
	if b.limits != "" && baseline == "" {
		return nil, usageError("--max-regression needs --baseline")
	}
	limits, err := compare.ParseLimits(b.limits)
	if err != nil {
		return nil, usageError("--max-regression: %v", err)
	}
	var data []byte
	switch {
	case baseline == "":
		return nil, nil
	case fromServer:
		if data, err = fetchBaseline(c.e, baseline, c.scenario, &b.up.uploadFlags); err != nil {
			return nil, fmt.Errorf("--baseline: %v", err)
		}
	default:
		if data, err = os.ReadFile(baseline); err != nil {
			return nil, usageError("--baseline: cannot read %s: %v", baseline, pathErr(err))
		}
	}
	base, err := compare.Read(data)
	if err != nil {
		return nil, usageError("--baseline %s: %v", baseline, err)
	}
	return output.EndFunc(func(f *output.Finished) error {
		rep := f.Report
		cur := &compare.Run{RunID: f.Run.ID, Scenario: f.Run.Name, Cases: rep.Result.Cases}
		if rep.Result.Outline != nil && rep.Result.Outline.StartTime != nil {
			cur.Start = *rep.Result.Outline.StartTime
		}
		// The summary, JUnit and Markdown outputs, which end after this
		// one, render it.
		res := compare.Compare(base, cur, limits)
		f.Comparison = &output.Comparison{Baseline: baseline, Result: res}
		if res.Regressed() {
			return &regressed{baseline}
		}
		return nil
	}), nil
}

// fetchBaseline gets the scenario's baseline report from the service.
func fetchBaseline(e *env, endpoint, scenarioName string, up *uploadFlags) ([]byte, error) {
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

// stampRun puts the labels and what the CI system says into the run, for
// its report.
func stampRun(e *env, run *metrics.Run, labels labelFlags) {
	run.Labels = map[string]string(labels)
	run.CI = ciFromEnv(e.lookupEnv)
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
