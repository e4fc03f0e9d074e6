package main

import (
	"bytes"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// leaks returns the forms of secret found in text: as written, in any
// case, URL-encoded or hex-encoded.
func leaks(text, secret string) []string {
	low := strings.ToLower(text)
	var found []string
	for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), hex.EncodeToString([]byte(secret))} {
		if strings.Contains(low, strings.ToLower(form)) {
			found = append(found, form)
		}
	}
	return found
}

// A sensitive value used as a host name fails to resolve; the DNS error
// quotes the host lowercased. It is masked in the summary, the progress
// lines and every report: JSON, HTML, JUnit, Markdown and the step
// summary.
func TestSensitiveHostMaskedEverywhere(t *testing.T) {
	// A label over 63 characters is not a DNS name: the lookup fails at
	// once, without asking a server.
	secret := "Tenant-" + strings.Repeat("Q", 60) + "-Key"
	dir := t.TempDir()
	step := filepath.Join(dir, "step_summary.md")
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, lookupEnv: func(k string) (string, bool) {
		if k == "GITHUB_STEP_SUMMARY" {
			return step, true
		}
		return "", false
	}}
	p := writeScenario(t, `name: s
variables:
  host: {value: `+secret+`, sensitive: true}
cases:
  - name: c
    steps: [{http: {name: get, url: "http://${host}/x"}}]
    stages: [{concurrency: 1, count: 3}]
`)
	files := map[string]string{"--out": "report.json", "--html": "report.html", "--junit": "junit.xml", "--summary-md": "summary.md"}
	args := []string{"run"}
	for flag, name := range files {
		args = append(args, flag, filepath.Join(dir, name))
	}
	if code := run(e, append(args, p)); code != exitAborted {
		t.Fatalf("exit %d, want 3 (not one request succeeded)\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "connect to ***:80: cannot resolve ***") {
		t.Errorf("the summary does not show the masked error:\n%s", stdout.String())
	}
	outputs := map[string]string{"the summary": stdout.String(), "standard error": stderr.String()}
	for _, name := range append([]string{"step_summary.md"}, "report.json", "report.html", "junit.xml", "summary.md") {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("cannot resolve ***")) {
			t.Errorf("%s does not hold the masked error", name)
		}
		outputs[name] = string(data)
	}
	for where, text := range outputs {
		if l := leaks(text, secret); len(l) > 0 {
			t.Errorf("%s shows the secret as %q", where, l)
		}
	}
}

// validate quotes a URL that has no scheme; a sensitive value in it (here
// from --set, with characters that quoting escapes) is masked, and so is
// a warning's.
func TestValidateMasksSensitiveValues(t *testing.T) {
	secret := `Pa"ss\word`
	p := writeScenario(t, `name: s
variables:
  token: {value: placeholder, sensitive: true}
cases:
  - name: c
    steps: [{http: {url: "${token}/x"}}]
    stages: [{concurrency: 1, count: 1}]
`)
	code, out, errOut := runCmd(t, "validate", "--set", "token="+secret, p)
	if code != exitInvalid || !strings.Contains(errOut, `url "***/x" has no http:// or https:// scheme`) {
		t.Errorf("exit %d, want 2 with the URL masked\n%s%s", code, out, errOut)
	}
	for _, form := range []string{secret, `Pa\"ss\\word`, strings.ToLower(secret)} {
		if strings.Contains(out+errOut, form) {
			t.Errorf("validate shows the secret as %q:\n%s", form, errOut)
		}
	}
}
