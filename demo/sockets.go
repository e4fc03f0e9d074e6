package demo

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// maxLine is the TCP echo's read buffer. A longer line is echoed in
// pieces of this size rather than buffered whole, which a client reading
// up to "\n" cannot tell apart.
const maxLine = 64 << 10

func (s *Server) acceptTCP() {
	for {
		c, err := s.tcpLn.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure (out of file descriptors, say): back
			// off briefly rather than spin.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !s.track(c) {
			c.Close()
			return
		}
		go func() {
			defer s.untrack(c)
			defer c.Close()
			echoLines(c)
		}()
	}
}

// echoLines sends back each "\n"-terminated line as soon as it is
// complete, and a last unterminated one when the client stops sending.
func echoLines(c net.Conn) {
	r := bufio.NewReaderSize(c, maxLine)
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 {
			if _, werr := c.Write(line); werr != nil {
				return
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func (s *Server) echoUDP() {
	buf := make([]byte, 64<<10) // the largest UDP payload
	for {
		n, addr, err := s.udpConn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Other errors concern one datagram only.
			continue
		}
		// A failed send is the client's loss; UDP promises nothing.
		s.udpConn.WriteTo(buf[:n], addr)
	}
}

// upgrader accepts any Origin: the target is on loopback and its echo
// holds nothing a foreign page could steal, while scenarios send Origin
// headers that need not match the port the target runs on.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// echoWebSocket sends every text and binary message back as it came.
// Pings are answered with pongs and a close with a close, by the
// library's default handlers.
func (s *Server) echoWebSocket(w http.ResponseWriter, r *http.Request) {
	var hdr http.Header
	// Any subprotocol is fine for an echo: agree to the client's first.
	if protos := websocket.Subprotocols(r); len(protos) > 0 {
		hdr = http.Header{"Sec-Websocket-Protocol": {protos[0]}}
	}
	c, err := upgrader.Upgrade(w, r, hdr)
	if err != nil {
		return // Upgrade has answered with an HTTP error.
	}
	wc := wsCloser{c}
	if !s.track(wc) {
		wc.Close()
		return
	}
	defer s.untrack(wc)
	defer c.Close()
	c.SetReadLimit(maxBody)
	for {
		kind, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(kind, msg); err != nil {
			return
		}
	}
}

// wsCloser ends a WebSocket with a "going away" close frame, so a client
// cut off by Close learns why, then closes the connection.
type wsCloser struct{ c *websocket.Conn }

func (w wsCloser) Close() error {
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "the target is shutting down")
	w.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(100*time.Millisecond))
	return w.c.Close()
}
