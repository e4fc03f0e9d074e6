package reporters

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
)

func markdown(t *testing.T, run *metrics.Run) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, finished(run)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// probeRun shows every part: failed and passed checkpoints, SLA triggers
// that flag and stop, missed starts, a peak_probe and a step_probe peak,
// error messages, and a case without checkpoints.
func TestMarkdownGolden(t *testing.T) {
	run := probeRun()
	run.ID = "0b7c1a52-4a5e-4c2e-9d0f-3f1e2d6c7b8a"
	got := markdown(t, run)
	golden := filepath.Join("testdata", "summary.md.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("WriteMarkdown =\n%s\nwant (testdata/summary.md.golden; go test -update rewrites it)\n%s", got, want)
	}
}

// The first line is the gate: ✅ exactly when perfcase exits 0.
func TestMarkdownVerdict(t *testing.T) {
	passing := shopRun()
	passing.Cases[0].KPIs = passing.Cases[0].KPIs[:1]
	none := shopRun()
	none.Cases[0].KPIs = nil
	interrupted := shopRun()
	interrupted.Cases[0].KPIs = interrupted.Cases[0].KPIs[:1]
	interrupted.Status, interrupted.Reason = metrics.Interrupted, "interrupt signal"
	dead := shopRun()
	dead.Cases[0].KPIs = nil
	dead.Cases[0].Stats.Series = []*metrics.Stats{series("item", metrics.KindRequest, 4, times(3, smp{rt: time.Millisecond, o: metrics.Refused}))}
	dead.Cases[0].Stats.Requests = nil
	for _, tt := range []struct {
		name string
		run  *metrics.Run
		want string
	}{
		{"passing", passing, "## ✅ shop: all 1 checkpoint passed\n"},
		{"no checkpoints", none, "## ✅ shop: no checkpoints\n"},
		{"failing", shopRun(), "## ❌ shop: 3 of 6 checkpoints failed\n"},
		{"interrupted", interrupted, "## ❌ shop: run interrupted: interrupt signal\n"},
		{"stopped by SLA", probeRun(), "## ❌ shop: run stopped by SLA rule slow-item\n"},
		{"unusable target", dead, "## ❌ shop: no checkpoints; case browse: not one request succeeded\n"},
	} {
		got := markdown(t, tt.run)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: first line %q, want %q", tt.name, strings.SplitAfter(got, "\n")[0], tt.want)
		}
	}
	if got := markdown(t, interrupted); !strings.Contains(got, "interrupted after 4s, 1 case (interrupt signal).") {
		t.Errorf("interrupted: no status line:\n%s", got)
	}
	if got := markdown(t, dead); !strings.Contains(got, "### ❌ case `browse`: not one request succeeded") {
		t.Errorf("unusable target: case heading:\n%s", got)
	}
}

// A pipe in a table cell is escaped, even inside a code span, where
// GitHub unescapes it; elsewhere it is left as is. Backticks get a longer
// fence, and Markdown in free text is escaped.
func TestMarkdownEscaping(t *testing.T) {
	run := shopRun()
	c := run.Cases[0]
	c.Stats.Series[0].Name = "GET /a|b"
	c.Stats.Series[1].Name = "a `tick` b"
	c.KPIs = []metrics.KPIResult{{Source: "avg_rt < 40ms", Series: "GET /a|b", Metric: "avg_rt", Threshold: 40, Observed: 45.556}}
	c.SLA = []metrics.SLATrigger{{Time: t0, Rule: "p|q", KPI: "tp99 < 100ms", Observed: 120, Requests: []string{"GET /a|b"}}}
	c.Peak = &metrics.Peak{VUs: 4, Time: t0, Reason: "see <b>this</b> | *that* [x](y) a_b _c_ &amp; \\"}
	got := markdown(t, run)
	for _, want := range []string{
		"| `GET /a\\|b` | request | 9 |",                       // the series table
		"| ``a `tick` b`` | request | 4 |",                     // a longer fence
		"| `GET /a\\|b`: `avg_rt < 40ms` | 40 ms | 45.56 ms |", // the checkpoints
		"| `p\\|q` | `tp99 < 100ms` | 120.0 ms | `GET /a\\|b` | flagged |",
		"- `GET /a|b`: timeout x1:", // a list item: no escape
		`see \<b>this\</b> \| \*that\* \[x\](y) a_b \_c\_ \&amp; \\`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the summary lacks %q:\n%s", want, got)
		}
	}
}

func TestMdCode(t *testing.T) {
	for _, tt := range []struct {
		in      string
		inTable bool
		want    string
	}{
		{"item", false, "`item`"},
		{"a|b", false, "`a|b`"},
		{"a|b", true, "`a\\|b`"},
		{"a`b", false, "``a`b``"},
		{"`x`", false, "`` `x` ``"},
		{"a``b", false, "```a``b```"},
		{"two\nlines  here", false, "`two lines here`"},
		{"", false, "` `"},
	} {
		if got := mdCode(tt.in, tt.inTable); got != tt.want {
			t.Errorf("mdCode(%q, %v) = %q, want %q", tt.in, tt.inTable, got, tt.want)
		}
	}
}
