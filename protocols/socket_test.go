package protocols

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// These tests drive the TCP and UDP sessions against real peers on
// 127.0.0.1 (servers of their own, and socat when it is installed) and
// judge them by what crossed the wire.

// sockSpec compiles one tcp: or udp: step, given as a flow mapping in
// which ${addr} is the peer's address. The scenario has a list variable v,
// so a ${v} in the step is rendered per request.
func sockSpec(t testing.TB, proto, addr, step string) *scenario.SocketSpec {
	t.Helper()
	return compileSteps(t, proto, map[string]string{"addr": addr}, step)[0].Spec.(*scenario.SocketSpec)
}

// sockResult is what a test keeps of a Result, whose body is valid only
// until the next call.
type sockResult struct {
	payload string
	rt      time.Duration
	connect time.Duration
	sent    int64
	recv    int64
	fail    *Failure
}

func sockDo(c Session, sp *scenario.SocketSpec, scope scenario.Scope) sockResult {
	if scope == nil {
		scope = noScope{}
	}
	var r Result
	c.Do(sp, &Input{Scope: scope, Funcs: scenario.NewFuncEnv(1)}, &r)
	if r.Fail == nil && (r.End.IsZero() || r.RT <= 0) {
		panic(fmt.Sprintf("a successful reply with End %v and RT %v", r.End, r.RT))
	}
	return sockResult{payload: string(r.Body), rt: r.RT, connect: r.Connect, sent: r.Sent, recv: r.Recv, fail: r.Fail}
}

func sockOK(t *testing.T, o sockResult, payload string) {
	t.Helper()
	if o.fail != nil {
		t.Fatalf("failed: %v (outcome %v, err %v)", o.fail, o.fail.Outcome, o.fail.Err)
	}
	if o.payload != payload {
		t.Fatalf("reply %q, want %q", o.payload, payload)
	}
}

func sockFail(t *testing.T, o sockResult, want metrics.Outcome, msg string) {
	t.Helper()
	if o.fail == nil {
		t.Fatalf("succeeded with %q, want a %v failure", o.payload, want)
	}
	if o.fail.Outcome != want || !strings.Contains(o.fail.Msg, msg) {
		t.Fatalf("failure %v %q (err %v), want %v containing %q", o.fail.Outcome, o.fail.Msg, o.fail.Err, want, msg)
	}
}

func openTCP(t testing.TB) *sockSession {
	c := newTCP(Config{Ctx: context.Background()})
	t.Cleanup(c.Close)
	return c
}

func openUDP(t testing.TB) *sockSession {
	c := newUDP(Config{Ctx: context.Background()})
	t.Cleanup(c.Close)
	return c
}

// tcpPeer is a TCP server on 127.0.0.1 whose connections serve runs;
// its address is addr.
func tcpPeer(t *testing.T, serve func(n int64, conn net.Conn)) (addr string, srv *rawServer) {
	srv = newRaw(t, serve)
	return srv.ln.Addr().String(), srv
}

// lineEcho sends back every "\n"-terminated line, and counts them.
func lineEcho(lines *atomic.Int64) func(int64, net.Conn) {
	return func(_ int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				return
			}
			if lines != nil {
				lines.Add(1)
			}
			if _, err := conn.Write(line); err != nil {
				return
			}
		}
	}
}

// freePort returns an address on 127.0.0.1 where nothing listens.
func freePort(t testing.TB, network string) string {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// A line echo: the reply ends at the terminator; a rendered payload; the
// bytes counted are the bytes on the wire; one connection is kept for 20
// exchanges and only the first pays for connecting.
func TestTCPLineEchoKeepAlive(t *testing.T) {
	var lines atomic.Int64
	addr, srv := tcpPeer(t, lineEcho(&lines))
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "PING ${v}\n", read: {until: "\n"}}`)
	for i := range 20 {
		o := sockDo(c, sp, valueScope("x"+fmt.Sprint(i)))
		want := fmt.Sprintf("PING x%d\n", i)
		sockOK(t, o, want)
		if o.sent != int64(len(want)) || o.recv != int64(len(want)) {
			t.Fatalf("sent %d, received %d bytes, want %d each", o.sent, o.recv, len(want))
		}
		if (i == 0) != (o.connect > 0) {
			t.Fatalf("exchange %d: connect %v", i, o.connect)
		}
		if o.rt < o.connect {
			t.Fatalf("RT %v shorter than connecting (%v)", o.rt, o.connect)
		}
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("%d connections for 20 exchanges, want 1", n)
	}
	if n := lines.Load(); n != 20 {
		t.Errorf("the peer read %d lines, want 20", n)
	}
}

// A multi-byte terminator split across reads, and bytes after the
// terminator kept for the next reply on the same connection.
func TestTCPTerminatorFraming(t *testing.T) {
	addr, _ := tcpPeer(t, func(_ int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		for i := 0; ; i++ {
			if _, err := br.ReadBytes('\n'); err != nil {
				return
			}
			switch i {
			case 0: // "END" in two pieces
				conn.Write([]byte("one E"))
				time.Sleep(5 * time.Millisecond)
				conn.Write([]byte("ND"))
			case 1: // two replies at once
				conn.Write([]byte("twoENDthreeEND"))
			case 2: // nothing: the reply was already read
			case 3:
				conn.Write([]byte("fourEND"))
			}
		}
	})
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "go\n", read: {until: END}}`)
	sockOK(t, sockDo(c, sp, nil), "one END")
	o := sockDo(c, sp, nil)
	sockOK(t, o, "twoEND")
	if o.recv != int64(len("twoENDthreeEND")) {
		t.Errorf("received %d bytes, want every byte read from the socket (14)", o.recv)
	}
	o = sockDo(c, sp, nil)
	sockOK(t, o, "threeEND")
	if o.recv != 0 {
		t.Errorf("received %d bytes for a reply already read", o.recv)
	}
	sockOK(t, sockDo(c, sp, nil), "fourEND")
}

// read: {length: n} takes exactly n bytes however they arrive, and no
// more: the next reply starts after them.
func TestTCPLength(t *testing.T) {
	addr, _ := tcpPeer(t, func(_ int64, conn net.Conn) {
		buf := make([]byte, 64)
		for {
			if _, err := io.ReadFull(conn, buf[:4]); err != nil {
				return
			}
			// A length-prefixed answer, written in pieces.
			conn.Write([]byte{0, 6, 'a'})
			time.Sleep(2 * time.Millisecond)
			conn.Write([]byte("bcdef"))
		}
	})
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "00 01 02 03", hex: true, read: {length: 8}}`)
	for range 3 {
		o := sockDo(c, sp, nil)
		sockOK(t, o, "\x00\x06abcdef")
		if o.sent != 4 || o.recv != 8 {
			t.Fatalf("sent %d, received %d, want 4 and 8", o.sent, o.recv)
		}
	}
}

// read: {idle: d}: the reply is what came until the peer went quiet; RT
// ends at the last byte, not after the idle wait; the peer closing ends
// the reply too; a reply that never starts is a timeout.
func TestTCPIdle(t *testing.T) {
	addr, srv := tcpPeer(t, func(n int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch line {
			case "two parts\n":
				conn.Write([]byte("hello "))
				time.Sleep(20 * time.Millisecond)
				conn.Write([]byte("world"))
			case "and close\n":
				conn.Write([]byte("bye"))
				conn.Close()
				return
			case "silence\n":
			}
		}
	})
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "${v}\n", read: {idle: 60ms}, timeout: 150ms}`)
	start := time.Now()
	o := sockDo(c, sp, valueScope("two parts"))
	wall := time.Since(start)
	sockOK(t, o, "hello world")
	if o.rt < 20*time.Millisecond || o.rt > wall-50*time.Millisecond {
		t.Errorf("RT %v for a step of %v: want the last byte's time, without the 60ms idle wait", o.rt, wall)
	}
	sockOK(t, sockDo(c, sp, valueScope("and close")), "bye")
	if len(c.conns) != 0 {
		t.Errorf("the connection the peer closed was kept")
	}
	sockFail(t, sockDo(c, sp, valueScope("silence")), metrics.Timeout, "reply from "+addr+": timeout")
	if n := srv.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// read: none only sends; the default read for TCP is {idle: 100ms}.
func TestTCPSendOnly(t *testing.T) {
	got := make(chan string, 10)
	addr, srv := tcpPeer(t, func(_ int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			got <- line
		}
	})
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "log ${v}\n", read: none}`)
	for i := range 3 {
		o := sockDo(c, sp, valueScope(fmt.Sprint(i)))
		sockOK(t, o, "")
		if o.sent != 6 || o.recv != 0 {
			t.Fatalf("sent %d, received %d", o.sent, o.recv)
		}
		if line := <-got; line != fmt.Sprintf("log %d\n", i) {
			t.Fatalf("peer got %q", line)
		}
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	if def := sockSpec(t, "tcp", addr, `{address: "${addr}"}`); def.End != scenario.EndIdle || def.Idle != scenario.DefaultReadIdle {
		t.Errorf("default read %v %v", def.End, def.Idle)
	}
}

// A peer that closes a kept connection while it is idle: the next
// exchange is sent again on a new connection, once, and succeeds; the
// payload reaches the peer exactly once per exchange.
func TestTCPReconnectAfterPeerClose(t *testing.T) {
	var lines atomic.Int64
	addr, srv := tcpPeer(t, func(_ int64, conn net.Conn) {
		// One line per connection, then close.
		line, err := bufio.NewReader(conn).ReadBytes('\n')
		if err != nil {
			return
		}
		lines.Add(1)
		conn.Write(line)
		conn.Close()
	})
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "hi\n", read: {until: "\n"}}`)
	for i := range 4 {
		o := sockDo(c, sp, nil)
		sockOK(t, o, "hi\n")
		if o.connect == 0 {
			t.Fatalf("exchange %d on a closed connection did not reconnect", i)
		}
		time.Sleep(5 * time.Millisecond) // let the close arrive
	}
	if n, l := srv.accepted.Load(), lines.Load(); n != 4 || l != 4 {
		t.Errorf("%d connections, %d lines, want 4 and 4", n, l)
	}
}

// A send-only step cannot see that the peer closed the connection: a kept
// connection idle for a while is checked before use, so the payload is
// not lost into a closed socket. Bytes the peer sent meanwhile are kept.
func TestTCPProbeIdleConnection(t *testing.T) {
	old := sockProbeIdle
	sockProbeIdle = 10 * time.Millisecond
	t.Cleanup(func() { sockProbeIdle = old })
	got := make(chan string, 10)
	addr, srv := tcpPeer(t, func(n int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		got <- line
		if n == 1 {
			conn.Close() // the first connection: closed after one line
			return
		}
		conn.Write([]byte("unasked\n")) // the second: talks unasked
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			got <- line
			conn.Write([]byte("reply\n"))
		}
	})
	c := openTCP(t)
	send := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "${v}\n", read: none}`)
	sockOK(t, sockDo(c, send, valueScope("one")), "")
	<-got
	time.Sleep(30 * time.Millisecond)
	sockOK(t, sockDo(c, send, valueScope("two")), "")
	if line := <-got; line != "two\n" {
		t.Fatalf("peer got %q", line)
	}
	time.Sleep(30 * time.Millisecond)
	read := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "three\n", read: {until: "\n"}}`)
	sockOK(t, sockDo(c, read, nil), "unasked\n")
	sockOK(t, sockDo(c, read, nil), "reply\n")
	if n := srv.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// close: true closes the connection after each exchange.
func TestTCPCloseAfter(t *testing.T) {
	addr, srv := tcpPeer(t, lineEcho(nil))
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "x\n", read: {until: "\n"}, close: true}`)
	for range 3 {
		o := sockDo(c, sp, nil)
		sockOK(t, o, "x\n")
		if o.connect == 0 {
			t.Fatal("no connect time on a new connection")
		}
	}
	if n := srv.accepted.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
	if len(c.conns) != 0 {
		t.Errorf("%d connections kept", len(c.conns))
	}
}

func TestTCPRefused(t *testing.T) {
	addr := freePort(t, "tcp")
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "x\n"}`)
	o := sockDo(c, sp, nil)
	sockFail(t, o, metrics.Refused, "connect to "+addr+": connection refused")
	if o.sent != 0 {
		t.Errorf("sent %d", o.sent)
	}
}

// A peer that accepts and never answers: a timeout, on a new connection
// and on a kept one, never sent twice.
func TestTCPTimeout(t *testing.T) {
	var lines atomic.Int64
	addr, srv := tcpPeer(t, func(_ int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			lines.Add(1)
			if line == "answer\n" {
				conn.Write([]byte(line))
			}
		}
	})
	c := openTCP(t)
	silent := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "${v}\n", read: {until: "\n"}, timeout: 50ms}`)
	start := time.Now()
	o := sockDo(c, silent, valueScope("quiet"))
	sockFail(t, o, metrics.Timeout, "reply from "+addr+": timeout")
	if d := time.Since(start); d < 50*time.Millisecond || d > 500*time.Millisecond {
		t.Errorf("timed out after %v, want 50ms", d)
	}
	if len(c.conns) != 0 {
		t.Errorf("a connection that timed out was kept")
	}
	sockOK(t, sockDo(c, silent, valueScope("answer")), "answer\n")
	sockFail(t, sockDo(c, silent, valueScope("quiet")), metrics.Timeout, "timeout")
	if n, l := srv.accepted.Load(), lines.Load(); n != 2 || l != 3 {
		t.Errorf("%d connections, %d lines, want 2 and 3 (a timeout is never sent again)", n, l)
	}
}

// A peer that resets or closes the connection part way through a reply
// fails the step, on a kept connection too, without sending it again.
func TestTCPPeerCutsReply(t *testing.T) {
	var lines atomic.Int64
	addr, srv := tcpPeer(t, func(_ int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			lines.Add(1)
			switch line {
			case "reset\n":
				conn.Write([]byte("par"))
				time.Sleep(5 * time.Millisecond)
				conn.(*net.TCPConn).SetLinger(0) // close with RST
				conn.Close()
				return
			case "close\n":
				conn.Write([]byte("par"))
				conn.Close()
				return
			case "nothing\n":
				conn.Close()
				return
			default:
				conn.Write([]byte(line))
			}
		}
	})
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "${v}\n", read: {until: "\n"}}`)
	sockOK(t, sockDo(c, sp, valueScope("ok")), "ok\n")
	o := sockDo(c, sp, valueScope("reset"))
	sockFail(t, o, metrics.Other, "reply from "+addr+": connection reset by peer")
	if o.payload != "par" {
		t.Errorf("partial reply %q", o.payload)
	}
	sockOK(t, sockDo(c, sp, valueScope("ok")), "ok\n")
	sockFail(t, sockDo(c, sp, valueScope("close")), metrics.Other, "connection closed by the peer part way through the reply")
	// A fresh connection closed before any reply is not sent again.
	sockFail(t, sockDo(c, sp, valueScope("nothing")), metrics.Other, "reply from "+addr+": connection closed by the peer")
	lenSpec := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "${v}\n", read: {length: 10}}`)
	sockFail(t, sockDo(c, lenSpec, valueScope("close")), metrics.Other, "connection closed by the peer part way")
	if n, l := srv.accepted.Load(), lines.Load(); n != 4 || l != 6 {
		t.Errorf("%d connections, %d lines, want 4 and 6", n, l)
	}
}

// Hex payloads: static (decoded at compile time) and rendered, spaces
// ignored; a rendering that is not hex fails before anything is sent.
func TestTCPHex(t *testing.T) {
	got := make(chan []byte, 10)
	addr, srv := tcpPeer(t, func(_ int64, conn net.Conn) {
		buf := make([]byte, 4)
		for {
			if _, err := io.ReadFull(conn, buf); err != nil {
				return
			}
			got <- append([]byte(nil), buf...)
			conn.Write(buf)
		}
	})
	c := openTCP(t)
	static := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "DE ad be EF", hex: true, read: {length: 4}}`)
	if static.Bytes == nil {
		t.Fatal("a static hex payload was not decoded at compile time")
	}
	sockOK(t, sockDo(c, static, nil), "\xde\xad\xbe\xef")
	rendered := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "00 ${v} ff", hex: true, read: {length: 4}}`)
	o := sockDo(c, rendered, valueScope("0a\t0B"))
	sockOK(t, o, "\x00\x0a\x0b\xff")
	if o.sent != 4 {
		t.Errorf("sent %d bytes, want 4", o.sent)
	}
	for _, bad := range []string{"zz zz", "0a0", "secret"} {
		o := sockDo(c, rendered, valueScope(bad))
		sockFail(t, o, metrics.Other, "not hex")
		if strings.Contains(o.fail.Msg, bad) || o.sent != 0 {
			t.Errorf("%q: message %q quotes the value, or %d bytes were sent", bad, o.fail.Msg, o.sent)
		}
	}
	if len(got) != 2 || srv.accepted.Load() != 1 {
		t.Errorf("%d payloads over %d connections", len(got), srv.accepted.Load())
	}
}

// A reply longer than the limit fails as a parse failure.
func TestTCPReplyTooLarge(t *testing.T) {
	addr, _ := tcpPeer(t, func(_ int64, conn net.Conn) {
		bufio.NewReader(conn).ReadBytes('\n')
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range MaxSocketReply>>20 + 1 {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
		io.Copy(io.Discard, conn)
	})
	c := openTCP(t)
	sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "go\n", read: {until: "\n"}}`)
	o := sockDo(c, sp, nil)
	sockFail(t, o, metrics.ParseFailed, "reply from "+addr+" over 16 MiB")
	if cap(c.buf) > MaxSocketReply+1 {
		t.Errorf("reply buffer grew to %d bytes", cap(c.buf))
	}
	// validate refuses such a length; a plan built by other means is
	// refused before anything is read.
	long := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "go\n", read: {length: 16}}`)
	long.Length = MaxSocketReply + 1
	sockFail(t, sockDo(c, long, nil), metrics.Other, "read length 16777217 is over the 16 MiB")
}

// Interrupt cuts an exchange waiting on a silent peer at once, and is
// final.
func TestTCPInterrupt(t *testing.T) {
	got := make(chan struct{}, 1)
	addr, srv := tcpPeer(t, func(_ int64, conn net.Conn) {
		bufio.NewReader(conn).ReadBytes('\n')
		got <- struct{}{}
		io.Copy(io.Discard, conn)
	})
	for _, read := range []string{`{until: "\n"}`, `{idle: 5s}`} {
		c := openTCP(t)
		sp := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "x\n", read: `+read+`, timeout: 10s}`)
		done := make(chan sockResult)
		go func() { done <- sockDo(c, sp, nil) }()
		<-got
		start := time.Now()
		c.Interrupt()
		select {
		case o := <-done:
			sockFail(t, o, metrics.Other, "interrupted")
			if d := time.Since(start); d > time.Second {
				t.Errorf("Interrupt took %v", d)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("Interrupt did not cut the exchange")
		}
		sockFail(t, sockDo(c, sp, nil), metrics.Other, "interrupted")
	}
	if n := srv.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// A kept connection per address; a rendered address that is not
// host:port fails without quoting it.
func TestTCPAddresses(t *testing.T) {
	a1, s1 := tcpPeer(t, lineEcho(nil))
	a2, s2 := tcpPeer(t, lineEcho(nil))
	c := openTCP(t)
	sp := sockSpec(t, "tcp", "", `{address: "${v}", payload: "x\n", read: {until: "\n"}}`)
	for range 3 {
		sockOK(t, sockDo(c, sp, valueScope(a1)), "x\n")
		sockOK(t, sockDo(c, sp, valueScope(a2)), "x\n")
	}
	if s1.accepted.Load() != 1 || s2.accepted.Load() != 1 || len(c.conns) != 2 {
		t.Errorf("connections: %d and %d accepted, %d kept", s1.accepted.Load(), s2.accepted.Load(), len(c.conns))
	}
	o := sockDo(c, sp, valueScope("token-abc"))
	sockFail(t, o, metrics.Other, "address rendered at run time is not host:port")
	if strings.Contains(o.fail.Msg, "token") {
		t.Errorf("message %q quotes the value", o.fail.Msg)
	}
}

// udpPeer is a UDP server on 127.0.0.1 answering each datagram with what
// answer returns (nothing when nil), and recording the source addresses.
func udpPeer(t *testing.T, answer func(req []byte) [][]byte) (addr string, from func() []string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var froms []string
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 64<<10)
		for {
			n, a, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			mu.Lock()
			froms = append(froms, a.String())
			mu.Unlock()
			for _, d := range answer(buf[:n]) {
				pc.WriteTo(d, a)
			}
		}
	})
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return pc.LocalAddr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), froms...)
	}
}

func echo(req []byte) [][]byte { return [][]byte{append([]byte(nil), req...)} }

// The first datagram is the reply; one socket is kept; bytes are exact.
func TestUDPEcho(t *testing.T) {
	addr, from := udpPeer(t, echo)
	c := openUDP(t)
	sp := sockSpec(t, "udp", addr, `{address: "${addr}", payload: "ping ${v}"}`)
	if sp.End != scenario.EndDatagram {
		t.Fatalf("default read %v, want a datagram", sp.End)
	}
	for i := range 10 {
		o := sockDo(c, sp, valueScope(fmt.Sprint(i)))
		want := fmt.Sprintf("ping %d", i)
		sockOK(t, o, want)
		if o.sent != int64(len(want)) || o.recv != int64(len(want)) {
			t.Fatalf("sent %d, received %d, want %d", o.sent, o.recv, len(want))
		}
	}
	f := from()
	for _, a := range f {
		if a != f[0] {
			t.Fatalf("datagrams came from %v: the socket was not kept", f)
		}
	}
	// An empty payload is an empty datagram, and its echo an empty reply.
	empty := sockSpec(t, "udp", addr, `{address: "${addr}"}`)
	sockOK(t, sockDo(c, empty, nil), "")
}

// A reply in several datagrams, read until a length or a terminator; the
// rest of the last datagram is dropped.
func TestUDPMultiDatagram(t *testing.T) {
	addr, _ := udpPeer(t, func([]byte) [][]byte {
		return [][]byte{[]byte("abcd"), []byte("efgh"), []byte("ij;kl")}
	})
	c := openUDP(t)
	o := sockDo(c, sockSpec(t, "udp", addr, `{address: "${addr}", payload: "x", read: {length: 10}}`), nil)
	sockOK(t, o, "abcdefghij")
	if o.recv != 13 {
		t.Errorf("received %d bytes, want the three datagrams' 13", o.recv)
	}
	sockOK(t, sockDo(c, sockSpec(t, "udp", addr, `{address: "${addr}", payload: "x", read: {until: ";"}}`), nil), "abcdefghij;")
	sockOK(t, sockDo(c, sockSpec(t, "udp", addr, `{address: "${addr}", payload: "x", read: {until: "gh"}}`), nil), "abcdefgh")
}

// No reply before the timeout is a lost datagram; a reply that arrives
// late is not taken for the next step's.
func TestUDPLostAndLate(t *testing.T) {
	var n atomic.Int64
	addr, from := udpPeer(t, func(req []byte) [][]byte {
		switch string(req) {
		case "drop":
			return nil
		case "late":
			if n.Add(1) == 1 {
				time.Sleep(80 * time.Millisecond)
			}
		}
		return echo(req)
	})
	c := openUDP(t)
	sp := sockSpec(t, "udp", addr, `{address: "${addr}", payload: "${v}", timeout: 40ms}`)
	o := sockDo(c, sp, valueScope("drop"))
	sockFail(t, o, metrics.Timeout, "no reply from "+addr+" before the timeout: lost, or the peer is down")
	if o.sent != 4 {
		t.Errorf("sent %d", o.sent)
	}
	sockFail(t, sockDo(c, sp, valueScope("late")), metrics.Timeout, "no reply")
	time.Sleep(60 * time.Millisecond) // the late echo arrives meanwhile
	sockOK(t, sockDo(c, sp, valueScope("ok")), "ok")
	if f := from(); len(f) != 3 || f[0] == f[1] || f[1] == f[2] {
		t.Errorf("sources %v: want a new socket after each failure", f)
	}
	part := sockSpec(t, "udp", addr, `{address: "${addr}", payload: "${v}", read: {length: 10}, timeout: 40ms}`)
	sockFail(t, sockDo(c, part, valueScope("short")), metrics.Timeout, "timeout with the reply incomplete")
}

// Interrupt cuts a wait for a datagram at once, and is final.
func TestUDPInterrupt(t *testing.T) {
	addr, from := udpPeer(t, func([]byte) [][]byte { return nil })
	c := openUDP(t)
	sp := sockSpec(t, "udp", addr, `{address: "${addr}", payload: "x", timeout: 10s}`)
	done := make(chan sockResult)
	go func() { done <- sockDo(c, sp, nil) }()
	for len(from()) == 0 {
		time.Sleep(time.Millisecond)
	}
	c.Interrupt()
	select {
	case o := <-done:
		sockFail(t, o, metrics.Other, "interrupted")
	case <-time.After(3 * time.Second):
		t.Fatal("Interrupt did not cut the exchange")
	}
	sockFail(t, sockDo(c, sp, nil), metrics.Other, "interrupted")
	if n := len(from()); n != 1 {
		t.Errorf("%d datagrams sent, want 1", n)
	}
}

// An ICMP port unreachable is a refusal.
func TestUDPRefused(t *testing.T) {
	addr := freePort(t, "udp")
	c := openUDP(t)
	sp := sockSpec(t, "udp", addr, `{address: "${addr}", payload: "x", timeout: 500ms}`)
	o := sockDo(c, sp, nil)
	if o.fail != nil && o.fail.Outcome == metrics.Timeout {
		t.Skip("this platform does not report ICMP port unreachable to a connected UDP socket")
	}
	sockFail(t, o, metrics.Refused, "reply from "+addr+": connection refused")
}

// Hex payloads over UDP, and send-only steps on a socket of their own,
// whose unread echoes never reach a reading step.
func TestUDPHexAndSendOnly(t *testing.T) {
	addr, from := udpPeer(t, echo)
	c := openUDP(t)
	sockOK(t, sockDo(c, sockSpec(t, "udp", addr, `{address: "${addr}", payload: "01 02 ff", hex: true}`), nil), "\x01\x02\xff")
	sockOK(t, sockDo(c, sockSpec(t, "udp", addr, `{address: "${addr}", payload: "${v}", hex: true}`), valueScope("c0ffee")), "\xc0\xff\xee")
	send := sockSpec(t, "udp", addr, `{address: "${addr}", payload: "fire", read: none}`)
	for range 3 {
		o := sockDo(c, send, nil)
		sockOK(t, o, "")
		if o.sent != 4 {
			t.Fatalf("sent %d", o.sent)
		}
	}
	sockOK(t, sockDo(c, sockSpec(t, "udp", addr, `{address: "${addr}", payload: "mine"}`), nil), "mine")
	if f := from(); len(f) != 6 || f[0] == f[2] || f[0] != f[5] {
		t.Errorf("sources %v: want the reading socket kept and send-only steps on another", f)
	}
}

// socat is a real third-party peer: a TCP echo and a UDP echo.
func socat(t *testing.T, args ...string) {
	t.Helper()
	path := testsupport.Peer(t, "socat", "socat")
	cmd := exec.Command(path, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

func TestSocatTCP(t *testing.T) {
	addr := freePort(t, "tcp")
	_, port, _ := net.SplitHostPort(addr)
	socat(t, "TCP-LISTEN:"+port+",bind=127.0.0.1,reuseaddr,fork", "PIPE")
	for i := 0; ; i++ {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			break
		}
		if i == 1000 {
			t.Fatal("socat did not listen within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := openTCP(t)
	line := sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "PING ${v}\n", read: {until: "\n"}}`)
	for i := range 20 {
		want := fmt.Sprintf("PING %d\n", i)
		o := sockDo(c, line, valueScope(fmt.Sprint(i)))
		sockOK(t, o, want)
		if o.sent != int64(len(want)) || o.recv != int64(len(want)) {
			t.Fatalf("sent %d, received %d", o.sent, o.recv)
		}
	}
	sockOK(t, sockDo(c, sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "00 ff 10 0a", hex: true, read: {length: 4}}`), nil), "\x00\xff\x10\n")
	sockOK(t, sockDo(c, sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "idle", read: {idle: 30ms}}`), nil), "idle")
	if len(c.conns) != 1 {
		t.Errorf("%d connections", len(c.conns))
	}
	sockOK(t, sockDo(c, sockSpec(t, "tcp", addr, `{address: "${addr}", payload: "bye\n", read: {until: "\n"}, close: true}`), nil), "bye\n")
	if len(c.conns) != 0 {
		t.Errorf("close: true kept the connection")
	}
}

func TestSocatUDP(t *testing.T) {
	addr := freePort(t, "udp")
	_, port, _ := net.SplitHostPort(addr)
	// fork: socat serves each peer in its own process, the probe below
	// and the client under test alike.
	socat(t, "UDP-LISTEN:"+port+",bind=127.0.0.1,fork", "PIPE")
	// Wait until socat echoes. Probing by binding the port ourselves would
	// race socat for it; a datagram that comes back cannot.
	probe, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	for i := 0; ; i++ {
		probe.Write([]byte("up?"))
		probe.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		var b [8]byte
		if n, err := probe.Read(b[:]); err == nil && string(b[:n]) == "up?" {
			break
		}
		if i == 100 {
			t.Fatal("socat did not answer within 5 s")
		}
		time.Sleep(20 * time.Millisecond) // a refusal (nothing bound yet) comes back at once
	}
	c := openUDP(t)
	sp := sockSpec(t, "udp", addr, `{address: "${addr}", payload: "ping ${v}", timeout: 1s}`)
	for i := range 10 {
		want := fmt.Sprintf("ping %d", i)
		o := sockDo(c, sp, valueScope(fmt.Sprint(i)))
		sockOK(t, o, want)
		if o.sent != int64(len(want)) || o.recv != int64(len(want)) {
			t.Fatalf("sent %d, received %d", o.sent, o.recv)
		}
	}
	sockOK(t, sockDo(c, sockSpec(t, "udp", addr, `{address: "${addr}", payload: "de ad", hex: true, timeout: 1s}`), nil), "\xde\xad")
}
