package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// runCmd runs a command line in-process and returns its exit code and
// output streams.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := run(e, args)
	return code, out.String(), errb.String()
}

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const validScenario = `name: ok
variables:
  base: http://127.0.0.1:8080
cases:
  - name: browse
    steps:
      - http: {url: "${base}/"}
      - loop: 2
        steps: [{http: {name: item, url: "${base}/items/1"}}]
    stages:
      - {concurrency: 5, duration: 30s}
      - {tps: 10, count: 100}
`

func TestValidateOK(t *testing.T) {
	p := writeScenario(t, validScenario)
	code, out, errOut := runCmd(t, "validate", p)
	if code != exitOK {
		t.Fatalf("validate exit %d, stderr:\n%s", code, errOut)
	}
	want := `case "browse": 3 steps, 2 requests, 2 stages, peak 5 VUs and 10 TPS, ~30s + 100 sends`
	if !strings.Contains(out, p+": ok") || !strings.Contains(out, want) {
		t.Errorf("validate output:\n%s\nwant it to contain %q", out, want)
	}
}

func TestValidateInvalidExits2WithEveryError(t *testing.T) {
	p := writeScenario(t, `name: bad
cases:
  - name: c
    steps:
      - thnk: 1s
      - http: {url: "http://127.0.0.1/${nope}"}
    stages: [{concurrency: 1}]
`)
	code, out, errOut := runCmd(t, "validate", p)
	if code != exitInvalid {
		t.Fatalf("validate exit %d, want %d", code, exitInvalid)
	}
	for _, want := range []string{p + ":5:9: unknown key \"thnk\"", "did you mean \"think\"?", p + ":6:", "unknown variable \"nope\"", p + ":7:14: stage (concurrency) needs a duration or a count", "perfcase: 3 errors in " + p, "nothing was run"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing for an invalid file", out)
	}
}

func TestValidateSetFlag(t *testing.T) {
	p := writeScenario(t, `name: s
cases:
  - name: c
    steps: [{http: {url: "${target}/"}}]
    stages: [{concurrency: 1, duration: 1s}]
`)
	if code, _, errOut := runCmd(t, "validate", p); code != exitInvalid || !strings.Contains(errOut, `unknown variable "target"`) {
		t.Errorf("without --set: exit %d, stderr %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, "validate", "--set", "target=http://127.0.0.1:1", p); code != exitOK {
		t.Errorf("with --set: exit %d, stderr %s", code, errOut)
	}
	// Flags may follow the file names.
	if code, _, errOut := runCmd(t, "validate", p, "--set", "target=http://127.0.0.1:1"); code != exitOK {
		t.Errorf("with --set after the file: exit %d, stderr %s", code, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitInvalid, "usage: perfcase"}, // on stderr: a usage error
		{[]string{"nosuch"}, exitInvalid, `unknown command "nosuch"`},
		{[]string{"validate"}, exitInvalid, "name at least one scenario file"},
		{[]string{"validate", "--bogus", "x.yaml"}, exitInvalid, "flag provided but not defined"},
		{[]string{"validate", "--set", "novalue", "x.yaml"}, exitInvalid, "--set wants name=value"},
		{[]string{"validate", "/no/such/file.yaml"}, exitInvalid, "cannot read scenario"},
		{[]string{"validate", "--help"}, exitOK, "perfcase validate examples/*.yaml"},
		{[]string{"help"}, exitOK, "Exit codes"},
		{[]string{"schema", "--help"}, exitOK, "perfcase schema"},
		{[]string{"schema", "extra"}, exitInvalid, "schema takes no arguments"},
		{[]string{"schema"}, exitOK, `"$schema"`},
	}
	for _, tc := range cases {
		code, out, errOut := runCmd(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("perfcase %v: exit %d, output %q; want exit %d containing %q", tc.args, code, out+errOut, tc.code, tc.want)
		}
	}
}

// TestExamplesValidate checks every example scenario: each must validate,
// each case with a summary line.
func TestExamplesValidate(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("found %d examples (%v), want at least 5", len(files), err)
	}
	code, out, errOut := runCmd(t, append([]string{"validate"}, files...)...)
	if code != exitOK {
		t.Fatalf("validate examples: exit %d\n%s", code, errOut)
	}
	if n := strings.Count(out, ": ok\n"); n != len(files) {
		t.Errorf("%d of %d examples reported ok:\n%s", n, len(files), out)
	}
	if strings.Contains(out, "peak  ") || strings.Contains(out, "peak ,") {
		t.Errorf("a case summary lacks its peak load:\n%s", out)
	}
}

// TestReadmeQuickStart runs the README's first command in-process, from
// the repository's root as the README says: a real example, end to end,
// against the demo target, ending with every checkpoint passed.
func TestReadmeQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, quick, _ := strings.Cut(string(readme), "## Quick start")
	var args []string
	for _, line := range strings.Split(quick, "\n") {
		if cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "go run ./cmd/perfcase "); ok {
			args = strings.Fields(cmd)
			break
		}
	}
	if len(args) == 0 || args[0] != "demo" {
		t.Fatalf("the README's quick start has no 'go run ./cmd/perfcase demo' command: %q", args)
	}
	t.Chdir("../..")
	code, out, errOut := runCmd(t, args...)
	if code != exitOK {
		t.Fatalf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
	}
	for _, want := range []string{"quickstart (examples/quickstart.yaml): completed", "case get-item: passed", "all 2 checkpoints passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "vus 10") {
		t.Errorf("no live progress line:\n%s", errOut)
	}
}

// perfcase --version and perfcase version print what was built and the
// Go that built it.
func TestVersion(t *testing.T) {
	var first string
	for _, args := range [][]string{{"--version"}, {"version"}, {"-version"}} {
		code, out, errOut := runCmd(t, args...)
		if code != exitOK || errOut != "" || !regexp.MustCompile(`^perfcase \S+.* \(go1\.\d+`).MatchString(out) || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errOut)
		}
		if first == "" {
			first = out
		} else if out != first {
			t.Errorf("%v printed %q, --version %q", args, out, first)
		}
	}
}

// Help asked for is printed once, to standard output.
func TestHelpPrintedOnce(t *testing.T) {
	for _, cmd := range []string{"validate", "run", "scale", "target", "import", "export", "report", "upload", "version", "schema", "demo"} {
		for _, flag := range []string{"--help", "-h"} {
			code, out, errOut := runCmd(t, cmd, flag)
			if code != exitOK || errOut != "" || strings.Count(out, "usage: perfcase "+cmd) != 1 {
				t.Errorf("%s %s: exit %d, %d usages on stdout, stderr %q", cmd, flag, code, strings.Count(out, "usage: perfcase "+cmd), errOut)
			}
		}
	}
}

// A mistake on the command line gets one line: what is wrong and where
// the help is, not the whole usage.
func TestCommandLineMistakesOneLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scale", "abc"}, `perfcase scale: TARGET must be a number ≥ 0 (VUs, or passes per second), got "abc" (see 'perfcase scale --help')`},
		{[]string{"scale", "1", "2"}, `perfcase scale: give one TARGET, got 2: 1 2 (see 'perfcase scale --help')`},
		{[]string{"scale", "--control", "nohost", "5"}, `perfcase scale: --control address "nohost": want host:port, e.g. 127.0.0.1:6565 (see 'perfcase scale --help')`},
		{[]string{"scale", "--bogus"}, `perfcase scale: flag provided but not defined: -bogus (see 'perfcase scale --help')`},
		{[]string{"run"}, `perfcase run: name one scenario file, e.g. perfcase run examples/quickstart.yaml (see 'perfcase run --help')`},
		{[]string{"run", "--grace", "soon", "x.yaml"}, `perfcase run: invalid value "soon" for flag -grace: parse error (see 'perfcase run --help')`},
		{[]string{"validate"}, `perfcase validate: name at least one scenario file, e.g. perfcase validate examples/quickstart.yaml (see 'perfcase validate --help')`},
		{[]string{"validate", "-x", "a.yaml"}, `perfcase validate: flag provided but not defined: -x (see 'perfcase validate --help')`},
		{[]string{"report", "r.json"}, `perfcase report: say what to write: --html FILE, e.g. perfcase report r.json --html report.html (see 'perfcase report --help')`},
		{[]string{"import"}, `perfcase import: name one file to convert, e.g. perfcase import case.json (see 'perfcase import --help')`},
		{[]string{"export", "a.yaml", "b.yaml"}, `perfcase export: name one scenario file, e.g. perfcase export scenario.yaml (see 'perfcase export --help')`},
		{[]string{"upload"}, `perfcase upload: name one report file, e.g. perfcase upload --endpoint URL --project ID report.json (see 'perfcase upload --help')`},
		{[]string{"target", "extra"}, `perfcase target: takes no arguments, got "extra" (see 'perfcase target --help')`},
		{[]string{"schema", "extra"}, `perfcase schema: schema takes no arguments, got "extra" (see 'perfcase schema --help')`},
		{[]string{"version", "extra"}, `perfcase version: version takes no arguments, got "extra" (see 'perfcase version --help')`},
		{[]string{"bogus"}, `perfcase: unknown command "bogus"; 'perfcase help' lists the commands`},
	} {
		code, out, errOut := runCmd(t, c.args...)
		if code != exitInvalid || out != "" || errOut != c.want+"\n" {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and one line:\n%s", c.args, code, out, errOut, c.want)
		}
	}
}
