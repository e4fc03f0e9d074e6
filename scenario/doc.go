// Package scenario is perfcase's scenario language: it parses YAML
// scenario files into a typed tree whose every node keeps its file:line:col,
// reports every problem at once with a hint, and compiles the tree into a
// Plan that the runner walks — names resolved to slots and series IDs,
// ${...} templates split into segments, expressions compiled by expr-lang
// against a typed environment, data files loaded, stages turned into pure
// load shapes. It also converts PerfTest case JSON to and from the tree,
// formats the tree back to YAML, and carries the language's JSON Schema.
//
// It must not do I/O against targets: the only files it reads are the
// scenario and the data files the scenario names.
package scenario
