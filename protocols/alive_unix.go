//go:build unix

package protocols

import (
	"crypto/tls"
	"syscall"
)

// alive reports whether an idle connection is still open, without
// blocking and without consuming anything: a peek finds nothing to read
// (open), end of file (closed by the server), or bytes nobody asked for,
// such as a TLS close alert (not usable either).
func (hc *hconn) alive() bool {
	nc := hc.conn
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = e == syscall.EAGAIN || e == syscall.EWOULDBLOCK
		return true // never wait for readiness
	})
	return err == nil && open
}
