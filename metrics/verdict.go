package metrics

// State is what a finished run came to, as its exit code tells CI.
type State uint8

const (
	// VerdictPassed: the run ran its course, every KPI held (or it had
	// none), no SLA rule triggered, and every case that sent requests got
	// at least one through.
	VerdictPassed State = iota
	// VerdictFailed: the run ran its course and a KPI missed or an SLA
	// rule that only flags triggered.
	VerdictFailed
	// VerdictStoppedBySLA: an SLA rule with action stop ended the run,
	// which failed it.
	VerdictStoppedBySLA
	// VerdictUnusable: nothing failed, but a case sent requests and not
	// one succeeded: with no KPI to say so, the run tested nothing.
	VerdictUnusable
	// VerdictInterrupted: a signal stopped the run; its KPIs judged only
	// what ran.
	VerdictInterrupted
	// VerdictAborted: an internal error stopped the run.
	VerdictAborted
	// VerdictPartial: the run was merged from the parts of a split run
	// with a part missing or failed ('perfcase merge --allow-partial'):
	// it measured less than the load asked for, so it cannot pass, what
	// its KPIs say notwithstanding.
	VerdictPartial
)

var stateNames = [...]string{"passed", "failed", "stopped_by_sla", "unusable", "interrupted", "aborted", "partial"}

// String is the state as the report JSON spells it (perfcase.verdict).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Verdict is a finished run judged: per checkpoint (CaseResult.KPIs and
// SLA), per case and for the run. Judge computes it once; every output,
// the upload and the exit code read it and none judges again.
type Verdict struct {
	State State
	// Passed is whether every KPI held and no SLA rule triggered, however
	// the run ended: an interrupted run whose KPIs held so far passed.
	Passed bool
	// Checkpoints counts the KPIs judged, Missed those that did not hold,
	// Triggers the SLA rules' triggers.
	Checkpoints, Missed, Triggers int
	// Cases is each case's verdict, aligned with Run.Cases.
	Cases []CaseVerdict
}

// CaseVerdict is one case's part of the verdict.
type CaseVerdict struct {
	Case string
	// Failed: a KPI of the case missed or an SLA rule triggered on it (a
	// rule that only flags fails it too).
	Failed bool
	// Unusable: the case sent requests and not one succeeded.
	Unusable bool
}

// Judge computes the run's verdict from how it ended and its cases'
// judged KPIs and SLA triggers, and stores it in r.Verdict.
func (r *Run) Judge() {
	v := Verdict{Passed: true, Cases: make([]CaseVerdict, len(r.Cases))}
	unusable := false
	for i, c := range r.Cases {
		cv := CaseVerdict{Case: c.Stats.Name, Failed: len(c.SLA) > 0}
		for _, k := range c.KPIs {
			if !k.Pass {
				v.Missed++
				cv.Failed = true
			}
		}
		v.Checkpoints += len(c.KPIs)
		v.Triggers += len(c.SLA)
		sent, ok := requestCounts(c.Stats)
		cv.Unusable = sent > 0 && ok == 0
		v.Passed = v.Passed && !cv.Failed
		unusable = unusable || cv.Unusable
		v.Cases[i] = cv
	}
	switch {
	case r.Status == Interrupted:
		v.State = VerdictInterrupted
	case r.Status == Aborted:
		v.State = VerdictAborted
	case r.Partial != "":
		v.State = VerdictPartial
		v.Passed = false
	case r.Status == StoppedBySLA:
		v.State = VerdictStoppedBySLA
	case !v.Passed:
		v.State = VerdictFailed
	case unusable:
		v.State = VerdictUnusable
	}
	r.Verdict = v
}

// requestCounts is how many requests a case sent and how many succeeded.
func requestCounts(cs *CaseStats) (sent, ok int64) {
	if r := cs.Requests; r != nil {
		return r.Count, r.Outcomes[Success]
	}
	for _, s := range cs.Series {
		if s.Kind == KindRequest {
			sent += s.Count
			ok += s.Outcomes[Success]
		}
	}
	return sent, ok
}

// Unusable names the first case that sent requests and got not one
// success; "" when none did.
func (v *Verdict) Unusable() string {
	for _, c := range v.Cases {
		if c.Unusable {
			return c.Case
		}
	}
	return ""
}

// ExitCode is the exit code of the README's table for this verdict: 0 the
// run passed, 1 a checkpoint failed (the CI gate), 3 the run could not
// complete, was merged from some of its parts only, or tested nothing. An interruption outranks a missed KPI,
// which outranks an unusable case. (2, an invalid scenario or command
// line, is decided before anything runs.)
func (v *Verdict) ExitCode() int {
	switch v.State {
	case VerdictPassed:
		return 0
	case VerdictFailed, VerdictStoppedBySLA:
		return 1
	}
	return 3
}
