package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/compare"
	"github.com/perfcase/perfcase/server/store"
)

// This file is perfcase's own API beside the reference's: scenarios,
// runs by run id and label, the stored report, baselines, comparisons,
// trends and deletion. Answers use the reference's envelope and errors.

// runJSON is a run in perfcase's API.
type runJSON struct {
	RunID       string            `json:"run_id"`
	TaskRunID   int64             `json:"task_run_id"`
	TaskID      int64             `json:"task_id"`
	Scenario    string            `json:"scenario"`
	Status      string            `json:"status"`
	Verdict     string            `json:"verdict"`
	Start       string            `json:"start"`
	End         string            `json:"end"`
	Duration    float64           `json:"duration"` // seconds
	Requests    int64             `json:"requests"`
	Errors      int64             `json:"errors"`
	TPS         *float64          `json:"tps"`
	AvgRT       *float64          `json:"avg_rt"`
	TP99        *float64          `json:"tp99"`
	SuccessRate *float64          `json:"success_rate"`
	Cases       []string          `json:"cases"`
	Labels      map[string]string `json:"labels"`
	CI          ciJSON            `json:"ci"`
	Segments    int               `json:"segments"`
	Parts       int               `json:"parts"`
	Partial     bool              `json:"partial"`
	Baseline    bool              `json:"baseline"`
}

type ciJSON struct {
	System      string `json:"system"`
	Commit      string `json:"commit"`
	Branch      string `json:"branch"`
	PipelineURL string `json:"pipeline_url"`
}

func toJSON(r store.Run, baseline int64) runJSON {
	labels := r.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	names := r.CaseNames
	if names == nil {
		names = []string{}
	}
	verdict := r.Verdict
	if r.Partial() {
		// Its parts' figures are not indexed until all have arrived;
		// the verdict is the merged report's.
		verdict = "partial"
	}
	return runJSON{RunID: r.UUID, TaskRunID: r.ID, TaskID: r.TaskID, Scenario: r.Scenario, Status: r.Status, Verdict: verdict,
		Start: *runTime(r.Start), End: *runTime(r.End), Duration: r.End.Sub(r.Start).Seconds(),
		Requests: r.Requests, Errors: r.Errors, TPS: r.TPS, AvgRT: r.AvgRT, TP99: r.TP99, SuccessRate: r.SuccessRate,
		Cases: names, Labels: labels, CI: ciJSON(r.CI), Segments: r.Segments, Parts: r.Parts, Partial: r.Partial(),
		Baseline: baseline == r.ID}
}

// taskJSON is a scenario in perfcase's API.
type taskJSON struct {
	TaskID   int64    `json:"task_id"`
	Name     string   `json:"name"`
	Runs     int      `json:"runs"`
	Baseline *string  `json:"baseline"` // the baseline's run id
	Latest   *runJSON `json:"latest"`
}

// tasks lists the project's scenarios with their latest run.
func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	ts, err := s.store.Tasks(r.Context(), p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []taskJSON{}
	for _, t := range ts {
		tj := taskJSON{TaskID: t.ID, Name: t.Name, Runs: t.Runs}
		if t.Latest != nil {
			l := toJSON(*t.Latest, t.BaselineID)
			tj.Latest = &l
		}
		if t.BaselineID != 0 {
			b, err := s.store.Run(r.Context(), p.ID, t.BaselineID)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			tj.Baseline = &b.UUID
		}
		out = append(out, tj)
	}
	writeResult(w, http.StatusOK, map[string]any{"tasks": out})
}

// parseLabels reads label=key=value query parameters.
func parseLabels(vals []string) (map[string]string, error) {
	labels := map[string]string{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, newError(http.StatusBadRequest, 1, "label %q is not key=value", v)
		}
		labels[k] = val
	}
	return labels, nil
}

// taskByName finds a scenario of the project by name.
func (s *Server) taskByName(r *http.Request, p store.Project, name string) (store.Task, error) {
	ts, err := s.store.Tasks(r.Context(), p.ID)
	if err != nil {
		return store.Task{}, err
	}
	for _, t := range ts {
		if t.Name == name {
			return t, nil
		}
	}
	return store.Task{}, newError(http.StatusNotFound, 2, "no scenario %q in project %q", name, p.Name)
}

// runs lists runs, newest first: of a scenario (scenario=NAME or
// task_id=N) or the whole project, filtered by labels (label=key=value,
// repeatable: all must match), limit (default 50, at most 1000) at a
// time; before=RUN_ID pages on from that run.
func (s *Server) runs(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	q := r.URL.Query()
	rq := store.RunQuery{ProjectID: p.ID, Limit: 50}
	var err error
	if rq.Labels, err = parseLabels(q["label"]); err != nil {
		s.fail(w, r, err)
		return
	}
	var baseline int64
	switch {
	case q.Get("scenario") != "":
		t, err := s.taskByName(r, p, q.Get("scenario"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rq.TaskID, baseline = t.ID, t.BaselineID
	case q.Get("task_id") != "":
		n, _ := strconv.ParseInt(q.Get("task_id"), 10, 64)
		t, err := s.store.Task(r.Context(), p.ID, n)
		if err != nil {
			s.fail(w, r, notFound(err, "no scenario (task) %q in project %q", q.Get("task_id"), p.Name))
			return
		}
		rq.TaskID, baseline = t.ID, t.BaselineID
	}
	if v := q.Get("limit"); v != "" {
		if rq.Limit, err = strconv.Atoi(v); err != nil || rq.Limit < 1 || rq.Limit > 1000 {
			writeError(w, newError(http.StatusBadRequest, 1, "limit %q is not a number from 1 to 1000", v))
			return
		}
	}
	if v := q.Get("before"); v != "" {
		b, err := s.store.RunByUUID(r.Context(), p.ID, v)
		if err != nil {
			s.fail(w, r, notFound(err, "no run %q in project %q", v, p.Name))
			return
		}
		rq.Before, rq.BeforeID = b.Start, b.ID
	}
	runs, err := s.store.Runs(r.Context(), rq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []runJSON{}
	for _, run := range runs {
		out = append(out, toJSON(run, baseline))
	}
	writeResult(w, http.StatusOK, map[string]any{"runs": out})
}

// taskByPath finds the scenario the path's task_id names.
func (s *Server) taskByPath(r *http.Request, p store.Project) (store.Task, error) {
	taskID, e := id(r, "task_id")
	if e != nil {
		return store.Task{}, e
	}
	t, err := s.store.Task(r.Context(), p.ID, taskID)
	return t, notFound(err, "no scenario (task) %d in project %q", taskID, p.Name)
}

// runByPath finds the run the path's run_id (a UUID) names.
func (s *Server) runByPath(r *http.Request, p store.Project) (store.Run, error) {
	run, err := s.store.RunByUUID(r.Context(), p.ID, r.PathValue("run_id"))
	return run, notFound(err, "no run %q in project %q", r.PathValue("run_id"), p.Name)
}

// report answers a run's report as it was uploaded; segment=I picks a
// part of a split run.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	run, err := s.runByPath(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seg := -1 // the run's report: its one part's, or its parts merged
	if v := r.URL.Query().Get("segment"); v != "" {
		if seg, err = strconv.Atoi(v); err != nil || seg < 0 {
			writeError(w, newError(http.StatusBadRequest, 1, "segment %q is not a part's index", v))
			return
		}
	}
	s.writeReport(w, r, run, seg)
}

func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, run store.Run, seg int) {
	var data []byte
	var err error
	if seg < 0 {
		data, err = s.runReport(r.Context(), run)
	} else {
		data, err = s.store.Report(r.Context(), run.ID, seg)
	}
	if err != nil {
		s.fail(w, r, notFound(err, "run %s has no part %d", run.UUID, seg))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(data)
}

// deleteRun deletes a run and everything stored with it (admin).
func (s *Server) deleteRun(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeAdmin)
	if !ok {
		return
	}
	run, err := s.deleteRunByPath(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeResult(w, http.StatusOK, map[string]string{"deleted": run.UUID})
}

// deleteRunByPath deletes the path's run and logs it: the API and the UI
// delete alike.
func (s *Server) deleteRunByPath(r *http.Request, p store.Project) (store.Run, error) {
	run, err := s.runByPath(r, p)
	if err == nil {
		err = s.store.DeleteRun(r.Context(), p.ID, run.ID)
	}
	if err != nil {
		return run, err
	}
	s.logf("run %s (%s) of project %s deleted", run.UUID, run.Scenario, p.Name)
	return run, nil
}

// setBaseline marks a run as its scenario's baseline (write): PUT with
// {"run_id": "…"}; DELETE clears it.
func (s *Server) setBaseline(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeWrite)
	if !ok {
		return
	}
	task, err := s.taskByPath(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var runID int64
	uuid := ""
	if r.Method == http.MethodPut {
		var body struct {
			RunID string `json:"run_id"`
		}
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
		if err != nil || json.Unmarshal(data, &body) != nil || body.RunID == "" {
			writeError(w, newError(http.StatusBadRequest, 1, `the body is not {"run_id": "…"}`))
			return
		}
		run, err := s.runOfTask(r, p, task, body.RunID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		runID, uuid = run.ID, run.UUID
	}
	if err := s.store.SetBaseline(r.Context(), task.ID, runID); err != nil {
		s.fail(w, r, err)
		return
	}
	writeResult(w, http.StatusOK, map[string]any{"task_id": task.ID, "baseline": nilIfEmpty(uuid)})
}

// runOfTask finds the run of that run id among the scenario's: a
// baseline must be one of its own runs.
func (s *Server) runOfTask(r *http.Request, p store.Project, task store.Task, runID string) (store.Run, error) {
	run, err := s.store.RunByUUID(r.Context(), p.ID, runID)
	if err == nil && run.TaskID != task.ID {
		err = store.ErrNotFound
	}
	return run, notFound(err, "no run %q of scenario %q", runID, task.Name)
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// baseline answers the report of a scenario's baseline
// (?scenario=NAME), for 'perfcase run --baseline' to compare against.
func (s *Server) baseline(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	name := r.URL.Query().Get("scenario")
	if name == "" {
		writeError(w, newError(http.StatusBadRequest, 1, "give the scenario: ?scenario=NAME"))
		return
	}
	t, err := s.taskByName(r, p, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t.BaselineID == 0 {
		writeError(w, newError(http.StatusNotFound, 4, "scenario %q has no baseline: mark one (PUT /v1/%s/perfcase/tasks/%d/baseline, or in the UI)", name, p.Name, t.ID))
		return
	}
	run, err := s.store.Run(r.Context(), p.ID, t.BaselineID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeReport(w, r, run, -1)
}

// comparison compares two stored runs of the project.
func (s *Server) comparison(r *http.Request, p store.Project, base, new string, limits []compare.Limit) (*compare.Result, error) {
	var runs [2]*compare.Run
	for i, id := range []string{base, new} {
		run, err := s.store.RunByUUID(r.Context(), p.ID, id)
		if err != nil {
			return nil, notFound(err, "no run %q in project %q", id, p.Name)
		}
		if run.Partial() {
			return nil, newError(http.StatusConflict, 1, "run %s was uploaded in %d parts and %d have arrived: it is compared once all have, merged", run.UUID, run.Segments, run.Parts)
		}
		data, err := s.runReport(r.Context(), run)
		if err != nil {
			return nil, err
		}
		if runs[i], err = compare.Read(data); err != nil {
			return nil, err
		}
	}
	return compare.Compare(runs[0], runs[1], limits), nil
}

// compareRuns serves ?base=RUN&new=RUN[&max_regression=…]: the
// comparison of 'perfcase compare', with the same limits. Without base,
// the new run's scenario's baseline is the base.
func (s *Server) compareRuns(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	q := r.URL.Query()
	limits, err := compare.ParseLimits(q.Get("max_regression"))
	if err != nil {
		writeError(w, newError(http.StatusBadRequest, 1, "max_regression: %v", err))
		return
	}
	base, err := s.baseOf(r, p, q.Get("base"), q.Get("new"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.comparison(r, p, base, q.Get("new"), limits)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeResult(w, http.StatusOK, map[string]any{"comparison": res, "regressed": res.Regressed()})
}

// baseOf is base, or when it is "" the baseline of new's scenario.
func (s *Server) baseOf(r *http.Request, p store.Project, base, new string) (string, error) {
	if new == "" {
		return "", newError(http.StatusBadRequest, 1, "give the run to compare: ?new=RUN_ID (and ?base=RUN_ID, or the scenario's baseline is used)")
	}
	if base != "" {
		return base, nil
	}
	run, err := s.store.RunByUUID(r.Context(), p.ID, new)
	if err != nil {
		return "", notFound(err, "no run %q in project %q", new, p.Name)
	}
	t, err := s.store.Task(r.Context(), p.ID, run.TaskID)
	if err != nil {
		return "", err
	}
	if t.BaselineID == 0 {
		return "", newError(http.StatusNotFound, 4, "scenario %q has no baseline to compare with: give ?base=RUN_ID or mark one", t.Name)
	}
	b, err := s.store.Run(r.Context(), p.ID, t.BaselineID)
	return b.UUID, err
}

// trendPoint is one run of a trend.
type trendPoint struct {
	RunID       string   `json:"run_id"`
	Start       string   `json:"start"`
	Requests    int64    `json:"requests"`
	Errors      int64    `json:"errors"`
	TPS         *float64 `json:"tps"`
	AvgRT       *float64 `json:"avg_rt"`
	TP99        *float64 `json:"tp99"`
	SuccessRate *float64 `json:"success_rate"`
	Baseline    bool     `json:"baseline"`
}

// trendQuery reads ?case=C[&kind=request|transaction&name=N][&limit=L].
func trendQuery(r *http.Request, taskID int64) (store.TrendQuery, error) {
	q := r.URL.Query()
	tq := store.TrendQuery{TaskID: taskID, Case: q.Get("case"), Name: q.Get("name"), Limit: 100}
	switch q.Get("kind") {
	case "", "case":
		tq.Kind = store.KindCase
	case "request":
		tq.Kind = store.KindRequest
	case "transaction":
		tq.Kind = store.KindTransaction
	default:
		return tq, newError(http.StatusBadRequest, 1, "kind %q is not case, request or transaction", q.Get("kind"))
	}
	if tq.Case == "" {
		return tq, newError(http.StatusBadRequest, 1, "give the case: ?case=NAME (and kind=request|transaction&name=NAME for one of its series)")
	}
	if tq.Kind != store.KindCase && tq.Name == "" {
		return tq, newError(http.StatusBadRequest, 1, "give the %s's name: &name=NAME", q.Get("kind"))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return tq, newError(http.StatusBadRequest, 1, "limit %q is not a number from 1 to 10000", v)
		}
		tq.Limit = n
	}
	return tq, nil
}

// trend serves a series' figures across the scenario's latest runs,
// oldest first, the baseline marked.
func (s *Server) trend(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	task, err := s.taskByPath(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tq, err := trendQuery(r, task.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pts, err := s.store.Trend(r.Context(), tq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []trendPoint{}
	for _, pt := range pts {
		out = append(out, trendPoint{RunID: pt.RunUUID, Start: *runTime(pt.Start), Requests: pt.Requests, Errors: pt.Errors,
			TPS: pt.TPS, AvgRT: pt.AvgRT, TP99: pt.TP99, SuccessRate: pt.SuccessRate, Baseline: pt.RunID == task.BaselineID})
	}
	writeResult(w, http.StatusOK, map[string]any{"points": out})
}

// Retain deletes the runs that ended more than Config.Retain ago,
// every scenario's baseline excepted, and logs what it did. It does
// nothing when Retain is not set.
func (s *Server) Retain(ctx context.Context) (int, error) {
	if s.cfg.Retain <= 0 {
		return 0, nil
	}
	n, err := s.store.DeleteBefore(ctx, s.cfg.Now().Add(-s.cfg.Retain))
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.logf("retention: deleted %d runs that ended over %s ago", n, s.cfg.Retain)
	}
	return n, nil
}

// RetainEvery runs Retain now and then every interval, until ctx ends.
func (s *Server) RetainEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Retain(ctx); err != nil && ctx.Err() == nil {
			s.logf("retention: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
