package reporters

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/perfcase/perfcase/metrics"
)

// Limits that keep the summary one screen per case.
const (
	maxErrorsShown = 3   // per series
	maxMessageLen  = 120 // runes of one error message
)

// WriteSummary prints the end-of-run summary a person reads in the
// terminal: per case, a table of its requests, transactions and passes,
// the first error messages and the KPI verdicts; then one line that says
// how the run went. It prints plain text, no colours, so it reads the same
// in a CI log.
func WriteSummary(w io.Writer, run *metrics.Run) error {
	var b strings.Builder
	b.WriteString(run.Name)
	if run.Source != "" {
		b.WriteString(" (" + run.Source + ")")
	}
	fmt.Fprintf(&b, ": %s after %s, %d %s\n", statusName(run.Status), seconds(run.End.Sub(run.Start)),
		len(run.Cases), plural(len(run.Cases), "case", "cases"))
	for _, c := range run.Cases {
		b.WriteByte('\n')
		writeCase(&b, c)
	}
	b.WriteByte('\n')
	b.WriteString(verdict(run))
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteLive prints one progress line for a second of a running case: s is
// that second of the case's requests, vus the VUs active in it.
func WriteLive(w io.Writer, caseName string, sec int, vus int, s metrics.Second) error {
	avg := 0.0
	if s.Count > 0 {
		avg = float64(s.RTSum) / float64(s.Count) / float64(time.Millisecond)
	}
	fail := s.Count - s.Outcomes[metrics.Success]
	line := fmt.Sprintf("[%4ds] %s  vus %d  req/s %d  avg %.1f ms  ok %d  fail %d",
		sec, caseName, vus, s.Count, avg, s.Outcomes[metrics.Success], fail)
	if fail > 0 {
		line += " (" + failures(s.Outcomes) + ")"
	}
	_, err := io.WriteString(w, line+"\n")
	return err
}

func writeCase(b *strings.Builder, c *metrics.CaseResult) {
	cs := c.Stats
	failed := 0
	for _, k := range c.KPIs {
		if !k.Pass {
			failed++
		}
	}
	status := "passed"
	switch {
	case len(c.KPIs) == 0:
		status = "no checkpoints"
	case failed > 0:
		status = "failed"
	}
	fmt.Fprintf(b, "case %s: %s, %s, max %d VUs", cs.Name, status, seconds(cs.Duration()), cs.MaxVUs)
	if c.Mode != "" {
		b.WriteString(", " + c.Mode)
	}
	b.WriteByte('\n')

	secs := cs.Duration().Seconds()
	rows := [][]string{{"name", "kind", "count", "tps", "avg ms", "tp90 ms", "tp99 ms", "max ms", "success", "failures"}}
	// Requests, then transactions, then the case's passes: the order
	// Recorder keeps, which reads from the parts to the whole.
	for _, kind := range []metrics.Kind{metrics.KindRequest, metrics.KindTransaction, metrics.KindCase} {
		for _, s := range cs.Series {
			if s.Kind == kind {
				rows = append(rows, seriesRow(s, secs))
			}
		}
	}
	if cs.Requests != nil && requestSeries(cs) > 1 {
		// More than one request: their total, the case's report row.
		total := seriesRow(cs.Requests, secs)
		total[0], total[1] = "(all requests)", ""
		rows = append(rows, total)
	}
	writeTable(b, "  ", rows)

	var errs []string
	for _, s := range cs.Series {
		for _, e := range s.Errors[:min(len(s.Errors), maxErrorsShown)] {
			errs = append(errs, fmt.Sprintf("%s: %s x%d: %s", s.Name, e.Outcome, e.Count, oneLine(e.Message)))
		}
	}
	if len(errs) > 0 {
		b.WriteString("  errors\n")
		for _, e := range errs {
			b.WriteString("    " + e + "\n")
		}
	}
	if len(c.KPIs) > 0 {
		b.WriteString("  checkpoints\n")
		for _, k := range c.KPIs {
			word := "PASS"
			if !k.Pass {
				word = "FAIL"
			}
			scope := ""
			if k.Series != "" {
				scope = k.Series + ": "
			}
			fmt.Fprintf(b, "    %s  %s%s (observed %s)\n", word, scope, k.Source, observed(k.Metric, k.Observed))
		}
	}
}

// seriesRow is one line of a case's table.
func seriesRow(s *metrics.Stats, secs float64) []string {
	tps, success := "-", "-"
	if secs > 0 {
		tps = strconv.FormatFloat(float64(s.Count)/secs, 'f', 2, 64)
	}
	if s.Count > 0 {
		success = strconv.FormatFloat(100*float64(s.Outcomes[metrics.Success])/float64(s.Count), 'f', 2, 64) + "%"
	}
	fail := failures(s.Outcomes)
	if fail == "" {
		fail = "-"
	}
	kind := kindName(s.Kind)
	if s.Kind == metrics.KindCase {
		kind = "passes"
	}
	return []string{s.Name, kind, strconv.FormatInt(s.Count, 10), tps,
		millis(s.Mean), millis(s.Percentile(90)), millis(s.Percentile(99)), millis(s.Max), success, fail}
}

// failures lists the non-zero failure buckets, e.g. "timeout 3, refused 1".
func failures(o [metrics.NumOutcomes]int64) string {
	var parts []string
	for k := metrics.Success + 1; k < metrics.NumOutcomes; k++ {
		if o[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, o[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// verdict is the summary's last line.
func verdict(run *metrics.Run) string {
	if run.Status != metrics.Completed {
		line := "run " + statusName(run.Status)
		if run.Reason != "" {
			line += ": " + run.Reason
		}
		return line
	}
	total, failed := 0, 0
	for _, c := range run.Cases {
		for _, k := range c.KPIs {
			total++
			if !k.Pass {
				failed++
			}
		}
	}
	switch {
	case total == 0:
		return "no checkpoints"
	case failed == 0:
		return fmt.Sprintf("all %d %s passed", total, plural(total, "checkpoint", "checkpoints"))
	}
	return fmt.Sprintf("%d of %d %s failed", failed, total, plural(total, "checkpoint", "checkpoints"))
}

// observed formats a KPI's observed value in its metric's unit.
func observed(metric string, v float64) string {
	n := strconv.FormatFloat(round(v, 2), 'f', -1, 64)
	switch {
	case metric == "tps" || metric == "rps":
		return n + "/s"
	case metric == "avg_rt" || metric == "min_rt" || metric == "max_rt" || strings.HasPrefix(metric, "tp"):
		return n + " ms"
	case strings.HasSuffix(metric, "_rate"):
		return n + "%"
	case strings.HasSuffix(metric, "_bytes"):
		return n + " B"
	}
	return n
}

// writeTable writes rows in aligned columns: the first two (name, kind)
// left-aligned, the numbers right-aligned, the last (free text) as is.
func writeTable(b *strings.Builder, indent string, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	for _, r := range rows {
		b.WriteString(indent)
		for i, cell := range r {
			pad := strings.Repeat(" ", widths[i]-displayWidth(cell))
			switch {
			case i == len(r)-1:
				b.WriteString(cell)
			case i < 2:
				b.WriteString(cell + pad + "  ")
			default:
				b.WriteString(pad + cell + "  ")
			}
		}
		b.WriteByte('\n')
	}
}

// displayWidth is how many terminal columns s takes: East Asian wide
// characters take two, so Chinese request names (common in PerfTest
// cases) keep the columns aligned.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if isWide(r) {
			n++
		}
	}
	return n
}

// isWide covers the wide blocks that names use: Hangul Jamo, CJK
// (radicals to Yi), Hangul syllables, CJK compatibility ideographs and
// forms, fullwidth forms and the supplementary ideographic planes.
func isWide(r rune) bool {
	return r >= 0x1100 && r <= 0x115F || r >= 0x2E80 && r <= 0xA4CF || r >= 0xAC00 && r <= 0xD7A3 ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0xFE30 && r <= 0xFE4F || r >= 0xFF00 && r <= 0xFF60 ||
		r >= 0xFFE0 && r <= 0xFFE6 || r >= 0x20000 && r <= 0x3FFFD
}

// oneLine folds a message onto one line and cuts it to maxMessageLen
// runes, so one long response body cannot flood the summary.
func oneLine(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if utf8.RuneCountInString(msg) <= maxMessageLen {
		return msg
	}
	return string([]rune(msg)[:maxMessageLen-3]) + "..."
}

func millis(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// seconds formats a duration to a tenth of a second, e.g. "1m0.5s".
func seconds(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func requestSeries(cs *metrics.CaseStats) int {
	n := 0
	for _, s := range cs.Series {
		if s.Kind == metrics.KindRequest {
			n++
		}
	}
	return n
}
