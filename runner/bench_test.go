package runner

import (
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perfcase/perfcase/metrics"
)

// helloServer is a fasthttp server on 127.0.0.1 answering every request
// with a short 200, the target of the hot-path benchmarks.
func helloServer(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.WriteString("hello") }}
	go srv.Serve(l)
	tb.Cleanup(func() { srv.Shutdown() })
	return "http://" + l.Addr().String()
}

// iterationVU builds one VU of a one-case plan, outside any schedule, so
// a benchmark can drive its passes directly.
func iterationVU(tb testing.TB, steps string) *vu {
	tb.Helper()
	plan := compile(tb, `
name: bench
variables:
  id: {type: integer, min: 1, max: 1000}
cases:
  - name: c
    steps:
`+steps+`
    stages:
      - {concurrency: 1, duration: 1s}
`, helloServer(tb), nil)
	c := newCaseRun(plan.Cases[0], &Options{}, 1)
	c.rec = metrics.NewRecorder(c.series, 1, time.Now(), c.extras...)
	v := newVU(c, 0)
	tb.Cleanup(v.closeDrivers)
	return v
}

// BenchmarkIteration is one VU pass: read the globals, render the URL,
// send over a kept-alive connection, check the status, record.
func BenchmarkIteration(b *testing.B) {
	v := iterationVU(b, `      - http: {name: get, url: "${base}/items/${id}"}
        check: status == 200`)
	pass := func() {
		v.readGlobals(false)
		v.pass = acc{}
		if v.exec(v.c.plan.Steps) != flowNext || v.pass.outcome != metrics.Success {
			b.Fatalf("pass failed: %+v", v.c.rec.Finish("c", time.Now()).Series[0].Errors)
		}
		v.shard.Record(v.c.passSeries, time.Now(), metrics.Sample{RT: v.pass.rt})
	}
	pass()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		pass()
	}
}
