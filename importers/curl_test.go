package importers

import (
	"slices"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/scenario"
)

func words(t *testing.T, src string, cmd bool) [][]string {
	t.Helper()
	lx := &shellLexer{src: src, file: "x.curl", cmd: cmd}
	cmds, err := lx.commands()
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	var out [][]string
	for _, c := range cmds {
		var ws []string
		for _, w := range c {
			ws = append(ws, w.text)
		}
		out = append(out, ws)
	}
	return out
}

func TestShellWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		cmd  bool
		want [][]string
	}{
		{"single quotes keep everything", `curl 'a b\n$x'`, false, [][]string{{"curl", `a b\n$x`}}},
		{"ANSI-C escapes", `curl $'it\'s\x41\u00e9\n\t\\\041'`, false, [][]string{{"curl", "it'sAé\n\t\\!"}}},
		{"double quotes escape only $ ` \" \\", `curl "a\"b\$c\d"`, false, [][]string{{"curl", `a"b$c\d`}}},
		{"quotes join a word", `curl 'it'"'"'s'x`, false, [][]string{{"curl", "it'sx"}}},
		{"line continuation and commands", "curl a \\\n  -H 'x: y' ;\ncurl b\n# a comment\ncurl c && curl d", false,
			[][]string{{"curl", "a", "-H", "x: y"}, {"curl", "b"}, {"curl", "c"}, {"curl", "d"}}},
		{"cmd: Chromium's escapes inside quotes", `curl "sec-ch-ua: ^\^"Chromium^\^";v=^\^"156^\^"" ^` + "\n" + `  -H "50^%^ off ^{^}"`, true,
			[][]string{{"curl", `sec-ch-ua: "Chromium";v="156"`, "-H", "50% off {}"}}},
		{"cmd: ^\" quotes and ^ with two line ends is one", "curl ^\"line one^\n\nline two^\" &\r\ncurl b", true,
			[][]string{{"curl", "line one\nline two"}, {"curl", "b"}}},
		{"cmd: backslashes", `curl "a^\^\b\c"`, true, [][]string{{"curl", `a\b\c`}}},
		{"cmd: old Firefox doubles quotes and splits at %", `curl "say ""hi"" 100"%"off"`, true, [][]string{{"curl", `say "hi" 100%off`}}},
	} {
		if got := words(t, tc.src, tc.cmd); !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("%s: words(%q) = %q, want %q", tc.name, tc.src, got, tc.want)
		}
	}
}

func TestShellErrors(t *testing.T) {
	for _, tc := range []struct {
		src, want string
	}{
		{"curl 'http://x/' \\\n  -H 'a: b'\ncurl 'oops", "x.curl:3:6: unterminated '...' string"},
		{"curl $'abc", "x.curl:1:6: unterminated $'...' string"},
		{`curl "a`, `x.curl:1:6: unterminated "..." string`},
		{"curl ^\"abc ^\n  -H x", `x.curl:1:6: unterminated "..." string`},
		{"wget http://x", `x.curl:1:1: "wget" is not a curl command`},
		{"curl -H 'a: b'", "x.curl:1:1: the curl command has no URL"},
		{"curl http://x -X", "x.curl:1:15: -X needs a value"},
	} {
		c := Curl{}.Convert("x.curl", []byte(tc.src))
		if len(c.Errors) == 0 || !strings.HasPrefix(c.Errors[0].Error(), tc.want) {
			t.Errorf("Convert(%q) errors %v, want %q", tc.src, c.Errors, tc.want)
		}
	}
}

func curlRequest(t *testing.T, src string) (*scenario.HTTPRequest, []string) {
	t.Helper()
	c := Curl{}.Convert("x.curl", []byte(src))
	if len(c.Errors) > 0 {
		t.Fatalf("%q: %v", src, c.Errors)
	}
	var notes []string
	for _, n := range c.Notes {
		notes = append(notes, n.Msg)
	}
	return c.File.Cases[0].Steps[0].Request.HTTP, notes
}

func TestCurlOptions(t *testing.T) {
	h, notes := curlRequest(t, `curl -sSL -XPUT --url http://h:1/a -H 'X-A: 1' -H 'X-Empty;' -H 'X-Gone:' -d a=1 -d 'b=x y' -u ann:pw -b 'k=v' -k -m 2.5 --connect-timeout 1 --max-redirs 3 --proxy http://p:8 -o out.txt`)
	if h.Method != "PUT" || h.URL != "${base}/a" || h.BodyKind != scenario.BodyForm || h.MaxRedirects != 3 || h.TLSVerify || h.Timeout.Seconds() != 2.5 || h.ConnectTimeout.Seconds() != 1 {
		t.Errorf("got %+v", h)
	}
	wantHeaders := []scenario.KV{{Key: "X-A", Value: "1"}, {Key: "X-Empty"}, {Key: "Authorization", Value: "Basic YW5uOnB3"}, {Key: "Cookie", Value: "k=v"}}
	if !slices.EqualFunc(h.Headers, wantHeaders, func(a, b scenario.KV) bool { return a.Key == b.Key && a.Value == b.Value }) {
		t.Errorf("headers %+v, want %+v", h.Headers, wantHeaders)
	}
	if !slices.EqualFunc(h.Form, []scenario.KV{{Key: "a", Value: "1"}, {Key: "b", Value: "x y"}}, func(a, b scenario.KV) bool { return a.Key == b.Key && a.Value == b.Value }) {
		t.Errorf("form %+v", h.Form)
	}
	wantNotes := []string{"curl flag --proxy is not converted", "curl flag -S is not converted", "curl flag -o is not converted", "curl flag -s is not converted", `header "X-Gone:" without a value is not converted`}
	if slices.Sort(notes); !slices.Equal(notes, wantNotes) {
		t.Errorf("notes %q, want %q", notes, wantNotes)
	}

	h, _ = curlRequest(t, `curl -G http://h/s?q=1 --data-urlencode 'term=a b&c' --data-urlencode =x/y`)
	if h.Method != "" || h.URL != "${base}/s?q=1&term=a+b%26c&x%2Fy" || h.BodyKind != scenario.BodyNone {
		t.Errorf("-G: %+v", h)
	}
	h, _ = curlRequest(t, `curl http://h/up -F 'name=ann' -F 'doc=@report.pdf;type=application/pdf' -H 'Content-Type: multipart/form-data; boundary=x'`)
	if h.Method != "POST" || len(h.Parts) != 2 || h.Parts[1].File != "report.pdf" || h.Parts[1].ContentType != "application/pdf" || len(h.Headers) != 0 {
		t.Errorf("-F: %+v", h)
	}
	h, _ = curlRequest(t, `curl -I example.com/x --json '{"a": 1}'`)
	if h.Method != "HEAD" || h.URL != "${base}/x" || h.BodyKind != scenario.BodyJSON || h.Body != `{"a":1}` || h.MaxRedirects != -1 {
		t.Errorf("-I --json: %+v", h)
	}
	h, notes = curlRequest(t, `curl http://h/ -d @body.json -b cookies.txt --data-raw '${x}'`)
	if h.BodyKind != scenario.BodyRaw || h.Body != "$${x}" || len(notes) != 2 {
		t.Errorf("files and ${: %+v %q", h, notes)
	}
}
