// Package importers turns what users already have into perfcase
// scenarios: a browser's HAR recording, "Copy as cURL" commands, and a
// Postman collection (v2.1). Each format is a scenario.Importer, so
// scenario.Open reads it like YAML and every command (run, validate,
// import) takes it; Convert also gives the comments that perfcase import
// writes into the YAML (where a correlated value was found) and the list
// of what was not converted.
//
// A converter never drops what it cannot convert silently: each such
// thing is a note, placed in the document. It reads only the document
// (and, for Postman, the environment file it is given); it sends nothing.
// docs/importers.md states every rule.
package importers
