package reporters

import (
	"fmt"
	"strings"
	"time"

	"github.com/perfcase/perfcase/compare"
	"github.com/perfcase/perfcase/output"
)

// This file renders a comparison with a baseline (package compare, which
// judges it) in the summary, the JUnit XML and the Markdown summary, for
// 'perfcase run --baseline' and 'perfcase compare'.

// junitRegression is the failure type of a change past its limit.
const junitRegression = "regression"

// writeComparisonText is the comparison as the terminal shows it, after
// the run's summary.
func writeComparisonText(b *strings.Builder, c *output.Comparison) {
	fmt.Fprintf(b, "\ncompared with the baseline (%s):\n", c.Baseline)
	compare.WriteText(b, c.Result)
}

// limitWords is a limit as a test's name says it: "tp99 within +10% of
// the baseline".
func limitWords(l compare.Limit) string {
	metric, bound, _ := strings.Cut(compare.LimitText(l), " ")
	return metric + " within " + bound + " of the baseline"
}

// valueWords is one compared value in a line: "tp99: base 10.2 ms, new
// 12.5 ms, change +2.3 ms (+22.5%), limit +10%".
func valueWords(v *compare.Value, l compare.Limit) string {
	_, bound, _ := strings.Cut(compare.LimitText(l), " ")
	return fmt.Sprintf("%s: base %s, new %s, change %s, limit %s", v.Metric, compare.Number(v.Base, v.Unit),
		compare.Number(v.New, v.Unit), compare.ChangeText(*v), bound)
}

// rowWords names a compared row: "case browse", "request item of case
// browse".
func rowWords(r *compare.Row) string {
	if r.Kind == compare.KindCase {
		return "case " + r.Case
	}
	return r.Kind + " " + r.Name + " of case " + r.Case
}

// onlyWords says which run a row is missing from.
func onlyWords(only string) string {
	if only == "base" {
		return "only in the baseline"
	}
	return "only in the new run"
}

// junitComparisonSuite is the comparison as a <testsuite>: per row of
// both runs, one test per limit, failed with type "regression" when the
// change is past it; a value one run lacks, or a row only one run has,
// is a skipped test. Its classnames are the KPI tests':
// "<scenario>.<case>", and ".<request>" for a request's or a
// transaction's row.
func junitComparisonSuite(c *output.Comparison) junitSuite {
	r := c.Result
	s := junitSuite{Name: "comparison with the baseline", Time: junitSeconds(0)}
	if t, err := time.Parse(time.RFC3339, r.New.Start); err == nil {
		s.Timestamp = junitTimestamp(t)
	}
	var limits []string
	for _, l := range r.Limits {
		limits = append(limits, l.String())
	}
	for _, p := range []junitProperty{
		{Name: "perfcase.baseline", Value: c.Baseline},
		{Name: "perfcase.baseline.run_id", Value: r.Base.RunID},
		{Name: "perfcase.run_id", Value: r.New.RunID},
		{Name: "perfcase.scenario", Value: r.New.Scenario},
		{Name: "perfcase.max_regression", Value: strings.Join(limits, ",")},
	} {
		if p.Value != "" {
			s.Properties = append(s.Properties, p)
		}
	}
	for i := range r.Rows {
		row := &r.Rows[i]
		class := r.New.Scenario + "." + row.Case
		if row.Kind != compare.KindCase {
			class += "." + row.Name
		}
		if row.Only != "" {
			s.add(junitCase{Name: row.Kind + " " + row.Name + " compared with the baseline", Classname: class,
				Skipped: &junitSkipped{Message: rowWords(row) + ": " + onlyWords(row.Only) + ", nothing to compare"}})
			continue
		}
		for _, l := range r.Limits {
			tc := junitCase{Name: limitWords(l), Classname: class}
			switch v := row.Value(l.Metric); {
			case v == nil:
				continue
			case v.Base == nil || v.New == nil:
				which := "the new run"
				if v.Base == nil {
					which = "the baseline"
				}
				tc.Skipped = &junitSkipped{Message: fmt.Sprintf("%s: no %s in %s, nothing to compare", rowWords(row), v.Metric, which)}
			case v.Regression:
				tc.Failure = &junitProblem{Message: valueWords(v, l), Type: junitRegression,
					Text: fmt.Sprintf("%s regressed against the baseline (run %s): %s\n", rowWords(row), r.Base.RunID, valueWords(v, l))}
			}
			s.add(tc)
		}
	}
	var text strings.Builder
	compare.WriteText(&text, r)
	s.SystemOut = junitText{xmlChars(text.String())}
	return s
}

// mdComparison writes the comparison as Markdown: a heading at level
// (e.g. "###") with the verdict, the two runs and the limits, then a
// table of every judged metric of every row with both values, the
// change and the limit, regressions in bold and marked ❌; rows only one
// run has are listed, not judged.
func mdComparison(b *strings.Builder, level string, c *output.Comparison) {
	r := c.Result
	regs := len(r.Regressions())
	mark, head := "✅", "no regression"
	if regs > 0 {
		mark, head = "❌", fmt.Sprintf("%d %s", regs, plural(regs, "regression", "regressions"))
	}
	fmt.Fprintf(b, "%s %s Compared with the baseline: %s\n\n", level, mark, head)
	fmt.Fprintf(b, "Baseline %s: run %s (%s); new run %s (%s). Limits: ", mdCode(c.Baseline, false),
		mdCode(r.Base.RunID, false), mdText(r.Base.Start), mdCode(r.New.RunID, false), mdText(r.New.Start))
	var ls []string
	for _, l := range r.Limits {
		ls = append(ls, mdText(compare.LimitText(l)))
	}
	if len(ls) == 0 {
		ls = []string{"none"}
	}
	b.WriteString(strings.Join(ls, ", ") + ".\n\n")
	var rows [][]string
	for i := range r.Rows {
		row := &r.Rows[i]
		name := mdCode(row.Name, true)
		if row.Only != "" {
			rows = append(rows, []string{mdCode(row.Case, true), row.Kind, name, "", "", "", "", "", "➖ " + onlyWords(row.Only)})
			continue
		}
		for _, l := range r.Limits {
			v := row.Value(l.Metric)
			if v == nil {
				continue
			}
			_, bound, _ := strings.Cut(compare.LimitText(l), " ")
			cells := []string{mdCode(row.Case, true), row.Kind, name, v.Metric, mdText(compare.Number(v.Base, v.Unit)),
				mdText(compare.Number(v.New, v.Unit)), mdText(compare.ChangeText(*v)), mdText(bound), "✅"}
			switch {
			case v.Base == nil || v.New == nil:
				cells[8] = "➖ no value"
			case v.Regression:
				for k := 3; k < 8; k++ {
					cells[k] = "**" + cells[k] + "**"
				}
				cells[8] = "❌ **regression**"
			}
			rows = append(rows, cells)
		}
	}
	if len(rows) > 0 {
		mdTable(b, []string{"case", "kind", "name", "metric", "base", "new", "change", "limit", "result"}, "llllrrrrl", rows)
	}
}

// writeComparisonMarkdown is 'perfcase compare --summary-md': the
// comparison alone, as a document.
func writeComparisonMarkdown(b *strings.Builder, c *output.Comparison) {
	r := c.Result
	mark := "✅"
	if r.Regressed() {
		mark = "❌"
	}
	fmt.Fprintf(b, "## %s %s: run %s compared with the baseline\n\n", mark, mdText(r.New.Scenario), mdCode(r.New.RunID, false))
	mdComparison(b, "###", c)
}
