package protocols

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// h2Session is one VU's HTTP/2 session, on Go's net/http: h2 over TLS for
// https:// URLs (the server must agree to h2 in the TLS handshake) and h2c
// with prior knowledge for http:// ones. It keeps one connection per
// origin, made with Transport.NewClientConn so that nothing but the
// session decides when one is opened, and the lanes of a together: step
// share them: their requests go out at once as streams of that one
// connection.
//
// Unlike the HTTP/1.1 driver it allocates on every request: net/http
// builds a Request, a Response and their header maps each time, and the
// HTTP/2 client a stream. That is the one exception to perfcase's rule
// of no allocation per request; BenchmarkHTTPDrivers measures what it
// costs beside the HTTP/1.1 driver.
//
// Bytes sent and received are HTTP's own, before HPACK and framing: the
// header fields (pseudo-headers included) as names and values, and the
// bodies. The wire bytes of a connection that several streams share
// cannot be told apart per request.
type h2Session struct {
	jar  *Jar
	pool *h2Pool
	// bound is the multipart boundary, fixed per VU.
	bound string

	url, buf, body   []byte
	manual, cookie   []byte
	resp             *[]byte     // the response body's buffer, from bodies
	header           http.Header // the response's header
	dialed           time.Duration
	sentBody, sentHd int64
}

// h2Pool is a VU's HTTP/2 connections, one per origin (and certificate
// check), shared by the VU's session and its lanes.
type h2Pool struct {
	ctx    context.Context // ends at Interrupt, cutting every exchange
	cancel context.CancelFunc
	cut    atomic.Bool

	mu    sync.Mutex // guards conns, held while one is made
	tr    [2]*http.Transport
	conns map[h2Key]*http.ClientConn
}

type h2Key struct {
	scheme, addr string
	insecure     bool
}

// bodies holds response body buffers between exchanges, so that a VU
// that thinks holds none.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// newHTTP2 returns a session whose dials end when cfg.Ctx does.
func newHTTP2(cfg Config) *h2Session {
	s := &h2Session{jar: cfg.Jar, bound: "perfcase" + strconv.FormatUint(cfg.Seed, 36)}
	if main, ok := cfg.Lane.(*h2Session); ok {
		s.pool = main.pool
		return s
	}
	ctx, cancel := context.WithCancel(cfg.Ctx)
	s.pool = &h2Pool{ctx: ctx, cancel: cancel, conns: map[h2Key]*http.ClientConn{}}
	for i := range s.pool.tr {
		s.pool.tr[i] = s.pool.transport(i == 1)
	}
	return s
}

// transport is what makes the pool's connections: HTTP/2 only, no
// compression asked for (a response is judged as the server sent it),
// headers bounded as the HTTP/1.1 driver bounds them.
func (p *h2Pool) transport(insecure bool) *http.Transport {
	var protos http.Protocols
	protos.SetHTTP2(true)
	protos.SetUnencryptedHTTP2(true)
	var d net.Dialer
	return &http.Transport{
		Protocols:              &protos,
		DisableCompression:     true,
		MaxResponseHeaderBytes: MaxHeaderSize,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, &phaseError{"connect to " + addr, err}
			}
			return c, nil
		},
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, &phaseError{"connect to " + addr, err}
			}
			cfg := tlsVerify
			if insecure {
				cfg = tlsInsecure
			}
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
			cfg.NextProtos = []string{"h2"}
			tc := tls.Client(c, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				if strings.Contains(err.Error(), "no application protocol") {
					// The server's TLS speaks ALPN, and h2 is not among
					// its protocols (crypto/tls keeps that alert's type to
					// itself).
					err = errNoH2
				}
				return nil, &phaseError{"tls handshake with " + addr, err}
			}
			if tc.ConnectionState().NegotiatedProtocol != "h2" {
				tc.Close()
				return nil, &phaseError{"tls handshake with " + addr, errNoH2}
			}
			return tc, nil
		},
	}
}

// errNoH2 is a TLS server that did not choose h2: asked for HTTP/2, the
// session does not quietly measure HTTP/1.1 instead.
var errNoH2 = errors.New("the server does not speak HTTP/2 (it did not choose h2 in the TLS handshake)")

// phaseError says which part of making a connection failed.
type phaseError struct {
	what string
	err  error
}

func (e *phaseError) Error() string { return e.what + ": " + e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

// conn returns the pool's connection to the origin, making one within
// timeout when there is none or the one there is can no longer be used;
// made is how long making it took.
func (p *h2Pool) conn(k h2Key, timeout time.Duration) (cc *http.ClientConn, made time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cc = p.conns[k]; cc != nil && cc.Err() == nil {
		return cc, 0, nil
	}
	if cc != nil {
		cc.Close()
		delete(p.conns, k)
	}
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	start := time.Now()
	tr := p.tr[0]
	if k.insecure {
		tr = p.tr[1]
	}
	cc, err = tr.NewClientConn(ctx, k.scheme, k.addr)
	made = time.Since(start)
	if err != nil {
		return nil, made, err
	}
	p.conns[k] = cc
	return cc, made, nil
}

// drop closes a connection that failed, unless another took its place.
func (p *h2Pool) drop(k h2Key, cc *http.ClientConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[k] == cc {
		delete(p.conns, k)
	}
	cc.Close()
}

// Do renders an *scenario.HTTPSpec, sends it over HTTP/2, follows
// redirects and reads the response into res, timed as the HTTP/1.1
// driver times it.
func (c *h2Session) Do(sp scenario.Spec, in *Input, res *Result) {
	spec := sp.(*scenario.HTTPSpec)
	c.Release()
	res.Reset()
	req := c.build(spec, in.Scope, in.Funcs)
	if err := in.Funcs.Err(); err != nil {
		res.Fail = &Failure{Outcome: metrics.Other, Msg: "render request: " + err.Error(), Err: err}
		res.End = time.Now()
		return
	}
	if req == nil {
		res.Fail = &Failure{Outcome: metrics.Other, Msg: "the URL rendered at run time is not http:// or https:// with a host"}
		res.End = time.Now()
		return
	}
	c.resp = bodies.Get().(*[]byte)
	start := time.Now()
	var resp *http.Response
	for hop := 0; ; hop++ {
		c.sendCookies(req, hop)
		resp, res.Fail = c.exchange(spec, req, res)
		if sc := setCookies(resp, res.Fail); len(sc) > 0 && c.jar != nil {
			// Each hop's cookies are stored for the URL that set them.
			c.jar.StoreLines([]byte(req.URL.Host), []byte(req.URL.Path), sc)
		}
		if res.Fail != nil || hop >= spec.MaxRedirects || !isRedirect(resp.StatusCode) {
			break
		}
		loc := resp.Header.Get("Location")
		if loc == "" {
			break
		}
		next, err := req.URL.Parse(loc)
		if err != nil || next.Scheme != "http" && next.Scheme != "https" || next.Host == "" {
			res.Fail = &Failure{Outcome: metrics.Other, Msg: "redirected to a URL that is not http:// or https://"}
			break
		}
		req = c.redirect(req, next, resp.StatusCode)
	}
	res.End = time.Now()
	res.RT = res.End.Sub(start)
	res.Connect, c.dialed = c.dialed, 0
	c.url = append(c.url[:0], req.URL.String()...)
	res.URL = c.url
	if resp != nil {
		res.Status = resp.StatusCode
	}
	if res.Fail == nil {
		res.Body = *c.resp
		c.header = resp.Header
		res.Header = (*h2Header)(c)
	}
}

// setCookies are the Set-Cookie lines of a response that arrived whole.
func setCookies(resp *http.Response, fail *Failure) []string {
	if fail != nil || resp == nil {
		return nil
	}
	return resp.Header["Set-Cookie"]
}

// build makes the request as the spec renders it; nil when the URL is not
// one perfcase sends to.
func (c *h2Session) build(spec *scenario.HTTPSpec, scope scenario.Scope, fe *scenario.FuncEnv) *http.Request {
	c.url = appendURL(c.url[:0], spec, scope, fe, &c.buf)
	if !validURL(c.url) {
		return nil
	}
	u, err := url.Parse(string(c.url))
	if err != nil || u.Host == "" {
		return nil
	}
	req := &http.Request{Method: spec.Method, URL: u, Host: u.Host, Header: make(http.Header, len(spec.Headers)+2),
		Proto: "HTTP/2.0", ProtoMajor: 2}
	c.manual = c.manual[:0]
	hasType, hasUA := false, false
	c.sentHd = 0
	for _, h := range spec.Headers {
		c.buf = h.Value.Append(c.buf[:0], scope, fe)
		switch {
		case strings.EqualFold(h.Key, "Host"):
			req.Host = string(c.buf)
			continue
		case strings.EqualFold(h.Key, "Cookie"):
			// Sent per hop by sendCookies, beside the jar's.
			if len(c.manual) > 0 {
				c.manual = append(c.manual, "; "...)
			}
			c.manual = append(c.manual, c.buf...)
			continue
		}
		hasType = hasType || strings.EqualFold(h.Key, "Content-Type")
		hasUA = hasUA || strings.EqualFold(h.Key, "User-Agent")
		// As written: HTTP/2 sends every name in lower case anyway.
		req.Header[h.Key] = append(req.Header[h.Key], string(c.buf))
	}
	if !hasUA {
		// net/http would send its own; perfcase adds no header the
		// scenario did not write, bar those HTTP needs.
		req.Header["User-Agent"] = nil
	}
	var kind bodyType
	c.body, kind = appendBody(c.body[:0], spec, scope, fe, c.bound, &c.buf)
	if !hasType && kind != noType {
		req.Header["Content-Type"] = []string{string(kind.append(c.buf[:0], c.bound))}
	}
	if spec.BodyKind != scenario.BodyNone {
		c.setBody(req, c.body)
	}
	return req
}

func (c *h2Session) setBody(req *http.Request, b []byte) {
	req.ContentLength = int64(len(b))
	c.sentBody = req.ContentLength
	if len(b) == 0 {
		req.Body = http.NoBody
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// redirect is the request of the next hop, to next, after a response
// with status code st: a 303, and a 301 or 302 after anything but a GET
// or HEAD, become a GET, as browsers do; another origin gets no
// credentials, Cookie header the scenario wrote nor Host override.
func (c *h2Session) redirect(prev *http.Request, next *url.URL, st int) *http.Request {
	req := &http.Request{Method: prev.Method, URL: next, Host: next.Host, Header: prev.Header.Clone(), Proto: "HTTP/2.0", ProtoMajor: 2,
		Body: prev.Body, GetBody: prev.GetBody, ContentLength: prev.ContentLength}
	if req.GetBody != nil {
		req.Body, _ = req.GetBody()
	}
	if next.Scheme+"://"+next.Host != prev.URL.Scheme+"://"+prev.URL.Host {
		req.Header.Del("Authorization")
		req.Header.Del("Proxy-Authorization")
		c.manual = c.manual[:0]
	} else if prev.Host != prev.URL.Host {
		req.Host = prev.Host
	}
	if st == 303 || (st == 301 || st == 302) && prev.Method != "GET" && prev.Method != "HEAD" {
		req.Method = "GET"
		req.Body, req.GetBody, req.ContentLength, c.sentBody = nil, nil, 0, 0
		req.Header.Del("Content-Type")
	}
	return req
}

// sendCookies sets the Cookie header of the hop about to be sent, as the
// HTTP/1.1 driver does: the scenario's, then the jar's it did not name.
func (c *h2Session) sendCookies(req *http.Request, hop int) {
	if hop > 0 {
		req.Header.Del("Cookie")
	}
	if len(c.manual) == 0 && (c.jar == nil || c.jar.Len() == 0) {
		return
	}
	v := append(c.cookie[:0], c.manual...)
	if c.jar != nil {
		v = c.jar.AppendHeader(v, c.manual, []byte(req.URL.Host), []byte(req.URL.Path), req.URL.Scheme == "https")
	}
	c.cookie = v
	if len(v) > 0 {
		req.Header["Cookie"] = []string{string(v)}
	}
}

// exchange sends req once, on the origin's connection, and reads the
// response whole into c.resp. A connection the server closed between
// requests is replaced: an idempotent request that failed on it before
// any reply is sent again once on a new one, as net/http does.
func (c *h2Session) exchange(spec *scenario.HTTPSpec, req *http.Request, res *Result) (*http.Response, *Failure) {
	p := c.pool
	k := h2Key{scheme: req.URL.Scheme, addr: hostPort(req.URL), insecure: !spec.TLSVerify}
	*c.resp = (*c.resp)[:0]
	for attempt := 0; ; attempt++ {
		if p.cut.Load() {
			return nil, &Failure{Outcome: metrics.Other, Msg: errInterrupted.Error(), Err: errInterrupted}
		}
		cc, made, err := p.conn(k, spec.ConnectTimeout)
		c.dialed += made
		if err != nil {
			return nil, c.failure(k.addr, err)
		}
		ctx, cancel := context.WithTimeout(p.ctx, spec.Timeout)
		resp, err := cc.RoundTrip(req.WithContext(ctx))
		if err == nil {
			err = c.read(resp, req.Method == "HEAD")
		}
		cancel()
		res.Sent += c.requestBytes(req)
		if err == nil {
			res.Recv += responseBytes(resp) + int64(len(*c.resp))
			return resp, nil
		}
		dead := cc.Err() != nil
		if dead {
			p.drop(k, cc)
		}
		if resp == nil && made == 0 && dead && attempt == 0 && isIdempotent([]byte(req.Method)) && !p.cut.Load() {
			if req.GetBody != nil {
				req.Body, _ = req.GetBody()
			}
			continue
		}
		if resp != nil {
			resp.Body.Close()
		}
		return resp, c.failure(k.addr, err)
	}
}

// read reads the response body into c.resp, failing one over MaxBodySize.
func (c *h2Session) read(resp *http.Response, head bool) error {
	defer resp.Body.Close()
	if head {
		return nil
	}
	b := *c.resp
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := resp.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > MaxBodySize {
			*c.resp = b[:0]
			return errBodyTooLarge
		}
		if err == io.EOF {
			*c.resp = b
			return nil
		}
		if err != nil {
			*c.resp = b
			return err
		}
	}
}

// requestBytes is what req carries before compression: its
// pseudo-headers, header fields and body.
func (c *h2Session) requestBytes(req *http.Request) int64 {
	n := int64(len(":method")+len(req.Method)+len(":scheme")+len(req.URL.Scheme)+len(":authority")+len(req.Host)+len(":path")) +
		int64(len(req.URL.RequestURI())) + c.sentBody
	return n + headerBytes(req.Header)
}

// responseBytes is a response's status pseudo-header and header fields.
func responseBytes(resp *http.Response) int64 {
	return int64(len(":status")+3) + headerBytes(resp.Header)
}

func headerBytes(h http.Header) int64 {
	var n int64
	for k, vv := range h {
		for _, v := range vv {
			n += int64(len(k) + len(v))
		}
	}
	return n
}

// hostPort is a URL's host with the port its scheme implies.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// failure puts a failed HTTP/2 exchange in its bucket.
func (c *h2Session) failure(addr string, err error) *Failure {
	if c.pool.cut.Load() {
		return &Failure{Outcome: metrics.Other, Msg: errInterrupted.Error(), Err: errInterrupted}
	}
	var pe *phaseError
	switch {
	case errors.As(err, &pe):
		return classifyNet(pe.what, pe.err)
	case errors.Is(err, errBodyTooLarge):
		return &Failure{Outcome: metrics.ParseFailed, Msg: "response body over " + strconv.Itoa(MaxBodySize>>20) + " MiB", Err: err}
	case isNetErr(err) || errors.Is(err, context.DeadlineExceeded):
		return classifyNet("response from "+addr, err)
	}
	// What is left are HTTP/2's own errors: a stream the server reset, a
	// connection it ended (GOAWAY), or a frame it got wrong. Their text
	// names codes and stream ids, never data.
	msg := parseError(err)
	if strings.Contains(msg, "stream error") || strings.Contains(msg, "GOAWAY") || strings.Contains(msg, "connection lost") {
		return &Failure{Outcome: metrics.Other, Msg: "response from " + addr + ": " + msg, Err: err, Reset: true}
	}
	return &Failure{Outcome: metrics.ParseFailed, Msg: "malformed HTTP/2 response from " + addr + ": " + msg, Err: err}
}

// h2Header reads the headers of a session's response; converting the
// session to it costs nothing.
type h2Header h2Session

// Peek is the first value of the response header name, nil when it is
// absent. It lends the header's string as bytes: they are read, never
// written.
func (h *h2Header) Peek(name string) []byte {
	vv := h.header[textproto.CanonicalMIMEHeaderKey(name)]
	if len(vv) == 0 {
		return nil
	}
	if vv[0] == "" {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(vv[0]), len(vv[0]))
}

// Release gives the response body's buffer back.
func (c *h2Session) Release() {
	if c.resp != nil {
		*c.resp = (*c.resp)[:0]
		bodies.Put(c.resp)
		c.resp = nil
	}
	c.header = nil
}

// Interrupt cuts every exchange of the session and its lanes, and fails
// every later one at once. Safe from any goroutine.
func (c *h2Session) Interrupt() {
	c.pool.cut.Store(true)
	c.pool.cancel()
}

// Close closes the session's connections (its lanes' too, which share
// them).
func (c *h2Session) Close() {
	c.Release()
	p := c.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, cc := range p.conns {
		cc.Close()
		delete(p.conns, k)
	}
}
