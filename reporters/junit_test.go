package reporters

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// What a CI server reads of the JUnit XML, decoded independently of the
// writer's types.
type xSuites struct {
	XMLName   xml.Name `xml:"testsuites"`
	Name      string   `xml:"name,attr"`
	Tests     int      `xml:"tests,attr"`
	Failures  int      `xml:"failures,attr"`
	Errors    int      `xml:"errors,attr"`
	Skipped   int      `xml:"skipped,attr"`
	Time      string   `xml:"time,attr"`
	Timestamp string   `xml:"timestamp,attr"`
	Suites    []xSuite `xml:"testsuite"`
}

type xSuite struct {
	Name       string `xml:"name,attr"`
	Tests      int    `xml:"tests,attr"`
	Failures   int    `xml:"failures,attr"`
	Errors     int    `xml:"errors,attr"`
	Skipped    int    `xml:"skipped,attr"`
	Time       string `xml:"time,attr"`
	Timestamp  string `xml:"timestamp,attr"`
	Properties []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"properties>property"`
	Cases     []xCase `xml:"testcase"`
	SystemOut string  `xml:"system-out"`
}

type xCase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Time      string    `xml:"time,attr"`
	Failure   *xProblem `xml:"failure"`
	Error     *xProblem `xml:"error"`
	Skipped   *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
}

type xProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

var (
	junitSecondsRE = regexp.MustCompile(`^[0-9]+\.[0-9]{3}$`)
	junitStampRE   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$`)
)

// junitXML renders a run, validates it against testdata/junit.xsd when
// xmllint is installed, decodes it and checks what must hold of every
// file: the counts add up, times have three decimals, timestamps have no
// zone, and the same run gives the same bytes.
func junitXML(t *testing.T, run *metrics.Run) (*xSuites, string) {
	t.Helper()
	return junitOf(t, func() *output.Finished { return finished(run) })
}

// junitOf is junitXML of what fin makes, rendered twice.
func junitOf(t *testing.T, fin func() *output.Finished) (*xSuites, string) {
	t.Helper()
	var buf, again bytes.Buffer
	if err := WriteJUnit(&buf, fin()); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&again, fin()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two renderings of one run differ")
	}
	validateJUnit(t, buf.Bytes())
	var doc xSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("the JUnit XML does not parse: %v\n%s", err, buf.String())
	}
	var tests, failures, errs, skips int
	for _, s := range doc.Suites {
		var f, e, sk int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			if c.Skipped != nil {
				sk++
			}
			if !junitSecondsRE.MatchString(c.Time) {
				t.Errorf("testcase %q: time %q, want seconds with 3 decimals", c.Name, c.Time)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("testsuite %s: tests %d failures %d errors %d skipped %d; it holds %d testcases, %d failed, %d errored, %d skipped",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		if !junitSecondsRE.MatchString(s.Time) || !junitStampRE.MatchString(s.Timestamp) {
			t.Errorf("testsuite %s: time %q timestamp %q", s.Name, s.Time, s.Timestamp)
		}
		tests, failures, errs, skips = tests+s.Tests, failures+s.Failures, errs+s.Errors, skips+s.Skipped
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errs || doc.Skipped != skips {
		t.Errorf("testsuites: tests %d failures %d errors %d skipped %d; the suites add up to %d, %d, %d, %d",
			doc.Tests, doc.Failures, doc.Errors, doc.Skipped, tests, failures, errs, skips)
	}
	if !junitSecondsRE.MatchString(doc.Time) || !junitStampRE.MatchString(doc.Timestamp) {
		t.Errorf("testsuites: time %q timestamp %q", doc.Time, doc.Timestamp)
	}
	return &doc, buf.String()
}

// validateJUnit checks the file against testdata/junit.xsd with xmllint
// when it is installed; TestJUnitSchema makes its absence known.
func validateJUnit(t *testing.T, data []byte) {
	t.Helper()
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		xsdCheck(t, xmllint, data)
	}
}

func xsdCheck(t *testing.T, xmllint string, data []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--schema", filepath.Join("testdata", "junit.xsd"), "--noout", p).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint --schema testdata/junit.xsd: %v\n%s\n%s", err, out, data)
	}
}

// The JUnit XML of a failing, an interrupted and an SLA-stopped run is
// valid against the schema Jenkins and GitLab read (testdata/junit.xsd),
// as xmllint, a real XML Schema validator, judges it.
func TestJUnitSchema(t *testing.T) {
	xmllint := testsupport.Peer(t, "libxml2-utils", "xmllint")
	interrupted := shopRun()
	interrupted.Status, interrupted.Reason = metrics.Interrupted, "interrupted"
	for _, run := range []*metrics.Run{shopRun(), interrupted, probeRun()} {
		var buf bytes.Buffer
		if err := WriteJUnit(&buf, finished(run)); err != nil {
			t.Fatal(err)
		}
		xsdCheck(t, xmllint, buf.Bytes())
	}
}

func findCase(t *testing.T, s xSuite, classname, name string) xCase {
	t.Helper()
	for _, c := range s.Cases {
		if c.Classname == classname && c.Name == name {
			return c
		}
	}
	var have []string
	for _, c := range s.Cases {
		have = append(have, c.Classname+" / "+c.Name)
	}
	t.Fatalf("testsuite %s has no testcase %s / %s; it has %q", s.Name, classname, name, have)
	return xCase{}
}

func TestJUnitCheckpoints(t *testing.T) {
	run := shopRun()
	run.ID = "0b7c1a52-4a5e-4c2e-9d0f-3f1e2d6c7b8a"
	doc, raw := junitXML(t, run)
	if doc.Name != "shop" || doc.Tests != 7 || doc.Failures != 3 || doc.Errors != 0 || len(doc.Suites) != 1 {
		t.Fatalf("testsuites %s: tests %d failures %d errors %d, %d suites; want shop, 7 (6 KPIs and the run), 3, 0, 1",
			doc.Name, doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
	}
	if doc.Time != "4.000" || doc.Timestamp != "2024-03-01T02:00:00" {
		t.Errorf("testsuites time %q timestamp %q, want 4.000 and the start in UTC", doc.Time, doc.Timestamp)
	}
	s := doc.Suites[0]
	if s.Name != "browse" || s.Time != "4.000" || s.Timestamp != "2024-03-01T02:00:00" {
		t.Errorf("testsuite %s time %s timestamp %s", s.Name, s.Time, s.Timestamp)
	}
	tests := []struct {
		classname, name, message, text string // message "": passes
	}{
		{"shop.browse", "tp99 < 500ms", "", ""},
		{"shop.browse", "success_rate >= 95", "success_rate >= 95: observed 77.78% (threshold 95%)",
			"case browse: checkpoint success_rate >= 95 missed: observed 77.78%, threshold 95%"},
		{"shop.browse", "transactions >= 5", "", ""},
		{"shop.browse.item", "avg_rt < 40ms", "avg_rt < 40ms: observed 45.56 ms (threshold 40 ms)",
			"case browse, request item: checkpoint avg_rt < 40ms missed"},
		{"shop.browse.login", "error_rate < 1", "error_rate < 1: observed 25% (threshold 1%)", "request login"},
		{"shop.browse.checkout", "tps >= 0.5", "", ""},
		{"shop.browse", "case browse ran", "", ""},
	}
	for i, tt := range tests {
		c := findCase(t, s, tt.classname, tt.name)
		if s.Cases[i].Name != tt.name {
			t.Errorf("testcase %d is %q, want %q: KPIs in the scenario's order, then the run", i, s.Cases[i].Name, tt.name)
		}
		if c.Error != nil {
			t.Errorf("%s: an error %+v", tt.name, c.Error)
		}
		switch {
		case tt.message == "" && c.Failure != nil:
			t.Errorf("%s passed but has a failure %+v", tt.name, c.Failure)
		case tt.message == "":
		case c.Failure == nil:
			t.Errorf("%s: no failure, want %q", tt.name, tt.message)
		case c.Failure.Message != tt.message || c.Failure.Type != "checkpoint" || !strings.Contains(c.Failure.Text, tt.text):
			t.Errorf("%s: failure %q type %q text %q, want %q type checkpoint text with %q",
				tt.name, c.Failure.Message, c.Failure.Type, c.Failure.Text, tt.message, tt.text)
		}
	}
	if ran := findCase(t, s, "shop.browse", "case browse ran"); ran.Time != "4.000" {
		t.Errorf("case browse ran: time %s, want the case's 4.000", ran.Time)
	}
	for _, want := range []string{"requests 13, 3.25 req/s, avg 32.77 ms, tp99 300.00 ms, success 76.92%", "case browse: failed",
		"item: timeout x1: GET http://127.0.0.1:8080/items/1: timeout"} {
		if !strings.Contains(s.SystemOut, want) {
			t.Errorf("system-out lacks %q:\n%s", want, s.SystemOut)
		}
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	if props["perfcase.run_id"] != run.ID || props["perfcase.status"] != "completed" || props["perfcase.file"] != "examples/shop.yaml" {
		t.Errorf("properties %v", props)
	}
	// Lines of text stay lines in the file, not &#xA;.
	if strings.Contains(raw, "&#xA;") || !strings.Contains(raw, "<![CDATA[requests 13,") {
		t.Errorf("system-out is not written as CDATA:\n%s", raw)
	}
}

func TestJUnitPassingRun(t *testing.T) {
	run := shopRun()
	run.Cases[0].KPIs = run.Cases[0].KPIs[:1]
	doc, _ := junitXML(t, run)
	if doc.Tests != 2 || doc.Failures != 0 || doc.Errors != 0 {
		t.Errorf("a passing run: tests %d failures %d errors %d, want 2 0 0", doc.Tests, doc.Failures, doc.Errors)
	}
	// A case without KPIs is still a test: that it ran.
	run.Cases[0].KPIs = nil
	doc, _ = junitXML(t, run)
	if doc.Tests != 1 || doc.Failures != 0 || doc.Errors != 0 || doc.Suites[0].Cases[0].Name != "case browse ran" {
		t.Errorf("a case without KPIs: %+v", doc)
	}
}

func TestJUnitInterruptedRun(t *testing.T) {
	for _, tt := range []struct {
		status  metrics.Status
		reason  string
		typ     string
		message string
	}{
		{metrics.Interrupted, "interrupt signal", "interrupted", "the run was interrupted: interrupt signal"},
		{metrics.Aborted, "", "aborted", "the run was aborted"},
	} {
		run := probeRun()
		run.Status, run.Reason = tt.status, tt.reason
		doc, _ := junitXML(t, run)
		if doc.Errors != 2 {
			t.Errorf("%s: errors %d, want 2: every case's run", tt.typ, doc.Errors)
		}
		for _, s := range doc.Suites {
			ran := findCase(t, s, "shop."+s.Name, "case "+s.Name+" ran")
			if ran.Error == nil || ran.Error.Type != tt.typ || ran.Error.Message != tt.message || ran.Failure != nil {
				t.Errorf("%s: case %s ran: error %+v failure %+v, want type %s message %q", tt.typ, s.Name, ran.Error, ran.Failure, tt.typ, tt.message)
			}
		}
	}
}

func TestJUnitStoppedBySLA(t *testing.T) {
	doc, _ := junitXML(t, probeRun())
	// browse: 6 KPIs (3 fail), 2 SLA triggers, its run; search: its run.
	if doc.Tests != 10 || doc.Failures != 5 || doc.Errors != 0 {
		t.Fatalf("tests %d failures %d errors %d, want 10 5 0", doc.Tests, doc.Failures, doc.Errors)
	}
	browse := doc.Suites[0]
	for _, tt := range []struct{ name, message, text string }{
		{"SLA rule errors: success_rate >= 99", "success_rate >= 99: observed 96.40% at 10:00:02, flagged",
			"case browse: 10:00:02 SLA rule errors: success_rate >= 99 observed 96.40% → flagged"},
		{"SLA rule slow-item: avg_rt < 200ms", "avg_rt < 200ms: observed 312.0 ms on item at 10:00:03, stopped the run",
			"on item → stopped the run"},
	} {
		c := findCase(t, browse, "shop.browse", tt.name)
		if c.Failure == nil || c.Failure.Type != "sla" || c.Failure.Message != tt.message || !strings.Contains(c.Failure.Text, tt.text) {
			t.Errorf("%s: failure %+v, want type sla, message %q, text with %q", tt.name, c.Failure, tt.message, tt.text)
		}
	}
	// The SLA triggers say why the run stopped; the cases did run.
	for _, s := range doc.Suites {
		if ran := findCase(t, s, "shop."+s.Name, "case "+s.Name+" ran"); ran.Error != nil || ran.Failure != nil {
			t.Errorf("case %s ran: %+v", s.Name, ran)
		}
	}
}

// A case that sent requests and got not one success errors: perfcase
// exits 3 for it, whatever its KPIs say.
func TestJUnitUnusableTarget(t *testing.T) {
	run := shopRun()
	c := run.Cases[0]
	refused := series("item", metrics.KindRequest, 4, times(5, smp{sec: 0, rt: time.Millisecond, o: metrics.Refused}))
	c.Stats.Series = []*metrics.Stats{refused}
	c.Stats.Requests = nil // merged from the request series
	c.KPIs = nil
	doc, _ := junitXML(t, run)
	ran := findCase(t, doc.Suites[0], "shop.browse", "case browse ran")
	if ran.Error == nil || ran.Error.Type != "unusable" || ran.Error.Message != "not one request succeeded (5 sent); the target looks unusable" ||
		!strings.Contains(ran.Error.Text, "failures: refused 5") {
		t.Errorf("unusable target: %+v", ran.Error)
	}
	if doc.Errors != 1 {
		t.Errorf("errors %d, want 1", doc.Errors)
	}
}

// Names, KPIs and messages come back as written, whatever XML or CDATA
// would make of them; what XML cannot hold becomes U+FFFD.
func TestJUnitEscaping(t *testing.T) {
	run := shopRun()
	run.Name = `shop <"prod"> & 'co'`
	c := run.Cases[0]
	item := c.Stats.Series[0]
	item.Name = `GET /a?x=1&y=<2>|"q"`
	item.Errors = []metrics.ErrorCount{{Outcome: metrics.Other, Message: "body ]]> <b>bold</b> \x01bell\x1b[0m \xff", Count: 2}}
	c.KPIs = []metrics.KPIResult{
		{Source: "avg_rt < 40ms", Series: item.Name, Metric: "avg_rt", Op: "<", Threshold: 40, Observed: 45.556, Pass: false},
		{Source: "avg_rt < 40ms", Series: item.Name, Metric: "avg_rt", Op: "<", Threshold: 40, Observed: 45.556, Pass: false},
	}
	c.SLA = []metrics.SLATrigger{{Time: t0, Rule: `r&d <fast>`, KPI: "tp99 < 100ms", Observed: 120, Requests: []string{item.Name}}}
	doc, raw := junitXML(t, run)
	s := doc.Suites[0]
	if doc.Name != run.Name {
		t.Errorf("testsuites name %q, want %q", doc.Name, run.Name)
	}
	first := findCase(t, s, run.Name+".browse."+item.Name, "avg_rt < 40ms")
	if first.Failure == nil || first.Failure.Message != "avg_rt < 40ms: observed 45.56 ms (threshold 40 ms)" ||
		!strings.Contains(first.Failure.Text, "request "+item.Name) {
		t.Errorf("failure %+v", first.Failure)
	}
	// The same KPI twice on one request: two tests, told apart.
	findCase(t, s, run.Name+".browse."+item.Name, "avg_rt < 40ms (2)")
	sla := findCase(t, s, run.Name+".browse", "SLA rule r&d <fast>: tp99 < 100ms")
	if sla.Failure == nil || !strings.Contains(sla.Failure.Message, "on "+item.Name) {
		t.Errorf("SLA failure %+v", sla.Failure)
	}
	if want := "other x2: body ]]> <b>bold</b> \uFFFDbell\uFFFD[0m \uFFFD"; !strings.Contains(s.SystemOut, want) {
		t.Errorf("system-out lacks %q:\n%s", want, s.SystemOut)
	}
	if strings.ContainsAny(raw, "\x01\x1b") {
		t.Error("a control character reached the file")
	}
}

// A threshold shows as written, however small; the observed value as the
// terminal summary rounds it.
func TestJUnitThresholdAsWritten(t *testing.T) {
	run := shopRun()
	run.Cases[0].KPIs = []metrics.KPIResult{{Source: "tp99 < 0.001ms", Metric: "tp99", Op: "<", Threshold: 0.001, Observed: 305.151}}
	doc, _ := junitXML(t, run)
	c := findCase(t, doc.Suites[0], "shop.browse", "tp99 < 0.001ms")
	if want := "tp99 < 0.001ms: observed 305.15 ms (threshold 0.001 ms)"; c.Failure == nil || c.Failure.Message != want {
		t.Errorf("failure %+v, want message %q", c.Failure, want)
	}
}
