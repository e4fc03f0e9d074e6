package scenario

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/perfcase/perfcase/internal/testsupport"
)

// sameFile fails the test when got and want differ other than in
// positions.
func sameFile(t *testing.T, what string, got, want *File) {
	t.Helper()
	if d := testsupport.Diff(got, want, reflect.TypeFor[Pos]()); d != "" {
		t.Errorf("%s: File%s", what, d)
	}
}

// scenarioGlobs match every scenario the tests can find: the examples,
// the parser's valid test files and the PerfTest tests' rich scenario.
var scenarioGlobs = []string{"../examples/*.yaml", "testdata/valid/*.yaml", "../perftest/testdata/*.yaml"}

func TestFormatYAMLRoundTrip(t *testing.T) {
	for _, path := range testsupport.Glob(t, scenarioGlobs...) {
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
			sameFile(t, "Parse(FormatYAML(f))", got, want)
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

// What FormatYAML writes satisfies the JSON Schema editors use (perftest's
// tests check the same of what an import writes).
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
	for _, path := range testsupport.Glob(t, scenarioGlobs...) {
		if files[path], err = ParseFile(path); err != nil {
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
// YAML that parses to the same File.
func FuzzFormatYAML(f *testing.F) {
	for _, glob := range scenarioGlobs {
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
		sameFile(t, "Parse(FormatYAML(f))", got, want)
	})
}
