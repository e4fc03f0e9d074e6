package redact

import (
	"testing"
)

func TestString(t *testing.T) {
	for _, c := range []struct {
		name   string
		values []string
		msg    string
		want   string
	}{
		{"as written", []string{"s3cret"}, "token s3cret refused", "token *** refused"},
		{"every occurrence", []string{"ab"}, "ab-ab-xab", "***-***-x***"},
		{"lowercased host in a DNS error", []string{"Tenant-X9.example"}, "connect to tenant-x9.example:80: cannot resolve tenant-x9.example", "connect to ***:80: cannot resolve ***"},
		{"uppercased", []string{"abc-def"}, "ABC-DEF", "***"},
		{"query-escaped", []string{"p@ss w/rd&x"}, "GET /login?pw=p%40ss+w%2Frd%26x: 401", "GET /login?pw=***: 401"},
		{"query-escaped, hex digits in another case", []string{"p@ss w/rd"}, "pw=P%40SS+W%2fRD", "pw=***"},
		{"path-escaped", []string{"a b/c?d"}, "/files/a%20b%2Fc%3Fd", "/files/***"},
		{"JSON-escaped", []string{`say "hi"\now` + "\t<x>"}, `{"msg":"say \"hi\"\\now\t\u003cx\u003e"}`, `{"msg":"***"}`},
		{"JSON-escaped, HTML left alone", []string{`a"<b>`}, `"a\"<b>"`, `"***"`},
		{"Go-quoted by %q", []string{"line1\nline2"}, `url "line1\nline2/x" has no scheme`, `url "***/x" has no scheme`},
		{"hex", []string{"key!"}, "payload 6b657921 and 6B657921", "payload *** and ***"},
		{"non-ASCII, folded", []string{"Grüße"}, "GRÜSSE grüße GRÜẞE", "GRÜSSE *** ***"},
		{"Kelvin sign folds with k", []string{"kilo"}, "\u212Ailo", "***"},
		{"the longest of overlapping values", []string{"abc", "abcdef"}, "xabcdefx abcx", "x***x ***x"},
		{"two values", []string{"user7", "hunter2"}, "user7:hunter2@host", "***:***@host"},
		{"empty values are ignored", []string{"", "z"}, "a z", "a ***"},
		{"nothing to find", []string{"secret"}, "all is well", "all is well"},
	} {
		if got := New(c.values...).String(c.msg); got != c.want {
			t.Errorf("%s: New(%q).String(%q) = %q, want %q", c.name, c.values, c.msg, got, c.want)
		}
	}
	if s := New("", ""); s != nil {
		t.Errorf("New of empty values = %v, want nil", s)
	}
	var none *Secrets
	if got := none.String("anything"); got != "anything" {
		t.Errorf("nil Secrets changed the text: %q", got)
	}
}

// A message with no secret in it costs no allocation: redacting is on
// the error path, which may run at the full request rate.
func TestStringAllocatesNothingWhenClean(t *testing.T) {
	s := New("s3cret", "other value")
	msg := "connect to 127.0.0.1:8080: connection refused"
	if n := testing.AllocsPerRun(100, func() { s.String(msg) }); n != 0 {
		t.Errorf("%v allocations per clean message", n)
	}
}
