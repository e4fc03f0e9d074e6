package telemetry

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/scenario"
)

// Every response-time bound is where a coarse bucket starts, so a bucket
// counts exactly the responses faster than its bound: checked for every
// microsecond up to 2 s and every millisecond up to a minute.
func TestBucketsExact(t *testing.T) {
	for _, us := range boundMicros {
		if metrics.CoarseBucket(us-1) == metrics.CoarseBucket(us) {
			t.Errorf("%d µs is inside a coarse bucket", us)
		}
	}
	check := func(us int64) {
		want := 0
		for _, b := range boundMicros {
			if b <= us {
				want++
			}
		}
		if got := int(bucketOf[metrics.CoarseBucket(us)]); got != want {
			t.Fatalf("%d µs falls in bucket %d, want %d", us, got, want)
		}
	}
	for us := int64(0); us < 2e6; us++ {
		check(us)
	}
	for us := int64(2e6); us < 60e6; us += 1000 {
		check(us)
	}
}

// /metrics carries, while the run goes, the counts harvested so far, and
// after it, while it lingers, every final value (the checkpoints too),
// equal to the run's figures; a Ctrl-C ends the linger.
func TestPrometheusScrape(t *testing.T) {
	rec := fakeRun(t)
	interrupt := make(chan struct{})
	var log bytes.Buffer
	p, err := Listen("127.0.0.1:0", time.Minute, Options{Log: &log, Interrupt: interrupt})
	if err != nil {
		t.Fatal(err)
	}
	home := []string{"case", "shop", "request", "home", "outcome", "success"}
	var seen []float64
	rec.replay(t, &lingering{Prometheus: p, t: t, rec: rec, interrupt: interrupt}, func(s *output.Second) {
		if s.Case == "shop" {
			seen = append(seen, value(t, scrape(t, p.Addr()), "perfcase_requests_total", home))
		}
	})
	// Each second added its own; the first is part of the run.
	if len(seen) < 3 || seen[0] <= 0 || seen[0] >= 40 || seen[len(seen)-1] != 40 {
		t.Errorf("home's successes after each second: %v; want a rise to 40 over several seconds", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Errorf("home's successes went down: %v", seen)
		}
	}
	if !strings.Contains(log.String(), "live metrics on http://"+p.Addr()+"/metrics") || !strings.Contains(log.String(), "stays up 1m0s") {
		t.Errorf("log:\n%s", log.String())
	}
	if _, err := http.Get("http://" + p.Addr() + "/metrics"); err == nil {
		t.Error("/metrics is still served after End")
	}
}

// lingering checks, while p lingers after End, that /metrics has the
// run's final values, then ends the linger as a Ctrl-C would.
type lingering struct {
	*Prometheus
	t         *testing.T
	rec       *recorded
	interrupt chan struct{}
}

func (l *lingering) End(f *output.Finished) error {
	t := l.t
	done := make(chan error)
	go func() { done <- l.Prometheus.End(f) }()
	var got []sample
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = scrape(t, l.Addr()); find(got, "perfcase_checkpoint_passed") {
			break
		}
	}
	l.rec.checkWants(t, got)
	close(l.interrupt)
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("a Ctrl-C did not end the linger")
	}
	return nil
}

// scrape gets /metrics at addr and reads it with Prometheus's own parser.
func scrape(t *testing.T, addr string) []sample {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out []sample
	for name, f := range fams {
		for _, m := range f.Metric {
			labels := map[string]string{}
			for _, l := range m.Label {
				labels[l.GetName()] = l.GetValue()
			}
			with := func(k, v string) map[string]string {
				c := map[string]string{k: v}
				for a, b := range labels {
					c[a] = b
				}
				return c
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out = append(out, sample{name, labels, m.Counter.GetValue()})
			case dto.MetricType_GAUGE:
				out = append(out, sample{name, labels, m.Gauge.GetValue()})
			case dto.MetricType_HISTOGRAM:
				h := m.Histogram
				for _, b := range h.Bucket {
					out = append(out, sample{name + "_bucket", with("le", strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)), float64(b.GetCumulativeCount())})
				}
				// The parser keeps the +Inf bucket among the others.
				out = append(out, sample{name + "_sum", labels, h.GetSampleSum()}, sample{name + "_count", labels, float64(h.GetSampleCount())})
			case dto.MetricType_SUMMARY:
				s := m.Summary
				for _, q := range s.Quantile {
					out = append(out, sample{name, with("quantile", strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64)), q.GetValue()})
				}
				out = append(out, sample{name + "_sum", labels, s.GetSampleSum()}, sample{name + "_count", labels, float64(s.GetSampleCount())})
			default:
				t.Fatalf("%s is a %v", name, f.GetType())
			}
		}
	}
	return out
}

// value is the one series of name with exactly labels.
func value(t *testing.T, got []sample, name string, labels []string) float64 {
	t.Helper()
	for _, s := range got {
		if s.name == name && matches(s.labels, labels) {
			return s.value
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

// find reports whether got has a series of name.
func find(got []sample, name string) bool {
	for _, s := range got {
		if s.name == name {
			return true
		}
	}
	return false
}

// After a run that a Ctrl-C stopped, that Ctrl-C does not also end the
// linger: the next one does.
func TestLingerAfterInterruptedRun(t *testing.T) {
	interrupt, abort := make(chan struct{}), make(chan struct{})
	close(interrupt)
	p, err := Listen("127.0.0.1:0", time.Minute, Options{Interrupt: interrupt, Abort: abort})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(&output.Start{RunID: "r", Plan: &scenario.Plan{Name: "s"}})
	done := make(chan error)
	go func() { done <- p.End(&output.Finished{}) }()
	select {
	case <-done:
		t.Fatal("the linger ended at the Ctrl-C that stopped the run")
	case <-time.After(200 * time.Millisecond):
	}
	close(abort)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a second Ctrl-C did not end the linger")
	}
}
