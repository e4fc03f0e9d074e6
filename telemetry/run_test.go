package telemetry

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/protocols/mem"
	"github.com/perfcase/perfcase/runner"
	"github.com/perfcase/perfcase/scenario"
)

// The outputs are tested on what a real run harvests: liveScenario runs
// on testing/synctest's fake clock, its requests answered in memory (the
// mem driver) with exact latencies, so every count, bucket and sum is
// known in advance. The run's start and seconds are recorded, then
// replayed into the output under test, which may talk to a real
// receiver (a socket has no place in the bubble).
const liveScenario = `name: live
transactions:
  buy:
    - http: {name: cart, url: "http://shop.test/cart"}
    - http: {name: pay, url: "http://shop.test/pay"}
      check: [status == 200]
      soft_check: status == 200
cases:
  - name: shop
    steps:
      - http: {name: home, url: "http://shop.test/"}
        soft_check: status == 200
      - metric: {name: orders, counter: 2}
      - metric: {name: depth, gauge: 2.5}
      - metric: {name: basket, trend: 3.25}
      - transaction: buy
      - think: 100ms
    stages: [{concurrency: 2, count: 40}]
    kpis: [success_rate >= 99, tp99 < 10ms]
  - name: burst
    steps: [{http: {name: slow, url: "http://shop.test/slow"}}]
    stages: [{tps: 20, max_vus: 1, duration: 3s}]
`

// What liveScenario's requests take, and what they report. Its custom
// metrics are recorded once a pass, before the pass can fail; its soft
// checks, written the same on two requests, are two counts.
const (
	homeRT = 150 * time.Microsecond // 100 µs to 200 µs: le 0.0002
	cartRT = 3 * time.Millisecond
	payRT  = time.Millisecond // buy takes 4 ms: le 0.0064
	slowRT = 120 * time.Millisecond
	// Every request to home counts 3 widgets and one queue time of 2 ms.
	widgets = 3
	queue   = 2 * time.Millisecond
)

var liveExtras = []metrics.ExtraInfo{
	{Name: "widgets", Kind: metrics.Counter, Unit: metrics.UnitCount},
	{Name: "queue", Kind: metrics.Distribution, Unit: metrics.UnitDuration},
}

// recorded is a run as an output received it.
type recorded struct {
	start   output.Start
	seconds []*output.Second
	run     *metrics.Run
}

// recorder keeps a copy of everything an output is lent.
type recorder struct {
	mu  sync.Mutex
	rec *recorded
}

func (r *recorder) Start(s *output.Start) { r.rec.start = *s }

func (r *recorder) Second(s *output.Second) {
	c := *s
	c.Series = slices.Clone(s.Series)
	c.Hists = slices.Clone(s.Hists)
	c.Extras = slices.Clone(s.Extras)
	r.mu.Lock()
	r.rec.seconds = append(r.rec.seconds, &c)
	r.mu.Unlock()
}

func (r *recorder) End(*output.Finished) error { return nil }

// fakeRun runs liveScenario on the fake clock: every third request to
// pay fails its check (a 500), 13 of the 40.
func fakeRun(t *testing.T) *recorded {
	t.Helper()
	path := filepath.Join(t.TempDir(), "live.yaml")
	if err := os.WriteFile(path, []byte(liveScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Load(path, scenario.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	var pays atomic.Int64
	h := func(r *mem.Request) mem.Reply {
		switch r.Target {
		case "http://shop.test/":
			return mem.Reply{Status: 200, Latency: homeRT, Extras: []metrics.Observation{
				{Metric: 0, N: 1, Sum: widgets},
				{Metric: 1, N: 1, Sum: int64(queue), Min: int64(queue), Max: int64(queue)}}}
		case "http://shop.test/cart":
			return mem.Reply{Status: 200, Latency: cartRT}
		case "http://shop.test/pay":
			if pays.Add(1)%3 == 0 {
				return mem.Reply{Status: 500, Latency: payRT}
			}
			return mem.Reply{Status: 200, Latency: payRT}
		}
		return mem.Reply{Status: 200, Latency: slowRT}
	}
	rec := &recorded{}
	synctest.Test(t, func(t *testing.T) {
		rec.run = runner.Run(context.Background(), plan, runner.Options{
			Output:  &recorder{rec: rec},
			Drivers: map[scenario.Protocol]protocols.Driver{scenario.HTTP: mem.Driver(h, liveExtras...)},
		})
	})
	return rec
}

// replay hands the recorded run to o as the runner and perfcase run
// would; each calls back, if set, after each second.
func (r *recorded) replay(t *testing.T, o output.Output, each func(*output.Second)) {
	t.Helper()
	o.Start(&r.start)
	for _, s := range r.seconds {
		o.Second(s)
		if each != nil {
			each(s)
		}
	}
	if err := o.End(&output.Finished{Run: r.run}); err != nil {
		t.Fatal(err)
	}
}

// series is the finished run's series of a case by name.
func (r *recorded) series(t *testing.T, caseName, name string) *metrics.Stats {
	t.Helper()
	for _, c := range r.run.Cases {
		if c.Stats.Name != caseName {
			continue
		}
		for _, s := range c.Stats.Series {
			if s.Name == name {
				return s
			}
		}
	}
	t.Fatalf("no series %s in case %s", name, caseName)
	return nil
}

// caseResult is the finished run's case by name.
func (r *recorded) caseResult(t *testing.T, name string) *metrics.CaseResult {
	t.Helper()
	for _, c := range r.run.Cases {
		if c.Stats.Name == name {
			return c
		}
	}
	t.Fatalf("no case %s", name)
	return nil
}
