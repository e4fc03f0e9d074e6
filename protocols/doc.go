// Package protocols will hold one driver per protocol (HTTP, TCP, UDP,
// WebSocket) behind one small interface: connection reuse, timeouts and
// the classification of every failure into exactly one bucket. It must not
// know about stages or reports. Not written yet; see the README's status.
package protocols
