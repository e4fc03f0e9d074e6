package main

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// --junit and --summary-md write their files after the run, and the
// Markdown summary is appended to $GITHUB_STEP_SUMMARY, keeping what the
// file held; the exit code stays the gate.
func TestRunJUnitAndMarkdown(t *testing.T) {
	srv, _ := okServer(t)
	dir := t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	md := filepath.Join(dir, "summary.md")
	step := filepath.Join(dir, "step_summary.md")
	if err := os.WriteFile(step, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, lookupEnv: func(k string) (string, bool) {
		if k == "GITHUB_STEP_SUMMARY" {
			return step, true
		}
		return "", false
	}}
	path := writeScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100, tp99 < 0.001ms", 1))
	code := run(e, []string{"run", "--quiet", "--set", "base=" + srv.URL, "--junit", junit, "--summary-md", md, path})
	if code != exitFailed {
		t.Fatalf("a failing KPI: exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}

	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, data)
	}
	if doc.Name != "gate" || doc.Tests != 3 || doc.Failures != 1 || doc.Errors != 0 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 3 {
		t.Fatalf("junit.xml: %+v\n%s", doc, data)
	}
	tp99 := doc.Suites[0].Cases[1]
	if tp99.Name != "tp99 < 0.001ms" || tp99.Classname != "gate.c" || tp99.Failure == nil || tp99.Failure.Type != "checkpoint" ||
		!strings.HasPrefix(tp99.Failure.Message, "tp99 < 0.001ms: observed ") || !strings.HasSuffix(tp99.Failure.Message, " ms (threshold 0.001 ms)") {
		t.Errorf("the failing KPI's test: %+v", tp99)
	}

	summary, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(summary), "## ❌ gate: 1 of 2 checkpoints failed\n") || !strings.Contains(string(summary), "| `get` | request | 100 |") {
		t.Errorf("summary.md:\n%s", summary)
	}
	appended, err := os.ReadFile(step)
	if err != nil {
		t.Fatal(err)
	}
	if want := "earlier step\n\n" + string(summary); string(appended) != want {
		t.Errorf("$GITHUB_STEP_SUMMARY:\n%s\nwant what it held, a blank line, then the summary:\n%s", appended, want)
	}
	for _, p := range []string{junit, md} {
		if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
			t.Errorf("%s.tmp is left behind: %v", p, err)
		}
	}
}

// A file that cannot be written is found before the run (exit 2).
func TestRunJUnitNotWritable(t *testing.T) {
	srv, hits := okServer(t)
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "junit.xml")
	for _, flag := range []string{"--junit", "--summary-md"} {
		code, _, errOut := runScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1), "--set=base="+srv.URL, flag, bad)
		if code != exitInvalid || !strings.Contains(errOut, "cannot write") || !strings.Contains(errOut, bad) {
			t.Errorf("%s to a missing directory: exit %d\n%s", flag, code, errOut)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent: the run should not start", hits.Load())
	}
}

// A file that cannot be written after the run exits 3, as --out does;
// the other files are still written.
func TestRunJUnitWriteFails(t *testing.T) {
	junitDir := t.TempDir()
	junit := filepath.Join(junitDir, "junit.xml")
	md := filepath.Join(t.TempDir(), "summary.md")
	// The JUnit file's directory goes away while the run goes on: the
	// check before the run passed, the write after it fails.
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { os.RemoveAll(junitDir) })
	}))
	t.Cleanup(srv.Close)
	code, _, errOut := runScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1), "--set=base="+srv.URL,
		"--junit", junit, "--summary-md", md)
	if code != exitAborted || !strings.Contains(errOut, "cannot write the JUnit report to "+junit+": directory "+junitDir+" does not exist") {
		t.Errorf("exit %d, want 3\n%s", code, errOut)
	}
	if data, err := os.ReadFile(md); err != nil || !strings.HasPrefix(string(data), "## ✅ gate: all 1 checkpoint passed") {
		t.Errorf("summary.md: %v\n%s", err, data)
	}
}
