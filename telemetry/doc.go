// Package telemetry streams a run's metrics, while it goes, to the
// monitoring systems people already watch: a Prometheus endpoint that
// Prometheus scrapes (Prometheus), Prometheus's remote-write protocol
// (RemoteWrite) and OpenTelemetry's OTLP over HTTP (OTLP). Each is an
// output.Output: it reads the per-second records the run's clock
// harvests, never a sample, so it costs nothing on the request path.
//
// The three share one model (state): per series, cumulative counts by
// outcome, bytes and a response-time histogram whose buckets are exact
// bucket edges of the harvest's coarse histograms; per case, the VUs,
// the missed starts, the protocols' extra metrics, the scenario's custom
// metrics and its soft checks' counts; and, once the run ended, each KPI
// checkpoint's result. The metrics and their names are
// one table (families), spelled both the Prometheus way and the
// OpenTelemetry way; docs/live-metrics.md is their contract.
//
// The package must not judge a run (the checkpoint results are the
// run's) nor touch the run's figures: an output copies what it keeps.
// Network I/O happens on goroutines of its own, so the run's clock never
// waits on a slow receiver.
package telemetry
