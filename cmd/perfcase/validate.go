package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// setFlags collects repeated --set name=value flags.
type setFlags map[string]string

func (s setFlags) String() string { return "" }

func (s setFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("--set wants name=value, got %q", v)
	}
	s[name] = value
	return nil
}

func newFlagSet(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprint(e.stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; -h is not an error (exit 0), other mistakes are
// usage errors (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, &exitError{code: exitInvalid, err: errors.New("")}
	}
	return false, nil
}

const validateUsage = `usage: perfcase validate [--set name=value]... FILE...

Checks scenario files without running them: every error is printed with
file:line:col and a hint, then a one-line summary per case.

Example:
  perfcase validate examples/*.yaml
  perfcase validate --set base=http://127.0.0.1:9090 examples/shop.yaml

Exit status: 0 all files are valid, 2 at least one is not.

Flags:
`

func runValidate(e *env, args []string) error {
	fs := newFlagSet(e, "validate", validateUsage)
	sets := setFlags{}
	fs.Var(sets, "set", "override a variable: name=value (repeatable)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError("name at least one scenario file")
	}
	opts := scenario.Options{Set: sets, LookupEnv: e.lookupEnv}
	bad := 0
	for _, path := range fs.Args() {
		plan, err := scenario.Load(path, opts)
		if err != nil {
			bad++
			reportScenarioError(e.stderr, path, err)
			continue
		}
		for _, w := range plan.Warnings {
			fmt.Fprintf(e.stderr, "warning: %v\n", w)
		}
		fmt.Fprintf(e.stdout, "%s: ok\n", path)
		for _, c := range plan.Cases {
			fmt.Fprintf(e.stdout, "  %s\n", caseSummary(c))
		}
	}
	if bad > 0 {
		return &exitError{code: exitInvalid, err: fmt.Errorf("%d of %d files invalid; nothing was run", bad, len(fs.Args()))}
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

func caseSummary(c *scenario.CasePlan) string {
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
	}
	if tps > 0 {
		peak = append(peak, fmt.Sprintf("%g TPS", tps))
	}
	return fmt.Sprintf("case %q: %d steps, %d requests, %d stages, peak %s, %s", c.Name, countNodes(c.Setup)+countNodes(c.Steps), len(c.Requests), len(c.Stages), strings.Join(peak, " and "), est)
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
