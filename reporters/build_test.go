package reporters

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
)

// finished judges a hand-built run, as the runner does when it ends, and
// builds its report: what every output takes.
func finished(run *metrics.Run) *output.Finished {
	run.Judge()
	return Finish(run)
}

// report is a hand-built run's report JSON.
func report(run *metrics.Run) *output.Report { return finished(run).Report }

// t0 is the test run's start, in the offset the reference's examples use.
var t0 = time.Date(2024, 3, 1, 10, 0, 0, 0, time.FixedZone("", 8*3600))

// smp is one sample of a hand-built series, completed in second sec.
type smp struct {
	sec        int
	rt         time.Duration
	o          metrics.Outcome
	status     int
	sent, recv int64
}

// times repeats a sample n times.
func times(n int, s smp) []smp { return slices.Repeat([]smp{s}, n) }

// series builds the Stats a Recorder would finish with for these samples
// over secs seconds.
func series(name string, kind metrics.Kind, secs int, samples ...[]smp) *metrics.Stats {
	s := &metrics.Stats{Name: name, Kind: kind, Seconds: make([]metrics.Second, secs)}
	var sum time.Duration
	for _, x := range slices.Concat(samples...) {
		if s.Hist == nil {
			s.Hist = hdrhistogram.New(1, 3600000000, 3)
			s.Min = x.rt
		}
		if err := s.Hist.RecordValue(x.rt.Microseconds()); err != nil {
			panic(err)
		}
		s.Count++
		s.Outcomes[x.o]++
		if x.status > 0 {
			s.Status[x.status/100]++
		}
		s.Min, s.Max = min(s.Min, x.rt), max(s.Max, x.rt)
		sum += x.rt
		r := len(metrics.RangeBounds)
		for i, b := range metrics.RangeBounds {
			if x.rt < b {
				r = i
				break
			}
		}
		s.Ranges[r]++
		s.Sent, s.Recv = s.Sent+x.sent, s.Recv+x.recv
		s.MaxSent, s.MaxRecv = max(s.MaxSent, x.sent), max(s.MaxRecv, x.recv)
		sec := &s.Seconds[x.sec]
		sec.Count++
		sec.Outcomes[x.o]++
		sec.RTSum += x.rt
		sec.Sent += x.sent
		sec.Recv += x.recv
	}
	if s.Count > 0 {
		s.Mean = sum / time.Duration(s.Count)
	}
	return s
}

// withVUs notes the VUs of each second in every series of a case, as the
// recorder does.
func withVUs(cs *metrics.CaseStats, vus ...uint32) *metrics.CaseStats {
	for _, s := range cs.Series {
		for k := range s.Seconds {
			s.Seconds[k].VUs = vus[k]
		}
	}
	return cs
}

// shopRun is a four-second run of one case, "browse": requests item and
// login, transaction checkout and the case's passes, with KPIs that pass
// and fail on each kind of row.
func shopRun() *metrics.Run {
	ok := func(sec int, rt time.Duration) smp {
		return smp{sec: sec, rt: rt, o: metrics.Success, status: 200, sent: 100, recv: 1000}
	}
	item := series("item", metrics.KindRequest, 4,
		times(2, ok(0, 10*time.Millisecond)),
		times(3, ok(1, 10*time.Millisecond)),
		times(2, ok(2, 20*time.Millisecond)),
		[]smp{
			{sec: 2, rt: 300 * time.Millisecond, o: metrics.Timeout, sent: 100},
			{sec: 3, rt: 20 * time.Millisecond, o: metrics.CheckFailed, status: 500, sent: 100, recv: 500},
		})
	item.Errors = []metrics.ErrorCount{
		{Outcome: metrics.Timeout, Message: `GET http://127.0.0.1:8080/items/1: timeout`, Count: 1},
		{Outcome: metrics.CheckFailed, Message: "check status == 200 failed:\n  status is 500", Count: 1},
	}
	login := series("login", metrics.KindRequest, 4, []smp{
		{sec: 0, rt: 5 * time.Millisecond, o: metrics.Success, status: 200, sent: 200, recv: 60},
		{sec: 1, rt: 5 * time.Millisecond, o: metrics.Success, status: 200, sent: 200, recv: 60},
		{sec: 2, rt: 5 * time.Millisecond, o: metrics.Success, status: 200, sent: 200, recv: 60},
		{sec: 3, rt: time.Millisecond, o: metrics.Refused},
	})
	login.Errors = []metrics.ErrorCount{{Outcome: metrics.Refused, Message: "dial tcp 127.0.0.1:8080: connect: connection refused", Count: 1}}
	var checkout []smp
	for sec := range 4 {
		checkout = append(checkout, smp{sec: sec, rt: 40 * time.Millisecond, o: metrics.Success})
	}
	pass := func(sec int, rt time.Duration, o metrics.Outcome) smp {
		return smp{sec: sec, rt: rt, o: o, sent: 100, recv: 1000}
	}
	browse := series("browse", metrics.KindCase, 4,
		times(2, pass(0, 15*time.Millisecond, metrics.Success)),
		times(3, pass(1, 15*time.Millisecond, metrics.Success)),
		times(2, pass(2, 25*time.Millisecond, metrics.Success)),
		[]smp{pass(2, 305*time.Millisecond, metrics.Timeout), pass(3, 25*time.Millisecond, metrics.CheckFailed)})

	c := &metrics.CaseResult{
		Stats: withVUs(&metrics.CaseStats{
			Name: "browse", Start: t0, End: t0.Add(4 * time.Second),
			Series: []*metrics.Stats{item, login, series("checkout", metrics.KindTransaction, 4, checkout), browse},
			MaxVUs: 4,
		}, 2, 4, 4, 4),
		Protocols: []string{"HTTP"},
		Mode:      "concurrency_mode",
		Stages: []metrics.StageResult{
			{Name: "warm", Mode: "concurrency_mode", Start: t0, End: t0.Add(time.Second)},
			{Name: "load", Mode: "concurrency_mode", Start: t0.Add(time.Second), End: t0.Add(4 * time.Second)},
		},
		KPIs: []metrics.KPIResult{
			{Source: "tp99 < 500ms", Metric: "tp99", Op: "<", Threshold: 500, Observed: 305.151, Pass: true},
			{Source: "success_rate >= 95", Metric: "success_rate", Op: ">=", Threshold: 95, Observed: 77.78, Pass: false},
			{Source: "transactions >= 5", Metric: "transactions", Op: ">=", Threshold: 5, Observed: 9, Pass: true},
			{Source: "avg_rt < 40ms", Series: "item", Metric: "avg_rt", Op: "<", Threshold: 40, Observed: 45.556, Pass: false},
			{Source: "error_rate < 1", Series: "login", Metric: "error_rate", Op: "<", Threshold: 1, Observed: 25, Pass: false},
			{Source: "tps >= 0.5", Series: "checkout", Metric: "tps", Op: ">=", Threshold: 0.5, Observed: 1, Pass: true},
		},
	}
	return &metrics.Run{Name: "shop", Source: "examples/shop.yaml", Start: t0, End: t0.Add(4 * time.Second),
		Status: metrics.Completed, Cases: []*metrics.CaseResult{c}}
}

// probeRun is shopRun stopped by an SLA rule, its case browse with
// everything a TPS stage, a peak_probe stage, manual regulation, SLA rules
// and rendezvous points add, and a second case, search, that ran a
// step_probe stage.
func probeRun() *metrics.Run {
	run := shopRun()
	run.Status, run.Reason = metrics.StoppedBySLA, "SLA rule slow-item stopped the run"
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	c := run.Cases[0]
	c.LatencyFrom = "intended_start"
	c.Missed = 37
	c.Peak = &metrics.Peak{Stage: "ramp", Time: at(2), VUs: 40, RPS: 812.04, TPS: 406.016, AvgRT: 41.23456,
		SuccessRate: 99.1, Reason: "avg_rt < 40ms (observed 41.2 ms)"}
	c.Changes = []metrics.Change{
		{Time: at(1), Stage: "load", Target: 50, By: "control 127.0.0.1:6565"},
		{Time: at(2), Stage: "load", Target: 12.5},
	}
	c.SLA = []metrics.SLATrigger{
		{Time: at(2), Rule: "errors", KPI: "success_rate >= 99", Observed: 96.4, Stopped: false},
		{Time: at(3), Rule: "slow-item", KPI: "avg_rt < 200ms", Requests: []string{"item"}, Observed: 312, Stopped: true},
	}
	c.Rendezvous = []metrics.RendezvousResult{
		{Name: "pay", Releases: 1, Timeouts: 0},
		{Name: "checkout", Releases: 12, Timeouts: 1},
	}

	find := series("find", metrics.KindRequest, 4, times(4, smp{sec: 0, rt: 10 * time.Millisecond, o: metrics.Success, status: 200}))
	search := &metrics.CaseResult{
		Stats: withVUs(&metrics.CaseStats{Name: "search", Start: t0, End: at(4),
			Series: []*metrics.Stats{find, series("search", metrics.KindCase, 4, times(4, smp{sec: 0, rt: 10 * time.Millisecond}))},
			MaxVUs: 80}, 10, 20, 40, 80),
		Protocols:   []string{"HTTP"},
		Mode:        "step_probe",
		Stages:      []metrics.StageResult{{Name: "steps", Mode: "step_probe", Start: t0, End: at(4)}},
		LatencyFrom: "send",
	}
	knee := "the rate stopped rising: 815/s, +0.4% over the last good step's 812/s"
	search.Steps = []metrics.ProbeStep{
		{Stage: "steps", Start: at(0), End: at(1), VUs: 10, RPS: 200.5, AvgRT: 10.1, SuccessRate: 100, Good: true},
		{Stage: "steps", Start: at(1), End: at(2), VUs: 20, RPS: 398, AvgRT: 12.345678, SuccessRate: 100, Good: true},
		{Stage: "steps", Start: at(2), End: at(3), VUs: 40, RPS: 812.04, AvgRT: 41.23456, SuccessRate: 99.1, Good: true},
		{Stage: "steps", Start: at(3), End: at(4), VUs: 80, RPS: 815, AvgRT: 97.5, SuccessRate: 96.456, Reason: knee},
	}
	search.Peak = &metrics.Peak{Stage: "steps", Time: at(2), VUs: 40, RPS: 812.04, AvgRT: 41.23456, SuccessRate: 99.1, Reason: knee}
	run.Cases = append(run.Cases, search)
	return run
}

// reportJSON renders a run and decodes the file back both as the Go type
// and as plain JSON values.
func reportJSON(t *testing.T, run *metrics.Run) (*output.Report, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, finished(run)); err != nil {
		t.Fatal(err)
	}
	var typed output.Report
	if err := json.Unmarshal(buf.Bytes(), &typed); err != nil {
		t.Fatal(err)
	}
	var plain map[string]any
	if err := json.Unmarshal(buf.Bytes(), &plain); err != nil {
		t.Fatal(err)
	}
	return &typed, plain
}

func keys(v any) []string {
	var ks []string
	for k := range v.(map[string]any) {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// jsonNames are T's JSON field names: perftest's tests hold them equal to
// the reference's tables.
func jsonNames[T any]() []string {
	var names []string
	for f := range reflect.TypeFor[T]().Fields() {
		names = append(names, strings.Split(f.Tag.Get("json"), ",")[0])
	}
	return names
}

func TestReportFieldNames(t *testing.T) {
	_, doc := reportJSON(t, shopRun())
	if got, want := keys(doc), []string{"code", "extend", "message", "result"}; !slices.Equal(got, want) {
		t.Errorf("envelope keys = %v, want %v", got, want)
	}
	if doc["code"] != successCode || doc["message"] != "success" || doc["extend"] != nil {
		t.Errorf("envelope = %v %v %v", doc["code"], doc["message"], doc["extend"])
	}
	result := doc["result"].(map[string]any)
	wantResult := sorted([]string{"brokens", "details", "outline", "rtproportion", "taskInfo", "respTimeRange",
		"case_aw_info_list", "cases", "perfcase"})
	if got := keys(result); !slices.Equal(got, wantResult) {
		t.Errorf("result keys = %v, want %v", got, wantResult)
	}
	brokens := result["brokens"].(map[string]any)
	if got, want := keys(brokens), sorted([]string{"brand_brokens", "commonTimeStamps", "respcode_brokens", "tps_brokens", "vusers_brokens", "rtmp_broken_s", "streaming_error_broken_s"}); !slices.Equal(got, want) {
		t.Errorf("brokens keys = %v, want %v", got, want)
	}
	item := result["details"].(map[string]any)["data"].([]any)[0].(map[string]any)
	for _, tt := range []struct {
		what string
		obj  any
		want []string
	}{
		{"details.data[0].performance", item["performance"], jsonNames[perftest.PerformanceInfo]()},
		{"details.data[0].detailDatas[0]", item["detailDatas"].([]any)[0], jsonNames[perftest.DetailDataInfo]()},
		{"details.data[0].customTransactions[0]", item["customTransactions"].([]any)[0], jsonNames[perftest.DetailDataInfo]()},
		{"outline", result["outline"], jsonNames[perftest.ReportoutlineInfo]()},
		{"cases[0].detail.performance", result["cases"].([]any)[0].(map[string]any)["detail"].(map[string]any)["performance"], jsonNames[perftest.CaseReportDetail]()},
	} {
		if got := keys(tt.obj); !slices.Equal(got, sorted(tt.want)) {
			t.Errorf("%s keys = %v, want %v", tt.what, got, sorted(tt.want))
		}
	}
	perfcase := result["perfcase"].(map[string]any)
	if got, want := keys(perfcase), sorted([]string{"run_id", "scenario", "file", "status", "reason", "passed", "verdict", "exit_code", "kpis", "errors", "stages",
		"cases", "probe_steps", "manual_changes", "sla_triggers", "rendezvous", "connections", "labels", "ci", "curves", "metrics", "soft_checks"}); !slices.Equal(got, want) {
		t.Errorf("perfcase keys = %v, want %v", got, want)
	}
	if got, want := keys(perfcase["ci"]), sorted([]string{"system", "commit", "branch", "pipeline_url"}); !slices.Equal(got, want) {
		t.Errorf("perfcase.ci keys = %v, want %v", got, want)
	}
	if labels, ok := perfcase["labels"].(map[string]any); !ok || len(labels) != 0 {
		t.Errorf("a run without labels: labels = %v, want {}", perfcase["labels"])
	}
	if got, want := keys(perfcase["kpis"].([]any)[0]), sorted([]string{"case", "kpi", "series", "metric", "op", "threshold", "observed", "pass"}); !slices.Equal(got, want) {
		t.Errorf("perfcase.kpis[0] keys = %v, want %v", got, want)
	}
}

// f reads a report number; -1 stands for null.
func f(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func TestReportNumbers(t *testing.T) {
	r, _ := reportJSON(t, shopRun())
	res := r.Result
	perf := res.Cases[0].Detail.Performance
	item := res.Cases[0].Detail.DetailDatas[0]
	login := res.Cases[0].Detail.DetailDatas[1]
	checkout := res.Cases[0].Detail.CustomTransactions[0]
	tests := []struct {
		name      string
		got, want float64
	}{
		// The case's row is its requests taken together, item and login:
		// 13 in 4 s, 10 successful; its transaction fields are the passes.
		{"performance.requests", f(perf.Requests), 13},
		{"performance.tps", f(perf.TPS), 3.25},
		{"performance.successRate", f(perf.SuccessRate), 76.92},
		{"performance.errorCount", f(perf.ErrorCount), 3},
		{"performance.failedTimeout", f(perf.FailedTimeout), 1},
		{"performance.failedAssert", f(perf.FailedAssert), 1},
		{"performance.failedRefused", f(perf.FailedRefused), 1},
		// (9 × 45.556 + 4 × 4) / 13 ms, to the microsecond.
		{"performance.averageRespTime", f(perf.AverageRespTime), 32.769},
		// Percentiles are HDR's highest value equivalent to the sample at 3
		// significant digits (10 ms reads 10.007), never above the maximum.
		{"performance.tp99", f(perf.Tp99), 300},
		{"performance.tp50", f(perf.Tp50), 10.007},
		{"performance.min", f(perf.Min), 1},
		{"performance.max", f(perf.Max), 300},
		{"performance.transactions", f(perf.Transactions), 9},
		{"performance.transactionSuccess", f(perf.TransactionSuccess), 7},
		{"performance.tranTPS", f(perf.TranTPS), 2.25},
		{"performance.avgTranRespTime", f(perf.AvgTranRespTime), 50.556},
		{"performance.maxTranRespTime", f(perf.MaxTranRespTime), 305},
		{"performance.maxTps", f(perf.MaxTPS), 4},
		// Requests per second, item and login together: 3+1, 2+1, 2+1, 1+1.
		{"performance.maxRps", f(perf.MaxRPS), 4},
		// Status classes are the requests': item 7×200 + 500, login 3×200.
		{"performance.sum2xx", f(perf.Sum2xx), 10},
		{"performance.sum5xx", f(perf.Sum5xx), 1},
		// Bytes on the wire per second: 2460, 3560, 2560, 600.
		{"performance.avgNetworkTraffic", f(perf.AvgNetworkTraffic), 2.295},
		{"performance.maxNetworkTraffic", f(perf.MaxNetworkTraffic), 3.56},
		{"performance.minNetworkTraffic", f(perf.MinNetworkTraffic), 0.6},
		{"performance.currentThreadNum", f(perf.CurrentThreadNum), 4},
		{"performance.duration", f(perf.Duration), 4},
		{"item.requests", f(item.Requests), 9},
		{"item.successRate", f(item.SuccessRate), 77.78},
		{"item.averageRespTime", f(item.AverageRespTime), 45.556},
		{"item.avgRecBytes", f(item.AvgRecBytes), 833.33},
		{"item.avgSentBytes", f(item.AvgSentBytes), 100},
		{"item.maxRecBytes", f(item.MaxRecBytes), 1000},
		{"item.sum2xx", f(item.Sum2xx), 7},
		{"item.sum5xx", f(item.Sum5xx), 1},
		{"item.failedTimeout", f(item.FailedTimeout), 1},
		{"item.failedAssert", f(item.FailedAssert), 1},
		{"item.transactions", f(item.Transactions), -1},
		{"login.failedRefused", f(login.FailedRefused), 1},
		{"checkout.tps", f(checkout.TPS), 1},
		{"checkout.transactions", f(checkout.Transactions), 4},
		{"outline.tps", f(res.Outline.TPS), 3.25},
		{"outline.successRate", f(res.Outline.SuccessRate), 76.92},
		{"outline.avgResponseTime", f(res.Outline.AvgResponseTime), 32.769},
		{"outline.maxUsers", f(res.Outline.MaxUsers), 4},
		{"outline.kpiCaseCount", f(res.Outline.KPICaseCount), 1},
		{"outline.kpiCasePassCount", f(res.Outline.KPICasePassCount), 0},
		{"outline.completeNum", f(res.Outline.CompleteNum), 1},
		// (2 + 4 + 4 + 4) VU-seconds / 60.
		{"taskInfo.vum", f(res.TaskInfo.Vum), 0.23},
		{"details.data[0].detailDatas[0].vum", f(res.Details.Data[0].DetailDatas[0].Vum), 0.23},
		{"details.data[0].performance.transactionalSuccessRate", f(res.Details.Data[0].Performance.TransactionalSuccessRate), 77.78},
		{"details.data[0].customTransactions[0].transactionalTPS", f(res.Details.Data[0].CustomTransactions[0].TransactionalTPS), 1},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if got, want := *perf.StartTime, "2024-03-01T10:00:00+08:00"; got != want {
		t.Errorf("startTime = %s, want %s", got, want)
	}
	if *perf.DatumType != perftest.DatumCase || *item.DatumType != perftest.DatumAW || *checkout.DatumType != perftest.DatumTransaction {
		t.Errorf("datumType = %d, %d, %d; want 1, 0, 2", *perf.DatumType, *item.DatumType, *checkout.DatumType)
	}
	if !*item.IsAW || *perf.IsAW || *checkout.IsAW {
		t.Errorf("isAW = %v (item), %v (case), %v (checkout)", *item.IsAW, *perf.IsAW, *checkout.IsAW)
	}
	wantRanges := map[string]string{"0~50ms": "92.3%(12)", "50~200ms": "0.0%(0)", "200~500ms": "7.7%(1)",
		"500ms~1s": "0.0%(0)", "1~2s": "0.0%(0)", "2~3s": "0.0%(0)", "3~4s": "0.0%(0)", "4~5s": "0.0%(0)", ">5s": "0.0%(0)"}
	for k, want := range wantRanges {
		if got := res.RespTimeRange[k]; got != want {
			t.Errorf("respTimeRange[%q] = %q, want %q", k, got, want)
		}
	}
	if len(res.RespTimeRange) != len(wantRanges) {
		t.Errorf("respTimeRange has %d ranges, want %d", len(res.RespTimeRange), len(wantRanges))
	}
}

func TestReportBrokens(t *testing.T) {
	r, _ := reportJSON(t, shopRun())
	b := r.Result.Brokens
	tests := []struct {
		name      string
		got, want []float64
	}{
		{"tps", b.TpsBrokens.TPS, []float64{3, 4, 4, 2}},
		{"average", b.TpsBrokens.Average, []float64{8.333, 8.75, 86.25, 10.5}},
		{"vusers", b.VusersBrokens.Vusers, []float64{2, 4, 4, 4}},
		{"recBytes", b.BrandBrokens.RecBytes, []float64{2060, 3060, 2060, 500}},
		{"sentBytes", b.BrandBrokens.SentBytes, []float64{400, 500, 500, 100}},
		{"success", b.RespcodeBrokens.Success, []float64{3, 4, 3, 0}},
		{"error", b.RespcodeBrokens.Error, []float64{0, 0, 1, 2}},
		{"timeout", b.RespcodeBrokens.Timeout, []float64{0, 0, 1, 0}},
		{"checkPointFailed", b.RespcodeBrokens.CheckPointFailed, []float64{0, 0, 0, 1}},
		{"refusedFailed", b.RespcodeBrokens.RefusedFailed, []float64{0, 0, 0, 1}},
		{"parsedFailed", b.RespcodeBrokens.ParsedFailed, []float64{0, 0, 0, 0}},
		{"othersFailed", b.RespcodeBrokens.OthersFailed, []float64{0, 0, 0, 0}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("brokens %s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	var wantStamps []string
	for k := range 4 {
		wantStamps = append(wantStamps, strconv.FormatInt(t0.Add(time.Duration(k)*time.Second).UnixMilli(), 10))
	}
	if !slices.Equal(b.CommonTimeStamps, wantStamps) {
		t.Errorf("commonTimeStamps = %v, want %v", b.CommonTimeStamps, wantStamps)
	}
}

// Cases that ran one after the other sit side by side on the run's
// timeline, each at its offset from the run's start.
func TestBrokensSerialCases(t *testing.T) {
	one := func(name string, start time.Time) *metrics.CaseResult {
		req := series(name, metrics.KindRequest, 2, times(2, smp{sec: 0, rt: time.Millisecond}), times(3, smp{sec: 1, rt: time.Millisecond}))
		return &metrics.CaseResult{Stats: withVUs(&metrics.CaseStats{Name: name, Start: start, End: start.Add(2 * time.Second),
			Series: []*metrics.Stats{req}, MaxVUs: 1}, 1, 1)}
	}
	run := &metrics.Run{Name: "serial", Start: t0, End: t0.Add(5 * time.Second),
		Cases: []*metrics.CaseResult{one("a", t0), one("b", t0.Add(3*time.Second))}}
	b := report(run).Result.Brokens
	if got, want := b.TpsBrokens.TPS, []float64{2, 3, 0, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("tps = %v, want %v", got, want)
	}
	if got, want := b.VusersBrokens.Vusers, []float64{1, 1, 0, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("vusers = %v, want %v", got, want)
	}
	if len(b.CommonTimeStamps) != 5 {
		t.Errorf("%d timestamps, want 5", len(b.CommonTimeStamps))
	}
}

func TestReportCheckpoints(t *testing.T) {
	r, _ := reportJSON(t, shopRun())
	d := r.Result.Cases[0].Detail
	perf, item, login, checkout := d.Performance, &d.DetailDatas[0], &d.DetailDatas[1], &d.CustomTransactions[0]
	type check struct {
		point *float64
		res   *bool
	}
	tests := []struct {
		name      string
		got       check
		wantPoint float64 // -1: null
		wantRes   *bool
	}{
		{"performance tp99", check{perf.Tp99CheckPoint, perf.Tp99CheckRes}, 500, boolp(true)},
		{"performance successRate", check{perf.SuccessRateCheckPoint, perf.SuccessRateCheckRes}, 95, boolp(false)},
		{"performance transactions", check{perf.TransactionsCheckPoint, perf.TransactionsCheckRes}, 5, boolp(true)},
		{"performance avgRT (item's KPI, not the case's)", check{perf.AverageRespTimeCheckPoint, perf.AverageRespTimeCheckRes}, -1, nil},
		{"item averageRespTime", check{item.AverageRespTimeCheckPoint, item.AverageRespTimeCheckRes}, 40, boolp(false)},
		{"checkout tps", check{checkout.TPSCheckPoint, checkout.TPSCheckRes}, 0.5, boolp(true)},
		// error_rate has no field: it shows only in checkpointResult.
		{"login successRate", check{login.SuccessRateCheckPoint, login.SuccessRateCheckRes}, -1, nil},
	}
	for _, tt := range tests {
		if f(tt.got.point) != tt.wantPoint {
			t.Errorf("%s CheckPoint = %v, want %v", tt.name, f(tt.got.point), tt.wantPoint)
		}
		if (tt.got.res == nil) != (tt.wantRes == nil) || tt.got.res != nil && *tt.got.res != *tt.wantRes {
			t.Errorf("%s CheckRes = %v, want %v", tt.name, show(tt.got.res), show(tt.wantRes))
		}
	}
	for _, row := range []struct {
		name string
		got  *bool
		want bool
	}{
		{"performance", perf.CheckpointResult, false},
		{"item", item.CheckpointResult, false},
		{"login", login.CheckpointResult, false},
		{"checkout", checkout.CheckpointResult, true},
	} {
		if *row.got != row.want {
			t.Errorf("%s checkpointResult = %v, want %v", row.name, *row.got, row.want)
		}
	}
}

func show(b *bool) string {
	if b == nil {
		return "null"
	}
	return strconv.FormatBool(*b)
}

// Two KPIs on one field share its verdict; a KPI naming no row lands on
// the case's.
func TestJudgeSharesFieldsAndKeepsStrays(t *testing.T) {
	run := shopRun()
	run.Cases[0].KPIs = []metrics.KPIResult{
		{Source: "tp99 < 500ms", Metric: "tp99", Threshold: 500, Pass: true},
		{Source: "tp99 > 400ms", Metric: "tp99", Threshold: 400, Pass: false},
		{Source: "avg_rt < 1ms", Series: "gone", Metric: "avg_rt", Threshold: 1, Pass: false},
	}
	perf := report(run).Result.Cases[0].Detail.Performance
	if f(perf.Tp99CheckPoint) != 500 || *perf.Tp99CheckRes {
		t.Errorf("tp99 CheckPoint, CheckRes = %v, %v; want 500, false", f(perf.Tp99CheckPoint), *perf.Tp99CheckRes)
	}
	if f(perf.AverageRespTimeCheckPoint) != 1 || *perf.CheckpointResult {
		t.Errorf("stray KPI: averageRespTimeCheckPoint %v, checkpointResult %v; want 1, false",
			f(perf.AverageRespTimeCheckPoint), *perf.CheckpointResult)
	}
}

func TestReportPerfcase(t *testing.T) {
	run := shopRun()
	run.Status, run.Reason = metrics.Interrupted, "interrupt signal"
	r, _ := reportJSON(t, run)
	p := r.Result.Perfcase
	if p.Scenario != "shop" || p.File != "examples/shop.yaml" || p.Status != "interrupted" || p.Reason != "interrupt signal" || p.Passed {
		t.Errorf("perfcase = %q %q %q %q passed=%v", p.Scenario, p.File, p.Status, p.Reason, p.Passed)
	}
	if len(p.KPIs) != 6 {
		t.Fatalf("%d kpis, want 6", len(p.KPIs))
	}
	wantKPI := output.PerfcaseKPI{Case: "browse", KPI: "avg_rt < 40ms", Series: "item", Metric: "avg_rt", Op: "<",
		Threshold: num(40), Observed: num(45.556), Pass: false}
	if got := p.KPIs[3]; got.Case != wantKPI.Case || got.KPI != wantKPI.KPI || got.Series != wantKPI.Series ||
		got.Metric != wantKPI.Metric || got.Op != wantKPI.Op || *got.Threshold != *wantKPI.Threshold ||
		*got.Observed != *wantKPI.Observed || got.Pass {
		t.Errorf("kpis[3] = %+v, want %+v", got, wantKPI)
	}
	wantErrs := []output.PerfcaseError{
		{Case: "browse", Series: "item", Kind: "request", Outcome: "timeout", Message: "GET http://127.0.0.1:8080/items/1: timeout", Count: 1},
		{Case: "browse", Series: "item", Kind: "request", Outcome: "check_failed", Message: "check status == 200 failed:\n  status is 500", Count: 1},
		{Case: "browse", Series: "login", Kind: "request", Outcome: "refused", Message: "dial tcp 127.0.0.1:8080: connect: connection refused", Count: 1},
	}
	if !slices.Equal(p.Errors, wantErrs) {
		t.Errorf("errors = %+v, want %+v", p.Errors, wantErrs)
	}
	wantStages := []output.PerfcaseStage{
		{Case: "browse", Name: "warm", Mode: "concurrency_mode", Start: "2024-03-01T10:00:00+08:00", End: "2024-03-01T10:00:01+08:00"},
		{Case: "browse", Name: "load", Mode: "concurrency_mode", Start: "2024-03-01T10:00:01+08:00", End: "2024-03-01T10:00:04+08:00"},
	}
	if !slices.Equal(p.Stages, wantStages) {
		t.Errorf("stages = %+v, want %+v", p.Stages, wantStages)
	}
	if f(r.Result.Outline.CompleteNum) != 0 {
		t.Errorf("an interrupted run's completeNum = %v, want 0", f(r.Result.Outline.CompleteNum))
	}
}

// The run's labels and CI metadata are carried as they were given.
func TestReportLabelsAndCI(t *testing.T) {
	run := shopRun()
	run.Labels = map[string]string{"env": "staging", "build": "1234"}
	run.CI = metrics.CI{System: "gitlab", Commit: "9f3c2a1", Branch: "main", PipelineURL: "https://gitlab.example.com/shop/-/pipelines/77"}
	r, doc := reportJSON(t, run)
	p := r.Result.Perfcase
	if !maps.Equal(p.Labels, run.Labels) || p.CI != output.PerfcaseCI(run.CI) {
		t.Errorf("labels %v, ci %+v", p.Labels, p.CI)
	}
	ci := doc["result"].(map[string]any)["perfcase"].(map[string]any)["ci"].(map[string]any)
	if ci["pipeline_url"] != run.CI.PipelineURL || ci["system"] != "gitlab" {
		t.Errorf("ci JSON %v", ci)
	}
	run.Labels["env"] = "changed"
	if p.Labels["env"] != "staging" {
		t.Error("the report shares the run's label map")
	}
}

// A run with a case that recorded nothing still renders: ratios with
// nothing to divide are null, never NaN (which JSON cannot hold).
func TestReportEmptyCase(t *testing.T) {
	run := &metrics.Run{Name: "empty", Start: t0, End: t0,
		Cases: []*metrics.CaseResult{{Stats: &metrics.CaseStats{Name: "idle", Start: t0, End: t0}}}}
	r, _ := reportJSON(t, run)
	perf := r.Result.Cases[0].Detail.Performance
	if perf.SuccessRate != nil || perf.TPS != nil || perf.AvgRecBytes != nil {
		t.Errorf("successRate, tps, avgRecBytes = %v, %v, %v; want null", perf.SuccessRate, perf.TPS, perf.AvgRecBytes)
	}
	if len(r.Result.Brokens.CommonTimeStamps) != 0 {
		t.Errorf("brokens of an empty run: %v", r.Result.Brokens.CommonTimeStamps)
	}
}

// The same run renders to the same bytes.
func TestWriteJSONStable(t *testing.T) {
	for _, run := range []func() *metrics.Run{shopRun, probeRun} {
		var a, b bytes.Buffer
		if err := WriteJSON(&a, finished(run())); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&b, finished(run())); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two renderings of one run differ", statusName(run().Status))
		}
		if !bytes.Contains(a.Bytes(), []byte(`">5s": "0.0%(0)"`)) {
			t.Error(`">5s" is escaped or missing`)
		}
	}
}

// On the case's row tps counts passes (tranTPS) and rps its requests
// (tps); on any other row both are the row's own tps.
func TestTPSCheckFields(t *testing.T) {
	caseRow := perftest.CaseReportDetail{DatumType: datum(perftest.DatumCase), CheckpointResult: boolp(true)}
	judge(&caseRow, metrics.KPIResult{Metric: "tps", Threshold: 90, Pass: true})
	judge(&caseRow, metrics.KPIResult{Metric: "rps", Threshold: 200, Pass: false})
	if f(caseRow.TranTPSCheckPoint) != 90 || !*caseRow.TranTPSCheckRes || f(caseRow.TPSCheckPoint) != 200 || *caseRow.TPSCheckRes || *caseRow.CheckpointResult {
		t.Errorf("case row: tranTPS %v/%v, tps %v/%v, result %v", f(caseRow.TranTPSCheckPoint), caseRow.TranTPSCheckRes, f(caseRow.TPSCheckPoint), caseRow.TPSCheckRes, *caseRow.CheckpointResult)
	}
	awRow := perftest.CaseReportDetail{DatumType: datum(perftest.DatumAW), CheckpointResult: boolp(true)}
	judge(&awRow, metrics.KPIResult{Metric: "tps", Threshold: 5, Pass: true})
	if f(awRow.TPSCheckPoint) != 5 || awRow.TranTPSCheckPoint != nil {
		t.Errorf("request row: tps %v, tranTPS %v", f(awRow.TPSCheckPoint), awRow.TranTPSCheckPoint)
	}
}

// Everything a case adds beside its rows lands in perfcase, and the peak
// also on the case's row as 4-259's peakMetric.
func TestReportProbing(t *testing.T) {
	r, doc := reportJSON(t, probeRun())
	p := r.Result.Perfcase
	if p.Status != "stopped_by_sla" || p.Reason != "SLA rule slow-item stopped the run" || p.Passed {
		t.Errorf("status, reason, passed = %q, %q, %v; want stopped_by_sla, the reason, false", p.Status, p.Reason, p.Passed)
	}
	knee := "the rate stopped rising: 815/s, +0.4% over the last good step's 812/s"
	wantCases := []output.PerfcaseCase{
		{Case: "browse", LatencyFrom: "intended_start", MissedStarts: 37, Peak: &output.PerfcasePeak{
			Stage: "ramp", Time: "2024-03-01T10:00:02+08:00", VUs: 40, RPS: num(812.04), TPS: num(406.02),
			AvgRT: num(41.235), SuccessRate: num(99.1), Reason: "avg_rt < 40ms (observed 41.2 ms)"}},
		{Case: "search", LatencyFrom: "send", MissedStarts: 0, Peak: &output.PerfcasePeak{
			Stage: "steps", Time: "2024-03-01T10:00:02+08:00", VUs: 40, RPS: num(812.04), TPS: num(0),
			AvgRT: num(41.235), SuccessRate: num(99.1), Reason: knee}},
	}
	if len(p.Cases) != len(wantCases) {
		t.Fatalf("%d perfcase.cases, want %d", len(p.Cases), len(wantCases))
	}
	for i, want := range wantCases {
		if got := p.Cases[i]; got.Case != want.Case || got.LatencyFrom != want.LatencyFrom || got.MissedStarts != want.MissedStarts ||
			got.Peak == nil || !samePeak(*got.Peak, *want.Peak) {
			t.Errorf("perfcase.cases[%d] = %+v peak %+v, want %+v peak %+v", i, got, got.Peak, want, want.Peak)
		}
	}
	wantSteps := []output.PerfcaseProbeStep{
		{Case: "search", Stage: "steps", Start: "2024-03-01T10:00:00+08:00", End: "2024-03-01T10:00:01+08:00", VUs: 10, RPS: num(200.5), AvgRT: num(10.1), SuccessRate: num(100), Good: true, Reason: ""},
		{Case: "search", Stage: "steps", Start: "2024-03-01T10:00:01+08:00", End: "2024-03-01T10:00:02+08:00", VUs: 20, RPS: num(398), AvgRT: num(12.346), SuccessRate: num(100), Good: true, Reason: ""},
		{Case: "search", Stage: "steps", Start: "2024-03-01T10:00:02+08:00", End: "2024-03-01T10:00:03+08:00", VUs: 40, RPS: num(812.04), AvgRT: num(41.235), SuccessRate: num(99.1), Good: true, Reason: ""},
		{Case: "search", Stage: "steps", Start: "2024-03-01T10:00:03+08:00", End: "2024-03-01T10:00:04+08:00", VUs: 80, RPS: num(815), AvgRT: num(97.5), SuccessRate: num(96.46), Good: false, Reason: knee},
	}
	if len(p.ProbeSteps) != len(wantSteps) {
		t.Fatalf("%d probe_steps, want %d", len(p.ProbeSteps), len(wantSteps))
	}
	for i, got := range p.ProbeSteps {
		w := wantSteps[i]
		if got.Case != w.Case || got.Stage != w.Stage || got.Start != w.Start || got.End != w.End || got.VUs != w.VUs ||
			f(got.RPS) != f(w.RPS) || f(got.AvgRT) != f(w.AvgRT) || f(got.SuccessRate) != f(w.SuccessRate) ||
			got.Good != w.Good || got.Reason != w.Reason {
			t.Errorf("probe_steps[%d] = %+v, want %+v", i, got, w)
		}
	}
	wantChanges := []output.PerfcaseChange{
		{Case: "browse", Time: "2024-03-01T10:00:01+08:00", Stage: "load", Target: 50, By: "control 127.0.0.1:6565"},
		{Case: "browse", Time: "2024-03-01T10:00:02+08:00", Stage: "load", Target: 12.5, By: ""},
	}
	if !slices.Equal(p.ManualChanges, wantChanges) {
		t.Errorf("manual_changes = %+v, want %+v", p.ManualChanges, wantChanges)
	}
	if len(p.SLATriggers) != 2 {
		t.Fatalf("%d sla_triggers, want 2", len(p.SLATriggers))
	}
	for i, w := range []output.PerfcaseSLATrigger{
		{Case: "browse", Time: "2024-03-01T10:00:02+08:00", Rule: "errors", KPI: "success_rate >= 99", Requests: []string{}, Observed: num(96.4), Stopped: false},
		{Case: "browse", Time: "2024-03-01T10:00:03+08:00", Rule: "slow-item", KPI: "avg_rt < 200ms", Requests: []string{"item"}, Observed: num(312), Stopped: true},
	} {
		got := p.SLATriggers[i]
		if got.Case != w.Case || got.Time != w.Time || got.Rule != w.Rule || got.KPI != w.KPI ||
			!slices.Equal(got.Requests, w.Requests) || f(got.Observed) != f(w.Observed) || got.Stopped != w.Stopped {
			t.Errorf("sla_triggers[%d] = %+v, want %+v", i, got, w)
		}
	}
	// Sorted by name, not in the runner's order.
	wantRV := []output.PerfcaseRendezvous{{Case: "browse", Name: "checkout", Releases: 12, Timeouts: 1}, {Case: "browse", Name: "pay", Releases: 1, Timeouts: 0}}
	if !slices.Equal(p.Rendezvous, wantRV) {
		t.Errorf("rendezvous = %+v, want %+v", p.Rendezvous, wantRV)
	}

	pm := r.Result.Cases[0].Detail.Performance.PeakMetric
	if pm == nil || pm.VUser == nil || *pm.VUser != 40 || f(pm.RPS) != 812.04 || f(pm.AvgRT) != 41.235 ||
		f(pm.SuccessRate) != 99.1 || pm.PeakTime == nil || *pm.PeakTime != "2024-03-01T10:00:02+08:00" {
		t.Errorf("performance.peakMetric = %+v", pm)
	}
	for _, row := range r.Result.Cases[0].Detail.DetailDatas {
		if row.PeakMetric != nil {
			t.Errorf("request %s has a peakMetric", *row.Name)
		}
	}

	// The JSON names, as a consumer reads them.
	result := doc["result"].(map[string]any)
	perf := result["cases"].([]any)[0].(map[string]any)["detail"].(map[string]any)["performance"].(map[string]any)
	if got, want := keys(perf["peakMetric"]), sorted([]string{"vuser", "rps", "avgRT", "successRate", "peakTime"}); !slices.Equal(got, want) {
		t.Errorf("peakMetric keys = %v, want %v", got, want)
	}
	pc := result["perfcase"].(map[string]any)
	for _, tt := range []struct {
		what string
		obj  any
		want []string
	}{
		{"cases[0]", pc["cases"].([]any)[0], []string{"case", "role", "verdict", "latency_from", "missed_starts", "peak", "tp99_per_second", "rows_out", "streaming", "mqtt"}},
		{"cases[1]", pc["cases"].([]any)[1], []string{"case", "role", "verdict", "latency_from", "missed_starts", "peak", "tp99_per_second", "rows_out", "streaming", "mqtt"}},
		{"cases[0].peak", pc["cases"].([]any)[0].(map[string]any)["peak"],
			[]string{"stage", "time", "vus", "rps", "tps", "avg_rt", "success_rate", "reason"}},
		{"probe_steps[0]", pc["probe_steps"].([]any)[0],
			[]string{"case", "stage", "start", "end", "vus", "rps", "avg_rt", "success_rate", "good", "reason"}},
		{"manual_changes[0]", pc["manual_changes"].([]any)[0], []string{"case", "time", "stage", "target", "by"}},
		{"sla_triggers[0]", pc["sla_triggers"].([]any)[0], []string{"case", "time", "rule", "kpi", "requests", "observed", "stopped"}},
		{"rendezvous[0]", pc["rendezvous"].([]any)[0], []string{"case", "name", "releases", "timeouts"}},
	} {
		if got := keys(tt.obj); !slices.Equal(got, sorted(tt.want)) {
			t.Errorf("perfcase.%s keys = %v, want %v", tt.what, got, sorted(tt.want))
		}
	}
	if got := pc["sla_triggers"].([]any)[0].(map[string]any)["requests"]; got == nil {
		t.Error("sla_triggers[0].requests is null, want []")
	}
}

func samePeak(a, b output.PerfcasePeak) bool {
	return a.Stage == b.Stage && a.Time == b.Time && a.VUs == b.VUs && f(a.RPS) == f(b.RPS) && f(a.TPS) == f(b.TPS) &&
		f(a.AvgRT) == f(b.AvgRT) && f(a.SuccessRate) == f(b.SuccessRate) && a.Reason == b.Reason
}

// A case with none of it: one perfcase.cases entry with latency_from
// "send" and peak null, every other list [] (never null), no peakMetric.
func TestReportNoProbing(t *testing.T) {
	_, doc := reportJSON(t, shopRun())
	result := doc["result"].(map[string]any)
	pc := result["perfcase"].(map[string]any)
	cases := pc["cases"].([]any)
	if len(cases) != 1 {
		t.Fatalf("perfcase.cases = %v, want one entry", cases)
	}
	c := cases[0].(map[string]any)
	if c["case"] != "browse" || c["latency_from"] != "send" || c["missed_starts"] != 0.0 {
		t.Errorf("perfcase.cases[0] = %v", c)
	}
	if v, ok := c["peak"]; !ok || v != nil {
		t.Errorf("perfcase.cases[0].peak = %v (present %v), want null", v, ok)
	}
	if v, ok := c["rows_out"]; !ok || v != nil {
		t.Errorf("perfcase.cases[0].rows_out = %v (present %v), want null", v, ok)
	}
	for _, k := range []string{"probe_steps", "manual_changes", "sla_triggers", "rendezvous"} {
		if l, ok := pc[k].([]any); !ok || len(l) != 0 {
			t.Errorf("perfcase.%s = %#v, want []", k, pc[k])
		}
	}
	perf := result["cases"].([]any)[0].(map[string]any)["detail"].(map[string]any)["performance"].(map[string]any)
	if v, ok := perf["peakMetric"]; !ok || v != nil {
		t.Errorf("performance.peakMetric = %v (present %v), want null", v, ok)
	}
}

// Request series that opened connections list them with the mean time one
// took; series that opened none are left out.
func TestReportConnections(t *testing.T) {
	run := shopRun()
	run.Cases[0].Stats.Series[0].Connects = 4
	run.Cases[0].Stats.Series[0].ConnectTime = 10 * time.Millisecond
	p := report(run).Result.Perfcase
	if len(p.Connections) != 1 || p.Connections[0].Series != run.Cases[0].Stats.Series[0].Name ||
		p.Connections[0].Opened != 4 || f(p.Connections[0].AvgConnectMS) != 2.5 {
		t.Errorf("connections %+v", p.Connections)
	}
}

// Each case lists its requests' tp99 second by second, null in a second
// without requests.
func TestReportTP99PerSecond(t *testing.T) {
	run := shopRun()
	run.Cases[0].Stats.Requests = &metrics.Stats{Seconds: []metrics.Second{{Count: 3, P99: 12000}, {}, {Count: 1, P99: 300000}}}
	got := report(run).Result.Perfcase.Cases[0].TP99PerSecond
	if len(got) != 3 || f(got[0]) != 12 || got[1] != nil || f(got[2]) != 300 {
		t.Errorf("tp99 per second %v", got)
	}
}

// The report carries the verdict the run was judged to, for the run and
// each case, with the exit code: outputs and uploads read it, and none
// judges again.
func TestReportVerdict(t *testing.T) {
	dead := func(run *metrics.Run) *metrics.Run {
		c := run.Cases[1]
		for _, s := range c.Stats.Series {
			s.Outcomes[metrics.Timeout] += s.Outcomes[metrics.Success]
			s.Outcomes[metrics.Success] = 0
		}
		c.Steps, c.Peak = nil, nil
		return run
	}
	completed := func(run *metrics.Run) *metrics.Run {
		run.Status, run.Reason = metrics.Completed, ""
		run.Cases[0].SLA = nil
		return run
	}
	interrupted := shopRun()
	interrupted.Status = metrics.Interrupted
	for _, c := range []struct {
		name    string
		run     *metrics.Run
		verdict string
		exit    int
		cases   []string
	}{
		{"a KPI missed", shopRun(), "failed", 1, []string{"failed"}},
		{"stopped by SLA", probeRun(), "stopped_by_sla", 1, []string{"failed", "passed"}},
		{"a case tested nothing", dead(completed(probeRun())), "failed", 1, []string{"failed", "unusable"}},
		{"interrupted", interrupted, "interrupted", 3, []string{"failed"}},
	} {
		p := report(c.run).Result.Perfcase
		var cases []string
		for _, pc := range p.Cases {
			cases = append(cases, pc.Verdict)
		}
		if p.Verdict != c.verdict || p.ExitCode != c.exit || !slices.Equal(cases, c.cases) ||
			p.Verdict != c.run.Verdict.State.String() || p.ExitCode != c.run.Verdict.ExitCode() {
			t.Errorf("%s: verdict %q, exit %d, cases %v; want %q, %d, %v", c.name, p.Verdict, p.ExitCode, cases, c.verdict, c.exit, c.cases)
		}
	}
	run := dead(completed(probeRun()))
	run.Cases = run.Cases[1:]
	if p := report(run).Result.Perfcase; p.Verdict != "unusable" || p.ExitCode != 3 || !p.Passed {
		t.Errorf("only an unusable case: verdict %q, exit %d, passed %v", p.Verdict, p.ExitCode, p.Passed)
	}
}

// Custom metrics and soft checks are in the perfcase object: each stat
// of a metric's kind (null for the others), its values per second, and
// each soft check's passes and failures on its request.
func TestReportCustomMetrics(t *testing.T) {
	run := shopRun()
	cs := run.Cases[0].Stats
	rec := metrics.NewRecorder(nil, 1, cs.Start,
		metrics.ExtraInfo{Name: "orders", Kind: metrics.Counter, Unit: metrics.UnitMilli, Custom: true},
		metrics.ExtraInfo{Name: "depth", Kind: metrics.Gauge, Unit: metrics.UnitMilli, Custom: true},
		metrics.ExtraInfo{Name: "queue_ms", Kind: metrics.Trend, Unit: metrics.UnitMilli, Custom: true},
		metrics.ExtraInfo{Name: `body contains "ok"`, Kind: metrics.Rate, Unit: metrics.UnitCount, Series: "item"})
	sh := rec.Shard(0)
	for i := range 4 {
		at := cs.Start.Add(time.Duration(i) * 500 * time.Millisecond) // seconds 0 and 1
		sh.Add(0, at, 1500)
		sh.Add(1, at, int64(1000*i))
		sh.Add(2, at, int64(10000*(i+1)))
		sh.Add(3, at, int64(i%2))
	}
	cs.Extras = rec.Finish("browse", cs.End).Extras
	p := report(run).Result.Perfcase
	if len(p.Metrics) != 3 || len(p.SoftChecks) != 1 {
		t.Fatalf("metrics %+v soft checks %+v", p.Metrics, p.SoftChecks)
	}
	orders, depth, queue := p.Metrics[0], p.Metrics[1], p.Metrics[2]
	if orders.Type != "counter" || orders.Count != 4 || f(orders.Total) != 6 || f(orders.Rate) != 1.5 || orders.Min != nil || orders.Value != nil {
		t.Errorf("counter %+v", orders)
	}
	if depth.Type != "gauge" || f(depth.Value) != 3 || f(depth.Min) != 0 || f(depth.Max) != 3 || depth.Avg != nil || depth.TP95 != nil {
		t.Errorf("gauge %+v", depth)
	}
	if queue.Type != "trend" || queue.Count != 4 || f(queue.Avg) != 25 || f(queue.Min) != 10 || f(queue.Max) != 40 || f(queue.TP50) < 20 || f(queue.TP50) > 20.02 || queue.Total != nil {
		t.Errorf("trend %+v", queue)
	}
	perSecond := func(m output.PerfcaseMetric) []float64 {
		var out []float64
		for _, v := range m.PerSecond {
			out = append(out, f(v))
		}
		return out
	}
	// Four seconds: two with values, two without (null, or 0 for a counter).
	if got := perSecond(orders); !slices.Equal(got, []float64{3, 3, 0, 0}) {
		t.Errorf("counter per second %v", got)
	}
	if got := perSecond(queue); !slices.Equal(got, []float64{15, 35, -1, -1}) {
		t.Errorf("trend per second %v", got)
	}
	if sc := p.SoftChecks[0]; sc != (output.PerfcaseSoftCheck{Case: "browse", Series: "item", Check: `body contains "ok"`, Passed: 2, Failed: 2}) {
		t.Errorf("soft check %+v", sc)
	}
}
