// Package perftest is perfcase's interop with CodeArts PerfTest: the
// case JSON, the CreateCase request body of the PerfTest API (reference
// §4.3.5), which it converts to and from a scenario.File (JSON, the
// scenario.Importer that scenario.Open uses, and Export); and the report
// API's JSON model (§4.6, report.go), which reporters fill and the report
// service reads. It does no I/O: the caller reads and writes the files.
// docs/perftest-json.md is the user-facing version of this comment.
//
// Field names and integer codes are PerfTest's. The reference does not spell
// out some inner shapes; perfcase defines them as follows. All times inside
// them are integer milliseconds, except stage fields, which are PerfTest's
// seconds.
//
//   - Think time (content_type 1): {"t": 1000} pauses 1 s, PerfTest's own
//     field name; {"min": 500, "max": 1500} pauses a uniform random time.
//     It imports as think:, a plain pause. PerfTest's guide gives think time
//     pacing arithmetic; a user who wants that switches to the case's pacing:.
//   - Checkpoint (content_type 3): {"mode": "AND"|"OR", "retry_count": n,
//     "retry_interval": ms, "retry_on": [kinds], "checks": [{"subject", "key", "operator",
//     "value", "values"}]} with subject response_code, header (key: the
//     header), body, jsonpath (key: the path), rt, payload or expression
//     (value: the expression), and perfcase's operator names. One list, not
//     the UI's three panels, so that the order of checks survives.
//   - Extraction (content_type 4), one item per variable: {"name", "range":
//     body|header|url|response_code|json, "header", "regexp", "match_index",
//     "exp_index", "json_key", "condition", "jsonpath", "left", "right",
//     "default", "expected_value"}. json_key is PerfTest's dotted key
//     a.b[0].c; with a condition a.b[].c = v it becomes the RFC 9535 filter
//     $.a.b[?@.c=='v']. A JSONPath that has no dotted form is kept in jsonpath.
//   - Controller data (Contents.data) holds the controller's settings and
//     its child cards in "contents": data instruction (1) {"mode":
//     "repeat"|"once", "params": [{"name", "value"} | {"name", "expression",
//     "round", "scale"}]}; loop (201) {"count"} or {"while", "max"};
//     condition (202) conditions [{"expression"}], data {"contents", "elif":
//     [{"conditions", "contents"}], "else"}; VU-percentage (203) {"mode":
//     "fixed"|"random", "branches": [{"weight", "contents"}]}; throughput
//     (204) {"rps"|"percent"|"total"}; rendezvous (301) {"name", "users",
//     "timeout"}; plugin (302) {"name", "params": [{"key", "value"}]}, its
//     checkpoint and extraction items in the card's content. break has no
//     PerfTest card: perfcase writes data_type 9001 with {"condition"};
//     nor has cookies: clear, written as data_type 9002 with no data.
//   - Bodies (bodys, also read as bodies): [{"value", "format"}] for a raw
//     body, format "json" marking perfcase's json: body and "hex" a TCP/UDP
//     byte stream; [{"key", "value"}] for forms; [{"key", "value"|"file",
//     "content_type"}] for multipart.
//   - Anything perfcase has and PerfTest does not (case KPIs, SLA, pacing,
//     query parameters, redirects, WebSocket actions, ...) sits under a
//     "perfcase" key of the PerfTest object it belongs to, so a user can
//     strip those keys to get a pure PerfTest body.
//   - A request card's items are read in order: a checkpoint or an
//     extraction belongs to the packet before it. Export writes one request
//     card per request and puts a think time into the request card beside
//     it, since PerfTest keeps think times inside request cards.
//   - The document is one CreateCase body, a QueryCase response wrapping
//     one in "test_case", or perfcase's wrapper {"name", "description",
//     "parallel", "variables": [§4.4 variables], "transactions": [§4.5
//     transactions with an "id"], "cases": [CreateCase bodies]}. Export
//     always writes the wrapper. A card refers to a transaction by
//     content_id and selected_temp_name.
package perftest
