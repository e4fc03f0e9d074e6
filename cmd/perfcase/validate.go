package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

const validateUsage = `usage: perfcase validate [--set name=value]... [--segment I/N] FILE...

Checks scenario files without running them: every error is printed with
file:line:col and a hint, then a one-line summary per case. A FILE is a
YAML scenario or any format 'perfcase import' reads (a PerfTest case
JSON, a HAR, a Postman collection, cURL commands), told apart by content
(a JSON error also names the JSONPath of the value, e.g. $.stages[0].ramp_up);
- reads standard input. 'perfcase run' checks a file exactly the same way.
With --segment, it also checks that the file can run split into N parts
(perfcase run --segment): what needs every part at once is refused.

Example:
  perfcase validate examples/*.yaml
  perfcase validate --set base=http://127.0.0.1:9090 examples/shop.yaml
  perfcase export examples/shop.yaml | perfcase validate -

Exit status: 0 all files are valid, 2 at least one is not.

Flags:
`

func runValidate(e *env, args []string) error {
	fs := newFlagSet(e, "validate", validateUsage)
	sets := setFlags{}
	fs.Var(sets, "set", "override a variable: name=value (repeatable)")
	maxSize := addMaxFileSize(fs.FlagSet)
	segment := addSegmentFlag(fs.FlagSet)
	files, done, err := fs.parseArgs(args)
	if done || err != nil {
		return err
	}
	if len(files) == 0 {
		return fs.mistake("name at least one scenario file, e.g. perfcase validate examples/quickstart.yaml")
	}
	bad := 0
	for _, path := range files {
		l, err := openScenario(e, path, scenario.Options{Set: sets}, maxSize)
		path = scenarioName(l, path)
		if err != nil {
			bad++
			reportScenarioError(e.stderr, path, err)
			continue
		}
		plan := l.Plan
		seg, err := segmentOf(*segment, plan)
		if err != nil {
			bad++
			reportScenarioError(e.stderr, path, err)
			continue
		}
		for _, w := range plan.Warnings {
			fmt.Fprintf(e.stderr, "warning: %v\n", w)
		}
		if seg.Whole() {
			fmt.Fprintf(e.stdout, "%s: ok\n", path)
		} else {
			fmt.Fprintf(e.stdout, "%s: ok as part %s\n", path, seg)
		}
		if plan.Before != nil {
			fmt.Fprintf(e.stdout, "  %s\n", hookSummary(plan.Before))
		}
		for _, c := range plan.Cases {
			fmt.Fprintf(e.stdout, "  %s\n", caseSummary(c, seg))
		}
		if plan.After != nil {
			fmt.Fprintf(e.stdout, "  %s\n", hookSummary(plan.After))
		}
	}
	if bad > 0 {
		return &exitError{code: exitInvalid, err: fmt.Errorf("%d of %d files invalid; nothing was run", bad, len(files))}
	}
	return nil
}

// reportScenarioError prints every error of a file and a closing count.
func reportScenarioError(w io.Writer, path string, err error) {
	var list scenario.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e)
		}
		noun := "errors"
		if len(list) == 1 {
			noun = "error"
		}
		fmt.Fprintf(w, "perfcase: %d %s in %s\n", len(list), noun, path)
		return
	}
	fmt.Fprintf(w, "%s: %v\n", path, err)
}

// caseSummary is one line about a case; for part seg of a split run its
// peaks are followed by the part's share of them.
func caseSummary(c *scenario.CasePlan, seg scenario.Segment) string {
	if c.Disabled {
		return fmt.Sprintf("case %q: disabled", c.Name)
	}
	d, sends := c.EstimatedDuration()
	est := "~" + shortDuration(d)
	if sends > 0 {
		if d > 0 {
			est += fmt.Sprintf(" + %d sends", sends)
		} else {
			est = fmt.Sprintf("%d sends", sends)
		}
	}
	var vus, tps float64
	for _, s := range c.Stages {
		if s.IsRate() {
			tps = max(tps, s.Peak())
		} else {
			vus = max(vus, s.Peak())
		}
	}
	var peak []string
	if vus > 0 {
		peak = append(peak, fmt.Sprintf("%g VUs", vus))
		if !seg.Whole() {
			peak[len(peak)-1] += fmt.Sprintf(" (this part %d)", seg.Share(int64(math.Ceil(vus))))
		}
	}
	if tps > 0 {
		peak = append(peak, fmt.Sprintf("%g TPS", tps))
		if !seg.Whole() {
			peak[len(peak)-1] += fmt.Sprintf(" (this part %.4g)", tps/float64(seg.Count))
		}
	}
	return fmt.Sprintf("case %q: %d steps, %d requests, %d stages, peak %s, %s", c.Name, countNodes(c.Setup)+countNodes(c.Steps), len(c.Requests), len(c.Stages), strings.Join(peak, " and "), est)
}

// hookSummary is one line about the run's before: or after: steps.
func hookSummary(c *scenario.CasePlan) string {
	return fmt.Sprintf("%s: %d steps, %d requests, once per run", c.Name, countNodes(c.Steps), len(c.Requests))
}

func countNodes(nodes []scenario.Node) int {
	n := 0
	for _, node := range nodes {
		n++
		switch x := node.(type) {
		case *scenario.LoopNode:
			n += countNodes(x.Steps)
		case *scenario.IfNode:
			for _, b := range x.Branches {
				n += countNodes(b.Steps)
			}
			n += countNodes(x.Else)
		case *scenario.WeightedNode:
			for _, b := range x.Branches {
				n += countNodes(b)
			}
		case *scenario.ThroughputNode:
			n += countNodes(x.Steps)
		case *scenario.TransactionNode:
			n += countNodes(x.Steps)
		case *scenario.TogetherNode:
			n += len(x.Requests)
		}
	}
	return n
}

// shortDuration prints 3m rather than Go's 3m0s.
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
