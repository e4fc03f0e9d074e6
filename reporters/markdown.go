package reporters

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// WriteMarkdown writes the end-of-run summary as GitHub-flavoured
// Markdown, for a pull request comment or $GITHUB_STEP_SUMMARY: a heading
// with the verdict (✅ when perfcase exits 0, ❌ otherwise) in the
// terminal summary's words, then per case the table of its requests,
// transactions and passes, its checkpoints with threshold and observed
// value, and, when there is something to say, missed starts, the peak a
// probe found, SLA triggers and the first error messages; last, when the
// run was compared with a baseline, the comparison (see mdComparison),
// which 'perfcase compare --summary-md' writes alone.
//
// Names, KPIs and messages are code spans, so that Markdown in them is
// shown as written; a pipe in a table cell is escaped.
func WriteMarkdown(w io.Writer, f *output.Finished) error {
	run := f.Run
	var b strings.Builder
	if run == nil {
		if f.Comparison != nil {
			writeComparisonMarkdown(&b, f.Comparison)
		}
		_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
		return err
	}
	mark := "❌"
	if run.Verdict.State == metrics.VerdictPassed {
		mark = "✅"
	}
	headline := verdict(run)
	if c := run.Verdict.Unusable(); run.Status == metrics.Completed && c != "" {
		headline += "; case " + c + ": not one request succeeded"
	}
	fmt.Fprintf(&b, "## %s %s: %s\n\n", mark, mdText(run.Name), mdText(headline))
	if run.Source != "" {
		b.WriteString(mdCode(run.Source, false) + ": ")
	}
	fmt.Fprintf(&b, "%s after %s, %d %s", mdText(statusWords(run.Status)), seconds(run.End.Sub(run.Start)),
		len(run.Cases), plural(len(run.Cases), "case", "cases"))
	if run.Status != metrics.Completed && run.Status != metrics.StoppedBySLA && run.Reason != "" {
		b.WriteString(" (" + mdText(run.Reason) + ")")
	}
	if run.ID != "" {
		b.WriteString("; run " + mdCode(run.ID, false))
	}
	b.WriteString(".\n\n")
	for i, c := range run.Cases {
		mdCase(&b, c, &run.Verdict.Cases[i], passedWords(run.Status))
	}
	if f.Comparison != nil {
		mdComparison(&b, "###", f.Comparison)
	}
	// Every block ends with a blank line; the file with one newline.
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

func mdCase(b *strings.Builder, c *metrics.CaseResult, v *metrics.CaseVerdict, passed string) {
	cs := c.Stats
	status, failed := caseStatus(c, v, passed)
	mark := "✅"
	switch {
	case failed:
		mark = "❌"
	case v.Unusable:
		mark, status = "❌", "not one request succeeded"
	case len(c.KPIs) == 0:
		mark = "➖"
	case passed != "passed":
		mark = "⚠️" // a run cut short: no final verdict
	}
	fmt.Fprintf(b, "### %s case %s: %s\n\n", mark, mdCode(cs.Name, false), status)
	fmt.Fprintf(b, "%s, max %d VUs", seconds(cs.Duration()), cs.MaxVUs)
	if c.Mode != "" {
		b.WriteString(", " + c.Mode)
	}
	if c.LatencyFrom == "intended_start" {
		b.WriteString("; latency timed from each pass's intended start (open model)")
	}
	b.WriteString(".\n\n")
	if c.Missed > 0 {
		fmt.Fprintf(b, "**Missed starts: %d** (every VU up to max_vus was busy; raise max_vus)\n\n", c.Missed)
	}
	if c.RowsOut != "" {
		fmt.Fprintf(b, "**Ended early:** the rows of %s ran out (on_end: stop) and every VU stopped.\n\n", mdCode(c.RowsOut, false))
	}

	secs := cs.Duration().Seconds()
	rows := [][]string{}
	for _, kind := range []metrics.Kind{metrics.KindRequest, metrics.KindTransaction, metrics.KindCase} {
		for _, s := range cs.Series {
			if s.Kind == kind {
				r := seriesRow(s, secs)
				r[0] = mdCode(r[0], true)
				rows = append(rows, r)
			}
		}
	}
	if cs.Requests != nil && requestSeries(cs) > 1 {
		total := seriesRow(cs.Requests, secs)
		total[0], total[1] = "(all requests)", ""
		rows = append(rows, total)
	}
	if len(rows) > 0 {
		mdTable(b, []string{"name", "kind", "count", "tps", "avg ms", "tp90 ms", "tp99 ms", "max ms", "success", "failures"},
			"llrrrrrrrl", rows)
	}

	if len(c.KPIs) > 0 {
		rows = rows[:0]
		for _, k := range c.KPIs {
			kpi := mdCode(k.Source, true)
			if k.Series != "" {
				kpi = mdCode(k.Series, true) + ": " + kpi
			}
			result := "✅ PASS"
			if !k.Pass {
				result = "❌ FAIL"
			}
			rows = append(rows, []string{kpi, kpiThreshold(k.Metric, k.Threshold), observed(k.Metric, k.Observed), result})
		}
		mdTable(b, []string{"checkpoint", "threshold", "observed", "result"}, "lrrl", rows)
	}

	if len(c.SLA) > 0 {
		b.WriteString("**SLA triggers**\n\n")
		rows = rows[:0]
		for _, tr := range c.SLA {
			on := "all requests"
			if len(tr.Requests) > 0 {
				names := make([]string, len(tr.Requests))
				for i, r := range tr.Requests {
					names[i] = mdCode(r, true)
				}
				on = strings.Join(names, ", ")
			}
			action := "flagged"
			if tr.Stopped {
				action = "stopped the run"
			}
			rows = append(rows, []string{clock(tr.Time), mdCode(tr.Rule, true), mdCode(tr.KPI, true),
				observedOne(kpiMetric(tr.KPI), tr.Observed), on, action})
		}
		mdTable(b, []string{"at", "rule", "KPI", "observed", "on", "action"}, "lllrll", rows)
	}

	if pk := c.Peak; pk != nil {
		fmt.Fprintf(b, "**Peak:** %d VUs at %s — %s req/s, avg %s ms, %s ok", pk.VUs, clock(pk.Time),
			oneDec(pk.RPS), oneDec(pk.AvgRT), percent(pk.SuccessRate))
		switch {
		case pk.Reason == "":
		case stepStage(c, pk.Stage):
			b.WriteString(" — next step: " + mdText(oneLine(pk.Reason)))
		default:
			b.WriteString(" — " + mdText(oneLine(pk.Reason)))
		}
		b.WriteString("\n\n")
	}

	var errs []string
	for _, s := range cs.Series {
		for _, e := range s.Errors[:min(len(s.Errors), maxErrorsShown)] {
			errs = append(errs, fmt.Sprintf("- %s: %s x%d: %s", mdCode(s.Name, false), e.Outcome, e.Count, mdCode(oneLine(e.Message), false)))
		}
	}
	if len(errs) > 0 {
		b.WriteString("**Errors** (the first messages)\n\n")
		for _, e := range errs {
			b.WriteString(e + "\n")
		}
		b.WriteByte('\n')
	}
}

// mdTable writes a table; align has an 'l' or an 'r' per column.
func mdTable(b *strings.Builder, header []string, align string, rows [][]string) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for i := range header {
		if align[i] == 'r' {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" :--- |")
		}
	}
	b.WriteByte('\n')
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, cell := range r {
			if cell == "" {
				cell = " "
			}
			cells[i] = cell
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteByte('\n')
}

// mdCode shows s as written, as a code span on one line: its fence is
// one backtick longer than the longest run of backticks in it. In a table
// cell a pipe is escaped, which GitHub unescapes inside code spans too.
func mdCode(s string, inTable bool) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "` `"
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	return fence + s + fence
}

// mdText escapes what Markdown would read as formatting, a link, HTML,
// an entity or a table's cell boundary, so that free text shows as
// written: always \ ` * [ ] | ~, an underscore unless within a word, a
// < that could open a tag, an & that could open an entity.
func mdText(s string) string {
	rs := []rune(strings.Join(strings.Fields(s), " "))
	at := func(i int) rune {
		if i < 0 || i >= len(rs) {
			return ' '
		}
		return rs[i]
	}
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	var b strings.Builder
	for i, r := range rs {
		next := at(i + 1)
		var esc bool
		switch r {
		case '\\', '`', '*', '[', ']', '|', '~':
			esc = true
		case '_':
			esc = !word(at(i-1)) || !word(next)
		case '<':
			esc = next < unicode.MaxASCII && unicode.IsLetter(next) || next == '/' || next == '!' || next == '?'
		case '&':
			esc = next == '#' || next < unicode.MaxASCII && unicode.IsLetter(next)
		}
		if esc {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
