package reporters

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// Limits that keep the summary one screen per case.
const (
	maxErrorsShown = 3   // per series
	maxMessageLen  = 120 // runes of one error message
)

// WriteSummary prints the end-of-run summary a person reads in the
// terminal: per case, a table of its requests, transactions and passes,
// the first error messages and the KPI verdicts, and, only when there is
// something to say, how latency was timed, missed starts, the peak a
// probe found, its steps, manual changes, SLA triggers and rendezvous
// points; then one line that says how the run went, and the comparison
// with a baseline when there is one. It prints plain text, no colours,
// so it reads the same in a CI log.
func WriteSummary(w io.Writer, f *output.Finished) error {
	run := f.Run
	var b strings.Builder
	b.WriteString(run.Name)
	if run.Source != "" {
		b.WriteString(" (" + run.Source + ")")
	}
	cases, hooks := 0, []string{}
	for _, c := range run.Cases {
		if c.Role == "" {
			cases++
		} else {
			hooks = append(hooks, c.Role+":")
		}
	}
	fmt.Fprintf(&b, ": %s after %s, %d %s", statusWords(run.Status), seconds(run.End.Sub(run.Start)), cases, plural(cases, "case", "cases"))
	if len(hooks) > 0 {
		fmt.Fprintf(&b, " and the %s steps", strings.Join(hooks, " and "))
	}
	b.WriteByte('\n')
	for i, c := range run.Cases {
		b.WriteByte('\n')
		writeCase(&b, c, &run.Verdict.Cases[i], passedWords(run.Status))
	}
	b.WriteByte('\n')
	b.WriteString(verdict(run))
	b.WriteByte('\n')
	if f.Comparison != nil {
		writeComparisonText(&b, f.Comparison)
	}
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

// caseStatus is the word a case's header gives its verdict: "failed"
// when a checkpoint missed or an SLA rule triggered (one that only flags
// fails the case too), else "no checkpoints" when it has none to judge,
// else passed, the word for a case whose checkpoints all held (see
// passedWords). failed tells the first case apart.
func caseStatus(c *metrics.CaseResult, v *metrics.CaseVerdict, passed string) (status string, failed bool) {
	if v.Failed {
		return "failed", true
	}
	if len(c.KPIs) == 0 {
		return "no checkpoints", false
	}
	return passed, false
}

// writeCase prints a case's block; passed is the header's word for a case
// whose checkpoints all held (see passedWords).
func writeCase(b *strings.Builder, c *metrics.CaseResult, v *metrics.CaseVerdict, passed string) {
	cs := c.Stats
	status, _ := caseStatus(c, v, passed)
	if c.Role != "" {
		// The run's test-wide steps: one VU, one pass.
		fmt.Fprintf(b, "%s: steps: %s, %s", c.Role, status, seconds(cs.Duration()))
	} else {
		fmt.Fprintf(b, "case %s: %s, %s, max %d VUs", cs.Name, status, seconds(cs.Duration()), cs.MaxVUs)
		if c.Mode != "" {
			b.WriteString(", " + c.Mode)
		}
	}
	b.WriteByte('\n')
	if c.LatencyFrom == "intended_start" {
		b.WriteString("  latency timed from each pass's intended start (open model)\n")
	}
	if c.Missed > 0 {
		fmt.Fprintf(b, "  missed starts: %d (every VU up to max_vus was busy; raise max_vus)\n", c.Missed)
	}
	if c.RowsOut != "" {
		fmt.Fprintf(b, "  ended early: the rows of %s ran out (on_end: stop) and every VU stopped\n", c.RowsOut)
	}

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
	writeStreaming(b, cs)
	writeMQTT(b, cs)

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
	writeProbing(b, c)
	writeRegulation(b, c)
}

// writeProbing writes the peak a probing stage found and a step_probe
// stage's steps.
func writeProbing(b *strings.Builder, c *metrics.CaseResult) {
	if pk := c.Peak; pk != nil {
		fmt.Fprintf(b, "  peak: %d VUs at %s — %s req/s, avg %s ms, %s ok", pk.VUs, clock(pk.Time),
			oneDec(pk.RPS), oneDec(pk.AvgRT), percent(pk.SuccessRate))
		switch {
		case pk.Reason == "":
		case stepStage(c, pk.Stage):
			// A step_probe peak is the last good step; the reason is
			// the next step's.
			b.WriteString(" — next step: " + oneLine(pk.Reason))
		default:
			b.WriteString(" — " + oneLine(pk.Reason))
		}
		b.WriteByte('\n')
	}
	if len(c.Steps) == 0 {
		return
	}
	b.WriteString("  probe steps\n")
	rows := [][]string{{"stage", "at", "VUs", "req/s", "avg ms", "success", "step"}}
	for i, st := range c.Steps {
		verdict := "good"
		if !st.Good {
			// The knee is the first step that is not good after one that
			// is: the peak is the step before it.
			word := "not good"
			if i > 0 && c.Steps[i-1].Good && c.Steps[i-1].Stage == st.Stage {
				word = "knee"
			}
			verdict = word
			if st.Reason != "" {
				verdict += ": " + oneLine(st.Reason)
			}
		}
		rows = append(rows, []string{st.Stage, clock(st.Start), strconv.Itoa(st.VUs), oneDec(st.RPS),
			oneDec(st.AvgRT), percent(st.SuccessRate), verdict})
	}
	writeTable(b, "    ", rows)
}

// stepStage reports whether stage is one of the case's step_probe stages.
func stepStage(c *metrics.CaseResult, stage string) bool {
	for _, st := range c.Steps {
		if st.Stage == stage {
			return true
		}
	}
	return false
}

// writeRegulation writes the manual changes, the SLA triggers and the
// rendezvous points of a case.
func writeRegulation(b *strings.Builder, c *metrics.CaseResult) {
	if len(c.Changes) > 0 {
		b.WriteString("  manual changes\n")
		for _, ch := range c.Changes {
			fmt.Fprintf(b, "    %s stage %s → %s", clock(ch.Time), ch.Stage, strconv.FormatFloat(round(ch.Target, 2), 'f', -1, 64))
			if ch.By != "" {
				b.WriteString(" (" + ch.By + ")")
			}
			b.WriteByte('\n')
		}
	}
	if len(c.SLA) > 0 {
		b.WriteString("  SLA triggers\n")
		for _, tr := range c.SLA {
			fmt.Fprintf(b, "    %s SLA rule %s: %s observed %s", clock(tr.Time), tr.Rule, tr.KPI,
				observedOne(kpiMetric(tr.KPI), tr.Observed))
			if len(tr.Requests) > 0 {
				b.WriteString(" on " + strings.Join(tr.Requests, ", "))
			}
			if tr.Stopped {
				b.WriteString(" → stopped the run\n")
			} else {
				b.WriteString(" → flagged\n")
			}
		}
	}
	for _, r := range rendezvousByName(c) {
		releases := "releases"
		if r.Releases == 1 {
			releases = "release"
		}
		fmt.Fprintf(b, "  rendezvous %s: %d %s, %d timed out\n", r.Name, r.Releases, releases, r.Timeouts)
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
func failures[N int64 | uint32](o [metrics.NumOutcomes]N) string {
	var parts []string
	for k := metrics.Success + 1; k < metrics.NumOutcomes; k++ {
		if o[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, o[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// verdict is the summary's last line: the run's verdict in words. A
// partial run says so first: what its checkpoints say cannot pass it.
func verdict(run *metrics.Run) string {
	if run.Partial != "" && run.Verdict.State == metrics.VerdictPartial {
		return "partial run (" + run.Partial + "), which cannot pass: " + judged(run)
	}
	return judged(run)
}

// judged is the run's verdict in words, but for its being partial.
func judged(run *metrics.Run) string {
	v := &run.Verdict
	switch v.State {
	case metrics.VerdictStoppedBySLA:
		// The trigger names the rule; the reason is the runner's sentence
		// ("SLA rule slow-item stopped the run"), for when none does.
		if rule := stoppingRule(run); rule != "" {
			return "run stopped by SLA rule " + rule
		}
		if run.Reason != "" {
			return "run stopped by SLA: " + run.Reason
		}
		return "run stopped by SLA"
	case metrics.VerdictInterrupted, metrics.VerdictAborted:
		line := "run " + statusName(run.Status)
		if run.Reason != "" {
			line += ": " + run.Reason
		}
		return line
	}
	if v.Checkpoints == 0 && v.Triggers == 0 {
		return "no checkpoints"
	}
	return checkpointsJudged(v.Checkpoints, v.Missed, v.Triggers)
}

// checkpointsJudged is the verdict of a run that ran its course and had
// checkpoints or SLA triggers, in the words of the summary and the HTML
// headline alike.
func checkpointsJudged(total, failed, sla int) string {
	// An SLA rule that only flags still fails the run.
	triggers := fmt.Sprintf("%d SLA %s", sla, plural(sla, "trigger", "triggers"))
	checkpoints := plural(total, "checkpoint", "checkpoints")
	switch {
	case total == 0:
		return triggers + " failed the run"
	case failed == 0 && sla == 0:
		return fmt.Sprintf("all %d %s passed", total, checkpoints)
	case failed == 0:
		return fmt.Sprintf("all %d %s passed, but %s failed the run", total, checkpoints, triggers)
	}
	line := fmt.Sprintf("%d of %d %s failed", failed, total, checkpoints)
	if sla > 0 {
		line += ", and " + triggers
	}
	return line
}

// stoppingRule is the name of the first SLA rule that stopped the run,
// by time; "" when no trigger says.
func stoppingRule(run *metrics.Run) string {
	var first *metrics.SLATrigger
	for _, c := range run.Cases {
		for i := range c.SLA {
			if tr := &c.SLA[i]; tr.Stopped && (first == nil || tr.Time.Before(first.Time)) {
				first = tr
			}
		}
	}
	if first == nil {
		return ""
	}
	return first.Rule
}

// statusWords is how the summary's first line says a run ended.
// passedWords is what a case header says of a case whose checkpoints all
// held: "passed" when the run ran its course (an SLA stop included, whose
// verdict is final), else what is known of a run cut short, whose
// checkpoints judged only the part that ran.
func passedWords(s metrics.Status) string {
	if s == metrics.Interrupted || s == metrics.Aborted {
		return statusName(s) + "; checkpoints passed so far"
	}
	return "passed"
}

func statusWords(s metrics.Status) string {
	if s == metrics.StoppedBySLA {
		return "stopped by SLA"
	}
	return statusName(s)
}

// observed formats a KPI's observed value in its metric's unit.
func observed(metric string, v float64) string {
	return strconv.FormatFloat(round(v, 2), 'f', -1, 64) + unit(metric)
}

// observedOne formats a value measured on a window in its metric's unit:
// times and rates with one decimal, percentages with two, the rest as
// they come.
func observedOne(metric string, v float64) string {
	switch u := unit(metric); u {
	case " ms", "/s":
		return oneDec(v) + u
	case "%":
		return percent(v)
	default:
		return strconv.FormatFloat(round(v, 2), 'f', -1, 64) + u
	}
}

// unit is the suffix of a KPI metric's unit: " ms", "/s", "%", " B" or ""
// for counts and for a metric the table does not know.
func unit(metric string) string {
	if m := metrics.KPIs.Lookup(metric); m != nil {
		return m.Unit.Suffix()
	}
	return ""
}

// kpiMetric is the metric a KPI as written judges: the name before its
// operator, e.g. "avg_rt" of "avg_rt < 200ms".
func kpiMetric(kpi string) string {
	kpi = strings.TrimSpace(kpi)
	if i := strings.IndexAny(kpi, " <>=!"); i >= 0 {
		return kpi[:i]
	}
	return kpi
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

// oneDec formats v with one decimal, e.g. "812.0".
func oneDec(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// percent formats a percentage with two decimals, e.g. "99.10%".
func percent(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" }

// clock is a time of day as the run's clock read it, e.g. "12:03:05".
func clock(t time.Time) string { return t.Format("15:04:05") }

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
