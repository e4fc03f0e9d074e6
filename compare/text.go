package compare

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteText writes the comparison for a terminal or a CI log: the two
// runs, the limits, a table of every row's every metric (both values and
// the change, regressions marked), and a last line with the verdict.
func WriteText(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "base: run %s (%s, %s)\n", r.Base.RunID, r.Base.Scenario, r.Base.Start)
	fmt.Fprintf(&b, "new:  run %s (%s, %s)\n", r.New.RunID, r.New.Scenario, r.New.Start)
	var ls []string
	for _, l := range r.Limits {
		ls = append(ls, LimitText(l))
	}
	if len(ls) == 0 {
		ls = []string{"none"}
	}
	fmt.Fprintf(&b, "limits: %s\n\n", strings.Join(ls, ", "))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tkind\tname\tmetric\tbase\tnew\tchange\t\t")
	for _, row := range r.Rows {
		for i, v := range row.Values {
			c, k, n := row.Case, row.Kind, row.Name
			if i > 0 {
				c, k, n = "", "", ""
			}
			verdict := ""
			switch {
			case row.Only != "":
				verdict = "only in " + row.Only
			case v.Regression:
				verdict = "REGRESSION (limit " + LimitText(*v.Limit) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c, k, n, v.Metric, Number(v.Base, v.Unit), Number(v.New, v.Unit), ChangeText(v), verdict)
		}
	}
	tw.Flush()
	var out strings.Builder
	for l := range strings.Lines(b.String()) {
		out.WriteString(strings.TrimRight(l, " \n") + "\n")
	}
	regs := r.Regressions()
	if len(regs) == 0 {
		fmt.Fprintf(&out, "\nno regression: every change is within its limit\n")
	} else {
		var names []string
		for _, g := range regs {
			names = append(names, fmt.Sprintf("%s %s %s %s", g.Row.Kind, g.Row.Name, g.Value.Metric, ChangeText(*g.Value)))
		}
		fmt.Fprintf(&out, "\n%d regression%s: %s\n", len(regs), plural(len(regs)), strings.Join(names, "; "))
	}
	_, err := io.WriteString(w, out.String())
	return err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// LimitText is a limit in words: the direction it bounds and how far,
// e.g. "tp99 +10%" or "success_rate -0.5".
func LimitText(l Limit) string {
	m, _ := metric(l.Metric)
	sign := "+"
	if !m.Up {
		sign = "-"
	}
	v := strconv.FormatFloat(l.Value, 'f', -1, 64)
	if l.Relative {
		return l.Metric + " " + sign + v + "%"
	}
	return strings.TrimSpace(l.Metric + " " + sign + v + " " + changeUnit(m.Unit))
}

// changeUnit is the unit of a change of a metric in unit: a change of a
// percentage is in percentage points, which "%" would confuse with a
// relative change.
func changeUnit(unit string) string {
	if unit == "%" {
		return "pts"
	}
	return unit
}

// Number is a value in its unit, "-" when missing.
func Number(p *float64, unit string) string {
	if p == nil {
		return "-"
	}
	s := strconv.FormatFloat(*p, 'f', decimals(*p), 64)
	if unit != "" {
		s += " " + unit
	}
	return s
}

func decimals(v float64) int {
	switch a := math.Abs(v); {
	case a == math.Trunc(a):
		return 0
	case a >= 100:
		return 1
	case a >= 1:
		return 2
	}
	return 3
}

// ChangeText is a change with its sign and, when the baseline is not 0,
// its percentage: "+1.25 ms (+10.4%)".
func ChangeText(v Value) string {
	if v.Change == nil {
		return "-"
	}
	s := strconv.FormatFloat(*v.Change, 'f', decimals(*v.Change), 64)
	if *v.Change >= 0 {
		s = "+" + s
	}
	if u := changeUnit(v.Unit); u != "" {
		s += " " + u
	}
	if v.Percent != nil {
		p := strconv.FormatFloat(*v.Percent, 'f', 1, 64)
		if *v.Percent >= 0 {
			p = "+" + p
		}
		s += " (" + p + "%)"
	}
	return s
}
