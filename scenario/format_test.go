package scenario

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// ptNormalize clears what a round trip may change without changing the
// meaning: every Pos (positions are where text was, not what it says), and
// empty slices, which read back as nil.
func ptNormalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			ptNormalize(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Pos]() {
			v.SetZero()
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				ptNormalize(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.SetZero()
			return
		}
		for i := 0; i < v.Len(); i++ {
			ptNormalize(v.Index(i))
		}
	}
}

// ptDiff returns the first difference between got and want as "path: got
// X, want Y", or "" when they are equal.
func ptDiff(path string, got, want reflect.Value) string {
	if got.Kind() != want.Kind() {
		return fmt.Sprintf("%s: got a %s, want a %s", path, got.Kind(), want.Kind())
	}
	switch got.Kind() {
	case reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				return fmt.Sprintf("%s: got %v, want %v", path, ptShow(got), ptShow(want))
			}
			return ""
		}
		return ptDiff(path, got.Elem(), want.Elem())
	case reflect.Struct:
		for i := 0; i < got.NumField(); i++ {
			if !got.Type().Field(i).IsExported() {
				continue
			}
			if d := ptDiff(path+"."+got.Type().Field(i).Name, got.Field(i), want.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if got.Len() != want.Len() {
			return fmt.Sprintf("%s: got %d items, want %d", path, got.Len(), want.Len())
		}
		for i := 0; i < got.Len(); i++ {
			if d := ptDiff(fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(got.Interface(), want.Interface()) {
		return fmt.Sprintf("%s: got %v, want %v", path, ptShow(got), ptShow(want))
	}
	return ""
}

func ptShow(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
		v = v.Elem()
	}
	return fmt.Sprintf("%#v", v.Interface())
}

// ptSameFile fails the test when got and want differ other than in
// positions.
func ptSameFile(t *testing.T, what string, got, want *File) {
	t.Helper()
	ptNormalize(reflect.ValueOf(got))
	ptNormalize(reflect.ValueOf(want))
	if d := ptDiff("File", reflect.ValueOf(got), reflect.ValueOf(want)); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

// ptScenarioFiles are every scenario the tests can find: the examples, the
// parser's valid test files and this package's PerfTest test files.
func ptScenarioFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"../examples/*.yaml", "testdata/valid/*.yaml", "testdata/perftest/*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("found no scenario files to test with")
	}
	return files
}

func TestFormatYAMLRoundTrip(t *testing.T) {
	for _, path := range ptScenarioFiles(t) {
		t.Run(path, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Parse(path, src)
			if err != nil {
				t.Fatalf("Parse(%s): %v", path, err)
			}
			out, err := FormatYAML(want)
			if err != nil {
				t.Fatalf("FormatYAML: %v", err)
			}
			got, err := Parse(path, out)
			if err != nil {
				t.Fatalf("Parse(FormatYAML(%s)): %v\n%s", path, err, out)
			}
			ptSameFile(t, "Parse(FormatYAML(f))", got, want)
			again, err := FormatYAML(got)
			if err != nil {
				t.Fatalf("FormatYAML again: %v", err)
			}
			if string(again) != string(out) {
				t.Errorf("FormatYAML is not stable: got\n%s\nwant\n%s", again, out)
			}
		})
	}
}

// What FormatYAML writes, from a scenario or from an import, satisfies the
// JSON Schema editors use.
func TestFormatYAMLMatchesSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*File{}
	for _, path := range ptScenarioFiles(t) {
		if files[path], err = ParseFile(path); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"testdata/perftest/create_case.json", "testdata/perftest/rich.json"} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if files[path], err = ImportPerfTest(path, src); err != nil {
			t.Fatal(err)
		}
	}
	for path, f := range files {
		out, err := FormatYAML(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(out, &v); err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: the schema rejects FormatYAML's output: %v\n%s", path, err, out)
		}
	}
}

func TestFormatYAMLQuotesWhatWouldChangeType(t *testing.T) {
	tests := []struct {
		value string
		want  string // how the value must appear
	}{
		{"true", `"true"`},
		{"10", `"10"`},
		{"null", `"null"`},
		{"~", `"~"`},
		{"a: b", `'a: b'`},
		{"- x", `'- x'`},
		{"", `""`},
		{"${base}/x", `${base}/x`},
	}
	for _, tt := range tests {
		f := &File{Name: "q", Variables: []*Variable{{Name: "v", Type: VarText, Value: tt.value, Delimiter: ','}}}
		out, err := FormatYAML(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "v: "+tt.want+"\n") {
			t.Errorf("value %q: got\n%s\nwant the line v: %s", tt.value, out, tt.want)
		}
		back, _ := Parse("q.yaml", out)
		if got := back.Variables[0].Value; got != tt.value {
			t.Errorf("value %q reads back as %q", tt.value, got)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Millisecond, "500ms"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Minute, "1m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{time.Hour + 30*time.Minute, "1h30m"},
		{time.Hour + time.Second, "1h0m1s"},
		{48 * time.Hour, "48h"},
		{1500 * time.Microsecond, "1.5ms"},
	}
	for _, tt := range tests {
		got := formatDuration(tt.d)
		if got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
		if back, err := parseDuration(got); err != nil || back != tt.d {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", got, back, err, tt.d)
		}
	}
}

func TestJSONBodyRoundTrip(t *testing.T) {
	tests := []string{
		`{"a":1,"b":[true,null,"x"],"c":{"d":1.50,"e":"1"}}`,
		`[1e5,-0.5,"\u00e9",{}]`,
		`{"z":1,"a":2}`,
		`"just a string"`,
		`12345678901234567890`,
	}
	for _, text := range tests {
		canon, err := CanonicalJSON(text)
		if err != nil {
			t.Fatalf("canonicalJSON(%s): %v", text, err)
		}
		f := &File{Name: "j", Cases: []*Case{{Name: "c", LogPolicy: "request", Steps: []*Step{{Kind: StepRequest, Request: &Request{Protocol: HTTP, HTTP: &HTTPRequest{URL: "http://h/", BodyKind: BodyJSON, Body: canon, TLSVerify: true}}}}}}}
		out, err := FormatYAML(f)
		if err != nil {
			t.Fatal(err)
		}
		back, _ := Parse("j.yaml", out)
		if got := back.Cases[0].Steps[0].Request.HTTP.Body; got != canon {
			t.Errorf("json body %s: got %s back, want %s\n%s", text, got, canon, out)
		}
	}
}

// FuzzFormatYAML: whatever the parser accepts, FormatYAML writes back as
// YAML that parses to the same File, and the PerfTest JSON export imports
// back to it too.
func FuzzFormatYAML(f *testing.F) {
	for _, glob := range []string{"../examples/*.yaml", "testdata/valid/*.yaml", "testdata/perftest/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if src, err := os.ReadFile(p); err == nil {
				f.Add(src)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		want, err := Parse("fuzz.yaml", src)
		if err != nil {
			return
		}
		out, err := FormatYAML(want)
		if err != nil {
			t.Fatalf("FormatYAML: %v", err)
		}
		got, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("Parse(FormatYAML(f)): %v\n%s", err, out)
		}
		ptSameFile(t, "Parse(FormatYAML(f))", got, want)
	})
}

// ptTricky are strings YAML could misread: types, indicators, comments,
// line breaks, spaces at the ends, control and non-ASCII characters.
var ptTricky = []string{
	"", " lead", "trail ", "a: b", "#x", "x #y", "- a", "? q", "[a]", "{a}", "'q'", `"dq"`, `back\slash`,
	"multi\nline", "multi\nline\n", "ends\n\n", "  indented\nlines", "\ttab", "a\r\nb", "bell\a",
	"yes", "no", "on", "off", "~", "null", "true", "0x1F", "1e3", ".inf", "012", "1_000",
	"*alias", "&anchor", "!tag", "%percent", "@at", "`tick", "|", ">", "---", "...",
	"é", "\u2028", "🚀", "${x}", "$${x}",
}

// ptSetText puts s into every free-text field of v: names, URLs, values,
// bodies, expressions, documentation.
func ptSetText(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			ptSetText(v.Elem(), s)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			ptSetText(v.Index(i), s)
		}
	case reflect.Struct:
		free := map[string][]string{
			"File":          {"Description"},
			"Case":          {"Description"},
			"CaseDoc":       {"Preparation"},
			"ManualStep":    {"Step", "Expect"},
			"Request":       {"Name"},
			"HTTPRequest":   {"URL"},
			"KV":            {"Key", "Value"},
			"Expr":          {"Source"},
			"Assign":        {"Template"},
			"Check":         {"Value"}, // only where the operator takes one, see below
			"Part":          {"Value"},
			"Rendezvous":    {"Name"},
			"Plugin":        {"Name"},
			"Transaction":   {"Description"},
			"SocketRequest": {"Address"},
		}[v.Type().Name()]
		switch x := v.Addr().Interface().(type) {
		case *Check:
			if x.Expr != nil || x.Op == "in" || strings.HasSuffix(x.Op, "exists") {
				free = nil
			}
		case *Plugin:
			if s == "" { // a plugin needs a name
				free = nil
			}
		case *Request:
			if x.Protocol == "" { // a plugin's checks; the plugin has the name
				free = nil
			}
		case *Part:
			if x.File != "" { // a file part has no value
				free = nil
			}
		case *Assign:
			if x.Expr != nil { // an expression has no template
				free = nil
			}
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			switch {
			case f.Kind() == reflect.String && slices.Contains(free, v.Type().Field(i).Name):
				f.SetString(s)
			case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String && !f.IsNil():
				f.Elem().SetString(s) // Extract.Default and Expect
			default:
				ptSetText(f, s)
			}
		}
	}
}

func TestFormatYAMLTrickyStrings(t *testing.T) {
	for _, s := range ptTricky {
		f, err := ParseFile("testdata/perftest/rich.yaml")
		if err != nil {
			t.Fatal(err)
		}
		ptSetText(reflect.ValueOf(f), s)
		out, err := FormatYAML(f)
		if err != nil {
			t.Fatalf("%q: FormatYAML: %v", s, err)
		}
		back, err := Parse(f.Path, out)
		if err != nil {
			t.Errorf("%q: Parse(FormatYAML(f)): %v", s, err)
			continue
		}
		ptSameFile(t, fmt.Sprintf("%q through YAML", s), back, f)
		js, err := ExportPerfTest(f)
		if err != nil {
			t.Fatalf("%q: ExportPerfTest: %v", s, err)
		}
		imported, err := ImportPerfTest(f.Path, js)
		if err != nil {
			t.Errorf("%q: ImportPerfTest(ExportPerfTest(f)): %v", s, err)
			continue
		}
		ptSameFile(t, fmt.Sprintf("%q through JSON", s), imported, f)
	}
}
