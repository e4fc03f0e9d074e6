package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/perfcase/perfcase/internal/redact"
	"github.com/perfcase/perfcase/server/store"
)

// Defaults of a Config's zero fields.
const (
	DefaultMaxReportSize = 32 << 20
	DefaultRate          = 20 // requests per second per token
	DefaultBurst         = 40
)

// Config is a Server's settings.
type Config struct {
	Store store.Store
	// PublicRead lets GET requests without a token read every project.
	PublicRead bool
	// MaxReportSize bounds an upload's body, in bytes; 0 means
	// DefaultMaxReportSize.
	MaxReportSize int64
	// Rate and Burst bound each token's requests (and each address's
	// requests without a valid token): Rate per second on average, Burst
	// at once. 0 means the default; a negative Rate means no limit.
	Rate  float64
	Burst int
	// Retain, when positive, is how long a run is kept after it ended;
	// scenarios' baselines are kept whatever their age.
	Retain time.Duration
	// Secure marks the UI's cookie Secure: the service is served over
	// TLS.
	Secure bool
	// Log gets one line per request and per retention pass; nil: none. A
	// token never appears in it.
	Log io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the report service: the upload endpoint, the reference's
// report API, perfcase's own API and the web UI. Its methods are safe for
// concurrent use.
type Server struct {
	cfg     Config
	store   store.Store
	mux     *http.ServeMux
	limiter *limiter
	logMu   sync.Mutex
	mergeMu sync.Mutex // one merge of a split run's parts at a time
	// csrfKey signs the UI's forms; made at start, so a form older than
	// the process is refused and reloaded.
	csrfKey [32]byte
}

// New makes a Server on cfg.Store.
func New(cfg Config) *Server {
	if cfg.MaxReportSize <= 0 {
		cfg.MaxReportSize = DefaultMaxReportSize
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, store: cfg.Store, mux: http.NewServeMux(), limiter: newLimiter(cfg.Rate, cfg.Burst, cfg.Now)}
	rand.Read(s.csrfKey[:])
	s.routes()
	return s
}

// Handler serves the service.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.logf("panic serving %s %s: %v", r.Method, r.URL.Path, p)
			if !rec.wrote {
				writeError(rec, errInternal)
			}
		}
		s.logRequest(r, rec, time.Since(start))
	}()
	securityHeaders(rec.Header())
	s.mux.ServeHTTP(rec, r)
}

// securityHeaders are sent with every answer: nothing here is meant to be
// framed by another site, sniffed as another type, or cached by a proxy
// (answers depend on the token).
func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "SAMEORIGIN")
}

// recorder remembers an answer's status for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
	// who is the token the request was authorised with, for the log.
	who string
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// logRequest writes the request's line: method, path, status, size,
// time, and the token's id (never the token). The line is scrubbed of
// the token the request presented, in case it was put where it does not
// belong (a path, say).
func (s *Server) logRequest(r *http.Request, rec *recorder, d time.Duration) {
	if s.cfg.Log == nil {
		return
	}
	who := rec.who
	if who == "" {
		who = "-"
	}
	line := fmt.Sprintf("%s %s %s %s %d %dB %s %s", s.cfg.Now().UTC().Format(time.RFC3339), remoteHost(r), r.Method, r.URL.Path,
		rec.status, rec.bytes, d.Round(time.Microsecond), who)
	s.writeLog(redact.NewMask("[token]", presentedTokens(r)...).String(line))
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	s.writeLog(s.cfg.Now().UTC().Format(time.RFC3339) + " " + fmt.Sprintf(format, args...))
}

func (s *Server) writeLog(line string) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	io.WriteString(s.cfg.Log, line+"\n")
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// successCode is the reference's code of a successful answer.
const successCode = "SVCSTG.CPTS.0000000"

// envelope is the reference's answer around a result.
type envelope struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Extend  any    `json:"extend"`
	Result  any    `json:"result"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeResult(w http.ResponseWriter, status int, result any) {
	writeJSON(w, status, envelope{Code: successCode, Message: "success", Result: result})
}

// apiError is an answer that is not a success, in the reference's shape:
// {"error_code": "CPTS.SSSSNNNN", "error_msg": "..."}, where SSSS is the
// HTTP status (0401) and NNNN numbers the cause; docs/report-service.md
// lists them.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func newError(status, n int, format string, args ...any) *apiError {
	return &apiError{status: status, code: fmt.Sprintf("CPTS.%04d%04d", status, n), msg: fmt.Sprintf(format, args...)}
}

// errInternal is every failure of the service itself; the cause goes to
// the log, not to the client. Its code is the reference's own.
var errInternal = &apiError{status: http.StatusInternalServerError, code: "CPTS.05001001", msg: "An unknown error occurred! The service's log says more."}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, map[string]string{"error_code": e.code, "error_msg": e.msg})
}

// fail answers err: an *apiError as it is, anything else as errInternal
// with the cause logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae)
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	s.logf("error serving %s %s: %v", r.Method, r.URL.Path, err)
	writeError(w, errInternal)
}

// id reads a path value that must be a positive integer id.
func id(r *http.Request, name string) (int64, *apiError) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, newError(http.StatusNotFound, 2, "%s %q is not an id: ids are positive integers", name, r.PathValue(name))
	}
	return v, nil
}
