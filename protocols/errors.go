package protocols

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/valyala/fasthttp"

	"github.com/perfcase/perfcase/metrics"
)

// Failure is a failed exchange: the bucket it counts in and a message fit
// for a report. Messages name the host, never the full URL, whose query
// may carry a secret.
type Failure struct {
	Outcome metrics.Outcome
	Msg     string
	Err     error
	// Reset marks a connection the peer reset or closed in the middle of
	// the exchange: counted in Other, and a kind of its own for retry.
	Reset bool
}

func (f *Failure) Error() string { return f.Msg }
func (f *Failure) Unwrap() error { return f.Err }

// classifyNet sorts a network error into a bucket. what says which phase
// failed ("connect to 127.0.0.1:80", "read response") and leads the message.
func classifyNet(what string, err error) *Failure {
	f := &Failure{Outcome: metrics.Other, Err: err}
	var ne net.Error
	var tlsErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		f.Outcome, f.Msg = metrics.Refused, what+": connection refused"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.Is(err, fasthttp.ErrTimeout), errors.As(err, &ne) && ne.Timeout():
		f.Outcome, f.Msg = metrics.Timeout, what+": timeout"
	case errors.Is(err, syscall.ECONNRESET):
		f.Msg, f.Reset = what+": connection reset by peer", true
	case errors.Is(err, syscall.EPIPE):
		f.Msg, f.Reset = what+": broken pipe", true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		f.Msg, f.Reset = what+": connection closed by the server", true
	case errors.As(err, &tlsErr):
		f.Msg = what + ": the server did not answer with TLS (is it plain http?)"
	case errors.As(err, &certErr):
		f.Msg = what + ": " + certErr.Err.Error() + " (set tls_verify: false for a self-signed test server)"
	default:
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			f.Msg = what + ": cannot resolve " + dnsErr.Name
			if dnsErr.IsTimeout {
				f.Outcome = metrics.Timeout
			}
		} else {
			f.Msg = what + ": " + err.Error()
		}
	}
	return f
}

// isNetErr tells a transport failure from a malformed response.
func isNetErr(err error) bool {
	var ne net.Error
	var op *net.OpError
	return errors.As(err, &ne) || errors.As(err, &op) || errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrDeadlineExceeded)
}

// Unreachable reports a failure to reach the peer at all: connecting
// failed (refused, timed out, no such host), or the connection was reset
// or closed before a reply. Such a target is down or drowning, not
// answering wrongly; the runner backs off from it.
func (f *Failure) Unreachable() bool {
	var op *net.OpError
	if errors.As(f.Err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(f.Err, syscall.ECONNREFUSED) || errors.Is(f.Err, syscall.ECONNRESET) || errors.Is(f.Err, syscall.EPIPE) ||
		errors.Is(f.Err, io.EOF) || errors.Is(f.Err, io.ErrUnexpectedEOF)
}
