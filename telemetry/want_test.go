package telemetry

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/metrics"
)

// sample is one series' value, in Prometheus's spelling, as a receiver
// got it.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// want is a value an output must carry once liveScenario's run ended.
type want struct {
	name   string
	labels []string // name, value, ...: the series' own, besides scenario and run_id
	value  float64
}

// wants are the values of liveScenario's run, known from its latencies
// and failures; the run's own figures (its report's) are checked to be
// the same, so that the values an output carries are the report's.
func (r *recorded) wants(t *testing.T) []want {
	t.Helper()
	home, pay, slow := r.series(t, "shop", "home"), r.series(t, "shop", "pay"), r.series(t, "burst", "slow")
	burst := r.caseResult(t, "burst")
	if home.Count != 40 || pay.Outcomes[metrics.Success] != 27 || pay.Outcomes[metrics.CheckFailed] != 13 {
		t.Fatalf("the run is not what the test expects: home %d, pay %v", home.Count, pay.Outcomes)
	}
	if slow.Count == 0 || burst.Missed == 0 {
		t.Fatalf("the burst case sent %d requests and missed %d starts; it should do both", slow.Count, burst.Missed)
	}
	w := []want{
		{"perfcase_requests_total", []string{"case", "shop", "request", "home", "outcome", "success"}, 40},
		{"perfcase_requests_total", []string{"case", "shop", "request", "home", "outcome", "check_failed"}, 0},
		{"perfcase_requests_total", []string{"case", "shop", "request", "pay", "outcome", "success"}, 27},
		{"perfcase_requests_total", []string{"case", "shop", "request", "pay", "outcome", "check_failed"}, 13},
		{"perfcase_requests_total", []string{"case", "shop", "request", "pay", "outcome", "timeout"}, 0},
		{"perfcase_requests_total", []string{"case", "burst", "request", "slow", "outcome", "success"}, float64(slow.Count)},
		{"perfcase_request_duration_seconds_bucket", []string{"case", "shop", "request", "home", "le", "0.0001"}, 0},
		{"perfcase_request_duration_seconds_bucket", []string{"case", "shop", "request", "home", "le", "0.0002"}, 40},
		{"perfcase_request_duration_seconds_bucket", []string{"case", "shop", "request", "home", "le", "+Inf"}, 40},
		{"perfcase_request_duration_seconds_sum", []string{"case", "shop", "request", "home"}, 40 * homeRT.Seconds()},
		{"perfcase_request_duration_seconds_count", []string{"case", "shop", "request", "home"}, 40},
		{"perfcase_request_duration_seconds_bucket", []string{"case", "shop", "request", "cart", "le", "0.0016"}, 0},
		{"perfcase_request_duration_seconds_bucket", []string{"case", "shop", "request", "cart", "le", "0.0032"}, 40},
		{"perfcase_request_duration_seconds_bucket", []string{"case", "shop", "request", "pay", "le", "0.0008"}, 0},
		{"perfcase_request_duration_seconds_bucket", []string{"case", "shop", "request", "pay", "le", "0.0016"}, 40},
		{"perfcase_request_duration_seconds_bucket", []string{"case", "burst", "request", "slow", "le", "0.1024"}, 0},
		{"perfcase_request_duration_seconds_bucket", []string{"case", "burst", "request", "slow", "le", "0.2048"}, float64(slow.Count)},
		{"perfcase_sent_bytes_total", []string{"case", "shop", "request", "home"}, float64(home.Sent)},
		{"perfcase_received_bytes_total", []string{"case", "shop", "request", "home"}, float64(home.Recv)},
		{"perfcase_transactions_total", []string{"case", "shop", "transaction", "buy", "outcome", "success"}, 27},
		{"perfcase_transactions_total", []string{"case", "shop", "transaction", "buy", "outcome", "check_failed"}, 13},
		{"perfcase_transaction_duration_seconds_bucket", []string{"case", "shop", "transaction", "buy", "le", "0.0032"}, 0},
		{"perfcase_transaction_duration_seconds_bucket", []string{"case", "shop", "transaction", "buy", "le", "0.0064"}, 40},
		{"perfcase_passes_total", []string{"case", "shop", "outcome", "success"}, 27},
		{"perfcase_passes_total", []string{"case", "shop", "outcome", "check_failed"}, 13},
		{"perfcase_pass_duration_seconds_bucket", []string{"case", "shop", "le", "0.0064"}, 40},
		{"perfcase_pass_duration_seconds_count", []string{"case", "shop"}, 40},
		{"perfcase_vus", []string{"case", "shop"}, 0},
		{"perfcase_missed_starts_total", []string{"case", "burst"}, float64(burst.Missed)},
		{"perfcase_missed_starts_total", []string{"case", "shop"}, 0},
		{"perfcase_extra_widgets_total", []string{"case", "shop"}, 40 * widgets},
		{"perfcase_extra_queue_seconds_count", []string{"case", "shop"}, 40},
		{"perfcase_extra_queue_seconds_sum", []string{"case", "shop"}, 40 * queue.Seconds()},
		{"perfcase_metric_orders_total", []string{"case", "shop"}, 80},
		{"perfcase_metric_depth", []string{"case", "shop"}, 2.5},
		{"perfcase_metric_basket_count", []string{"case", "shop"}, 40},
		{"perfcase_metric_basket_sum", []string{"case", "shop"}, 40 * 3.25},
		{"perfcase_metric_basket", []string{"case", "shop", "quantile", "0.5"}, 3.25},
		{"perfcase_metric_basket", []string{"case", "shop", "quantile", "0.99"}, 3.25},
		{"perfcase_soft_checks_total", []string{"case", "shop", "request", "home", "check", "status == 200", "result", "passed"}, 40},
		{"perfcase_soft_checks_total", []string{"case", "shop", "request", "home", "check", "status == 200", "result", "failed"}, 0},
		{"perfcase_soft_checks_total", []string{"case", "shop", "request", "pay", "check", "status == 200", "result", "passed"}, 27},
		{"perfcase_soft_checks_total", []string{"case", "shop", "request", "pay", "check", "status == 200", "result", "failed"}, 13},
		{"perfcase_checkpoint_passed", []string{"case", "shop", "series", "", "checkpoint", "success_rate >= 99"}, 0},
		{"perfcase_checkpoint_passed", []string{"case", "shop", "series", "", "checkpoint", "tp99 < 10ms"}, 1},
	}
	judged := map[string]bool{"success_rate >= 99": false, "tp99 < 10ms": true}
	for _, k := range r.caseResult(t, "shop").KPIs {
		if pass, ok := judged[k.Source]; !ok || pass != k.Pass {
			t.Fatalf("the run judged %s %v; the test expects otherwise", k.Source, k.Pass)
		}
	}
	return w
}

// checkWants checks that got holds every want, each series once, and that
// every series names the run.
func (r *recorded) checkWants(t *testing.T, got []sample) {
	t.Helper()
	for _, s := range got {
		if s.labels["run_id"] != r.start.RunID || s.labels["scenario"] != "live" {
			t.Fatalf("%s%v does not name the run %s of scenario live", s.name, s.labels, r.start.RunID)
		}
	}
	for _, w := range r.wants(t) {
		var found []float64
		for _, s := range got {
			if s.name == w.name && matches(s.labels, w.labels) {
				found = append(found, s.value)
			}
		}
		switch {
		case len(found) != 1:
			t.Errorf("%s%v: %d series, want 1", w.name, w.labels, len(found))
		case math.Abs(found[0]-w.value) > 1e-9*max(1, math.Abs(w.value)):
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, found[0], w.value)
		}
	}
}

// matches reports whether labels are exactly want's, besides scenario and
// run_id; an empty value is an absent label, as in Prometheus.
func matches(labels map[string]string, want []string) bool {
	n := 0
	for k, v := range labels {
		if k != "scenario" && k != "run_id" && v != "" {
			n++
		}
	}
	for i := 0; i < len(want); i += 2 {
		if labels[want[i]] != want[i+1] {
			return false
		}
		if want[i+1] != "" {
			n--
		}
	}
	return n == 0
}

func (s sample) String() string {
	keys := slices.Sorted(maps.Keys(s.labels))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, s.labels[k])
	}
	return fmt.Sprintf("%s{%s} %v", s.name, strings.TrimSuffix(b.String(), ","), s.value)
}
