package protocols

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// MaxBodySize bounds a response body kept in memory; a larger one fails as
// a parse failure rather than letting one response exhaust the generator.
const MaxBodySize = 64 << 20

// MaxHeaderSize bounds a response's header; a larger one fails as a parse
// failure.
const MaxHeaderSize = 256 << 10

// httpSession is one VU's HTTP session: its keep-alive connections, one
// per host, reused across requests, and the buffers to build requests in.
// The fasthttp request and response never leave it: a Result reads the
// response through Body, Status and Header, and Release gives them back.
type httpSession struct {
	// jar is the VU's cookie jar; nil keeps no cookies, and only the
	// Cookie headers the scenario writes are sent.
	jar *Jar

	conns  []*hconn
	dialer net.Dialer
	ctx    context.Context

	req    *fasthttp.Request
	resp   *fasthttp.Response
	url    []byte
	buf    []byte
	body   []byte
	origin []byte
	bound  string
	dialed time.Duration // connecting time of the exchange in progress // multipart boundary, fixed per VU
	manual []byte        // the Cookie headers the scenario wrote, joined
	cookie []byte        // the Cookie header of the hop being sent
	active atomic.Pointer[hconn]
	cut    atomic.Bool // set by Interrupt: no exchange may start or go on
}

type hconn struct {
	key  string // scheme://host:port
	conn net.Conn
	sent int64
	recv int64
	used bool // has carried a request: a failure on it may be a stale keep-alive
	// lastUsed is when the connection last started an exchange.
	lastUsed time.Time
}

func (c *hconn) Read(p []byte) (int, error) {
	n, err := c.conn.Read(p)
	c.recv += int64(n)
	return n, err
}

func (c *hconn) Write(p []byte) (int, error) {
	n, err := c.conn.Write(p)
	c.sent += int64(n)
	return n, err
}

// newHTTP returns a session whose dials end when cfg.Ctx does.
func newHTTP(cfg Config) *httpSession {
	return &httpSession{ctx: cfg.Ctx, jar: cfg.Jar, bound: "perfcase" + strconv.FormatUint(cfg.Seed, 36)}
}

var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
	// bigReaders serve the rare response whose header does not fit 4 KiB.
	bigReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, MaxHeaderSize) }}
	// TLS configurations are shared by every VU so sessions resume.
	tlsVerify   = &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(1024)}
	tlsInsecure = &tls.Config{InsecureSkipVerify: true, ClientSessionCache: tls.NewLRUClientSessionCache(1024)} //nolint:gosec // asked for with tls_verify: false
)

// Do renders an *scenario.HTTPSpec against the VU's variables, sends it,
// follows redirects and reads the response into res. Response time covers
// the whole exchange as a user sees it: connecting (when no kept-alive
// connection is ready), sending, waiting and reading, over every redirect.
func (c *httpSession) Do(sp scenario.Spec, in *Input, res *Result) {
	spec := sp.(*scenario.HTTPSpec)
	fe := in.Funcs
	c.Release()
	c.req, c.resp = fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	res.Reset()
	c.build(spec, in.Scope, fe)
	if err := fe.Err(); err != nil {
		res.Fail = &Failure{Outcome: metrics.Other, Msg: "render request: " + err.Error(), Err: err}
		res.End = time.Now()
		return
	}
	if !validURL(c.url) {
		// Rendered from variables at run time; the URL itself is not
		// quoted, since a variable in it may be a secret.
		res.Fail = &Failure{Outcome: metrics.Other, Msg: "the URL rendered at run time is not http:// or https:// with a host"}
		res.End = time.Now()
		return
	}
	start := time.Now()
	for hop := 0; ; hop++ {
		c.sendCookies(hop)
		c.exchange(spec, res)
		if res.Fail == nil && c.jar != nil {
			// Each hop's cookies are stored for the URL that set them, so
			// a login answered by a redirect keeps its session.
			uri := c.req.URI()
			c.jar.Store(uri.Host(), uri.Path(), &c.resp.Header)
		}
		if res.Fail != nil || hop >= spec.MaxRedirects || !isRedirect(c.resp.StatusCode()) {
			break
		}
		loc := c.resp.Header.Peek("Location")
		if len(loc) == 0 {
			break
		}
		uri := c.req.URI()
		c.origin = append(append(c.origin[:0], uri.Scheme()...), uri.Host()...)
		uri.UpdateBytes(loc)
		if !validURL(uri.FullURI()) {
			res.Fail = &Failure{Outcome: metrics.Other, Msg: "redirected to a URL that is not http:// or https://"}
			break
		}
		if !bytes.Equal(c.origin, append(append(c.buf[:0], uri.Scheme()...), uri.Host()...)) {
			// Another origin: as browsers and net/http do, credentials and
			// a Host override stay behind; the jar's cookies follow the
			// URL, hop by hop.
			c.req.Header.Del("Authorization")
			c.req.Header.Del("Proxy-Authorization")
			c.manual = c.manual[:0]
			c.req.UseHostHeader = false
		}
		if st := c.resp.StatusCode(); st == 303 || (st == 301 || st == 302) && !c.req.Header.IsGet() && !c.req.Header.IsHead() {
			// As browsers do: a 303, and a 301/302 after a POST, become a GET.
			c.req.Header.SetMethod("GET")
			c.req.ResetBody()
			// Del, not SetContentLength(0): a GET announces no length.
			c.req.Header.Del("Content-Length")
			c.req.Header.Del("Content-Type")
		}
	}
	res.End = time.Now()
	res.RT = res.End.Sub(start)
	res.Connect, c.dialed = c.dialed, 0
	res.URL = c.req.URI().AppendBytes(c.url[:0])
	c.url = res.URL
	res.Status = c.status(res.Fail)
	if res.Fail == nil {
		res.Body = c.resp.Body()
		res.Header = (*httpHeader)(c)
	}
}

// status is the response's status code, 0 when none arrived.
func (c *httpSession) status(fail *Failure) int {
	// fasthttp reports 200 for a header it never read, so StatusCode alone
	// cannot tell. After a failure a header was read only if its body then
	// failed, and a body that can fail has a length or is chunked: a header
	// never read, or reset by a failed read, has a zero length.
	if fail != nil && c.resp.Header.ContentLength() == 0 {
		return 0
	}
	return c.resp.StatusCode()
}

// httpHeader reads the headers of a session's response; converting the
// session to it costs nothing.
type httpHeader httpSession

// Peek is the value of the response header name, nil when it is absent.
func (h *httpHeader) Peek(name string) []byte {
	if h.resp == nil {
		return nil
	}
	return h.resp.Header.Peek(name)
}

// sendCookies writes the Cookie header of the hop about to be sent: the
// cookies the scenario wrote (until a redirect leaves their origin), then
// those of the jar that match the hop's URL and that the scenario did not
// name.
func (c *httpSession) sendCookies(hop int) {
	if hop > 0 {
		c.req.Header.DelAllCookies()
	}
	if len(c.manual) == 0 && (c.jar == nil || c.jar.Len() == 0) {
		return
	}
	v := append(c.cookie[:0], c.manual...)
	if c.jar != nil {
		uri := c.req.URI()
		v = c.jar.AppendHeader(v, c.manual, uri.Host(), uri.Path(), bytes.Equal(uri.Scheme(), []byte("https")))
	}
	c.cookie = v
	if len(v) > 0 {
		c.req.Header.SetBytesV("Cookie", v)
	}
}

// Release returns the last exchange's request and response to their pools.
func (c *httpSession) Release() {
	if c.req != nil {
		fasthttp.ReleaseRequest(c.req)
		fasthttp.ReleaseResponse(c.resp)
		c.req, c.resp = nil, nil
	}
}

// validURL reports whether a rendered URL is http:// or https:// with a
// host, so that nothing else is ever sent as plain HTTP.
func validURL(u []byte) bool {
	rest, ok := bytes.CutPrefix(u, []byte("http://"))
	if !ok {
		if rest, ok = bytes.CutPrefix(u, []byte("https://")); !ok {
			return false
		}
	}
	return len(rest) > 0 && rest[0] != '/' && rest[0] != '?' && rest[0] != '#'
}

func isRedirect(code int) bool {
	return code == 301 || code == 302 || code == 303 || code == 307 || code == 308
}

// build renders the request. Content-Type is set only when the body kind
// implies one and the scenario did not: perfcase adds no other header
// beyond Host and Content-Length.
func (c *httpSession) build(spec *scenario.HTTPSpec, scope scenario.Scope, fe *scenario.FuncEnv) {
	req := c.req
	req.Header.SetNoDefaultContentType(true)
	req.Header.DisableNormalizing()
	req.Header.SetMethod(spec.Method)
	if spec.Version == "HTTP/1.0" {
		req.Header.SetProtocol("HTTP/1.0")
	}
	c.manual = c.manual[:0]
	c.url = appendURL(c.url[:0], spec, scope, fe, &c.buf)
	req.SetRequestURIBytes(c.url)
	hasType := false
	for _, h := range spec.Headers {
		c.buf = h.Value.Append(c.buf[:0], scope, fe)
		if strings.EqualFold(h.Key, "Host") {
			req.Header.SetHostBytes(c.buf)
			req.UseHostHeader = true
			continue
		}
		if strings.EqualFold(h.Key, "Cookie") {
			// Sent per hop by sendCookies, beside the jar's.
			if len(c.manual) > 0 {
				c.manual = append(c.manual, "; "...)
			}
			c.manual = append(c.manual, c.buf...)
			continue
		}
		hasType = hasType || strings.EqualFold(h.Key, "Content-Type")
		req.Header.AddBytesV(h.Key, c.buf)
	}
	var kind bodyType
	c.body, kind = appendBody(c.body[:0], spec, scope, fe, c.bound, &c.buf)
	if !hasType && kind != noType {
		c.buf = kind.append(c.buf[:0], c.bound)
		req.Header.SetContentTypeBytes(c.buf)
	}
	if spec.BodyKind != scenario.BodyNone {
		req.SetBodyRaw(c.body)
	}
}

// appendURL renders a request's URL and query string into dst; buf is
// scratch.
func appendURL(dst []byte, spec *scenario.HTTPSpec, scope scenario.Scope, fe *scenario.FuncEnv, buf *[]byte) []byte {
	u := spec.URL.Append(dst, scope, fe)
	if len(spec.Query) > 0 {
		sep := byte('?')
		if bytes.IndexByte(u, '?') >= 0 {
			sep = '&'
		}
		for _, q := range spec.Query {
			u = append(u, sep)
			u = appendQueryEscaped(u, q.Key)
			u = append(u, '=')
			*buf = q.Value.Append((*buf)[:0], scope, fe)
			u = appendQueryEscaped(u, *buf)
			sep = '&'
		}
	}
	return u
}

// bodyType is the Content-Type a body's kind implies, which perfcase sets
// only when the scenario did not.
type bodyType uint8

const (
	noType bodyType = iota
	jsonType
	formType
	multipartType
)

// append writes the Content-Type's value; bound is the multipart
// boundary.
func (t bodyType) append(dst []byte, bound string) []byte {
	switch t {
	case jsonType:
		return append(dst, "application/json"...)
	case formType:
		return append(dst, "application/x-www-form-urlencoded"...)
	case multipartType:
		return append(append(dst, "multipart/form-data; boundary="...), bound...)
	}
	return dst
}

// appendBody renders a request's body into dst and says which
// Content-Type it implies; buf is scratch.
func appendBody(dst []byte, spec *scenario.HTTPSpec, scope scenario.Scope, fe *scenario.FuncEnv, bound string, buf *[]byte) ([]byte, bodyType) {
	switch spec.BodyKind {
	case scenario.BodyRaw:
		return spec.Body.Append(dst, scope, fe), noType
	case scenario.BodyJSON:
		return spec.Body.Append(dst, scope, fe), jsonType
	case scenario.BodyForm:
		for i, f := range spec.Form {
			if i > 0 {
				dst = append(dst, '&')
			}
			dst = appendQueryEscaped(dst, f.Key)
			dst = append(dst, '=')
			*buf = f.Value.Append((*buf)[:0], scope, fe)
			dst = appendQueryEscaped(dst, *buf)
		}
		return dst, formType
	case scenario.BodyMultipart:
		return appendMultipart(dst, spec.Parts, scope, fe, bound), multipartType
	}
	return dst, noType
}

func appendMultipart(b []byte, parts []scenario.PartSpec, scope scenario.Scope, fe *scenario.FuncEnv, bound string) []byte {
	for _, p := range parts {
		b = append(b, "--"...)
		b = append(b, bound...)
		b = append(b, "\r\nContent-Disposition: form-data; name=\""...)
		b = appendQuotedField(b, p.Name)
		b = append(b, '"')
		if p.Value == nil {
			b = append(b, "; filename=\""...)
			b = appendQuotedField(b, p.FileName)
			b = append(b, "\"\r\nContent-Type: "...)
			if p.ContentType != "" {
				b = append(b, p.ContentType...)
			} else {
				b = append(b, "application/octet-stream"...)
			}
			b = append(b, "\r\n\r\n"...)
			b = append(b, p.Content...)
		} else {
			if p.ContentType != "" {
				b = append(b, "\r\nContent-Type: "...)
				b = append(b, p.ContentType...)
			}
			b = append(b, "\r\n\r\n"...)
			b = p.Value.Append(b, scope, fe)
		}
		b = append(b, "\r\n"...)
	}
	b = append(b, "--"...)
	b = append(b, bound...)
	return append(b, "--\r\n"...)
}

// appendQuotedField escapes a multipart name as browsers do (WHATWG).
func appendQuotedField(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			b = append(b, "%22"...)
		case '\r':
			b = append(b, "%0D"...)
		case '\n':
			b = append(b, "%0A"...)
		default:
			b = append(b, s[i])
		}
	}
	return b
}

const hexUpper = "0123456789ABCDEF"

// appendQueryEscaped escapes s for a query string or a form body.
func appendQueryEscaped[T string | []byte](b []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-', ch == '.', ch == '_', ch == '~':
			b = append(b, ch)
		case ch == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hexUpper[ch>>4], hexUpper[ch&15])
		}
	}
	return b
}

// exchange sends c.req once over a kept-alive or new connection and reads
// the response. A kept-alive connection that the server closed while it
// was idle is replaced: for an idempotent method by sending again once
// when the exchange fails before any reply, as net/http does; for others,
// which must never be sent twice, by checking before use that a
// connection idle for more than a second is still open.
func (c *httpSession) exchange(spec *scenario.HTTPSpec, res *Result) {
	uri := c.req.URI()
	tlsOn := bytes.Equal(uri.Scheme(), []byte("https"))
	idempotent := isIdempotent(c.req.Header.Method())
	// A redirect's response must not outlive it: if this hop fails before
	// reading a header, Status reports none rather than the 3xx.
	c.resp.Reset()
	for attempt := 0; ; attempt++ {
		if c.cut.Load() {
			res.Fail = c.failure(string(uri.Host()), errInterrupted)
			return
		}
		hc, fail := c.conn(uri.Host(), tlsOn, spec)
		if fail != nil {
			res.Fail = fail
			return
		}
		reused := hc.used
		if reused && !idempotent && time.Since(hc.lastUsed) > probeIdle && !hc.alive() {
			c.drop(hc)
			continue
		}
		hc.used = true
		sent0, recv0 := hc.sent, hc.recv
		c.active.Store(hc)
		var err error
		if c.cut.Load() {
			// The run was cut while no connection was active for Interrupt
			// to reach.
			err = errInterrupted
		} else {
			err = c.roundTrip(hc, spec)
		}
		c.active.Store(nil)
		res.Sent += hc.sent - sent0
		res.Recv += hc.recv - recv0
		if err == nil {
			if c.resp.ConnectionClose() || c.req.Header.ConnectionClose() {
				c.drop(hc)
			}
			return
		}
		c.drop(hc)
		if idempotent && reused && attempt == 0 && hc.recv == recv0 && isNetErr(err) && !isTimeout(err) {
			continue
		}
		res.Fail = c.failure(hc.key[1:], err)
		return
	}
}

var errInterrupted = errors.New("interrupted by the end of the run")

// probeIdle is how long a connection may sit idle before a request that
// must not be sent twice checks it is still open. Servers close idle
// connections after seconds, not milliseconds, so the check is rare.
var probeIdle = time.Second

func isSmallBuffer(err error) bool {
	var small *fasthttp.ErrSmallBuffer
	return errors.As(err, &small)
}

// isIdempotent reports whether sending a request twice has the effect of
// sending it once (RFC 9110, 9.2.2).
func isIdempotent(method []byte) bool {
	switch string(method) {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, fasthttp.ErrTimeout) || errors.As(err, &ne) && ne.Timeout()
}

func (c *httpSession) failure(host string, err error) *Failure {
	if errors.Is(err, errBodyTooLarge) {
		return &Failure{Outcome: metrics.ParseFailed, Msg: "response body over " + strconv.Itoa(MaxBodySize>>20) + " MiB", Err: err}
	}
	var broken fasthttp.ErrBrokenChunk
	if errors.As(err, &broken) && broken.Error() == io.ErrUnexpectedEOF.Error() {
		// A chunked body cut before its end: fasthttp wraps the EOF
		// without Unwrap, which would make it look malformed.
		f := classifyNet("response from "+host, io.ErrUnexpectedEOF)
		f.Err = err
		return f
	}
	if errors.Is(err, errInterrupted) {
		return &Failure{Outcome: metrics.Other, Msg: err.Error(), Err: err}
	}
	if isNetErr(err) {
		return classifyNet("response from "+host, err)
	}
	return &Failure{Outcome: metrics.ParseFailed, Msg: "malformed response from " + host + ": " + parseError(err), Err: err}
}

// parseError is fasthttp's complaint without the response bytes it
// quotes, which may carry a cookie or a token.
func parseError(err error) string {
	msg := err.Error()
	if i := strings.IndexAny(msg, "\"\n"); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimRight(msg, " :.")
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

var errBodyTooLarge = fasthttp.ErrBodyTooLarge

func (c *httpSession) roundTrip(hc *hconn, spec *scenario.HTTPSpec) error {
	now := time.Now()
	hc.lastUsed = now // the start of its last exchange: close enough to tell idle from busy
	if err := hc.conn.SetDeadline(now.Add(spec.Timeout)); err != nil {
		return err
	}
	if c.cut.Load() {
		// Interrupt may have set its deadline just before this one.
		return errInterrupted
	}
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(hc)
	err := c.req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	writers.Put(bw)
	if err != nil {
		return err
	}
	// Let the other VUs run before reading: the reply is then usually
	// there, and the read does not first fail with EAGAIN and park on the
	// poller, a wasted system call per request under load.
	runtime.Gosched()
	br := readers.Get().(*bufio.Reader)
	br.Reset(hc)
	c.resp.SkipBody = c.req.Header.IsHead()
	err = c.resp.ReadLimitBody(br, MaxBodySize)
	if err != nil && isSmallBuffer(err) {
		// A header larger than the pooled reader (cookies, CSP, a JWT):
		// nothing was consumed, so read it again through a larger one.
		big := bigReaders.Get().(*bufio.Reader)
		big.Reset(br)
		err = c.resp.ReadLimitBody(big, MaxBodySize)
		if err == nil && big.Buffered() > 0 {
			c.resp.SetConnectionClose()
		}
		big.Reset(nil)
		bigReaders.Put(big)
	}
	if err == nil && br.Buffered() > 0 {
		// Bytes beyond the response: the connection's framing cannot be
		// trusted for the next request.
		c.resp.SetConnectionClose()
	}
	br.Reset(nil)
	readers.Put(br)
	return err
}

// conn returns the VU's connection to host, dialing one if needed.
func (c *httpSession) conn(host []byte, tlsOn bool, spec *scenario.HTTPSpec) (*hconn, *Failure) {
	for _, hc := range c.conns {
		if len(hc.key) == len(host)+1 && hc.key[1:] == string(host) && (hc.key[0] == 's') == tlsOn {
			return hc, nil
		}
	}
	key := "p" + string(host)
	if tlsOn {
		key = "s" + string(host)
	}
	addr := string(host)
	if _, _, err := net.SplitHostPort(addr); err != nil {
		bare := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]") // [::1]
		if tlsOn {
			addr = net.JoinHostPort(bare, "443")
		} else {
			addr = net.JoinHostPort(bare, "80")
		}
	}
	ctx, cancel := context.WithTimeout(c.ctx, spec.ConnectTimeout)
	defer cancel()
	dialStart := time.Now()
	defer func() { c.dialed += time.Since(dialStart) }()
	conn, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, classifyNet("connect to "+addr, err)
	}
	if tlsOn {
		cfg := tlsVerify
		if !spec.TLSVerify {
			cfg = tlsInsecure
		}
		name, _, _ := net.SplitHostPort(addr)
		cfg = cfg.Clone()
		cfg.ServerName = name
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, classifyNet("tls handshake with "+addr, err)
		}
		conn = tc
	}
	hc := &hconn{key: key, conn: conn}
	c.conns = append(c.conns, hc)
	return hc, nil
}

func (c *httpSession) drop(hc *hconn) {
	hc.conn.Close()
	for i, x := range c.conns {
		if x == hc {
			c.conns = append(c.conns[:i], c.conns[i+1:]...)
			return
		}
	}
}

// Interrupt cuts the exchange in flight, if any, so a VU stuck on a slow
// server stops when the run's grace period ends. Safe from any goroutine.
func (c *httpSession) Interrupt() {
	// The flag first: an exchange that sets its deadline after this reads
	// it, one that set it before gets the deadline below.
	c.cut.Store(true)
	if hc := c.active.Load(); hc != nil {
		hc.conn.SetDeadline(time.Unix(1, 0))
	}
}

// Close closes every connection of the session.
func (c *httpSession) Close() {
	c.Release()
	for _, hc := range c.conns {
		hc.conn.Close()
	}
	c.conns = nil
}
