package telemetry

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/perfcase/perfcase/output"
)

// Options are what the live outputs need of whoever runs the run.
type Options struct {
	// Log receives the lines a user should see: where the metrics are
	// served, a push that failed. Nil: io.Discard.
	Log io.Writer
	// Interrupt and Abort are the user's first and second Ctrl-C (a
	// context's Done and a closed channel; nil: never). After the run,
	// either ends a wait: the linger, the last push's retries.
	Interrupt, Abort <-chan struct{}
}

func (o *Options) log() io.Writer {
	if o.Log == nil {
		return io.Discard
	}
	return o.Log
}

// Prometheus is the output that serves the run's metrics at /metrics for
// Prometheus to scrape, from before the run starts until its end and,
// with a linger, a while after, so that a last scrape sees the final
// values and the checkpoints' results.
type Prometheus struct {
	st     state
	opts   Options
	ln     net.Listener
	srv    *http.Server
	linger time.Duration
}

// Listen serves /metrics on addr (host:port; port 0 picks a free one)
// at once, so that an address in use is found before the run; End keeps
// it up for linger, then closes it.
func Listen(addr string, linger time.Duration, opts Options) (*Prometheus, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Prometheus{opts: opts, ln: ln, linger: linger}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{&p.st})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// Addr is the address /metrics is served on.
func (p *Prometheus) Addr() string { return p.ln.Addr().String() }

func (p *Prometheus) Start(s *output.Start) {
	p.st.begin(s)
	fmt.Fprintf(p.opts.log(), "perfcase: live metrics on http://%s/metrics\n", p.Addr())
}

func (p *Prometheus) Second(s *output.Second) { p.st.add(s) }

// End sets the final values, lingers, and stops serving.
func (p *Prometheus) End(f *output.Finished) error {
	p.st.end(f)
	if p.linger > 0 {
		fmt.Fprintf(p.opts.log(), "perfcase: /metrics stays up %v for a last scrape (Ctrl-C ends it)\n", p.linger)
		ctx, cancel := p.opts.afterRun(p.linger)
		<-ctx.Done()
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if p.srv.Shutdown(ctx) != nil {
		p.srv.Close() // a scrape that hangs does not hold the run's end
	}
	return nil
}

// afterRun is a context for a wait after the run, ending after timeout
// or at the user's next Ctrl-C: a first one (Interrupt) unless it
// already stopped the run, or a second one (Abort).
func (o *Options) afterRun(timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	interrupt := o.Interrupt
	select {
	case <-interrupt:
		interrupt = nil
	default:
	}
	go func() {
		select {
		case <-interrupt:
		case <-o.Abort:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, cancel
}

// collector hands a scrape the state as it is: its series are known only
// as the run harvests them, so it is unchecked (Describe sends nothing).
type collector struct{ st *state }

func (collector) Describe(chan<- *prometheus.Desc) {}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.st.snapshot(time.Now())
	if s == nil {
		return
	}
	run := prometheus.Labels{"scenario": s.scenario, "run_id": s.runID}
	descs := map[*family]*prometheus.Desc{}
	for _, p := range s.points {
		d := descs[p.fam]
		if d == nil {
			d = prometheus.NewDesc(p.fam.prom, p.fam.help, p.fam.labels, run)
			descs[p.fam] = d
		}
		switch p.fam.typ {
		case counter:
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, p.value, p.labels...)
		case gauge:
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, p.value, p.labels...)
		case histogram:
			buckets := make(map[float64]uint64, len(p.fam.bounds))
			var n uint64
			for i, b := range p.fam.bounds {
				n += p.hist.counts[i]
				buckets[b] = n
			}
			ch <- prometheus.MustNewConstHistogram(d, p.hist.count, p.hist.sum, buckets, p.labels...)
		case summary:
			qs := make(map[float64]float64, len(p.hist.quantiles))
			for i, v := range p.hist.quantiles {
				qs[trendQuantiles[i]] = v
			}
			ch <- prometheus.MustNewConstSummary(d, p.hist.count, p.hist.sum, qs, p.labels...)
		}
	}
}
