package reporters

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestSummaryGolden(t *testing.T) {
	run := shopRun()
	// A wide name shows that the columns stay aligned in a terminal.
	run.Cases[0].Stats.Series[2].Name = "下单"
	run.Cases[0].KPIs[5].Series = "下单"
	checkGolden(t, run, "summary.golden")
}

// A run that shows every line a load model, a probe, manual regulation,
// SLA rules and rendezvous points add.
func TestSummaryProbeGolden(t *testing.T) {
	checkGolden(t, probeRun(), "summary_probe.golden")
}

func checkGolden(t *testing.T, run *metrics.Run, name string) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSummary(&buf, finished(run)); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("WriteSummary =\n%s\nwant (testdata/%s; go test -update rewrites it)\n%s", got, name, want)
	}
}

func TestSummaryVerdict(t *testing.T) {
	passing := shopRun()
	passing.Cases[0].KPIs = passing.Cases[0].KPIs[:1]
	none := shopRun()
	none.Cases[0].KPIs = nil
	interrupted := shopRun()
	interrupted.Status, interrupted.Reason = metrics.Interrupted, "interrupt signal"
	aborted := shopRun()
	aborted.Status = metrics.Aborted
	slaReason := shopRun()
	slaReason.Status, slaReason.Reason = metrics.StoppedBySLA, "SLA rule slow-item stopped the run"
	slaNoTrigger := shopRun()
	slaNoTrigger.Status = metrics.StoppedBySLA
	flagged := shopRun()
	flagged.Cases[0].SLA = []metrics.SLATrigger{{Rule: "errors", KPI: "error_rate < 1", Observed: 25}}
	flaggedPassing := shopRun()
	flaggedPassing.Cases[0].KPIs = flaggedPassing.Cases[0].KPIs[:1]
	flaggedPassing.Cases[0].SLA = flagged.Cases[0].SLA
	flaggedNoKPIs := shopRun()
	flaggedNoKPIs.Cases[0].KPIs = nil
	flaggedNoKPIs.Cases[0].SLA = append(flagged.Cases[0].SLA, flagged.Cases[0].SLA...)
	tests := []struct {
		name string
		run  *metrics.Run
		want string
	}{
		{"three of six fail", shopRun(), "3 of 6 checkpoints failed"},
		{"all pass", passing, "all 1 checkpoint passed"},
		{"no KPIs", none, "no checkpoints"},
		{"interrupted", interrupted, "run interrupted: interrupt signal"},
		{"aborted without a reason", aborted, "run aborted"},
		{"stopped by SLA, the rule from its trigger", probeRun(), "run stopped by SLA rule slow-item"},
		{"stopped by SLA, no trigger but a reason", slaReason, "run stopped by SLA: SLA rule slow-item stopped the run"},
		{"stopped by SLA, nothing says which rule", slaNoTrigger, "run stopped by SLA"},
		{"a flagging SLA rule and failed KPIs", flagged, "3 of 6 checkpoints failed, and 1 SLA trigger"},
		{"a flagging SLA rule fails passing KPIs", flaggedPassing, "all 1 checkpoint passed, but 1 SLA trigger failed the run"},
		{"flagging SLA rules without KPIs", flaggedNoKPIs, "2 SLA triggers failed the run"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := WriteSummary(&buf, finished(tt.run)); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if got := lines[len(lines)-1]; got != tt.want {
			t.Errorf("%s: last line %q, want %q", tt.name, got, tt.want)
		}
	}
}

// At most maxErrorsShown messages per series, each on one line and cut to
// maxMessageLen runes.
func TestSummaryErrorsAreShort(t *testing.T) {
	run := shopRun()
	item := run.Cases[0].Stats.Series[0]
	long := strings.Repeat("很长的错误 ", 40) + "\nsecond line"
	item.Errors = []metrics.ErrorCount{
		{Outcome: metrics.Other, Message: long, Count: 9},
		{Outcome: metrics.Other, Message: "b", Count: 3},
		{Outcome: metrics.Other, Message: "c", Count: 2},
		{Outcome: metrics.Other, Message: "d", Count: 1},
	}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, finished(run)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, ": d\n") {
		t.Error("a fourth message of one series is shown")
	}
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "    item: other x9: ") {
			msg := strings.TrimSuffix(strings.TrimPrefix(line, "    item: other x9: "), "\n")
			if n := len([]rune(msg)); n != maxMessageLen || !strings.HasSuffix(msg, "...") {
				t.Errorf("long message shown as %d runes %q, want %d ending in ...", n, msg, maxMessageLen)
			}
			return
		}
	}
	t.Errorf("the long message is missing:\n%s", out)
}

func TestWriteLive(t *testing.T) {
	tests := []struct {
		name string
		sec  int
		vus  int
		s    metrics.Second
		want string
	}{
		{
			name: "all ok",
			sec:  12, vus: 50,
			s:    metrics.Second{Count: 9812, Outcomes: [metrics.NumOutcomes]uint32{metrics.Success: 9812}, RTSum: 9812 * 4900 * time.Microsecond},
			want: "[  12s] browse  vus 50  req/s 9812  avg 4.9 ms  ok 9812  fail 0\n",
		},
		{
			name: "failures by bucket",
			sec:  3, vus: 8,
			s: metrics.Second{Count: 10, Outcomes: [metrics.NumOutcomes]uint32{metrics.Success: 6, metrics.Refused: 1, metrics.Timeout: 3},
				RTSum: 10 * 250 * time.Millisecond},
			want: "[   3s] browse  vus 8  req/s 10  avg 250.0 ms  ok 6  fail 4 (refused 1, timeout 3)\n",
		},
		{
			name: "idle second",
			sec:  0, vus: 0,
			want: "[   0s] browse  vus 0  req/s 0  avg 0.0 ms  ok 0  fail 0\n",
		},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := WriteLive(&buf, "browse", tt.sec, tt.vus, tt.s); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != tt.want {
			t.Errorf("%s: WriteLive = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"item": 4, "请求示例": 8, "a请b": 4, "": 0} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

// After Ctrl-C a case whose checkpoints held so far is not "passed": the
// summary, the Markdown, the JUnit XML's output and the HTML page say the
// run was cut short; a completed run's case still says "passed".
func TestInterruptedCaseHeaders(t *testing.T) {
	for _, c := range []struct {
		status metrics.Status
		words  string
	}{
		{metrics.Completed, "passed"},
		{metrics.Interrupted, "interrupted; checkpoints passed so far"},
		{metrics.Aborted, "aborted; checkpoints passed so far"},
	} {
		run := shopRun()
		run.Cases[0].KPIs = run.Cases[0].KPIs[:1] // one that passed
		run.Status = c.status
		var sum, md, junit, page bytes.Buffer
		if err := WriteSummary(&sum, finished(run)); err != nil {
			t.Fatal(err)
		}
		if err := WriteMarkdown(&md, finished(run)); err != nil {
			t.Fatal(err)
		}
		if err := WriteJUnit(&junit, finished(run)); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&page, finished(run)); err != nil {
			t.Fatal(err)
		}
		mark := "✅"
		if c.status != metrics.Completed {
			mark = "⚠️"
		}
		for _, w := range []struct{ format, text, want string }{
			{"summary", sum.String(), "case browse: " + c.words + ", "},
			{"Markdown", md.String(), "### " + mark + " case `browse`: " + c.words + "\n"},
			{"JUnit", junit.String(), "case browse: " + c.words + ", "},
			{"HTML", page.String(), ">" + c.words + "<"},
		} {
			if !strings.Contains(w.text, w.want) {
				t.Errorf("%v run, %s: lacks %q", c.status, w.format, w.want)
			}
			if c.status != metrics.Completed && regexp.MustCompile(`case .?browse.?: passed|>passed<`).MatchString(w.text) {
				t.Errorf("%v run, %s: a case header says passed", c.status, w.format)
			}
		}
	}
}

// The run's test-wide steps are blocks of their own, headed by their
// role, and the first line counts the cases without them.
func TestSummaryBeforeAfter(t *testing.T) {
	run := shopRun()
	hook := func(role string) *metrics.CaseResult {
		st := *run.Cases[0].Stats
		st.Name = role
		return &metrics.CaseResult{Role: role, Stats: &st, Mode: "concurrency_mode"}
	}
	run.Cases = []*metrics.CaseResult{hook("before"), run.Cases[0], hook("after")}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, finished(run)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		": completed after 4s, 1 case and the before: and after: steps\n",
		"\nbefore: steps: no checkpoints, 4s\n",
		"\ncase browse: failed, 4s, max 4 VUs, concurrency_mode\n",
		"\nafter: steps: no checkpoints, 4s\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary lacks %q:\n%s", want, out)
		}
	}
}
