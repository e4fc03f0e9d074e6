package telemetry

import (
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
	} {
		f, scale := extraFamily(c.x)
		if f.prom != c.prom || f.otel != c.otel || f.unit != c.unit || f.typ != c.typ || scale != c.scale || len(f.bounds) != 0 {
			t.Errorf("extraFamily(%+v) = %+v, %v", c.x, f, scale)
		}
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
		out = append(out, sample{p.fam.prom + "_count", l, float64(p.hist.count)}, sample{p.fam.prom + "_sum", l, p.hist.sum})
	}
	return out
}
