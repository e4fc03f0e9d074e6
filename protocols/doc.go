// Package protocols holds one driver per protocol. A driver renders a
// compiled request against a VU's variables, sends it over connections the
// VU owns and reuses, enforces the request's timeouts, measures what went
// over the wire, and classifies every failure into exactly one of the
// report's buckets (metrics.Outcome). Drivers know nothing of stages or
// reports: the runner calls them and records what they return.
package protocols
