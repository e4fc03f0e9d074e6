package demo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

var loopback = Options{HTTP: "127.0.0.1:0", TCP: "127.0.0.1:0", UDP: "127.0.0.1:0"}

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start(loopback)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// noRedirects returns 3xx answers instead of following them.
var noRedirects = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type reply struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, method, u, contentType, body string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func get(t *testing.T, u string, header ...string) reply {
	t.Helper()
	return do(t, http.MethodGet, u, "", "", header...)
}

func decode(t *testing.T, r reply) map[string]any {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func TestLogin(t *testing.T) {
	base := "http://" + start(t).HTTPAddr()
	r := do(t, "POST", base+"/login", "application/json", `{"user": "alice", "password": "s3cret"}`)
	if r.code != 200 {
		t.Fatalf("login: %d %s", r.code, r.body)
	}
	if tok := decode(t, r)["token"]; tok != "tok-alice" {
		t.Errorf("token = %v, want tok-alice", tok)
	}
	for _, body := range []string{`{"user":`, `{"password": "x"}`, `[1]`, ``} {
		r := do(t, "POST", base+"/login", "application/json", body)
		if r.code != 400 || decode(t, r)["error"] == nil {
			t.Errorf("login with %q: %d %s, want 400 with an error", body, r.code, r.body)
		}
	}
	if r := get(t, base+"/login"); r.code != 405 {
		t.Errorf("GET /login: %d, want 405", r.code)
	}
}

// /login sets the token as the session cookie, which /whoami reads.
func TestSessionCookie(t *testing.T) {
	base := "http://" + start(t).HTTPAddr()
	r := do(t, "POST", base+"/login", "application/json", `{"user": "bob"}`)
	if got := r.header.Get("Set-Cookie"); got != "session=tok-bob; Path=/; HttpOnly" {
		t.Errorf("Set-Cookie = %q", got)
	}
	if r := get(t, base+"/whoami", "Cookie", "session=tok-bob"); r.code != 200 || decode(t, r)["user"] != "bob" {
		t.Errorf("whoami with the cookie: %d %s", r.code, r.body)
	}
	for _, cookie := range []string{"", "session=bob", "other=tok-bob"} {
		if r := get(t, base+"/whoami", "Cookie", cookie); r.code != 401 || decode(t, r)["error"] == nil {
			t.Errorf("whoami with Cookie %q: %d %s, want 401 with an error", cookie, r.code, r.body)
		}
	}
}

func TestItems(t *testing.T) {
	base := "http://" + start(t).HTTPAddr()
	r := get(t, base+"/items/2", "Authorization", "Bearer tok-alice")
	if r.code != 200 {
		t.Fatalf("item: %d %s", r.code, r.body)
	}
	want := map[string]any{"id": 2.0, "sku": "B-2", "name": "Red scarf", "price": 24.0}
	if got := decode(t, r); !equalMaps(got, want) {
		t.Errorf("item 2 = %v, want %v", got, want)
	}
	// Item 5 wraps around to the first product, with its own SKU.
	want = map[string]any{"id": 5.0, "sku": "A-5", "name": "Blue mug", "price": 12.5}
	if got := decode(t, get(t, base+"/items/5")); !equalMaps(got, want) {
		t.Errorf("item 5 = %v, want %v", got, want)
	}
	want = map[string]any{"id": 7.0, "name": "Green lamp", "price": 49.9}
	if got := decode(t, get(t, base+"/items/7?fields=id,name,price")); !equalMaps(got, want) {
		t.Errorf("item 7 with fields = %v, want %v", got, want)
	}
	for path, code := range map[string]int{
		"/items/abc":          404,
		"/items/0":            404,
		"/items/1?fields=foo": 400,
	} {
		if r := get(t, base+path); r.code != code || !strings.Contains(r.body, `"error"`) {
			t.Errorf("GET %s: %d %s, want %d with an error", path, r.code, r.body, code)
		}
	}
	for _, auth := range []string{"Bearer nope", "Basic abc", "Bearer tok-"} {
		if r := get(t, base+"/items/1", "Authorization", auth); r.code != 401 {
			t.Errorf("Authorization %q: %d, want 401", auth, r.code)
		}
	}
}

func equalMaps(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestEcho(t *testing.T) {
	base := "http://" + start(t).HTTPAddr()
	cases := []struct{ method, ct, body string }{
		{"POST", "application/json", `{"items":[{"sku":"A-1"},{"sku":"B-2"}]}`},
		{"POST", "application/x-www-form-urlencoded", "total=60.50&ref=order-alice-2&user=alice"},
		{"PUT", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"receipt\"\r\n\r\nreceipt\r\n--xyz--\r\n"},
		{"POST", "", "\x00\x01binary"},
		{"GET", "", ""},
	}
	for _, c := range cases {
		r := do(t, c.method, base+"/echo?q=mug", c.ct, c.body)
		wantCT := c.ct
		if wantCT == "" {
			wantCT = "application/octet-stream"
		}
		if r.code != 200 || r.body != c.body || r.header.Get("Content-Type") != wantCT {
			t.Errorf("%s /echo %q (%s): %d %q (%s)", c.method, c.body, c.ct, r.code, r.body, r.header.Get("Content-Type"))
		}
	}
	big := strings.Repeat("x", maxBody+1)
	if r := do(t, "POST", base+"/echo", "text/plain", big); r.code != 413 {
		t.Errorf("a body over the limit: %d, want 413", r.code)
	}
}

func TestDelay(t *testing.T) {
	base := "http://" + start(t).HTTPAddr()
	begin := time.Now()
	r := get(t, base+"/delay?ms=20")
	if took := time.Since(begin); r.code != 200 || took < 20*time.Millisecond {
		t.Errorf("delay 20 ms: %d after %v", r.code, took)
	}
	if got := decode(t, r)["ms"]; got != 20.0 {
		t.Errorf("ms = %v, want 20", got)
	}
	for _, q := range []string{"", "?ms=-1", "?ms=soon"} {
		if r := get(t, base+"/delay"+q); r.code != 400 {
			t.Errorf("/delay%s: %d, want 400", q, r.code)
		}
	}
}

// A long delay must not hold Close up: it is answered 503 at once.
func TestCloseCutsDelay(t *testing.T) {
	s := start(t)
	done := make(chan int)
	go func() {
		resp, err := http.Get("http://" + s.HTTPAddr() + "/delay?ms=100000")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	// Give the request a moment to arrive. Should Close come first
	// all the same, the request is refused or answered 503 at once, and
	// Close must be quick either way.
	time.Sleep(10 * time.Millisecond)
	begin := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took > time.Second {
		t.Errorf("Close took %v with a delay in flight", took)
	}
	if code := <-done; code != 503 && code != 0 {
		t.Errorf("the cut delay answered %d, want 503 or a closed connection", code)
	}
}

func TestStatus(t *testing.T) {
	base := "http://" + start(t).HTTPAddr()
	for _, code := range []int{200, 201, 400, 404, 500, 503, 599} {
		r := do(t, "POST", base+"/status/"+strconv.Itoa(code), "", "")
		if r.code != code || decode(t, r)["status"] != float64(code) {
			t.Errorf("/status/%d: %d %s", code, r.code, r.body)
		}
	}
	for _, code := range []int{204, 304} {
		if r := get(t, base+"/status/"+strconv.Itoa(code)); r.code != code || r.body != "" {
			t.Errorf("/status/%d: %d %q, want no body", code, r.code, r.body)
		}
	}
	r := get(t, base+"/status/302")
	if r.code != 302 || r.header.Get("Location") != "/items/1" {
		t.Errorf("/status/302: %d, Location %q", r.code, r.header.Get("Location"))
	}
	// A client that follows the redirect lands on item 1.
	resp, err := http.Get(base + "/status/307")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/items/1" {
		t.Errorf("following /status/307: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	for _, bad := range []string{"100", "600", "ok"} {
		if r := get(t, base+"/status/"+bad); r.code != 400 {
			t.Errorf("/status/%s: %d, want 400", bad, r.code)
		}
	}
}

func TestCounterConcurrent(t *testing.T) {
	base := "http://" + start(t).HTTPAddr()
	const workers, each = 50, 20
	var wg sync.WaitGroup
	seen := make([][]int, workers)
	for w := range workers {
		wg.Go(func() {
			for range each {
				resp, err := http.Get(base + "/counter")
				if err != nil {
					t.Error(err)
					return
				}
				var c struct{ Count int }
				err = json.NewDecoder(resp.Body).Decode(&c)
				resp.Body.Close()
				if err != nil {
					t.Error(err)
					return
				}
				seen[w] = append(seen[w], c.Count)
			}
		})
	}
	wg.Wait()
	// Every value from 1 to 1000 was handed out exactly once.
	got := map[int]bool{}
	for _, vs := range seen {
		for _, v := range vs {
			if got[v] || v < 1 || v > workers*each {
				t.Fatalf("count %d handed out twice or out of range", v)
			}
			got[v] = true
		}
	}
	if len(got) != workers*each {
		t.Fatalf("%d distinct counts, want %d", len(got), workers*each)
	}
	if c := decode(t, get(t, base+"/counter"))["count"]; c != float64(workers*each+1) {
		t.Errorf("next count = %v, want %d", c, workers*each+1)
	}
}

func TestIndexAndUnknownPath(t *testing.T) {
	base := "http://" + start(t).HTTPAddr()
	if r := get(t, base+"/"); r.code != 200 || !strings.Contains(r.body, "/items/{id}") {
		t.Errorf("GET /: %d %q", r.code, r.body)
	}
	if r := get(t, base+"/nope"); r.code != 404 {
		t.Errorf("GET /nope: %d, want 404", r.code)
	}
}

func dialWS(t *testing.T, s *Server, protos ...string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: protos, HandshakeTimeout: 5 * time.Second}
	// An Origin that differs from the target's port, as the examples send.
	h := http.Header{"Origin": {"http://127.0.0.1:8080"}}
	c, resp, err := d.Dial("ws://"+s.HTTPAddr()+"/ws", h)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(protos) > 0 && c.Subprotocol() != protos[0] {
		t.Errorf("subprotocol %q, want %q", c.Subprotocol(), protos[0])
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return c
}

func TestWebSocketEcho(t *testing.T) {
	s := start(t)
	c := dialWS(t, s, "chat", "other")
	msgs := []struct {
		kind int
		data []byte
	}{
		{websocket.BinaryMessage, []byte{0xca, 0xfe, 0xba, 0xbe}},
		{websocket.TextMessage, []byte("hello 1")},
		{websocket.TextMessage, []byte("")},
	}
	for _, m := range msgs {
		if err := c.WriteMessage(m.kind, m.data); err != nil {
			t.Fatal(err)
		}
		kind, data, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if kind != m.kind || !bytes.Equal(data, m.data) {
			t.Errorf("echo of %d %q = %d %q", m.kind, m.data, kind, data)
		}
	}

	pong := make(chan string, 1)
	c.SetPongHandler(func(p string) error { pong <- p; return nil })
	if err := c.WriteControl(websocket.PingMessage, []byte("keepalive"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// Reading drives the pong handler; a close ends the read.
	if err := c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "")); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, 1000) {
		t.Errorf("after a close: %v, want the close echoed with 1000", err)
	}
	select {
	case p := <-pong:
		if p != "keepalive" {
			t.Errorf("pong %q, want keepalive", p)
		}
	default:
		t.Error("no pong")
	}
	if r := get(t, "http://"+s.HTTPAddr()+"/ws"); r.code != 400 {
		t.Errorf("a plain GET /ws: %d, want 400", r.code)
	}
}

func TestTCPLineEcho(t *testing.T) {
	s := start(t)
	c, err := net.Dial("tcp", s.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	// Two lines in one write, then a line split over two writes, then
	// binary bytes ending in a newline: each comes back whole, and the
	// connection stays open in between.
	if _, err := io.WriteString(c, "PING 1\nPING 2\n"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PING 1\n", "PING 2\n"} {
		if got, err := r.ReadString('\n'); err != nil || got != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	io.WriteString(c, "HEL")
	io.WriteString(c, "LO\n")
	if got, err := r.ReadString('\n'); err != nil || got != "HELLO\n" {
		t.Fatalf("read %q, %v; want HELLO", got, err)
	}
	c.Write([]byte{0xde, 0xad, 0xbe, 0xef, 0x0a})
	got := make([]byte, 5)
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, []byte{0xde, 0xad, 0xbe, 0xef, 0x0a}) {
		t.Fatalf("read % x, %v", got, err)
	}
	// A last line without "\n" comes back when the client stops sending.
	io.WriteString(c, "BYE")
	c.(*net.TCPConn).CloseWrite()
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "BYE" {
		t.Fatalf("after CloseWrite: %q, %v; want BYE", rest, err)
	}
}

func TestTCPLongLine(t *testing.T) {
	s := start(t)
	c, err := net.Dial("tcp", s.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line := strings.Repeat("x", 3*maxLine) + "\n"
	go io.WriteString(c, line)
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != line {
		t.Fatalf("a %d-byte line came back as %d bytes, %v", len(line), len(got), err)
	}
}

func TestUDPEcho(t *testing.T) {
	s := start(t)
	c, err := net.Dial("udp", s.UDPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1024)
	for _, msg := range [][]byte{[]byte("ping 1"), {1, 2, 3, 4}} {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("echo of %q: %q, %v", msg, buf[:n], err)
		}
	}
}

// Close ends the listeners and the connections still open, and returns.
func TestCloseStopsEverything(t *testing.T) {
	s := start(t)
	tcp, err := net.Dial("tcp", s.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	ws := dialWS(t, s)
	// A round trip makes sure the server holds both connections.
	io.WriteString(tcp, "x\n")
	tcp.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := bufio.NewReader(tcp).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte("x"))
	if _, _, err := ws.ReadMessage(); err != nil {
		t.Fatal(err)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if _, err := tcp.Read(make([]byte, 1)); err == nil {
		t.Error("the TCP connection is still open")
	}
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("the WebSocket ended with %v, want a going-away close", err)
	}
	for _, addr := range []string{s.HTTPAddr(), s.TCPAddr()} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections", addr)
		}
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, o := range []Options{
		{HTTP: "0.0.0.0:0"},
		{TCP: ":0"},
		{UDP: "192.0.2.1:0"},
		{HTTP: "example.com:0"},
		{HTTP: "127.0.0.1"},
	} {
		s, err := Start(o)
		var ae *AddrError
		if !errors.As(err, &ae) {
			if s != nil {
				s.Close()
			}
			t.Errorf("Start(%+v) = %v, want an AddrError", o, err)
		}
	}
}

func TestBusyPortAndPartialStart(t *testing.T) {
	s := start(t)
	// TCP is busy; the HTTP listener opened first must be closed again.
	_, err := Start(Options{HTTP: "127.0.0.1:0", TCP: s.TCPAddr()})
	if err == nil || !strings.Contains(err.Error(), s.TCPAddr()) || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("Start on a busy port: %v, want an error naming %s", err, s.TCPAddr())
	}
}

func TestDisabledListeners(t *testing.T) {
	s, err := Start(Options{UDP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.HTTPAddr() != "" || s.TCPAddr() != "" || s.UDPAddr() == "" {
		t.Errorf("addresses %q %q %q, want only UDP", s.HTTPAddr(), s.TCPAddr(), s.UDPAddr())
	}
}

// The live streams: the HLS master playlist names its two variants, a
// variant's live playlist lists segments that are served, and the
// HTTP-FLV stream starts with an FLV header and goes on with tags until
// the client leaves.
func TestLiveStreams(t *testing.T) {
	base := "http://" + start(t).HTTPAddr()
	if r := get(t, base+"/hls/master.m3u8"); r.code != 200 || !strings.Contains(r.body, "low.m3u8") || !strings.Contains(r.body, "high.m3u8") {
		t.Fatalf("master playlist: %d %q", r.code, r.body)
	}
	r := get(t, base+"/hls/low.m3u8")
	if r.code != 200 || !strings.HasPrefix(r.body, "#EXTM3U") || !strings.Contains(r.body, "low/0.ts") {
		t.Fatalf("live playlist: %d %q", r.code, r.body)
	}
	if seg := get(t, base+"/hls/low/0.ts"); seg.code != 200 || len(seg.body) < 1000 || seg.body[0] != 0x47 {
		t.Errorf("segment: %d, %d bytes", seg.code, len(seg.body))
	}
	resp, err := http.Get(base + "/live.flv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 13+11)
	if _, err := io.ReadFull(resp.Body, head); err != nil || string(head[:3]) != "FLV" || resp.Header.Get("Content-Type") != "video/x-flv" {
		t.Fatalf("FLV stream: %v, starts %q, %s", err, head, resp.Header.Get("Content-Type"))
	}
	if typ := head[13]; typ != 8 && typ != 9 {
		t.Errorf("the first tag is of type %d, not audio or video", typ)
	}
}

// The HTTP port speaks HTTP/2 with prior knowledge (h2c) beside
// HTTP/1.1: a client that knows it gets every route over HTTP/2.
func TestH2C(t *testing.T) {
	s := start(t)
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Protocols: &p}}
	resp, err := c.Get("http://" + s.HTTPAddr() + "/items/2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || !strings.Contains(string(b), `"id":2`) {
		t.Errorf("%s %d %s", resp.Proto, resp.StatusCode, b)
	}
	if r := get(t, "http://"+s.HTTPAddr()+"/items/2"); r.code != 200 {
		t.Errorf("HTTP/1.1 beside it: %d", r.code)
	}
}
