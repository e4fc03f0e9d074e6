package reporters

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/scenario"
)

var mergeStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// mergeKPIs are the case's KPIs: one holds, one misses, on the case and
// on a request.
var mergeKPIs = []metrics.KPIResult{
	{Source: "tp99 < 900ms", Metric: "tp99", Op: "<", Threshold: 900},
	{Source: "success_rate >= 99", Metric: "success_rate", Op: ">=", Threshold: 99},
	{Source: "tp50 < 300ms", Series: "get", Metric: "tp50", Op: "<", Threshold: 300},
}

// splitRuns feeds a deterministic sample set to one recorder and, split
// four ways, to four (two of which start a second late, as parts may),
// and returns the one run and the four parts' reports as 'perfcase run
// --segment I/4 --out' writes them.
func splitRuns(t *testing.T) (*metrics.Run, []Part) {
	series := []metrics.SeriesInfo{{Name: "get"}, {Name: "post"}, {Name: "c", Kind: metrics.KindCase}}
	offsets := []int{0, 0, 1, 1}
	one := metrics.NewRecorder(series, 4, mergeStart)
	var recs []*metrics.Recorder
	for _, off := range offsets {
		recs = append(recs, metrics.NewRecorder(series, 2, mergeStart.Add(time.Duration(off)*time.Second)))
	}
	const n = 24000
	for i := range n {
		d := time.Duration(i) * 500 * time.Microsecond // 12 s
		if d%time.Second == 100*time.Millisecond {
			// Second k is harvested now, and had the VUs of the parts
			// started by then.
			vus := 0
			for _, off := range offsets {
				if time.Duration(off)*time.Second < d-time.Second {
					vus += 10
				}
			}
			one.Tick(mergeStart.Add(d), vus)
			for _, r := range recs {
				r.Tick(mergeStart.Add(d), 10)
			}
		}
		rt := time.Duration((i*7919)%200_000+50) * time.Microsecond * time.Duration(1+i%5)
		smp := metrics.Sample{RT: rt, Status: 200, Sent: int64(100 + i%50), Recv: int64(1000 + i%700)}
		if i%97 == 0 {
			smp.Outcome, smp.Status = metrics.Timeout, 0
		}
		p := i % 4
		if d < time.Duration(offsets[p])*time.Second {
			p = 0
		}
		for _, r := range []*metrics.Recorder{one, recs[p]} {
			r.Shard(i).Record(i%2, mergeStart.Add(d), smp)
			if i%2 == 1 {
				r.Shard(i).Record(2, mergeStart.Add(d), smp)
			}
			if smp.Outcome == metrics.Timeout {
				r.Error(i%2, smp.Outcome, "timeout awaiting response headers")
			}
		}
	}
	end := mergeStart.Add(12 * time.Second)
	whole := runOf("whole", one.Finish("browse", end))
	var parts []Part
	for i, r := range recs {
		run := runOf("part", r.Finish("browse", end))
		rep := report(run)
		rep.Result.Perfcase.RunID = "run-1"
		started := run.Cases[0].Stats.Start
		rep.Result.Perfcase.Segment = &output.PerfcaseSegment{Index: i, Count: 4, Started: started.Format(time.RFC3339Nano),
			LateMS: float64(started.Sub(mergeStart).Milliseconds())}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, &output.Finished{Report: rep}); err != nil {
			t.Fatal(err)
		}
		var back output.Report
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, Part{Name: fmt.Sprintf("part-%d.json", i), Report: &back})
	}
	return whole, parts
}

// runOf is a run of one case, its KPIs judged as the runner judges them.
func runOf(id string, cs *metrics.CaseStats) *metrics.Run {
	c := &metrics.CaseResult{Stats: cs, Protocols: []string{"HTTP"}, Mode: "concurrency_mode"}
	for _, k := range mergeKPIs {
		s := cs.Requests
		if k.Series != "" {
			s = cs.Series[0]
		}
		k.Observed = metrics.KPIs.Lookup(k.Metric).Run(s, cs.Duration())
		k.Pass = (&scenario.KPICheck{Op: k.Op, Value: k.Threshold}).Holds(k.Observed)
		c.KPIs = append(c.KPIs, k)
	}
	run := &metrics.Run{ID: id, Name: "shop", Start: cs.Start, End: cs.End, Cases: []*metrics.CaseResult{c}}
	run.Judge()
	return run
}

// Merging four parts gives the same verdict, and element by element the
// same percentiles, minimum, maximum and average of every row, as one
// histogram fed every sample; and per second the same counts and tp99
// (from the merged coarse histograms). The parts go through their report
// JSON, as 'perfcase merge' reads them.
func TestMergePartsEqualsOneRun(t *testing.T) {
	whole, parts := splitRuns(t)
	f, err := MergeParts(parts, false)
	if err != nil {
		t.Fatal(err)
	}
	want := report(whole)
	got := f.Report
	if f.Run.Verdict.State != whole.Verdict.State || got.Result.Perfcase.Verdict != "failed" || got.Result.Perfcase.ExitCode != 1 {
		t.Errorf("verdict %s (exit %d), one run %s", got.Result.Perfcase.Verdict, got.Result.Perfcase.ExitCode, want.Result.Perfcase.Verdict)
	}
	for i, k := range got.Result.Perfcase.KPIs {
		w := want.Result.Perfcase.KPIs[i]
		if k.Pass != w.Pass || *k.Observed != *w.Observed {
			t.Errorf("KPI %s: merged %v %v, one run %v %v", k.KPI, *k.Observed, k.Pass, *w.Observed, w.Pass)
		}
	}
	gd, wd := got.Result.Cases[0].Detail, want.Result.Cases[0].Detail
	rows := [][2]any{{gd.Performance, wd.Performance}}
	for i := range wd.DetailDatas {
		rows = append(rows, [2]any{&gd.DetailDatas[i], &wd.DetailDatas[i]})
	}
	compared := 0
	for _, r := range rows {
		g, w := fields(t, r[0]), fields(t, r[1])
		for _, name := range []string{"tp50", "tp75", "tp90", "tp95", "tp99", "tp999", "min", "max", "averageRespTime", "requests", "successCount", "failedTimeout"} {
			if w[name] == nil {
				t.Fatalf("row %v has no %s", w["name"], name)
			}
			if fmt.Sprint(g[name]) != fmt.Sprint(w[name]) {
				t.Errorf("row %v %s: merged %v, one run %v", w["name"], name, g[name], w[name])
			}
			compared++
		}
	}
	if compared != 3*12 {
		t.Errorf("compared %d figures", compared)
	}
	gc, wc := got.Result.Perfcase.Curves, want.Result.Perfcase.Curves
	for j, ws := range wc.Cases[0].Series {
		gs := gc.Cases[0].Series[j]
		if fmt.Sprint(gs.Count, gs.TP99, gs.RTMax, gs.Failures) != fmt.Sprint(ws.Count, ws.TP99, ws.RTMax, ws.Failures) || gs.Hists != ws.Hists {
			t.Errorf("%s %s per second: merged %v %v, one run %v %v", ws.Kind, ws.Name, gs.Count, gs.TP99, ws.Count, ws.TP99)
		}
	}
	if fmt.Sprint(gc.Cases[0].VUs) != fmt.Sprint(wc.Cases[0].VUs) {
		t.Errorf("VUs: merged %v, one run %v", gc.Cases[0].VUs, wc.Cases[0].VUs)
	}
	m := got.Result.Perfcase.Merged
	if m == nil || m.Count != 4 || m.Partial || len(m.Parts) != 4 || m.StartSpreadMS != 1000 || m.Parts[3].LateMS != 1000 {
		t.Errorf("merged: %+v", m)
	}
}

// fields is a report row as its JSON keys.
func fields(t *testing.T, row any) map[string]any {
	b, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Parts of different runs or counts, an index twice, a part missing or
// failed: refused, each named, all at once; --allow-partial merges what
// is there and the verdict is partial, which exits 3.
func TestMergeRefusals(t *testing.T) {
	_, parts := splitRuns(t)
	seg := func(i int) *output.PerfcaseSegment { return parts[i].Report.Result.Perfcase.Segment }
	seg(1).Count = 5
	parts[2].Report.Result.Perfcase.RunID = "run-2"
	_, err := MergeParts(parts, false)
	for _, want := range []string{`part-1.json is part 1 of 5, part-0.json of 4`, `part-2.json is of run "run-2", part-0.json of run "run-1"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
	seg(1).Count = 4
	parts[2].Report.Result.Perfcase.RunID = "run-1"
	*seg(3) = *seg(2)
	if _, err := MergeParts(parts, false); err == nil || !strings.Contains(err.Error(), "part-2.json and part-3.json are both part 2") ||
		!strings.Contains(err.Error(), `part 3 of 4 of run "run-1" missing`) {
		t.Errorf("a duplicate index: %v", err)
	}
	parts = parts[:3]
	parts[1].Report.Result.Perfcase.Status = "aborted"
	if _, err := MergeParts(parts, false); err == nil || !strings.Contains(err.Error(), "part-1.json, part 1 of 4, failed (aborted)") ||
		!strings.Contains(err.Error(), "part 3 of 4") {
		t.Errorf("a failed part and a missing one: %v", err)
	}
	f, err := MergeParts(parts, true)
	if err != nil {
		t.Fatal(err)
	}
	pc := f.Report.Result.Perfcase
	if pc.Verdict != "partial" || pc.ExitCode != 3 || pc.Passed || f.Run.Partial != "part 3 of 4 missing; part 1 of 4 failed" ||
		!pc.Merged.Partial || fmt.Sprint(pc.Merged.Missing, pc.Merged.Failed) != "[3] [1]" {
		t.Errorf("partial merge: verdict %s exit %d partial %q merged %+v", pc.Verdict, pc.ExitCode, f.Run.Partial, pc.Merged)
	}
	var buf bytes.Buffer
	for name, w := range map[string]func(*bytes.Buffer, *output.Finished) error{
		"summary":  func(b *bytes.Buffer, f *output.Finished) error { return WriteSummary(b, f) },
		"markdown": func(b *bytes.Buffer, f *output.Finished) error { return WriteMarkdown(b, f) },
		"junit":    func(b *bytes.Buffer, f *output.Finished) error { return WriteJUnit(b, f) },
		"html":     func(b *bytes.Buffer, f *output.Finished) error { return WriteHTML(b, f) },
	} {
		buf.Reset()
		if err := w(&buf, f); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "part 3 of 4 missing; part 1 of 4 failed") {
			t.Errorf("the %s does not say the run is partial:\n%.600s", name, buf.String())
		}
	}
	if math.IsNaN(pc.Merged.StartSpreadMS) {
		t.Error("no start spread")
	}
	// A KPI on a custom metric cannot be judged again: refused, named.
	parts[0].Report.Result.Perfcase.KPIs[0].Metric = "queue_ms.avg"
	if _, err := MergeParts(parts, true); err == nil || !strings.Contains(err.Error(), `the KPI "tp99 < 900ms" is on a custom metric`) {
		t.Errorf("a custom metric's KPI: %v", err)
	}
}

// caseParts are the reports of three parts of a run of two sequential
// cases, "a" then "b": part 0 completed both, part 1 was interrupted in
// "a", part 2 while waiting for --start-at (no case, no start). Case "a"
// of part i has 10·(i+1) requests, "b" of part 0 has 7.
func caseParts(t *testing.T) []Part {
	t.Helper()
	series := []metrics.SeriesInfo{{Name: "get"}, {Name: "pass", Kind: metrics.KindCase}}
	caseOf := func(name string, start time.Time, n int) *metrics.CaseResult {
		r := metrics.NewRecorder(series, 1, start)
		for i := range n {
			at := start.Add(time.Duration(i) * 10 * time.Millisecond)
			smp := metrics.Sample{RT: time.Duration(1+i) * time.Millisecond, Status: 200, Sent: 100, Recv: 1000}
			r.Shard(0).Record(0, at, smp)
			r.Shard(0).Record(1, at, smp)
		}
		r.Tick(start.Add(time.Second+100*time.Millisecond), 2)
		return &metrics.CaseResult{Stats: r.Finish(name, start.Add(time.Second)), Protocols: []string{"HTTP"}, Mode: "concurrency_mode",
			KPIs: []metrics.KPIResult{{Source: "requests >= 1", Metric: "requests", Op: ">=", Threshold: 1}}}
	}
	b := mergeStart.Add(time.Second)
	runs := []*metrics.Run{
		{Cases: []*metrics.CaseResult{caseOf("a", mergeStart, 10), caseOf("b", b, 7)}},
		{Cases: []*metrics.CaseResult{caseOf("a", mergeStart, 20)}, Status: metrics.Interrupted, Reason: "interrupted"},
		{Status: metrics.Interrupted, Reason: "interrupted", Start: mergeStart.Add(-time.Hour), End: mergeStart.Add(-time.Hour)},
	}
	var parts []Part
	for i, run := range runs {
		run.ID, run.Name = "part", "two"
		if len(run.Cases) > 0 {
			run.Start, run.End = mergeStart, run.Cases[len(run.Cases)-1].Stats.End
		}
		run.Judge()
		rep := report(run)
		rep.Result.Perfcase.RunID = "run-1"
		rep.Result.Perfcase.Segment = &output.PerfcaseSegment{Index: i, Count: 3}
		if i < 2 {
			rep.Result.Perfcase.Segment.Started = mergeStart.Add(time.Duration(i) * 3 * time.Millisecond).Format(time.RFC3339Nano)
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, &output.Finished{Report: rep}); err != nil {
			t.Fatal(err)
		}
		var back output.Report
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, Part{Name: fmt.Sprintf("part-%d.json", i), Report: &back})
	}
	return parts
}

// Failed parts contribute the cases they have, merged by name in the
// scenario's order, whatever the order the parts are given in; a part
// stopped before its cases started has no start to spread. Cases only
// different scenarios explain are refused, naming the part.
func TestMergeCasesByName(t *testing.T) {
	parts := caseParts(t)
	if _, err := MergeParts(parts, false); err == nil || !strings.Contains(err.Error(), "part-1.json, part 1 of 3, failed (interrupted") ||
		!strings.Contains(err.Error(), "part-2.json, part 2 of 3, failed (interrupted") || strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("failed parts without --allow-partial: %v", err)
	}
	var want []byte
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {2, 0, 1}} {
		var ps []Part
		for _, i := range order {
			ps = append(ps, parts[i])
		}
		f, err := MergeParts(ps, true)
		if err != nil {
			t.Fatalf("order %v: %v", order, err)
		}
		pc := f.Report.Result.Perfcase
		var got []string
		for _, c := range f.Run.Cases {
			got = append(got, fmt.Sprint(c.Stats.Name, "=", c.Stats.Requests.Count))
		}
		if fmt.Sprint(got) != "[a=30 b=7]" || pc.Verdict != "partial" || pc.ExitCode != 3 || fmt.Sprint(pc.Merged.Failed) != "[1 2]" ||
			pc.Merged.StartSpreadMS != 3 || pc.Merged.Parts[2].Started != "" || !f.Run.Start.Equal(mergeStart) {
			t.Errorf("order %v: cases %v, verdict %s, merged %+v, start %v", order, got, pc.Verdict, pc.Merged, f.Run.Start)
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, f); err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = buf.Bytes()
		} else if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("order %v merges into another report than order [0 1 2]", order)
		}
	}
	// No part completed: the union of the cases there are.
	f, err := MergeParts([]Part{parts[2], parts[1]}, true)
	if err != nil || len(f.Run.Cases) != 1 || f.Run.Cases[0].Stats.Requests.Count != 20 || f.Report.Result.Perfcase.Verdict != "partial" {
		t.Errorf("failed parts alone: %v %+v", err, f)
	}
	// Only the part stopped before its cases: a partial run of no case.
	if f, err := MergeParts([]Part{parts[2]}, true); err != nil || len(f.Run.Cases) != 0 || f.Report.Result.Perfcase.Verdict != "partial" {
		t.Errorf("a part of no case alone: %v %+v", err, f)
	}
	// A failed part with a case the complete part has not.
	parts[1].Report.Result.Perfcase.Cases[0].Case = "x"
	parts[1].Report.Result.Perfcase.Curves.Cases[0].Case = "x"
	if _, err := MergeParts(parts, true); err == nil ||
		err.Error() != `part-1.json has case "x", which part-0.json, a part that completed, has not: they are not of the same scenario` {
		t.Errorf("a case unknown to a complete part: %v", err)
	}
	// Failed parts whose cases come in different orders.
	parts = caseParts(t)
	pc := &parts[0].Report.Result.Perfcase
	pc.Status = "interrupted"
	pc.Cases[0], pc.Cases[1] = pc.Cases[1], pc.Cases[0]
	pc.Curves.Cases[0], pc.Curves.Cases[1] = pc.Curves.Cases[1], pc.Curves.Cases[0]
	parts[1].Report.Result.Perfcase.Cases = append(parts[1].Report.Result.Perfcase.Cases, pc.Cases[0])
	parts[1].Report.Result.Perfcase.Curves.Cases = append(parts[1].Report.Result.Perfcase.Curves.Cases, pc.Curves.Cases[0])
	if _, err := MergeParts(parts, true); err == nil || !strings.Contains(err.Error(), `part-1.json is not of the same scenario as the other parts: its cases ("a", "b") are not in their order ("b", "a")`) {
		t.Errorf("cases in another order: %v", err)
	}
	// Two complete parts of different cases.
	parts = caseParts(t)
	parts[1].Report.Result.Perfcase.Status = "completed"
	if _, err := MergeParts(parts, true); err == nil || !strings.Contains(err.Error(), `part-0.json and part-1.json are not of the same scenario: their cases differ ("a", "b"; "a")`) {
		t.Errorf("complete parts of different cases: %v", err)
	}
}
