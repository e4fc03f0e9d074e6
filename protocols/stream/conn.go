package stream

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// meter is what a client's connections share with the call in progress:
// when the call ends, how long a read may wait, and the bytes that went
// over the wire. HTTP reads happen on net/http's goroutines, so every
// field is atomic.
type meter struct {
	end     atomic.Int64 // UnixNano: no read or write waits past it
	timeout atomic.Int64 // a read waits at most this long for bytes
	recv    atomic.Int64
	sent    atomic.Int64
	// quietReads lets reads wait until the end: a publisher's server has
	// nothing to say, and its silence is no failure.
	quietReads atomic.Bool
}

func (m *meter) start(end time.Time, timeout time.Duration) {
	m.end.Store(end.UnixNano())
	m.timeout.Store(int64(timeout))
	m.recv.Store(0)
	m.sent.Store(0)
	m.quietReads.Store(false)
}

// finish completes st of a call meant to last until end: when it ended,
// the bytes counted, and a call that ctx canceled before its end is cut,
// not failed.
func (m *meter) finish(ctx context.Context, st *Stats, end time.Time) {
	st.End = time.Now()
	st.Recv, st.Sent = m.recv.Load(), m.sent.Load()
	if ctx.Err() != nil && st.End.Before(end) {
		st.Cut, st.Fail = true, nil
	}
}

// deadline is the earlier of now plus the timeout and the call's end.
func (m *meter) deadline(read bool) time.Time {
	if read && m.quietReads.Load() {
		return time.Unix(0, m.end.Load())
	}
	d := time.Now().Add(time.Duration(m.timeout.Load()))
	if end := m.end.Load(); end < d.UnixNano() {
		return time.Unix(0, end)
	}
	return d
}

// meteredConn bounds each read by the meter's deadline, so that a stream
// silent for the timeout fails and every read stops at the call's end
// without a timer or goroutine per call, and counts the bytes.
type meteredConn struct {
	net.Conn
	m *meter
}

func (c *meteredConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(c.m.deadline(true)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(b)
	c.m.recv.Add(int64(n))
	return n, err
}

func (c *meteredConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(c.m.deadline(false)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(b)
	c.m.sent.Add(int64(n))
	return n, err
}

// httpClient is the HTTP side of a VU's HLS or HTTP-FLV viewer: its own
// keep-alive connections, like one player's, never shared with other VUs.
type httpClient struct {
	m meter
	// dial replaces the network for tests on a fake clock, which cannot
	// wait on real sockets; nil dials TCP.
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	c       *http.Client
	verify  bool
	connect time.Duration
	timeout time.Duration
}

// client returns the VU's HTTP client for these options, made anew when
// the certificate check or a timeout changed since the last call.
func (h *httpClient) client(o *Options) *http.Client {
	if h.c != nil && h.verify == o.TLSVerify && h.connect == o.connectTimeout() && h.timeout == o.timeout() {
		return h.c
	}
	if h.c != nil {
		h.c.CloseIdleConnections()
	}
	h.verify, h.connect, h.timeout = o.TLSVerify, o.connectTimeout(), o.timeout()
	dial := (&net.Dialer{Timeout: h.connect}).DialContext
	if h.dial != nil {
		dial = h.dial
	}
	m := &h.m
	h.c = &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := dial(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &meteredConn{Conn: c, m: m}, nil
			},
			TLSClientConfig:       &tls.Config{InsecureSkipVerify: !h.verify},
			TLSHandshakeTimeout:   h.connect,
			ResponseHeaderTimeout: h.timeout,
			DisableCompression:    true,
			MaxIdleConnsPerHost:   2,
		},
		// A player follows redirects, as net/http does by default (10).
	}
	return h.c
}

// Close drops the client's kept connections.
func (h *httpClient) Close() {
	if h.c != nil {
		h.c.CloseIdleConnections()
	}
}
