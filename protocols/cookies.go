package protocols

import (
	"bytes"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Jar is one VU's cookies, kept as a browser keeps a session's (RFC 6265):
// a response's Set-Cookie stores a cookie for its domain (or, without a
// Domain attribute, for the exact host) and path; a request carries the
// cookies whose domain, path and Secure flag match its URL, longest path
// first, until they expire. There is no public-suffix list: a load test
// talks to hosts it chose. HttpOnly is kept and changes nothing on the
// wire, since the flag hides a cookie from a page's scripts and perfcase
// runs none.
//
// A Jar allocates when a cookie is first stored; sending steady cookies,
// and storing a cookie again with a value no longer than before, do not.
// Each VU owns one, used by its goroutine alone, without a lock, except
// while the VU's lanes send a together: step's requests: then it is
// shared (Share) and every method locks.
type Jar struct {
	shared bool       // set and cleared by the VU while no lane runs
	mu     sync.Mutex // held by every method while shared

	cookies []jarCookie
	parsed  *fasthttp.Cookie // made at the first Set-Cookie: most VUs of a load test never see one
	order   []int            // scratch: the matching cookies, in sending order
	host    []byte
	seq     uint64
	// now is the jar's clock, for expiry; time.Now unless a test sets it.
	now func() time.Time
}

type jarCookie struct {
	name, value     []byte
	domain, path    []byte
	hostOnly        bool
	secure          bool
	httpOnly        bool
	expires         time.Time // zero: a session cookie, kept while the VU lives
	created, stored uint64    // the order cookies were first set, and last set
}

// Limits that keep a hostile or buggy server from growing a VU's memory
// without bound: RFC 6265 asks user agents for at least 4096 bytes per
// cookie and 50 per domain; a VU keeps up to maxCookies in all and drops
// the oldest to make room.
const (
	maxCookies    = 200
	maxCookieSize = 4096
)

// Share makes the jar safe for the VU's lanes (on) or its goroutine's
// alone again (off). Call it only while no lane uses the jar: before
// handing them work, after they are done.
func (j *Jar) Share(on bool) { j.shared = on }

// lock locks the jar while it is shared; unlock undoes it.
func (j *Jar) lock() {
	if j.shared {
		j.mu.Lock()
	}
}

func (j *Jar) unlock() {
	if j.shared {
		j.mu.Unlock()
	}
}

// NewJar returns an empty jar on the wall clock.
func NewJar() *Jar { return &Jar{now: time.Now} }

// Clear forgets every cookie, as a new browser session would start. A nil
// Jar has nothing to clear.
func (j *Jar) Clear() {
	if j != nil {
		j.lock()
		defer j.unlock()
		j.cookies = j.cookies[:0]
	}
}

// Len is the number of cookies held, expired ones included until they are
// next looked at.
func (j *Jar) Len() int {
	j.lock()
	defer j.unlock()
	return len(j.cookies)
}

// Get returns the value of the cookie named name, or "" when there is
// none (or no jar). Of several with that name (other domains or paths),
// the one stored last.
func (j *Jar) Get(name string) string {
	if j == nil {
		return ""
	}
	j.lock()
	defer j.unlock()
	now := j.now()
	best := -1
	for i := range j.cookies {
		c := &j.cookies[i]
		if string(c.name) != name || c.expired(now) {
			continue
		}
		if best < 0 || c.stored > j.cookies[best].stored {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return string(j.cookies[best].value)
}

func (c *jarCookie) expired(now time.Time) bool {
	return !c.expires.IsZero() && !now.Before(c.expires)
}

// canonicalHost is a URI's host as cookies name it: lowercase, without
// the port, and an IPv6 address without its brackets.
func (j *Jar) canonicalHost(hostPort []byte) []byte {
	h := hostPort
	if len(h) > 0 && h[0] == '[' {
		if end := bytes.IndexByte(h, ']'); end > 0 {
			h = h[1:end]
		}
	} else if i := bytes.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	j.host = append(j.host[:0], h...)
	for i, ch := range j.host {
		if 'A' <= ch && ch <= 'Z' {
			j.host[i] = ch + 'a' - 'A'
		}
	}
	return j.host
}

// isIP reports whether a canonical host is an IP address, which only an
// identical domain matches: an IPv6 address has colons, an IPv4 one only
// digits and dots (no top-level domain is all digits).
func isIP(host []byte) bool {
	if bytes.IndexByte(host, ':') >= 0 {
		return true
	}
	for _, ch := range host {
		if ch != '.' && (ch < '0' || ch > '9') {
			return false
		}
	}
	return len(host) > 0
}

// domainMatch is RFC 6265 §5.1.3.
func domainMatch(host, domain []byte) bool {
	if bytes.Equal(host, domain) {
		return true
	}
	n := len(host) - len(domain)
	return n > 1 && host[n-1] == '.' && bytes.Equal(host[n:], domain) && !isIP(host)
}

// pathMatch is RFC 6265 §5.1.4.
func pathMatch(reqPath, cookiePath []byte) bool {
	if !bytes.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return len(reqPath) == len(cookiePath) || cookiePath[len(cookiePath)-1] == '/' || reqPath[len(cookiePath)] == '/'
}

// defaultPath is RFC 6265 §5.1.4's default-path of a request path: up to,
// not including, its last slash; "/" when that leaves nothing.
func defaultPath(reqPath []byte) []byte {
	if len(reqPath) == 0 || reqPath[0] != '/' {
		return []byte("/")
	}
	i := bytes.LastIndexByte(reqPath, '/')
	if i == 0 {
		return []byte("/")
	}
	return reqPath[:i]
}

// Store keeps the cookies a response set (every Set-Cookie header), for
// the URL whose host and path it answered.
func (j *Jar) Store(hostPort, reqPath []byte, resp *fasthttp.ResponseHeader) {
	j.lock()
	defer j.unlock()
	var now time.Time
	for _, v := range resp.Cookies() {
		if now.IsZero() {
			now = j.now()
		}
		j.store(hostPort, reqPath, v, now)
	}
}

// StoreLines keeps the cookies of a response's Set-Cookie header lines,
// as net/http holds them, for the URL whose host and path it answered.
func (j *Jar) StoreLines(hostPort, reqPath []byte, setCookies []string) {
	j.lock()
	defer j.unlock()
	var now time.Time
	for _, v := range setCookies {
		if now.IsZero() {
			now = j.now()
		}
		j.store(hostPort, reqPath, []byte(v), now)
	}
}

func (j *Jar) store(hostPort, reqPath, setCookie []byte, now time.Time) {
	if j.parsed == nil {
		j.parsed = new(fasthttp.Cookie)
	}
	p := j.parsed
	if p.ParseBytes(setCookie) != nil || len(p.Key()) == 0 || len(p.Key())+len(p.Value()) > maxCookieSize {
		return // a cookie the RFC says to ignore, or too large to keep
	}
	host := j.canonicalHost(hostPort)
	var expires time.Time
	switch age := p.MaxAge(); {
	case age < 0:
		expires = time.Unix(0, 0) // Max-Age=0 or less: expire it now
	case age > 0:
		expires = now.Add(time.Duration(age) * time.Second)
	case !p.Expire().Equal(fasthttp.CookieExpireUnlimited):
		expires = p.Expire()
	}
	domain, hostOnly := bytes.TrimPrefix(p.Domain(), []byte(".")), false
	if len(domain) == 0 {
		domain, hostOnly = host, true
	} else {
		lowerASCII(domain)
		if !domainMatch(host, domain) {
			return // a domain the host may not set cookies for
		}
	}
	path := p.Path()
	if len(path) == 0 || path[0] != '/' {
		path = defaultPath(reqPath)
	}
	for i := range j.cookies {
		c := &j.cookies[i]
		if bytes.Equal(c.name, p.Key()) && bytes.Equal(c.domain, domain) && bytes.Equal(c.path, path) {
			if !expires.IsZero() && !now.Before(expires) {
				j.remove(i)
				return
			}
			j.seq++
			c.value = append(c.value[:0], p.Value()...)
			c.hostOnly, c.secure, c.httpOnly, c.expires, c.stored = hostOnly, p.Secure(), p.HTTPOnly(), expires, j.seq
			return
		}
	}
	if !expires.IsZero() && !now.Before(expires) {
		return // already expired: nothing to delete, nothing to keep
	}
	if len(j.cookies) >= maxCookies {
		oldest := 0
		for i := range j.cookies {
			if j.cookies[i].created < j.cookies[oldest].created {
				oldest = i
			}
		}
		j.remove(oldest)
	}
	j.seq++
	// Reuse the buffers of an element a Clear or a removal left behind.
	if n := len(j.cookies); n < cap(j.cookies) {
		j.cookies = j.cookies[:n+1]
	} else {
		j.cookies = append(j.cookies, jarCookie{})
	}
	c := &j.cookies[len(j.cookies)-1]
	*c = jarCookie{
		name: append(c.name[:0], p.Key()...), value: append(c.value[:0], p.Value()...),
		domain: append(c.domain[:0], domain...), path: append(c.path[:0], path...),
		hostOnly: hostOnly, secure: p.Secure(), httpOnly: p.HTTPOnly(), expires: expires, created: j.seq, stored: j.seq,
	}
}

func (j *Jar) remove(i int) {
	last := len(j.cookies) - 1
	j.cookies[i], j.cookies[last] = j.cookies[last], j.cookies[i]
	j.cookies = j.cookies[:last]
}

func lowerASCII(b []byte) {
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
}

// AppendHeader appends to dst the cookies a request to the URL (host,
// path, https or not) carries, as a Cookie header's value: longest path
// first, then the oldest first (RFC 6265 §5.4), each "name=value" after a
// "; " unless dst is empty. A cookie whose name manual already holds is
// left out: the one the scenario wrote wins. Expired cookies are dropped.
func (j *Jar) AppendHeader(dst, manual, hostPort, reqPath []byte, secure bool) []byte {
	j.lock()
	defer j.unlock()
	if len(j.cookies) == 0 {
		return dst
	}
	host := j.canonicalHost(hostPort)
	now := j.now()
	j.order = j.order[:0]
	for i := 0; i < len(j.cookies); i++ {
		c := &j.cookies[i]
		if c.expired(now) {
			j.remove(i)
			i--
			continue
		}
		if c.secure && !secure || !pathMatch(reqPath, c.path) || hasCookieName(manual, c.name) {
			continue
		}
		if c.hostOnly && !bytes.Equal(host, c.domain) || !c.hostOnly && !domainMatch(host, c.domain) {
			continue
		}
		// Insertion sort: a VU holds a handful of cookies.
		k := len(j.order)
		j.order = append(j.order, i)
		for ; k > 0 && j.before(i, j.order[k-1]); k-- {
			j.order[k] = j.order[k-1]
		}
		j.order[k] = i
	}
	for _, i := range j.order {
		c := &j.cookies[i]
		if len(dst) > 0 {
			dst = append(dst, "; "...)
		}
		dst = append(dst, c.name...)
		dst = append(dst, '=')
		dst = append(dst, c.value...)
	}
	return dst
}

// before reports whether cookie a is sent before cookie b.
func (j *Jar) before(a, b int) bool {
	ca, cb := &j.cookies[a], &j.cookies[b]
	if len(ca.path) != len(cb.path) {
		return len(ca.path) > len(cb.path)
	}
	return ca.created < cb.created
}

// hasCookieName reports whether a Cookie header value holds a cookie
// named name.
func hasCookieName(header, name []byte) bool {
	for len(header) > 0 {
		pair := header
		if i := bytes.IndexByte(header, ';'); i >= 0 {
			pair, header = header[:i], header[i+1:]
		} else {
			header = nil
		}
		pair = bytes.TrimLeft(pair, " ")
		if k, _, _ := bytes.Cut(pair, []byte("=")); bytes.Equal(bytes.TrimRight(k, " "), name) {
			return true
		}
	}
	return false
}
