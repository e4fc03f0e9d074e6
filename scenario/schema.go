package scenario

import (
	"bytes"
	_ "embed"
)

// schemaJSON is the JSON Schema of the scenario language. It is written by
// hand beside the parser, and schema_test.go checks the two agree: every
// key list of the parser appears in the schema, every example validates
// against both, and bad snippets are refused by both.
//
//go:embed schema.json
var schemaJSON []byte

// SchemaID is the schema's $id. It names the schema; nothing fetches it.
const SchemaID = "https://perfcase.dev/schema/scenario.json"

// Schema returns the JSON Schema (draft 2020-12) of scenario files, for
// editors (`perfcase schema > scenario.schema.json`) and validators. It
// returns a copy, so a caller cannot change what the next caller gets.
func Schema() []byte {
	return bytes.Clone(schemaJSON)
}
