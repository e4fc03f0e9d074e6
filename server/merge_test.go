package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/reporters"
	"github.com/perfcase/perfcase/server/store"
	"github.com/perfcase/perfcase/upload"
)

// splitReports are the report JSON of one run fed a deterministic sample
// set, and of four parts fed it split four ways (two starting a second
// late), each stamped as part i of 4 of run "split-run".
func splitReports(t *testing.T) (whole []byte, parts [][]byte) {
	t.Helper()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	series := []metrics.SeriesInfo{{Name: "get"}, {Name: "post"}, {Name: "browse", Kind: metrics.KindCase}}
	offsets := []int{0, 0, 1, 1}
	one := metrics.NewRecorder(series, 4, start)
	var recs []*metrics.Recorder
	for _, off := range offsets {
		recs = append(recs, metrics.NewRecorder(series, 2, start.Add(time.Duration(off)*time.Second)))
	}
	for i := range 16000 {
		d := time.Duration(i) * 500 * time.Microsecond // 8 s
		if d%time.Second == 100*time.Millisecond {
			one.Tick(start.Add(d), 40)
			for _, r := range recs {
				r.Tick(start.Add(d), 10)
			}
		}
		smp := metrics.Sample{RT: time.Duration((i*7919)%150_000+80) * time.Microsecond * time.Duration(1+i%3), Status: 200, Sent: 120, Recv: 900}
		p := i % 4
		if d < time.Duration(offsets[p])*time.Second {
			p = 0
		}
		for _, r := range []*metrics.Recorder{one, recs[p]} {
			r.Shard(i).Record(i%2, start.Add(d), smp)
			r.Shard(i).Record(2, start.Add(d), smp)
		}
	}
	end := start.Add(8 * time.Second)
	build := func(id string, cs *metrics.CaseStats, seg *output.PerfcaseSegment) []byte {
		k := metrics.KPIResult{Source: "tp99 < 400ms", Metric: "tp99", Op: "<", Threshold: 400}
		k.Observed = metrics.KPIs.Lookup("tp99").Run(cs.Requests, cs.Duration())
		k.Pass = k.Observed < k.Threshold
		run := &metrics.Run{ID: id, Name: "shop", Start: cs.Start, End: cs.End,
			Cases: []*metrics.CaseResult{{Stats: cs, Protocols: []string{"HTTP"}, Mode: "concurrency_mode", KPIs: []metrics.KPIResult{k}}}}
		run.Judge()
		f := reporters.Finish(run)
		f.Report.Result.Perfcase.Segment = seg
		var buf bytes.Buffer
		if err := reporters.WriteJSON(&buf, f); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	whole = build("whole-run", one.Finish("browse", end), nil)
	for i, r := range recs {
		cs := r.Finish("browse", end)
		parts = append(parts, build("split-run", cs, &output.PerfcaseSegment{Index: i, Count: 4, Started: cs.Start.Format(time.RFC3339Nano)}))
	}
	return whole, parts
}

// Parts uploaded under one run id are one run, partial until the fourth
// arrives, and then the run merged exactly: its report (API and UI) has
// the verdict, the percentiles and the curves of one run fed every
// sample, and the lists and the report API read its figures.
func TestSplitRunMerged(t *testing.T) {
	e := newEnv(t, "sqlite", nil)
	whole, parts := splitReports(t)
	wtok, rtok := e.token("shop", store.ScopeWrite), e.token("shop", store.ScopeRead)
	c := upload.Client{Endpoint: e.srv.URL, Project: "shop", Token: wtok, Attempts: 1}
	b := e.browser()
	b.login(rtok)
	var runs struct {
		Result struct{ Runs []runJSON }
	}
	for i, part := range parts {
		if _, err := c.Upload(context.Background(), part); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		e.getJSON("/v1/shop/perfcase/runs", rtok, &runs)
		if len(runs.Result.Runs) != 1 || runs.Result.Runs[0].RunID != "split-run" || runs.Result.Runs[0].Parts != i+1 || runs.Result.Runs[0].Partial != (i < 3) ||
			(i < 3) != (runs.Result.Runs[0].Verdict == "partial") {
			t.Fatalf("after part %d: runs %+v", i, runs.Result.Runs)
		}
		var rep output.Report
		e.getJSON("/v1/shop/perfcase/runs/split-run/report", rtok, &rep)
		m := rep.Result.Perfcase.Merged
		if m == nil || len(m.Parts) != i+1 || m.Partial != (i < 3) || (i < 3) != (rep.Result.Perfcase.Verdict == "partial") {
			t.Errorf("after part %d: the merged report is %s, merged %+v", i, rep.Result.Perfcase.Verdict, m)
		}
		if status, page, _ := b.get("/ui/shop/runs/split-run/report.html"); status != 200 || strings.Contains(page, "PARTIAL") != (i < 3) {
			t.Errorf("after part %d: the UI's report is %d, partial %v", i, status, strings.Contains(page, "PARTIAL"))
		}
		status, body, _ := e.do("GET", fmt.Sprintf("/v2/shop/task-run-infos/%d/cases", runs.Result.Runs[0].TaskRunID), rtok, nil)
		if i < 3 && (status != 409 || !strings.Contains(string(body), fmt.Sprintf("4 parts and %d have arrived", i+1))) {
			t.Errorf("the cases of a partial run: %d %s", status, body)
		}
		if i == 3 && status != 200 {
			t.Errorf("the cases of the merged run: %d %s", status, body)
		}
	}
	var want, got output.Report
	if err := json.Unmarshal(whole, &want); err != nil {
		t.Fatal(err)
	}
	e.getJSON("/v1/shop/perfcase/runs/split-run/report", rtok, &got)
	gp, wp := got.Result.Cases[0].Detail.Performance, want.Result.Cases[0].Detail.Performance
	for _, f := range []struct {
		name      string
		got, want *float64
	}{{"tp50", gp.Tp50, wp.Tp50}, {"tp90", gp.Tp90, wp.Tp90}, {"tp99", gp.Tp99, wp.Tp99}, {"tp999", gp.Tp999, wp.Tp999},
		{"min", gp.Min, wp.Min}, {"max", gp.Max, wp.Max}, {"avg", gp.AverageRespTime, wp.AverageRespTime}, {"requests", gp.Requests, wp.Requests}} {
		if f.got == nil || f.want == nil || *f.got != *f.want {
			t.Errorf("%s: merged %v, one run %v", f.name, f.got, f.want)
		}
	}
	if got.Result.Perfcase.Verdict != want.Result.Perfcase.Verdict {
		t.Errorf("verdict: merged %s, one run %s", got.Result.Perfcase.Verdict, want.Result.Perfcase.Verdict)
	}
	gs, ws := got.Result.Perfcase.Curves.Cases[0].Series[0], want.Result.Perfcase.Curves.Cases[0].Series[0]
	if fmt.Sprint(gs.Count, gs.TP99) != fmt.Sprint(ws.Count, ws.TP99) {
		t.Errorf("per second: merged %v %v, one run %v %v", gs.Count, gs.TP99, ws.Count, ws.TP99)
	}
	e.getJSON("/v1/shop/perfcase/runs", rtok, &runs)
	if r := runs.Result.Runs[0]; r.Requests != int64(*wp.Requests) || r.Verdict != want.Result.Perfcase.Verdict || r.TP99 == nil || *r.TP99 != *wp.Tp99 {
		t.Errorf("the run's figures in the list: %+v", r)
	}
}

// A part interrupted while waiting for --start-at has no case and no
// segment.started: the service merges the run without it, partial, its
// figures the other parts', instead of having no report to show (422),
// from the moment it arrives first.
func TestSplitRunInterruptedPart(t *testing.T) {
	e := newEnv(t, "sqlite", nil)
	_, parts := splitReports(t)
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	cut := &metrics.Run{ID: "split-run", Name: "shop", Start: start, End: start, Status: metrics.Interrupted, Reason: "interrupted"}
	cut.Judge()
	f := reporters.Finish(cut)
	f.Report.Result.Perfcase.Segment = &output.PerfcaseSegment{Index: 3, Count: 4}
	var buf bytes.Buffer
	if err := reporters.WriteJSON(&buf, f); err != nil {
		t.Fatal(err)
	}
	parts[3] = buf.Bytes()
	wtok, rtok := e.token("shop", store.ScopeWrite), e.token("shop", store.ScopeRead)
	c := upload.Client{Endpoint: e.srv.URL, Project: "shop", Token: wtok, Attempts: 1}
	want := 0.0
	for _, i := range []int{3, 0, 1, 2} {
		part := parts[i]
		if _, err := c.Upload(context.Background(), part); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if status, body, _ := e.do("GET", "/v1/shop/perfcase/runs/split-run/report", rtok, nil); status != 200 {
			t.Fatalf("the run's report after part %d: %d %s", i, status, body)
		}
		var rep output.Report
		if err := json.Unmarshal(part, &rep); err != nil {
			t.Fatal(err)
		}
		for _, c := range rep.Result.Cases {
			want += *c.Detail.Performance.Requests
		}
	}
	status, body, _ := e.do("GET", "/v1/shop/perfcase/runs/split-run/report", rtok, nil)
	if status != 200 {
		t.Fatalf("the run's report: %d %s", status, body)
	}
	var rep output.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	pc := rep.Result.Perfcase
	if pc.Verdict != "partial" || pc.Merged == nil || fmt.Sprint(pc.Merged.Failed, pc.Merged.Missing) != "[3] []" || len(rep.Result.Cases) != 1 ||
		*rep.Result.Cases[0].Detail.Performance.Requests != want {
		t.Errorf("the merged report: verdict %s, merged %+v, %d cases", pc.Verdict, pc.Merged, len(rep.Result.Cases))
	}
}
