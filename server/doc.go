// Package server is perfcase's report service ('perfcase serve'): it
// stores the runs 'perfcase upload' and 'perfcase run --upload' send
// (the contract in upload/doc.go), serves them back through the read
// side of the PerfTest report API (§4.6) and perfcase's own API
// (baselines, comparisons, trends, deletion), and shows them in a web UI
// of server-rendered pages. Storage is package store.
//
// Every call needs a token of the project it names, with the scope the
// call needs (read, write, admin), unless the service was started with
// public reads and the call reads. Tokens are kept hashed, never logged,
// and rate-limited each on its own. It must not run anything a report
// describes, nor trust a report beyond checking its shape: a report is
// data.
package server
