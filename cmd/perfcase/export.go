package main

import (
	"fmt"

	"github.com/perfcase/perfcase/perftest"
	"github.com/perfcase/perfcase/scenario"
)

const exportUsage = `usage: perfcase export [-o out.json] scenario.yaml

Converts a scenario (- reads standard input) to PerfTest case JSON: a document with the scenario's
name, global variables (PerfTest §4.4 shape), transactions (§4.5) and one
CreateCase request body (§4.3.5) per case, with PerfTest's integer codes.
What PerfTest has no field for (case KPIs, SLA rules, pacing, query
parameters, WebSocket actions, ...) is kept under "perfcase" keys, so that
'perfcase import' gives the scenario back. The shapes are described in
docs/perftest-json.md.

The file's syntax is checked, not its names and expressions: run
'perfcase validate' for those.

Example:
  perfcase export examples/shop.yaml -o shop.json
  perfcase import shop.json -o shop-again.yaml

Exit status: 0 converted, 2 the scenario is invalid, or holds a value
PerfTest JSON cannot (a 1.5ms timeout, a 90.5s stage: PerfTest stores
milliseconds and whole seconds).

Flags:
`

func runExport(e *env, args []string) error {
	fs := newFlagSet(e, "export", exportUsage)
	out := fs.String("o", "", "write the JSON to `file` instead of standard output")
	maxSize := addMaxFileSize(fs.FlagSet)
	in, done, err := fs.oneFile(args, "name one scenario file, e.g. perfcase export scenario.yaml")
	if done || err != nil {
		return err
	}
	l, err := openScenario(e, in, scenario.Options{ParseOnly: true}, maxSize)
	in = scenarioName(l, in)
	if err == nil {
		var js []byte
		if js, err = perftest.Export(l.File); err == nil {
			if *out == "" {
				_, err = e.stdout.Write(js)
				return err
			}
			return writeOutput(*out, "the JSON", js)
		}
	}
	reportScenarioError(e.stderr, in, err)
	return &exitError{code: exitInvalid, err: fmt.Errorf("%s was not exported; fix the scenario at the places above", in)}
}
