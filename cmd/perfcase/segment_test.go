package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/scenario"
)

// The proofs of a split run: N processes of perfcase (this test binary
// acting as it) stand in for N machines, each running one part with
// --segment, all started together with --start-at, against one server on
// 127.0.0.1 that records every request it gets.

// arrivals is a server on 127.0.0.1 that records when each request came
// and what it asked for.
type arrivals struct {
	srv  *httptest.Server
	mu   sync.Mutex
	when []time.Time
	what []string // the path, and the body after a space when there is one
}

func newArrivals(t *testing.T) *arrivals {
	a := &arrivals{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.when = append(a.when, now)
		a.what = append(a.what, strings.TrimSpace(r.URL.Path+" "+string(body)))
		a.mu.Unlock()
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *arrivals) reset() ([]time.Time, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	when, what := a.when, a.what
	a.when, a.what = nil, nil
	return when, what
}

// runParts runs the scenario yml in n processes, part i of n each (n = 0:
// one process, unsplit), all starting at the same instant a little ahead,
// and returns that instant, their reports and the reports' files.
func runParts(t *testing.T, yml string, n int, base string, files map[string]string) (time.Time, []*output.Report, []string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(file, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	procs := max(n, 1)
	// Far enough ahead that every process has started and loaded the file.
	startAt := time.Now().Add(1500 * time.Millisecond).Truncate(time.Millisecond)
	cmds := make([]*exec.Cmd, procs)
	outs := make([]bytes.Buffer, procs)
	for i := range procs {
		args := []string{"run", "--quiet", "--set=base=" + base, "--start-at", startAt.Format(time.RFC3339Nano),
			"--run-id", "split-" + t.Name(), "--out", filepath.Join(dir, fmt.Sprintf("part%d.json", i))}
		if n > 0 {
			args = append(args, "--segment", fmt.Sprintf("%d/%d", i, n))
		}
		cmds[i] = exec.Command(exe, append(args, file)...)
		cmds[i].Env = append(os.Environ(), mainEnv+"=1")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, procs)
	for _, c := range cmds {
		go func() { done <- c.Wait() }()
	}
	timeout := time.After(60 * time.Second)
	for range procs {
		select {
		case err := <-done:
			// Exit 1 is a part that ran and whose checkpoints failed:
			// its report is written, and the caller judges it.
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == exitFailed) {
				for i := range procs {
					t.Logf("part %d: %s", i, outs[i].String())
				}
				t.Fatalf("a part failed: %v", err)
			}
		case <-timeout:
			for _, c := range cmds {
				c.Process.Kill()
			}
			t.Fatal("the parts did not end within 60 s")
		}
	}
	reports := make([]*output.Report, procs)
	paths := make([]string, procs)
	for i := range procs {
		paths[i] = filepath.Join(dir, fmt.Sprintf("part%d.json", i))
		data, err := os.ReadFile(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		reports[i] = &output.Report{}
		if err := json.Unmarshal(data, reports[i]); err != nil {
			t.Fatal(err)
		}
		p := reports[i].Result.Perfcase
		if p.RunID != "split-"+t.Name() {
			t.Errorf("part %d: run id %q", i, p.RunID)
		}
		seg := p.Segment
		switch {
		case n == 0 && seg != nil:
			t.Errorf("an unsplit run's report has a segment %+v", seg)
		case n > 0 && (seg == nil || seg.Index != i || seg.Count != n || seg.StartAt != startAt.UTC().Format(time.RFC3339Nano) && seg.StartAt != startAt.Format(time.RFC3339Nano)):
			t.Errorf("part %d: segment %+v", i, seg)
		case n > 0 && seg.LateMS != 0:
			t.Errorf("part %d started %g ms late: the test gave too little time to start", i, seg.LateMS)
		}
		// Clock 0 is the start instant: the curves of every part start
		// at it, to the millisecond.
		for _, c := range p.Curves.Cases {
			if c.Start != startAt.UnixMilli() {
				t.Errorf("part %d: case %s's curves start at %d, want the start instant %d", i, c.Case, c.Start, startAt.UnixMilli())
			}
		}
	}
	return startAt, reports, paths
}

// requests is the case's requests in a report, from its curves.
func requests(r *output.Report) int64 {
	var n int64
	for _, c := range r.Result.Perfcase.Curves.Cases {
		for _, k := range c.Series[0].Count {
			n += k
		}
	}
	return n
}

// Count mode 1,000 over 4 processes: the target sees exactly 1,000
// requests, and the parts' reports say 1,000 between them.
func TestSegmentProcessesCount(t *testing.T) {
	a := newArrivals(t)
	_, reports, paths := runParts(t, `name: count
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{concurrency: 8, count: 1000}]
    kpis: [requests == 1000]
`, 4, a.srv.URL, nil)
	when, _ := a.reset()
	var sum int64
	for i, r := range reports {
		n := requests(r)
		if want := (scenario.Segment{Index: i, Count: 4}).Share(1000); n != want {
			t.Errorf("part %d sent %d, want %d", i, n, want)
		}
		sum += n
	}
	if len(when) != 1000 || sum != 1000 {
		t.Errorf("the target saw %d requests and the parts' reports say %d, want 1000", len(when), sum)
	}

	// 'perfcase merge' makes them one run of 1,000 requests, whose KPIs,
	// which no part holds alone, hold.
	merged := filepath.Join(t.TempDir(), "run.json")
	code, stdout, stderr := runCmd(t, append([]string{"merge", "--out", merged}, paths...)...)
	if code != exitOK {
		t.Fatalf("merge: exit %d\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(merged)
	if err != nil {
		t.Fatal(err)
	}
	var run output.Report
	if err := json.Unmarshal(data, &run); err != nil {
		t.Fatal(err)
	}
	pc := run.Result.Perfcase
	if perf := run.Result.Cases[0].Detail.Performance; *perf.Requests != 1000 || requests(&run) != 1000 || pc.Verdict != "passed" ||
		pc.Merged == nil || pc.Merged.Count != 4 || len(pc.Merged.Parts) != 4 || pc.Merged.Partial {
		t.Errorf("the merged run: %v requests (curves %d), verdict %s, merged %+v", *perf.Requests, requests(&run), pc.Verdict, pc.Merged)
	}

	// Uploaded to the report service, the parts are one run, partial
	// until the last arrives, then of 1,000 requests.
	data2 := t.TempDir()
	token := makeToken(t, data2, "shop", "write")
	base, _ := serveInProcess(t, "--data", data2)
	for i, path := range paths {
		if code, out, errOut := uploadCmd(t, token, "upload", "--endpoint", base, "--project", "shop", path); code != exitOK {
			t.Fatalf("upload of part %d: exit %d\n%s%s", i, code, out, errOut)
		}
		runs := serviceRuns(t, base, token)
		if len(runs) != 1 {
			t.Fatalf("after part %d: the service lists %d runs", i, len(runs))
		}
		r := runs[0]
		if r.RunID != "split-"+t.Name() || r.Parts != i+1 || r.Partial != (i < 3) || i == 3 && (r.Requests != 1000 || r.Verdict != "passed") {
			t.Errorf("after part %d: the service lists %+v", i, r)
		}
	}
}

// binStats is the mean and standard deviation of the arrivals per 100 ms
// over [from, from+d).
func binStats(when []time.Time, from time.Time, d time.Duration) (bins []float64, mean, sd float64) {
	bins = make([]float64, d/(100*time.Millisecond))
	for _, w := range when {
		if k := int(w.Sub(from) / (100 * time.Millisecond)); !w.Before(from) && k < len(bins) {
			bins[k]++
		}
	}
	for _, b := range bins {
		mean += b
	}
	mean /= float64(len(bins))
	for _, b := range bins {
		sd += (b - mean) * (b - mean)
	}
	return bins, mean, math.Sqrt(sd / float64(len(bins)))
}

// A 400/s stage for 3 s over 4 processes: the target sees the whole
// stage's 1,200 requests within 0.5%, and its arrivals per 100 ms are as
// even as one process's making the whole stage (run just before, in the
// same test): their standard deviation within 1.5 times it. 3 s rather
// than 10 keeps the test short; its 28 bins of 40 arrivals after the
// start show the same.
func TestSegmentProcessesRate(t *testing.T) {
	a := newArrivals(t)
	yml := `name: rate
cases:
  - name: c
    steps: [{http: {name: get, url: "${base}/"}}]
    stages: [{tps: 400, duration: 3s}]
`
	start, _, _ := runParts(t, yml, 0, a.srv.URL, nil)
	one, _ := a.reset()
	// The bins are counted from 200 ms in, for both: in the first ones
	// every process spawns its VUs and dials its connections at once,
	// and 5 processes doing so on this machine's 2 shared cores measure
	// the machine's scheduler, not how the passes were split (N machines
	// each start on cores of their own).
	const warm = 200 * time.Millisecond
	oneBins, _, oneSD := binStats(one, start.Add(warm), 3*time.Second-warm)
	start, reports, _ := runParts(t, yml, 4, a.srv.URL, nil)
	split, _ := a.reset()
	bins, mean, sd := binStats(split, start.Add(warm), 3*time.Second-warm)
	t.Logf("arrivals per 100 ms: one process sd %.2f (%d requests); 4 parts mean %.2f sd %.2f (%d requests)", oneSD, len(one), mean, sd, len(split))
	if d := math.Abs(float64(len(split)) - 1200); d > 6 {
		t.Errorf("the target saw %d requests from the parts, want 1200 ± 0.5%%", len(split))
	}
	// A bin's count moves by one when a timer's millisecond of lag
	// moves an arrival across its edge, so one process on an idle
	// machine can measure well under one arrival; below that floor the
	// comparison would measure the scheduler, not the split.
	if floor := max(oneSD, 1); sd > 1.5*floor {
		t.Errorf("arrivals per 100 ms: sd %.2f split in 4, %.2f in one process: want within 1.5 times (of at least 1)\nsplit: %v\none:   %v", sd, oneSD, bins, oneBins)
	}
	var sum int64
	for _, r := range reports {
		sum += requests(r)
	}
	if sum != int64(len(split)) {
		t.Errorf("the parts' reports say %d requests, the target saw %d", sum, len(split))
	}
}

// A VU ramp 0→10 over 3 processes: the VUs the parts measured each second
// sum to within one of the planned shape's.
func TestSegmentProcessesVURamp(t *testing.T) {
	a := newArrivals(t)
	yml := `name: ramp
cases:
  - name: c
    steps:
      - http: {name: get, url: "${base}/"}
      - think: 50ms
    stages: [{concurrency: 10, start_vus: 0, ramp_up: 3s, duration: 5s}]
`
	_, reports, _ := runParts(t, yml, 3, a.srv.URL, nil)
	f, err := scenario.Parse("ramp.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Compile(f, scenario.Options{Set: map[string]string{"base": a.srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	st := plan.Cases[0].Stages[0]
	sums := make([]float64, 5)
	for _, r := range reports {
		vus := r.Result.Perfcase.Curves.Cases[0].VUs
		for k := range min(len(vus), 5) {
			sums[k] += vus[k]
		}
	}
	for k, got := range sums {
		// The clock reads a second's VUs 100 ms into it.
		want := math.Round(st.Target(time.Duration(k)*time.Second + 100*time.Millisecond))
		if math.Abs(got-want) > 1 {
			t.Errorf("second %d: the parts measured %g VUs, the plan %g", k, got, want)
		}
	}
}

// A 60-row case-share CSV over 4 processes: the target sees every row
// exactly once.
func TestSegmentProcessesRows(t *testing.T) {
	a := newArrivals(t)
	var csv strings.Builder
	csv.WriteString("id\n")
	for i := range 60 {
		fmt.Fprintf(&csv, "row%d\n", i)
	}
	runParts(t, `name: rows
variables:
  row: {type: file, path: rows.csv, on_end: stop}
cases:
  - name: c
    steps: [{http: {name: rec, method: POST, url: "${base}/record", body: "${row.id}"}}]
    stages: [{concurrency: 8, duration: 20s}]
`, 4, a.srv.URL, map[string]string{"rows.csv": csv.String()})
	_, what := a.reset()
	seen := map[string]int{}
	for _, w := range what {
		seen[strings.TrimPrefix(w, "/record ")]++
	}
	var bad []string
	for i := range 60 {
		if n := seen[fmt.Sprintf("row%d", i)]; n != 1 {
			bad = append(bad, fmt.Sprintf("row%d×%d", i, n))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 || len(what) != 60 {
		t.Errorf("%d requests; rows not used exactly once: %v", len(what), bad)
	}
}

// validate --segment and run --segment refuse, at their place in the
// file, what a split run cannot do; run then sends nothing. A file that
// splits validates as its part, N taken from user_replicas when only I
// is given; malformed flags are usage errors.
func TestSegmentFlags(t *testing.T) {
	a := newArrivals(t)
	refused := writeScenario(t, `name: refused
cases:
  - name: c
    user_replicas: 4
    sla: [{name: slow, kpi: avg_rt < 1s, action: stop}]
    steps:
      - rendezvous: {name: all, users: 10}
      - http: {url: "`+a.srv.URL+`/"}
    stages: [{concurrency: 20, duration: 1s}]
`)
	for _, args := range [][]string{{"validate", "--segment", "0/4", refused}, {"run", "--segment", "1", "--quiet", refused}} {
		code, _, stderr := runCmd(t, args...)
		if code != exitInvalid || !strings.Contains(stderr, `s.yaml:5:11: case "c": SLA rule "slow" stops the run`) ||
			!strings.Contains(stderr, `s.yaml:7:9: case "c": rendezvous "all" waits for 10 users, but split in 4 parts the smallest part has 5 VUs`) {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	if when, _ := a.reset(); len(when) != 0 {
		t.Errorf("a refused run sent %d requests", len(when))
	}
	if code, stdout, stderr := runCmd(t, "validate", refused); code != 0 || !strings.Contains(stdout, "s.yaml: ok") {
		t.Errorf("unsplit, the file is valid: exit %d\n%s%s", code, stdout, stderr)
	}
	ok := writeScenario(t, `name: ok
cases:
  - name: c
    user_replicas: 3
    steps: [{http: {url: "http://127.0.0.1:1/"}}]
    stages: [{concurrency: 6, duration: 1s}]
`)
	if code, stdout, stderr := runCmd(t, "validate", "--segment", "2", ok); code != 0 || !strings.Contains(stdout, "s.yaml: ok as part 2/3") ||
		!strings.Contains(stdout, "peak 6 VUs (this part 2)") {
		t.Errorf("validate --segment 2: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, tt := range []struct{ flag, value, want string }{
		{"--segment", "3/3", "I counts from 0"},
		{"--segment", "x", "want I/N"},
		{"--start-at", "tomorrow", "want an RFC 3339 time"},
		{"--run-id", "a b", "want 1 to 128 letters"},
	} {
		code, _, stderr := runCmd(t, "run", tt.flag, tt.value, ok)
		if code != exitInvalid || !strings.Contains(stderr, tt.want) {
			t.Errorf("run %s %s: exit %d, stderr %s", tt.flag, tt.value, code, stderr)
		}
	}
}

// Ctrl-C while a part waits for --start-at ends it at once: no request is
// sent, the report is written, interrupted, and the exit status is 3.
func TestSegmentInterruptedWhileWaiting(t *testing.T) {
	a := newArrivals(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := writeScenario(t, `name: wait
cases:
  - name: c
    steps: [{http: {url: "`+a.srv.URL+`/"}}]
    stages: [{concurrency: 2, count: 10}]
`)
	logPath := filepath.Join(dir, "stderr")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(exe, "run", "--quiet", "--segment", "0/2", "--start-at", time.Now().Add(time.Hour).Format(time.RFC3339),
		"--out", filepath.Join(dir, "part.json"), file)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(logPath); bytes.Contains(b, []byte("the cases start at")) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the part never said it waits")
		}
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the part did not end after Ctrl-C")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitAborted {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("exit %v, want 3:\n%s", err, b)
	}
	data, err := os.ReadFile(filepath.Join(dir, "part.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r output.Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if p := r.Result.Perfcase; p.Status != "interrupted" || p.Segment == nil || p.Segment.Started != "" || len(p.Cases) != 0 {
		t.Errorf("report: status %q, segment %+v, %d cases", p.Status, p.Segment, len(p.Cases))
	}
	if when, _ := a.reset(); len(when) != 0 {
		t.Errorf("%d requests sent", len(when))
	}
}

// serviceRun is a run as the report service lists it.
type serviceRun struct {
	RunID    string `json:"run_id"`
	Parts    int    `json:"parts"`
	Partial  bool   `json:"partial"`
	Requests int64  `json:"requests"`
	Verdict  string `json:"verdict"`
}

// serviceRuns lists project shop's runs in the report service at base.
func serviceRuns(t *testing.T, base, token string) []serviceRun {
	t.Helper()
	status, body := get(t, base+"/v1/shop/perfcase/runs", token)
	var runs struct {
		Result struct {
			Runs []serviceRun `json:"runs"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &runs); status != 200 || err != nil {
		t.Fatalf("the service's runs: %d %s", status, body)
	}
	return runs.Result.Runs
}
