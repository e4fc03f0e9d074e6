// Package scenario is perfcase's scenario language: it parses YAML
// scenario files into a typed tree whose every node keeps its file:line:col,
// reports every problem at once with a hint, and compiles the tree into a
// Plan that the runner walks — names resolved to slots and series IDs,
// ${...} templates split into segments, expressions compiled by expr-lang
// against a typed environment, data files loaded, stages turned into pure
// load shapes. A request in the plan holds its protocol's Spec, a closed
// set of types (HTTPSpec, SocketSpec, WSSpec, PluginSpec) that the drivers
// of package protocols read. It also formats the tree back to YAML
// (FormatYAML) and carries the language's JSON Schema.
//
// Open is the one loader of every command. Other formats come in through
// an Importer (package perftest has PerfTest case JSON): the importer
// converts a document to a File and says where each value was written,
// and Open puts that File through the same walker and compiler as YAML,
// so every check applies to every format and errors point into the
// document. scenario imports no format's package.
//
// It must not do I/O against targets: the only files it reads are the
// scenario and the data files the scenario names.
package scenario
