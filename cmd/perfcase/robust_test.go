package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/runner"
)

// runOn runs a command line as runCmd does, on a machine with the given
// limits.
func runOn(t *testing.T, m runner.Machine, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, lookupEnv: func(string) (string, bool) { return "", false }, machine: &m}
	code := run(e, args)
	return code, out.String(), errb.String()
}

const hugeScenario = `name: huge
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages:
      - {concurrency: 1000000000, duration: 3s}
      - {tps: 1000000000, max_vus: 50, duration: 3s}
`

// Values past the caps are refused by validate and by run, the same on
// every machine: with the position and the cap, and nothing is sent.
func TestCapsRefusedBeforeTheRun(t *testing.T) {
	srv, hits := okServer(t)
	p := writeScenario(t, hugeScenario)
	code, out, errOut := runCmd(t, "validate", p)
	for _, want := range []string{
		"s.yaml:6:10: stage (concurrency): concurrency 1,000,000,000 is over the cap of 1,000,000 VUs",
		"s.yaml:7:10: stage (tps): tps 1,000,000,000 is over the cap of 10,000,000 passes a second",
		`hint: caps are the same on every machine and far beyond what one runs; see "Caps" in docs/language.md`,
	} {
		if code != exitInvalid || !strings.Contains(errOut, want) {
			t.Errorf("validate: exit %d, want %d and %q in\n%s%s", code, exitInvalid, want, out, errOut)
		}
	}
	start := time.Now()
	code, _, errOut = runCmd(t, "run", "--quiet", "--set=base="+srv.URL, p)
	if code != exitInvalid || !strings.Contains(errOut, "over the cap of 1,000,000 VUs") || !strings.Contains(errOut, "nothing was run") {
		t.Errorf("run: exit %d\n%s", code, errOut)
	}
	if hits.Load() != 0 {
		t.Errorf("run sent %d requests", hits.Load())
	}
	t.Logf("refused in %v", time.Since(start))
}

// Within the caps, run checks the plan against this machine before the
// load starts: a stage needing more open files or memory than there are
// is refused with exit 2, naming the stage, the need, the limit and how
// to raise it; nothing is sent.
func TestRunChecksTheMachine(t *testing.T) {
	srv, hits := okServer(t)
	p := writeScenario(t, `name: big
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages:
      - {name: warm, concurrency: 2, duration: 1s}
      - {name: peak, concurrency: 200000, duration: 1m}
`)
	code, _, errOut := runOn(t, runner.Machine{OpenFiles: 1024, OpenFilesHard: 4096, Memory: 1 << 30, MemoryFrom: "MemAvailable in /proc/meminfo"}, "run", "--quiet", "--set=base="+srv.URL, p)
	for _, want := range []string{
		`s.yaml:7:22: case "c", stage "peak": 200,000 VUs keeping 1 connection each need 200,256 open files (256 kept for the rest); this process may open 1,024`,
		"hint: raise the hard limit (ulimit -Hn, now 4,096) to 200256",
		`s.yaml:7:22: case "c", stage "peak": 200,000 VUs need about 3.9 GiB of memory (20 KiB per VU, 64.0 MiB for the rest); 1.0 GiB is available (MemAvailable in /proc/meminfo)`,
		"needs more than this machine has; nothing was run",
	} {
		if code != exitInvalid || !strings.Contains(errOut, want) {
			t.Errorf("run: exit %d, want %d and %q in\n%s", code, exitInvalid, want, errOut)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("a refused run sent %d requests", hits.Load())
	}
	// validate answers the same on every machine: the plan is valid.
	if code, out, errOut := runOn(t, runner.Machine{OpenFiles: 1024}, "validate", "--set=base="+srv.URL, p); code != exitOK {
		t.Errorf("validate of a plan within the caps: exit %d\n%s%s", code, out, errOut)
	}
}
