package protocols

import "time"

// Reply is a finished TCP, UDP or WebSocket step: what came back and what
// it cost. The runner judges Payload with the step's checks and
// extractions, as it judges an HTTP body.
type Reply struct {
	// Payload is the reply read (TCP, UDP), or the last message received
	// (WebSocket). It is valid until the next call on the same client.
	Payload []byte
	// RT runs from the start of the step to the end of its last action,
	// connecting included when the step had to connect.
	RT  time.Duration
	End time.Time
	// Connect is the part of RT spent connecting (and handshaking); 0 on
	// a kept connection.
	Connect time.Duration
	Sent    int64
	Recv    int64
	Fail    *Failure // nil on success
}
