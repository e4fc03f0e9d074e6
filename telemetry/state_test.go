package telemetry

import (
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/scenario"
)

// Once the run ended, the values are the finished run's, also where its
// seconds fell short of it (extra observations that landed after their
// second was harvested, missed starts counted at the very end), and the
// VUs are 0. A name that is not UTF-8 is made valid, not refused.
func TestFinalValuesAreTheRun(t *testing.T) {
	st := &state{}
	st.begin(&output.Start{RunID: "r1", Plan: &scenario.Plan{Name: "s"}})
	st.add(&output.Second{Case: "c\xff", Progress: output.Progress{Missed: 4}, Harvest: metrics.Harvest{
		VUs:  5,
		Info: []metrics.SeriesInfo{{Name: "q", Kind: metrics.KindRequest}}, Series: make([]metrics.Second, 1), Hists: make([]metrics.Coarse, 1),
		ExtraInfo: liveExtras, Extras: []metrics.ExtraSecond{{N: 1, Sum: 3}, {N: 1, Sum: int64(2 * time.Millisecond)}},
	}})
	get := func(name string) float64 {
		return value(t, snapSamples(st.snapshot(time.Now())), name, []string{"case", "c\uFFFD"})
	}
	for name, want := range map[string]float64{"perfcase_vus": 5, "perfcase_missed_starts_total": 4, "perfcase_extra_widgets_total": 3,
		"perfcase_extra_queue_seconds_count": 1, "perfcase_extra_queue_seconds_sum": 0.002} {
		if got := get(name); got != want {
			t.Errorf("while running, %s = %v, want %v", name, got, want)
		}
	}
	st.end(&output.Finished{Run: &metrics.Run{Cases: []*metrics.CaseResult{{Missed: 6, Stats: &metrics.CaseStats{Name: "c\xff", Extras: []*metrics.ExtraStats{
		{ExtraInfo: liveExtras[0], N: 2, Sum: 7}, {ExtraInfo: liveExtras[1], N: 2, Sum: int64(5 * time.Millisecond)}}}}}}})
	for name, want := range map[string]float64{"perfcase_vus": 0, "perfcase_missed_starts_total": 6, "perfcase_extra_widgets_total": 7,
		"perfcase_extra_queue_seconds_count": 2, "perfcase_extra_queue_seconds_sum": 0.005} {
		if got := get(name); got != want {
			t.Errorf("at the end, %s = %v, want %v", name, got, want)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{st})
	if _, err := reg.Gather(); err != nil {
		t.Errorf("a scrape fails: %v", err)
	}
}

// Before the run starts, /metrics is empty, not an error.
func TestNothingBeforeStart(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{&state{}})
	if fams, err := reg.Gather(); err != nil || len(fams) != 0 {
		t.Errorf("Gather = %v, %v", fams, err)
	}
}

// An extra metric's names carry its unit in base units (times in
// seconds) and, for a counter, _total, under a prefix of their own.
func TestExtraFamilies(t *testing.T) {
	for _, c := range []struct {
		x                metrics.ExtraInfo
		prom, otel, unit string
		typ              famType
		scale            float64
	}{
		{metrics.ExtraInfo{Name: "mqtt_messages_qos1", Kind: metrics.Counter, Unit: metrics.UnitCount}, "perfcase_extra_mqtt_messages_qos1_total", "perfcase.extra.mqtt_messages_qos1", "", counter, 1},
		{metrics.ExtraInfo{Name: "key-frame delay", Kind: metrics.Distribution, Unit: metrics.UnitDuration}, "perfcase_extra_key_frame_delay_seconds", "perfcase.extra.key_frame_delay", "s", histogram, 1e-9},
		{metrics.ExtraInfo{Name: "queue_ms", Kind: metrics.Distribution, Unit: metrics.UnitMillis}, "perfcase_extra_queue_ms_seconds", "perfcase.extra.queue_ms", "s", histogram, 1e-3},
		{metrics.ExtraInfo{Name: "payload", Kind: metrics.Counter, Unit: metrics.UnitBytes}, "perfcase_extra_payload_bytes_total", "perfcase.extra.payload", "By", counter, 1},
		{metrics.ExtraInfo{Name: "hit", Kind: metrics.Distribution, Unit: metrics.UnitPercent}, "perfcase_extra_hit_percent", "perfcase.extra.hit", "%", histogram, 1},
		{metrics.ExtraInfo{Name: "fps", Kind: metrics.Distribution, Unit: metrics.UnitPerSecond}, "perfcase_extra_fps_per_second", "perfcase.extra.fps", "1/s", histogram, 1},
		// A custom metric's values are thousandths of its own unit, which
		// its names do not spell; its prefix is apart from a protocol's.
		{metrics.ExtraInfo{Name: "orders", Kind: metrics.Counter, Unit: metrics.UnitMilli, Custom: true}, "perfcase_metric_orders_total", "perfcase.metric.orders", "", counter, 1e-3},
		{metrics.ExtraInfo{Name: "mqtt_dropped", Kind: metrics.Gauge, Unit: metrics.UnitMilli, Custom: true}, "perfcase_metric_mqtt_dropped", "perfcase.metric.mqtt_dropped", "", gauge, 1e-3},
		{metrics.ExtraInfo{Name: "server_ms", Kind: metrics.Trend, Unit: metrics.UnitMilli, Custom: true}, "perfcase_metric_server_ms", "perfcase.metric.server_ms", "", summary, 1e-3},
		// Every soft check counts in one family, told apart by labels.
		{metrics.ExtraInfo{Name: "status == 200", Kind: metrics.Rate, Unit: metrics.UnitCount, Series: "home"}, "perfcase_soft_checks_total", "perfcase.soft_checks", "{check}", counter, 1},
	} {
		f, scale := extraFamily(c.x)
		if f.prom != c.prom || f.otel != c.otel || f.unit != c.unit || f.typ != c.typ || scale != c.scale || len(f.bounds) != 0 {
			t.Errorf("extraFamily(%+v) = %+v, %v", c.x, f, scale)
		}
	}
}

// A custom gauge is, while the run goes, the mean of the latest harvested
// second that had values, kept through seconds without; once the run
// ended, the run's last value. A trend is a summary whose quantiles come
// with the finished run. Values are the metric's own, not thousandths.
func TestCustomGaugeAndTrend(t *testing.T) {
	gauge := metrics.ExtraInfo{Name: "depth", Kind: metrics.Gauge, Unit: metrics.UnitMilli, Custom: true}
	trend := metrics.ExtraInfo{Name: "server_ms", Kind: metrics.Trend, Unit: metrics.UnitMilli, Custom: true}
	st := &state{}
	st.begin(&output.Start{RunID: "r1", Plan: &scenario.Plan{Name: "s"}})
	second := func(g, tr metrics.ExtraSecond) {
		st.add(&output.Second{Case: "c", Harvest: metrics.Harvest{ExtraInfo: []metrics.ExtraInfo{gauge, trend}, Extras: []metrics.ExtraSecond{g, tr}}})
	}
	c := []string{"case", "c"}
	second(metrics.ExtraSecond{}, metrics.ExtraSecond{})
	if got := snapSamples(st.snapshot(time.Now())); find(got, "perfcase_metric_depth") {
		t.Errorf("a gauge without values is exported: %v", got)
	}
	for _, s := range []struct {
		g, tr     metrics.ExtraSecond
		depth     float64
		count, ms float64
	}{
		{metrics.ExtraSecond{N: 2, Sum: 1000 + 4000}, metrics.ExtraSecond{N: 1, Sum: 12500}, 2.5, 1, 12.5},
		{metrics.ExtraSecond{}, metrics.ExtraSecond{N: 3, Sum: 30000}, 2.5, 4, 42.5},
		{metrics.ExtraSecond{N: 1, Sum: -7250}, metrics.ExtraSecond{}, -7.25, 4, 42.5},
	} {
		second(s.g, s.tr)
		got := snapSamples(st.snapshot(time.Now()))
		if d, n, sum := value(t, got, "perfcase_metric_depth", c), value(t, got, "perfcase_metric_server_ms_count", c), value(t, got, "perfcase_metric_server_ms_sum", c); d != s.depth || n != s.count || sum != s.ms {
			t.Errorf("while running: depth %v, server_ms count %v sum %v; want %v, %v, %v", d, n, sum, s.depth, s.count, s.ms)
		}
		if find(got, "perfcase_metric_server_ms") {
			t.Errorf("a trend has quantiles before the run ended: %v", got)
		}
	}

	r := metrics.NewRecorder(nil, 1, time.Unix(0, 0), gauge, trend)
	for i, v := range []int64{3000, 9000, 1500} {
		r.Shard(0).Add(0, time.Unix(int64(i), 0), v)
	}
	for v := int64(1); v <= 100; v++ {
		r.Shard(0).Add(1, time.Unix(0, 0), v*1000)
	}
	cs := r.Finish("c", time.Unix(3, 0))
	st.end(&output.Finished{Run: &metrics.Run{Cases: []*metrics.CaseResult{{Stats: cs}}}})
	got := snapSamples(st.snapshot(time.Now()))
	if d := value(t, got, "perfcase_metric_depth", c); d != 1.5 {
		t.Errorf("at the end, depth %v, want the last value, 1.5", d)
	}
	// The quantiles are the report's percentiles (the HDR histogram's, to
	// 3 significant digits): within 0.1% above the exact ones.
	for _, q := range []struct {
		q     string
		exact float64
	}{{"0.5", 50}, {"0.9", 90}, {"0.95", 95}, {"0.99", 99}} {
		v := value(t, got, "perfcase_metric_server_ms", []string{"case", "c", "quantile", q.q})
		p, _ := strconv.ParseFloat(q.q, 64)
		if report := float64(cs.Extra("server_ms").Percentile(p*100)) / 1000; v != report || v < q.exact || v > q.exact*1.001 {
			t.Errorf("server_ms quantile %s = %v, want the report's %v, within 0.1%% above %v", q.q, v, report, q.exact)
		}
	}
	if n, sum := value(t, got, "perfcase_metric_server_ms_count", c), value(t, got, "perfcase_metric_server_ms_sum", c); n != 100 || sum != 5050 {
		t.Errorf("at the end, server_ms count %v sum %v, want 100, 5050", n, sum)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{st})
	if _, err := reg.Gather(); err != nil {
		t.Errorf("a scrape fails: %v", err)
	}
}

// snapSamples is a snapshot's series as Prometheus names them.
func snapSamples(s *snapshot) []sample {
	var out []sample
	for _, p := range s.points {
		l := map[string]string{"scenario": s.scenario, "run_id": s.runID}
		for i, n := range p.fam.labels {
			l[n] = p.labels[i]
		}
		if p.hist == nil {
			out = append(out, sample{p.fam.prom, l, p.value})
			continue
		}
		for i, v := range p.hist.quantiles {
			q := maps.Clone(l)
			q["quantile"] = strconv.FormatFloat(trendQuantiles[i], 'g', -1, 64)
			out = append(out, sample{p.fam.prom, q, v})
		}
		out = append(out, sample{p.fam.prom + "_count", l, float64(p.hist.count)}, sample{p.fam.prom + "_sum", l, p.hist.sum})
	}
	return out
}
