// Package stream plays and publishes live and on-demand video the way a
// viewer or an encoder does, for load tests: HLS (playlists and segments
// over HTTP), HTTP-FLV (one long HTTP response carrying FLV tags) and RTMP
// (play and publish). Each is a per-VU client whose call runs one play or
// publish for a duration, is cut by its context, and fills a caller-owned
// Stats: bytes and packets, key frames and their delays, stalls, and, when
// it fails, a Failure naming the cause PerfTest's streaming report counts
// (streamingMediaVo) and the one failure bucket (metrics.Outcome) the
// request tables count. docs/streaming.md defines every measurement.
//
// The package knows nothing of scenarios, stages or reports: a driver in
// protocols turns a compiled step into a call here and records the Stats.
// A client is not safe for concurrent use; each VU owns its own.
package stream
