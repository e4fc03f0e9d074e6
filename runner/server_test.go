package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// target is a real HTTP server on 127.0.0.1 that remembers what it was
// sent, so tests judge the runner by what reached the wire.
type target struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	seen []string // one entry per request to /record: method, path, query, headers of interest, body
}

func newTarget(t *testing.T) *target {
	t.Helper()
	return newTargetWith(t, (*httptest.Server).Start)
}

// newTargetWith is newTarget started by start, after it may change the
// server's configuration (HTTP/2, TLS).
func newTargetWith(t *testing.T, start func(*httptest.Server)) *target {
	t.Helper()
	tg := &target{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		tg.hits.Add(1)
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ User string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.User == "" {
			http.Error(w, "bad login", 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":"tok-%s","items":[{"sku":"A-1","qty":1},{"sku":"B-2","qty":5}]}`, in.User)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		// A response cut in the middle: the client sees the connection drop.
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"))
		conn.Close()
	})
	mux.HandleFunc("/record", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		entry := fmt.Sprintf("%s %s?%s auth=%s ct=%s body=%s", r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body)
		tg.mu.Lock()
		tg.seen = append(tg.seen, entry)
		tg.mu.Unlock()
		w.Header().Set("X-Seen", strconv.Itoa(len(body)))
		io.WriteString(w, `{"count":`+strconv.Itoa(len(body))+`}`)
	})
	tg.Server = httptest.NewUnstartedServer(mux)
	start(tg.Server)
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) entries() []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]string(nil), tg.seen...)
}

// refusingAddr is a 127.0.0.1 port nothing listens on.
func refusingAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// compile writes a scenario (and any data files) to a temp dir and
// compiles it with base set to the target's URL.
func compile(t testing.TB, yml string, base string, files map[string]string) *scenario.Plan {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Load(path, scenario.Options{Set: map[string]string{"base": base}, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if errs := Check(plan); len(errs) > 0 {
		t.Fatalf("check: %v", errs)
	}
	return plan
}

func series(t *testing.T, c *metrics.CaseResult, name string) *metrics.Stats {
	t.Helper()
	for _, s := range c.Stats.Series {
		if s.Name == name {
			return s
		}
	}
	var names []string
	for _, s := range c.Stats.Series {
		names = append(names, s.Name)
	}
	t.Fatalf("no series %q; have %s", name, strings.Join(names, ", "))
	return nil
}
