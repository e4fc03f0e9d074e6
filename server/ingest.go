package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
	"github.com/perfcase/perfcase/server/store"
	"github.com/perfcase/perfcase/upload"
)

// SegmentHeader says which part of a split run a report is, "I/N"
// (issue 13's --segment); without it the report is the whole run, part 0
// of 1.
const SegmentHeader = "X-Perfcase-Segment"

// Limits on what a report's metadata may hold, so that a label cannot
// bloat every page that lists runs.
const (
	maxLabels     = 32
	maxLabelKey   = 64
	maxLabelValue = 256
	maxSegments   = 10000
)

// ingested is what the service reads from an upload.
type ingested struct {
	report  *output.Report
	run     *upload.Run
	segment store.Segment
}

// parseUpload checks an upload as upload/doc.go's contract says and reads
// the report: it must be the report JSON 'perfcase run --out' writes
// (its types, a run id, a scenario, one entry per case in each list), the
// Idempotency-Key and X-Perfcase-Run-Id headers, when sent, must name its
// run, and its labels must fit the limits. Every refusal is a 422 saying
// what is wrong.
func parseUpload(h http.Header, body []byte) (*ingested, error) {
	if !utf8.Valid(body) {
		return nil, newError(http.StatusUnprocessableEntity, 1, "the body is not UTF-8 text, so not a report JSON")
	}
	run, err := upload.ReadRun(body)
	if err != nil {
		return nil, newError(http.StatusUnprocessableEntity, 1, "%v", err)
	}
	var rep output.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, newError(http.StatusUnprocessableEntity, 1, "not a report JSON: %v", err)
	}
	for _, name := range []string{"Idempotency-Key", "X-Perfcase-Run-Id"} {
		if v := h.Get(name); v != "" && v != run.ID {
			return nil, newError(http.StatusUnprocessableEntity, 2, "the %s header (%.80q) is not the report's run id (%s)", name, v, run.ID)
		}
	}
	res := &rep.Result
	pc := &res.Perfcase
	switch {
	case rep.Code != successCode:
		return nil, newError(http.StatusUnprocessableEntity, 1, "the report's code is %.40q, not %s: it is not a finished run's report", rep.Code, successCode)
	case strings.TrimSpace(pc.Scenario) == "":
		return nil, newError(http.StatusUnprocessableEntity, 1, "the report names no scenario (result.perfcase.scenario)")
	case len(res.Cases) != len(pc.Cases) || len(res.CaseAwInfoList) != len(pc.Cases):
		return nil, newError(http.StatusUnprocessableEntity, 1, "the report's case lists disagree: %d in result.cases, %d in result.case_aw_info_list, %d in result.perfcase.cases",
			len(res.Cases), len(res.CaseAwInfoList), len(pc.Cases))
	}
	for i, c := range res.Cases {
		if c.Detail == nil || c.Detail.Performance == nil {
			return nil, newError(http.StatusUnprocessableEntity, 1, "result.cases[%d] has no detail.performance", i)
		}
		if c.Detail.Performance.Name == nil || *c.Detail.Performance.Name != pc.Cases[i].Case {
			return nil, newError(http.StatusUnprocessableEntity, 1, "result.cases[%d] is not case %q of result.perfcase.cases", i, pc.Cases[i].Case)
		}
	}
	names := make([]string, len(pc.Cases))
	for i, c := range pc.Cases {
		names[i] = c.Case
	}
	if err := pc.Curves.Check(names); err != nil {
		return nil, newError(http.StatusUnprocessableEntity, 1, "result.perfcase.%v", err)
	}
	if err := checkLabels(pc.Labels); err != nil {
		return nil, err
	}
	seg, err := parseSegment(h.Get(SegmentHeader))
	if err != nil {
		return nil, err
	}
	if rs := pc.Segment; rs != nil {
		if h.Get(SegmentHeader) == "" {
			if seg, err = parseSegment(fmt.Sprintf("%d/%d", rs.Index, rs.Count)); err != nil {
				return nil, err
			}
		} else if rs.Index != seg.Index || rs.Count != seg.Count {
			return nil, newError(http.StatusUnprocessableEntity, 3, "the %s header says part %d/%d, the report's perfcase.segment %d/%d", SegmentHeader, seg.Index, seg.Count, rs.Index, rs.Count)
		}
	}
	return &ingested{report: &rep, run: run, segment: seg}, nil
}

func checkLabels(labels map[string]string) error {
	if len(labels) > maxLabels {
		return newError(http.StatusUnprocessableEntity, 4, "the report has %d labels; the service keeps at most %d", len(labels), maxLabels)
	}
	for k, v := range labels {
		if err := CheckLabel(k, v); err != nil {
			return newError(http.StatusUnprocessableEntity, 4, "label %.80q: %v", k, err)
		}
	}
	return nil
}

// CheckLabel says what is wrong with a label, or nil: a key is 1 to 64
// letters, digits and ._-/, a value up to 256 characters of text.
func CheckLabel(key, value string) error {
	if key == "" || len(key) > maxLabelKey {
		return fmt.Errorf("a key is 1 to %d characters", maxLabelKey)
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/", r)) {
			return fmt.Errorf("a key holds letters, digits and . _ - / only, not %q", r)
		}
	}
	if utf8.RuneCountInString(value) > maxLabelValue {
		return fmt.Errorf("a value is at most %d characters", maxLabelValue)
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("a value holds no control characters")
	}
	return nil
}

// parseSegment reads "I/N"; "" is the whole run.
func parseSegment(v string) (store.Segment, error) {
	if v == "" {
		return store.Segment{Index: 0, Count: 1}, nil
	}
	is, ns, ok := strings.Cut(v, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || n > maxSegments || i < 0 || i >= n {
		return store.Segment{}, newError(http.StatusUnprocessableEntity, 3, "%s %.40q is not I/N with 0 <= I < N <= %d", SegmentHeader, v, maxSegments)
	}
	return store.Segment{Index: i, Count: n}, nil
}

// part turns an upload into what the store keeps.
func (in *ingested) part(projectID int64, body []byte, now time.Time) *store.Part {
	res := &in.report.Result
	p := &store.Part{
		ProjectID: projectID,
		RunUUID:   in.run.ID,
		Segment:   in.segment,
		Scenario:  in.run.Scenario,
		Report:    body,
		StoredAt:  now,
		Labels:    res.Perfcase.Labels,
		CI:        store.CI(res.Perfcase.CI),
	}
	sum := &p.Summary
	sum.Status = in.run.Status
	sum.Verdict = verdict(in.run)
	sum.Start, sum.End = runTimes(in.report, in.run, now)
	sum.Parallel = parallel(in.run)
	if o := res.Outline; o != nil {
		sum.TPS, sum.AvgRT, sum.SuccessRate = o.TPS, o.AvgResponseTime, o.SuccessRate
	}
	for i, c := range res.Cases {
		perf := c.Detail.Performance
		cs := store.CaseSummary{Name: in.run.Cases[i].Name, Passed: in.run.Cases[i].Passed, Figures: figures(perf)}
		sum.CaseNames = append(sum.CaseNames, cs.Name)
		sum.Requests += cs.Requests
		sum.Errors += cs.Errors
		if perf.Tp99 != nil && (sum.TP99 == nil || *perf.Tp99 > *sum.TP99) {
			sum.TP99 = perf.Tp99
		}
		for _, d := range c.Detail.DetailDatas {
			cs.Series = append(cs.Series, store.SeriesSummary{Kind: store.KindRequest, Name: deref(d.Name), Figures: figures(&d)})
		}
		for _, d := range c.Detail.CustomTransactions {
			cs.Series = append(cs.Series, store.SeriesSummary{Kind: store.KindTransaction, Name: deref(d.Name), Figures: figures(&d)})
		}
		p.Cases = append(p.Cases, cs)
	}
	return p
}

// verdict is a run's one-word outcome for the lists: the verdict the
// run that wrote the report judged (perfcase.verdict). A report written
// before perfcase wrote verdicts says how it ended, or "unknown".
func verdict(run *upload.Run) string {
	switch {
	case run.Verdict != "":
		return run.Verdict
	case run.Status != "completed" && run.Status != "stopped_by_sla":
		return run.Status
	}
	return "unknown"
}

// runTimes are when the run started and ended, from its outline, else its
// stages; a report with neither is placed at the time it arrived.
func runTimes(rep *output.Report, run *upload.Run, now time.Time) (start, end time.Time) {
	if o := rep.Result.Outline; o != nil && o.StartTime != nil && o.EndTime != nil {
		s, err1 := time.Parse(time.RFC3339, *o.StartTime)
		e, err2 := time.Parse(time.RFC3339, *o.EndTime)
		if err1 == nil && err2 == nil {
			return s, e
		}
	}
	for _, c := range run.Cases {
		if !c.Start.IsZero() && (start.IsZero() || c.Start.Before(start)) {
			start = c.Start
		}
		if c.End.After(end) {
			end = c.End
		}
	}
	if start.IsZero() {
		return now, now
	}
	return start, end
}

// parallel reports whether two of the run's cases ran at the same time.
func parallel(run *upload.Run) bool {
	for i, a := range run.Cases {
		for _, b := range run.Cases[i+1:] {
			if !a.Start.IsZero() && !b.Start.IsZero() && a.Start.Before(b.End) && b.Start.Before(a.End) {
				return true
			}
		}
	}
	return false
}

func figures(d *perftest.CaseReportDetail) store.Figures {
	return store.Figures{Requests: int64(val(d.Requests)), Errors: int64(val(d.ErrorCount)),
		TPS: d.TPS, AvgRT: d.AverageRespTime, TP99: d.Tp99, SuccessRate: d.SuccessRate}
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// stored is the answer to an upload that was stored.
type stored struct {
	RunID     string `json:"run_id"`
	TaskID    int64  `json:"task_id"`
	TaskRunID int64  `json:"task_run_id"`
	Segment   string `json:"segment"`
	Parts     int    `json:"parts"`
	Partial   bool   `json:"partial"`
	URL       string `json:"url"`
}

// postReport is the upload endpoint (upload/doc.go): the report is read
// whole within the size limit, checked, and stored in one transaction,
// so that an answer of 201 means the run is on disk and any other answer
// means nothing was stored.
func (s *Server) postReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.guard(w, r, store.ScopeWrite)
	if !ok {
		return
	}
	max := s.cfg.MaxReportSize
	if r.ContentLength > max {
		writeError(w, tooLarge(max))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, tooLarge(max))
		return
	}
	if err != nil {
		writeError(w, newError(http.StatusBadRequest, 1, "the body could not be read: %v", err))
		return
	}
	in, err := parseUpload(r.Header, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.store.PutPart(r.Context(), in.part(p.ID, body, s.cfg.Now()))
	seg := fmt.Sprintf("%d/%d", in.segment.Index, in.segment.Count)
	switch {
	case errors.Is(err, store.ErrExists):
		writeError(w, newError(http.StatusConflict, 1, "run %s (segment %s) is already stored; nothing was changed", in.run.ID, seg))
		return
	case errors.Is(err, store.ErrSegments):
		writeError(w, newError(http.StatusUnprocessableEntity, 3, "run %s is stored with another number of segments than %s", in.run.ID, seg))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if in.segment.Count > 1 {
		// The part is stored whatever the merge does: a merge that fails
		// leaves the run unmerged, which its pages say, and is logged.
		if err := s.mergeParts(r.Context(), p.ID, res.RunID, in.segment.Count); err != nil {
			s.logf("cannot merge the parts of run %s: %v", in.run.ID, err)
		}
	}
	loc := runURL(p.Name, in.run.ID)
	w.Header().Set("Location", loc)
	writeResult(w, http.StatusCreated, stored{RunID: in.run.ID, TaskID: res.TaskID, TaskRunID: res.RunID, Segment: seg,
		Parts: res.Parts, Partial: res.Parts < in.segment.Count, URL: loc})
}

func tooLarge(max int64) *apiError {
	return newError(http.StatusRequestEntityTooLarge, 1, "the report is over this service's limit of %d MiB (perfcase serve --max-report-size)", max>>20)
}
