package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/perfcase/perfcase/scenario"
)

const importUsage = `usage: perfcase import [-o out.yaml] case.json

Converts a PerfTest case JSON to a perfcase scenario: a CreateCase request
body as the PerfTest API takes it, a QueryCase response, or the wrapper
document 'perfcase export' writes (with global variables and transactions).
Integer codes become names. A PerfTest think time becomes think:, a plain
pause; PerfTest's guide describes pacing, which is the case's pacing: key.
The JSON shapes are described in docs/perftest-json.md.

The YAML goes to standard output, or to the -o file. It is then validated;
problems (a variable PerfTest defines outside the case, say) are listed on
standard error and the YAML is written all the same, to be fixed by hand.

Example:
  perfcase import case.json -o case.yaml
  perfcase validate case.yaml

Exit status: 0 converted, 2 the JSON cannot be converted (each error names
its JSON path, e.g. cases[0].contents[2].data_type).

Flags:
`

func runImport(e *env, args []string) error {
	fs := newFlagSet(e, "import", importUsage)
	out := fs.String("o", "", "write the YAML to `file` instead of standard output")
	in, done, err := fs.oneFile(args, "name one PerfTest JSON file, e.g. perfcase import case.json")
	if done || err != nil {
		return err
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return &exitError{code: exitInvalid, err: fmt.Errorf("cannot read %s: %v; check the path", in, pathErr(err))}
	}
	f, err := scenario.ImportPerfTest(in, data)
	if err != nil {
		reportScenarioError(e.stderr, in, err)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s was not converted; fix the JSON at the paths above", in)}
	}
	yml, err := scenario.FormatYAML(f)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# Converted from %s by perfcase import. Think times are plain\n# pauses; PerfTest's think time paces passes, like pacing: here.\n", filepath.Base(in))
	yml = append([]byte(header), yml...)
	label := *out
	if label == "" {
		label = "<stdout>"
		if _, err := e.stdout.Write(yml); err != nil {
			return err
		}
	} else if err := writeOutput(*out, "the YAML", yml); err != nil {
		return err
	}
	// Data files resolve next to the scenario, as validate will look for
	// them: next to -o's file, or, for standard output, next to the JSON,
	// where PerfTest's exports keep them and where the YAML usually goes.
	readFile := os.ReadFile
	if *out == "" {
		dataDir := filepath.Dir(in)
		readFile = func(p string) ([]byte, error) {
			if !filepath.IsAbs(p) {
				p = filepath.Join(dataDir, p)
			}
			return os.ReadFile(p)
		}
	}
	checkImported(e, label, readFile, yml)
	return nil
}

// checkImported validates the written YAML and lists what is left to fix.
func checkImported(e *env, label string, readFile func(string) ([]byte, error), yml []byte) {
	f, err := scenario.Parse(label, yml)
	if err == nil {
		_, err = scenario.Compile(f, scenario.Options{LookupEnv: e.lookupEnv, ReadFile: readFile})
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "perfcase import: converted, but %s does not validate yet; fix it, then run perfcase validate:\n", label)
		reportScenarioError(e.stderr, label, err)
	}
}
