package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/internal/media"
)

const (
	// maxBody bounds what /login and /echo read, so a runaway client
	// cannot make the target hold unbounded memory.
	maxBody = 10 << 20
	// maxDelay caps /delay, so a typo cannot park a connection for hours.
	maxDelay = 10 * time.Second
)

// index is what GET / answers: the endpoints, for someone exploring the
// target with curl.
const index = `perfcase demo target

POST /login          {"user": "...", "password": "..."} -> {"token": "tok-<user>"},
                     and the same token as the cookie session (Path=/, HttpOnly)
GET  /whoami         {"user": "..."} of the session cookie; 401 without one
GET  /items/{id}     an item: {"id", "sku", "name", "price"}; ?fields=id,name picks fields;
                     "Authorization: Bearer <token>" is optional, but checked when sent
ANY  /echo           the request body back, with its Content-Type
ANY  /delay?ms=N     answers after N ms (at most 10000)
ANY  /status/{code}  answers with that status (200-599); 301, 302, 303, 307
                     and 308 redirect to /items/1
ANY  /counter        {"count": N}, N growing by one per request
GET  /ws             WebSocket echo of text and binary messages
GET  /hls/master.m3u8 a live HLS stream since the target started: two variants
                     (low.m3u8, high.m3u8) of 2 s segments, looped
GET  /live.flv       a live HTTP-FLV stream: a 4 s clip (H.264 and AAC, a key frame
                     a second) looped at its own pace, for as long as the client reads

GET  /web/           a web shop for browser recordings (perfcase import --from har):
                     a login page with static assets (/web/static/) and a CSRF token;
                     its form logs in (session cookie) and leads to /web/account, whose
                     script calls /web/api/profile and /web/api/cart, and whose order
                     form redirects to /web/orders/{id}. Every token is signed per
                     target start: a replay must send the ones this target handed out.
GET  /web/stats      {"csrf_ok", "csrf_bad", "api_ok", "api_bad", "orders_ok", "orders_bad"}:
                     the shop's tokens accepted and refused
`

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, index)
	})
	mux.HandleFunc("POST /login", login)
	mux.HandleFunc("GET /whoami", whoami)
	mux.HandleFunc("GET /items/{id}", getItem)
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/delay", s.delay)
	mux.HandleFunc("/status/{code}", status)
	mux.HandleFunc("/counter", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]int64{"count": s.counter.Add(1)})
	})
	mux.HandleFunc("GET /ws", s.echoWebSocket)
	// The live streams hls: and flv: steps play, made of the assets in
	// internal/media: nothing to install.
	mux.Handle("GET /hls/", http.StripPrefix("/hls", &media.LiveHLS{Start: time.Now()}))
	mux.Handle("GET /live.flv", media.NewLiveFLV())
	s.webRoutes(mux)
	return mux
}

// tokenPrefix starts every token /login hands out; /items recognises a
// token by it, so no session state is needed.
const tokenPrefix = "tok-"

func login(w http.ResponseWriter, r *http.Request) {
	var creds struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&creds); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want a JSON body {\"user\": ..., \"password\": ...}: %v", err))
		return
	}
	if creds.User == "" {
		writeError(w, http.StatusBadRequest, `"user" is missing or empty`)
		return
	}
	// Any password is accepted: the token depends on the user alone, so
	// runs are reproducible. It is also the session cookie, for clients
	// that keep cookies as browsers do.
	http.SetCookie(w, &http.Cookie{Name: "session", Value: tokenPrefix + creds.User, Path: "/", HttpOnly: true})
	writeJSON(w, http.StatusOK, map[string]string{"token": tokenPrefix + creds.User})
}

// whoami names the user of the session cookie /login set.
func whoami(w http.ResponseWriter, r *http.Request) {
	user, ok := sessionUser(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "no session cookie from POST /login: log in first, and keep the cookies it sets")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"user": user})
}

// item is one catalogue entry. The fields are omitempty so ?fields= can
// leave some out; no real item has a zero field.
type item struct {
	ID    int     `json:"id,omitempty"`
	SKU   string  `json:"sku,omitempty"`
	Name  string  `json:"name,omitempty"`
	Price float64 `json:"price,omitempty"`
}

// products are the kinds of item, the rows of examples/data/products.csv:
// item n is product (n-1) mod 4, with the SKU letter of that product and
// n as its number, so items 1-4 are that file's rows.
var products = []struct {
	letter byte
	name   string
	price  float64
}{
	{'A', "Blue mug", 12.50},
	{'B', "Red scarf", 24.00},
	{'C', "Green lamp", 49.90},
	{'D', "Yellow kite", 8.75},
}

func getItem(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id < 1 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no item %q; items are numbered from 1", r.PathValue("id")))
		return
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		user, ok := strings.CutPrefix(auth, "Bearer "+tokenPrefix)
		if !ok || user == "" {
			writeError(w, http.StatusUnauthorized, "the Authorization header is not \"Bearer <token from /login>\"; send a token from POST /login, or no Authorization header")
			return
		}
	}
	p := products[(id-1)%len(products)]
	it := item{ID: id, SKU: fmt.Sprintf("%c-%d", p.letter, id), Name: p.name, Price: p.price}
	if fields := r.URL.Query().Get("fields"); fields != "" {
		var picked item
		for f := range strings.SplitSeq(fields, ",") {
			switch strings.TrimSpace(f) {
			case "id":
				picked.ID = it.ID
			case "sku":
				picked.SKU = it.SKU
			case "name":
				picked.Name = it.Name
			case "price":
				picked.Price = it.Price
			default:
				writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown field %q; fields are id, sku, name and price", f))
				return
			}
		}
		it = picked
	}
	writeJSON(w, http.StatusOK, it)
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", maxBody))
		}
		// Otherwise the client went away mid-body: nobody to answer.
		return
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		// Without it, net/http would sniff a type from the body.
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func (s *Server) delay(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 {
		writeError(w, http.StatusBadRequest, "want ?ms=N with N a whole number of milliseconds, 0 or more")
		return
	}
	d := min(time.Duration(ms)*time.Millisecond, maxDelay)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		writeJSON(w, http.StatusOK, map[string]int64{"ms": d.Milliseconds()})
	case <-r.Context().Done():
		// The client left, or Close is stopping the target.
		writeError(w, http.StatusServiceUnavailable, "the target is shutting down")
	}
}

func status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	// 1xx are interim responses, never a final status.
	if err != nil || code < 200 || code > 599 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("status %q: want a code from 200 to 599", r.PathValue("code")))
		return
	}
	switch code {
	case http.StatusNoContent, http.StatusResetContent, http.StatusNotModified:
		// These carry no body.
		w.WriteHeader(code)
		return
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		w.Header().Set("Location", "/items/1")
	}
	writeJSON(w, code, map[string]int{"status": code})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	// Marshal cannot fail on the maps and structs this package sends.
	b, _ := json.Marshal(v)
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

// writeError answers {"error": msg}; examples check that successful
// replies do not contain "error", so only failures use the word.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
