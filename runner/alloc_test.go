//go:build !race

package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
)

// A pass that renders the VU and pass numbers into its request allocates
// nothing: they are appended as digits, never made strings.
func TestPassWithVUNumbersAllocs(t *testing.T) {
	v := iterationVU(t, `      - http: {name: get, url: "${base}/items/${__VU}/${__ITER}?id=${id}"}
        check: status == 200`)
	// The pass as run takes it: let in by a closed model's stage, its
	// steps, its own sample, and its end counted.
	v.c.active.Store(1)
	pass := func() {
		if !v.c.mayStart(v) {
			t.Fatal("the VU may not start a pass")
		}
		v.readGlobals(false)
		v.pass = acc{}
		if v.exec(v.c.plan.Steps) != flowNext || v.pass.outcome != metrics.Success {
			t.Fatalf("pass failed: %+v", v.c.rec.Finish("c", time.Now()).Series[0].Errors)
		}
		v.shard.Record(v.c.passSeries, time.Now(), metrics.Sample{RT: v.pass.rt, Outcome: v.pass.outcome, Sent: v.pass.sent, Recv: v.pass.recv})
		v.c.passEnded(v, true)
		v.nextIter()
	}
	for range 50 {
		pass()
	}
	if n := testing.AllocsPerRun(200, pass); n != 0 {
		t.Errorf("%v allocations per pass, want 0", n)
	}
	v.exec(v.c.plan.Steps)
	if got, want := string(v.res.URL), "/items/1/251?"; !strings.Contains(got, want) {
		t.Errorf("after 251 passes the URL is %s, want it to hold %s", got, want)
	}
	if n := v.c.rec.Finish("c", time.Now()).Series[v.c.passSeries].Count; n != 251 {
		t.Errorf("%d passes recorded, want 251", n)
	}
}

// Recording a custom metric from a variable and counting a soft check
// allocate nothing per pass: the value is read as a number in place, and
// the structured check is an integer compare.
func TestCustomMetricAllocs(t *testing.T) {
	v := iterationVU(t, `      - http: {name: get, url: "${base}/items/${id}"}
        soft_check: status == 200
        extract: {size: {header: Content-Length}}
      - metric: {name: size_b, trend: size}
      - metric: {name: gets, counter: 1}`)
	pass := func() {
		v.readGlobals(false)
		v.pass = acc{}
		if v.exec(v.c.plan.Steps) != flowNext || v.pass.outcome != metrics.Success {
			t.Fatalf("pass failed: %+v", v.c.rec.Finish("c", time.Now()).Series[0].Errors)
		}
	}
	for range 50 {
		pass()
	}
	if n := testing.AllocsPerRun(200, pass); n != 0 {
		t.Errorf("%v allocations per pass, want 0", n)
	}
	st := v.c.rec.Finish("c", time.Now())
	if x := st.Extra("size_b"); x == nil || x.N != 251 || x.Min != 5000 || x.Max != 5000 {
		t.Errorf("size_b: %+v, want 251 values of 5 (the hello body's length)", x)
	}
	for _, x := range st.Extras {
		if x.Kind == metrics.Rate && (x.N != 251 || x.Sum != 251) {
			t.Errorf("soft check %q: %d of %d held", x.Name, x.Sum, x.N)
		}
	}
}

// A pass with a together: step allocates nothing once its lanes are
// started: a request handed to a lane and heard back is two channel
// operations, and the lanes' exchanges are judged in the VU's buffers.
func TestTogetherAllocs(t *testing.T) {
	v := iterationVU(t, `      - together:
          - http: {name: a, url: "${base}/a/${id}"}
            check: status == 200
          - http: {name: b, url: "${base}/b/${id}"}
            check: status == 200
          - http: {name: c, url: "${base}/c/${id}"}
            check: status == 200`)
	pass := func() {
		v.readGlobals(false)
		v.pass = acc{}
		if v.exec(v.c.plan.Steps) != flowNext || v.pass.outcome != metrics.Success {
			t.Fatalf("pass failed: %+v", v.c.rec.Finish("c", time.Now()).Series[0].Errors)
		}
	}
	for range 50 {
		pass()
	}
	if n := testing.AllocsPerRun(200, pass); n != 0 {
		t.Errorf("%v allocations per pass, want 0", n)
	}
	if len(v.lanes) != 2 {
		t.Errorf("%d lanes, want 2", len(v.lanes))
	}
	st := v.c.rec.Finish("c", time.Now())
	for _, s := range st.Series {
		if s.Kind != metrics.KindCase && s.Count != 251 { // the passes are not recorded here
			t.Errorf("series %s: %d samples, want 251", s.Name, s.Count)
		}
	}
}
