package demo

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"sync/atomic"
)

// The web shop under /web/ is what a browser recording needs: pages with
// static assets, a login form with a CSRF token, a session cookie, a
// script that calls a JSON API with a key the API handed out and a token
// from a response header, and a redirect to a URL holding a fresh id.
// Every token is signed with a key made when the target starts, so a
// replay that sends a recorded token instead of the one this target just
// handed out is refused: only a correlated replay passes.

//go:embed web
var webFiles embed.FS

// shop is the web shop's state: the signing key and what it accepted and
// refused, which /web/stats reports.
type shop struct {
	key                 []byte
	csrfOK, csrfBad     atomic.Int64
	apiOK, apiBad       atomic.Int64
	ordersOK, ordersBad atomic.Int64
}

func newShop() *shop {
	key := make([]byte, 32)
	rand.Read(key)
	return &shop{key: key}
}

// sign makes a token of a kind: a random nonce and its MAC, so that a
// token of one kind is no token of another.
func (sh *shop) sign(kind string) string {
	nonce := make([]byte, 12)
	rand.Read(nonce)
	n := base64.RawURLEncoding.EncodeToString(nonce)
	return n + "." + sh.mac(kind, n)
}

func (sh *shop) mac(kind, nonce string) string {
	m := hmac.New(sha256.New, sh.key)
	m.Write([]byte(kind + "." + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (sh *shop) valid(kind, token string) bool {
	nonce, mac, ok := strings.Cut(token, ".")
	return ok && hmac.Equal([]byte(mac), []byte(sh.mac(kind, nonce)))
}

// check counts a token as accepted or refused.
func (sh *shop) check(kind, token string, ok, bad *atomic.Int64) bool {
	if sh.valid(kind, token) {
		ok.Add(1)
		return true
	}
	bad.Add(1)
	return false
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html><head><meta charset="utf-8"><title>{{.}} - perfcase demo shop</title>
<link rel="stylesheet" href="/web/static/style.css">
<script src="/web/static/app.js" defer></script></head>
<body><header><img src="/web/static/logo.png" alt="" width="16" height="16"><h1>{{.}}</h1></header>
{{end}}
{{define "login"}}{{template "head" "Log in"}}
<form method="post" action="/web/login">
<input type="hidden" name="csrf" value="{{.}}">
<label>User <input name="user" required></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Log in</button>
</form>
</body></html>
{{end}}
{{define "account"}}{{template "head" "Account"}}
<p>Logged in as <b id="user">{{.User}}</b>.</p>
<p id="cart">cart: loading</p>
<form method="post" action="/web/order">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Item <input name="item" value="3"></label>
<button type="submit">Order</button>
</form>
</body></html>
{{end}}
{{define "order"}}{{template "head" "Order placed"}}
<p>Order <code id="order">{{.}}</code> is placed.</p>
</body></html>
{{end}}
`))

func (s *Server) webRoutes(mux *http.ServeMux) {
	sh := s.shop
	static := http.FileServerFS(webFiles)
	mux.Handle("GET /web/static/", http.StripPrefix("/web/static", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		r.URL.Path = "/web" + r.URL.Path
		static.ServeHTTP(w, r)
	})))
	mux.HandleFunc("GET /web/{$}", func(w http.ResponseWriter, r *http.Request) {
		page(w, "login", sh.sign("csrf"))
	})
	mux.HandleFunc("POST /web/login", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if !sh.check("csrf", r.PostFormValue("csrf"), &sh.csrfOK, &sh.csrfBad) {
			writeError(w, http.StatusForbidden, "the csrf field is not a token this target handed out: send the one GET /web/ gave")
			return
		}
		user := r.PostFormValue("user")
		if user == "" {
			writeError(w, http.StatusBadRequest, `the form field "user" is missing or empty`)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: tokenPrefix + user, Path: "/", HttpOnly: true})
		http.Redirect(w, r, "/web/account", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /web/account", func(w http.ResponseWriter, r *http.Request) {
		user, ok := sessionUser(r)
		if !ok {
			http.Redirect(w, r, "/web/", http.StatusSeeOther)
			return
		}
		page(w, "account", struct{ User, CSRF string }{user, sh.sign("csrf")})
	})
	mux.HandleFunc("GET /web/api/profile", func(w http.ResponseWriter, r *http.Request) {
		user, ok := sessionUser(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, "no session cookie: log in at POST /web/login first")
			return
		}
		w.Header().Set("X-Csrf-Token", sh.sign("csrf"))
		writeJSON(w, http.StatusOK, map[string]string{"user": user, "api_key": sh.sign("api")})
	})
	mux.HandleFunc("POST /web/api/cart", func(w http.ResponseWriter, r *http.Request) {
		key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !sh.check("api", key, &sh.apiOK, &sh.apiBad) {
			writeError(w, http.StatusUnauthorized, "Authorization is not Bearer <an api_key GET /web/api/profile gave>")
			return
		}
		if !sh.check("csrf", r.Header.Get("X-Csrf-Token"), &sh.csrfOK, &sh.csrfBad) {
			writeError(w, http.StatusForbidden, "X-Csrf-Token is not the token GET /web/api/profile's header gave")
			return
		}
		var in struct {
			Item int `json:"item"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&in); err != nil || in.Item < 1 {
			writeError(w, http.StatusBadRequest, `want a JSON body {"item": N} with N from 1`)
			return
		}
		writeJSON(w, http.StatusOK, map[string][]int{"items": {in.Item}})
	})
	mux.HandleFunc("POST /web/order", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if _, ok := sessionUser(r); !ok {
			writeError(w, http.StatusUnauthorized, "no session cookie: log in at POST /web/login first")
			return
		}
		if !sh.check("csrf", r.PostFormValue("csrf"), &sh.csrfOK, &sh.csrfBad) {
			writeError(w, http.StatusForbidden, "the csrf field is not a token this target handed out: send the one GET /web/account gave")
			return
		}
		http.Redirect(w, r, "/web/orders/"+sh.sign("order"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /web/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !sh.check("order", id, &sh.ordersOK, &sh.ordersBad) {
			writeError(w, http.StatusNotFound, "no such order: the id is not one POST /web/order's redirect gave")
			return
		}
		page(w, "order", id)
	})
	mux.HandleFunc("GET /web/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, sh.stats())
	})
}

// Stats are the tokens the web shop accepted and refused.
type Stats struct {
	CSRFOK    int64 `json:"csrf_ok"`
	CSRFBad   int64 `json:"csrf_bad"`
	APIOK     int64 `json:"api_ok"`
	APIBad    int64 `json:"api_bad"`
	OrdersOK  int64 `json:"orders_ok"`
	OrdersBad int64 `json:"orders_bad"`
}

func (sh *shop) stats() Stats {
	return Stats{sh.csrfOK.Load(), sh.csrfBad.Load(), sh.apiOK.Load(), sh.apiBad.Load(), sh.ordersOK.Load(), sh.ordersBad.Load()}
}

// sessionUser is the user of the session cookie /login or /web/login set.
func sessionUser(r *http.Request) (string, bool) {
	c, err := r.Cookie("session")
	if err != nil {
		return "", false
	}
	user, ok := strings.CutPrefix(c.Value, tokenPrefix)
	return user, ok && user != ""
}

func page(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The templates are fixed: only a client gone away can fail them.
	pages.ExecuteTemplate(w, name, data)
}
