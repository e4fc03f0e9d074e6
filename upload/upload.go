package upload

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/perfcase/perfcase/internal/redact"
)

// Defaults of a Client's zero fields.
const (
	DefaultAttempts = 5
	DefaultBackoff  = 500 * time.Millisecond
	DefaultMaxTime  = 2 * time.Minute
	// DefaultAttemptTimeout bounds one request when Client.HTTP is nil.
	DefaultAttemptTimeout = 30 * time.Second
)

const (
	maxWait    = 30 * time.Second // the backoff stops doubling here
	maxBody    = 64 << 10         // of an answer, read to quote it
	excerptLen = 200              // of an answer's body, in a message
)

// Client uploads reports to a report service; the package comment gives
// the contract. Its fields are read, never written, by its methods, so a
// configured Client may be used by several goroutines at once.
type Client struct {
	// Endpoint is the service's base URL, e.g. "https://reports.example.com"
	// or "https://example.com/perf"; the API path is appended. It must be
	// https://, or http:// to a loopback host (127.0.0.1, ::1, localhost)
	// unless Insecure is set, and must not carry credentials.
	Endpoint string
	// Project is the {project_id} of the path.
	Project string
	// Token is sent as the X-Auth-Token header; "" sends none. It never
	// appears in an error or a log line.
	Token string
	// Insecure allows http:// to a host that is not loopback, sending the
	// token in clear.
	Insecure bool
	// HTTP sends the requests; nil means a client whose every request may
	// take DefaultAttemptTimeout. Its CheckRedirect is ignored: redirects
	// are never followed, the token would go with them.
	HTTP *http.Client
	// Attempts is how many requests one upload may send; 0 means
	// DefaultAttempts, 1 sends once and never retries.
	Attempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each further one (up to 30 s), each wait drawn at random between
	// half and one and a half times that. A Retry-After answer waits at
	// least what it asks. 0 means DefaultBackoff.
	Backoff time.Duration
	// MaxTime bounds the whole upload, waits included: a retry that could
	// not start before it is not made. 0 means DefaultMaxTime.
	MaxTime time.Duration
	// Log, when set, gets a line for each failed attempt that is retried.
	Log io.Writer

	// sleep waits d or until ctx ends; nil means a timer. Tests replace
	// it so that waits take no time.
	sleep func(ctx context.Context, d time.Duration) error
}

// Result is an upload that succeeded.
type Result struct {
	RunID    string
	URL      string // where the report was sent
	Status   int    // the service's answer
	Attempts int    // requests sent, retries included
	// Already is true when the service had the run before this upload:
	// an earlier upload of the same report, or an earlier attempt of this
	// one whose answer was lost.
	Already bool
	// Location is where the service keeps the report, when it said.
	Location string
}

// Error is an upload, or a test plan push, that did not succeed.
type Error struct {
	// Status is the last answer's HTTP status; 0 when none came (a
	// network error, a cancelled context).
	Status int
	// Attempts is how many requests were sent.
	Attempts int
	msg      string
	err      error
}

func (e *Error) Error() string { return e.msg }

// Unwrap is the network or context error that ended the upload, if that
// is what ended it.
func (e *Error) Unwrap() error { return e.err }

// Check reports whether the client's endpoint, project and token can be
// used, without sending anything: an http:// endpoint to a host that is
// not loopback, credentials in the endpoint, a token with a control
// character. Its errors never quote the token.
func (c *Client) Check() error {
	_, err := c.endpointURL()
	return err
}

// endpointURL checks the client and returns its endpoint without a
// trailing slash. Its messages never show credentials or the token.
func (c *Client) endpointURL() (string, error) {
	u, err := c.checkEndpoint()
	if err != nil {
		return "", errors.New(c.redact(err.Error()))
	}
	return u, nil
}

// ReportsURL is where Upload posts.
func (c *Client) ReportsURL() (string, error) {
	base, err := c.endpointURL()
	if err != nil {
		return "", err
	}
	return base + "/v1/" + url.PathEscape(c.Project) + "/perfcase/reports", nil
}

func (c *Client) checkEndpoint() (string, error) {
	if c.Endpoint == "" {
		return "", errors.New("no endpoint: give the service's URL, e.g. https://reports.example.com")
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" || u.Opaque != "" {
		if strings.Contains(c.Endpoint, "@") {
			// It may hold credentials: do not show it.
			return "", errors.New("the endpoint is not a URL like https://reports.example.com, and seems to carry credentials (user:password@): give the token with PERFCASE_TOKEN or --token-file instead")
		}
		return "", fmt.Errorf("endpoint %q is not a URL like https://reports.example.com", c.Endpoint)
	}
	if u.User != nil {
		return "", fmt.Errorf("endpoint %s://%s carries credentials (user:password@): give the token with PERFCASE_TOKEN or --token-file instead", u.Scheme, u.Host)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("endpoint %q has a query or fragment; give the base URL only", c.Endpoint)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !c.Insecure && !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("endpoint %s: http:// would send the token in clear to %s; use https:// (http:// is for loopback hosts only, or --insecure if you must)", c.Endpoint, u.Hostname())
		}
	default:
		return "", fmt.Errorf("endpoint %q: want https:// (or http:// to a loopback host)", c.Endpoint)
	}
	if c.Project == "" {
		return "", errors.New("no project: give the project's id")
	}
	if strings.ContainsFunc(c.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", errors.New("the token holds a space or a control character (a stray newline?); it cannot go in a header")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Upload posts report, a report JSON as 'perfcase run --out' writes it,
// byte for byte. It retries network errors, 429 and 5xx answers; any
// other answer is final. The report's run id makes the retries, and a
// repeated upload of the same report, one run to the service: a 409 (or
// Idempotent-Replayed) answer is a success with Result.Already set.
//
// An error is an *Error, except for an unusable client (see Check) or
// report (see ReadRun), where nothing was sent.
func (c *Client) Upload(ctx context.Context, report []byte) (Result, error) {
	run, err := ReadRun(report)
	if err != nil {
		return Result{}, err
	}
	u, err := c.ReportsURL()
	if err != nil {
		return Result{}, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Idempotency-Key", run.ID)
	h.Set("X-Perfcase-Run-Id", run.ID)
	if run.Segment != "" {
		h.Set("X-Perfcase-Segment", run.Segment)
	}
	a, err := c.post(ctx, &request{url: u, body: report, header: h, endpointFlag: "--endpoint", projectFlag: "--project"})
	if err != nil {
		return Result{}, err
	}
	res := Result{RunID: run.ID, URL: u, Status: a.status, Attempts: a.attempts, Location: a.header.Get("Location")}
	switch {
	case a.status == http.StatusConflict:
		res.Already = true
	case a.status >= 200 && a.status < 300:
		res.Already = strings.EqualFold(a.header.Get("Idempotent-Replayed"), "true")
	default:
		return Result{}, &Error{Status: a.status, Attempts: a.attempts, msg: c.refusal(a)}
	}
	return res, nil
}

// request is one POST that post sends until it has a final answer.
type request struct {
	url    string
	body   []byte
	header http.Header
	// The flags that set the endpoint and the project, for a 404's hint.
	endpointFlag, projectFlag string
}

// answer is the service's final answer to a request.
type answer struct {
	req      *request
	status   int
	header   http.Header
	body     []byte // its first maxBody bytes
	attempts int
}

// post sends r until it gets an answer that is not to be retried (any
// status but 429 and 5xx), which it returns whatever it says. It stops
// with an *Error when the attempts or the time run out, ctx ends, or a
// network error cannot pass by itself (a certificate, an unknown host).
func (c *Client) post(ctx context.Context, r *request) (*answer, error) {
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	maxTime := c.MaxTime
	if maxTime <= 0 {
		maxTime = DefaultMaxTime
	}
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	if c.Token != "" {
		r.header.Set("X-Auth-Token", c.Token)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()
	hc := c.httpClient()
	start := time.Now()
	for n := 1; ; n++ {
		a, err := c.try(ctx, hc, r)
		var why string
		var retryAfter time.Duration
		status := 0
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, c.stopped(parent, n, maxTime, c.netMessage(err))
		case err != nil:
			if !transient(err) {
				return nil, &Error{Attempts: n, msg: c.netMessage(err), err: err}
			}
			why = c.netMessage(err)
		case a.status == http.StatusTooManyRequests || a.status >= 500:
			why, status = c.refusal(a), a.status
			retryAfter = parseRetryAfter(a.header.Get("Retry-After"), time.Now())
		default:
			a.attempts = n
			return a, nil
		}
		if n >= attempts {
			return nil, &Error{Status: status, Attempts: n, err: err,
				msg: fmt.Sprintf("gave up after %s in %s: %s", attemptsText(n), round(time.Since(start)), why)}
		}
		wait := max(jitter(backoff, n), retryAfter)
		if deadline, _ := ctx.Deadline(); time.Now().Add(wait).After(deadline) {
			asked := ""
			if retryAfter > 0 {
				asked = fmt.Sprintf(" (the service asked to wait %s)", round(retryAfter))
			}
			return nil, &Error{Status: status, Attempts: n, err: err,
				msg: fmt.Sprintf("gave up after %s: %s; the next attempt%s would come after the time limit of %s", attemptsText(n), why, asked, maxTime)}
		}
		if c.Log != nil {
			fmt.Fprintf(c.Log, "upload: attempt %d of %d: %s; retrying in %s\n", n, attempts, why, round(wait))
		}
		if err := c.wait(ctx, wait); err != nil {
			return nil, c.stopped(parent, n, maxTime, why)
		}
	}
}

// stopped is the error of an upload whose context ended: the caller's,
// or the time limit.
func (c *Client) stopped(parent context.Context, n int, maxTime time.Duration, last string) error {
	if err := parent.Err(); err != nil {
		return &Error{Attempts: n, err: err, msg: fmt.Sprintf("stopped after %s: %v (last: %s)", attemptsText(n), err, last)}
	}
	return &Error{Attempts: n, err: context.DeadlineExceeded,
		msg: fmt.Sprintf("gave up after %s: the time limit of %s passed (last: %s)", attemptsText(n), maxTime, last)}
}

// try sends one request and reads the start of its answer.
func (c *Client) try(ctx context.Context, hc *http.Client, r *request) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	req.Header = r.header.Clone()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// The status is the answer; a body cut short only shortens the quote.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	// Drain a little more so that the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	return &answer{req: r, status: resp.StatusCode, header: resp.Header, body: body}, nil
}

func (c *Client) httpClient() *http.Client {
	hc := &http.Client{Timeout: DefaultAttemptTimeout}
	if c.HTTP != nil {
		cp := *c.HTTP
		hc = &cp
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return hc
}

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// jitter is the wait after the nth failed attempt: backoff doubled n-1
// times, up to maxWait, times a random factor in [0.5, 1.5).
func jitter(backoff time.Duration, n int) time.Duration {
	d := backoff
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	return d/2 + rand.N(d)
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
// 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, 1<<20)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// transient reports whether a network error may pass by itself; a
// certificate that does not verify or a host that does not exist will
// not, and retrying them only delays the message.
func transient(err error) bool {
	var cert *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var header tls.RecordHeaderError
	var dns *net.DNSError
	switch {
	case errors.As(err, &cert), errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid):
		return false
	case errors.As(err, &header): // https:// to a server speaking http
		return false
	case errors.As(err, &dns) && dns.IsNotFound:
		return false
	}
	return true
}

// netMessage is a network error without the "Post URL:" prefix every
// attempt shares, the token scrubbed.
func (c *Client) netMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return c.redact(err.Error())
}

// refusal explains an answer that is not a success.
func (c *Client) refusal(a *answer) string {
	var msg string
	switch s := a.status; {
	case s == http.StatusUnauthorized && c.Token == "":
		msg = "the service wants a token (401): set PERFCASE_TOKEN or --token-file"
	case s == http.StatusUnauthorized:
		msg = "the token was refused (401): check PERFCASE_TOKEN, --token-file or --token"
	case s == http.StatusForbidden:
		msg = fmt.Sprintf("the token may not write to project %s (403)", c.Project)
	case s == http.StatusNotFound:
		msg = fmt.Sprintf("no such endpoint or project (404): check %s and %s (POST %s)", a.req.endpointFlag, a.req.projectFlag, a.req.url)
	case s >= 300 && s < 400:
		msg = fmt.Sprintf("the service redirected (%d %s) to %q; redirects are not followed, the token would go with them: give the address it names as %s",
			s, http.StatusText(s), a.header.Get("Location"), a.req.endpointFlag)
	default:
		msg = fmt.Sprintf("the service answered %d %s", s, http.StatusText(s))
	}
	if d := c.bodyDetail(a.body); d != "" {
		msg += "; it said: " + d
	}
	return msg
}

// bodyDetail quotes an answer's body: the reference's error shape
// ("CODE: message") when it is that, else its start, on one line, the
// token scrubbed.
func (c *Client) bodyDetail(body []byte) string {
	var e struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}
	s := ""
	if json.Unmarshal(body, &e) == nil && (e.Code != "" || e.Msg != "") {
		s = strings.TrimPrefix(e.Code+": "+e.Msg, ": ")
	} else {
		s = string(body)
	}
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	s = c.redact(s)
	if len(s) > excerptLen {
		cut := excerptLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// redact scrubs the token from a message, in every form a message may
// quote it in (URL-encoded in a query, say).
func (c *Client) redact(s string) string {
	return redact.NewMask("[token]", c.Token).String(s)
}

func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

func attemptsText(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}
