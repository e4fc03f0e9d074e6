package runner

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/protocols/mem"
	"github.com/perfcase/perfcase/scenario"
)

// The runner's timing tests run on a fake clock: in a synctest bubble
// (testing/synctest), time moves only once every goroutine of the run
// waits on it, so a 14 s stage takes no real time and every time the
// runner reads is exact. A goroutine reading a real socket does not wait
// on that clock and would stop it, so these tests answer their requests
// in memory: the mem driver takes the place of HTTP's, through
// Options.Drivers, and the scenarios are written with http: steps as
// usual. A few tests stay on real loopback sockets, end to end.

// epoch is when a synctest bubble's clock starts.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// at is how long after the bubble's start t is.
func at(t time.Time) time.Duration { return t.Sub(epoch) }

// ms is n milliseconds.
func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// sameTimes reports whether got and want are the same times to the
// microsecond: due times are computed in floating point, a nanosecond
// off.
func sameTimes(got, want []time.Duration) bool {
	return slices.EqualFunc(got, want, func(a, b time.Duration) bool { return a-b < time.Microsecond && b-a < time.Microsecond })
}

// memHTTP answers every HTTP request of a run with h, in memory.
func memHTTP(h mem.Handler, extras ...metrics.ExtraInfo) map[scenario.Protocol]protocols.Driver {
	return map[scenario.Protocol]protocols.Driver{scenario.HTTP: mem.Driver(h, extras...)}
}

// answer is a handler that answers every request with status 200 after
// latency d.
func answer(d time.Duration) mem.Handler {
	return func(*mem.Request) mem.Reply { return mem.Reply{Status: 200, Latency: d} }
}

// fakeRun runs plan on a fake clock, every HTTP request answered by h.
// It returns the run and how long the run took on that clock.
func fakeRun(t *testing.T, plan *scenario.Plan, opts Options, h mem.Handler) (run *metrics.Run, took time.Duration) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		opts.Drivers = memHTTP(h)
		run = Run(context.Background(), plan, opts)
		took = at(time.Now())
	})
	return run, took
}

// reqLog records each request a handler is asked, with when it started
// on the fake clock.
type reqLog struct {
	mu   sync.Mutex
	reqs []logged
}

type logged struct {
	at           time.Duration // since the bubble's start
	target, body string
}

// handler records each request, then answers it with reply.
func (l *reqLog) handler(reply mem.Handler) mem.Handler {
	return func(r *mem.Request) mem.Reply {
		l.mu.Lock()
		l.reqs = append(l.reqs, logged{at(time.Now()), r.Target, r.Body})
		l.mu.Unlock()
		return reply(r)
	}
}

// starts are when the requests started, in order.
func (l *reqLog) starts() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]time.Duration, len(l.reqs))
	for i, r := range l.reqs {
		out[i] = r.at
	}
	slices.Sort(out)
	return out
}

// all are the requests asked, in the order they came.
func (l *reqLog) all() []logged {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// A protocol's extra metrics (here the mem driver's, declared when it is
// plugged in) are recorded per case, per second and in total, from what
// each exchange reports; a case that does not use the protocol has none.
func TestExtraMetricsRecorded(t *testing.T) {
	plan := compile(t, `
name: extras
cases:
  - name: c
    steps:
      - http: {name: get, url: "${base}/items/${__ITER}"}
      - think: 100ms
    stages: [{concurrency: 2, count: 30}]
  - name: tcp-only
    steps: [{tcp: {name: t, address: "127.0.0.1:1", payload: x}}]
    stages: [{concurrency: 1, count: 3}]
`, "http://mem", nil)
	extras := []metrics.ExtraInfo{
		{Name: "mem_frames", Kind: metrics.Counter},
		{Name: "mem_delay", Kind: metrics.Distribution, Unit: metrics.UnitDuration},
	}
	h := func(r *mem.Request) mem.Reply {
		return mem.Reply{Status: 200, Latency: ms(10), Extras: []metrics.Observation{
			{Metric: 0, N: 1, Sum: 3},
			{Metric: 1, N: 2, Sum: int64(ms(30)), Min: int64(ms(10)), Max: int64(ms(20))},
		}}
	}
	drivers := memHTTP(h, extras...)
	drivers[scenario.TCP] = mem.Driver(answer(ms(1)))
	var run *metrics.Run
	synctest.Test(t, func(t *testing.T) {
		run = Run(context.Background(), plan, Options{Drivers: drivers})
	})
	c := run.Cases[0]
	if s := series(t, c, "get"); s.Count != 30 || s.Outcomes[metrics.Success] != 30 {
		t.Fatalf("get: %d requests, outcomes %v", s.Count, s.Outcomes)
	}
	frames, delay := c.Stats.Extra("mem_frames"), c.Stats.Extra("mem_delay")
	if frames == nil || frames.Sum != 90 || frames.Kind != metrics.Counter {
		t.Errorf("mem_frames: %+v, want 3 for each of the 30 requests", frames)
	}
	// Two VUs, each a request of 10 ms then 100 ms of thinking: 18
	// requests end in the first second (at 10, 120, …, 890 ms), the
	// other 12 from 1 s on.
	if want := []metrics.ExtraSecond{{N: 18, Sum: 54}, {N: 12, Sum: 36}}; frames != nil && !slices.Equal(frames.Seconds, want) {
		t.Errorf("mem_frames per second %+v, want %+v", frames.Seconds, want)
	}
	if delay == nil || delay.N != 60 || delay.Sum != 30*int64(ms(30)) || delay.Min != int64(ms(10)) || delay.Max != int64(ms(20)) {
		t.Errorf("mem_delay: %+v, want 60 values, min 10 ms, max 20 ms", delay)
	}
	if s := series(t, run.Cases[1], "t"); s.Count != 3 || run.Cases[1].Stats.Extras != nil {
		t.Errorf("a case whose protocol declares none: %d requests, extras %+v", s.Count, run.Cases[1].Stats.Extras)
	}
}
