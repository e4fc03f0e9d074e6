package protocols

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// The TCP and UDP drivers. Both render the step's address and payload,
// send the payload, and read the reply the step describes (scenario.EndKind):
//
//   - EndLength: exactly Length bytes.
//   - EndTerminator: up to and including the first occurrence of
//     Terminator.
//   - EndIdle: whatever arrives until nothing more has come for Idle. RT
//     and End stop at the last byte received, not after the idle wait
//     that proves the reply over: the step takes Idle longer than its RT.
//     A reply that has not begun by the timeout fails as a Timeout, and so
//     does one still arriving at it. Over TCP the peer closing the
//     connection also ends the reply (and the connection).
//   - EndDatagram (UDP): the first datagram.
//   - EndNone: nothing is read; the step only sends.
//
// One deadline, Timeout from the start of sending, bounds the exchange;
// connecting has its own, ConnectTimeout. RT runs from just before
// connecting (or sending, on a kept connection) to the end of the reply;
// Connect is the part spent connecting.
//
// TCP: a VU keeps one connection per address across iterations, closed
// after the exchange with CloseAfter or after any failure. A kept
// connection is a byte stream read exactly as the peer wrote it: bytes
// that arrive after a terminator stay on the connection and begin the
// next reply read from it, and what the peer sends to a send-only step
// waits there for the next step that reads. A peer that closes a kept
// connection while it sat idle costs nothing: an exchange whose send
// fails, or whose read meets the close or a reset before any byte of a
// reply, is sent again once on a new connection (a timeout never is); and
// a connection idle for over a second is checked before use, which a
// send-only step, that never reads, needs. A peer that closes or resets
// the connection part way through a reply fails the step (Other).
//
// UDP: a VU has one connected socket per address (two when send-only
// steps and reading steps share an address, so that replies nobody reads
// never reach a reading step). A reply in several datagrams is read until
// its length or terminator; the rest of the last datagram is dropped,
// since UDP has no stream to keep it for. A datagram that does not come by
// the timeout is lost, a Timeout; an ICMP port unreachable is Refused.
// After any failure the socket is replaced, so a reply arriving late is
// never taken for the next step's.

// MaxSocketReply bounds a TCP or UDP reply kept in memory; a longer one
// fails as a parse failure. It is the cap validate puts on a read length.
const MaxSocketReply = scenario.MaxReadLength

// maxDatagram is the largest UDP payload; every datagram read has this
// much room, or the kernel would cut it short without a word.
const maxDatagram = 64 << 10

// sockProbeIdle is how long a kept TCP connection may sit idle before it
// is checked for a close by the peer before use.
var sockProbeIdle = time.Second

var (
	sockLimit       = strconv.Itoa(MaxSocketReply>>20) + " MiB"
	errSockTooLarge = errors.New("reply over " + sockLimit)
)

// sconn is one kept TCP connection or UDP socket.
type sconn struct {
	key  string // host:port
	conn net.Conn
	// left holds TCP bytes read past the last reply: the start of the next.
	left       []byte
	sent, recv int64
	used       bool // has carried an exchange
	quiet      bool // UDP: the socket of send-only steps
	lastUsed   time.Time
}

func (sc *sconn) Read(p []byte) (int, error) {
	n, err := sc.conn.Read(p)
	sc.recv += int64(n)
	return n, err
}

func (sc *sconn) Write(p []byte) (int, error) {
	n, err := sc.conn.Write(p)
	sc.sent += int64(n)
	return n, err
}

// sockSession is one VU's TCP session (one kept connection per address)
// or UDP session (a connected socket per address): kept connections,
// render buffers, the reply buffer and the interrupt.
type sockSession struct {
	ctx    context.Context
	dialer net.Dialer
	conns  []*sconn
	stream bool // TCP

	addr []byte // the rendered address
	out  []byte // the payload sent
	hex  []byte // a rendered hex payload before decoding
	buf  []byte // the reply; Result.Body aliases it
	term []byte // the terminator as bytes, cached

	active atomic.Pointer[sconn]
	cut    atomic.Bool // set by Interrupt: no exchange may start or go on
}

// newTCP returns a TCP session whose dials end when cfg.Ctx does.
func newTCP(cfg Config) *sockSession { return &sockSession{ctx: cfg.Ctx, stream: true} }

// newUDP returns a UDP session whose address lookups end when cfg.Ctx
// does.
func newUDP(cfg Config) *sockSession { return &sockSession{ctx: cfg.Ctx} }

// Interrupt cuts the exchange in flight, if any, and every later one, so
// a VU stuck on a silent peer stops when the run's grace period ends.
// Safe from any goroutine.
func (s *sockSession) Interrupt() {
	// The flag first: an exchange that sets its deadline after this reads
	// it, one that set it before gets the deadline below.
	s.cut.Store(true)
	if sc := s.active.Load(); sc != nil {
		sc.conn.SetDeadline(time.Unix(1, 0))
	}
}

// Close closes every connection or socket of the session.
func (s *sockSession) Close() {
	for _, sc := range s.conns {
		sc.conn.Close()
	}
	s.conns = nil
}

// Release does nothing: the reply stays in the session's buffer, which
// the next exchange reuses.
func (s *sockSession) Release() {}

// Do renders a *scenario.SocketSpec, sends its payload over the VU's
// connection to its address and reads the reply into r.Body, valid until
// the next call.
func (s *sockSession) Do(sp scenario.Spec, in *Input, r *Result) {
	spec := sp.(*scenario.SocketSpec)
	r.Reset()
	payload, fail := s.prepare(spec, in.Scope, in.Funcs)
	if fail != nil {
		r.Fail, r.End = fail, time.Now()
		return
	}
	start := time.Now()
	if s.stream {
		s.doTCP(spec, payload, start, r)
	} else {
		s.doUDP(spec, payload, r)
	}
	r.RT = r.End.Sub(start)
}

// doTCP sends payload over the kept connection and reads the reply,
// sending again once on a new connection when the peer closed the kept
// one while it was idle.
func (s *sockSession) doTCP(spec *scenario.SocketSpec, payload []byte, start time.Time, r *Result) {
	r.End = start
	for attempt := 0; ; attempt++ {
		sc, fail := s.conn(spec, false, r)
		if fail != nil {
			r.Fail, r.End = fail, time.Now()
			return
		}
		reused := sc.used
		sc.used = true
		sent0, recv0, left0 := sc.sent, sc.recv, len(sc.left)
		s.active.Store(sc)
		if reused && time.Since(sc.lastUsed) > sockProbeIdle && !s.probe(sc) {
			s.active.Store(nil)
			r.Recv += sc.recv - recv0
			s.drop(sc)
			continue
		}
		n, end, closed, wrote, err := s.exchange(sc, spec, payload)
		s.active.Store(nil)
		r.Sent += sc.sent - sent0
		r.Recv += sc.recv - recv0
		r.Body, r.End = s.buf[:n], end
		if err == nil {
			if closed || spec.CloseAfter {
				s.drop(sc)
			}
			return
		}
		s.drop(sc)
		if reused && attempt == 0 && sc.recv == recv0 && left0 == 0 && sockPeerGone(err) && !s.cut.Load() {
			// The peer closed the kept connection while it was idle: the
			// payload was not taken. Send it again on a new connection.
			r.Body = nil
			continue
		}
		r.Fail = s.failure(sc.key, err, wrote, n)
		return
	}
}

// doUDP sends payload as one datagram and reads the reply.
func (s *sockSession) doUDP(spec *scenario.SocketSpec, payload []byte, r *Result) {
	sc, fail := s.conn(spec, spec.End == scenario.EndNone, r)
	if fail != nil {
		r.Fail, r.End = fail, time.Now()
		return
	}
	sc.used = true
	sent0, recv0 := sc.sent, sc.recv
	s.active.Store(sc)
	n, end, _, wrote, err := s.exchange(sc, spec, payload)
	s.active.Store(nil)
	r.Sent, r.Recv = sc.sent-sent0, sc.recv-recv0
	r.Body, r.End = s.buf[:n], end
	if err != nil {
		s.drop(sc)
		if wrote && n == 0 && isTimeout(err) && !s.cut.Load() {
			r.Fail = &Failure{Outcome: metrics.Timeout, Msg: "no reply from " + sc.key + " before the timeout: lost, or the peer is down", Err: err}
			return
		}
		r.Fail = s.failure(sc.key, err, wrote, n)
	}
}

// prepare renders the address into s.addr and returns the payload.
func (s *sockSession) prepare(spec *scenario.SocketSpec, scope scenario.Scope, fe *scenario.FuncEnv) ([]byte, *Failure) {
	if s.cut.Load() {
		return nil, &Failure{Outcome: metrics.Other, Msg: errInterrupted.Error(), Err: errInterrupted}
	}
	s.addr = spec.Address.Append(s.addr[:0], scope, fe)
	var payload []byte
	switch {
	case spec.Hex && spec.Payload.IsStatic():
		payload = spec.Bytes
	case spec.Hex:
		s.hex = spec.Payload.Append(s.hex[:0], scope, fe)
		if fail := sockRenderFailure(fe); fail != nil {
			return nil, fail
		}
		var ok bool
		s.out, ok = appendUnhex(s.out[:0], s.hex)
		payload = s.out
		if !ok {
			// The rendering is not quoted: a variable in it may be a secret.
			return nil, &Failure{Outcome: metrics.Other, Msg: "render request: the payload rendered at run time is not hex (0-9 and a-f, two digits per byte)"}
		}
	default:
		s.out = spec.Payload.Append(s.out[:0], scope, fe)
		payload = s.out
	}
	if fail := sockRenderFailure(fe); fail != nil {
		return nil, fail
	}
	if spec.End == scenario.EndLength && spec.Length > MaxSocketReply {
		return nil, &Failure{Outcome: metrics.Other, Msg: "read length " + strconv.Itoa(spec.Length) + " is over the " + sockLimit + " a reply may have"}
	}
	if spec.End == scenario.EndTerminator && string(s.term) != spec.Terminator {
		s.term = append(s.term[:0], spec.Terminator...)
	}
	return payload, nil
}

// sockRenderFailure is the error a template function met while rendering.
func sockRenderFailure(fe *scenario.FuncEnv) *Failure {
	if fe == nil {
		return nil
	}
	if err := fe.Err(); err != nil {
		return &Failure{Outcome: metrics.Other, Msg: "render request: " + err.Error(), Err: err}
	}
	return nil
}

// conn returns the kept connection to s.addr, dialing one if needed; the
// time spent dialing is added to r.Connect.
func (s *sockSession) conn(spec *scenario.SocketSpec, quiet bool, r *Result) (*sconn, *Failure) {
	for _, sc := range s.conns {
		if sc.key == string(s.addr) && sc.quiet == quiet {
			return sc, nil
		}
	}
	key := string(s.addr)
	if _, _, err := net.SplitHostPort(key); err != nil {
		// Rendered from variables at run time; not quoted.
		return nil, &Failure{Outcome: metrics.Other, Msg: "the address rendered at run time is not host:port", Err: err}
	}
	network, what := "udp", "open a socket to "
	if s.stream {
		network, what = "tcp", "connect to "
	}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(s.ctx, sockOrDefault(spec.ConnectTimeout, scenario.DefaultConnectTimeout))
	conn, err := s.dialer.DialContext(ctx, network, key)
	cancel()
	r.Connect += time.Since(t0)
	if err != nil {
		return nil, classifyNet(what+key, err)
	}
	sc := &sconn{key: key, conn: conn, quiet: quiet}
	s.conns = append(s.conns, sc)
	return sc, nil
}

func (s *sockSession) drop(sc *sconn) {
	sc.conn.Close()
	for i, x := range s.conns {
		if x == sc {
			s.conns = append(s.conns[:i], s.conns[i+1:]...)
			return
		}
	}
}

// probe tells whether a TCP connection idle for a while is still open.
// Bytes waiting on it (sent to a step that did not read) are moved to
// sc.left, where the next reply starts.
func (s *sockSession) probe(sc *sconn) bool {
	if (&hconn{conn: sc.conn}).alive() {
		return true
	}
	// Something is waiting: bytes, the peer's close or a reset. Either
	// way the read below returns at once.
	sc.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var b [512]byte
	n, err := sc.Read(b[:])
	sc.left = append(sc.left, b[:n]...)
	return n > 0 || isTimeout(err)
}

// exchange sends payload on sc and reads the reply into s.buf[:n]. end
// is when the reply ended; closed says the peer closed the connection
// (ending an idle-ended reply); wrote says the payload was sent.
func (s *sockSession) exchange(sc *sconn, spec *scenario.SocketSpec, payload []byte) (n int, end time.Time, closed, wrote bool, err error) {
	now := time.Now()
	sc.lastUsed = now
	deadline := now.Add(sockOrDefault(spec.Timeout, scenario.DefaultTimeout))
	if err = sc.conn.SetDeadline(deadline); err != nil {
		return 0, time.Now(), false, false, err
	}
	if s.cut.Load() {
		// Interrupt may have set its deadline just before this one.
		return 0, now, false, false, errInterrupted
	}
	if len(payload) > 0 || !s.stream {
		if _, err = sc.Write(payload); err != nil {
			return 0, time.Now(), false, false, s.cause(err)
		}
	}
	if spec.End == scenario.EndNone {
		return 0, time.Now(), false, true, nil
	}
	// Let the other VUs run before reading: the reply is then usually
	// there, and the read does not first fail with EAGAIN and park on the
	// poller.
	runtime.Gosched()
	n, end, closed, err = s.read(sc, spec, deadline)
	return n, end, closed, true, s.cause(err)
}

// cause is errInterrupted for an error that Interrupt brought about.
func (s *sockSession) cause(err error) error {
	if err != nil && s.cut.Load() && isTimeout(err) {
		return errInterrupted
	}
	return err
}

// read reads one reply into s.buf[:n].
func (s *sockSession) read(sc *sconn, spec *scenario.SocketSpec, deadline time.Time) (n int, end time.Time, closed bool, err error) {
	room := 1 // a TCP read takes what fits
	if !s.stream {
		room = maxDatagram
	}
	buf := s.buf[:cap(s.buf)]
	if s.stream && len(sc.left) > 0 {
		buf = sockGrow(buf, 0, len(sc.left))
		n = copy(buf, sc.left)
		sc.left = sc.left[:0]
	}
	idle := spec.End == scenario.EndIdle
	idleFor := sockOrDefault(spec.Idle, scenario.DefaultReadIdle)
	last := time.Now() // when the last byte came
	searched, reads := 0, 0
	var rerr error
	for {
		// A complete reply ends the read, even when an error came with
		// its last bytes.
		done := -1
		switch spec.End {
		case scenario.EndLength:
			if n >= spec.Length {
				done = spec.Length
			}
		case scenario.EndTerminator:
			if i := bytes.Index(buf[searched:n], s.term); i >= 0 {
				done = searched + i + len(s.term)
			} else {
				searched = max(0, n-len(s.term)+1)
			}
		case scenario.EndDatagram:
			if reads > 0 {
				done = n
			}
		}
		if done >= 0 {
			if s.stream && done < n {
				sc.left = append(sc.left[:0], buf[done:n]...)
			}
			s.buf = buf
			return done, time.Now(), false, nil
		}
		if rerr != nil {
			s.buf = buf
			if idle && n > 0 {
				if errors.Is(rerr, io.EOF) {
					return n, last, true, nil // the peer's close ends the reply
				}
				if isTimeout(rerr) && last.Add(idleFor).Before(deadline) && !s.cut.Load() {
					return n, last, false, nil // quiet for Idle: the reply is over
				}
			}
			if errors.Is(rerr, io.EOF) && n > 0 {
				rerr = io.ErrUnexpectedEOF
			}
			return n, time.Now(), false, rerr
		}
		if n > MaxSocketReply {
			s.buf = buf
			return n, time.Now(), false, errSockTooLarge
		}
		to := 0
		if s.stream && spec.End == scenario.EndLength {
			buf = sockGrow(buf, n, spec.Length-n)
			to = spec.Length // never read past the reply
		} else {
			buf = sockGrow(buf, n, room)
			to = len(buf)
		}
		if idle && n > 0 {
			d := last.Add(idleFor)
			if d.After(deadline) {
				d = deadline
			}
			sc.conn.SetReadDeadline(d)
			if s.cut.Load() {
				s.buf = buf
				return n, time.Now(), false, errInterrupted
			}
		}
		m, err := sc.Read(buf[n:to])
		if m > 0 || !s.stream && err == nil {
			n += m
			reads++
			last = time.Now()
		}
		rerr = err
	}
}

// sockOrDefault is d, or def when d is unset: a compiled spec has its
// defaults filled in, one built by hand may not.
func sockOrDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// sockGrow returns buf, with its length at its capacity, grown so that
// at least room bytes fit after n.
func sockGrow(buf []byte, n, room int) []byte {
	buf = buf[:cap(buf)]
	if len(buf)-n >= room {
		return buf
	}
	size := max(2*len(buf), n+room, 4096)
	size = min(size, max(MaxSocketReply+room, n+room))
	nb := make([]byte, size)
	copy(nb, buf[:n])
	return nb
}

// sockPeerGone reports whether err says the peer closed or reset the
// connection: what a kept connection closed while idle shows.
func sockPeerGone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// failure sorts an exchange's error into a bucket. n bytes of the reply
// had come.
func (s *sockSession) failure(addr string, err error, wrote bool, n int) *Failure {
	switch {
	case errors.Is(err, errInterrupted):
		return &Failure{Outcome: metrics.Other, Msg: err.Error(), Err: err}
	case errors.Is(err, errSockTooLarge):
		return &Failure{Outcome: metrics.ParseFailed, Msg: "reply from " + addr + " over " + sockLimit, Err: err}
	case !wrote:
		return classifyNet("send to "+addr, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		msg := "reply from " + addr + ": connection closed by the peer"
		if n > 0 {
			msg += " part way through the reply"
		}
		return &Failure{Outcome: metrics.Other, Msg: msg, Err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Failure{Outcome: metrics.Refused, Msg: "reply from " + addr + ": connection refused (port unreachable)", Err: err}
	case isTimeout(err) && n > 0:
		return &Failure{Outcome: metrics.Timeout, Msg: "reply from " + addr + ": timeout with the reply incomplete", Err: err}
	}
	return classifyNet("reply from "+addr, err)
}
