package telemetry

import (
	"strings"

	"github.com/perfcase/perfcase/metrics"
)

// famType is how a family's values behave.
type famType uint8

const (
	counter   famType = iota // only goes up over a run
	gauge                    // a value at a time
	histogram                // counts in buckets of response time, with count and sum
	// summary is a count and a sum and, once the run ended, quantiles
	// over the whole run: a trend's, whose values the harvested seconds
	// carry only as their count and sum.
	summary
)

// family is one metric perfcase exports, in both spellings: Prometheus's
// (the unit and, for a counter, _total in the name) and OpenTelemetry's
// (dotted, the unit apart). An OTLP receiver that translates names the
// Prometheus way (Prometheus's own OTLP endpoint, the Collector's
// Prometheus exporters) arrives at the Prometheus spelling, so a
// dashboard reads either.
type family struct {
	prom, otel string
	unit       string // UCUM, as OpenTelemetry writes it
	help       string
	typ        famType
	labels     []string
	// bounds are a histogram's upper bucket bounds, in its unit; nil
	// for a histogram of one bucket (count and sum only).
	bounds []float64
}

// The families of a run. Every series carries its case; a request's,
// transaction's and pass's counts carry the outcome: success or the one
// failure bucket (metrics.Outcome's names).
var (
	famRequests = &family{prom: "perfcase_requests_total", otel: "perfcase.requests", unit: "{request}", typ: counter,
		labels: []string{"case", "request", "outcome"}, help: "Requests completed, by outcome: success or its one failure bucket."}
	famRequestDuration = &family{prom: "perfcase_request_duration_seconds", otel: "perfcase.request.duration", unit: "s", typ: histogram,
		labels: []string{"case", "request"}, bounds: durationBounds, help: "Response time of requests, every outcome."}
	famSent = &family{prom: "perfcase_sent_bytes_total", otel: "perfcase.sent", unit: "By", typ: counter,
		labels: []string{"case", "request"}, help: "Bytes sent by requests."}
	famReceived = &family{prom: "perfcase_received_bytes_total", otel: "perfcase.received", unit: "By", typ: counter,
		labels: []string{"case", "request"}, help: "Bytes received by requests."}
	famTransactions = &family{prom: "perfcase_transactions_total", otel: "perfcase.transactions", unit: "{transaction}", typ: counter,
		labels: []string{"case", "transaction", "outcome"}, help: "Transactions completed, by outcome."}
	famTransactionDuration = &family{prom: "perfcase_transaction_duration_seconds", otel: "perfcase.transaction.duration", unit: "s", typ: histogram,
		labels: []string{"case", "transaction"}, bounds: durationBounds, help: "Time of transactions, every outcome."}
	famPasses = &family{prom: "perfcase_passes_total", otel: "perfcase.passes", unit: "{pass}", typ: counter,
		labels: []string{"case", "outcome"}, help: "Passes of a VU over the case's steps, by outcome (success only if every request of the pass succeeded)."}
	famPassDuration = &family{prom: "perfcase_pass_duration_seconds", otel: "perfcase.pass.duration", unit: "s", typ: histogram,
		labels: []string{"case"}, bounds: durationBounds, help: "Time of passes: the sum of their requests' times."}
	famVUs = &family{prom: "perfcase_vus", otel: "perfcase.vus", unit: "{vu}", typ: gauge,
		labels: []string{"case"}, help: "Virtual users of the case, as sampled in the latest harvested second; 0 once the run ended."}
	famMissed = &family{prom: "perfcase_missed_starts_total", otel: "perfcase.missed_starts", unit: "{pass}", typ: counter,
		labels: []string{"case"}, help: "Passes a rate stage was due to start but could not, every VU being busy."}
	famCheckpoint = &family{prom: "perfcase_checkpoint_passed", otel: "perfcase.checkpoint.passed", typ: gauge,
		labels: []string{"case", "series", "checkpoint"}, help: "1 if the KPI checkpoint held, 0 if it missed; set once the run ended. series is the request or transaction it judges, empty for the case."}
	// famSoftChecks has a request label because checks written the same
	// on two requests are two counts: as extra metrics of their own
	// (perfcase_extra_<check>) they would be one name twice.
	famSoftChecks = &family{prom: "perfcase_soft_checks_total", otel: "perfcase.soft_checks", unit: "{check}", typ: counter,
		labels: []string{"case", "request", "check", "result"}, help: "Responses a soft check judged, by result: passed or failed. check is the soft check as written."}
)

// families is every fixed family, for the tests and the docs' check.
var families = []*family{famRequests, famRequestDuration, famSent, famReceived, famTransactions, famTransactionDuration,
	famPasses, famPassDuration, famVUs, famMissed, famCheckpoint, famSoftChecks}

// seriesFamilies are the families of a series of each kind: its counts
// and its times.
var seriesFamilies = [...]struct{ count, duration *family }{
	metrics.KindRequest:     {famRequests, famRequestDuration},
	metrics.KindTransaction: {famTransactions, famTransactionDuration},
	metrics.KindCase:        {famPasses, famPassDuration},
}

// boundMicros are the upper bounds of the response-time buckets, in µs:
// 100 µs doubling up to 52.4 s. Each is 25·2^k, an edge of the coarse
// histograms the run harvests (metrics.Coarse: 16 buckets a power of
// two), so that a bucket counts exactly the responses faster than its
// bound: no coarse bucket straddles one.
var boundMicros = func() (b [20]int64) {
	for i := range b {
		b[i] = 100 << i
	}
	return b
}()

// durationBounds are boundMicros in seconds.
var durationBounds = func() []float64 {
	out := make([]float64, len(boundMicros))
	for i, us := range boundMicros {
		out[i] = float64(us) / 1e6
	}
	return out
}()

// bucketOf is, for each coarse bucket, the index of the response-time
// bucket its values fall in (len(boundMicros): past the last bound).
var bucketOf = func() (t [metrics.CoarseLen]uint8) {
	for i := range t {
		for _, us := range boundMicros {
			if metrics.CoarseBucket(us) <= i {
				t[i]++
			}
		}
	}
	return t
}()

// trendQuantiles are the quantiles a trend's summary carries once the
// run ended: the report's tp50, tp90, tp95 and tp99.
var trendQuantiles = []float64{0.5, 0.9, 0.95, 0.99}

// extraFamily is the family of a protocol's extra metric or of a custom
// metric, and the factor that brings its values to the family's unit: a
// counter adds up, a distribution is a histogram of one bucket (its count
// and sum). Times become seconds, as Prometheus wants base units. The
// names have their own prefix, so that no name a scenario or a protocol
// chooses can clash with perfcase's own; a soft check (kind Rate) counts
// in the fixed family famSoftChecks.
func extraFamily(x metrics.ExtraInfo) (*family, float64) {
	switch {
	case x.Kind == metrics.Rate:
		return famSoftChecks, 1
	case x.Custom:
		return customFamily(x)
	}
	name := sanitize(x.Name)
	f := &family{prom: "perfcase_extra_" + name, otel: "perfcase.extra." + name, labels: []string{"case"},
		help: "The protocol's extra metric " + x.Name + "."}
	scale := 1.0
	switch x.Unit {
	case metrics.UnitDuration:
		f.unit, f.prom, scale = "s", f.prom+"_seconds", 1e-9
	case metrics.UnitMillis:
		f.unit, f.prom, scale = "s", f.prom+"_seconds", 1e-3
	case metrics.UnitBytes:
		f.unit, f.prom = "By", f.prom+"_bytes"
	case metrics.UnitPercent:
		f.unit, f.prom = "%", f.prom+"_percent"
	case metrics.UnitPerSecond:
		f.unit, f.prom = "1/s", f.prom+"_per_second"
	}
	if x.Kind == metrics.Counter {
		f.typ, f.prom = counter, f.prom+"_total"
	} else {
		f.typ = histogram
	}
	return f, scale
}

// customFamily is the family of a custom metric (a metric: step's),
// under a prefix of its own: a protocol's extra metric may have the same
// name. Its values are kept in thousandths of a unit the scenario does
// not name, so the family names none: the values are the metric's own.
// A gauge is a gauge; a trend, whose harvested seconds carry only their
// count and sum, is a summary whose quantiles come with the finished run.
func customFamily(x metrics.ExtraInfo) (*family, float64) {
	name := sanitize(x.Name)
	f := &family{prom: "perfcase_metric_" + name, otel: "perfcase.metric." + name, labels: []string{"case"},
		help: "The scenario's custom metric " + x.Name + " (metric: steps), in its own unit."}
	switch x.Kind {
	case metrics.Counter:
		f.typ, f.prom = counter, f.prom+"_total"
	case metrics.Gauge:
		f.typ = gauge
		f.help += " The last value of the run once it ended; before, the mean of the latest harvested second's values."
	default:
		f.typ = summary
	}
	return f, x.Unit.Value(1)
}

// sanitize makes name a valid part of a metric name in both spellings:
// letters, digits and underscores.
func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, name)
}
