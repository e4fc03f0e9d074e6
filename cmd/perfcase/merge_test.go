package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/output"
)

// writeParts runs the count scenario's 100 passes split n ways, part i
// with 'perfcase run --segment i/n --run-id split-1', one after the other,
// against a server on 127.0.0.1, and returns the parts' reports.
func writeParts(t *testing.T, n int, kpis string) []string {
	t.Helper()
	srv, hits := okServer(t)
	scn := strings.Replace(countScenario, "%s", kpis, 1)
	dir := t.TempDir()
	var files []string
	for i := range n {
		path := filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
		if code, out, errOut := runScenario(t, scn, "--set=base="+srv.URL, "--out", path,
			"--segment", fmt.Sprintf("%d/%d", i, n), "--run-id", "split-1"); code != exitFailed {
			t.Fatalf("part %d alone sends its share of 100 requests and misses requests == 100: exit %d\n%s%s", i, code, out, errOut)
		}
		files = append(files, path)
	}
	if hits.Load() != 100 {
		t.Fatalf("the parts sent %d requests", hits.Load())
	}
	return files
}

// Four parts of 25 requests each, none of which holds requests == 100
// alone, merge into a run of 100 requests whose KPIs hold: the verdict
// and exit code are the merged run's.
func TestMergeCommand(t *testing.T) {
	files := writeParts(t, 4, "requests == 100, success_rate >= 100")
	out := filepath.Join(t.TempDir(), "run.json")
	junit := filepath.Join(t.TempDir(), "junit.xml")
	code, stdout, stderr := runCmd(t, append([]string{"merge", "--out", out, "--junit", junit}, files...)...)
	if code != exitOK || !strings.Contains(stdout, "all 2 checkpoints passed") {
		t.Fatalf("merge: exit %d\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep output.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	pc := rep.Result.Perfcase
	if perf := rep.Result.Cases[0].Detail.Performance; *perf.Requests != 100 || pc.Verdict != "passed" || pc.RunID != "split-1" ||
		pc.Merged == nil || pc.Merged.Count != 4 || len(pc.Merged.Parts) != 4 || pc.Merged.Partial || pc.Segment != nil {
		t.Errorf("merged report: %v requests, verdict %s, merged %+v", *perf.Requests, pc.Verdict, pc.Merged)
	}
	if _, err := os.Stat(junit); err != nil {
		t.Error(err)
	}
	// Each part ran 1 of the 4 VUs, for less than a second: the merged
	// case's peak is their sum, not the mean of its one second.
	if perf := rep.Result.Cases[0].Detail.Performance; *perf.UserConcur != 4 || !strings.Contains(stdout, "max 4 VUs") {
		t.Errorf("merged peak: userConcur %v\n%s", *perf.UserConcur, stdout)
	}

	// A part missing: refused, named, nothing written.
	os.Remove(out)
	code, _, stderr = runCmd(t, "merge", "--out", out, files[0], files[1], files[3])
	if code != exitInvalid || !strings.Contains(stderr, `part 2 of 4 of run "split-1" missing`) || !strings.Contains(stderr, "--allow-partial") {
		t.Errorf("a missing part: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused merge wrote its report")
	}
	// --allow-partial merges the three, and the run is partial: exit 3.
	code, stdout, stderr = runCmd(t, "merge", "--allow-partial", "--out", out, files[0], files[1], files[3])
	if code != exitAborted || !strings.Contains(stdout, "partial run (part 2 of 4 missing), which cannot pass") || !strings.Contains(stderr, "the run is partial") {
		t.Errorf("--allow-partial: exit %d\n%s%s", code, stdout, stderr)
	}
	data, _ = os.ReadFile(out)
	if !strings.Contains(string(data), `"verdict": "partial"`) || !strings.Contains(string(data), `"missing": [2]`) {
		t.Errorf("the partial report does not say so:\n%.300s", data)
	}
	// A report that is not a part.
	code, _, stderr = runCmd(t, "merge", files[0], writeScenario(t, "name: x\n"))
	if code != exitInvalid || !strings.Contains(stderr, "is not a report JSON") {
		t.Errorf("a scenario given as a part: exit %d\n%s", code, stderr)
	}
}

// TestScaleOutDocMerge runs the perfcase merge command of
// docs/scale-out.md on four parts, and checks that the refusal and the
// partial run's summary it quotes are what merge says.
func TestScaleOutDocMerge(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scale-out.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(doc)), " ")
	line := regexp.MustCompile(`perfcase merge ((?:--\S+ \S+ )+)part-\*\.json`).FindStringSubmatch(text)
	refusal := regexp.MustCompile("`(part 2 of 4 of run \"nightly-42\" missing: [^`]+)`").FindStringSubmatch(text)
	partial := regexp.MustCompile("`(partial run \\(part 2 of 4 missing\\), which cannot pass:) …`").FindStringSubmatch(text)
	if line == nil || refusal == nil || partial == nil {
		t.Fatalf("docs/scale-out.md lacks the merge command (%v), its refusal (%v) or its partial summary (%v)", line != nil, refusal != nil, partial != nil)
	}
	files := writeParts(t, 4, "requests == 100")
	dir := t.TempDir()
	args := strings.Fields(line[1])
	var outs []string
	for i := 1; i < len(args); i += 2 {
		args[i] = filepath.Join(dir, args[i])
		outs = append(outs, args[i])
	}
	code, stdout, stderr := runCmd(t, append(append([]string{"merge"}, args...), files...)...)
	if code != exitOK || !strings.Contains(stdout, "all 1 checkpoint passed") {
		t.Fatalf("merge %q: exit %d\n%s%s", args, code, stdout, stderr)
	}
	for _, o := range outs {
		if st, err := os.Stat(o); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", o, err)
		}
	}
	missing := []string{files[0], files[1], files[3]}
	want := strings.Replace(refusal[1], "nightly-42", "split-1", 1)
	if code, _, stderr := runCmd(t, append([]string{"merge"}, missing...)...); code != exitInvalid || !strings.Contains(stderr, want) {
		t.Errorf("a part missing: exit %d, want 2 and %q:\n%s", code, want, stderr)
	}
	if code, stdout, _ := runCmd(t, append([]string{"merge", "--allow-partial"}, missing...)...); code != exitAborted || !strings.Contains(stdout, partial[1]) {
		t.Errorf("--allow-partial: exit %d, want 3 and %q:\n%s", code, partial[1], stdout)
	}
}

// An output merge cannot write is refused before anything is merged, and
// says so in merge's words.
func TestMergeUnwritableOutput(t *testing.T) {
	files := writeParts(t, 2, "requests == 100")
	out := filepath.Join(t.TempDir(), "no", "such", "dir", "run.json")
	code, _, stderr := runCmd(t, append([]string{"merge", "--out", out}, files...)...)
	if code != exitInvalid || !strings.Contains(stderr, "nothing was merged") || strings.Contains(stderr, "nothing was run") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// interruptedPart runs part i/n of yml with 'perfcase run --segment i/n
// --run-id split-1' and more args, Ctrl-C once stop says so, and returns
// its report.
func interruptedPart(t *testing.T, yml, base string, i, n int, stop func() bool, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), fmt.Sprintf("part-%d.json", i))
	sigs := make(chan os.Signal, 1)
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, lookupEnv: func(string) (string, bool) { return "", false }, signals: sigs}
	go func() {
		for !stop() {
			time.Sleep(10 * time.Millisecond)
		}
		sigs <- os.Interrupt
	}()
	args = append([]string{"run", "--quiet", "--set=base=" + base, "--out", out, "--segment", fmt.Sprintf("%d/%d", i, n), "--run-id", "split-1"}, args...)
	if code := run(e, append(args, writeScenario(t, yml))); code != exitAborted {
		t.Fatalf("part %d interrupted: exit %d\n%s%s", i, code, stdout.String(), stderr.String())
	}
	return out
}

// mergedReport merges files with 'perfcase merge --allow-partial', which
// exits 3, and returns the merged report.
func mergedReport(t *testing.T, files ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "run.json")
	code, stdout, stderr := runCmd(t, append([]string{"merge", "--allow-partial", "--out", out}, files...)...)
	if code != exitAborted || !strings.Contains(stdout, "which cannot pass") {
		t.Fatalf("merge --allow-partial %v: exit %d\n%s%s", files, code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A part interrupted while it waits for --start-at started no case and
// has no segment.started: it is a failed part, refused by default and
// named; --allow-partial merges the other, whose figures are exact, into
// a partial run (exit 3), in either order.
func TestMergeInterruptedWhileWaiting(t *testing.T) {
	srv, hits := okServer(t)
	scn := strings.Replace(countScenario, "%s", "requests == 100", 1)
	path := filepath.Join(t.TempDir(), "part-0.json")
	if code, out, errOut := runScenario(t, scn, "--set=base="+srv.URL, "--out", path, "--segment", "0/2", "--run-id", "split-1"); code != exitFailed {
		t.Fatalf("part 0: exit %d\n%s%s", code, out, errOut)
	}
	begin := time.Now()
	waiting := interruptedPart(t, scn, srv.URL, 1, 2, func() bool { return time.Since(begin) > 200*time.Millisecond }, "--start-at", time.Now().Add(time.Hour).Format(time.RFC3339))
	if hits.Load() != 50 {
		t.Fatalf("the parts sent %d requests, want part 0's 50", hits.Load())
	}
	if code, _, stderr := runCmd(t, "merge", path, waiting); code != exitInvalid || !strings.Contains(stderr, "part 1 of 2, failed (interrupted") ||
		strings.Contains(stderr, "RFC 3339") {
		t.Errorf("without --allow-partial: exit %d\n%s", code, stderr)
	}
	var first []byte
	for _, files := range [][]string{{path, waiting}, {waiting, path}} {
		data := mergedReport(t, files...)
		var rep output.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		pc := rep.Result.Perfcase
		if len(rep.Result.Cases) != 1 || *rep.Result.Cases[0].Detail.Performance.Requests != 50 || pc.Verdict != "partial" ||
			fmt.Sprint(pc.Merged.Failed, pc.Merged.Missing) != "[1] []" || pc.Merged.StartSpreadMS != 0 || pc.Merged.Parts[1].Started != "" ||
			pc.Merged.Parts[1].Status != "interrupted" {
			t.Errorf("merged %v: %d cases, verdict %s, merged %+v", files, len(rep.Result.Cases), pc.Verdict, pc.Merged)
		}
		if first == nil {
			first = data
		} else if !bytes.Equal(data, first) {
			t.Error("the parts merged in the other order give another report")
		}
	}
}

// twoCases runs case a for 2 s, then case b's 10 passes.
const twoCases = `name: two
cases:
  - name: a
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{concurrency: 2, duration: 2s}]
  - name: b
    steps: [{http: {name: get2, url: "${base}/"}}]
    stages: [{concurrency: 2, count: 10}]
`

// A part of a sequential file interrupted in its first case has no second
// case: --allow-partial merges case a of both parts and case b of the
// part that completed, by name, into a partial run, in either order.
func TestMergeInterruptedFewerCases(t *testing.T) {
	srv, hits := okServer(t)
	done := filepath.Join(t.TempDir(), "part-0.json")
	if code, out, errOut := runScenario(t, twoCases, "--set=base="+srv.URL, "--out", done, "--segment", "0/2", "--run-id", "split-1"); code != exitOK {
		t.Fatalf("part 0: exit %d\n%s%s", code, out, errOut)
	}
	// Part 1 is stopped once its first requests arrive, in case a's 2 s.
	sent := hits.Load()
	cut := interruptedPart(t, twoCases, srv.URL, 1, 2, func() bool { return hits.Load() > sent+2 })
	requests := func(data []byte) map[string]float64 {
		var rep output.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		n := map[string]float64{}
		for i, c := range rep.Result.Perfcase.Cases {
			n[c.Case] = *rep.Result.Cases[i].Detail.Performance.Requests
		}
		return n
	}
	read := func(path string) []byte {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	p0, p1 := requests(read(done)), requests(read(cut))
	if len(p0) != 2 || p0["b"] != 5 || len(p1) != 1 || p1["a"] == 0 || float64(hits.Load()) != p0["a"]+p0["b"]+p1["a"] {
		t.Fatalf("part 0 ran %v, part 1 %v, the server saw %d", p0, p1, hits.Load())
	}
	var first []byte
	for _, files := range [][]string{{done, cut}, {cut, done}} {
		data := mergedReport(t, files...)
		merged := requests(data)
		var rep output.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		pc := rep.Result.Perfcase
		if pc.Verdict != "partial" || fmt.Sprint(pc.Merged.Failed) != "[1]" || len(pc.Cases) != 2 || pc.Cases[0].Case != "a" ||
			merged["a"] != p0["a"]+p1["a"] || merged["b"] != 5 {
			t.Errorf("merged %v: verdict %s, cases %v, merged %+v", files, pc.Verdict, merged, pc.Merged)
		}
		if first == nil {
			first = data
		} else if !bytes.Equal(data, first) {
			t.Error("the parts merged in the other order give another report")
		}
	}
}
