package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Run is what the upload reads from a report JSON: the run's identity and
// its verdict, which the run that wrote the report judged (perfcase.verdict
// and each case's). The report itself is sent as it is.
type Run struct {
	ID       string // result.perfcase.run_id
	Scenario string
	Status   string // "completed", "interrupted", "aborted" or "stopped_by_sla"
	Passed   bool
	// Verdict is the run's verdict, e.g. "passed" or "unusable"; "" in a
	// report written before perfcase wrote verdicts, whose cases' Passed
	// cannot be trusted.
	Verdict string
	// Segment is "I/N" for part I of a run split in N (perfcase run
	// --segment), sent as X-Perfcase-Segment; "" for a whole run.
	Segment string
	Cases   []Case // in the scenario's order
}

// Case is one case's verdict.
type Case struct {
	Name string
	// Passed is whether the case passed: every KPI held, no SLA rule
	// triggered on it, and, when it sent requests, at least one
	// succeeded (a case whose target was unusable tested nothing).
	Passed bool
	// Failed lists why it did not pass: the KPIs that missed and the SLA
	// rules that triggered, as written, or that not one request succeeded.
	Failed []string
	KPIs   int // how many KPIs it has
	// Start and End are when its first stage started and its last ended;
	// zero when no stage ran.
	Start, End time.Time
}

// report is the part of the report JSON that Run reads.
type report struct {
	Result *struct {
		Perfcase *struct {
			RunID    string `json:"run_id"`
			Scenario string `json:"scenario"`
			Status   string `json:"status"`
			Passed   bool   `json:"passed"`
			Verdict  string `json:"verdict"`
			Cases    []struct {
				Case    string `json:"case"`
				Verdict string `json:"verdict"`
			} `json:"cases"`
			KPIs []struct {
				Case string `json:"case"`
				KPI  string `json:"kpi"`
				Pass bool   `json:"pass"`
			} `json:"kpis"`
			Stages []struct {
				Case  string `json:"case"`
				Start string `json:"start"`
				End   string `json:"end"`
			} `json:"stages"`
			SLATriggers []struct {
				Case string `json:"case"`
				Rule string `json:"rule"`
				KPI  string `json:"kpi"`
			} `json:"sla_triggers"`
			Segment *struct {
				Index int `json:"index"`
				Count int `json:"count"`
			} `json:"segment"`
		} `json:"perfcase"`
	} `json:"result"`
}

// ReadRun reads a report JSON as 'perfcase run --out' writes it. It fails
// when data is not JSON or has no run id (result.perfcase.run_id): such a
// report could be stored twice.
func ReadRun(data []byte) (*Run, error) {
	var doc report
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a report JSON: %v", err)
	}
	if doc.Result == nil || doc.Result.Perfcase == nil {
		return nil, errors.New("not a report perfcase wrote: it has no result.perfcase")
	}
	p := doc.Result.Perfcase
	if p.RunID == "" {
		return nil, errors.New("the report has no run id (result.perfcase.run_id), so a retried upload could store it twice; re-run it with this perfcase")
	}
	if !validKey(p.RunID) {
		return nil, fmt.Errorf("the report's run id %.80q is not a key: want 1 to 128 letters, digits and ._:-", p.RunID)
	}
	run := &Run{ID: p.RunID, Scenario: p.Scenario, Status: p.Status, Passed: p.Passed, Verdict: p.Verdict}
	if s := p.Segment; s != nil {
		if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
			return nil, fmt.Errorf("the report's segment %d/%d is not a part: want I/N with 0 <= I < N", s.Index, s.Count)
		}
		run.Segment = fmt.Sprintf("%d/%d", s.Index, s.Count)
	}
	index := map[string]int{}
	for i, c := range p.Cases {
		index[c.Case] = i
		run.Cases = append(run.Cases, Case{Name: c.Case, Passed: c.Verdict == "passed"})
		if c.Verdict == "unusable" {
			run.Cases[i].Failed = append(run.Cases[i].Failed, "not one request succeeded")
		}
	}
	// Why a case failed: the KPIs and rules its verdict counted.
	for _, k := range p.KPIs {
		if i, ok := index[k.Case]; ok {
			run.Cases[i].KPIs++
			if !k.Pass {
				run.Cases[i].Failed = append(run.Cases[i].Failed, k.KPI)
			}
		}
	}
	for _, t := range p.SLATriggers {
		if i, ok := index[t.Case]; ok {
			run.Cases[i].Failed = append(run.Cases[i].Failed, fmt.Sprintf("SLA rule %s (%s)", t.Rule, t.KPI))
		}
	}
	for _, s := range p.Stages {
		i, ok := index[s.Case]
		if !ok {
			continue
		}
		c := &run.Cases[i]
		if t, err := time.Parse(time.RFC3339, s.Start); err == nil && (c.Start.IsZero() || t.Before(c.Start)) {
			c.Start = t
		}
		if t, err := time.Parse(time.RFC3339, s.End); err == nil && t.After(c.End) {
			c.End = t
		}
	}
	return run, nil
}

// ValidRunID reports whether s can serve as a run id (perfcase run
// --run-id): the rules of the idempotency key it becomes.
func ValidRunID(s string) bool { return validKey(s) }

// validKey reports whether s can serve as an idempotency key and a
// header value as it is.
func validKey(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == ':', r == '-':
		default:
			return false
		}
	}
	return true
}
