package protocols

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// cookieServer is a real HTTP server on 127.0.0.1: /set?c=... answers with
// the Set-Cookie header c (several c for several headers), /show answers
// with the Cookie header it received (on every path under it too), and
// /hop?to=URL&c=... sets c and redirects to URL.
func cookieServer(t *testing.T, tls bool) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, c := range r.URL.Query()["c"] {
			w.Header().Add("Set-Cookie", c)
		}
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		io.WriteString(w, strings.Join(r.Header.Values("Cookie"), " | "))
	})
	srv := httptest.NewServer(h)
	if tls {
		srv.Close()
		srv = httptest.NewTLSServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

// jarClient is a client with a jar on a fake clock, which the test moves.
func jarClient(t *testing.T) (*httpSession, *time.Time) {
	t.Helper()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	jar := NewJar()
	jar.now = func() time.Time { return now }
	c := newHTTP(Config{Ctx: context.Background(), Seed: 1, Jar: jar})
	t.Cleanup(c.Close)
	return c, &now
}

// get sends a GET (with the given headers, as the scenario writes them)
// and returns what the server echoed: the Cookie header it received.
func get(t *testing.T, c *httpSession, url string, headers string) string {
	t.Helper()
	step := `{url: "` + url + `", tls_verify: false` + headers + `}`
	o := do(c, spec(t, "", step))
	mustOK(t, o, 200)
	return o.body
}

func setURL(base string, cookies ...string) string {
	u := base + "/set?"
	for i, c := range cookies {
		if i > 0 {
			u += "&"
		}
		u += "c=" + strings.NewReplacer(" ", "%20", ";", "%3B", "=", "%3D", ",", "%2C", ":", "%3A").Replace(c)
	}
	return u
}

func TestCookieJar(t *testing.T) {
	srv := cookieServer(t, false)
	base := srv.URL                                             // http://127.0.0.1:port
	local := strings.Replace(base, "127.0.0.1", "localhost", 1) // the same server, by another host name
	tls := cookieServer(t, true)

	type req struct {
		url, headers string
		want         string // the Cookie header the server must see
	}
	tests := []struct {
		name string
		reqs []req
	}{
		{"a session cookie set by a login is sent after it, HttpOnly or not", []req{
			{setURL(base, "session=abc; Path=/; HttpOnly", "theme=dark"), "", ""},
			{base + "/show", "", "session=abc; theme=dark"},
			{base + "/show/deeper", "", "session=abc; theme=dark"},
		}},
		{"a cookie set again replaces the old value, keeping its place", []req{
			{setURL(base, "a=1", "b=2"), "", ""},
			{setURL(base, "a=3"), "", "a=1; b=2"},
			{base + "/show", "", "a=3; b=2"},
		}},
		{"path scoping: a Path attribute, and the default path of the URL that set it", []req{
			{setURL(base, "scoped=1; Path=/show/app", "root=1; Path=/"), "", ""},
			{base + "/show/app/x/set?c=dflt%3D1", "", "scoped=1; root=1"}, // default path /show/app/x
			{base + "/show/app/x/y", "", "dflt=1; scoped=1; root=1"},      // longest path first
			{base + "/show/app", "", "scoped=1; root=1"},
			{base + "/show/apple", "", "root=1"},
			{base + "/show", "", "root=1"},
		}},
		{"host-only: a cookie without Domain goes back to its host alone", []req{
			{setURL(base, "ip=1"), "", ""},
			{local + "/show", "", ""},
			{base + "/show", "", "ip=1"},
		}},
		{"domain: a Domain the host may set is kept, any other is ignored", []req{
			{setURL(local, "d=1; Domain=localhost", "dot=1; Domain=.LOCALHOST", "evil=1; Domain=example.com"), "", ""},
			{local + "/show", "", "d=1; dot=1"},
			{base + "/show", "", ""},
			{setURL(base, "ipd=1; Domain=127.0.0.1", "other=1; Domain=127.0.0.2"), "", ""},
			{base + "/show", "", "ipd=1"},
		}},
		{"Max-Age=0 and an Expires in the past delete a cookie", []req{
			{setURL(base, "a=1", "b=2", "c=3"), "", ""},
			{setURL(base, "a=; Max-Age=0", "b=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"), "", "a=1; b=2; c=3"},
			{base + "/show", "", "c=3"},
		}},
		{"the scenario's Cookie header is sent first, and wins over the jar's cookie of the same name", []req{
			{setURL(base, "session=jar", "other=2"), "", ""},
			{base + "/show", `, headers: {Cookie: "session=mine; x=1"}`, "session=mine; x=1; other=2"},
			{base + "/show", "", "session=jar; other=2"},
		}},
		{"every Set-Cookie of a redirect chain is kept, each hop sending its URL's cookies", []req{
			{base + "/hop?c=step1%3D1&to=" + base + "/hop%3Fc%3Dstep2%253D2%26to%3D/show", "", "step1=1; step2=2"},
			{base + "/show", "", "step1=1; step2=2"},
		}},
		{"a redirect to another origin carries that origin's cookies, not the scenario's", []req{
			{setURL(local, "there=1"), "", ""},
			{base + "/hop?c=here%3D1&to=" + local + "/show", `, headers: {Cookie: "manual=1"}`, "there=1"},
			{base + "/show", "", "here=1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := jarClient(t)
			for i, r := range tt.reqs {
				if got := get(t, c, r.url, r.headers); got != r.want {
					t.Errorf("request %d (%s): the server saw Cookie %q, want %q", i, r.url, got, r.want)
				}
			}
		})
	}

	t.Run("a Secure cookie goes over https only", func(t *testing.T) {
		c, _ := jarClient(t)
		get(t, c, setURL(base, "sec=1; Secure", "plain=1"), "")
		if got := get(t, c, base+"/show", ""); got != "plain=1" {
			t.Errorf("over http the server saw %q, want plain=1 alone", got)
		}
		// The TLS server is another port of 127.0.0.1: cookies ignore ports.
		if got := get(t, c, tls.URL+"/show", ""); got != "sec=1; plain=1" {
			t.Errorf("over https the server saw %q, want both", got)
		}
	})

	t.Run("cookies expire by Max-Age and Expires on the jar's clock", func(t *testing.T) {
		c, now := jarClient(t)
		at := now.Add(90 * time.Second).Format(http.TimeFormat)
		get(t, c, setURL(base, "brief=1; Max-Age=60", "dated=1; Expires="+at, "session=1"), "")
		if got := get(t, c, base+"/show", ""); got != "brief=1; dated=1; session=1" {
			t.Errorf("at once: %q", got)
		}
		*now = now.Add(60 * time.Second)
		if got := get(t, c, base+"/show", ""); got != "dated=1; session=1" {
			t.Errorf("after 60 s: %q, want brief expired", got)
		}
		*now = now.Add(30 * time.Second)
		if got := get(t, c, base+"/show", ""); got != "session=1" {
			t.Errorf("after 90 s: %q, want dated expired too", got)
		}
		if c.jar.Get("brief") != "" || c.jar.Get("session") != "1" {
			t.Errorf("Get(brief) = %q, Get(session) = %q", c.jar.Get("brief"), c.jar.Get("session"))
		}
	})

	t.Run("Clear empties the jar", func(t *testing.T) {
		c, _ := jarClient(t)
		get(t, c, setURL(base, "session=1"), "")
		c.jar.Clear()
		if got := get(t, c, base+"/show", ""); got != "" {
			t.Errorf("after Clear the server saw %q", got)
		}
		get(t, c, setURL(base, "session=2"), "")
		if got := get(t, c, base+"/show", ""); got != "session=2" {
			t.Errorf("a jar cleared then filled again sends %q", got)
		}
	})

	t.Run("without a jar nothing is kept; the scenario's Cookie header is sent", func(t *testing.T) {
		c := newClient(t)
		get(t, c, setURL(base, "session=1"), "")
		if got := get(t, c, base+"/show", ""); got != "" {
			t.Errorf("without a jar the server saw %q", got)
		}
		if got := get(t, c, base+"/show", `, headers: {Cookie: "a=1", cookie: "b=2"}`); got != "a=1; b=2" {
			t.Errorf("the scenario's Cookie headers reached the server as %q", got)
		}
	})
}

// Get returns the cookie stored last of those with the name.
func TestCookieJarGet(t *testing.T) {
	srv := cookieServer(t, false)
	c, _ := jarClient(t)
	get(t, c, setURL(srv.URL, "id=root; Path=/", "id=deep; Path=/show"), "")
	if got := c.jar.Get("id"); got != "deep" {
		t.Errorf("Get(id) = %q, want the one stored last", got)
	}
	if got := c.jar.Get("none"); got != "" {
		t.Errorf("Get(none) = %q", got)
	}
	var nilJar *Jar
	if nilJar.Get("id") != "" {
		t.Error("a nil jar has cookies")
	}
}

// Domain matching as RFC 6265 §5.1.3 has it, for names a test cannot
// resolve: a domain cookie reaches subdomains, never a parent or a
// sibling, and an IP address matches only itself.
func TestCookieDomainMatch(t *testing.T) {
	for _, tt := range []struct {
		host, domain string
		want         bool
	}{
		{"example.com", "example.com", true},
		{"www.example.com", "example.com", true},
		{"a.b.example.com", "example.com", true},
		{"example.com", "www.example.com", false},
		{"badexample.com", "example.com", false},
		{"www.example.org", "example.com", false},
		{"10.0.0.1", "0.0.1", false},
		{"10.0.0.1", "10.0.0.1", true},
		{"::1", "::1", true},
	} {
		if got := domainMatch([]byte(tt.host), []byte(tt.domain)); got != tt.want {
			t.Errorf("domainMatch(%s, %s) = %v, want %v", tt.host, tt.domain, got, tt.want)
		}
	}
	j := NewJar()
	var h fasthttp.ResponseHeader
	if err := h.Read(bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nSet-Cookie: w=1; Domain=example.com\r\nSet-Cookie: h=1\r\n\r\n"))); err != nil {
		t.Fatal(err)
	}
	j.Store([]byte("www.example.com:8080"), []byte("/"), &h)
	for _, tt := range []struct{ host, want string }{
		{"api.example.com", "w=1"},
		{"www.example.com", "w=1; h=1"},
		{"example.com", "w=1"},
		{"example.org", ""},
	} {
		if got := string(j.AppendHeader(nil, nil, []byte(tt.host), []byte("/"), false)); got != tt.want {
			t.Errorf("to %s: %q, want %q", tt.host, got, tt.want)
		}
	}
}

// A jar keeps at most maxCookies, dropping the oldest, and ignores a
// cookie over maxCookieSize.
func TestCookieJarLimits(t *testing.T) {
	j := NewJar()
	var raw strings.Builder
	raw.WriteString("HTTP/1.1 200 OK\r\n")
	for i := range maxCookies + 5 {
		fmt.Fprintf(&raw, "Set-Cookie: c%d=%d\r\n", i, i)
	}
	fmt.Fprintf(&raw, "Set-Cookie: big=%s\r\n\r\n", strings.Repeat("x", maxCookieSize))
	var h fasthttp.ResponseHeader
	if err := h.Read(bufio.NewReaderSize(strings.NewReader(raw.String()), 1<<20)); err != nil {
		t.Fatal(err)
	}
	j.Store([]byte("127.0.0.1:80"), []byte("/"), &h)
	if j.Len() != maxCookies || j.Get("c4") != "" || j.Get("c5") != "5" || j.Get(fmt.Sprintf("c%d", maxCookies+4)) == "" || j.Get("big") != "" {
		t.Errorf("jar holds %d cookies; c4 %q, c5 %q, big %d bytes", j.Len(), j.Get("c4"), j.Get("c5"), len(j.Get("big")))
	}
}
