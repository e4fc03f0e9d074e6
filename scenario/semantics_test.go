package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/internal/testsupport"
)

// compileSrc loads a scenario held in a string as Load does: parse
// errors and compile errors together. Data files come from opts.ReadFile.
func compileSrc(t *testing.T, src string, opts Options) (*Plan, error) {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if data := opts.ReadFile; data != nil {
		opts.ReadFile = func(p string) ([]byte, error) {
			if p == path {
				return os.ReadFile(p)
			}
			return data(p)
		}
	}
	return Load(path, opts)
}

// __VU and __ITER are slots of every case, read in templates by slot and
// typed int in expressions; the __ prefix is reserved for them.
func TestVUAndIterationNames(t *testing.T) {
	p, err := compileSrc(t, `name: n
cases:
  - name: c
    steps:
      - set: {half: {expr: "__VU / 2", scale: 1}}
      - if: __ITER % 2 == 0
        steps: [{http: "http://127.0.0.1:1/${__VU}/${__ITER}"}]
    stages: [{concurrency: 1, duration: 1s}]
`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Cases[0]
	url := c.Steps[1].(*IfNode).Branches[0].Steps[0].(*RequestNode).Spec.(*HTTPSpec).URL
	scope := mapScope{plan: c, values: map[string]string{VUName: "7", IterName: "12"}}
	if got := string(url.Append(nil, scope, NewFuncEnv(1))); got != "http://127.0.0.1:1/7/12" {
		t.Errorf("rendered %q, want the VU and pass numbers", got)
	}
	var builtins []string
	for _, s := range c.Slots {
		if s.Builtin != NotBuiltin {
			builtins = append(builtins, s.Name)
		}
	}
	if strings.Join(builtins, ",") != "__VU,__ITER" {
		t.Errorf("built-in slots %v", builtins)
	}

	_, err = compileSrc(t, `name: n
variables: {__mine: x}
cases:
  - name: c
    steps:
      - http: "http://127.0.0.1:1/${__VU.x}"
      - http: "http://127.0.0.1:1/${__vu}"
        extract: {__ITER: {regex: a}}
      - set: {__n: "1"}
    stages: [{concurrency: 1, duration: 1s}]
`, Options{Set: map[string]string{"__X": "1"}})
	testsupport.WantErrors(t, err,
		`variable name "__mine" is reserved: names starting with __ are perfcase's own`,
		`variable name "__ITER" is reserved`,
		`variable name "__n" is reserved`,
		`--set __X: the name is reserved`,
		`variable "__VU" has no fields`,
		`unknown variable "__vu"`, `did you mean "__VU"?`)
}

// retry's on: parses to a set of kinds, with positioned errors.
func TestRetryOnParse(t *testing.T) {
	p, err := compileSrc(t, `name: r
cases:
  - name: c
    steps:
      - http: "http://127.0.0.1:1/"
        retry: {count: 2, on: reset}
      - tcp: {address: "127.0.0.1:1"}
        retry: {count: 1, interval: 1s, on: [timeout, refused, other]}
      - http: "http://127.0.0.1:1/"
        retry: 2
    stages: [{concurrency: 1, duration: 1s}]
`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps := p.Cases[0].Steps
	tests := []struct {
		got  Retry
		want RetryOn
		has  RetryOn
		not  RetryOn
	}{
		{steps[0].(*RequestNode).Retry, RetryReset, RetryReset, RetryCheck},
		{steps[1].(*RequestNode).Retry, RetryTimeout | RetryRefused | RetryOther, RetryOther, RetryReset},
		{steps[2].(*RequestNode).Retry, 0, RetryCheck, 0},
	}
	for i, tt := range tests {
		if tt.got.On != tt.want || !tt.got.Has(tt.has) || tt.not != 0 && tt.got.Has(tt.not) {
			t.Errorf("step %d: on = %v (%v), want %v", i, tt.got.On, tt.got.On.Names(), tt.want)
		}
	}
	if got := (RetryCheck | RetryOther).Names(); strings.Join(got, ",") != "check,other" {
		t.Errorf("Names() = %v", got)
	}

	_, err = compileSrc(t, `name: r
cases:
  - name: c
    steps:
      - http: "http://127.0.0.1:1/"
        retry: {count: 2, on: [timout, refused]}
      - http: "http://127.0.0.1:1/"
        retry: {count: 2, on: []}
    stages: [{concurrency: 1, duration: 1s}]
`, Options{})
	testsupport.WantErrors(t, err, `s.yaml:6:32: retry on: "timout" is not a kind of failure`, `did you mean "timeout"?`,
		`s.yaml:8:31: retry on lists no kind of failure`)
}

// on_end parses on file variables and refuses random reads.
func TestOnEndParse(t *testing.T) {
	read := func(string) ([]byte, error) { return []byte("id\n1\n"), nil }
	p, err := compileSrc(t, `name: r
variables:
  a: {path: a.csv, on_end: stop}
  b: {path: a.csv, on_end: wrap}
cases:
  - name: c
    steps: [{http: "http://127.0.0.1:1/${a}"}]
    stages: [{concurrency: 1, duration: 1s}]
`, Options{ReadFile: read})
	if err != nil {
		t.Fatal(err)
	}
	slots := p.Cases[0].Slots
	if !slots[0].Global.StopAtEnd || slots[1].Global.StopAtEnd || !slots[0].Used || slots[1].Used {
		t.Errorf("a: stop %v used %v; b: stop %v used %v", slots[0].Global.StopAtEnd, slots[0].Used, slots[1].Global.StopAtEnd, slots[1].Used)
	}
	_, err = compileSrc(t, `name: r
variables:
  a: {path: a.csv, on_end: stop, mode: random}
  b: {path: a.csv, on_end: recycle}
  c: {values: [x], on_end: stop}
cases:
  - name: c
    steps: [{think: 1s}]
    stages: [{concurrency: 1, duration: 1s}]
`, Options{ReadFile: read})
	testsupport.WantErrors(t, err, "s.yaml:3:20: on_end: stop needs mode: sequential",
		`s.yaml:4:28: on_end must be wrap (start again from the first row) or stop (the VU stops), got "recycle"`,
		`key "on_end" does not apply to a list variable`)
}

// The case's cookies switch, the cookies: clear step and cookie() are
// checked before the run.
func TestCookiesParse(t *testing.T) {
	p, err := compileSrc(t, `name: c
cases:
  - name: on
    steps:
      - http: "http://127.0.0.1:1/"
        check: 'cookie("session") != ""'
      - cookies: clear
    stages: [{concurrency: 1, duration: 1s}]
  - name: off
    cookies: false
    steps: [{http: "http://127.0.0.1:1/"}]
    stages: [{concurrency: 1, duration: 1s}]
`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Cases[0].Cookies || p.Cases[1].Cookies {
		t.Errorf("Cookies = %v, %v; want on by default, off with cookies: false", p.Cases[0].Cookies, p.Cases[1].Cookies)
	}
	if _, ok := p.Cases[0].Steps[1].(*CookiesNode); !ok {
		t.Errorf("step 2 compiled to %T", p.Cases[0].Steps[1])
	}

	_, err = compileSrc(t, `name: c
variables: {cookie: x}
transactions:
  t: [{set: {s: {expr: 'cookie("a")'}}}]
cases:
  - name: off
    cookies: false
    steps:
      - cookies: clear
      - cookies: reset
      - transaction: t
    stages: [{concurrency: 1, duration: 1s}]
  - name: bad
    cookies: maybe
    steps: [{think: 1s}]
    stages: [{concurrency: 1, duration: 1s}]
`, Options{})
	testsupport.WantErrors(t, err,
		`variable name "cookie" is reserved: it is a function of perfcase's expressions`,
		`s.yaml:9:9: cookies: clear in case "off", which keeps no cookies (cookies: false)`,
		`s.yaml:10:18: cookies: "reset" is not a cookie action (the one there is: clear)`,
		`cookie() reads the VU's cookie jar, which case "off" does not keep (cookies: false)`,
		`cookies must be true or false, got "maybe"`)
}
