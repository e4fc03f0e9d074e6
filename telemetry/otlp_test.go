package telemetry

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/perfcase/perfcase/internal/testsupport"
)

// Exported over OTLP/HTTP to a URL without a path (so to /v1/metrics),
// the run's metrics arrive under a resource naming perfcase, the
// scenario and the run, and, named the Prometheus way (promName), hold
// every final value, equal to the run's figures.
func TestOTLP(t *testing.T) {
	rec := fakeRun(t)
	recv := testsupport.NewOTLPReceiver(t)
	u, _ := url.Parse(recv.URL)
	o, err := NewOTLP(u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec.replay(t, o, nil)
	exports := recv.Exports(t)
	if len(exports) == 0 {
		t.Fatal("nothing arrived")
	}
	req := exports[len(exports)-1]
	if len(req.ResourceMetrics) != 1 {
		t.Fatalf("%d resources", len(req.ResourceMetrics))
	}
	rm := req.ResourceMetrics[0]
	res := map[string]string{}
	for _, kv := range rm.Resource.Attributes {
		res[kv.Key] = kv.Value.GetStringValue()
	}
	if res["service.name"] != "perfcase" || res["perfcase.scenario"] != "live" || res["perfcase.run_id"] != rec.start.RunID {
		t.Errorf("resource %v", res)
	}
	rec.checkWants(t, rec.otlpSamples(t, rm))
}

// The OTLP exporter's own environment variables apply: headers (a
// collector's token) and compression.
func TestOTLPEnvironment(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20t0k")
	t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
	rec := fakeRun(t)
	recv := testsupport.NewOTLPReceiver(t)
	u, _ := url.Parse(recv.URL + "/v1/metrics") // a path: used as it is
	o, err := NewOTLP(u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec.replay(t, o, nil)
	hs := recv.Headers()
	if len(hs) == 0 || hs[len(hs)-1].Get("Authorization") != "Bearer t0k" || hs[len(hs)-1].Get("Content-Encoding") != "gzip" {
		t.Errorf("headers %v", hs)
	}
	exports := recv.Exports(t)
	rec.checkWants(t, rec.otlpSamples(t, exports[len(exports)-1].ResourceMetrics[0]))
}

// otlpSamples are the metrics of rm named as Prometheus's OTLP
// translation names them: dots become underscores, the unit is spelled
// out (annotations like {request} are dropped), a monotonic sum gets
// _total, a histogram its classic series, and a summary its quantiles,
// _sum and _count. Each is checked to be a family's Prometheus name.
func (r *recorded) otlpSamples(t *testing.T, rm *metricpb.ResourceMetrics) []sample {
	t.Helper()
	units := map[string]string{"s": "_seconds", "By": "_bytes", "%": "_percent", "1/s": "_per_second", "": ""}
	var out []sample
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			name := strings.ReplaceAll(m.Name, ".", "_")
			if !strings.HasPrefix(m.Unit, "{") {
				suffix, ok := units[m.Unit]
				if !ok {
					t.Fatalf("%s has the unit %q", m.Name, m.Unit)
				}
				name += suffix
			}
			labels := func(kvs []*commonpb.KeyValue) map[string]string {
				l := map[string]string{}
				for _, kv := range kvs {
					l[kv.Key] = kv.Value.GetStringValue()
				}
				return l
			}
			with := func(l map[string]string, k, v string) map[string]string {
				c := map[string]string{k: v}
				for a, b := range l {
					c[a] = b
				}
				return c
			}
			switch d := m.Data.(type) {
			case *metricpb.Metric_Sum:
				if !d.Sum.IsMonotonic || d.Sum.AggregationTemporality != metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
					t.Errorf("%s is not a cumulative counter", m.Name)
				}
				name += "_total"
				for _, p := range d.Sum.DataPoints {
					out = append(out, sample{name, labels(p.Attributes), p.GetAsDouble()})
				}
			case *metricpb.Metric_Gauge:
				for _, p := range d.Gauge.DataPoints {
					out = append(out, sample{name, labels(p.Attributes), p.GetAsDouble()})
				}
			case *metricpb.Metric_Histogram:
				for _, p := range d.Histogram.DataPoints {
					l := labels(p.Attributes)
					var n uint64
					for i, b := range p.ExplicitBounds {
						n += p.BucketCounts[i]
						out = append(out, sample{name + "_bucket", with(l, "le", strconv.FormatFloat(b, 'g', -1, 64)), float64(n)})
					}
					out = append(out, sample{name + "_bucket", with(l, "le", "+Inf"), float64(p.Count)},
						sample{name + "_sum", l, p.GetSum()}, sample{name + "_count", l, float64(p.Count)})
				}
			case *metricpb.Metric_Summary:
				for _, p := range d.Summary.DataPoints {
					l := labels(p.Attributes)
					for _, q := range p.QuantileValues {
						out = append(out, sample{name, with(l, "quantile", strconv.FormatFloat(q.Quantile, 'g', -1, 64)), q.Value})
					}
					out = append(out, sample{name + "_sum", l, p.Sum}, sample{name + "_count", l, float64(p.Count)})
				}
			default:
				t.Fatalf("%s is a %T", m.Name, d)
			}
			if !r.isFamily(name) {
				t.Errorf("%s translates to %s, no family's Prometheus name", m.Name, name)
			}
		}
	}
	return out
}

// isFamily reports whether name is a fixed family's or the Prometheus
// name of an extra metric of the run (a protocol's or a custom one).
func (r *recorded) isFamily(name string) bool {
	for _, f := range families {
		if f.prom == name {
			return true
		}
	}
	for _, s := range r.seconds {
		for _, x := range s.ExtraInfo {
			if f, _ := extraFamily(x); f.prom == name {
				return true
			}
		}
	}
	return false
}
