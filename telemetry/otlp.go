package telemetry

import (
	"context"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/perfcase/perfcase/output"
)

// NewOTLP is the output that exports the run's metrics over OTLP/HTTP
// (protobuf) to u: the families of Prometheus's output under their
// OpenTelemetry names, cumulative from the run's start, once a second
// and once more with the final values after the run. The resource names
// the service (perfcase), the scenario and the run. A URL without a path
// gets /v1/metrics, as OTEL_EXPORTER_OTLP_ENDPOINT does; the exporter's
// other OTEL_EXPORTER_OTLP_* variables (headers, certificates,
// compression) apply.
//
// The run's data is aggregated per second before any output sees it, and
// OpenTelemetry's instruments take one value at a time (and have no
// asynchronous histogram), so the output builds the metric data itself
// and hands it to the SDK's OTLP exporter.
func NewOTLP(u *url.URL, opts Options) (output.Output, error) {
	if u.Path == "" || u.Path == "/" {
		u = u.JoinPath("v1/metrics")
	}
	exp, err := otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpointURL(u.String()),
		otlpmetrichttp.WithRetry(otlpmetrichttp.RetryConfig{Enabled: true, InitialInterval: 250 * time.Millisecond, MaxInterval: 2 * time.Second, MaxElapsedTime: lastPushTimeout}))
	if err != nil {
		return nil, err
	}
	o := &otlp{exp: exp}
	o.pusher = newPusher(u.Redacted(), o.send, opts)
	return o, nil
}

type otlp struct {
	*pusher
	exp *otlpmetrichttp.Exporter
	res *resource.Resource // made at the first push, once the run is known
}

// End sends the final values, then closes the exporter.
func (o *otlp) End(f *output.Finished) error {
	err := o.pusher.End(f)
	o.exp.Shutdown(context.Background())
	return err
}

// The OTLP exporter retries what a receiver may take later itself, within
// the push's time: none of its errors is retryable here.
func (o *otlp) send(ctx context.Context, s *snapshot) error {
	if o.res == nil {
		o.res = resource.NewSchemaless(
			attribute.String("service.name", "perfcase"),
			attribute.String("service.instance.id", s.runID),
			attribute.String("perfcase.scenario", s.scenario),
			attribute.String("perfcase.run_id", s.runID))
	}
	return o.exp.Export(ctx, resourceMetrics(s, o.res))
}

// resourceMetrics is the snapshot as OpenTelemetry's metric data, one
// metric per family, in the order the families first appear.
func resourceMetrics(s *snapshot, res *resource.Resource) *metricdata.ResourceMetrics {
	var order []*family
	byFam := map[*family][]point{}
	for _, p := range s.points {
		if byFam[p.fam] == nil {
			order = append(order, p.fam)
		}
		byFam[p.fam] = append(byFam[p.fam], p)
	}
	ms := make([]metricdata.Metrics, 0, len(order))
	for _, f := range order {
		m := metricdata.Metrics{Name: f.otel, Description: f.help, Unit: f.unit}
		ps := byFam[f]
		switch f.typ {
		case counter:
			sum := metricdata.Sum[float64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}
			for _, p := range ps {
				sum.DataPoints = append(sum.DataPoints, metricdata.DataPoint[float64]{Attributes: attrs(s, f, p), StartTime: s.start, Time: s.time, Value: p.value})
			}
			m.Data = sum
		case gauge:
			g := metricdata.Gauge[float64]{}
			for _, p := range ps {
				g.DataPoints = append(g.DataPoints, metricdata.DataPoint[float64]{Attributes: attrs(s, f, p), StartTime: s.start, Time: s.time, Value: p.value})
			}
			m.Data = g
		case histogram:
			h := metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality}
			for _, p := range ps {
				h.DataPoints = append(h.DataPoints, metricdata.HistogramDataPoint[float64]{Attributes: attrs(s, f, p), StartTime: s.start, Time: s.time,
					Count: p.hist.count, Sum: p.hist.sum, Bounds: f.bounds, BucketCounts: p.hist.counts})
			}
			m.Data = h
		case summary:
			sm := metricdata.Summary{}
			for _, p := range ps {
				dp := metricdata.SummaryDataPoint{Attributes: attrs(s, f, p), StartTime: s.start, Time: s.time, Count: p.hist.count, Sum: p.hist.sum}
				for i, v := range p.hist.quantiles {
					dp.QuantileValues = append(dp.QuantileValues, metricdata.QuantileValue{Quantile: trendQuantiles[i], Value: v})
				}
				sm.DataPoints = append(sm.DataPoints, dp)
			}
			m.Data = sm
		}
		ms = append(ms, m)
	}
	return &metricdata.ResourceMetrics{Resource: res, ScopeMetrics: []metricdata.ScopeMetrics{{
		Scope:   instrumentation.Scope{Name: "github.com/perfcase/perfcase/telemetry"},
		Metrics: ms,
	}}}
}

// attrs are a point's attributes: its family's labels and, as on every
// Prometheus series, the scenario and the run. They repeat the resource's
// because a receiver that stores OTLP in Prometheus keeps resource
// attributes apart (target_info): on the points, the dashboard's filters
// work however the metrics arrive.
func attrs(s *snapshot, f *family, p point) attribute.Set {
	kv := make([]attribute.KeyValue, 0, len(f.labels)+2)
	kv = append(kv, attribute.String("scenario", s.scenario), attribute.String("run_id", s.runID))
	for i, l := range f.labels {
		kv = append(kv, attribute.String(l, p.labels[i]))
	}
	return attribute.NewSet(kv...)
}
