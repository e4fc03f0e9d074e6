package main

import (
	"fmt"

	"github.com/perfcase/perfcase/scenario"
)

const schemaUsage = `usage: perfcase schema

Prints the JSON Schema (draft 2020-12) of scenario files to standard output.
Editors use it to complete keys, show each key's meaning and default, and
flag mistakes while you type.

Example:
  perfcase schema > perfcase.schema.json

  Then start a scenario with this line (VS Code with the YAML extension,
  or any editor using yaml-language-server):
  # yaml-language-server: $schema=./perfcase.schema.json

The schema checks the shape of a file; 'perfcase validate' also checks
names, expressions, templates and data files.
`

// runSchema prints the embedded schema. It takes no arguments, so that a
// mistyped flag is reported rather than silently ignored.
func runSchema(e *env, args []string) error {
	if helpRequested(args) {
		fmt.Fprint(e.stdout, schemaUsage)
		return nil
	}
	if len(args) > 0 {
		return usageError("schema takes no arguments, got %q (see 'perfcase schema --help')", args[0])
	}
	_, err := e.stdout.Write(scenario.Schema())
	return err
}
