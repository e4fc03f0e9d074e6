// Package mem is a driver whose exchanges are answered by a Go function,
// in memory: no socket, no server. A test plugs it in place of a
// protocol's driver (runner.Options.Drivers), so that a scenario written
// with http: steps runs with the latencies, statuses, bodies, failures
// and extra metrics the function chooses, and, having no socket to wait
// on, runs on testing/synctest's fake clock, where every wait is exact.
//
// It is not in the table of drivers: no scenario can name it.
package mem

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/scenario"
)

// Request is what a handler is asked: the step's spec and what it
// rendered against the VU's variables.
type Request struct {
	Spec scenario.Spec
	// Target is the rendered URL (HTTP, WebSocket) or address (TCP, UDP).
	Target string
	// Body is the rendered body (HTTP) or payload (TCP, UDP).
	Body string
}

// Reply is a handler's answer.
type Reply struct {
	Status int
	Body   string
	Header map[string]string
	// Latency is how long the exchange takes: the session waits it on a
	// timer (the fake clock, in a synctest bubble), and Interrupt cuts
	// the wait. One longer than the spec's timeout fails as a Timeout
	// once the timeout has passed.
	Latency time.Duration
	// Connect is the part of Latency spent connecting.
	Connect time.Duration
	// Fail, when set, fails the exchange once Latency has passed.
	Fail *protocols.Failure
	// Extras add to the extra metrics the driver declares, by index.
	Extras []metrics.Observation
}

// Handler answers one exchange. It is called from every VU's goroutine
// at once, so it must be safe for concurrent use. It may block (on the
// fake clock, or on a channel, to model a server's queue); Interrupt
// cuts only Reply.Latency's wait, not the handler.
type Handler func(*Request) Reply

// Driver is a driver whose sessions ask h, and which declares extras.
func Driver(h Handler, extras ...metrics.ExtraInfo) protocols.Driver {
	return protocols.Driver{
		New:    func(protocols.Config) protocols.Session { return &session{h: h, cut: make(chan struct{})} },
		Extras: extras,
	}
}

// errInterrupted is the failure of an exchange cut by the end of the run.
var errInterrupted = &protocols.Failure{Outcome: metrics.Other, Msg: "interrupted by the end of the run"}

type session struct {
	h      Handler
	timer  *time.Timer
	body   []byte
	obs    metrics.Observations
	cut    chan struct{} // closed by Interrupt
	closed atomic.Bool
}

// Do renders the request, asks the handler, waits the reply's latency and
// fills res with the reply.
func (s *session) Do(spec scenario.Spec, in *protocols.Input, res *protocols.Result) {
	res.Reset()
	start := time.Now()
	select {
	case <-s.cut:
		res.Fail, res.End = errInterrupted, start
		return
	default:
	}
	req := render(spec, in)
	rep := s.h(req)
	limit := timeout(spec)
	wait := rep.Latency
	if limit > 0 && wait > limit {
		wait = limit
		rep.Fail = &protocols.Failure{Outcome: metrics.Timeout, Msg: "response from " + req.Target + ": timeout"}
	}
	if wait > 0 && !s.sleep(wait) {
		rep.Fail = errInterrupted
	}
	res.End = time.Now()
	res.RT = res.End.Sub(start)
	res.Connect = min(rep.Connect, res.RT)
	res.Sent = int64(len(req.Body))
	if res.Fail = rep.Fail; res.Fail != nil {
		return
	}
	s.body = append(s.body[:0], rep.Body...)
	res.Status, res.Body, res.Recv = rep.Status, s.body, int64(len(rep.Body))
	if len(rep.Header) > 0 {
		res.Header = header(rep.Header)
	}
	if len(rep.Extras) > 0 {
		s.obs.Reset()
		for _, o := range rep.Extras {
			s.obs.AddMany(o.Metric, o.N, o.Sum, o.Min, o.Max)
		}
		res.Extras = &s.obs
	}
	if ws, ok := spec.(*scenario.WSSpec); ok {
		res.Fail = until(ws, in, s.body)
	}
}

// until judges a WebSocket step's receive-until expressions on the body,
// taken as the one message received, through the VU's Input.Until, as
// the WebSocket driver does.
func until(ws *scenario.WSSpec, in *protocols.Input, msg []byte) *protocols.Failure {
	for _, a := range ws.Actions {
		if a.Until == nil {
			continue
		}
		ok, err := in.Until(a.Until, msg)
		if err != nil {
			return &protocols.Failure{Outcome: metrics.CheckFailed, Msg: "receive until " + strconv.Quote(a.Until.Src) + ": " + err.Error(), Err: err}
		}
		if !ok {
			return &protocols.Failure{Outcome: metrics.CheckFailed, Msg: "receive until " + a.Until.Src + ": no message matched"}
		}
	}
	return nil
}

// sleep waits d, or until Interrupt; it reports whether d passed.
func (s *session) sleep(d time.Duration) bool {
	if s.timer == nil {
		s.timer = time.NewTimer(d)
	} else {
		s.timer.Reset(d)
	}
	select {
	case <-s.timer.C:
		return true
	case <-s.cut:
		s.timer.Stop()
		return false
	}
}

// Release does nothing: the body stays in the session's buffer, which the
// next exchange reuses.
func (s *session) Release() {}

// Interrupt cuts the latency being waited, and fails every later
// exchange at once.
func (s *session) Interrupt() {
	if s.closed.CompareAndSwap(false, true) {
		close(s.cut)
	}
}

// Close does nothing: a session holds no connection.
func (s *session) Close() {}

// header is a reply's headers; names match in any letter case, as HTTP's
// do.
type header map[string]string

func (h header) Peek(name string) []byte {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return []byte(v)
		}
	}
	return nil
}

// render renders the spec's target and body, as its driver would.
func render(spec scenario.Spec, in *protocols.Input) *Request {
	r := &Request{Spec: spec}
	text := func(t *scenario.Template) string {
		if t == nil {
			return ""
		}
		return string(t.Append(nil, in.Scope, in.Funcs))
	}
	switch sp := spec.(type) {
	case *scenario.HTTPSpec:
		r.Target, r.Body = text(sp.URL), text(sp.Body)
	case *scenario.SocketSpec:
		r.Target, r.Body = text(sp.Address), text(sp.Payload)
	case *scenario.WSSpec:
		r.Target = text(sp.URL)
	}
	return r
}

// timeout is the spec's response timeout; 0 when it has none.
func timeout(spec scenario.Spec) time.Duration {
	switch sp := spec.(type) {
	case *scenario.HTTPSpec:
		return sp.Timeout
	case *scenario.SocketSpec:
		return sp.Timeout
	case *scenario.WSSpec:
		return sp.Timeout
	}
	return 0
}
