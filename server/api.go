package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
	"github.com/perfcase/perfcase/server/store"
)

// This file serves the read side of the reference's report API (§4.6)
// from stored runs, with the reference's paths and envelopes. The
// mapping, in docs/report-service.md: a scenario is a task (task_id), a
// run a task run (task_run_id), a case of a run a case run
// (case_run_id), and each row of a case run — the case's own, a
// request's, a transaction's — a detail (detail_id). The service assigns
// the integer ids; the run's UUID stays its run id.

// timeLayout is how the reference writes times: RFC 3339 with a numeric
// offset, even in UTC.
const timeLayout = "2006-01-02T15:04:05-07:00"

// runTime is a stored time as the reference writes it. The store keeps
// instants, not zones, so the service's answers are in UTC.
func runTime(t time.Time) *string {
	s := t.UTC().Format(timeLayout)
	return &s
}

func str(s string) *string           { return &s }
func itoa(n int64) *string           { return str(strconv.FormatInt(n, 10)) }
func num(x float64) *float64         { return &x }
func boolp(b bool) *bool             { return &b }
func taskRunName(r store.Run) string { return r.Scenario + "_" + *runTime(r.Start) }

// history serves 4.6.2: the scenario's runs, newest first. The reference
// pages nothing; a scenario of many runs can be cut with ?limit=N (the N
// newest).
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	task, err := s.taskByPath(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit := 1 << 30
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			writeError(w, newError(http.StatusBadRequest, 1, "limit %q is not a positive integer", v))
			return
		}
	}
	runs, err := s.store.Runs(r.Context(), store.RunQuery{ProjectID: p.ID, TaskID: task.ID, Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list := perftest.HistoryRunList{Code: successCode, Message: "success", LogList: []perftest.HistoryRunInfo{}}
	for _, run := range runs {
		info := perftest.HistoryRunInfo{
			Name:         str(taskRunName(run)),
			RunID:        num(float64(run.ID)),
			RunType:      num(1),
			StartTime:    runTime(run.Start),
			EndTime:      runTime(run.End),
			ContinueTime: num(run.End.Sub(run.Start).Round(time.Second).Seconds()),
			TempNames:    []perftest.TempName{},
			Parallel:     boolp(run.Parallel),
		}
		for _, n := range run.CaseNames {
			info.TempNames = append(info.TempNames, perftest.TempName{Name: str(n)})
		}
		list.LogList = append(list.LogList, info)
	}
	writeJSON(w, http.StatusOK, list)
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return newError(http.StatusNotFound, 2, format, args...)
	}
	return err
}

// taskRun is a stored run with its report and its cases' ids.
type taskRun struct {
	project store.Project
	run     store.Run
	report  *output.Report
	cases   []store.CaseRun
	details [][]store.Detail // per case: the case's own row, its requests, its transactions
}

// loadTaskRun reads the run of the path's task_run_id. A run split in
// parts is served merged once every part has arrived; until then it has
// no figures of its own, and its calls answer 409.
func (s *Server) loadTaskRun(r *http.Request, p store.Project) (*taskRun, error) {
	runID, e := id(r, "task_run_id")
	if e != nil {
		return nil, e
	}
	run, err := s.store.Run(r.Context(), p.ID, runID)
	if err != nil {
		return nil, notFound(err, "no task run %d in project %q", runID, p.Name)
	}
	if run.Partial() {
		return nil, newError(http.StatusConflict, 1, "task run %d (run %s) was uploaded in %d parts and %d have arrived: the report API serves it once all have, merged",
			run.ID, run.UUID, run.Segments, run.Parts)
	}
	data, err := s.runReport(r.Context(), run)
	if err != nil {
		return nil, err
	}
	tr := &taskRun{project: p, run: run, report: new(output.Report)}
	if err := json.Unmarshal(data, tr.report); err != nil {
		return nil, fmt.Errorf("stored report of run %d: %w", run.ID, err)
	}
	if tr.cases, err = s.store.CaseRuns(r.Context(), run.ID); err != nil {
		return nil, err
	}
	if len(tr.cases) != len(tr.report.Result.Cases) {
		return nil, fmt.Errorf("run %d: %d case runs for %d cases in its report", run.ID, len(tr.cases), len(tr.report.Result.Cases))
	}
	for _, c := range tr.cases {
		ds, err := s.store.Details(r.Context(), c.ID)
		if err != nil {
			return nil, err
		}
		tr.details = append(tr.details, ds)
	}
	return tr, nil
}

// caseIndex finds the path's case_run_id among the run's cases.
func (tr *taskRun) caseIndex(r *http.Request) (int, error) {
	caseID, e := id(r, "case_run_id")
	if e != nil {
		return 0, e
	}
	for i, c := range tr.cases {
		if c.ID == caseID {
			return i, nil
		}
	}
	return 0, newError(http.StatusNotFound, 2, "no case run %d in task run %d", caseID, tr.run.ID)
}

// caseDetail is case i's detail (4.6.4 shape) with the service's ids in
// it: each row's id is its case run, its detailId its own detail id.
func (tr *taskRun) caseDetail(i int) *perftest.CaseReportDetails {
	d := *tr.report.Result.Cases[i].Detail
	ids := tr.details[i]
	c := tr.cases[i]
	stamp := func(row perftest.CaseReportDetail, det store.Detail) perftest.CaseReportDetail {
		row.ID = itoa(c.ID)
		row.DetailID = itoa(det.ID)
		row.TaskID = itoa(tr.run.TaskID)
		row.TaskName = str(tr.run.Scenario)
		row.ProjectID = str(tr.project.Name)
		if det.Kind == store.KindRequest {
			row.AwID = itoa(det.ID)
		}
		if det.Kind == store.KindTransaction {
			row.TransactionID = itoa(det.ID)
		}
		return row
	}
	perf := stamp(*d.Performance, ids[0])
	d.Performance = &perf
	nreq := len(d.DetailDatas)
	d.DetailDatas = stampRows(d.DetailDatas, ids, 1, stamp)
	d.CustomTransactions = stampRows(d.CustomTransactions, ids, 1+nreq, stamp)
	return &d
}

func stampRows(rows []perftest.CaseReportDetail, ids []store.Detail, from int, stamp func(perftest.CaseReportDetail, store.Detail) perftest.CaseReportDetail) []perftest.CaseReportDetail {
	out := make([]perftest.CaseReportDetail, len(rows))
	for j, row := range rows {
		if from+j < len(ids) {
			out[j] = stamp(row, ids[from+j])
		} else {
			out[j] = row
		}
	}
	return out
}

// detailCall reads the run and case of a case-run call; ok is false when
// it answered.
func (s *Server) detailCall(w http.ResponseWriter, r *http.Request) (*taskRun, int, bool) {
	p, ok := s.guard(w, r, store.ScopeRead)
	if !ok {
		return nil, 0, false
	}
	tr, err := s.loadTaskRun(r, p)
	if err != nil {
		s.fail(w, r, err)
		return nil, 0, false
	}
	i, err := tr.caseIndex(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, 0, false
	}
	return tr, i, true
}

// caseList serves 4.6.5: the run's cases with their requests and
// transactions, and the ids the other calls take (case_uri_i, testcaseId
// and taskExecId are the case run's id; id and caseAwId the case's own
// detail; each request's and transaction's caseAwId its detail).
func (s *Server) caseList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	tr, err := s.loadTaskRun(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum := perftest.CaseReportSummary{CaseAwInfoList: []perftest.CaseAwInfo{}}
	for i, info := range tr.report.Result.CaseAwInfoList {
		ids, c := tr.details[i], tr.cases[i]
		info.ID, info.CaseAwID = itoa(ids[0].ID), itoa(ids[0].ID)
		info.CaseURII, info.TestcaseID, info.TaskExecID = itoa(c.ID), itoa(c.ID), itoa(c.ID)
		info.TaskID = itoa(tr.run.TaskID)
		info.Aw = append([]perftest.AwInfoDTO(nil), info.Aw...)
		info.AwList = append([]perftest.DetailItem(nil), info.AwList...)
		info.TransactionList = append([]perftest.DetailItem(nil), info.TransactionList...)
		for j := range info.Aw {
			if 1+j < len(ids) {
				info.Aw[j].ID = itoa(ids[1+j].ID)
			}
		}
		for j := range info.AwList {
			if 1+j < len(ids) {
				info.AwList[j].CaseAwID = itoa(ids[1+j].ID)
			}
		}
		for k := range info.TransactionList {
			if at := 1 + len(info.AwList) + k; at < len(ids) {
				info.TransactionList[k].CaseAwID = itoa(ids[at].ID)
				info.TransactionList[k].TransactionID = itoa(ids[at].ID)
			}
		}
		sum.CaseAwInfoList = append(sum.CaseAwInfoList, info)
	}
	writeResult(w, http.StatusOK, sum)
}

// detail serves 4.6.4: one case run's rows, as the report holds them,
// with the service's ids.
func (s *Server) detail(w http.ResponseWriter, r *http.Request) {
	tr, i, ok := s.detailCall(w, r)
	if !ok {
		return
	}
	writeResult(w, http.StatusOK, perftest.CaseReportDetailResult{Detail: tr.caseDetail(i)})
}

// reports serves 4.6.1: the report of a case run. Its details hold the
// case's rows; brokens, outline, respTimeRange and taskInfo are the task
// run's, all cases together, as the report keeps them (a run of one case
// is that case's). brokens_limit_count, which the reference requires,
// bounds the points of each series: past it, seconds are averaged in
// equal buckets; without it every second is sent.
func (s *Server) reports(w http.ResponseWriter, r *http.Request) {
	tr, i, ok := s.detailCall(w, r)
	if !ok {
		return
	}
	limit := 0
	if v := r.URL.Query().Get("brokens_limit_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, newError(http.StatusBadRequest, 1, "brokens_limit_count %q is not a positive integer", v))
			return
		}
		limit = n
	}
	res := tr.report.Result
	info := res.ReportInfo
	d := tr.caseDetail(i)
	item := tableItem(d)
	info.Details = &perftest.ReportdetailsInfo{Data: []perftest.ReportdetailItemInfo{item}, PageIndex: 1, PageSize: 1, Total: 1}
	if info.Outline != nil {
		o := *info.Outline
		o.ProjectID = str(tr.project.Name)
		info.Outline = &o
	}
	info.Brokens = downsample(info.Brokens, limit)
	writeResult(w, http.StatusOK, info)
}

// tableItem spells a case's rows as 4.6.1's statistics table: the same
// fields, under the table's types.
func tableItem(d *perftest.CaseReportDetails) perftest.ReportdetailItemInfo {
	item := perftest.ReportdetailItemInfo{CustomTransactions: []perftest.DetailDataInfo{}, DetailDatas: []perftest.DetailDataInfo{}}
	recode := func(from, to any) {
		b, _ := json.Marshal(from)
		json.Unmarshal(b, to)
	}
	var perf perftest.PerformanceInfo
	recode(d.Performance, &perf)
	item.Performance = &perf
	for _, row := range d.DetailDatas {
		var dd perftest.DetailDataInfo
		recode(row, &dd)
		item.DetailDatas = append(item.DetailDatas, dd)
	}
	for _, row := range d.CustomTransactions {
		var dd perftest.DetailDataInfo
		recode(row, &dd)
		item.CustomTransactions = append(item.CustomTransactions, dd)
	}
	return item
}

// chart serves 4.6.3: a detail's curves over time — the case's own row
// (its requests taken together), a request's or a transaction's — from
// the report's per-series curves (perfcase.curves), per bucket of the
// report's step, in the reference's shapes, with the series' own
// response-time ranges. brokens_limit_count bounds the points as 4.6.1's
// does. A report written before perfcase put curves in reports has none
// to give: broken_list is null and err_message says why.
func (s *Server) chart(w http.ResponseWriter, r *http.Request) {
	tr, i, ok := s.detailCall(w, r)
	if !ok {
		return
	}
	detailID, err := strconv.ParseInt(r.PathValue("detail_id"), 10, 64)
	var det *store.Detail
	for j := range tr.details[i] {
		if err == nil && tr.details[i][j].ID == detailID {
			det = &tr.details[i][j]
		}
	}
	if det == nil {
		writeError(w, newError(http.StatusNotFound, 2, "no detail %q in case run %d", r.PathValue("detail_id"), tr.cases[i].ID))
		return
	}
	limit := 0
	if v := r.URL.Query().Get("brokens_limit_count"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			writeError(w, newError(http.StatusBadRequest, 1, "brokens_limit_count %q is not a positive integer", v))
			return
		}
	}
	cv := &tr.report.Result.Perfcase.Curves
	var series *output.PerfcaseSeriesCurve
	if i < len(cv.Cases) {
		series = cv.Cases[i].Find(curveKind(det.Kind), det.Name)
	}
	var out perftest.TaskCaseAwChartResult
	switch {
	case len(cv.Cases) == 0:
		out.ErrMessage = str(fmt.Sprintf("the report of run %s has no curves for %q: it was written by a perfcase that did not yet put each series' seconds in its reports (result.perfcase.curves)", tr.run.UUID, det.Name))
	case series == nil:
		out.ErrMessage = str(fmt.Sprintf("the curves of run %s have no series for %q", tr.run.UUID, det.Name))
	}
	if out.ErrMessage != nil {
		writeResult(w, http.StatusOK, out)
		return
	}
	b := downsample(cv.Cases[i].Brokens(series, cv.Step), limit)
	out.BrokenList = &perftest.BrokenList{
		BrandBrokenS:     b.BrandBrokens,
		CommonTimeStamps: b.CommonTimeStamps,
		RespcodeBrokenS:  b.RespcodeBrokens,
		TpsBrokenS:       b.TpsBrokens,
		VusersBrokenS:    b.VusersBrokens,
	}
	out.RespTimeRange = output.RespTimeRange(series.Ranges)
	writeResult(w, http.StatusOK, out)
}

// curveKind is the kind of the report's curve a stored detail is.
func curveKind(kind int) string {
	switch kind {
	case store.KindCase:
		return output.CurveCase
	case store.KindTransaction:
		return output.CurveTransaction
	}
	return output.CurveRequest
}

// downsample averages each series over equal buckets of seconds so that
// it has at most limit points (0: no limit). Counts per second average
// to counts per second; the average response time is weighted by each
// second's requests; a bucket's time stamp is its first second's.
func downsample(b *perftest.ReportbrokensInfo, limit int) *perftest.ReportbrokensInfo {
	n := 0
	if b != nil {
		n = len(b.CommonTimeStamps)
	}
	if limit <= 0 || n <= limit {
		return b
	}
	step := (n + limit - 1) / limit
	mean := func(s []float64) []float64 {
		if s == nil {
			return nil
		}
		var out []float64
		for k := 0; k < len(s); k += step {
			end := min(k+step, len(s))
			sum := 0.0
			for _, v := range s[k:end] {
				sum += v
			}
			out = append(out, sum/float64(end-k))
		}
		return out
	}
	out := &perftest.ReportbrokensInfo{}
	for k := 0; k < n; k += step {
		out.CommonTimeStamps = append(out.CommonTimeStamps, b.CommonTimeStamps[k])
	}
	if x := b.BrandBrokens; x != nil {
		out.BrandBrokens = &perftest.BrandBrokens{RecBytes: mean(x.RecBytes), SentBytes: mean(x.SentBytes)}
	}
	if x := b.RespcodeBrokens; x != nil {
		out.RespcodeBrokens = &perftest.RespcodeBrokens{CheckPointFailed: mean(x.CheckPointFailed), Error: mean(x.Error),
			OthersFailed: mean(x.OthersFailed), ParsedFailed: mean(x.ParsedFailed), RefusedFailed: mean(x.RefusedFailed),
			Success: mean(x.Success), Timeout: mean(x.Timeout)}
	}
	if x := b.TpsBrokens; x != nil {
		avg := make([]float64, 0, len(x.Average))
		for k := 0; k < len(x.Average); k += step {
			end := min(k+step, len(x.Average))
			var sum, weight float64
			for j := k; j < end; j++ {
				if j < len(x.TPS) {
					sum += x.Average[j] * x.TPS[j]
					weight += x.TPS[j]
				}
			}
			if weight > 0 {
				sum /= weight
			}
			avg = append(avg, sum)
		}
		out.TpsBrokens = &perftest.TpsBrokens{Average: avg, TPS: mean(x.TPS)}
	}
	if x := b.VusersBrokens; x != nil {
		out.VusersBrokens = &perftest.VusersBrokens{Vusers: mean(x.Vusers)}
	}
	return out
}
