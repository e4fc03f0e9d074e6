package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/reporters"
)

const reportUsage = `usage: perfcase report --html OUT.html REPORT.json

Renders a report JSON, as 'perfcase run --out' writes it, as one HTML
page: the verdict, the checkpoints with threshold and observed value, each
case's table of requests and transactions (TPS, average, tp50 to tp99.9,
max, success rate, failures by kind, bytes), charts over time of the whole
run's throughput, average response time, VUs, bandwidth and outcomes with
the stages marked, the response-time distribution, the first errors, what
peak probing found and the stages that ran. Hover a chart for values, drag
to zoom.

The page is self-contained: its chart library (uPlot) is inside it, so it
opens offline in any browser and can be kept as a CI artifact or mailed.
A report of the PerfTest API itself renders too, from its tables.

'perfcase run --html report.html' writes the same page right after a run.

Example:
  perfcase run --out result.json examples/quickstart.yaml
  perfcase report result.json --html report.html

Exit status: 0 the page was written, 2 the report JSON cannot be read or
is not a report, the page's file cannot be written (checked first), or
the command line is invalid, 3 writing the page failed all the same.

Flags:
`

func runReport(e *env, args []string) error {
	fs := newFlagSet(e, "report", reportUsage)
	html := fs.String("html", "", "write the HTML page to `file`")
	file, done, err := fs.oneFile(args, "name one report JSON, e.g. perfcase report result.json --html report.html")
	if done || err != nil {
		return err
	}
	if *html == "" {
		return fs.mistake("say what to write: --html FILE, e.g. perfcase report %s --html report.html", file)
	}
	rep, err := readReport(file)
	if err != nil {
		return &exitError{code: exitInvalid, err: err}
	}
	page, err := fileOutput("the HTML report", reporters.WriteHTML)(nil, *html)
	if err != nil {
		return &exitError{code: exitInvalid, err: err}
	}
	if err := page.End(&output.Finished{Report: rep}); err != nil {
		return &exitError{code: exitAborted, err: err}
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", *html)
	return nil
}

// readReport reads a report JSON. It must be a JSON object with a
// "result" holding at least one of the report's parts, so that a scenario
// or a PerfTest case JSON given by mistake is refused rather than
// rendered as an empty page.
func readReport(file string) (*output.Report, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", file, pathErr(err))
	}
	var probe struct {
		Result map[string]json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s is not a report JSON: %s", file, jsonError(data, err))
	}
	found := false
	for _, k := range []string{"perfcase", "cases", "outline", "brokens", "details"} {
		if v, ok := probe.Result[k]; ok && string(v) != "null" {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf(`%s is not a report JSON: it has no "result" with "outline", "cases" or "perfcase" (write one with perfcase run --out FILE)`, file)
	}
	var rep output.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s is not a report JSON: %s", file, jsonError(data, err))
	}
	return &rep, nil
}

// jsonError says where in data a syntax error is, as line:column; a
// type error names its field itself.
func jsonError(data []byte, err error) string {
	if len(bytes.TrimSpace(data)) == 0 {
		return "the file is empty"
	}
	var syn *json.SyntaxError
	if !errors.As(err, &syn) || syn.Offset < 1 || syn.Offset > int64(len(data)) {
		return err.Error()
	}
	// Offset counts the bytes read, the offending one included.
	before := data[:syn.Offset-1]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}
