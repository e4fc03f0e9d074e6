package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/perfcase/perfcase/metrics"
)

// Cause is why a play or publish failed, as PerfTest's streaming report
// counts failures (table 4-260, streamingMediaVo). Each cause's name is
// the report's field.
type Cause uint8

// The causes, in the report's order. docs/streaming.md says which failure
// lands in which.
const (
	NoCause            Cause = iota // not failed
	TCPConnectFailed                // tcpConnectFailed: the TCP connection could not be made
	HandshakeFailed                 // handShakeFailed: the RTMP handshake failed
	RTMPConnectFailed               // rtmpConnectFailed: the RTMP connect command failed
	CreateStreamFailed              // createStreamFailed: createStream failed
	PlayFailed                      // playFailed: the server refused or broke a play
	PublishFailed                   // publishFailed: the server refused or broke a publish
	RetryFailed                     // retryFailed: a live playlist had no new segment after retry_time polls
	ParseFileFailed                 // parseFileFailed: a playlist could not be parsed
	IllegalURLFailed                // illegalUrlFailed: the URL is not one the protocol can play
	IllegalFLVHeader                // illegalFlvHeaderFailed: the stream does not start with an FLV header
	HTTPTimeoutFailed               // httpTimeoutFailed: an HTTP connect or response timed out
	ParseFLVFailed                  // parseFlvFileFailed: an FLV tag could not be parsed
	UnknownFailed                   // unknownFailed: none of the above
	NumCauses
)

var causeNames = [NumCauses]string{
	"", "tcpConnectFailed", "handShakeFailed", "rtmpConnectFailed", "createStreamFailed",
	"playFailed", "publishFailed", "retryFailed", "parseFileFailed", "illegalUrlFailed",
	"illegalFlvHeaderFailed", "httpTimeoutFailed", "parseFlvFileFailed", "unknownFailed",
}

// String returns the cause's field name in the streaming report.
func (c Cause) String() string {
	if c < NumCauses {
		return causeNames[c]
	}
	return "unknownFailed"
}

// Failure is a failed play or publish: its cause in the streaming report,
// its bucket in the request tables, and a message fit for a report (it
// names the host, never the full URL, whose query may carry a token).
type Failure struct {
	Cause   Cause
	Outcome metrics.Outcome
	Msg     string
	Err     error
}

func (f *Failure) Error() string { return f.Msg }
func (f *Failure) Unwrap() error { return f.Err }

// refused is a failure whose bucket is that of the server saying no: an
// RTMP _error or onStatus error, an HTTP status other than 2xx. Like an
// HTTP request without checks that gets a 404, it is a failed check.
func refused(c Cause, msg string) *Failure {
	return &Failure{Cause: c, Outcome: metrics.CheckFailed, Msg: msg}
}

// fixed is a failure whose bucket follows from its cause alone.
func fixed(c Cause, o metrics.Outcome, msg string, err error) *Failure {
	return &Failure{Cause: c, Outcome: o, Msg: msg, Err: err}
}

// netFailure is a transport failure in a phase whose cause is c: the
// bucket comes from the error (refused, timeout, anything else), as the
// HTTP driver sorts them. A timeout on HTTP is httpTimeoutFailed whatever
// the phase, since the report counts those apart.
func netFailure(c Cause, what string, err error, httpTimeout bool) *Failure {
	f := &Failure{Cause: c, Outcome: metrics.Other, Err: err}
	var ne net.Error
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		f.Outcome, f.Msg = metrics.Refused, what+": connection refused"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		f.Outcome, f.Msg = metrics.Timeout, what+": timeout"
		if httpTimeout {
			f.Cause = HTTPTimeoutFailed
		}
	case errors.Is(err, syscall.ECONNRESET):
		f.Msg = what + ": connection reset by peer"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		f.Msg = what + ": connection closed by the server"
	case errors.As(err, &recErr):
		f.Msg = what + ": the server did not answer with TLS"
	case errors.As(err, &certErr):
		f.Msg = what + ": " + certErr.Err.Error() + " (set tls_verify: false for a self-signed test server)"
	default:
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			f.Msg = what + ": cannot resolve " + dnsErr.Name
		} else {
			f.Msg = what + ": " + err.Error()
		}
	}
	return f
}
