package scenario

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// mapScope is a test Scope: values by variable name, columns by index.
type mapScope struct {
	plan   *CasePlan
	values map[string]string
	rows   map[string][]string
}

func (s mapScope) AppendValue(dst []byte, slot, field int) []byte {
	name := s.plan.Slots[slot].Name
	if field >= 0 {
		if row, ok := s.rows[name]; ok {
			return append(dst, row[field]...)
		}
	}
	return append(dst, s.values[name]...)
}

func loadFull(t *testing.T) *Plan {
	t.Helper()
	p, err := Load("testdata/valid/full.yaml", Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("Load(full.yaml) = %v", err)
	}
	return p
}

func TestCompileFull(t *testing.T) {
	p := loadFull(t)
	if !p.Parallel || len(p.Cases) != 2 {
		t.Fatalf("Parallel = %v, cases = %d; want true, 2", p.Parallel, len(p.Cases))
	}
	c := p.Cases[0]
	if c.Pacing != 2*time.Second || c.Disabled || !p.Cases[1].Disabled {
		t.Errorf("pacing %v, disabled %v/%v; want 2s, false/true", c.Pacing, c.Disabled, p.Cases[1].Disabled)
	}
	// Globals come first, in file order, then the built-ins, then the
	// locals the steps assign.
	var names []string
	for _, s := range c.Slots {
		names = append(names, s.Name)
	}
	want := "base user_id color acct secret __VU __ITER token item_id tag title code ctype total label"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("slots = %s\nwant    %s", got, want)
	}
	acct := c.Slots[3].Global
	if acct == nil || strings.Join(acct.Columns, ",") != "user,password" || len(acct.Rows) != 2 || acct.Mode != Random || acct.Share != ShareVU {
		t.Errorf("acct = %+v; want columns user,password, 2 rows, random, vu", acct)
	}
	// Requests are named series; the disabled step is not in the plan.
	var reqs []string
	for _, r := range c.Requests {
		reqs = append(reqs, r.Name)
	}
	if got := strings.Join(reqs, ","); got != "login,item,page,cheap,dear,report,plugin grpc" {
		t.Errorf("requests = %s", got)
	}
	if len(c.Transactions) != 1 || c.Transactions[0].Name != "login" || len(c.Transactions[0].KPIs) != 1 {
		t.Errorf("transactions = %+v; want login with one KPI", c.Transactions)
	}
	// The transaction used in setup and in the if branch is one node.
	setupTxn := c.Setup[0].(*TransactionNode)
	ifTxn := c.Steps[3].(*IfNode).Branches[0].Steps[0].(*TransactionNode)
	if setupTxn != ifTxn {
		t.Errorf("transaction login compiled twice")
	}
	if len(c.Steps) != 9 {
		t.Errorf("compiled %d steps, want 9 (the disabled one dropped)", len(c.Steps))
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Msg, "plugin") {
		t.Errorf("warnings = %v; want one about the plugin runtime", p.Warnings)
	}
	if c.Controllers != 4 {
		t.Errorf("controllers = %d, want 4 (set, rendezvous, weighted, throughput)", c.Controllers)
	}
}

func TestCompileRequestDefaultsAndChecks(t *testing.T) {
	c := loadFull(t).Cases[0]
	login := c.Setup[0].(*TransactionNode).Steps[0].(*RequestNode)
	h := login.Spec.(*HTTPSpec)
	if h.Method != "POST" || h.Version != "HTTP/1.1" || h.Timeout != 2*time.Second || h.ConnectTimeout != DefaultConnectTimeout || h.MaxRedirects != DefaultMaxRedirects || !h.TLSVerify {
		t.Errorf("login spec = %+v; want POST, HTTP/1.1, timeout 2s from the merged anchor, default connect timeout and redirects, TLS verify", h)
	}
	item := c.Steps[0].(*RequestNode)
	if item.Spec.(*HTTPSpec).MaxRedirects != 0 || item.Spec.(*HTTPSpec).TLSVerify || item.Spec.(*HTTPSpec).Timeout != DefaultTimeout {
		t.Errorf("item spec: redirects %d, tls %v, timeout %v; want 0, false, default", item.Spec.(*HTTPSpec).MaxRedirects, item.Spec.(*HTTPSpec).TLSVerify, item.Spec.(*HTTPSpec).Timeout)
	}
	if !item.CheckAny || item.Retry.Count != 2 || item.Retry.Interval != 100*time.Millisecond {
		t.Errorf("item: any %v retry %+v", item.CheckAny, item.Retry)
	}
	if len(item.Checks) != 5 {
		t.Fatalf("item has %d checks, want 5", len(item.Checks))
	}
	st, hdr, jp, rt, ex := item.Checks[0], item.Checks[1], item.Checks[2], item.Checks[3], item.Checks[4]
	if st.Op != "in" || strings.Join(st.Values, ",") != "200,201" || len(st.Codes) != 2 || st.Codes[0] != [2]int{200, 200} || st.Codes[1] != [2]int{201, 201} {
		t.Errorf("status check = %+v; want in 200,201 as integer ranges", st)
	}
	if hdr.Arg != "Content-Type" || hdr.Op != "contains" || hdr.Value != "json" {
		t.Errorf("header check = %+v", hdr)
	}
	if jp.Path == nil || jp.Op != "exists" {
		t.Errorf("jsonpath check = %+v", jp)
	}
	if rt.Op != "lt" || rt.Num != 500 {
		t.Errorf("rt check = %+v, want lt 500 (ms)", rt)
	}
	if ex.Program == nil {
		t.Errorf("expression check not compiled")
	}
	e := item.Extract
	if len(e) != 5 || e[0].Path == nil || *e[0].Default != "0" || e[1].Re == nil || e[1].Match != 2 || e[1].Group != 1 ||
		e[2].Left != "<b>" || *e[2].Expect != "Hello" || e[3].From != "status" || e[4].From != "header" || e[4].Header != "Content-Type" {
		t.Errorf("extractions = %+v", e)
	}
	// The JSONPath filter on a sibling field selects the right element.
	var doc any
	_ = json.Unmarshal([]byte(`{"items":[{"name":"y","id":1},{"name":"x","id":2}]}`), &doc)
	if got := e[0].Path.Select(doc); len(got) != 1 || got[0] != float64(2) {
		t.Errorf("filter path selected %v, want [2]", got)
	}
}

func TestTemplatesRender(t *testing.T) {
	c := loadFull(t).Cases[0]
	scope := mapScope{plan: c, values: map[string]string{"base": "http://h", "user_id": "7", "color": "red", "token": "T", "item_id": "9", "secret": "s"},
		rows: map[string][]string{"acct": {"al\"ice", "pw"}}}
	fe := NewFuncEnv(1)
	login := c.Setup[0].(*TransactionNode).Steps[0].(*RequestNode)
	item := c.Steps[0].(*RequestNode)
	cases := []struct {
		name string
		tpl  *Template
		want string
	}{
		// base is a text variable, inlined at compile time.
		{"url with a variable", item.Spec.(*HTTPSpec).URL, "http://127.0.0.1:8080/items/7"},
		{"header", item.Spec.(*HTTPSpec).Headers[0].Value, "Bearer T"},
		{"pure function folded", item.Spec.(*HTTPSpec).Query[1].Value, "a+b"},
		// JSON bodies keep YAML types: true and 3 stay JSON literals.
		{"json body escapes values", login.Spec.(*HTTPSpec).Body, `{"user":"al\"ice","password":"pw","remember":true,"n":3}`},
	}
	for _, tc := range cases {
		if got := string(tc.tpl.Append(nil, scope, fe)); got != tc.want {
			t.Errorf("%s: rendered %q, want %q", tc.name, got, tc.want)
		}
	}
	if !item.Spec.(*HTTPSpec).Query[1].Value.IsStatic() {
		t.Errorf("url_encode('a b') with a literal argument should fold to static text")
	}
}

func TestTemplateEscapes(t *testing.T) {
	r := fuzzResolver{}
	cases := []struct{ src, want string }{
		{"plain", "plain"},
		{"$${a}", "${a}"},
		{"x${a}y", "xvaluey"},
		{"${ a }", "value"},
		{"$", "$"},
		{"$$", "$$"},
		{"${upper('q')}${lower(\"Q\")}", "Qq"},
	}
	for _, tc := range cases {
		tpl, err := parseTemplate(tc.src, r)
		if err != nil {
			t.Errorf("parseTemplate(%q) = %v", tc.src, err)
			continue
		}
		if got := string(tpl.Append(nil, fuzzScope{}, NewFuncEnv(1))); got != tc.want {
			t.Errorf("parseTemplate(%q) renders %q, want %q", tc.src, got, tc.want)
		}
	}
	for _, bad := range []string{"${", "${}", "${a", "${a b}", "${md5(}", "${md5('x'}", "${nosuch()}", "${md5()}", "${'open}", "${md5(1-2)}", "${md5(-)}", "${md5(1.)}"} {
		if _, err := parseTemplate(bad, r); err == nil {
			t.Errorf("parseTemplate(%q) succeeded, want an error", bad)
		}
	}
}

func TestSetAndEnvOverrides(t *testing.T) {
	src := []byte(`name: o
variables:
  base: http://127.0.0.1:1
cases:
  - name: c
    steps: [{http: {url: "${base}/${env.HOME_X}/${extra}"}}, {http: {url: "${base}/${extra}"}}]
    stages: [{concurrency: 1, duration: 1s}]
`)
	f, err := Parse("o.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) { return map[string]string{"HOME_X": "h"}[k], k == "HOME_X" }
	p, err := Compile(f, Options{LookupEnv: env, Set: map[string]string{"base": "http://127.0.0.1:2", "extra": "e"}})
	if err != nil {
		t.Fatalf("Compile = %v", err)
	}
	c := p.Cases[0]
	scope := mapScope{plan: c, values: map[string]string{"base": c.Slots[0].Global.Values[0], "extra": c.Slots[1].Global.Values[0]}}
	if got := string(c.Steps[0].(*RequestNode).Spec.(*HTTPSpec).URL.Append(nil, scope, NewFuncEnv(1))); got != "http://127.0.0.1:2/h/e" {
		t.Errorf("rendered %q; want --set to override base, define extra, and env.HOME_X resolved", got)
	}
	_, err = Compile(f, Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err == nil || !strings.Contains(err.Error(), "environment variable HOME_X is not set") || !strings.Contains(err.Error(), `unknown variable "extra"`) {
		t.Errorf("Compile without env and --set = %v; want both problems reported", err)
	}
}

func TestErrorsAreSortedAndComplete(t *testing.T) {
	src := []byte(`name: e
cases:
  - name: c
    steps:
      - http: {url: "http://127.0.0.1/${nope}"}
      - thnk: 1s
    stages: [{concurrency: 0, duration: 1s}]
`)
	_, err := Load(writeTemp(t, src), Options{})
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("Load = %v; want 3 errors (unknown key, unknown variable, zero concurrency)", err)
	}
	for i := 1; i < len(list); i++ {
		if list[i].Pos.Line < list[i-1].Pos.Line {
			t.Errorf("errors not sorted: %v before %v", list[i-1].Pos, list[i].Pos)
		}
	}
	if list[1].Hint != `did you mean "think"?` {
		t.Errorf("hint = %q", list[1].Hint)
	}
}

func TestAliasBomb(t *testing.T) {
	// Nine levels of nine aliases would expand to 9^9 nodes; the walker
	// must stop early with an error instead.
	var b strings.Builder
	b.WriteString("x-a0: &a0 [think]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("x-a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(": &a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(" [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*a")
			b.WriteString(string(rune('0' + i - 1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("name: bomb\ncases:\n  - name: c\n    labels: *a9\n    steps: [{think: 1s}]\n    stages: [{concurrency: 1, duration: 1s}]\n")
	done := make(chan error, 1)
	go func() { _, err := Parse("bomb.yaml", []byte(b.String())); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("Parse of an alias bomb succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Parse of an alias bomb did not return")
	}
}

func writeTemp(t *testing.T, src []byte) string {
	t.Helper()
	p := t.TempDir() + "/s.yaml"
	if err := writeFile(p, src); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestJSONBodyEscapesFunctionOutput(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"a":"${upper(a)}","b":"${a}"}`, `{"a":"SAY \"HI\"\n","b":"say \"hi\"\n"}`},
		// A function folded at compile time is escaped then.
		{`{"q":"${url_decode('%22')}x","n":[1,2.5,true,null,{}]}`, `{"q":"\"x","n":[1,2.5,true,null,{}]}`},
		// A double-quoted argument arrives escaped in the JSON text and is
		// read from the decoded string.
		{`{"m":"${upper(\"abc\")}"}`, `{"m":"ABC"}`},
		{`["${a}",{"k":"v"}]`, `["say \"hi\"\n",{"k":"v"}]`},
	}
	for _, tc := range cases {
		tpl, err := compileJSONBody(tc.body, fuzzResolver{})
		if err != nil {
			t.Errorf("compileJSONBody(%s) = %v", tc.body, err)
			continue
		}
		got := tpl.Append(nil, quoteScope{}, NewFuncEnv(1))
		if string(got) != tc.want || !json.Valid(got) {
			t.Errorf("compileJSONBody(%s) rendered %s, want %s (valid JSON)", tc.body, got, tc.want)
		}
	}
}

type quoteScope struct{}

func (quoteScope) AppendValue(dst []byte, _, _ int) []byte { return append(dst, "say \"hi\"\n"...) }

func TestTemplateRuntimeError(t *testing.T) {
	tpl, err := parseTemplate("<${random_int(1, a)}>", fuzzResolver{})
	if err != nil {
		t.Fatal(err)
	}
	fe := NewFuncEnv(1)
	if got := string(tpl.Append(nil, fuzzScope{}, fe)); got != "<>" {
		t.Errorf("rendered %q, want <> (a failed call renders nothing)", got)
	}
	if err := fe.Err(); err == nil || !strings.Contains(err.Error(), "random_int") {
		t.Errorf("fe.Err() = %v, want the random_int failure", err)
	}
	if err := fe.Err(); err != nil {
		t.Errorf("second fe.Err() = %v, want nil once read", err)
	}
}

func TestStaticPayloadsDecodedAtCompileTime(t *testing.T) {
	c := loadFull(t).Cases[1]
	udp := c.Steps[1].(*RequestNode).Spec.(*SocketSpec)
	if string(udp.Bytes) != "\x0a\x0b" {
		t.Errorf("udp hex payload bytes = %q, want 0a0b decoded", udp.Bytes)
	}
	ws := c.Steps[2].(*RequestNode).Spec.(*WSSpec)
	if bin := ws.Actions[1]; !bin.Binary || string(bin.Bytes) != "\x00\xff" {
		t.Errorf("send_binary = %+v, want 00ff decoded", bin)
	}
	if tcp := c.Steps[0].(*RequestNode).Spec.(*SocketSpec); tcp.Bytes != nil {
		t.Errorf("a text payload with references has bytes %q, want nil", tcp.Bytes)
	}
}

func TestStatusClassCodes(t *testing.T) {
	p, err := Compile(mustParse(t, `name: s
cases:
  - name: c
    steps: [{http: "http://127.0.0.1:1/", check: [{status: 2xx}, {status: [404, 5xx]}]}]
    stages: [{concurrency: 1, duration: 1s}]
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checks := p.Cases[0].Steps[0].(*RequestNode).Checks
	if got := checks[0].Codes; len(got) != 1 || got[0] != [2]int{200, 299} {
		t.Errorf("2xx codes = %v, want [[200 299]]", got)
	}
	if got := checks[1].Codes; len(got) != 2 || got[0] != [2]int{404, 404} || got[1] != [2]int{500, 599} {
		t.Errorf("[404, 5xx] codes = %v", got)
	}
}

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEnvInExpressionsIsInlined(t *testing.T) {
	f := mustParse(t, `name: e
cases:
  - name: c
    steps:
      - if: env.STAGE == "ci"
        steps: [{think: 1s}]
    stages: [{concurrency: 1, duration: 1s}]
`)
	p, err := Compile(f, Options{LookupEnv: func(k string) (string, bool) { return "ci", k == "STAGE" }})
	if err != nil {
		t.Fatal(err)
	}
	prog := p.Cases[0].Steps[0].(*IfNode).Branches[0].Cond
	// The value is a constant of the program: it runs with an empty
	// environment and still sees "ci".
	out, err := vmRun(prog, map[string]any{"env": map[string]string{}})
	if err != nil || out != true {
		t.Errorf("env.STAGE == \"ci\" ran to %v, %v; want true from the compile-time value", out, err)
	}
}

// The commonest expression checks compile to structured checks; any other
// expression stays an expression, with the names it reads recorded.
func TestCheckFastPaths(t *testing.T) {
	src := `name: t
variables: {want: [ok]}
cases:
  - name: c
    steps:
      - http: "http://127.0.0.1:1/"
        check: [status == 200, 204 == status, body contains "ok", 'status == 200 && body contains want', rt < 5]
    stages: [{concurrency: 1, count: 1}]
`
	f, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Compile(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := plan.Cases[0].Steps[0].(*RequestNode).Checks
	if len(cs) != 5 {
		t.Fatalf("%d checks", len(cs))
	}
	if cs[0].Program != nil || cs[0].Subject != "status" || cs[0].Codes[0] != [2]int{200, 200} || cs[0].Src != "status == 200" {
		t.Errorf("status == 200: %+v", cs[0])
	}
	if cs[1].Program != nil || cs[1].Codes[0] != [2]int{204, 204} {
		t.Errorf("204 == status: %+v", cs[1])
	}
	if cs[2].Program != nil || cs[2].Subject != "body" || cs[2].Op != "contains" || cs[2].Value != "ok" {
		t.Errorf(`body contains "ok": %+v`, cs[2])
	}
	if p := cs[3].Program; p == nil || p.Uses != UsesStatus|UsesBody || len(p.Slots) != 1 {
		t.Errorf("a compound check stays an expression reading status, body and one variable: %+v", cs[3])
	}
	if p := cs[4].Program; p == nil || p.Uses != UsesRT || len(p.Slots) != 0 {
		t.Errorf("rt < 5: %+v", cs[4])
	}
}
