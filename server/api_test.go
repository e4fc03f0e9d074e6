package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
	"github.com/perfcase/perfcase/server/store"
)

// exampleNames maps the reference examples' misspellings to the tables'
// names, which the service writes (perftest's decoder maps the same).
var exampleNames = map[string]string{
	"detailDats": "detailDatas", "vusers_broken": "vusers_brokens", "transactionalTps": "transactionalTPS",
	"transactionalTpsSuccess": "transactionalTPSSuccess", "servicelId": "serviceId", "serviceld": "serviceId",
}

// reference reads one of the reference's response examples
// (perftest/testdata), its spellings the tables'.
func reference(t *testing.T, name string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "perftest", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return respell(v)
}

func respell(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if to, ok := exampleNames[k]; ok {
				k = to
			}
			out[k] = respell(e)
		}
		return out
	case []any:
		for i := range x {
			x[i] = respell(x[i])
		}
	}
	return v
}

// full is the JSON shape of type T with every object filled in and every
// list holding one element: every key the reference's tables give, at
// every depth. Its scalars are zero values of the tables' types.
func full[T any]() any {
	var v T
	fill(reflect.ValueOf(&v).Elem(), 0)
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

func fill(v reflect.Value, depth int) {
	if depth > 6 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), depth+1)
	}
}

// sameShape reports, as a reference client would meet it, every place
// where got differs from want in shape: an object's keys, or a value's
// JSON type where both have one (null stands for a missing value of any
// type, as the reference writes it). A list's elements are each compared
// with want's first; objects keyed by data (respTimeRange) compare as
// objects of strings.
func sameShape(t *testing.T, path string, want, got any) {
	t.Helper()
	if want == nil || got == nil {
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: %T, want an object", path, got)
			return
		}
		if strings.HasSuffix(strings.ToLower(path), "timerange") || strings.HasSuffix(path, "resp_time_range") {
			for k, v := range g {
				if _, ok := v.(string); !ok {
					t.Errorf("%s.%s: %T, want a string", path, k, v)
				}
			}
			return
		}
		if wk, gk := keys(w), keys(g); wk != gk {
			t.Errorf("%s: keys\n%s\nwant\n%s", path, gk, wk)
		}
		for k, v := range w {
			if gv, ok := g[k]; ok {
				sameShape(t, path+"."+k, v, gv)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			t.Errorf("%s: %T, want a list", path, got)
			return
		}
		if len(w) > 0 {
			for i, gv := range g {
				sameShape(t, path+"["+strconv.Itoa(i)+"]", w[0], gv)
			}
		}
	default:
		if reflect.TypeOf(want) != reflect.TypeOf(got) {
			t.Errorf("%s: %v (%T), want a %T like %v", path, got, got, want, want)
		}
	}
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

// merge puts the example's values over the tables' full shape, so that
// a key the example writes null or leaves out still has the table's
// type, and a value the example has keeps the example's.
func merge(table, example any) any {
	tm, ok1 := table.(map[string]any)
	em, ok2 := example.(map[string]any)
	if ok1 && ok2 {
		out := map[string]any{}
		for k, v := range tm {
			out[k] = v
		}
		for k, v := range em {
			if tv, ok := tm[k]; ok {
				out[k] = merge(tv, v)
			} else {
				out[k] = v
			}
		}
		return out
	}
	tl, ok1 := table.([]any)
	el, ok2 := example.([]any)
	if ok1 && ok2 && len(tl) > 0 && len(el) > 0 {
		return []any{merge(tl[0], el[0])}
	}
	if example == nil {
		return table
	}
	return example
}

// The report API's read side, call by call, on both stores: each answer
// has the reference's keys and types (its example where complete, its
// tables where the example is cut short), the ids lead from one call to
// the next as the reference says, and the figures are the report's.
func TestReferenceAPI(t *testing.T) {
	for _, backend := range stores {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			tok := e.token("shop", store.ScopeRead)
			w := e.token("shop", store.ScopeWrite)
			shop := fixture(t, "shop.json")
			var rep output.Report
			if err := json.Unmarshal(shop, &rep); err != nil {
				t.Fatal(err)
			}
			for i, r := range [][]byte{withRun(t, shop, uuidN(1), -time.Hour), shop} {
				if status, body := e.upload("shop", w, r); status != 201 {
					t.Fatalf("upload %d: %d %s", i, status, body)
				}
			}
			var upEnv struct{ Result stored }
			if status, body := e.upload("shop", w, fixture(t, "big.json")); status != 201 || json.Unmarshal(body, &upEnv) != nil {
				t.Fatalf("upload big: %d %s", status, body)
			}
			up := upEnv.Result
			p, _ := e.st.Project(t.Context(), "shop")
			run, err := e.st.RunByUUID(t.Context(), p.ID, runIDOf(t, shop))
			if err != nil {
				t.Fatal(err)
			}

			// 4.6.2: the scenario's runs, newest first.
			var hist perftest.HistoryRunList
			raw := e.getJSON(fmt.Sprintf("/v1/shop/tasks/history-run-list/%d", run.TaskID), tok, &hist)
			var got any
			json.Unmarshal(raw, &got)
			sameShape(t, "4.6.2", merge(full[perftest.HistoryRunList](), reference(t, "history-run-list-4.6.2.json")), got)
			if len(hist.LogList) != 2 || *hist.LogList[0].RunID != float64(run.ID) || *hist.LogList[1].RunID >= *hist.LogList[0].RunID {
				t.Fatalf("history %s", raw)
			}
			h := hist.LogList[0]
			wantName := "shop_" + run.Start.UTC().Format(timeLayout)
			if *h.Name != wantName || *h.RunType != 1 || *h.ContinueTime != run.End.Sub(run.Start).Seconds() || !*h.Parallel ||
				len(h.TempNames) != 2 || *h.TempNames[0].Name != "browse" || *h.StartTime != run.Start.UTC().Format(timeLayout) {
				t.Errorf("history entry %s", raw)
			}

			// 4.6.5: the run's cases, with the ids of the calls below.
			var cases perftest.Response[perftest.CaseReportSummary]
			raw = e.getJSON(fmt.Sprintf("/v2/shop/task-run-infos/%d/cases", run.ID), tok, &cases)
			json.Unmarshal(raw, &got)
			sameShape(t, "4.6.5", merge(full[perftest.Response[perftest.CaseReportSummary]](), reference(t, "case-list-4.6.5.json")), got)
			list := cases.Result.CaseAwInfoList
			if cases.Code != successCode || len(list) != 2 || *list[0].Name != "browse" || *list[1].Name != "search" {
				t.Fatalf("cases %s", raw)
			}
			browse := list[0]
			caseRunID, detailID := *browse.CaseURII, *browse.ID
			if *browse.TestcaseID != caseRunID || *browse.TaskExecID != caseRunID || *browse.CaseAwID != detailID ||
				*browse.TaskID != fmt.Sprint(run.TaskID) || len(browse.Aw) != 3 || *browse.Aw[0].Name != "item" ||
				*browse.Aw[0].ID != *browse.AwList[0].CaseAwID || len(browse.TransactionList) != 1 || *browse.TransactionList[0].Name != "checkout" {
				t.Errorf("case browse %s", raw)
			}

			// 4.6.4: the case's rows, with the report's figures.
			var det perftest.Response[perftest.CaseReportDetailResult]
			raw = e.getJSON(fmt.Sprintf("/v2/shop/task-run-infos/%d/case-run-infos/%s/detail", run.ID, caseRunID), tok, &det)
			json.Unmarshal(raw, &got)
			sameShape(t, "4.6.4", merge(full[perftest.Response[perftest.CaseReportDetailResult]](), reference(t, "case-detail-4.6.4.json")), got)
			d := det.Result.Detail
			wantPerf := rep.Result.Cases[0].Detail.Performance
			if *d.Performance.Requests != *wantPerf.Requests || *d.Performance.Tp99 != *wantPerf.Tp99 || *d.Performance.ID != caseRunID ||
				*d.Performance.DetailID != detailID || len(d.DetailDatas) != 3 || *d.DetailDatas[0].AwID != *browse.Aw[0].ID ||
				*d.CustomTransactions[0].TransactionID != *browse.TransactionList[0].CaseAwID || *d.Performance.ProjectID != "shop" {
				t.Errorf("detail %s", raw)
			}

			// 4.6.1: the report of the case run.
			var rp perftest.Response[perftest.ReportInfo]
			path := fmt.Sprintf("/v1/shop/task-run-infos/%d/case-run-infos/%s/reports", run.ID, caseRunID)
			raw = e.getJSON(path+"?brokens_limit_count=2", tok, &rp)
			json.Unmarshal(raw, &got)
			sameShape(t, "4.6.1", merge(full[perftest.Response[perftest.ReportInfo]](), reference(t, "report-4.6.1.json")), got)
			item := rp.Result.Details.Data
			if len(item) != 1 || *item[0].Performance.Name != "browse" || *item[0].Performance.Requests != *wantPerf.Requests ||
				len(item[0].DetailDatas) != 3 || rp.Result.Details.Total != 1 || *rp.Result.Outline.ProjectID != "shop" {
				t.Errorf("reports %s", raw)
			}
			n := len(rep.Result.Brokens.CommonTimeStamps)
			if got := len(rp.Result.Brokens.TpsBrokens.TPS); got != 2 || len(rp.Result.Brokens.CommonTimeStamps) != 2 || n <= 2 {
				t.Errorf("brokens_limit_count=2 over %d seconds: %d points", n, got)
			}
			var all perftest.Response[perftest.ReportInfo]
			e.getJSON(path, tok, &all)
			if len(all.Result.Brokens.CommonTimeStamps) != n {
				t.Errorf("without a limit: %d points, want %d", len(all.Result.Brokens.CommonTimeStamps), n)
			}

			// 4.6.3: every detail's curves, from the report's: the
			// case's own row in a run of two cases, a request, a
			// transaction; each bucket's figures per second, the
			// series' own response-time ranges.
			cv := rep.Result.Perfcase.Curves
			browseCurves := cv.Cases[0]
			for _, c := range []struct {
				what, detail, kind, name string
			}{
				{"the case browse", detailID, output.CurveCase, "browse"},
				{"request item", *browse.Aw[0].ID, output.CurveRequest, "item"},
				{"transaction checkout", *browse.TransactionList[0].CaseAwID, output.CurveTransaction, "checkout"},
			} {
				var ch perftest.Response[perftest.TaskCaseAwChartResult]
				raw = e.getJSON(fmt.Sprintf("/v2/shop/task-run-infos/%d/case-run-infos/%s/detail/%s/chart", run.ID, caseRunID, c.detail), tok, &ch)
				json.Unmarshal(raw, &got)
				sameShape(t, "4.6.3 "+c.what, full[perftest.Response[perftest.TaskCaseAwChartResult]](), got)
				want := browseCurves.Find(c.kind, c.name)
				bl := ch.Result.BrokenList
				if want == nil || bl == nil || ch.Result.ErrMessage != nil || bl.RtmpBrokenS != nil || bl.StreamingErrorBrokenS != nil || bl.PerformanceLoad != nil {
					t.Fatalf("%s's chart %s", c.what, raw)
				}
				n := want.Buckets()
				if len(bl.CommonTimeStamps) != n || len(bl.TpsBrokenS.TPS) != n || len(bl.VusersBrokenS.Vusers) != n || n < 3 ||
					bl.CommonTimeStamps[1] != strconv.FormatInt(browseCurves.Start+int64(cv.Step)*1000, 10) {
					t.Fatalf("%s's chart has %d points (%v), its curves %d buckets", c.what, len(bl.TpsBrokenS.TPS), bl.CommonTimeStamps, n)
				}
				var requests, ranged int64
				for k := range n {
					requests += want.Count[k]
					if bl.TpsBrokenS.TPS[k] != float64(want.Count[k])/float64(cv.Step) || bl.RespcodeBrokenS.Error[k] != float64(want.Failed(k))/float64(cv.Step) ||
						bl.VusersBrokenS.Vusers[k] != browseCurves.VUs[k] || bl.BrandBrokenS.RecBytes[k] != float64(want.Recv[k])/float64(cv.Step) {
						t.Errorf("%s's chart, bucket %d: tps %v, error %v, vusers %v; its curves count %d, failed %d, vus %v",
							c.what, k, bl.TpsBrokenS.TPS[k], bl.RespcodeBrokenS.Error[k], bl.VusersBrokenS.Vusers[k], want.Count[k], want.Failed(k), browseCurves.VUs[k])
					}
				}
				for _, v := range ch.Result.RespTimeRange {
					var pct float64
					var cnt int64
					fmt.Sscanf(v, "%f%%(%d)", &pct, &cnt)
					ranged += cnt
				}
				if requests == 0 || ranged != requests || len(ch.Result.RespTimeRange) != 9 {
					t.Errorf("%s: %d samples in its curves, %d in its resp_time_range %v", c.what, requests, ranged, ch.Result.RespTimeRange)
				}
				// The case's curves count its requests, as its row.
				if c.kind == output.CurveCase && float64(requests) != *wantPerf.Requests {
					t.Errorf("the case's chart counts %d requests, its row %v", requests, *wantPerf.Requests)
				}
				var two perftest.Response[perftest.TaskCaseAwChartResult]
				e.getJSON(fmt.Sprintf("/v2/shop/task-run-infos/%d/case-run-infos/%s/detail/%s/chart?brokens_limit_count=2", run.ID, caseRunID, c.detail), tok, &two)
				if b := two.Result.BrokenList; b == nil || len(b.TpsBrokenS.TPS) != 2 || len(b.CommonTimeStamps) != 2 || len(b.RespcodeBrokenS.Success) != 2 {
					t.Errorf("%s's chart with brokens_limit_count=2: %+v", c.what, two.Result)
				}
			}
			// A report written before reports carried curves: no curves
			// to give, and err_message says why.
			var doc map[string]any
			json.Unmarshal(withRun(t, shop, uuidN(7), 0), &doc)
			delete(doc["result"].(map[string]any)["perfcase"].(map[string]any), "curves")
			old, _ := json.MarshalIndent(doc, "", " ")
			var oldUp struct{ Result stored }
			if status, body := e.upload("shop", w, old); status != 201 || json.Unmarshal(body, &oldUp) != nil {
				t.Fatalf("upload a report without curves: %d %s", status, body)
			}
			var oldCases perftest.Response[perftest.CaseReportSummary]
			e.getJSON(fmt.Sprintf("/v2/shop/task-run-infos/%d/cases", oldUp.Result.TaskRunID), tok, &oldCases)
			oc := oldCases.Result.CaseAwInfoList[0]
			var ch perftest.Response[perftest.TaskCaseAwChartResult]
			raw = e.getJSON(fmt.Sprintf("/v2/shop/task-run-infos/%d/case-run-infos/%s/detail/%s/chart", oldUp.Result.TaskRunID, *oc.CaseURII, *oc.Aw[0].ID), tok, &ch)
			if ch.Result.BrokenList != nil || ch.Result.RespTimeRange != nil || ch.Result.ErrMessage == nil || !strings.Contains(*ch.Result.ErrMessage, `no curves for "item"`) {
				t.Errorf("a report without curves: %s", raw)
			}
			// Curves without the detail's series: no curves either.
			json.Unmarshal(withRun(t, shop, uuidN(8), 0), &doc)
			series := doc["result"].(map[string]any)["perfcase"].(map[string]any)["curves"].(map[string]any)["cases"].([]any)[0].(map[string]any)["series"].([]any)
			series[1].(map[string]any)["name"] = "item-x"
			partial, _ := json.MarshalIndent(doc, "", " ")
			if status, body := e.upload("shop", w, partial); status != 201 || json.Unmarshal(body, &oldUp) != nil {
				t.Fatalf("upload a report with a series' curves renamed: %d %s", status, body)
			}
			e.getJSON(fmt.Sprintf("/v2/shop/task-run-infos/%d/cases", oldUp.Result.TaskRunID), tok, &oldCases)
			oc = oldCases.Result.CaseAwInfoList[0]
			raw = e.getJSON(fmt.Sprintf("/v2/shop/task-run-infos/%d/case-run-infos/%s/detail/%s/chart", oldUp.Result.TaskRunID, *oc.CaseURII, *oc.Aw[0].ID), tok, &ch)
			if ch.Result.BrokenList != nil || ch.Result.ErrMessage == nil || !strings.Contains(*ch.Result.ErrMessage, `have no series for "item"`) {
				t.Errorf("curves without the request's series: %s", raw)
			}
			var bigCases perftest.Response[perftest.CaseReportSummary]
			e.getJSON(fmt.Sprintf("/v2/shop/task-run-infos/%d/cases", up.TaskRunID), tok, &bigCases)
			bc := bigCases.Result.CaseAwInfoList[0]

			// Ids that are not the run's, or not ids, are 404s.
			for _, path := range []string{
				fmt.Sprintf("/v2/shop/task-run-infos/%d/cases", run.ID+100),
				fmt.Sprintf("/v2/shop/task-run-infos/%d/case-run-infos/%d/detail", run.ID, 99999),
				fmt.Sprintf("/v2/shop/task-run-infos/%d/case-run-infos/%s/detail/%s/chart", run.ID, caseRunID, *bc.ID),
				"/v1/shop/tasks/history-run-list/x",
				"/v1/shop/tasks/history-run-list/999",
			} {
				status, body, _ := e.do("GET", path, tok, nil)
				if code, _ := apiErr(t, body); status != 404 || code != "CPTS.04040002" {
					t.Errorf("GET %s: %d %s", path, status, body)
				}
			}
			if status, body, _ := e.do("GET", path+"?brokens_limit_count=0", tok, nil); status != 400 {
				t.Errorf("brokens_limit_count=0: %d %s", status, body)
			}
		})
	}
}

// downsample keeps every series the same length, weights the average
// response time by each second's requests, and leaves a short series
// alone.
func TestDownsample(t *testing.T) {
	b := &perftest.ReportbrokensInfo{
		CommonTimeStamps: []string{"1", "2", "3", "4", "5"},
		TpsBrokens:       &perftest.TpsBrokens{TPS: []float64{10, 30, 0, 4, 6}, Average: []float64{1, 3, 0, 10, 20}},
		VusersBrokens:    &perftest.VusersBrokens{Vusers: []float64{1, 1, 2, 2, 3}},
	}
	got := downsample(b, 2)
	if fmt.Sprint(got.CommonTimeStamps, got.TpsBrokens.TPS, got.TpsBrokens.Average, got.VusersBrokens.Vusers) !=
		"[1 4] [13.333333333333334 5] [2.5 16] [1.3333333333333333 2.5]" || got.BrandBrokens != nil {
		t.Errorf("downsample(2) = %v %v %v %v", got.CommonTimeStamps, got.TpsBrokens.TPS, got.TpsBrokens.Average, got.VusersBrokens.Vusers)
	}
	if downsample(b, 5) != b || downsample(b, 0) != b || downsample(nil, 3) != nil {
		t.Error("a series within the limit was changed")
	}
}
