// Package protocols holds one driver per protocol. A driver renders a
// compiled request against a VU's variables, sends it over connections the
// VU owns and reuses, enforces the request's timeouts, measures what went
// over the wire, and classifies every failure into exactly one of the
// report's buckets (metrics.Outcome). Drivers know nothing of stages or
// reports: the runner calls them and records what they return.
//
// The seam is small. A VU holds one Session per protocol its case uses;
// Session.Do takes the protocol's scenario.Spec and the VU's Input and
// fills a Result the VU owns: status, body, a header lookup, URL, times,
// bytes, the Failure, and Extras, the measurements of the protocol's own
// (streaming packets, MQTT messages per QoS) that its Driver declares and
// the runner records per case. What the Result points into stays the
// session's (fasthttp's pooled response never leaves it) until Release.
// The drivers table maps each scenario.Protocol to its constructor; no
// init() registers anything. A new protocol is its spec in package
// scenario, a driver file here and one row in that table; the runner does
// not change.
//
// HTTP has two drivers: HTTP/1.x on fasthttp, allocation-free, and
// HTTP/2 (scenario.HTTP2, version "2") on net/http, one connection per
// origin that the session owns, which allocates per request. A session
// made as a lane of another (Config.Lane) sends a together: step's
// requests beside it: HTTP/2's lanes share its connections, HTTP/1.1's
// have their own; the VU's cookie jar is shared (Jar.Share) while they
// run.
//
// Package mem is a driver answered by a Go function, which the runner's
// tests plug in through runner.Options.Drivers. Packages stream and mqtt
// hold the clients the streaming drivers (stream.go: HLS, HTTP-FLV,
// RTMP) and the MQTT driver (mqtt.go) run.
package protocols
