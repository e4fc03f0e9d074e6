package reporters

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/compare"
	"github.com/perfcase/perfcase/output"
)

// compared is shopRun finished and compared with a baseline of itself
// in which request item's tp99 was half (a regression), login had no
// tps (nothing to compare) and the transaction had another name (a row
// only in each run).
func compared() *output.Finished {
	f := finished(shopRun())
	base := report(shopRun()).Result
	d := base.Cases[0].Detail
	half := *d.DetailDatas[0].Tp99 / 2
	d.DetailDatas[0].Tp99 = &half
	d.DetailDatas[1].TPS = nil
	d.CustomTransactions[0].Name = str("checkout-old")
	cur := f.Report.Result
	res := compare.Compare(&compare.Run{RunID: "base-run", Scenario: "shop", Start: "2024-02-29T10:00:00+08:00", Cases: base.Cases},
		&compare.Run{RunID: f.Run.ID, Scenario: f.Run.Name, Start: *cur.Outline.StartTime, Cases: cur.Cases}, compare.DefaultLimits)
	f.Comparison = &output.Comparison{Baseline: "base.json", Result: res}
	return f
}

// With a baseline, the JUnit XML ends with a suite of the comparison: a
// test per limit of every row both runs have, a regression failed with
// base, new, change and limit; what cannot be compared is skipped.
func TestJUnitComparison(t *testing.T) {
	doc, _ := junitOf(t, compared)
	s := doc.Suites[len(doc.Suites)-1]
	if s.Name != "comparison with the baseline" || len(doc.Suites) != 2 {
		t.Fatalf("suites %d, the last %q", len(doc.Suites), s.Name)
	}
	// case browse, item, login: 4 limits each; checkout-old, checkout:
	// one skipped test each.
	if s.Tests != 14 || s.Failures != 1 || s.Skipped != 3 || s.Errors != 0 {
		t.Errorf("the comparison suite: %d tests, %d failures, %d skipped, %d errors", s.Tests, s.Failures, s.Skipped, s.Errors)
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	if props["perfcase.baseline"] != "base.json" || props["perfcase.baseline.run_id"] != "base-run" ||
		props["perfcase.max_regression"] != "tp99=10%,avg_rt=10%,tps=5%,success_rate=0.5" {
		t.Errorf("properties %v", props)
	}
	byName := map[string]xCase{}
	for _, c := range s.Cases {
		byName[c.Classname+" "+c.Name] = c
	}
	reg := byName["shop.browse.item tp99 within +10% of the baseline"]
	if reg.Failure == nil || reg.Failure.Type != "regression" ||
		!regexp.MustCompile(`^tp99: base [0-9.]+ ms, new [0-9.]+ ms, change \+[0-9.]+ ms \(\+100\.0%\), limit \+10%$`).MatchString(reg.Failure.Message) ||
		!strings.Contains(reg.Failure.Text, "request item of case browse regressed against the baseline (run base-run)") {
		t.Errorf("item's tp99: %+v", reg)
	}
	if c := byName["shop.browse tp99 within +10% of the baseline"]; c.Failure != nil || c.Skipped != nil {
		t.Errorf("the case's tp99 did not pass: %+v", c)
	}
	if c := byName["shop.browse.login tps within -5% of the baseline"]; c.Skipped == nil || c.Skipped.Message != "request login of case browse: no tps in the baseline, nothing to compare" {
		t.Errorf("login's tps: %+v", c)
	}
	if c := byName["shop.browse success_rate within -0.5 pts of the baseline"]; c.Name == "" || c.Failure != nil {
		t.Errorf("the case's success rate: %+v", c)
	}
	if c := byName["shop.browse.checkout transaction checkout compared with the baseline"]; c.Skipped == nil || !strings.Contains(c.Skipped.Message, "only in the new run") {
		t.Errorf("a row only in the new run: %+v", c)
	}
	if !strings.Contains(s.SystemOut, "REGRESSION (limit tp99 +10%)") {
		t.Errorf("the suite's output is not the comparison:\n%s", s.SystemOut)
	}
	// 'perfcase compare --junit': the comparison alone.
	alone, _ := junitOf(t, func() *output.Finished { return &output.Finished{Comparison: compared().Comparison} })
	if len(alone.Suites) != 1 || alone.Name != "shop" || alone.Tests != 14 || alone.Failures != 1 || alone.Skipped != 3 {
		t.Errorf("the comparison alone: %s, %d suites, %d tests, %d failures, %d skipped", alone.Name, len(alone.Suites), alone.Tests, alone.Failures, alone.Skipped)
	}
}

// With a baseline, the Markdown summary ends with a table of every
// judged metric, regressions in bold; the terminal summary with the
// comparison's text.
func TestMarkdownComparison(t *testing.T) {
	f := compared()
	var md bytes.Buffer
	if err := WriteMarkdown(&md, f); err != nil {
		t.Fatal(err)
	}
	got := md.String()
	for _, want := range []string{
		"### ❌ Compared with the baseline: 1 regression\n\nBaseline `base.json`: run `base-run` (2024-02-29T10:00:00+08:00)",
		"Limits: tp99 +10%, avg_rt +10%, tps -5%, success_rate -0.5 pts.",
		"| case | kind | name | metric | base | new | change | limit | result |",
		"| `browse` | request | `item` | **tp99** | **",
		"| **+10%** | ❌ **regression** |",
		"| `browse` | request | `login` | tps | - |",
		"| ➖ no value |",
		"| `browse` | transaction | `checkout-old` |   |   |   |   |   | ➖ only in the baseline |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "Compared with the baseline") < strings.Index(got, "### ") {
		t.Error("the comparison is not after the cases")
	}
	var alone bytes.Buffer
	if err := WriteMarkdown(&alone, &output.Finished{Comparison: f.Comparison}); err != nil {
		t.Fatal(err)
	}
	head := "## ❌ shop: run " + mdCode(f.Comparison.Result.New.RunID, false) + " compared with the baseline\n\n### ❌ Compared with the baseline: 1 regression\n"
	if !strings.HasPrefix(alone.String(), head) || !strings.Contains(alone.String(), "❌ **regression**") {
		t.Errorf("the comparison alone:\n%s", alone.String())
	}
	var sum bytes.Buffer
	if err := WriteSummary(&sum, f); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.String(), "\ncompared with the baseline (base.json):\nbase: run base-run") || !strings.Contains(sum.String(), "1 regression: request item tp99") {
		t.Errorf("the summary's comparison:\n%s", sum.String())
	}
	// No regression: ✅.
	ok := compared()
	ok.Comparison.Result = compare.Compare(&compare.Run{Cases: ok.Report.Result.Cases}, &compare.Run{Cases: ok.Report.Result.Cases}, compare.DefaultLimits)
	md.Reset()
	WriteMarkdown(&md, ok)
	if !strings.Contains(md.String(), "### ✅ Compared with the baseline: no regression") || strings.Contains(md.String(), "❌ **regression**") {
		t.Errorf("no regression:\n%s", md.String())
	}
}
