// Package demo is the demo target the examples run against: a small
// HTTP API with a WebSocket echo, a TCP line echo and a UDP echo, a live
// HLS and a live HTTP-FLV stream (package internal/media), and a
// web shop with pages, a login form and signed tokens that browser
// recordings are made against. It
// listens on loopback addresses only, because it answers anyone who asks
// and exists to be hammered by load tests.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Options are the listen addresses, as host:port. An empty address turns
// that listener off; port 0 picks a free port.
type Options struct {
	HTTP string // HTTP API (HTTP/1.1 and h2c) and WebSocket echo at /ws
	TCP  string // TCP echo of "\n"-terminated lines
	UDP  string // UDP echo of datagrams
}

// DefaultOptions are the addresses the examples use.
func DefaultOptions() Options {
	return Options{HTTP: "127.0.0.1:8080", TCP: "127.0.0.1:9000", UDP: "127.0.0.1:9001"}
}

// AddrError is an address Start refuses before listening: malformed, or
// not a loopback address.
type AddrError struct {
	Listener string // HTTP, TCP or UDP
	Addr     string
	Reason   string
}

func (e *AddrError) Error() string {
	return fmt.Sprintf("%s address %q: %s", e.Listener, e.Addr, e.Reason)
}

// shutdownGrace is how long Close lets HTTP requests in flight finish
// before it cuts their connections.
const shutdownGrace = 2 * time.Second

// Server is a running demo target. Its methods are safe for concurrent use.
type Server struct {
	httpSrv *http.Server
	httpLn  net.Listener
	tcpLn   net.Listener
	udpConn net.PacketConn

	// cancel ends the context of every HTTP request, so handlers that
	// wait (delay) do not hold Close up.
	cancel context.CancelFunc

	counter atomic.Int64
	shop    *shop

	// mu guards conns and closed. The open TCP and WebSocket connections
	// are tracked because http.Server.Shutdown neither sees hijacked
	// connections nor closes the TCP listener's.
	mu     sync.Mutex
	conns  map[io.Closer]struct{}
	closed bool
	wg     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Start listens on every address in opts and serves in the background
// until Close. A listener that cannot start closes the others and is
// reported with what to do about it.
func Start(opts Options) (*Server, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cancel: cancel, conns: map[io.Closer]struct{}{}, shop: newShop()}
	if err := s.listen(opts); err != nil {
		s.Close()
		return nil, err
	}
	if s.httpLn != nil {
		// HTTP/1.1 and, on the same port, HTTP/2 with prior knowledge
		// (h2c), which requests with version "2" speak.
		var protos http.Protocols
		protos.SetHTTP1(true)
		protos.SetUnencryptedHTTP2(true)
		s.httpSrv = &http.Server{
			Handler:           s.routes(),
			ReadHeaderTimeout: 10 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return ctx },
			Protocols:         &protos,
		}
		// Serve returns only once Close has shut the server down.
		s.wg.Go(func() { s.httpSrv.Serve(s.httpLn) })
	}
	if s.tcpLn != nil {
		s.wg.Go(s.acceptTCP)
	}
	if s.udpConn != nil {
		s.wg.Go(s.echoUDP)
	}
	return s, nil
}

func (s *Server) listen(opts Options) error {
	var err error
	if opts.HTTP != "" {
		if s.httpLn, err = listenStream("HTTP", opts.HTTP); err != nil {
			return err
		}
	}
	if opts.TCP != "" {
		if s.tcpLn, err = listenStream("TCP", opts.TCP); err != nil {
			return err
		}
	}
	if opts.UDP != "" {
		if s.udpConn, err = listenPacket("UDP", opts.UDP); err != nil {
			return err
		}
	}
	return nil
}

func listenPacket(name, addr string) (net.PacketConn, error) {
	if err := checkLoopback(name, addr); err != nil {
		return nil, err
	}
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, listenError(name, addr, err)
	}
	if err := checkBound(name, addr, c.LocalAddr(), c); err != nil {
		return nil, err
	}
	return c, nil
}

func listenStream(name, addr string) (net.Listener, error) {
	if err := checkLoopback(name, addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, listenError(name, addr, err)
	}
	if err := checkBound(name, addr, ln.Addr(), ln); err != nil {
		return nil, err
	}
	return ln, nil
}

// checkLoopback refuses, before anything is bound, a host that is not a
// loopback IP or localhost; an empty host would mean every interface.
func checkLoopback(name, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &AddrError{name, addr, "want host:port, e.g. 127.0.0.1:8080"}
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return &AddrError{name, addr, "not a loopback address; the demo target listens only on 127.0.0.1, ::1 or localhost"}
	}
	return nil
}

// checkBound catches a localhost that resolved to something other than
// loopback (a rewritten hosts file), closing what was opened.
func checkBound(name, addr string, bound net.Addr, c io.Closer) error {
	var ip net.IP
	switch a := bound.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	}
	if ip.IsLoopback() {
		return nil
	}
	c.Close()
	return &AddrError{name, addr, fmt.Sprintf("resolved to %s, which is not a loopback address", bound)}
}

func listenError(name, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s address %s is already in use (another demo target?); stop whatever holds the port or choose another address: %w", name, addr, err)
	}
	return fmt.Errorf("cannot listen for %s on %s: %w", name, addr, err)
}

// HTTPAddr is the host:port the HTTP API listens on, "" when it is off.
func (s *Server) HTTPAddr() string { return addrString(s.httpLn) }

// TCPAddr is the host:port of the TCP echo, "" when it is off.
func (s *Server) TCPAddr() string { return addrString(s.tcpLn) }

// UDPAddr is the host:port of the UDP echo, "" when it is off.
func (s *Server) UDPAddr() string {
	if s.udpConn == nil {
		return ""
	}
	return s.udpConn.LocalAddr().String()
}

func addrString(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// Close stops every listener, ends open connections and waits for every
// goroutine the server started. HTTP requests in flight get a short grace
// period; waiting ones (delay) are answered 503 at once. Calling Close
// again returns the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	s.cancel()

	var errs []error
	if s.tcpLn != nil {
		errs = append(errs, ignoreClosed(s.tcpLn.Close()))
	}
	if s.udpConn != nil {
		errs = append(errs, ignoreClosed(s.udpConn.Close()))
	}
	for c := range conns {
		c.Close()
	}
	if s.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			// The grace period is over: cut the stragglers.
			s.httpSrv.Close()
		}
		cancel()
	} else if s.httpLn != nil {
		// Start failed after the HTTP listener opened.
		errs = append(errs, ignoreClosed(s.httpLn.Close()))
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// track registers an open connection for Close to end, and counts its
// goroutine for Close to wait for. It is false once Close has begun; the
// caller then closes c itself.
func (s *Server) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

// untrack undoes track when the connection's goroutine ends.
func (s *Server) untrack(c io.Closer) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}
