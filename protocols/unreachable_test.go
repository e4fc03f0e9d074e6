package protocols

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// A failure to reach the peer at all (connecting failed, or the
// connection dropped before a reply) is told from one where the peer
// answered, or took too long to.
func TestFailureUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, refused := net.DialTimeout("tcp", addr, time.Second)
	if refused == nil {
		t.Fatalf("dialing %s, closed, succeeded", addr)
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", refused, true},
		{"connect timeout", &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{"no such host", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "nowhere.invalid", IsNotFound: true}}, true},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true},
		{"closed before the reply", fmt.Errorf("read response: %w", io.EOF), true},
		{"response timeout", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, false},
		{"interrupted", errInterrupted, false},
		{"body too large", errBodyTooLarge, false},
		{"other", errors.New("malformed response"), false},
	}
	for _, tt := range tests {
		f := classifyNet("connect to "+addr, tt.err)
		if got := f.Unreachable(); got != tt.want {
			t.Errorf("%s (%s): Unreachable() = %v, want %v", tt.name, f.Msg, got, tt.want)
		}
	}
}
