package main

import (
	"fmt"
	"path/filepath"

	"github.com/perfcase/perfcase/perftest"
	"github.com/perfcase/perfcase/scenario"
)

const importUsage = `usage: perfcase import [-o out.yaml] case.json

Converts a PerfTest case JSON to a perfcase scenario: a CreateCase request
body as the PerfTest API takes it, a QueryCase response, or the wrapper
document 'perfcase export' writes (with global variables and transactions).
- reads standard input. Integer codes become names. A PerfTest think time
becomes think:, a plain pause; PerfTest's guide describes pacing, which is
the case's pacing: key. The JSON shapes, and which stage fields each
pressure mode reads, are in docs/perftest-json.md.

The YAML goes to standard output, or to the -o file. A note on standard
error names each stage field that carries a value its pressure mode does
not read (the PerfTest UI keeps every mode's values in each stage).
The case is then checked as 'perfcase validate case.json' would check it
(data files next to the JSON); problems (a variable PerfTest defines
outside the case, say) are listed on standard error with their place in
the JSON, and the YAML is written all the same, to be fixed by hand.

Example:
  perfcase import case.json -o case.yaml
  perfcase validate case.yaml

Exit status: 0 converted, 2 the JSON cannot be converted (each error names
its line, column and JSONPath, e.g. $.cases[0].contents[2].data_type).

Flags:
`

func runImport(e *env, args []string) error {
	fs := newFlagSet(e, "import", importUsage)
	out := fs.String("o", "", "write the YAML to `file` instead of standard output")
	maxSize := addMaxFileSize(fs.FlagSet)
	in, done, err := fs.oneFile(args, "name one PerfTest JSON file, e.g. perfcase import case.json")
	if done || err != nil {
		return err
	}
	l, err := openScenario(e, in, scenario.Options{As: perftest.JSON}, maxSize)
	in = scenarioName(l, in)
	if l == nil || l.File == nil {
		reportScenarioError(e.stderr, in, err)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s was not converted; fix the JSON at the places above", in)}
	}
	yml, ferr := scenario.FormatYAML(l.File)
	if ferr != nil {
		return ferr
	}
	header := fmt.Sprintf("# Converted from %s by perfcase import. Think times are plain\n# pauses; PerfTest's think time paces passes, like pacing: here.\n", filepath.Base(in))
	yml = append([]byte(header), yml...)
	if *out == "" {
		if _, werr := e.stdout.Write(yml); werr != nil {
			return werr
		}
	} else if werr := writeOutput(*out, "the YAML", yml); werr != nil {
		return werr
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "perfcase import: converted, but %s does not validate yet; fix these (in the JSON or the YAML), then run perfcase validate:\n", in)
		reportScenarioError(e.stderr, in, err)
	}
	return nil
}
