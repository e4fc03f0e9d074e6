package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/server/store"
)

// withLabels is report with its labels set.
func withLabels(report []byte, labels string) []byte {
	return bytes.Replace(report, []byte(`"labels": {}`), []byte(`"labels": `+labels), 1)
}

// withTP99 scales every tp99 of the report by factor: a slower run.
func withTP99(t *testing.T, report []byte, factor float64) []byte {
	var doc map[string]any
	if err := json.Unmarshal(report, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if f, ok := e.(float64); ok && k == "tp99" {
					x[k] = f * factor
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type runsAnswer struct {
	Result struct {
		Runs []runJSON `json:"runs"`
	} `json:"result"`
}

func (e *env) runIDs(path, token string) string {
	e.t.Helper()
	var a runsAnswer
	e.getJSON(path, token, &a)
	var ids []string
	for _, r := range a.Result.Runs {
		ids = append(ids, r.RunID[len(r.RunID)-1:])
	}
	return strings.Join(ids, " ")
}

// Runs by scenario and label, the stored report, baselines, comparisons,
// trends and deletion, each with the scope it needs, on both stores.
func TestRunsAPI(t *testing.T) {
	for _, backend := range stores {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			read, write, admin := e.token("shop", store.ScopeRead), e.token("shop", store.ScopeWrite), e.token("shop", store.ScopeAdmin)
			base := fixture(t, "shop.json")
			reports := [][]byte{
				withLabels(withRun(t, base, uuidN(1), 0), `{"env": "prod", "build": "1"}`),
				withLabels(withRun(t, base, uuidN(2), time.Hour), `{"env": "staging", "build": "2"}`),
				withLabels(withTP99(t, withRun(t, base, uuidN(3), 2*time.Hour), 1.5), `{"env": "prod", "build": "3"}`),
			}
			for i, r := range reports {
				if status, body := e.upload("shop", write, r); status != 201 {
					t.Fatalf("upload %d: %d %s", i, status, body)
				}
			}
			if got := e.runIDs("/v1/shop/perfcase/runs?scenario=shop", read); got != "3 2 1" {
				t.Errorf("runs %s", got)
			}
			if got := e.runIDs("/v1/shop/perfcase/runs?label=env=prod", read); got != "3 1" {
				t.Errorf("env=prod: %s", got)
			}
			if got := e.runIDs("/v1/shop/perfcase/runs?label=env=prod&label=build=1", read); got != "1" {
				t.Errorf("env=prod, build=1: %s", got)
			}
			if got := e.runIDs("/v1/shop/perfcase/runs?limit=1&before="+uuidN(3), read); got != "2" {
				t.Errorf("paging: %s", got)
			}
			var tasks struct {
				Result struct{ Tasks []taskJSON } `json:"result"`
			}
			e.getJSON("/v1/shop/perfcase/tasks", read, &tasks)
			if len(tasks.Result.Tasks) != 1 || tasks.Result.Tasks[0].Runs != 3 || tasks.Result.Tasks[0].Latest.RunID != uuidN(3) ||
				tasks.Result.Tasks[0].Latest.Labels["build"] != "3" || tasks.Result.Tasks[0].Baseline != nil {
				t.Fatalf("tasks %+v", tasks.Result.Tasks)
			}
			task := tasks.Result.Tasks[0].TaskID

			// The stored report, as uploaded.
			status, body, _ := e.do("GET", "/v1/shop/perfcase/runs/"+uuidN(2)+"/report", read, nil)
			if status != 200 || !bytes.Equal(body, reports[1]) {
				t.Errorf("report: %d, equal %v", status, bytes.Equal(body, reports[1]))
			}

			// A baseline: write scope; the run must be the scenario's.
			bpath := fmt.Sprintf("/v1/shop/perfcase/tasks/%d/baseline", task)
			mark := []byte(`{"run_id": "` + uuidN(1) + `"}`)
			if status, _, _ := e.do("PUT", bpath, read, mark); status != 403 {
				t.Errorf("a read token marking a baseline: %d", status)
			}
			if status, body, _ := e.do("PUT", bpath, write, []byte(`{"run_id": "nope"}`)); status != 404 || !strings.Contains(string(body), `no run \"nope\" of scenario \"shop\"`) {
				t.Errorf("an unknown baseline: %d %s", status, body)
			}
			if status, body, _ := e.do("GET", "/v1/shop/perfcase/baseline?scenario=shop", read, nil); status != 404 || !strings.Contains(string(body), "has no baseline") {
				t.Errorf("no baseline yet: %d %s", status, body)
			}
			if status, body, _ := e.do("PUT", bpath, write, mark); status != 200 {
				t.Fatalf("marking the baseline: %d %s", status, body)
			}
			status, body, _ = e.do("GET", "/v1/shop/perfcase/baseline?scenario=shop", read, nil)
			if status != 200 || !bytes.Equal(body, reports[0]) {
				t.Errorf("the baseline's report: %d", status)
			}
			var runs runsAnswer
			e.getJSON("/v1/shop/perfcase/runs?scenario=shop", read, &runs)
			if !runs.Result.Runs[2].Baseline || runs.Result.Runs[0].Baseline {
				t.Errorf("the baseline is not marked in the list: %+v", runs.Result.Runs)
			}

			// Compare: run 3's tp99 is 1.5 times run 1's; without base,
			// the baseline is the base.
			var cmp struct {
				Result struct {
					Regressed  bool
					Comparison struct {
						Base, New struct {
							RunID string `json:"run_id"`
						}
						Rows []struct{ Kind, Name string }
					}
				}
			}
			e.getJSON("/v1/shop/perfcase/compare?new="+uuidN(3), read, &cmp)
			if !cmp.Result.Regressed || cmp.Result.Comparison.Base.RunID != uuidN(1) || cmp.Result.Comparison.New.RunID != uuidN(3) || len(cmp.Result.Comparison.Rows) != 7 {
				t.Errorf("compare with the baseline: %+v", cmp.Result)
			}
			e.getJSON("/v1/shop/perfcase/compare?base="+uuidN(1)+"&new="+uuidN(2), read, &cmp)
			if cmp.Result.Regressed {
				t.Errorf("two equal runs regressed")
			}
			e.getJSON("/v1/shop/perfcase/compare?new="+uuidN(3)+"&max_regression=tp99=60%25", read, &cmp)
			if cmp.Result.Regressed {
				t.Errorf("tp99 +50%% regressed against a limit of 60%%")
			}
			if status, body, _ := e.do("GET", "/v1/shop/perfcase/compare?new="+uuidN(3)+"&max_regression=tp98=1", read, nil); status != 400 || !strings.Contains(string(body), "unknown metric") {
				t.Errorf("a bad limit: %d %s", status, body)
			}

			// A trend: a request's tp99 across the runs, the baseline
			// marked.
			var tr struct {
				Result struct{ Points []trendPoint } `json:"result"`
			}
			e.getJSON(fmt.Sprintf("/v1/shop/perfcase/tasks/%d/trend?case=browse&kind=request&name=item", task), read, &tr)
			pts := tr.Result.Points
			if len(pts) != 3 || pts[0].RunID != uuidN(1) || !pts[0].Baseline || pts[1].Baseline || *pts[2].TP99 != 1.5**pts[0].TP99 {
				t.Errorf("trend %+v", pts)
			}
			if status, _, _ := e.do("GET", fmt.Sprintf("/v1/shop/perfcase/tasks/%d/trend?case=browse&kind=request", task), read, nil); status != 400 {
				t.Errorf("a request trend without its name: %d", status)
			}

			// Every call of a scenario finds it alike: a task id that is
			// not an id, or not the project's, is a 404 naming it.
			for _, c := range []struct{ method, path, want string }{
				{"GET", "/v1/shop/perfcase/tasks/x/trend?case=browse", `task_id \"x\" is not an id`},
				{"GET", "/v1/shop/perfcase/tasks/999/trend?case=browse", `no scenario (task) 999 in project \"shop\"`},
				{"PUT", "/v1/shop/perfcase/tasks/x/baseline", `task_id \"x\" is not an id`},
				{"PUT", "/v1/shop/perfcase/tasks/999/baseline", `no scenario (task) 999 in project \"shop\"`},
				{"GET", "/v1/shop/tasks/history-run-list/999", `no scenario (task) 999 in project \"shop\"`},
			} {
				status, body, _ := e.do(c.method, c.path, write, mark)
				if code, _ := apiErr(t, body); status != 404 || code != "CPTS.04040002" || !strings.Contains(string(body), c.want) {
					t.Errorf("%s %s: %d %s, want 404 CPTS.04040002 %s", c.method, c.path, status, body, c.want)
				}
			}

			// Deleting: admin only; a deleted baseline is no baseline.
			if status, _, _ := e.do("DELETE", "/v1/shop/perfcase/runs/"+uuidN(1), write, nil); status != 403 {
				t.Errorf("a write token deleting: %d", status)
			}
			if status, body, _ := e.do("DELETE", "/v1/shop/perfcase/runs/"+uuidN(1), admin, nil); status != 200 {
				t.Errorf("deleting: %d %s", status, body)
			}
			if status, _, _ := e.do("DELETE", "/v1/shop/perfcase/runs/"+uuidN(1), admin, nil); status != 404 {
				t.Errorf("deleting twice: %d", status)
			}
			if got := e.runIDs("/v1/shop/perfcase/runs", read); got != "3 2" {
				t.Errorf("after deleting: %s", got)
			}
			if status, _, _ := e.do("GET", "/v1/shop/perfcase/baseline?scenario=shop", read, nil); status != 404 {
				t.Errorf("the deleted baseline: %d", status)
			}
			if !strings.Contains(e.log.String(), "run "+uuidN(1)+" (shop) of project shop deleted") {
				t.Errorf("the deletion is not in the log:\n%s", e.log.String())
			}
		})
	}
}

// Retention deletes the runs that ended before the cut, and keeps the
// baseline whatever its age.
func TestRetention(t *testing.T) {
	now := time.Now()
	e := newEnv(t, "sqlite", func(c *Config) { c.Retain, c.Now = 180*24*time.Hour, func() time.Time { return now } })
	write := e.token("shop", store.ScopeWrite)
	base := fixture(t, "shop.json")
	var rep struct {
		Result struct {
			Outline struct{ StartTime string } `json:"outline"`
		} `json:"result"`
	}
	json.Unmarshal(base, &rep)
	start, _ := time.Parse(time.RFC3339, rep.Result.Outline.StartTime)
	// Runs 1 and 2 ended 200 and 190 days ago, run 3 ten days ago.
	for i, age := range []int{200, 190, 10} {
		shift := now.Add(-time.Duration(age) * 24 * time.Hour).Sub(start)
		if status, body := e.upload("shop", write, withRun(t, base, uuidN(i+1), shift)); status != 201 {
			t.Fatalf("%d %s", status, body)
		}
	}
	p, _ := e.st.Project(context.Background(), "shop")
	r1, _ := e.st.RunByUUID(context.Background(), p.ID, uuidN(1))
	if err := e.st.SetBaseline(context.Background(), r1.TaskID, r1.ID); err != nil {
		t.Fatal(err)
	}
	n, err := e.s.Retain(context.Background())
	if err != nil || n != 1 {
		t.Errorf("Retain deleted %d, %v; want 1 (run 2: run 1 is the baseline)", n, err)
	}
	if got := e.runIDs("/v1/shop/perfcase/runs", write); got != "3 1" {
		t.Errorf("left %s", got)
	}
	if !strings.Contains(e.log.String(), "retention: deleted 1 runs that ended over 4320h0m0s ago") {
		t.Errorf("log:\n%s", e.log.String())
	}
	off := New(Config{Store: e.st})
	if n, err := off.Retain(context.Background()); n != 0 || err != nil {
		t.Errorf("without --retain: %d %v", n, err)
	}
}
