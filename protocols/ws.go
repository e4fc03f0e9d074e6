package protocols

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// WebSocket sizes. A kept connection holds only its read buffer: the
// write buffer is borrowed from a pool for the length of one message, so
// ten thousand idle connections cost ten thousand read buffers.
const (
	// wsReadBuffer is each connection's read buffer. A message larger than
	// it is read straight into the client's message buffer, not through it.
	wsReadBuffer = 1024
	// wsWriteBuffer is the pooled buffer a message is framed in; a longer
	// message goes out as several frames.
	wsWriteBuffer = 16 << 10
	// maxWSConns bounds the connections a VU keeps, one per URL; opening
	// one more closes the least recently used. It keeps a URL that changes
	// every pass (a token in its query) from piling up connections.
	maxWSConns = 16
	// wsCloseWait bounds how long a close waits for the peer's close frame
	// (the step's timeout when that is shorter).
	wsCloseWait = time.Second
	// wsGoodbyeWait bounds the close frame sent when a kept connection is
	// evicted or the session ends; nothing is awaited then.
	wsGoodbyeWait = 100 * time.Millisecond
)

var (
	wsWritePool sync.Pool
	wsNetDialer net.Dialer
	// The two dialers every VU shares: one verifies certificates, one
	// does not (tls_verify: false). Per-step settings travel with each
	// dial instead: the connect timeout as the context's deadline, the
	// subprotocols as the Sec-WebSocket-Protocol header. No proxy is
	// used and no compression offered.
	wsDialVerify   = newWSDialer(tlsVerify)
	wsDialInsecure = newWSDialer(tlsInsecure)
)

func newWSDialer(cfg *tls.Config) *websocket.Dialer {
	return &websocket.Dialer{
		NetDialContext:  wsNetDial,
		TLSClientConfig: cfg,
		ReadBufferSize:  wsReadBuffer,
		WriteBufferSize: wsWriteBuffer,
		WriteBufferPool: &wsWritePool,
	}
}

// wsSession is one VU's WebSocket session: one kept connection per URL
// (connection: vu), reused by every ws step with that URL until a failure
// breaks it, a close action closes it, or the session ends. Headers and
// subprotocols are those of the step that opened it. It is not safe for
// concurrent use, except Interrupt.
type wsSession struct {
	ctx context.Context
	// dialCancel cancels the dial in progress, for Interrupt. A dial has
	// its own context rather than the session keeping a cancelable one:
	// that would cost every idle VU a context, a map and a channel.
	dialCancel atomic.Pointer[context.CancelFunc]

	conns []*wsConn // kept connections, least recently used first
	url   []byte
	buf   []byte // a rendered message, ping payload or header value
	bin   []byte // a rendered send_binary payload, decoded
	msg   []byte // the last message received: Result.Body

	dialing *wsConn // the connection being opened; the VU's goroutine only
	active  atomic.Pointer[wsConn]
	cut     atomic.Bool // set by Interrupt: no action may start or go on
}

type wsConn struct {
	key string // the URL it was opened with
	ws  *websocket.Conn
	// raw is the TCP connection under WebSocket (and TLS), which
	// Interrupt closes to cut whatever is in flight.
	raw net.Conn
}

type wsClientKey struct{}

// newWS returns a session whose dials end when cfg.Ctx does.
func newWS(cfg Config) *wsSession {
	return &wsSession{ctx: cfg.Ctx}
}

// wsNetDial dials for the shared dialers and hands the new connection to
// the client dialing, so that Interrupt can cut the rest of the handshake.
// The dialers call it on the goroutine of the client's Do.
func wsNetDial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := wsNetDialer.DialContext(ctx, network, addr)
	c, _ := ctx.Value(wsClientKey{}).(*wsSession)
	if err != nil || c == nil || c.dialing == nil {
		return conn, err
	}
	c.dialing.raw = conn
	c.active.Store(c.dialing)
	if c.cut.Load() {
		conn.Close()
		return nil, errInterrupted
	}
	return conn, nil
}

// Do renders a *scenario.WSSpec against the VU's variables and runs its
// actions in order
// over the VU's connection to the rendered URL, opening one first if there
// is none (and again after a close action, for actions that follow it).
// With PerIteration the step opens its own connection and closes it at
// its end. r.RT runs from the start of the step to the end of its last
// action, the handshake included when the step connected; r.Connect is
// that handshake's part. r.Sent and r.Recv count the payload bytes of the
// text and binary messages sent and received, not the handshake, frame
// headers or control frames (ping, pong, close). r.Body is the last
// message received, valid until the next call.
//
// A receive reads Count messages, or reads until the until-expression
// holds for one (judged by in.Until; giving up after Max when Max > 0),
// all within the
// action's timeout, or the step's. The first failing action ends the step.
// A failure that leaves the connection unusable (a send or receive error,
// a receive timeout, the peer closing) drops it, and the next step
// connects again; after any other failure (no message matched, a
// rendering error) it is kept, with any message not yet read.
func (c *wsSession) Do(sp scenario.Spec, in *Input, r *Result) {
	spec := sp.(*scenario.WSSpec)
	scope, fe := in.Scope, in.Funcs
	r.Reset()
	c.url = spec.URL.Append(c.url[:0], scope, fe)
	if err := fe.Err(); err != nil {
		r.Fail = &Failure{Outcome: metrics.Other, Msg: "render url: " + err.Error(), Err: err}
		r.End = time.Now()
		return
	}
	hostB, ok := wsHost(c.url)
	if !ok {
		// Rendered from variables at run time; the URL itself is not
		// quoted, since a variable in it may be a secret.
		r.Fail = &Failure{Outcome: metrics.Other, Msg: "the URL rendered at run time is not ws:// or wss:// with a host (and no user:password@)"}
		r.End = time.Now()
		return
	}
	s := wsStep{c: c, spec: spec, scope: scope, fe: fe, until: in.Until, r: r, host: hostB}
	start := time.Now()
	var wc *wsConn
	var fail *Failure
	have := false // c.msg holds a whole message received by this step
	for i := -1; i < len(spec.Actions); i++ {
		if wc == nil {
			if wc, fail = s.open(); fail != nil {
				break
			}
		}
		if i < 0 {
			continue
		}
		a := &spec.Actions[i]
		dead := false
		switch a.Kind {
		case "send":
			fail, dead = s.send(wc, a)
		case "receive":
			fail, dead = s.receive(wc, a, &have)
		case "ping":
			fail, dead = s.ping(wc, a)
		case "close":
			code := a.Code
			if code == 0 {
				code = websocket.CloseNormalClosure
			}
			c.forget(wc)
			s.shut(wc, code)
			wc = nil
			if c.cut.Load() {
				fail = interrupted()
			}
		default:
			fail = &Failure{Outcome: metrics.Other, Msg: "unknown ws action " + strconv.Quote(a.Kind)}
		}
		if dead {
			c.forget(wc)
			wc.ws.Close()
			wc = nil
		}
		if fail != nil {
			break
		}
	}
	r.End = time.Now()
	r.RT = r.End.Sub(start)
	r.Fail = fail
	if have {
		r.Body = c.msg
	}
	if spec.PerIteration && wc != nil {
		s.shut(wc, websocket.CloseNormalClosure)
	}
	c.active.Store(nil)
}

// wsStep is one Do's state.
type wsStep struct {
	c     *wsSession
	spec  *scenario.WSSpec
	scope scenario.Scope
	fe    *scenario.FuncEnv
	until Until
	r     *Result
	host  []byte
}

func interrupted() *Failure {
	return &Failure{Outcome: metrics.Other, Msg: errInterrupted.Error(), Err: errInterrupted}
}

// wsHost returns the authority of a ws:// or wss:// URL, or false when the
// URL has another scheme, no host, or credentials (which WebSocket URLs
// cannot carry, and which no message may quote).
func wsHost(u []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(u, []byte("ws://"))
	if !ok {
		if rest, ok = bytes.CutPrefix(u, []byte("wss://")); !ok {
			return nil, false
		}
	}
	end := bytes.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host := rest[:end]
	return host, len(host) > 0 && bytes.IndexByte(host, '@') < 0
}

// open returns the VU's kept connection to the step's URL, or opens one.
func (s *wsStep) open() (*wsConn, *Failure) {
	c, spec := s.c, s.spec
	if !spec.PerIteration {
		if wc := c.find(c.url); wc != nil {
			c.active.Store(wc)
			if c.cut.Load() {
				return nil, interrupted()
			}
			return wc, nil
		}
	}
	if c.cut.Load() {
		return nil, interrupted()
	}
	hdr, fail := s.header()
	if fail != nil {
		return nil, fail
	}
	d := wsDialVerify
	if !spec.TLSVerify {
		d = wsDialInsecure
	}
	wc := &wsConn{key: string(c.url)}
	c.dialing = wc
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(c.ctx, spec.ConnectTimeout)
	c.dialCancel.Store(&cancel)
	var ws *websocket.Conn
	var resp *http.Response
	var err error
	if c.cut.Load() {
		// Interrupt came before the cancel was published.
		err = errInterrupted
	} else {
		// The context carries the client to wsNetDial, the shared
		// dialers' dial function.
		ws, resp, err = d.DialContext(context.WithValue(ctx, wsClientKey{}, c), wc.key, hdr)
	}
	c.dialCancel.Store(nil)
	cancel()
	s.r.Connect += time.Since(t0)
	c.dialing = nil
	if err != nil {
		if wc.raw != nil {
			wc.raw.Close() // the dialer closes it too; this is for certain
		}
		return nil, s.handshakeFail(resp, err)
	}
	wc.ws = ws
	if sub := ws.Subprotocol(); sub != "" && !offered(hdr, sub) {
		ws.Close()
		return nil, &Failure{Outcome: metrics.ParseFailed, Msg: "handshake with " + string(s.host) + ": the server chose a subprotocol that was not offered"}
	}
	ws.SetReadLimit(MaxBodySize)
	if c.cut.Load() {
		ws.Close()
		return nil, interrupted()
	}
	if !spec.PerIteration {
		c.keep(wc)
	}
	return wc, nil
}

// header renders the handshake's headers. perfcase adds none of its own
// beyond what the handshake needs: no User-Agent unless the step sets one.
func (s *wsStep) header() (http.Header, *Failure) {
	c, spec := s.c, s.spec
	h := make(http.Header, len(spec.Headers)+2)
	for _, kv := range spec.Headers {
		k := textproto.CanonicalMIMEHeaderKey(kv.Key)
		switch k {
		case "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions":
			return nil, &Failure{Outcome: metrics.Other, Msg: "header " + kv.Key + " is set by the WebSocket handshake itself: remove it from headers"}
		}
		c.buf = kv.Value.Append(c.buf[:0], s.scope, s.fe)
		h[k] = append(h[k], string(c.buf))
	}
	if err := s.fe.Err(); err != nil {
		return nil, &Failure{Outcome: metrics.Other, Msg: "render headers: " + err.Error(), Err: err}
	}
	if len(spec.Subprotocols) > 0 {
		h["Sec-Websocket-Protocol"] = append(h["Sec-Websocket-Protocol"], strings.Join(spec.Subprotocols, ", "))
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{""} // net/http then writes none
	}
	return h, nil
}

// offered reports whether the handshake offered subprotocol sub.
func offered(h http.Header, sub string) bool {
	for _, v := range h["Sec-Websocket-Protocol"] {
		for p := range strings.SplitSeq(v, ",") {
			if strings.TrimSpace(p) == sub {
				return true
			}
		}
	}
	return false
}

// handshakeFail sorts a failed opening handshake. The server answering
// with a status other than 101 counts as a failed verification, as a
// non-2xx answer does in PerfTest: the server was reached and answered,
// but not what the step needs.
func (s *wsStep) handshakeFail(resp *http.Response, err error) *Failure {
	host := string(s.host)
	if s.c.cut.Load() || errors.Is(err, errInterrupted) {
		return interrupted()
	}
	if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
		if resp.StatusCode != http.StatusSwitchingProtocols {
			return &Failure{Outcome: metrics.CheckFailed, Msg: "handshake with " + host + " answered " + strconv.Itoa(resp.StatusCode) + " (expected 101 Switching Protocols)", Err: err}
		}
		return &Failure{Outcome: metrics.ParseFailed, Msg: "handshake with " + host + ": 101 without a valid WebSocket upgrade (Upgrade, Connection or Sec-WebSocket-Accept header)", Err: err}
	}
	var ue *url.Error
	if errors.As(err, &ue) || err.Error() == "malformed ws or wss URL" {
		return &Failure{Outcome: metrics.Other, Msg: "the URL rendered at run time is not a valid ws:// or wss:// URL", Err: err}
	}
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	if isNetErr(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &certErr) || errors.As(err, &recErr) || errors.As(err, &dnsErr) {
		f := classifyNet("handshake with "+host, err)
		if f.Outcome == metrics.Timeout && dnsErr == nil {
			f.Msg = "handshake with " + host + ": no answer within " + s.spec.ConnectTimeout.String()
		}
		return f
	}
	// A malformed HTTP answer: net/http quotes the offending line, which
	// may carry a cookie, so only the kind of failure is told.
	return &Failure{Outcome: metrics.ParseFailed, Msg: "handshake with " + host + ": malformed HTTP response", Err: err}
}

// send sends a text or binary message.
func (s *wsStep) send(wc *wsConn, a *scenario.WSActionSpec) (*Failure, bool) {
	c := s.c
	kind := websocket.TextMessage
	var p []byte
	if a.Binary {
		kind = websocket.BinaryMessage
		if a.Text == nil || a.Text.IsStatic() {
			p = a.Bytes
		} else {
			c.buf = a.Text.Append(c.buf[:0], s.scope, s.fe)
			if err := s.fe.Err(); err != nil {
				return &Failure{Outcome: metrics.Other, Msg: "render send_binary: " + err.Error(), Err: err}, false
			}
			var ok bool
			if c.bin, ok = appendUnhex(c.bin[:0], c.buf); !ok {
				return &Failure{Outcome: metrics.Other, Msg: "send_binary: the payload rendered at run time is not hex digits"}, false
			}
			p = c.bin
		}
	} else {
		c.buf = a.Text.Append(c.buf[:0], s.scope, s.fe)
		if err := s.fe.Err(); err != nil {
			return &Failure{Outcome: metrics.Other, Msg: "render send: " + err.Error(), Err: err}, false
		}
		p = c.buf
	}
	wc.ws.SetWriteDeadline(time.Now().Add(s.spec.Timeout))
	if c.cut.Load() {
		return interrupted(), true
	}
	if err := wc.ws.WriteMessage(kind, p); err != nil {
		return s.ioFail("send to ", err), true
	}
	s.r.Sent += int64(len(p))
	return nil, false
}

// receive reads Count messages, or messages until the until-expression
// holds for one (at most Max of them when Max > 0), all within the
// action's timeout (the step's when it sets none).
func (s *wsStep) receive(wc *wsConn, a *scenario.WSActionSpec, have *bool) (*Failure, bool) {
	c := s.c
	limit := a.Timeout
	if limit <= 0 {
		limit = s.spec.Timeout
	}
	want := a.Count
	if want <= 0 {
		want = 1
	}
	if a.Until != nil && s.until == nil {
		return &Failure{Outcome: metrics.Other, Msg: "receive until: no evaluator for the expression"}, false
	}
	wc.ws.SetReadDeadline(time.Now().Add(limit))
	if c.cut.Load() {
		return interrupted(), true
	}
	for n := 0; ; {
		if a.Until == nil && n == want {
			return nil, false
		}
		if a.Until != nil && a.Max > 0 && n == a.Max {
			return &Failure{Outcome: metrics.CheckFailed, Msg: "receive until " + strconv.Quote(a.Until.Src) + ": none of " + strconv.Itoa(n) + " messages matched"}, false
		}
		*have = false
		_, rd, err := wc.ws.NextReader()
		if err == nil {
			c.msg, err = appendMessage(c.msg[:0], rd)
			s.r.Recv += int64(len(c.msg))
		}
		if err != nil {
			f := s.ioFail("receive from ", err)
			if f.Outcome == metrics.Timeout {
				f.Msg = s.receiveTimeout(a, n, want, limit)
			}
			return f, true
		}
		*have = true
		n++
		if a.Until != nil {
			ok, err := s.until(a.Until, c.msg)
			if err != nil {
				return &Failure{Outcome: metrics.CheckFailed, Msg: "receive until " + strconv.Quote(a.Until.Src) + ": " + err.Error(), Err: err}, false
			}
			if ok {
				return nil, false
			}
		}
	}
}

func (s *wsStep) receiveTimeout(a *scenario.WSActionSpec, n, want int, limit time.Duration) string {
	host, within := string(s.host), " within "+limit.String()
	switch {
	case a.Until != nil:
		return "receive until " + strconv.Quote(a.Until.Src) + ": no message from " + host + " matched" + within + " (" + strconv.Itoa(n) + " received)"
	case n == 0:
		return "no message from " + host + within
	}
	return strconv.Itoa(n) + " of " + strconv.Itoa(want) + " messages from " + host + within
}

// appendMessage reads a message onto dst, growing it as needed.
func appendMessage(dst []byte, r io.Reader) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			// Grown as messages need, from 64 bytes: an idle VU keeps
			// its largest message.
			dst = slices.Grow(dst, max(64, cap(dst)))
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// ping sends a ping with the action's payload. It does not wait for the
// pong: waiting would mean reading, and a message read meanwhile would be
// lost to the next receive. The pong is consumed, unseen and uncounted,
// by the next read on the connection.
func (s *wsStep) ping(wc *wsConn, a *scenario.WSActionSpec) (*Failure, bool) {
	c := s.c
	c.buf = c.buf[:0]
	if a.Text != nil {
		c.buf = a.Text.Append(c.buf, s.scope, s.fe)
		if err := s.fe.Err(); err != nil {
			return &Failure{Outcome: metrics.Other, Msg: "render ping: " + err.Error(), Err: err}, false
		}
	}
	if len(c.buf) > 125 {
		return &Failure{Outcome: metrics.Other, Msg: "ping payload of " + strconv.Itoa(len(c.buf)) + " bytes: a control frame carries at most 125"}, false
	}
	deadline := time.Now().Add(s.spec.Timeout)
	if c.cut.Load() {
		return interrupted(), true
	}
	if err := wc.ws.WriteControl(websocket.PingMessage, c.buf, deadline); err != nil {
		return s.ioFail("ping to ", err), true
	}
	return nil, false
}

// shut closes a connection as RFC 6455 asks: a close frame with code,
// then a wait (wsCloseWait at most) for the peer's close frame, reading
// and discarding any message before it. It never fails: the connection is
// closed either way.
func (s *wsStep) shut(wc *wsConn, code int) {
	wait := min(s.spec.Timeout, wsCloseWait)
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], uint16(code))
	now := time.Now()
	if !s.c.cut.Load() && wc.ws.WriteControl(websocket.CloseMessage, b[:], now.Add(wait)) == nil {
		wc.ws.SetReadDeadline(now.Add(wait))
		for !s.c.cut.Load() {
			_, rd, err := wc.ws.NextReader()
			if err != nil {
				break
			}
			n, _ := io.Copy(io.Discard, rd)
			s.r.Recv += n
		}
	}
	wc.ws.Close()
}

// ioFail sorts a failed read or write on an open connection; what leads
// the message ("receive from ").
func (s *wsStep) ioFail(what string, err error) *Failure {
	host := string(s.host)
	if s.c.cut.Load() {
		return interrupted()
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code == websocket.CloseAbnormalClosure {
			// gorilla's name for the connection ending without a close
			// frame.
			return &Failure{Outcome: metrics.Other, Msg: "connection to " + host + " closed by the peer without a close frame", Err: err}
		}
		// The close frame's text is the peer's and not quoted.
		return &Failure{Outcome: metrics.Other, Msg: "connection to " + host + " closed by the peer (" + closeCode(ce.Code) + ")", Err: err}
	}
	if errors.Is(err, websocket.ErrReadLimit) {
		return &Failure{Outcome: metrics.ParseFailed, Msg: "message from " + host + " over " + strconv.Itoa(MaxBodySize>>20) + " MiB", Err: err}
	}
	if errors.Is(err, websocket.ErrCloseSent) {
		return &Failure{Outcome: metrics.Other, Msg: "connection to " + host + " is closing", Err: err}
	}
	if isNetErr(err) {
		return classifyNet(what+host, err)
	}
	// gorilla's protocol errors name the rule broken, never the payload.
	return &Failure{Outcome: metrics.ParseFailed, Msg: "malformed frame from " + host + ": " + strings.TrimPrefix(err.Error(), "websocket: "), Err: err}
}

// closeNames are the close codes of RFC 6455, section 7.4.1.
var closeNames = map[int]string{
	1000: "normal closure", 1001: "going away", 1002: "protocol error", 1003: "unsupported data",
	1005: "no status", 1007: "invalid payload data", 1008: "policy violation", 1009: "message too big",
	1010: "mandatory extension", 1011: "internal server error", 1012: "service restart", 1013: "try again later",
}

// closeCode tells a close code and its name, when it has one.
func closeCode(code int) string {
	s := "code " + strconv.Itoa(code)
	if name := closeNames[code]; name != "" {
		s += " " + name
	}
	return s
}

// find returns the kept connection to url, marking it most recently used.
func (c *wsSession) find(u []byte) *wsConn {
	for i, wc := range c.conns {
		if wc.key == string(u) {
			copy(c.conns[i:], c.conns[i+1:])
			c.conns[len(c.conns)-1] = wc
			return wc
		}
	}
	return nil
}

// keep adds a connection to those kept, closing the least recently used
// when there are too many.
func (c *wsSession) keep(wc *wsConn) {
	if len(c.conns) >= maxWSConns {
		goodbye(c.conns[0])
		c.conns = append(c.conns[:0], c.conns[1:]...)
	}
	c.conns = append(c.conns, wc)
}

// forget removes a connection from those kept, if it is.
func (c *wsSession) forget(wc *wsConn) {
	for i, x := range c.conns {
		if x == wc {
			c.conns = append(c.conns[:i], c.conns[i+1:]...)
			c.conns[len(c.conns):cap(c.conns)][0] = nil
			return
		}
	}
}

// goodbye sends a going-away close frame, best effort, and closes.
func goodbye(wc *wsConn) {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], websocket.CloseGoingAway)
	wc.ws.WriteControl(websocket.CloseMessage, b[:], time.Now().Add(wsGoodbyeWait))
	wc.ws.Close()
}

// Interrupt cuts the step in flight, if any (a dial, a handshake, a
// receive waiting for a message), so a VU stuck on a slow server stops
// when the run's grace period ends. It is final: every later step fails
// at once. Safe from any goroutine.
func (c *wsSession) Interrupt() {
	// The flag first: a step that publishes its connection after this
	// reads it, one that did before has its connection closed below.
	c.cut.Store(true)
	if cancel := c.dialCancel.Load(); cancel != nil {
		(*cancel)()
	}
	if wc := c.active.Load(); wc != nil {
		wc.raw.Close()
	}
}

// Close closes every kept connection, each with a going-away close frame.
func (c *wsSession) Close() {
	for _, wc := range c.conns {
		if c.cut.Load() {
			wc.ws.Close()
		} else {
			goodbye(wc)
		}
	}
	c.conns = nil
}

// Release does nothing: the last message stays in the session's buffer,
// which the next step reuses.
func (c *wsSession) Release() {}
