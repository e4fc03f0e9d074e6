package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perfcase/perfcase/server/store"
)

// TokenPrefix starts every token, so that a secret scanner (and a person)
// can tell one when it leaks into a file.
const TokenPrefix = "pct_"

// tokenEncoding spells a token's random bytes: lowercase letters and
// digits, nothing a shell or a header needs escaped.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewToken makes a token: 32 random bytes (256 bits, so that guessing one
// is hopeless and a fast hash is enough to store it), its SHA-256 hash,
// which is all the store keeps, and its first characters, which tell
// tokens apart in lists.
func NewToken() (secret string, hash []byte, prefix string) {
	var b [32]byte
	rand.Read(b[:])
	secret = TokenPrefix + tokenEncoding.EncodeToString(b[:])
	return secret, hashToken(secret), secret[:len(TokenPrefix)+6]
}

// hashToken is how the store keeps a token.
func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// cookieName holds the UI's token.
const cookieName = "perfcase_token"

// headerToken is the token a request sends in X-Auth-Token.
func headerToken(r *http.Request) string { return strings.TrimSpace(r.Header.Get("X-Auth-Token")) }

// cookieToken is the token the UI's login put in its cookie.
func cookieToken(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// presentedTokens are every token a request carries, for the log to
// scrub.
func presentedTokens(r *http.Request) []string {
	ts := []string{headerToken(r), cookieToken(r)}
	if r.Method == http.MethodPost && r.PostForm != nil {
		ts = append(ts, r.PostForm.Get("token"))
	}
	return ts
}

// authorize checks that the request may do what needs on the project
// and returns the project. An API call sends its token in X-Auth-Token;
// a UI page (cookie true) may use the login's cookie instead, which a
// state-changing form only does with its CSRF token checked. Without a
// token only reads are allowed, and only with PublicRead.
//
// What it tells a caller never says more than the caller's token allows:
// a token of another project gets 403 whether or not the project exists.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, project string, need store.Scope, cookie bool) (store.Project, error) {
	secret := headerToken(r)
	if secret == "" && cookie {
		secret = cookieToken(r)
	}
	rec, _ := w.(*recorder)
	addr := "addr " + remoteHost(r)
	if secret == "" {
		if !s.limiter.allow(addr) {
			return store.Project{}, errRate
		}
		if need != store.ScopeRead || !s.cfg.PublicRead {
			return store.Project{}, newError(http.StatusUnauthorized, 1, "this call needs a token: send it in the X-Auth-Token header (perfcase serve token create makes one)")
		}
		return s.project(r, project)
	}
	// A flood of wrong tokens from one address is slowed before it costs
	// a lookup each.
	if s.limiter.empty(addr) {
		return store.Project{}, errRate
	}
	tok, err := s.store.TokenByHash(r.Context(), hashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		s.limiter.allow(addr)
		return store.Project{}, newError(http.StatusUnauthorized, 2, "the token was refused: it is not one of this service's, or it was revoked")
	}
	if err != nil {
		return store.Project{}, err
	}
	if rec != nil {
		rec.who = "token " + strconv.FormatInt(tok.ID, 10) + " (" + tok.Project + ")"
	}
	if !s.limiter.allow("token " + tok.Prefix + string(tok.Hash)) {
		return store.Project{}, errRate
	}
	if tok.Project != project {
		return store.Project{}, newError(http.StatusForbidden, 2, "the token is for another project than %q", project)
	}
	if tok.Scope < need {
		return store.Project{}, newError(http.StatusForbidden, 1, "the token's scope is %s; this call needs %s", tok.Scope, need)
	}
	return store.Project{ID: tok.ProjectID, Name: tok.Project}, nil
}

func (s *Server) project(r *http.Request, name string) (store.Project, error) {
	p, err := s.store.Project(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Project{}, newError(http.StatusNotFound, 1, "no project %q", name)
	}
	return p, err
}

// guard authorizes the request and answers the refusal itself; ok is
// false when it did.
func (s *Server) guard(w http.ResponseWriter, r *http.Request, need store.Scope) (store.Project, bool) {
	p, err := s.authorize(w, r, r.PathValue("project"), need, false)
	if err != nil {
		s.fail(w, r, err)
		return store.Project{}, false
	}
	return p, true
}

var errRate = newError(http.StatusTooManyRequests, 1, "too many requests for this token (or address): slow down and retry after a second")

// limiter is a token bucket per key (a token, or an address without
// one): rate per second on average, burst at once.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the limiter's memory: past it, the buckets that are
// full again (idle keys) are dropped.
const maxBuckets = 10000

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// take refills key's bucket and takes one from it if spend.
func (l *limiter) take(key string, spend bool) bool {
	if l.rate < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	if spend {
		b.tokens--
	}
	return true
}

func (l *limiter) allow(key string) bool { return l.take(key, true) }

// empty reports whether key's bucket has nothing left, without taking.
func (l *limiter) empty(key string) bool { return !l.take(key, false) }

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
