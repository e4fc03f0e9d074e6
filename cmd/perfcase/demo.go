package main

import (
	"fmt"
	"strings"

	"github.com/perfcase/perfcase/demo"
)

const demoUsage = `usage: perfcase demo [run flags] [FILE]

Starts the demo target in-process (HTTP, WebSocket and the live HLS and
HTTP-FLV streams on 127.0.0.1:8080,
TCP echo on 127.0.0.1:9000, UDP echo on 127.0.0.1:9001), runs FILE
against it as 'perfcase run' would, then stops the target. FILE defaults
to examples/quickstart.yaml: a whole load test, end to end, with nothing
else to install. It takes every flag of 'perfcase run'.

Example:
  perfcase demo
  perfcase demo --out report.json examples/shop.yaml

Exit status: as 'perfcase run'.
`

// defaultDemo is the scenario the README's first command runs.
const defaultDemo = "examples/quickstart.yaml"

func runDemo(e *env, args []string) error {
	if helpRequested(args) {
		fmt.Fprint(e.stdout, demoUsage)
		return nil
	}
	if !hasScenario(e, args) {
		args = append(args, defaultDemo)
	}
	srv, err := demo.Start(demo.DefaultOptions())
	if err != nil {
		return &exitError{code: exitAborted, err: fmt.Errorf("cannot start the demo target: %v", err)}
	}
	defer srv.Close()
	fmt.Fprintf(e.stderr, "perfcase demo: target on http://%s (tcp %s, udp %s)\n", srv.HTTPAddr(), srv.TCPAddr(), srv.UDPAddr())
	return runRun(e, args)
}

// hasScenario reports whether args name a scenario file: a last argument
// that is not a flag (- is standard input) and not the value of one (a
// flag of run that is not a switch).
func hasScenario(e *env, args []string) bool {
	if len(args) == 0 {
		return false
	}
	if last := args[len(args)-1]; last != "-" && strings.HasPrefix(last, "-") {
		return false
	}
	if len(args) == 1 {
		return true
	}
	prev := args[len(args)-2]
	if !strings.HasPrefix(prev, "-") || strings.Contains(prev, "=") {
		return true
	}
	f := newRunFlags(e).Lookup(strings.TrimLeft(prev, "-"))
	if f == nil {
		return false
	}
	sw, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && sw.IsBoolFlag()
}
