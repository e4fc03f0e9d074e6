package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/metrics"
)

// What each CI system's variables tell about the build.
func TestCIFromEnv(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want metrics.CI
	}{
		{"none", map[string]string{"CI": "true"}, metrics.CI{}},
		{"github push", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_SHA": "9f3c", "GITHUB_REF_NAME": "main",
			"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "shop/shop", "GITHUB_RUN_ID": "77", "GITHUB_RUN_ATTEMPT": "1"},
			metrics.CI{System: "github", Commit: "9f3c", Branch: "main", PipelineURL: "https://github.com/shop/shop/actions/runs/77"}},
		{"github pull request, second attempt", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_SHA": "9f3c", "GITHUB_REF_NAME": "12/merge", "GITHUB_HEAD_REF": "feature",
			"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "shop/shop", "GITHUB_RUN_ID": "77", "GITHUB_RUN_ATTEMPT": "2"},
			metrics.CI{System: "github", Commit: "9f3c", Branch: "feature", PipelineURL: "https://github.com/shop/shop/actions/runs/77/attempts/2"}},
		{"gitlab", map[string]string{"GITLAB_CI": "true", "CI_COMMIT_SHA": "abc", "CI_COMMIT_REF_NAME": "main", "CI_PIPELINE_URL": "https://gitlab.example.com/shop/-/pipelines/5"},
			metrics.CI{System: "gitlab", Commit: "abc", Branch: "main", PipelineURL: "https://gitlab.example.com/shop/-/pipelines/5"}},
		{"gitlab merge request", map[string]string{"GITLAB_CI": "true", "CI_COMMIT_SHA": "abc", "CI_COMMIT_REF_NAME": "x", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature"},
			metrics.CI{System: "gitlab", Commit: "abc", Branch: "feature"}},
		{"jenkins", map[string]string{"JENKINS_URL": "https://ci.example.com/", "GIT_COMMIT": "def", "GIT_BRANCH": "origin/main", "BUILD_URL": "https://ci.example.com/job/shop/9/"},
			metrics.CI{System: "jenkins", Commit: "def", Branch: "main", PipelineURL: "https://ci.example.com/job/shop/9/"}},
	} {
		got := ciFromEnv(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// metaCmd runs a command line with the environment given.
func metaCmd(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, lookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	return run(e, args), out.String(), errb.String()
}

// --label and the CI's variables reach the report; a bad label stops the
// run before it starts.
func TestRunLabels(t *testing.T) {
	srv, hits := okServer(t)
	yml := writeScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1))
	out := filepath.Join(t.TempDir(), "r.json")
	ci := map[string]string{"GITLAB_CI": "true", "CI_COMMIT_SHA": "abc123", "CI_COMMIT_REF_NAME": "main", "CI_PIPELINE_URL": "https://gitlab.example.com/p/-/pipelines/5"}
	code, stdout, errOut := metaCmd(t, ci, "run", "--quiet", "--set=base="+srv.URL, "--out", out, "--label", "env=staging", "--label", "build=12", yml)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, errOut)
	}
	var rep struct {
		Result struct {
			Perfcase struct {
				Labels map[string]string
				CI     struct {
					System, Commit, Branch string
					PipelineURL            string `json:"pipeline_url"`
				}
			}
		}
	}
	data, _ := os.ReadFile(out)
	json.Unmarshal(data, &rep)
	p := rep.Result.Perfcase
	if fmt.Sprint(p.Labels) != "map[build:12 env:staging]" || p.CI.System != "gitlab" || p.CI.Commit != "abc123" || p.CI.PipelineURL != ci["CI_PIPELINE_URL"] {
		t.Errorf("the report's labels %v and ci %+v", p.Labels, p.CI)
	}
	before := hits.Load()
	for _, c := range []struct{ flag, want string }{
		{"noequals", `--label wants key=value, got "noequals"`},
		{"bad key=x", "a key holds letters, digits and . _ - / only"},
	} {
		code, _, errOut := metaCmd(t, nil, "run", "--quiet", "--set=base="+srv.URL, "--label", c.flag, yml)
		if code != exitInvalid || !strings.Contains(errOut, c.want) {
			t.Errorf("--label %q: exit %d\n%s", c.flag, code, errOut)
		}
	}
	if hits.Load() != before {
		t.Error("a run with a bad label sent requests")
	}
}

// --baseline FILE: the comparison is printed after the summary; a
// regression exits 1, none 0; a baseline that cannot be read stops the
// run before it starts.
func TestRunBaselineFile(t *testing.T) {
	srv, hits := okServer(t)
	yml := writeScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1))
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	if code, _, errOut := metaCmd(t, nil, "run", "--quiet", "--set=base="+srv.URL, "--out", base, yml); code != exitOK {
		t.Fatalf("baseline run: exit %d\n%s", code, errOut)
	}
	code, stdout, _ := metaCmd(t, nil, "run", "--quiet", "--set=base="+srv.URL, "--baseline", base, "--max-regression", "tp99=off,avg_rt=off,tps=off", yml)
	if code != exitOK || !strings.Contains(stdout, "compared with the baseline ("+base+")") || !strings.Contains(stdout, "no regression") {
		t.Errorf("against itself: exit %d\n%s", code, stdout)
	}
	// A baseline whose every request succeeded and took no time: any
	// failure or time is worse.
	data, _ := os.ReadFile(base)
	fast := filepath.Join(dir, "fast.json")
	os.WriteFile(fast, regexp.MustCompile(`"(averageRespTime|tp99)": [0-9.]+`).ReplaceAll(data, []byte(`"$1": 0.000001`)), 0o644)
	junit, md := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "summary.md")
	code, stdout, _ = metaCmd(t, nil, "run", "--quiet", "--set=base="+srv.URL, "--baseline", fast, "--junit", junit, "--summary-md", md, yml)
	if code != exitFailed || !strings.Contains(stdout, "REGRESSION (limit tp99 +10%)") {
		t.Errorf("against a faster baseline: exit %d\n%s", code, stdout)
	}
	// The JUnit XML and the Markdown summary carry the comparison too.
	x, _ := os.ReadFile(junit)
	m, _ := os.ReadFile(md)
	if !regexp.MustCompile(`<testsuite name="comparison with the baseline" tests="\d+" failures="[1-9]\d*"`).Match(x) ||
		!regexp.MustCompile(`<testcase name="tp99 within \+10% of the baseline" classname="gate.c.get" time="0.000">\s*<failure message="tp99: base [0-9.]+ ms, new [0-9.]+ ms, change \+[0-9.]+ ms \(\+[0-9.]+%\), limit \+10%" type="regression">`).Match(x) {
		t.Errorf("the JUnit XML has no failed comparison:\n%s", x)
	}
	if !strings.Contains(string(m), "### ❌ Compared with the baseline: ") || !strings.Contains(string(m), "| `c` | request | `get` | **tp99** |") {
		t.Errorf("the Markdown summary has no comparison:\n%s", m)
	}
	before := hits.Load()
	for _, c := range [][]string{{"--baseline", filepath.Join(dir, "nope.json")}, {"--max-regression", "tp99=5%"}, {"--baseline", base, "--max-regression", "tp98=1"}} {
		code, _, errOut := metaCmd(t, nil, append(append([]string{"run", "--quiet", "--set=base=" + srv.URL}, c...), yml)...)
		if code != exitInvalid {
			t.Errorf("%q: exit %d\n%s", c, code, errOut)
		}
	}
	if hits.Load() != before {
		t.Error("a run with a bad --baseline sent requests")
	}
}

// --baseline URL: the scenario's baseline marked on the service, read
// with --project and the token; none marked stops the run before it
// starts. A labelled run uploaded there is found by its label.
func TestRunBaselineServer(t *testing.T) {
	data := t.TempDir()
	token := makeToken(t, data, "shop", "write")
	base, _ := serveInProcess(t, "--data", data)
	srv, hits := okServer(t)
	yml := writeScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1))
	vars := map[string]string{"PERFCASE_TOKEN": token}
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, errOut := metaCmd(t, vars, "run", "--quiet", "--set=base="+srv.URL, "--baseline", base, "--project", "shop", yml)
	if code != exitInvalid || !strings.Contains(errOut, `404 Not Found: no scenario "gate" in project "shop"; nothing was run`) || hits.Load() != 0 {
		t.Fatalf("no baseline yet: exit %d, %d requests\n%s", code, hits.Load(), errOut)
	}
	code, _, errOut = metaCmd(t, vars, "run", "--quiet", "--set=base="+srv.URL, "--out", out, "--label", "env=ci",
		"--upload", "--endpoint", base, "--project", "shop", yml)
	if code != exitOK {
		t.Fatalf("run --upload: exit %d\n%s", code, errOut)
	}
	code, _, errOut = metaCmd(t, vars, "run", "--quiet", "--set=base="+srv.URL, "--baseline", base, "--project", "shop", yml)
	if code != exitInvalid || !strings.Contains(errOut, `scenario "gate" has no baseline: mark one`) {
		t.Errorf("a scenario without a baseline: exit %d\n%s", code, errOut)
	}
	status, body := get(t, base+"/v1/shop/perfcase/runs?label=env=ci", token)
	var runs struct {
		Result struct {
			Runs []struct {
				RunID  string `json:"run_id"`
				TaskID int64  `json:"task_id"`
			}
		}
	}
	if json.Unmarshal(body, &runs) != nil || status != 200 || len(runs.Result.Runs) != 1 {
		t.Fatalf("runs labelled env=ci: %d %s", status, body)
	}
	r := runs.Result.Runs[0]
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/v1/shop/perfcase/tasks/%d/baseline", base, r.TaskID), strings.NewReader(`{"run_id":"`+r.RunID+`"}`))
	req.Header.Set("X-Auth-Token", token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("marking the baseline: %v %v", resp, err)
	}
	code, stdout, errOut := metaCmd(t, vars, "run", "--quiet", "--set=base="+srv.URL, "--baseline", base, "--project", "shop",
		"--max-regression", "tp99=off,avg_rt=off,tps=off", yml)
	if code != exitOK || !strings.Contains(stdout, "base: run "+r.RunID) {
		t.Errorf("against the service's baseline: exit %d\n%s%s", code, stdout, errOut)
	}
	if code, _, errOut := metaCmd(t, nil, "run", "--quiet", "--set=base="+srv.URL, "--baseline", base, "--project", "shop", yml); code != exitInvalid || !strings.Contains(errOut, "401") {
		t.Errorf("without the token: exit %d\n%s", code, errOut)
	}
}
