package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
)

// mainEnv makes the test binary act as perfcase itself, for tests that
// must run the command in a process of its own (to kill it, say).
const mainEnv = "PERFCASE_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// outputFlags names every file a run writes, in dir.
func outputFlags(dir string) []string {
	return []string{"--out", filepath.Join(dir, "report.json"), "--html", filepath.Join(dir, "report.html"),
		"--junit", filepath.Join(dir, "junit.xml"), "--summary-md", filepath.Join(dir, "summary.md"),
		"--cpuprofile", filepath.Join(dir, "cpu.pprof")}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A run that exits 2 ("nothing was run") creates no file at all: not for
// an invalid scenario, and not when one output of several cannot be
// written (each such output is named at once).
func TestRunExit2LeavesNoFile(t *testing.T) {
	srv, hits := okServer(t)
	dir := t.TempDir()
	step := filepath.Join(dir, "step_summary.md")
	e := &env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, lookupEnv: func(k string) (string, bool) {
		if k == "GITHUB_STEP_SUMMARY" {
			return step, true
		}
		return "", false
	}}
	invalid := writeScenario(t, strings.Replace(countScenario, "%s", "tp99 < 1s", 1)+"    typo: 1\n")
	if code := run(e, append(append([]string{"run", "--quiet", "--set=base=" + srv.URL}, outputFlags(dir)...), invalid)); code != exitInvalid {
		t.Fatalf("an invalid scenario: exit %d", code)
	}
	if n := dirNames(t, dir); len(n) != 0 {
		t.Errorf("an invalid scenario left %v", n)
	}

	var stderr bytes.Buffer
	e.stderr = &stderr
	missing := filepath.Join(dir, "no", "such")
	args := append([]string{"run", "--quiet", "--set=base=" + srv.URL}, outputFlags(dir)...)
	args = append(args, "--junit", filepath.Join(missing, "junit.xml"), "--summary-md", filepath.Join(missing, "summary.md"),
		writeScenario(t, strings.Replace(countScenario, "%s", "tp99 < 1s", 1)))
	if code := run(e, args); code != exitInvalid {
		t.Fatalf("an unwritable output: exit %d\n%s", code, stderr.String())
	}
	for _, want := range []string{
		"cannot write the JUnit report to " + filepath.Join(missing, "junit.xml") + ": directory " + missing + " does not exist",
		"cannot write the Markdown summary to " + filepath.Join(missing, "summary.md") + ": directory " + missing + " does not exist",
		"nothing was run",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if n := dirNames(t, dir); len(n) != 0 {
		t.Errorf("a run refused for an unwritable output left %v", n)
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent: nothing should run", hits.Load())
	}
}

// --out naming a writable file in a directory the user cannot write is
// refused before the run: the report is written by a rename in that
// directory, which would fail only after the whole run.
func TestRunOutInUnwritableDir(t *testing.T) {
	if !testsupport.Unprivileged(t) {
		return
	}
	srv, hits := okServer(t)
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.json")
	if err := os.WriteFile(out, []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	code, _, errOut := runScenario(t, strings.Replace(countScenario, "%s", "tp99 < 1s", 1), "--set=base="+srv.URL, "--out", out)
	want := "cannot write the report to " + out + ": cannot create files in directory " + dir + ": permission denied; nothing was run"
	if code != exitInvalid || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, want 2 with %q\n%s", code, want, errOut)
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent: the run should not start", hits.Load())
	}
	if data, _ := os.ReadFile(out); string(data) != "old" {
		t.Errorf("the file became %q", data)
	}
}

// Replacing a 0600 report keeps it 0600, and a symbolic link planted at
// the temporary name the reports once used (<out>.tmp) is not followed.
func TestRunReportModeAndPlantedLink(t *testing.T) {
	srv, _ := okServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{out, filepath.Join(dir, "report.html"), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "summary.md"), filepath.Join(dir, "cpu.pprof")} {
		if err := os.Symlink(victim, p+".tmp"); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := runScenario(t, strings.Replace(countScenario, "%s", "tp99 < 5s", 1), append([]string{"--set=base=" + srv.URL}, outputFlags(dir)...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if data, _ := os.ReadFile(victim); string(data) != "precious" {
		t.Errorf("a planted link was followed: its target holds %.40q", data)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the 0600 report is now %v (%v)", st.Mode(), err)
	}
	if data, _ := os.ReadFile(out); !bytes.Contains(data, []byte(`"perfcase"`)) {
		t.Errorf("the report was not replaced: %.40q", data)
	}
	// The five outputs and the five links; no temporary file is left.
	if n := dirNames(t, dir); len(n) != 10 || slices.ContainsFunc(n, func(s string) bool { return strings.HasPrefix(s, ".") }) {
		t.Errorf("the directory holds %v", n)
	}
}

// A run killed with SIGKILL while the load goes on leaves no output file:
// nothing is created before the run ends.
func TestRunKilledLeavesNoFile(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	scenario := writeScenario(t, `name: long
cases:
  - name: c
    steps:
      - http: {url: "${base}/"}
      - think: 10ms
    stages: [{concurrency: 2, duration: 1m}]
`)
	cmd := exec.Command(exe, append(append([]string{"run", "--quiet", "--set=base=" + srv.URL}, outputFlags(dir)...), scenario)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1", "GITHUB_STEP_SUMMARY="+filepath.Join(dir, "step_summary.md"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for hits.Load() < 10 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the run sent %d requests in 10 s\n%s", hits.Load(), out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if n := dirNames(t, dir); len(n) != 0 {
		t.Errorf("a killed run left %v", n)
	}
}
