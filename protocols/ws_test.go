package protocols

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/gorilla/websocket"

	"github.com/perfcase/perfcase/demo"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// These tests drive the WebSocket session against real peers on
// 127.0.0.1: the demo target's echo, and a gorilla server of the tests'
// own that misbehaves on request, chosen by the URL's path.

// wsServer is a WebSocket server that records what reached it. Paths:
// /echo echoes; /silent reads and never answers; /burst answers any
// message with "a", "b", "done", "c"; /once echoes one message, then closes
// with 1001; /drop echoes one message, then drops the TCP connection;
// /reject answers 403; /proto upgrades only when "chat" is offered; /rogue
// chooses a subprotocol nobody offered.
type wsServer struct {
	srv   *httptest.Server
	url   string // ws://127.0.0.1:port or wss://
	conns atomic.Int64

	mu    sync.Mutex
	hdrs  []http.Header
	codes []int    // close codes received
	pings []string // ping payloads received
	open  []*websocket.Conn
}

func newWSServer(t *testing.T, tlsOn bool) *wsServer {
	t.Helper()
	s := &wsServer{}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hdrs = append(s.hdrs, r.Header.Clone())
		s.mu.Unlock()
		var resp http.Header
		switch r.URL.Path {
		case "/reject":
			http.Error(w, "go away", http.StatusForbidden)
			return
		case "/proto":
			if !slices.Contains(websocket.Subprotocols(r), "chat") {
				http.Error(w, "chat only", http.StatusBadRequest)
				return
			}
			resp = http.Header{"Sec-Websocket-Protocol": {"chat"}}
		case "/rogue":
			resp = http.Header{"Sec-Websocket-Protocol": {"other"}}
		}
		// Counted before the 101 goes out, so a client that has its
		// connection sees it counted.
		s.conns.Add(1)
		c, err := up.Upgrade(w, r, resp)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.open = append(s.open, c)
		s.mu.Unlock()
		defer c.Close()
		c.SetCloseHandler(func(code int, _ string) error {
			s.mu.Lock()
			s.codes = append(s.codes, code)
			s.mu.Unlock()
			return c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		})
		c.SetPingHandler(func(p string) error {
			s.mu.Lock()
			s.pings = append(s.pings, p)
			s.mu.Unlock()
			return c.WriteControl(websocket.PongMessage, []byte(p), time.Now().Add(time.Second))
		})
		for {
			kind, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			switch r.URL.Path {
			case "/silent":
			case "/burst":
				for _, m := range []string{"a", "b", "done", "c"} {
					c.WriteMessage(websocket.TextMessage, []byte(m))
				}
			case "/once":
				c.WriteMessage(kind, msg)
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"), time.Now().Add(time.Second))
				return
			case "/drop":
				c.WriteMessage(kind, msg)
				c.NetConn().Close()
				return
			default:
				c.WriteMessage(kind, msg)
			}
		}
	})
	s.srv = httptest.NewUnstartedServer(h)
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tlsOn {
		s.srv.StartTLS()
		s.url = "wss://" + s.srv.Listener.Addr().String()
	} else {
		s.srv.Start()
		s.url = "ws://" + s.srv.Listener.Addr().String()
	}
	t.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		for _, c := range s.open {
			c.NetConn().Close()
		}
		s.mu.Unlock()
	})
	return s
}

func (s *wsServer) closeCodes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.codes)
}

// wsSpecs compiles ws: steps (flow mappings) with ${base} set to base.
func wsSpecs(t testing.TB, base string, steps ...string) []*scenario.WSSpec {
	t.Helper()
	var out []*scenario.WSSpec
	for _, n := range compileSteps(t, "ws", map[string]string{"base": base}, steps...) {
		out = append(out, n.Spec.(*scenario.WSSpec))
	}
	return out
}

func wsSpec(t testing.TB, base, step string) *scenario.WSSpec {
	t.Helper()
	return wsSpecs(t, base, step)[0]
}

// fixedScope gives every variable the same value.
type fixedScope string

func (s fixedScope) AppendValue(dst []byte, _, _ int) []byte { return append(dst, s...) }

// exprUntil runs a compiled until-expression with body bound to the
// message, as the runner does.
func exprUntil(p *scenario.Program, msg []byte) (bool, error) {
	out, err := vm.Run(p.P, map[string]any{"body": string(msg)})
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

func openWS(t testing.TB) *wsSession {
	c := newWS(Config{Ctx: context.Background()})
	t.Cleanup(c.Close)
	return c
}

// wsOutcome is what a test keeps of a Result, whose body is only valid
// until the next Do.
type wsOutcome struct {
	payload string
	rt      time.Duration
	connect time.Duration
	sent    int64
	recv    int64
	fail    *Failure
}

func wsDo(c *wsSession, sp *scenario.WSSpec) wsOutcome {
	return wsDoScope(c, sp, noScope{})
}

func wsDoScope(c *wsSession, sp *scenario.WSSpec, scope scenario.Scope) wsOutcome {
	var r Result
	c.Do(sp, &Input{Scope: scope, Funcs: scenario.NewFuncEnv(1), Until: exprUntil}, &r)
	return wsOutcome{payload: string(r.Body), rt: r.RT, connect: r.Connect, sent: r.Sent, recv: r.Recv, fail: r.Fail}
}

func wsOK(t *testing.T, o wsOutcome, payload string) {
	t.Helper()
	if o.fail != nil {
		t.Fatalf("failed: %v (outcome %v, err %v)", o.fail, o.fail.Outcome, o.fail.Err)
	}
	if o.payload != payload {
		t.Fatalf("payload %.80q (%d bytes), want %.80q (%d bytes)", o.payload, len(o.payload), payload, len(payload))
	}
}

func wsFail(t *testing.T, o wsOutcome, want metrics.Outcome, msg string) {
	t.Helper()
	if o.fail == nil {
		t.Fatalf("succeeded with payload %q, want a %v failure", o.payload, want)
	}
	if o.fail.Outcome != want || !strings.Contains(o.fail.Msg, msg) {
		t.Fatalf("failure %v %q (err %v), want %v containing %q", o.fail.Outcome, o.fail.Msg, o.fail.Err, want, msg)
	}
}

func TestWSTargetEcho(t *testing.T) {
	srv, err := demo.Start(demo.Options{HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	base := "ws://" + srv.HTTPAddr()
	c := openWS(t)
	sp := wsSpec(t, base, `{url: "${base}/ws", actions: [{send: "hello ${v}"}, {receive: 1}]}`)
	o := wsDoScope(c, sp, fixedScope("world"))
	wsOK(t, o, "hello world")
	if o.sent != 11 || o.recv != 11 {
		t.Fatalf("sent %d recv %d, want 11 and 11", o.sent, o.recv)
	}
	if o.connect <= 0 || o.rt < o.connect {
		t.Fatalf("connect %v rt %v: the handshake is part of the step", o.connect, o.rt)
	}
	// Kept: the second pass connects no more.
	o = wsDoScope(c, sp, fixedScope("again"))
	wsOK(t, o, "hello again")
	if o.connect != 0 {
		t.Fatalf("connect %v on a kept connection", o.connect)
	}
	bin := wsSpec(t, base, `{url: "${base}/ws", actions: [{send_binary: "ca fe ba be"}, {receive: {count: 1, timeout: 1s}}]}`)
	wsOK(t, wsDo(c, bin), "\xca\xfe\xba\xbe")
}

// TestWSExamples runs the ws-echo case of examples/sockets.yaml against
// the demo target, with its real until-expression.
func TestWSExamples(t *testing.T) {
	srv, err := demo.Start(demo.Options{HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	src, err := os.ReadFile("../examples/sockets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := scenario.Parse("sockets.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Compile(f, scenario.Options{
		Set:       map[string]string{"ws_url": "ws://" + srv.HTTPAddr() + "/ws"},
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if err != nil {
		t.Fatal(err)
	}
	var steps []*scenario.RequestNode
	for _, cp := range plan.Cases {
		if cp.Name == "ws-echo" {
			for _, n := range cp.Steps {
				steps = append(steps, n.(*scenario.RequestNode))
			}
		}
	}
	if len(steps) != 2 {
		t.Fatalf("ws-echo has %d steps, want 2", len(steps))
	}
	c := openWS(t)
	for pass := range 3 {
		o := wsDoScope(c, steps[0].Spec.(*scenario.WSSpec), fixedScope("7"))
		wsOK(t, o, "hello 7")
		o = wsDo(c, steps[1].Spec.(*scenario.WSSpec))
		wsOK(t, o, "done")
		if pass == 0 && (o.sent != 10 || o.recv != 10) {
			t.Fatalf("ws-burst sent %d recv %d, want 10 and 10", o.sent, o.recv)
		}
	}
}

func TestWSReceiveCount(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	o := wsDo(c, wsSpec(t, s.url, `{url: "${base}/burst", actions: [{send: go}, {receive: 3}]}`))
	wsOK(t, o, "done")
	if o.sent != 2 || o.recv != 6 {
		t.Fatalf("sent %d recv %d, want 2 and 6", o.sent, o.recv)
	}
}

func TestWSReceiveUntil(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	o := wsDo(c, wsSpec(t, s.url, `{url: "${base}/burst", actions: [{send: go}, {receive: {until: 'body == "done"', max: 5}}]}`))
	wsOK(t, o, "done")
	if o.recv != 6 {
		t.Fatalf("recv %d, want 6", o.recv)
	}
	// The "c" left over is read by the next step on the connection.
	o = wsDo(c, wsSpec(t, s.url, `{url: "${base}/burst", actions: [{receive: 1}]}`))
	wsOK(t, o, "c")
}

func TestWSReceiveUntilMax(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	sp := wsSpec(t, s.url, `{url: "${base}/burst", actions: [{send: go}, {receive: {until: 'body == "zzz"', max: 3}}]}`)
	o := wsDo(c, sp)
	wsFail(t, o, metrics.CheckFailed, `receive until "body == \"zzz\"": none of 3 messages matched`)
	if o.payload != "done" {
		t.Fatalf("payload %q, want the last message read, done", o.payload)
	}
	// Not a broken connection: it is kept.
	wsOK(t, wsDo(c, wsSpec(t, s.url, `{url: "${base}/burst", actions: [{receive: 1}]}`)), "c")
	if n := s.conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

func TestWSReceiveUntilError(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	sp := wsSpec(t, s.url, `{url: "${base}/echo", actions: [{send: go}, {receive: {until: 'body == "x"'}}]}`)
	var r Result
	c.Do(sp, &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1), Until: func(*scenario.Program, []byte) (bool, error) {
		return false, errors.New("cannot compare")
	}}, &r)
	if r.Fail == nil || r.Fail.Outcome != metrics.CheckFailed || r.Fail.Msg != `receive until "body == \"x\"": cannot compare` {
		t.Fatalf("fail %+v", r.Fail)
	}
}

func TestWSReceiveTimeout(t *testing.T) {
	s := newWSServer(t, false)
	host := strings.TrimPrefix(s.url, "ws://")
	c := openWS(t)
	start := time.Now()
	o := wsDo(c, wsSpec(t, s.url, `{url: "${base}/silent", timeout: 2s, actions: [{send: hi}, {receive: {count: 1, timeout: 150ms}}]}`))
	wsFail(t, o, metrics.Timeout, "no message from "+host+" within 150ms")
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
	// The step's timeout applies when the action has none; a read that
	// timed out leaves the connection unusable, so the next step connects.
	o = wsDo(c, wsSpec(t, s.url, `{url: "${base}/silent", timeout: 100ms, actions: [{receive: 2}]}`))
	wsFail(t, o, metrics.Timeout, "no message from "+host+" within 100ms")
	if o.connect == 0 || s.conns.Load() != 2 {
		t.Fatalf("connect %v, %d connections: want a new one", o.connect, s.conns.Load())
	}
	o = wsDo(c, wsSpec(t, s.url, `{url: "${base}/burst", timeout: 200ms, actions: [{send: go}, {receive: 5}]}`))
	wsFail(t, o, metrics.Timeout, "4 of 5 messages from "+host+" within 200ms")
	o = wsDo(c, wsSpec(t, s.url, `{url: "${base}/burst", timeout: 200ms, actions: [{send: go}, {receive: {until: 'body == "zzz"'}}]}`))
	wsFail(t, o, metrics.Timeout, "matched within 200ms (4 received)")
}

func TestWSPingAndClose(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	sp := wsSpec(t, s.url, `{url: "${base}/echo", actions: [{ping: keepalive}, {ping: null}, {send: x}, {receive: 1}, {close: 4001}]}`)
	o := wsDo(c, sp)
	wsOK(t, o, "x")
	s.mu.Lock()
	pings := slices.Clone(s.pings)
	s.mu.Unlock()
	if !slices.Equal(pings, []string{"keepalive", ""}) {
		t.Fatalf("server got pings %q", pings)
	}
	if codes := s.closeCodes(); !slices.Equal(codes, []int{4001}) {
		t.Fatalf("server got close codes %v, want [4001]", codes)
	}
	// Closed by the step: the next pass connects again.
	o = wsDo(c, wsSpec(t, s.url, `{url: "${base}/echo", actions: [{send: y}, {receive: 1}, {close: null}]}`))
	wsOK(t, o, "y")
	if n := s.conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	if codes := s.closeCodes(); !slices.Equal(codes, []int{4001, 1000}) {
		t.Fatalf("server got close codes %v, want [4001 1000]", codes)
	}
	// Actions after a close open a new connection.
	wsOK(t, wsDo(c, wsSpec(t, s.url, `{url: "${base}/echo", actions: [{close: null}, {send: z}, {receive: 1}]}`)), "z")
	if n := s.conns.Load(); n != 4 {
		t.Fatalf("%d connections, want 4", n)
	}
	long := strings.Repeat("p", 126)
	wsFail(t, wsDo(c, wsSpec(t, s.url, `{url: "${base}/echo", actions: [{ping: `+long+`}]}`)), metrics.Other, "at most 125")
}

func TestWSKeptAcrossSteps(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	sps := wsSpecs(t, s.url,
		`{url: "${base}/echo", actions: [{send: a}, {receive: 1}]}`,
		`{url: "${base}/echo", headers: {X-Other: 1}, actions: [{send: b}, {receive: 1}]}`)
	for range 3 {
		wsOK(t, wsDo(c, sps[0]), "a")
		wsOK(t, wsDo(c, sps[1]), "b")
	}
	if n := s.conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1 kept across steps and passes", n)
	}
	c.Close()
	deadline := time.Now().Add(2 * time.Second)
	for len(s.closeCodes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if codes := s.closeCodes(); !slices.Equal(codes, []int{1001}) {
		t.Fatalf("close codes %v after Close, want [1001]", codes)
	}
}

func TestWSPerIteration(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	sp := wsSpec(t, s.url, `{url: "${base}/echo", connection: iteration, actions: [{send: a}, {receive: 1}]}`)
	for i := range 3 {
		o := wsDo(c, sp)
		wsOK(t, o, "a")
		if o.connect == 0 {
			t.Fatalf("pass %d did not connect", i)
		}
	}
	if n := s.conns.Load(); n != 3 {
		t.Fatalf("%d connections, want 3", n)
	}
	// Each was closed normally at the step's end.
	if codes := s.closeCodes(); !slices.Equal(codes, []int{1000, 1000, 1000}) {
		t.Fatalf("close codes %v", codes)
	}
	if len(c.conns) != 0 {
		t.Fatalf("%d connections kept", len(c.conns))
	}
}

func TestWSOnlyConnects(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	o := wsDo(c, wsSpec(t, s.url, `{url: "${base}/echo"}`))
	wsOK(t, o, "")
	if o.connect == 0 || o.rt < o.connect || s.conns.Load() != 1 {
		t.Fatalf("connect %v rt %v conns %d", o.connect, o.rt, s.conns.Load())
	}
}

func TestWSReconnectAfterPeerClose(t *testing.T) {
	s := newWSServer(t, false)
	host := strings.TrimPrefix(s.url, "ws://")
	c := openWS(t)
	sp := wsSpec(t, s.url, `{url: "${base}/once", actions: [{send: a}, {receive: 1}]}`)
	wsOK(t, wsDo(c, sp), "a")
	wsFail(t, wsDo(c, sp), metrics.Other, "connection to "+host+" closed by the peer (code 1001 going away)")
	wsOK(t, wsDo(c, sp), "a")
	if n := s.conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	// Dropped without a close frame.
	sp = wsSpec(t, s.url, `{url: "${base}/drop", actions: [{send: a}, {receive: 1}]}`)
	wsOK(t, wsDo(c, sp), "a")
	o := wsDo(c, sp)
	wsFail(t, o, metrics.Other, host)
	wsOK(t, wsDo(c, sp), "a")
}

func TestWSRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := openWS(t)
	o := wsDo(c, wsSpec(t, "ws://"+addr, `{url: "${base}/x", actions: [{send: a}]}`))
	wsFail(t, o, metrics.Refused, "handshake with "+addr+": connection refused")
}

// hangServer accepts TCP connections and never answers.
func hangServer(t *testing.T) string {
	return strings.TrimPrefix(newRaw(t, func(_ int64, conn net.Conn) { io.Copy(io.Discard, conn) }).URL(), "http://")
}

func TestWSHandshakeTimeout(t *testing.T) {
	addr := hangServer(t)
	c := openWS(t)
	start := time.Now()
	o := wsDo(c, wsSpec(t, "ws://"+addr, `{url: "${base}/x", connect_timeout: 200ms, actions: [{send: a}]}`))
	wsFail(t, o, metrics.Timeout, "handshake with "+addr+": no answer within 200ms")
	if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestWSBadStatus(t *testing.T) {
	s := newWSServer(t, false)
	host := strings.TrimPrefix(s.url, "ws://")
	c := openWS(t)
	wsFail(t, wsDo(c, wsSpec(t, s.url, `{url: "${base}/reject", actions: [{send: a}]}`)), metrics.CheckFailed,
		"handshake with "+host+" answered 403 (expected 101 Switching Protocols)")
	// A plain HTTP server.
	h := httptest.NewServer(okHandler())
	t.Cleanup(h.Close)
	hh := strings.TrimPrefix(h.URL, "http://")
	wsFail(t, wsDo(c, wsSpec(t, "ws://"+hh, `{url: "${base}/", actions: [{send: a}]}`)), metrics.CheckFailed, "answered 200")
	// Garbage instead of HTTP: the line is not quoted.
	raw := newRaw(t, func(_ int64, conn net.Conn) {
		io.WriteString(conn, "SECRET-TOKEN garbage\r\n\r\n")
		io.Copy(io.Discard, conn)
	})
	o := wsDo(c, wsSpec(t, "ws://"+strings.TrimPrefix(raw.URL(), "http://"), `{url: "${base}/", actions: [{send: a}]}`))
	wsFail(t, o, metrics.ParseFailed, "malformed HTTP response")
	if strings.Contains(o.fail.Msg, "SECRET") {
		t.Fatalf("message quotes the response: %q", o.fail.Msg)
	}
}

func TestWSHeadersAndSubprotocols(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	sp := wsSpec(t, s.url, `{url: "${base}/proto", headers: {X-Token: "t-${v}", Origin: "http://example.test"}, subprotocols: [chat, superchat], actions: [{send: a}, {receive: 1}]}`)
	wsOK(t, wsDoScope(c, sp, fixedScope("42")), "a")
	s.mu.Lock()
	h := s.hdrs[0]
	s.mu.Unlock()
	if h.Get("X-Token") != "t-42" || h.Get("Origin") != "http://example.test" || h.Get("Sec-Websocket-Protocol") != "chat, superchat" {
		t.Fatalf("server saw headers %v", h)
	}
	if _, ok := h["User-Agent"]; ok {
		t.Fatalf("perfcase sent a User-Agent of its own: %q", h.Get("User-Agent"))
	}
	// Without the subprotocol the server refuses.
	wsFail(t, wsDo(openWS(t), wsSpec(t, s.url, `{url: "${base}/proto", actions: [{send: a}]}`)), metrics.CheckFailed, "answered 400")
	// A subprotocol nobody offered.
	wsFail(t, wsDo(c, wsSpec(t, s.url, `{url: "${base}/rogue", subprotocols: [chat], actions: [{send: a}]}`)), metrics.ParseFailed, "not offered")
	// Headers the handshake owns.
	wsFail(t, wsDo(c, wsSpec(t, s.url, `{url: "${base}/echo?k", headers: {sec-websocket-key: x}}`)), metrics.Other, "set by the WebSocket handshake")
}

func TestWSTLS(t *testing.T) {
	s := newWSServer(t, true)
	c := openWS(t)
	o := wsDo(c, wsSpec(t, s.url, `{url: "${base}/echo", actions: [{send: a}, {receive: 1}]}`))
	wsFail(t, o, metrics.Other, "tls_verify: false")
	o = wsDo(c, wsSpec(t, s.url, `{url: "${base}/echo", tls_verify: false, actions: [{send: a}, {receive: 1}]}`))
	wsOK(t, o, "a")
	// wss to a plain server.
	p := newWSServer(t, false)
	o = wsDo(c, wsSpec(t, "wss://"+strings.TrimPrefix(p.url, "ws://"), `{url: "${base}/echo", tls_verify: false, actions: [{send: a}]}`))
	wsFail(t, o, metrics.Other, "did not answer with TLS")
}

func TestWSBytes(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	sp := wsSpec(t, s.url, `{url: "${base}/echo", actions: [{send: hello}, {send_binary: "cafebabe"}, {send_binary: "${v}"}, {receive: 3}]}`)
	o := wsDoScope(c, sp, fixedScope("01 02\n03"))
	wsOK(t, o, "\x01\x02\x03")
	if o.sent != 12 || o.recv != 12 {
		t.Fatalf("sent %d recv %d, want 12 and 12", o.sent, o.recv)
	}
	o = wsDoScope(c, sp, fixedScope("0g"))
	wsFail(t, o, metrics.Other, "not hex digits")
	if strings.Contains(o.fail.Msg, "0g") {
		t.Fatalf("message quotes the value: %q", o.fail.Msg)
	}
	// A URL rendered at run time, not quoted.
	o = wsDoScope(c, wsSpec(t, s.url, `{url: "${v}", actions: [{send: a}]}`), fixedScope("http://user:pw@h/"))
	wsFail(t, o, metrics.Other, "not ws:// or wss://")
	o = wsDoScope(c, wsSpec(t, s.url, `{url: "${v}", actions: [{send: a}]}`), fixedScope("ws://user:pw@h/"))
	wsFail(t, o, metrics.Other, "not ws:// or wss://")
	if strings.Contains(o.fail.Msg, "pw") {
		t.Fatalf("message quotes the URL: %q", o.fail.Msg)
	}
	// A large message, read past the connection's small buffer.
	big := strings.Repeat("0123456789", 10000)
	o = wsDoScope(c, wsSpec(t, s.url, `{url: "${base}/echo?big", actions: [{send: "${v}"}, {receive: 1}]}`), fixedScope(big))
	wsOK(t, o, big)
}

func TestWSKeepsAtMost(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	sp := wsSpec(t, s.url, `{url: "${base}/echo?n=${v}", actions: [{send: a}, {receive: 1}]}`)
	for i := range maxWSConns + 1 {
		wsOK(t, wsDoScope(c, sp, fixedScope(string(rune('a'+i)))), "a")
	}
	if len(c.conns) != maxWSConns {
		t.Fatalf("%d kept, want %d", len(c.conns), maxWSConns)
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(s.closeCodes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if codes := s.closeCodes(); !slices.Equal(codes, []int{1001}) {
		t.Fatalf("close codes %v, want the oldest closed going away", codes)
	}
	// The most recently used stays.
	wsOK(t, wsDoScope(c, sp, fixedScope("b")), "a")
	if n := s.conns.Load(); n != maxWSConns+1 {
		t.Fatalf("%d connections", n)
	}
}

func TestWSInterrupt(t *testing.T) {
	s := newWSServer(t, false)
	c := openWS(t)
	sp := wsSpec(t, s.url, `{url: "${base}/silent", actions: [{send: a}, {receive: {count: 1, timeout: 30s}}]}`)
	time.AfterFunc(100*time.Millisecond, c.Interrupt)
	start := time.Now()
	o := wsDo(c, sp)
	wsFail(t, o, metrics.Other, "interrupted")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("interrupt took %v", d)
	}
	// Final: the next step fails at once.
	o = wsDo(c, wsSpec(t, s.url, `{url: "${base}/echo", actions: [{send: a}, {receive: 1}]}`))
	wsFail(t, o, metrics.Other, "interrupted")

	// During a handshake that hangs.
	addr := hangServer(t)
	c2 := openWS(t)
	time.AfterFunc(100*time.Millisecond, c2.Interrupt)
	start = time.Now()
	o = wsDo(c2, wsSpec(t, "ws://"+addr, `{url: "${base}/", connect_timeout: 30s}`))
	wsFail(t, o, metrics.Other, "interrupted")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("interrupt took %v", d)
	}
}

// TestWSInterruptRace interrupts at random moments of busy steps, for the
// race detector.
func TestWSInterruptRace(t *testing.T) {
	s := newWSServer(t, false)
	sp := wsSpec(t, s.url, `{url: "${base}/echo", actions: [{send: a}, {receive: 1}]}`)
	for i := range 20 {
		c := newWS(Config{Ctx: context.Background()})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 50 {
				if o := wsDo(c, sp); o.fail != nil {
					if !strings.Contains(o.fail.Msg, "interrupted") {
						t.Errorf("failure %q", o.fail.Msg)
					}
					return
				}
			}
		}()
		time.Sleep(time.Duration(i) * 100 * time.Microsecond)
		c.Interrupt()
		<-done
		c.Close()
	}
}

// BenchmarkWSEcho is one send and one receive on a kept connection to the
// demo target's echo; allocations include the server's.
func BenchmarkWSEcho(b *testing.B) {
	srv, err := demo.Start(demo.Options{HTTP: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	c := openWS(b)
	sp := wsSpec(b, "ws://"+srv.HTTPAddr(), `{url: "${base}/ws", actions: [{send: "hello world"}, {receive: 1}]}`)
	in := Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}
	var r Result
	b.ReportAllocs()
	for b.Loop() {
		c.Do(sp, &in, &r)
		if r.Fail != nil {
			b.Fatal(r.Fail)
		}
	}
}
