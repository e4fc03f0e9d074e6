package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/perfcase/perfcase/demo"
	"github.com/perfcase/perfcase/internal/testsupport"
)

// The live outputs end to end: 'perfcase run' with its flags, a real
// target on 127.0.0.1 and real receivers (Debian's Prometheus scraping
// and taking pushes, an OTLP/HTTP receiver decoding with OpenTelemetry's
// types); what they hold once the run ended is compared with the run's
// report: every request's and transaction's count by outcome, the missed
// starts and every checkpoint.

// examples/live.yaml, with --prometheus-listen, scraped by Prometheus
// while it runs and once more during the linger: Prometheus holds the
// report's counts, saw the run at several scrapes, and every query of
// the Grafana dashboard answers.
func TestLiveExample(t *testing.T) {
	srv, err := demo.Start(demo.Options{HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	listen := testsupport.FreeAddr(t)
	prom := testsupport.StartPrometheus(t, listen)
	dir := t.TempDir()
	src, err := os.ReadFile("../../examples/live.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path, report := filepath.Join(dir, "live.yaml"), filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte(shorten(string(src))), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, out, errOut := runCmd(t, "run", "--quiet", "--set", "base=http://"+srv.HTTPAddr(),
		"--prometheus-listen", listen, "--prometheus-linger", "2s", "--out", report, path)
	// The example's KPIs are for its full length on a quiet machine.
	if code != exitOK && code != exitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "live metrics on http://"+listen+"/metrics") || !strings.Contains(errOut, "stays up 2s for a last scrape") {
		t.Errorf("stderr:\n%s", errOut)
	}
	rep := readLiveReport(t, report)
	// The endpoint is gone: Prometheus marked its series stale, so the
	// values are read as the last ones scraped.
	rep.compare(t, func(q string) []testsupport.PromSample { return prom.Query(t, "last_over_time("+q+"[5m])") })
	scrapes := prom.Query(t, `count_over_time(perfcase_requests_total{run_id="`+rep.runID+`", request="item", outcome="success"}[5m])`)
	if len(scrapes) != 1 || scrapes[0].Value < 4 {
		t.Errorf("the run was scraped %v times; want it seen while it ran", scrapes)
	}
	checkDashboard(t, prom, rep, start, time.Now())
}

// A run pushing to Prometheus's remote-write receiver and over OTLP at
// once, against a target that fails a quarter of one request's calls:
// both receivers got several pushes while it ran, and hold the report's
// figures at its end; the OTLP resource names the scenario and the run.
func TestLivePushes(t *testing.T) {
	var fails atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" && fails.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer target.Close()
	prom := testsupport.StartPrometheus(t)
	otlp := testsupport.NewOTLPReceiver(t)
	path := writeScenario(t, `name: pushed
transactions:
  order:
    - http: {name: cart, url: "${base}/ok"}
    - http: {name: pay, url: "${base}/fail"}
      check: [status == 200]
cases:
  - name: shop
    steps: [{http: {name: home, url: "${base}/ok"}}, {transaction: order}, {think: 10ms}]
    stages: [{concurrency: 4, duration: 3s}]
    kpis: [success_rate >= 99, tp99 < 1s]
`)
	report := filepath.Join(filepath.Dir(path), "report.json")
	code, out, errOut := runCmd(t, "run", "--quiet", "--set", "base="+target.URL, "--out", report,
		"--prometheus-remote-write", prom.URL+"/api/v1/write", "--otlp", otlp.URL, path)
	if code != exitFailed { // success_rate misses: a quarter of pay fails
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(errOut, "cannot push") {
		t.Errorf("a push failed:\n%s", errOut)
	}
	rep := readLiveReport(t, report)
	if rep.requests["requests/shop/pay/check_failed"] == 0 {
		t.Fatalf("no request failed: %v", rep.requests)
	}

	rep.compare(t, func(q string) []testsupport.PromSample { return prom.Query(t, q) })
	pushes := prom.Query(t, `count_over_time(perfcase_requests_total{run_id="`+rep.runID+`", request="home", outcome="success"}[5m])`)
	if len(pushes) != 1 || pushes[0].Value < 3 {
		t.Errorf("%v remote-write pushes; want one a second while the run went", pushes)
	}

	exports := otlp.Exports(t)
	if len(exports) < 3 {
		t.Fatalf("%d OTLP exports; want one a second while the run went", len(exports))
	}
	first, last := otlpValues(t, exports[0], rep.runID), otlpValues(t, exports[len(exports)-1], rep.runID)
	if k := "requests/shop/home/success"; first[k] >= last[k] {
		t.Errorf("home's successes: %v in the first export, %v in the last; want them rising", first[k], last[k])
	}
	rep.compare(t, func(q string) []testsupport.PromSample { return last.query(q) })
}

// Mistakes in the live outputs' flags are found before the run, all at
// once, and nothing runs (exit 2).
func TestLiveFlagMistakes(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer target.Close()
	path := writeScenario(t, "name: s\ncases:\n  - name: c\n    steps: [{http: \""+target.URL+"\"}]\n    stages: [{concurrency: 1, duration: 1s}]\n")
	held := httptest.NewServer(http.NotFoundHandler()) // holds its port
	defer held.Close()
	busy := strings.TrimPrefix(held.URL, "http://")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--prometheus-linger", "5s", "--prometheus-remote-write", "ftp://h/w", "--otlp", "127.0.0.1:4318"}, []string{
			"--prometheus-linger needs --prometheus-listen",
			`--prometheus-remote-write wants an http:// or https:// URL, e.g. http://127.0.0.1:9090/api/v1/write; got "ftp://h/w"`,
			"--otlp wants an http:// or https:// URL, e.g. http://127.0.0.1:4318"}},
		{[]string{"--prometheus-listen", busy, "--prometheus-linger", "-1s"}, []string{"--prometheus-linger must not be negative, got -1s"}},
		{[]string{"--prometheus-listen", busy}, []string{"--prometheus-listen: cannot serve /metrics on " + busy + ":", "address already in use"}},
		{[]string{"--prometheus-remote-write", "http://user:secret@127.0.0.1:port/"}, []string{`--prometheus-remote-write wants an http:// or https:// URL, e.g. http://127.0.0.1:9090/api/v1/write: invalid port ":port" after host`}},
	} {
		code, _, errOut := runCmd(t, append(append([]string{"run", "--quiet"}, c.args...), path)...)
		if code != exitInvalid || !strings.Contains(errOut, "nothing was run") || strings.Contains(errOut, "secret") {
			t.Errorf("%v: exit %d\n%s", c.args, code, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: no %q in\n%s", c.args, w, errOut)
			}
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the target got %d requests", hits.Load())
	}
}

// liveReport is what the live outputs must agree with, from the report
// JSON: keyed "requests/case/request/outcome",
// "transactions/case/transaction/outcome", "missed/case" and
// "checkpoint/case/series/kpi".
type liveReport struct {
	runID, scenario string
	requests        map[string]float64
}

func readLiveReport(t *testing.T, path string) *liveReport {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name                                                                                 string
		SuccessCount, FailedAssert, FailedParsed, FailedRefused, FailedTimeout, FailedOthers float64
	}
	var doc struct {
		Result struct {
			Cases []struct {
				Detail struct {
					DetailDatas, CustomTransactions []row
				}
			}
			Perfcase struct {
				RunID    string `json:"run_id"`
				Scenario string
				Cases    []struct {
					Case         string
					MissedStarts float64 `json:"missed_starts"`
				}
				KPIs []struct {
					Case, KPI, Series string
					Pass              bool
				}
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	r := &liveReport{runID: doc.Result.Perfcase.RunID, scenario: doc.Result.Perfcase.Scenario, requests: map[string]float64{}}
	outcomes := func(kind, c string, rw row) {
		for o, n := range map[string]float64{"success": rw.SuccessCount, "check_failed": rw.FailedAssert, "parse_failed": rw.FailedParsed,
			"refused": rw.FailedRefused, "timeout": rw.FailedTimeout, "other": rw.FailedOthers} {
			r.requests[kind+"/"+c+"/"+rw.Name+"/"+o] = n
		}
	}
	for i, c := range doc.Result.Perfcase.Cases {
		for _, rw := range doc.Result.Cases[i].Detail.DetailDatas {
			outcomes("requests", c.Case, rw)
		}
		for _, rw := range doc.Result.Cases[i].Detail.CustomTransactions {
			outcomes("transactions", c.Case, rw)
		}
		r.requests["missed/"+c.Case] = c.MissedStarts
	}
	for _, k := range doc.Result.Perfcase.KPIs {
		r.requests["checkpoint/"+k.Case+"/"+k.Series+"/"+k.KPI] = map[bool]float64{true: 1, false: 0}[k.Pass]
	}
	if len(r.requests) < 7 {
		t.Fatalf("the report has too little to compare: %v", r.requests)
	}
	return r
}

// compare checks that query, given a PromQL selector, finds every figure
// of the report, and nothing else, for the run.
func (r *liveReport) compare(t *testing.T, query func(string) []testsupport.PromSample) {
	t.Helper()
	got := map[string]float64{}
	run := `{run_id="` + r.runID + `", scenario="` + r.scenario + `"}`
	for _, q := range []struct{ metric, key string }{
		{"perfcase_requests_total", "requests/{case}/{request}/{outcome}"},
		{"perfcase_transactions_total", "transactions/{case}/{transaction}/{outcome}"},
		{"perfcase_missed_starts_total", "missed/{case}"},
		{"perfcase_checkpoint_passed", "checkpoint/{case}/{series}/{checkpoint}"},
	} {
		for _, s := range query(q.metric + run) {
			k := regexp.MustCompile(`\{\w+\}`).ReplaceAllStringFunc(q.key, func(l string) string { return s.Labels[strings.Trim(l, "{}")] })
			if _, dup := got[k]; dup {
				t.Errorf("%s twice", k)
			}
			got[k] = s.Value
		}
	}
	for k, want := range r.requests {
		if g, ok := got[k]; !ok || g != want {
			t.Errorf("%s: %v (found %v), the report says %v", k, g, ok, want)
		}
	}
	for k := range got {
		if _, ok := r.requests[k]; !ok {
			t.Errorf("%s = %v is not in the report", k, got[k])
		}
	}
}

// otlpExport is one OTLP export's values, keyed as liveReport's.
type otlpExport map[string]float64

// otlpValues reads an export's counters and gauges, checking that its
// resource names the run.
func otlpValues(t *testing.T, e interface {
	GetResourceMetrics() []*metricpb.ResourceMetrics
}, runID string) otlpExport {
	t.Helper()
	out := otlpExport{}
	for _, rm := range e.GetResourceMetrics() {
		res := map[string]string{}
		for _, kv := range rm.Resource.Attributes {
			res[kv.Key] = kv.Value.GetStringValue()
		}
		if res["perfcase.run_id"] != runID || res["perfcase.scenario"] != "pushed" || res["service.name"] != "perfcase" {
			t.Fatalf("resource %v", res)
		}
		keys := map[string]string{"perfcase.requests": "requests/{case}/{request}/{outcome}", "perfcase.transactions": "transactions/{case}/{transaction}/{outcome}",
			"perfcase.missed_starts": "missed/{case}", "perfcase.checkpoint.passed": "checkpoint/{case}/{series}/{checkpoint}"}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				key, ok := keys[m.Name]
				if !ok {
					continue
				}
				var points []*metricpb.NumberDataPoint
				if s := m.GetSum(); s != nil {
					points = s.DataPoints
				} else {
					points = m.GetGauge().GetDataPoints()
				}
				for _, p := range points {
					attrs := map[string]string{}
					for _, kv := range p.Attributes {
						attrs[kv.Key] = kv.Value.GetStringValue()
					}
					k := regexp.MustCompile(`\{\w+\}`).ReplaceAllStringFunc(key, func(l string) string { return attrs[strings.Trim(l, "{}")] })
					out[k] = p.GetAsDouble()
				}
			}
		}
	}
	return out
}

// query answers liveReport.compare's selectors from the export: the
// metric's values with their labels parsed back from the keys.
func (e otlpExport) query(q string) []testsupport.PromSample {
	kinds := map[string]string{"perfcase_requests_total": "requests", "perfcase_transactions_total": "transactions",
		"perfcase_missed_starts_total": "missed", "perfcase_checkpoint_passed": "checkpoint"}
	labels := map[string][]string{"requests": {"case", "request", "outcome"}, "transactions": {"case", "transaction", "outcome"},
		"missed": {"case"}, "checkpoint": {"case", "series", "checkpoint"}}
	kind := kinds[q[:strings.Index(q, "{")]]
	var out []testsupport.PromSample
	for k, v := range e {
		parts := strings.SplitN(k, "/", len(labels[kind])+1)
		if parts[0] != kind {
			continue
		}
		l := map[string]string{}
		for i, n := range labels[kind] {
			l[n] = parts[i+1]
		}
		out = append(out, testsupport.PromSample{Labels: l, Value: v})
	}
	return out
}

// checkDashboard runs every query of the Grafana dashboard, with its
// variables set to the run, over the run's time, as Grafana would: each
// answers with data.
func checkDashboard(t *testing.T, prom *testsupport.Prometheus, r *liveReport, start, end time.Time) {
	t.Helper()
	data, err := os.ReadFile("../../docs/grafana/perfcase.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Templating struct {
			List []struct{ Name, Definition string }
		}
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer("$scenario", r.scenario, "$run_id", r.runID, "$case", ".*",
		"$__rate_interval", fmt.Sprintf("%dms", 4*testsupport.ScrapeInterval.Milliseconds()))
	exprs := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs++
			q := vars.Replace(tg.Expr)
			if n := prom.QueryRange(t, q, start, end, time.Second); len(n) == 0 {
				t.Errorf("panel %q: %s answers nothing", p.Title, q)
			}
		}
	}
	for _, v := range dash.Templating.List {
		// label_values(SELECTOR, LABEL): the selector must find the run.
		if m := regexp.MustCompile(`^label_values\((.*), (\w+)\)$`).FindStringSubmatch(vars.Replace(v.Definition)); m != nil {
			if len(prom.Query(t, "last_over_time("+m[1]+"[5m])")) == 0 {
				t.Errorf("variable %s: %s finds nothing", v.Name, m[1])
			}
		}
	}
	if exprs < 15 {
		t.Errorf("the dashboard has %d queries", exprs)
	}
}

// A receiver that refuses the run's final metrics makes the run exit 3,
// saying so, whatever its checkpoints; the report is written all the same.
func TestLiveLastPushFails(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer target.Close()
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such tenant", http.StatusNotFound)
	}))
	defer refuse.Close()
	path := writeScenario(t, "name: s\ncases:\n  - name: c\n    steps: [{http: \""+target.URL+"\"}]\n    stages: [{concurrency: 1, count: 5}]\n    kpis: [success_rate >= 99]\n")
	report := filepath.Join(filepath.Dir(path), "report.json")
	code, out, errOut := runCmd(t, "run", "--quiet", "--out", report, "--prometheus-remote-write", refuse.URL+"/api/v1/write", path)
	if code != exitAborted || !strings.Contains(errOut, "cannot push the run's final metrics to "+refuse.URL+"/api/v1/write: 404 Not Found: no such tenant") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	if rep := readLiveReport(t, report); rep.runID == "" {
		t.Errorf("the report has no run: %v", rep.requests)
	}
}
