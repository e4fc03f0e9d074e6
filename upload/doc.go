// Package upload sends a finished run's report JSON to a report service
// (Client), and each case's verdict to a CodeArts TestPlan project
// (TestPlan). It only reads the report: the bytes sent are the bytes given,
// and nothing here writes a file. The verdicts are the run's own
// (result.perfcase.verdict and each case's): upload never judges a run.
//
// # The report service contract
//
// The PerfTest API has no call that takes the report of a run made
// elsewhere, so the report service is perfcase's own contract, written in
// the reference's style (/v1/{project_id}/..., an X-Auth-Token header,
// error bodies {"error_code", "error_msg"}):
//
//	POST {endpoint}/v1/{project_id}/perfcase/reports
//	Content-Type: application/json
//	X-Auth-Token: {token}                 (absent when there is no token)
//	Idempotency-Key: {run_id}
//	X-Perfcase-Run-Id: {run_id}
//	X-Perfcase-Segment: {I}/{N}           (only for part I of a run split in N)
//
//	{the report JSON, byte for byte as 'perfcase run --out' wrote it}
//
// run_id is the report's result.perfcase.run_id, a UUID made when the run
// started. A run split over N processes (perfcase run --segment) is
// uploaded as N parts with the same run id, each with its segment; a
// report without X-Perfcase-Segment is the whole run, part 0 of 1. The
// service keeps at most one part per run id and segment, and answers:
//
//	200, 201, 202, 204    stored (Location, if sent, says where)
//	409                   it already has this run id (and segment) and
//	                      stored nothing: success, "already uploaded"
//	2xx with Idempotent-Replayed: true
//	                      the same, said the other way
//	401                   the token was refused
//	403                   the token may not write to the project
//	404                   no such endpoint or project
//	other 4xx             the report was refused (e.g. 400, 413, 422)
//	429, 5xx              a passing trouble: the upload is retried,
//	                      waiting at least Retry-After when it is sent
//	3xx                   not followed (the token would go with it)
//
// 'perfcase serve' (package server) implements this contract;
// docs/report-service.md lists its error codes.
//
// Only network errors, 429 and 5xx are retried, so a retry can only
// repeat a request whose answer was lost or transient; the run id makes
// the repeat harmless: a request that was stored but whose answer was lost
// comes back as 409 on the retry.
//
// # Secrets
//
// The token is sent in the X-Auth-Token header only. It never appears in
// an error or a log line: every message is scrubbed of it, including the
// excerpt of an answer's body, in case a service echoes it. An endpoint
// may not carry credentials (user:password@), and an http:// endpoint is
// refused unless its host is loopback or Insecure is set: the token would
// travel in clear. Redirects are not followed: a custom header such as
// X-Auth-Token would go with them to wherever they point.
package upload
