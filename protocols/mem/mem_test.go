package mem

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/scenario"
)

// scope renders every variable as v.
type scope string

func (s scope) AppendValue(dst []byte, _, _ int) []byte { return append(dst, s...) }

// request compiles one step of the given kind (http, tcp, ws) whose
// templates read the variable v.
func request(t *testing.T, kind, step string) scenario.Spec {
	t.Helper()
	f, err := scenario.Parse("t.yaml", []byte("name: t\nvariables:\n  v: [a, b]\ncases:\n  - name: c\n    steps:\n      - "+kind+": "+step+"\n    stages: [{concurrency: 1, count: 1}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Compile(f, scenario.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return plan.Cases[0].Steps[0].(*scenario.RequestNode).Spec
}

func input() *protocols.Input {
	return &protocols.Input{Scope: scope("x"), Funcs: scenario.NewFuncEnv(1), Until: func(p *scenario.Program, msg []byte) (bool, error) {
		return string(msg) == "done", nil
	}}
}

// A session renders the request for the handler, waits the reply's
// latency on the clock, and fills the result with what the handler
// said: status, body, headers (any letter case), bytes, connect time and
// extra metrics.
func TestSessionAnswers(t *testing.T) {
	sp := request(t, "http", `{method: POST, url: "http://h/${v}", body: "b=${v}", timeout: 1s}`)
	synctest.Test(t, func(t *testing.T) {
		var asked *Request
		d := Driver(func(r *Request) Reply {
			asked = r
			return Reply{Status: 201, Body: "hello", Header: map[string]string{"X-Id": "7"}, Latency: 30 * time.Millisecond, Connect: 10 * time.Millisecond,
				Extras: []metrics.Observation{{Metric: 1, N: 1, Sum: 4, Min: 4, Max: 4}}}
		}, metrics.ExtraInfo{Name: "a"}, metrics.ExtraInfo{Name: "b"})
		s := d.New(protocols.Config{})
		var res protocols.Result
		start := time.Now()
		s.Do(sp, input(), &res)
		if asked.Target != "http://h/x" || asked.Body != "b=x" || asked.Spec != sp {
			t.Errorf("asked %+v", asked)
		}
		if res.Fail != nil || res.Status != 201 || string(res.Body) != "hello" || string(res.Header.Peek("x-id")) != "7" || res.Header.Peek("X-Other") != nil {
			t.Errorf("result %+v", res)
		}
		if res.RT != 30*time.Millisecond || res.End != start.Add(30*time.Millisecond) || res.Connect != 10*time.Millisecond || res.Sent != 3 || res.Recv != 5 {
			t.Errorf("rt %v, end %v, connect %v, sent %d, recv %d", res.RT, res.End.Sub(start), res.Connect, res.Sent, res.Recv)
		}
		if o := res.Extras.All(); len(o) != 1 || o[0].Metric != 1 || o[0].Sum != 4 || len(d.Extras) != 2 {
			t.Errorf("extras %+v of %+v", o, d.Extras)
		}
	})
}

// A reply slower than the step's timeout fails as a Timeout when the
// timeout passes; Interrupt cuts a wait in flight and fails every later
// exchange at once, without asking the handler.
func TestSessionTimeoutAndInterrupt(t *testing.T) {
	sp := request(t, "tcp", `{address: "h:1", payload: "p", timeout: 100ms}`)
	synctest.Test(t, func(t *testing.T) {
		asked := 0
		s := Driver(func(*Request) Reply { asked++; return Reply{Latency: time.Hour} }).New(protocols.Config{})
		var res protocols.Result
		s.Do(sp, input(), &res)
		if res.Fail == nil || res.Fail.Outcome != metrics.Timeout || res.RT != 100*time.Millisecond {
			t.Errorf("fail %+v after %v, want a timeout after 100ms", res.Fail, res.RT)
		}
		time.AfterFunc(40*time.Millisecond, s.Interrupt)
		s.Do(sp, input(), &res)
		if res.Fail != errInterrupted || res.RT != 40*time.Millisecond {
			t.Errorf("fail %+v after %v, want interrupted after 40ms", res.Fail, res.RT)
		}
		s.Do(sp, input(), &res)
		if res.Fail != errInterrupted || res.RT != 0 || asked != 2 {
			t.Errorf("after Interrupt: fail %+v after %v, handler asked %d times", res.Fail, res.RT, asked)
		}
		s.Interrupt() // again: no effect
	})
}

// A handler's failure is the exchange's, once the latency has passed; a
// WebSocket step's receive-until judges the reply through the VU's
// Input.Until.
func TestSessionFailuresAndUntil(t *testing.T) {
	refused := &protocols.Failure{Outcome: metrics.Refused, Msg: "refused"}
	ws := request(t, "ws", `{url: "ws://h/", actions: [{send: go}, {receive: {until: body == "done"}}]}`)
	synctest.Test(t, func(t *testing.T) {
		body := "done"
		s := Driver(func(*Request) Reply {
			if body == "" {
				return Reply{Fail: refused, Latency: time.Millisecond}
			}
			return Reply{Body: body}
		}).New(protocols.Config{})
		var res protocols.Result
		in := input()
		if s.Do(ws, in, &res); res.Fail != nil || string(res.Body) != "done" {
			t.Errorf("a message that matches: fail %+v, body %q", res.Fail, res.Body)
		}
		body = "other"
		if s.Do(ws, in, &res); res.Fail == nil || res.Fail.Outcome != metrics.CheckFailed {
			t.Errorf("a message that does not match: fail %+v", res.Fail)
		}
		in.Until = func(*scenario.Program, []byte) (bool, error) { return false, errors.New("cannot compare") }
		if s.Do(ws, in, &res); res.Fail == nil || res.Fail.Msg != `receive until "body == \"done\"": cannot compare` {
			t.Errorf("an until that errs: fail %+v", res.Fail)
		}
		body = ""
		if s.Do(ws, in, &res); res.Fail != refused || res.RT != time.Millisecond || res.Body != nil {
			t.Errorf("a refusal: fail %+v after %v, body %q", res.Fail, res.RT, res.Body)
		}
	})
}
