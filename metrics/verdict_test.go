package metrics

import "testing"

// verdictCase is a case with some requests, of which ok succeeded, some
// judged KPIs and SLA triggers.
func verdictCase(name string, sent, ok int64, kpis []bool, triggers int) *CaseResult {
	req := &Stats{Name: "r", Kind: KindRequest, Count: sent}
	req.Outcomes[Success], req.Outcomes[Timeout] = ok, sent-ok
	c := &CaseResult{Stats: &CaseStats{Name: name, Series: []*Stats{req}, Requests: req}}
	for _, pass := range kpis {
		c.KPIs = append(c.KPIs, KPIResult{Source: "tp99 < 1ms", Metric: "tp99", Pass: pass})
	}
	for range triggers {
		c.SLA = append(c.SLA, SLATrigger{Rule: "r"})
	}
	return c
}

// One table: how a run ended and what its cases came to make one state,
// one exit code and one verdict per case. An interruption outranks a
// missed KPI, which outranks an unusable case.
func TestJudge(t *testing.T) {
	held := verdictCase("held", 10, 10, []bool{true, true}, 0)
	missed := verdictCase("missed", 10, 10, []bool{true, false}, 0)
	flagged := verdictCase("flagged", 10, 10, nil, 1)
	dead := verdictCase("dead", 10, 0, nil, 0)
	idle := verdictCase("idle", 0, 0, nil, 0) // sent nothing: not unusable
	for _, c := range []struct {
		name   string
		status Status
		cases  []*CaseResult
		state  State
		passed bool
		exit   int
	}{
		{"all held", Completed, []*CaseResult{held, idle}, VerdictPassed, true, 0},
		{"no checkpoints", Completed, []*CaseResult{idle}, VerdictPassed, true, 0},
		{"a KPI missed", Completed, []*CaseResult{held, missed}, VerdictFailed, false, 1},
		{"a flag rule triggered", Completed, []*CaseResult{flagged}, VerdictFailed, false, 1},
		{"stopped by SLA", StoppedBySLA, []*CaseResult{flagged}, VerdictStoppedBySLA, false, 1},
		{"unusable", Completed, []*CaseResult{held, dead}, VerdictUnusable, true, 3},
		{"missed and unusable", Completed, []*CaseResult{missed, dead}, VerdictFailed, false, 1},
		{"interrupted, held so far", Interrupted, []*CaseResult{held}, VerdictInterrupted, true, 3},
		{"interrupted and missed", Interrupted, []*CaseResult{missed}, VerdictInterrupted, false, 3},
		{"aborted", Aborted, []*CaseResult{held}, VerdictAborted, true, 3},
	} {
		run := &Run{Status: c.status, Cases: c.cases}
		run.Judge()
		v := run.Verdict
		if v.State != c.state || v.Passed != c.passed || run.Passed() != c.passed || v.ExitCode() != c.exit {
			t.Errorf("%s: %v, passed %v, exit %d; want %v, %v, %d", c.name, v.State, v.Passed, v.ExitCode(), c.state, c.passed, c.exit)
		}
		if len(v.Cases) != len(c.cases) {
			t.Fatalf("%s: %d case verdicts", c.name, len(v.Cases))
		}
		for i, cv := range v.Cases {
			name := c.cases[i].Stats.Name
			if cv.Case != name || cv.Failed != (name == "missed" || name == "flagged") || cv.Unusable != (name == "dead") {
				t.Errorf("%s: case %+v", c.name, cv)
			}
		}
	}
	run := &Run{Cases: []*CaseResult{held, missed, flagged, dead}}
	run.Judge()
	if v := run.Verdict; v.Checkpoints != 4 || v.Missed != 1 || v.Triggers != 1 || v.Unusable() != "dead" {
		t.Errorf("counts: %+v, unusable %q", v, v.Unusable())
	}
	if VerdictStoppedBySLA.String() != "stopped_by_sla" || State(99).String() != "unknown" {
		t.Error("state names")
	}
}
