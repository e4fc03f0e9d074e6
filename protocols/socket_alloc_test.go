//go:build !race

package protocols

import (
	"bytes"
	"net"
	"testing"

	"github.com/perfcase/perfcase/scenario"
)

// quietLineEcho echoes "\n"-terminated lines without allocating per line,
// so that AllocsPerRun, which counts the whole process, measures the
// client alone.
func quietLineEcho(t *testing.T) string {
	addr, _ := tcpPeer(t, func(_ int64, conn net.Conn) {
		buf := make([]byte, 64<<10)
		n := 0
		for {
			m, err := conn.Read(buf[n:])
			if err != nil {
				return
			}
			n += m
			end := bytes.LastIndexByte(buf[:n], '\n')
			if end < 0 {
				continue
			}
			if _, err := conn.Write(buf[:end+1]); err != nil {
				return
			}
			n = copy(buf, buf[end+1:n])
		}
	})
	return addr
}

// quietUDPEcho echoes datagrams without allocating.
func quietUDPEcho(t *testing.T) string {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			pc.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String()
}

// A steady-state exchange on a kept connection or socket, with a static
// address and a rendered payload, allocates nothing.
func TestSocketDoAllocs(t *testing.T) {
	tcp, udp := quietLineEcho(t), quietUDPEcho(t)
	for _, tc := range []struct {
		name, proto, addr, step, want string
		value                         valueScope // every variable's value; "user-42" if empty
	}{
		{"tcp until", "tcp", tcp, `{address: "${addr}", payload: "PING ${v}\n", read: {until: "\n"}}`, "PING user-42\n", ""},
		{"tcp length", "tcp", tcp, `{address: "${addr}", payload: "PING ${v}\n", read: {length: 13}}`, "PING user-42\n", ""},
		{"tcp hex", "tcp", tcp, `{address: "${addr}", payload: "41 42 0a", hex: true, read: {until: "\n"}}`, "AB\n", ""},
		{"tcp send only", "tcp", tcp, `{address: "${addr}", payload: "PING ${v}\n", read: none}`, "", ""},
		{"udp datagram", "udp", udp, `{address: "${addr}", payload: "ping ${v}"}`, "ping user-42", ""},
		{"udp length", "udp", udp, `{address: "${addr}", payload: "ping ${v}", read: {length: 12}}`, "ping user-42", ""},
		{"udp rendered hex", "udp", udp, `{address: "${addr}", payload: "00 ${v}", hex: true}`, "\x00\xc0\xff\xee", "c0 ff ee"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := sockSpec(t, tc.proto, tc.addr, tc.step)
			open := openUDP
			if tc.proto == "tcp" {
				open = openTCP
			}
			s := open(t)
			var c Session = s
			var scope scenario.Scope = valueScope("user-42")
			if tc.value != "" {
				scope = tc.value
			}
			in := Input{Scope: scope, Funcs: scenario.NewFuncEnv(1)}
			var r Result
			run := func() {
				c.Do(sp, &in, &r)
				if r.Fail != nil || string(r.Body) != tc.want {
					t.Fatalf("fail %v, reply %q", r.Fail, r.Body)
				}
			}
			for range 50 {
				run()
			}
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Errorf("%v allocations per exchange, want 0", n)
			}
			if len(s.conns) != 1 {
				t.Errorf("%d connections, want 1", len(s.conns))
			}
		})
	}
}

// An idle-ended reply ends on a read deadline, whose error net.Conn
// allocates: that error is all it allocates.
func TestSocketIdleAllocs(t *testing.T) {
	sp := sockSpec(t, "tcp", quietLineEcho(t), `{address: "${addr}", payload: "PING\n", read: {idle: 1ms}}`)
	c := openTCP(t)
	in := Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}
	var r Result
	run := func() {
		c.Do(sp, &in, &r)
		if r.Fail != nil || string(r.Body) != "PING\n" {
			t.Fatalf("fail %v, reply %q", r.Fail, r.Body)
		}
	}
	for range 20 {
		run()
	}
	if n := testing.AllocsPerRun(100, run); n > 2 {
		t.Errorf("%v allocations per idle-ended exchange, want at most 2", n)
	}
}
