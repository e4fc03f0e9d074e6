package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/scenario"
)

// ptRun runs a command line in-process.
func ptRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code = run(e, args)
	return code, out.String(), errb.String()
}

func ptWrite(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const referenceCase = "../../perftest/testdata/create_case.json"

func TestImportCommand(t *testing.T) {
	code, out, errOut := ptRun(t, "import", referenceCase)
	if code != exitOK {
		t.Fatalf("import: exit %d, want %d; stderr:\n%s", code, exitOK, errOut)
	}
	for _, want := range []string{"# Converted from create_case.json by perfcase import", "name: new_case", "url: http://127.0.0.1", "{name: Stage-2hih, concurrency: 1, start_vus: 1, duration: 1m, ramp_up: 30s}"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// The reference's stage keeps every mode's values; a concurrency
	// stage reads issue_num, current_user_num, ramp_up and time, and a
	// note names each other field that carries a value.
	var noted []string
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if f, ok := strings.CutPrefix(line, "note: "+referenceCase+":"); ok {
			_, f, _ = strings.Cut(f, "$.stages[0].")
			f, _, _ = strings.Cut(f, ":")
			noted = append(noted, f)
		} else if !strings.HasPrefix(line, "    hint: ") {
			t.Errorf("stderr: unexpected line %q", line)
		}
	}
	if want := []string{"count", "tps_value", "maximum", "minimum", "loop_count", "max_duration", "step_size", "step_duration", "peak_load_kpis"}; !slices.Equal(noted, want) {
		t.Errorf("notes name %q, want %q", noted, want)
	}
	if _, err := scenario.Parse("out.yaml", []byte(out)); err != nil {
		t.Errorf("the YAML does not parse: %v", err)
	}
}

// -o may come after the file name, and the output file round-trips
// through export.
func TestImportThenExport(t *testing.T) {
	dir := t.TempDir()
	yml, js := filepath.Join(dir, "case.yaml"), filepath.Join(dir, "case.json")
	if code, out, errOut := ptRun(t, "import", referenceCase, "-o", yml); code != exitOK || out != "" {
		t.Fatalf("import -o: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if code, out, errOut := ptRun(t, "export", "-o", js, yml); code != exitOK || out != "" {
		t.Fatalf("export -o: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name": "new_case"`, `"url": "http://127.0.0.1"`, `"connect_timeout": 5000`, `"current_user_num": 1`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("exported JSON lacks %s:\n%s", want, data)
		}
	}
	if code, _, errOut := ptRun(t, "import", js); code != exitOK {
		t.Errorf("import of the export: exit %d, stderr:\n%s", code, errOut)
	}
}

// A case that imports but does not validate (here: a variable defined in
// PerfTest, outside the case) is written, and what to fix is listed.
func TestImportWarnsWhenTheResultDoesNotValidate(t *testing.T) {
	p := ptWrite(t, "case.json", `{"name": "c", "contents": [{"content": [{"content_type": 2, "content": {"name": "get", "protocol_type": 1, "url": "${host}/x"}}]}],
		"stages": [{"pressure_mode": 0, "time": 60, "issue_num": 1}]}`)
	code, out, errOut := ptRun(t, "import", p)
	if code != exitOK {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitOK, errOut)
	}
	if !strings.Contains(out, "url: '${host}/x'") {
		t.Errorf("stdout lacks the request:\n%s", out)
	}
	for _, want := range []string{"converted, but " + p + " does not validate yet", p + `:1:118: $.contents[0].content[0].content.url: unknown variable "host"`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestImportExportErrors(t *testing.T) {
	badJSON := ptWrite(t, "bad.json", `{"name": "c", "contents": [{"data_type": 0}, {"data_type": 999}]}`)
	streaming := ptWrite(t, "live.json", `{"name": "c", "contents": [{"content": [{"content_type": 2, "content": {"name": "live", "protocol_type": 10}}]}]}`)
	broken := ptWrite(t, "broken.json", "{\"name\": \"c\",\n}")
	badYAML := ptWrite(t, "bad.yaml", "name: b\ncases:\n  - name: c\n    steps: [{thnk: 1s}]\n")
	subMillis := ptWrite(t, "ms.yaml", "name: m\ncases:\n  - name: c\n    steps: [{think: 1500us}]\n    stages: [{concurrency: 1, duration: 1m}]\n")
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"import"}, exitInvalid, []string{"name one file to convert", "(see 'perfcase import --help')"}},
		{[]string{"import", "a.json", "b.json"}, exitInvalid, []string{"name one file to convert"}},
		{[]string{"import", "--bogus", "a.json"}, exitInvalid, []string{"flag provided but not defined: -bogus"}},
		{[]string{"import", "/no/such/case.json"}, exitInvalid, []string{"/no/such/case.json: cannot read scenario: no such file or directory", "check the path"}},
		{[]string{"import", badJSON}, exitInvalid, []string{badJSON + ":1:28: $.contents[0].content: the request card is empty", badJSON + ":1:47: $.contents[1].data_type: unknown code 999", "2 errors in " + badJSON, "was not converted"}},
		{[]string{"import", streaming}, exitInvalid, []string{`contents[0].content[0].content.flv_url: the HTTP-FLV request has no flv_url`,
			`contents[0].content[0].content.duration: a streaming request needs a duration`, "2 errors in " + streaming}},
		{[]string{"import", broken}, exitInvalid, []string{broken + ":2:1: invalid JSON"}},
		{[]string{"import", "--help"}, exitOK, []string{"perfcase import case.json -o case.yaml", "-o file"}},
		{[]string{"export"}, exitInvalid, []string{"name one scenario file"}},
		{[]string{"export", "-o"}, exitInvalid, []string{"flag needs an argument: -o"}},
		{[]string{"export", "/no/such/s.yaml"}, exitInvalid, []string{"cannot read scenario"}},
		{[]string{"export", badYAML}, exitInvalid, []string{badYAML + ":4:14: unknown key \"thnk\"", "was not exported"}},
		{[]string{"export", subMillis}, exitInvalid, []string{subMillis + ":4:14: think 1.5ms is not a whole number of milliseconds", "round it to whole milliseconds"}},
		{[]string{"export", "--help"}, exitOK, []string{"perfcase export examples/shop.yaml -o shop.json"}},
		{[]string{"help"}, exitOK, []string{"import", "export"}},
	}
	for _, tt := range tests {
		code, out, errOut := ptRun(t, tt.args...)
		if code != tt.code {
			t.Errorf("perfcase %v: got exit %d, want %d; stderr:\n%s", tt.args, code, tt.code, errOut)
		}
		for _, want := range tt.want {
			if !strings.Contains(out+errOut, want) {
				t.Errorf("perfcase %v: output lacks %q:\n%s%s", tt.args, want, out, errOut)
			}
		}
	}
}

// Every example exports, and the export imports back to YAML that
// validates: no warning on standard error.
func TestExportExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("found no examples (%v)", err)
	}
	dataDir, err := filepath.Abs("../../examples/data")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		// Data files are found next to the JSON, as next to the example.
		dir := t.TempDir()
		if err := os.Symlink(dataDir, filepath.Join(dir, "data")); err != nil {
			t.Fatal(err)
		}
		js, yml := filepath.Join(dir, "x.json"), filepath.Join(dir, "x.yaml")
		if code, _, errOut := ptRun(t, "export", f, "-o", js); code != exitOK {
			t.Errorf("export %s: exit %d, stderr:\n%s", f, code, errOut)
			continue
		}
		if code, _, errOut := ptRun(t, "import", js, "-o", yml); code != exitOK || errOut != "" {
			t.Errorf("import of %s's export: exit %d, stderr:\n%s", f, code, errOut)
		}
	}
}
