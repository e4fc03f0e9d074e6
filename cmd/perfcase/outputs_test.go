package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every output of the table that writes a file checks it before the run,
// and every mistake is named at once: nothing runs, and no file is made.
func TestRunOutputsCheckedBeforeTheRun(t *testing.T) {
	srv, hits := okServer(t)
	missing := filepath.Join(t.TempDir(), "no", "such", "dir")
	yml := strings.Replace(countScenario, "%s", "success_rate >= 100", 1)
	var all []string
	files := 0
	fs := newRunFlags(&env{})
	for _, r := range runOutputs() {
		// The outputs whose value is a file, as their help names it (the
		// live outputs take an address or a URL).
		if r.flag == "" || r.isBool || r.input {
			continue
		}
		if name, _ := flag.UnquoteUsage(fs.Lookup(r.flag)); name != "file" {
			continue
		}
		files++
		path := filepath.Join(missing, r.flag)
		all = append(all, "--"+r.flag, path)
		code, stdout, errOut := runScenario(t, yml, "--set=base="+srv.URL, "--"+r.flag, path)
		if code != exitInvalid || !strings.Contains(errOut, "cannot write") || !strings.Contains(errOut, path) || stdout != "" {
			t.Errorf("--%s to a missing directory: exit %d\n%s%s", r.flag, code, stdout, errOut)
		}
	}
	if files < 5 {
		t.Fatalf("%d file outputs in the table", files)
	}
	// And --upload without its endpoint: every mistake in one message.
	code, _, errOut := runScenario(t, yml, append(all, "--set=base="+srv.URL, "--upload")...)
	for i := 1; i < len(all); i += 2 {
		if !strings.Contains(errOut, all[i]) {
			t.Errorf("the message does not name %s:\n%s", all[i], errOut)
		}
	}
	if code != exitInvalid || !strings.Contains(errOut, "give --endpoint") || !strings.Contains(errOut, "nothing was run") {
		t.Errorf("every output wrong: exit %d\n%s", code, errOut)
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent: the run should not start", hits.Load())
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a file was made: %v", err)
	}
}

// demo adds the default scenario unless the command line ends with one:
// a last word after a switch is a file, after a flag that takes a value
// it is that value.
func TestDemoHasScenario(t *testing.T) {
	e := &env{}
	for _, c := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"x.yaml"}, true},
		{[]string{"-"}, true},
		{[]string{"--quiet"}, false},
		{[]string{"--quiet", "x.yaml"}, true},
		{[]string{"--self", "x.yaml"}, true},
		{[]string{"--upload", "x.yaml"}, true},
		{[]string{"--insecure", "x.yaml"}, true},
		{[]string{"--out", "r.json"}, false},
		{[]string{"--grace", "1s"}, false},
		{[]string{"--out=r.json", "x.yaml"}, true},
		{[]string{"--bogus", "x"}, false},
	} {
		if got := hasScenario(e, c.args); got != c.want {
			t.Errorf("hasScenario(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}

// --self and --cpuprofile are outputs too: the cost line once the run is
// over, and the profile written with the reports.
func TestRunSelfAndProfile(t *testing.T) {
	srv, _ := okServer(t)
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	code, stdout, errOut := runScenario(t, strings.Replace(countScenario, "%s", "success_rate >= 100", 1), "--set=base="+srv.URL,
		"--self", "--cpuprofile", prof)
	if code != exitOK || !strings.Contains(errOut, "generator: 100 requests,") || !strings.Contains(errOut, "µs CPU per request") {
		t.Errorf("exit %d\n%s%s", code, stdout, errOut)
	}
	data, err := os.ReadFile(prof)
	if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("the profile is not a gzipped pprof profile: %v, %d bytes", err, len(data))
	}
}
