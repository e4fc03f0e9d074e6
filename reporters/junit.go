package reporters

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// JUnit XML, the test report format Jenkins, GitLab and GitHub Actions
// read natively: a run is <testsuites>, each case a <testsuite>, and each
// KPI checkpoint, each SLA trigger and the case's run itself a <testcase>.
// testdata/junit.xsd describes what is written.

// Failure and error types: what a CI tool shows beside the message.
const (
	junitCheckpoint  = "checkpoint"  // a KPI missed its threshold
	junitSLA         = "sla"         // an SLA rule triggered while the run went on
	junitInterrupted = "interrupted" // the run was stopped by a signal
	junitAborted     = "aborted"     // the run could not go on
	junitUnusable    = "unusable"    // requests were sent and not one succeeded
)

// junitTimeLayout is the timestamp as Ant's JUnit task writes it: ISO
// 8601 without a zone, in UTC. Jenkins' parser rejects a zone suffix.
const junitTimeLayout = "2006-01-02T15:04:05"

type junitSuites struct {
	XMLName   xml.Name     `xml:"testsuites"`
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Skipped   int          `xml:"skipped,attr"`
	Time      string       `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr,omitempty"`
	Suites    []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  junitText       `xml:"system-out"`
	// names counts each classname and name, to keep every test's
	// identity distinct.
	names map[string]int
}

// add adds a test, counting it; a second test of the same classname and
// name gets " (2)" after its name.
func (s *junitSuite) add(tc junitCase) {
	if s.names == nil {
		s.names = map[string]int{}
	}
	key := tc.Classname + "\x00" + tc.Name
	s.names[key]++
	if n := s.names[key]; n > 1 {
		tc.Name += " (" + strconv.Itoa(n) + ")"
	}
	if tc.Time == "" {
		tc.Time = junitSeconds(0)
	}
	s.Tests++
	switch {
	case tc.Failure != nil:
		s.Failures++
	case tc.Error != nil:
		s.Errors++
	case tc.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, tc)
}

// junitText is text written as CDATA, so that a summary's lines stay lines
// in the file.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
}

// junitSkipped is a test that could not be judged, and why.
type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// junitProblem is a <failure> or an <error>: a one-line message, a type,
// and the details as text.
type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// WriteJUnit writes the run as JUnit XML, so that a CI server shows each
// checkpoint as a test: per case a <testsuite> holding
//
//   - one <testcase> per KPI, named as written ("tp99 < 300ms"), its
//     classname "<scenario>.<case>", or "<scenario>.<case>.<request>" for a KPI on
//     a request or transaction; a KPI that missed carries a <failure> of
//     type "checkpoint" whose message gives the observed value and the
//     threshold;
//   - one <testcase> per SLA trigger, failed with type "sla" (a trigger
//     fails the run, whether the rule flagged or stopped it);
//   - one <testcase> "case <name> ran", with the case's duration, that
//     holds an <error> when the run was interrupted or aborted, or when
//     the case sent requests and not one succeeded: what makes perfcase
//     exit 3. So a case without KPIs still appears.
//
// Its <system-out> is the case's summary as the terminal shows it. When
// the run was compared with a baseline (f.Comparison), a last
// <testsuite> "comparison with the baseline" holds a test per limit of
// every row both runs have, failed with type "regression" when the
// change is past the limit (see junitComparisonSuite); 'perfcase
// compare --junit' writes that suite alone. Times are seconds with three
// decimals; timestamps are in UTC. The same run always gives the same
// bytes.
func WriteJUnit(w io.Writer, f *output.Finished) error {
	doc := junitSuites{Suites: []junitSuite{}}
	add := func(s junitSuite) {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	if run := f.Run; run != nil {
		doc.Name = run.Name
		doc.Time = junitSeconds(run.End.Sub(run.Start))
		doc.Timestamp = junitTimestamp(run.Start)
		for i, c := range run.Cases {
			add(junitCaseSuite(run, c, &run.Verdict.Cases[i]))
		}
		if run.Partial != "" {
			add(junitPartialSuite(run))
		}
	}
	if c := f.Comparison; c != nil {
		s := junitComparisonSuite(c)
		if f.Run == nil {
			doc.Name, doc.Time, doc.Timestamp = c.Result.New.Scenario, s.Time, s.Timestamp
		}
		add(s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitCaseSuite renders one case as a <testsuite>.
func junitCaseSuite(run *metrics.Run, c *metrics.CaseResult, v *metrics.CaseVerdict) junitSuite {
	cs := c.Stats
	s := junitSuite{
		Name:      cs.Name,
		Time:      junitSeconds(cs.Duration()),
		Timestamp: junitTimestamp(cs.Start),
	}
	for _, p := range []junitProperty{
		{Name: "perfcase.run_id", Value: run.ID},
		{Name: "perfcase.scenario", Value: run.Name},
		{Name: "perfcase.file", Value: run.Source},
		{Name: "perfcase.status", Value: statusName(run.Status)},
		{Name: "perfcase.mode", Value: c.Mode},
		{Name: "perfcase.max_vus", Value: strconv.Itoa(cs.MaxVUs)},
	} {
		if p.Value != "" {
			s.Properties = append(s.Properties, p)
		}
	}
	caseClass := run.Name + "." + cs.Name

	for _, k := range c.KPIs {
		tc := junitCase{Name: k.Source, Classname: caseClass}
		if k.Series != "" {
			tc.Classname = run.Name + "." + cs.Name + "." + k.Series
		}
		if !k.Pass {
			obs, thr := observed(k.Metric, k.Observed), kpiThreshold(k.Metric, k.Threshold)
			scope := "case " + cs.Name
			if k.Series != "" {
				scope += ", " + seriesKind(c, k.Series) + " " + k.Series
			}
			tc.Failure = &junitProblem{
				Message: fmt.Sprintf("%s: observed %s (threshold %s)", k.Source, obs, thr),
				Type:    junitCheckpoint,
				Text:    fmt.Sprintf("%s: checkpoint %s missed: observed %s, threshold %s\n", scope, k.Source, obs, thr),
			}
		}
		s.add(tc)
	}

	for _, tr := range c.SLA {
		obs := observedOne(kpiMetric(tr.KPI), tr.Observed)
		on := ""
		if len(tr.Requests) > 0 {
			on = " on " + strings.Join(tr.Requests, ", ")
		}
		action := "flagged"
		if tr.Stopped {
			action = "stopped the run"
		}
		s.add(junitCase{
			Name:      "SLA rule " + tr.Rule + ": " + tr.KPI,
			Classname: caseClass,
			Failure: &junitProblem{
				Message: fmt.Sprintf("%s: observed %s%s at %s, %s", tr.KPI, obs, on, clock(tr.Time), action),
				Type:    junitSLA,
				Text: fmt.Sprintf("case %s: %s SLA rule %s: %s observed %s%s → %s\n",
					cs.Name, clock(tr.Time), tr.Rule, tr.KPI, obs, on, action),
			},
		})
	}

	ran := junitCase{Name: "case " + cs.Name + " ran", Classname: caseClass, Time: junitSeconds(cs.Duration())}
	reqs := caseRequests(c)
	switch {
	case run.Status == metrics.Interrupted || run.Status == metrics.Aborted:
		typ := junitInterrupted
		if run.Status == metrics.Aborted {
			typ = junitAborted
		}
		msg := "the run was " + statusName(run.Status)
		if run.Reason != "" {
			msg += ": " + run.Reason
		}
		ran.Error = &junitProblem{Message: msg, Type: typ,
			Text: fmt.Sprintf("case %s: %s; the case's figures cover only what ran (%s)\n", cs.Name, msg, seconds(cs.Duration()))}
	case v.Unusable:
		msg := fmt.Sprintf("not one request succeeded (%d sent); the target looks unusable", reqs.Count)
		text := fmt.Sprintf("case %s: %s\n", cs.Name, msg)
		if f := failures(reqs.Outcomes); f != "" {
			text += "failures: " + f + "\n"
		}
		ran.Error = &junitProblem{Message: msg, Type: junitUnusable, Text: text}
	}
	s.add(ran)

	s.SystemOut = junitText{xmlChars(junitSystemOut(c, v, reqs, passedWords(run.Status)))}
	for i := range s.Cases {
		for _, p := range []*junitProblem{s.Cases[i].Failure, s.Cases[i].Error} {
			if p != nil {
				p.Text = xmlChars(p.Text)
			}
		}
	}
	return s
}

// junitSystemOut is a case's figures in a line, then the case as the
// terminal summary shows it.
func junitSystemOut(c *metrics.CaseResult, v *metrics.CaseVerdict, reqs *metrics.Stats, passed string) string {
	var b strings.Builder
	secs := c.Stats.Duration().Seconds()
	rate := "-"
	if secs > 0 {
		rate = strconv.FormatFloat(float64(reqs.Count)/secs, 'f', 2, 64)
	}
	success := "-"
	if reqs.Count > 0 {
		success = percent(100 * float64(reqs.Outcomes[metrics.Success]) / float64(reqs.Count))
	}
	fmt.Fprintf(&b, "requests %d, %s req/s, avg %s ms, tp99 %s ms, success %s\n\n",
		reqs.Count, rate, millis(reqs.Mean), millis(reqs.Percentile(99)), success)
	writeCase(&b, c, v, passed)
	return b.String()
}

// caseRequests is the case's requests as one series.
func caseRequests(c *metrics.CaseResult) *metrics.Stats {
	if r := c.Stats.Requests; r != nil {
		return r
	}
	var reqs []*metrics.Stats
	for _, s := range c.Stats.Series {
		if s.Kind == metrics.KindRequest {
			reqs = append(reqs, s)
		}
	}
	return metrics.Merge(c.Stats.Name, metrics.KindCase, reqs...)
}

// seriesKind says what the case's series of that name is: "request",
// "transaction", or "series" when none has the name.
func seriesKind(c *metrics.CaseResult, name string) string {
	for _, s := range c.Stats.Series {
		if s.Name == name && s.Kind != metrics.KindCase {
			return kindName(s.Kind)
		}
	}
	return "series"
}

// kpiThreshold formats a KPI's threshold in its metric's unit, as written:
// not rounded, so that "tp99 < 0.001ms" shows 0.001 ms.
func kpiThreshold(metric string, v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64) + unit(metric)
}

// junitSeconds is a duration in seconds with three decimals, never
// negative.
func junitSeconds(d time.Duration) string {
	return strconv.FormatFloat(max(d, 0).Seconds(), 'f', 3, 64)
}

// xmlChars replaces what XML 1.0 cannot hold (control characters but tab
// and newlines, invalid UTF-8) with U+FFFD: encoding/xml does so in
// attributes and escaped text, not in CDATA.
func xmlChars(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}

func junitTimestamp(t time.Time) string { return t.UTC().Format(junitTimeLayout) }

// junitPartialSuite is the failed test a run merged from some of its
// parts only has ('perfcase merge --allow-partial'), so that CI shows
// why it cannot pass.
func junitPartialSuite(run *metrics.Run) junitSuite {
	s := junitSuite{Name: "merge", Time: junitSeconds(0), Properties: []junitProperty{}}
	s.add(junitCase{Name: "every part merged", Classname: "merge",
		Failure: &junitProblem{Message: "partial run: " + run.Partial, Type: "partial", Text: "the run was merged without " + run.Partial + "; its verdict cannot pass"}})
	return s
}
