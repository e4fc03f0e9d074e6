package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run writes the report JSON and the HTML page; 'perfcase report' renders
// the same page from the JSON.
func TestReportRoundTrip(t *testing.T) {
	srv, _ := okServer(t)
	dir := t.TempDir()
	js, page := filepath.Join(dir, "result.json"), filepath.Join(dir, "run.html")
	code, stdout, errOut := runScenario(t, strings.Replace(countScenario, "%s", "tp99 < 5s, requests == 100", 1),
		"--set=base="+srv.URL, "--out", js, "--html", page)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, errOut)
	}
	fromRun, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "again.html")
	code, stdout, errOut = runCmd(t, "report", js, "--html", again)
	if code != exitOK || !strings.Contains(stdout, "wrote "+again) {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, errOut)
	}
	fromReport, err := os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	if string(fromRun) != string(fromReport) {
		t.Error("the page 'perfcase report' writes differs from the one the run wrote")
	}
	for _, want := range []string{">PASSED<", "all 2 checkpoints passed", "<h1>gate</h1>", `<td class="name">get</td>`,
		"<code>tp99 &lt; 5s</code>", "<code>requests == 100</code>", `data-chart="tps"`, "var uPlot="} {
		if !strings.Contains(string(fromReport), want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if _, err := os.Stat(again + ".tmp"); !os.IsNotExist(err) {
		t.Error("the temporary file was left behind")
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"code":"SVCSTG.CPTS.0000000","result":{"outline":{"tps":1}}}`)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "--html", "x.html"}, exitInvalid, "name one report JSON"},
		{[]string{"report", good}, exitInvalid, "--html FILE"},
		{[]string{"report", filepath.Join(dir, "missing.json"), "--html", "x.html"}, exitInvalid, "cannot read " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{[]string{"report", write("empty.json", ""), "--html", "x.html"}, exitInvalid, "empty.json is not a report JSON: the file is empty"},
		{[]string{"report", write("broken.json", "{\n  \"result\": {\n    \"outline\": ,\n"), "--html", "x.html"}, exitInvalid, "broken.json is not a report JSON: line 3, column 16: invalid character ','"},
		{[]string{"report", write("scenario.json", `{"name":"shop","cases":[]}`), "--html", "x.html"}, exitInvalid, `scenario.json is not a report JSON: it has no "result"`},
		{[]string{"report", write("types.json", `{"result":{"outline":{"tps":"fast"}}}`), "--html", "x.html"}, exitInvalid, "types.json is not a report JSON: json: cannot unmarshal string into Go struct field"},
		{[]string{"report", good, "--html", filepath.Join(dir, "no", "such", "dir.html")}, exitInvalid, "cannot write the HTML report to " + filepath.Join(dir, "no", "such", "dir.html") + ": directory " + filepath.Join(dir, "no", "such") + " does not exist"},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s", c.args, code, c.code, c.want, errOut)
		}
	}
	code, stdout, _ := runCmd(t, "report", "--help")
	if code != exitOK || !strings.Contains(stdout, "perfcase report result.json --html report.html") || !strings.Contains(stdout, "-html file") {
		t.Errorf("report --help: exit %d\n%s", code, stdout)
	}
	if code, _, errOut := runCmd(t, "report", good, "--html", filepath.Join(dir, "ok.html")); code != exitOK {
		t.Errorf("a report with an outline only: exit %d\n%s", code, errOut)
	}
}
