package scenario

import (
	"strings"
	"testing"
)

// compileSrc parses and compiles a scenario held in a string.
func compileSrc(t *testing.T, src string, opts Options) (*Plan, error) {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	f, err := Parse("s.yaml", []byte(src))
	if err != nil {
		return nil, err
	}
	return Compile(f, opts)
}

// wantErrors fails unless err holds each of the messages, in any order.
func wantErrors(t *testing.T, err error, msgs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %q", msgs)
	}
	for _, m := range msgs {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("errors do not mention %q:\n%v", m, err)
		}
	}
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
	url := c.Steps[1].(*IfNode).Branches[0].Steps[0].(*RequestNode).HTTP.URL
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
	wantErrors(t, err,
		`variable name "__mine" is reserved: names starting with __ are perfcase's own`,
		`variable name "__ITER" is reserved`,
		`variable name "__n" is reserved`,
		`--set __X: the name is reserved`,
		`variable "__VU" has no fields`,
		`unknown variable "__vu"`, `did you mean "__VU"?`)
}
