package scenario

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// callBuiltin runs a built-in directly, as the template engine would.
func callBuiltin(t *testing.T, fe *FuncEnv, name string, args ...string) (string, error) {
	t.Helper()
	fn := builtins[name]
	if fn == nil {
		t.Fatalf("no built-in %q", name)
	}
	if len(args) < fn.minArgs || len(args) > fn.maxArgs {
		t.Fatalf("%s called with %d arguments; it takes %d to %d", name, len(args), fn.minArgs, fn.maxArgs)
	}
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	// A non-empty dst checks that results are appended, not written over.
	out, err := fn.call([]byte("prefix:"), argv, fe)
	if !bytes.HasPrefix(out, []byte("prefix:")) {
		t.Fatalf("%s(%q) clobbered dst: %q", name, args, out)
	}
	if err != nil && len(out) != len("prefix:") {
		t.Errorf("%s(%q) failed but left output behind: %q", name, args, out)
	}
	return string(out[len("prefix:"):]), err
}

// fixedEnv is a FuncEnv with a seeded random source and a stopped clock.
func fixedEnv(now time.Time) *FuncEnv {
	fe := NewFuncEnv(42)
	fe.Now = func() time.Time { return now }
	return fe
}

func TestBuiltinTable(t *testing.T) {
	impure := map[string]bool{"uuid": true, "uuid_hex": true, "random_int": true, "random_string": true, "timestamp": true, "timestamp_ms": true, "now": true, "sendstamp": true}
	for name, fn := range builtins {
		if fn.name != name {
			t.Errorf("builtins[%q].name = %q", name, fn.name)
		}
		if fn.pure == impure[name] {
			t.Errorf("%s: pure = %v, want %v", name, fn.pure, !impure[name])
		}
		if !strings.HasPrefix(fn.doc, name+"(") || !strings.Contains(fn.doc, "): ") {
			t.Errorf("%s: doc %q does not read \"%s(args): what it does\"", name, fn.doc, name)
		}
		if fn.minArgs > fn.maxArgs || fn.maxArgs > maxArgs {
			t.Errorf("%s: takes %d to %d arguments (at most %d allowed)", name, fn.minArgs, fn.maxArgs, maxArgs)
		}
	}
}

func TestBuiltinVectors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"md5", []string{"abc"}, "900150983cd24fb0d6963f7d28e17f72"},
		{"md5", []string{""}, "d41d8cd98f00b204e9800998ecf8427e"},
		{"md5_base64", []string{"abc"}, "kAFQmDzST7DWlj99KOF/cg=="},
		{"sha1", []string{"abc"}, "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"sha224", []string{"abc"}, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
		{"sha256", []string{"abc"}, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha384", []string{"abc"}, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		{"sha512", []string{"abc"}, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{"base64", []string{"hello, world"}, "aGVsbG8sIHdvcmxk"},
		{"base64", []string{"ab"}, "YWI="},
		{"base64", []string{""}, ""},
		{"base64_decode", []string{"YWI="}, "ab"},
		{"base64_decode", []string{""}, ""},
		{"url_encode", []string{"a b&c"}, "a+b%26c"},
		{"url_encode", []string{"ü/~-_.*"}, "%C3%BC%2F~-_.%2A"},
		{"url_decode", []string{"a+b%26c"}, "a b&c"},
		{"url_decode", []string{"%c3%bc%2F"}, "ü/"},
		{"upper", []string{"abc-XYZ 09 ü"}, "ABC-XYZ 09 ü"},
		{"lower", []string{"ABC-xyz 09 Ü"}, "abc-xyz 09 Ü"}, // Ü is not ASCII, so it stays
	}
	for _, tt := range tests {
		got, err := callBuiltin(t, nil, tt.name, tt.args...)
		if err != nil || got != tt.want {
			t.Errorf("%s(%q) = %q, %v; want %q", tt.name, tt.args, got, err, tt.want)
		}
	}
}

func TestBase64RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 40 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		enc, err := callBuiltin(t, nil, "base64", string(b))
		if err != nil || enc != base64.StdEncoding.EncodeToString(b) {
			t.Fatalf("base64(%q) = %q, %v", b, enc, err)
		}
		dec, err := callBuiltin(t, nil, "base64_decode", enc)
		if err != nil || dec != string(b) {
			t.Fatalf("base64_decode(%q) = %q, %v; want %q", enc, dec, err, b)
		}
	}
}

// TestURLMatchesNetURL holds url_encode and url_decode to the standard
// library's query escaping, on every byte and on awkward escapes.
func TestURLMatchesNetURL(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	inputs := []string{"", string(all), "a b&c=d/e?f#g", "100%", "%", "%4", "%zz", "%4G", "%%41", "+%2B+", "%e2%82%ac", "caf\xc3\xa9"}
	for _, in := range inputs {
		got, err := callBuiltin(t, nil, "url_encode", in)
		if want := url.QueryEscape(in); err != nil || got != want {
			t.Errorf("url_encode(%q) = %q, %v; want %q", in, got, err, want)
		}
		got, err = callBuiltin(t, nil, "url_decode", in)
		want, wantErr := url.QueryUnescape(in)
		if (err != nil) != (wantErr != nil) || err == nil && got != want {
			t.Errorf("url_decode(%q) = %q, %v; want %q, %v", in, got, err, want, wantErr)
		}
		back, err := callBuiltin(t, nil, "url_decode", url.QueryEscape(in))
		if err != nil || back != in {
			t.Errorf("url_decode(url_encode(%q)) = %q, %v", in, back, err)
		}
	}
}

func TestRandomInt(t *testing.T) {
	fe := NewFuncEnv(7)
	seen := map[string]int{}
	for range 10000 {
		got, err := callBuiltin(t, fe, "random_int", "-3", "3")
		if err != nil {
			t.Fatal(err)
		}
		seen[got]++
	}
	// Every value in [-3, 3] and nothing else; 10000 draws of 7 values
	// leave each with about 1430, so 1000 is far from a chance failure.
	for v := -3; v <= 3; v++ {
		if n := seen[fmt.Sprint(v)]; n < 1000 {
			t.Errorf("random_int(-3, 3) gave %d %d times in 10000 draws", v, n)
		}
	}
	if len(seen) != 7 {
		t.Errorf("random_int(-3, 3) gave values outside the range: %v", seen)
	}

	for _, tt := range []struct{ min, max string }{
		{"5", "5"},
		{"-9223372036854775808", "9223372036854775807"}, // the whole int64 range
		{"9223372036854775806", "9223372036854775807"},
		{"-9223372036854775808", "-9223372036854775807"},
		{"+1", "2"},
	} {
		lo, hi := mustParseInt(t, tt.min), mustParseInt(t, tt.max)
		for range 200 {
			got, err := callBuiltin(t, fe, "random_int", tt.min, tt.max)
			if err != nil {
				t.Fatalf("random_int(%s, %s): %v", tt.min, tt.max, err)
			}
			if v := mustParseInt(t, got); v < lo || v > hi {
				t.Fatalf("random_int(%s, %s) = %d, out of range", tt.min, tt.max, v)
			}
		}
	}
}

func mustParseInt(t *testing.T, s string) int64 {
	t.Helper()
	v, ok := parseIntArg([]byte(s))
	if !ok {
		t.Fatalf("parseIntArg(%q) failed", s)
	}
	return v
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"-0", 0, true},
		{"+42", 42, true},
		{"007", 7, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, // one past the top
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{" 1", 0, false},
		{"1_000", 0, false},
		{"1.0", 0, false},
		{"0x10", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseIntArg([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseIntArg(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRandomString(t *testing.T) {
	fe := NewFuncEnv(7)
	valid := regexp.MustCompile(`^[a-z0-9]+$`)
	seen := map[rune]bool{}
	for _, n := range []int{1, 32, 1024} {
		got, err := callBuiltin(t, fe, "random_string", fmt.Sprint(n))
		if err != nil || len(got) != n || !valid.MatchString(got) {
			t.Errorf("random_string(%d) = %q, %v", n, got, err)
		}
		for _, c := range got {
			seen[c] = true
		}
	}
	// 1057 characters from 36 all but surely use every one.
	if len(seen) != len(randomAlphabet) {
		t.Errorf("random_string used %d distinct characters, want %d", len(seen), len(randomAlphabet))
	}
}

func TestUUID(t *testing.T) {
	withDashes := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	noDashes := regexp.MustCompile(`^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`)
	fe := NewFuncEnv(1)
	seen := map[string]bool{}
	for range 1000 {
		u, _ := callBuiltin(t, fe, "uuid")
		h, _ := callBuiltin(t, fe, "uuid_hex")
		if !withDashes.MatchString(u) {
			t.Fatalf("uuid() = %q, not a version-4 UUID", u)
		}
		if !noDashes.MatchString(h) {
			t.Fatalf("uuid_hex() = %q, not a version-4 UUID without dashes", h)
		}
		if seen[u] || seen[h] {
			t.Fatalf("uuid repeated: %q %q", u, h)
		}
		seen[u], seen[h] = true, true
	}
	// The same seed gives the same sequence, so a run can be replayed.
	a, _ := callBuiltin(t, NewFuncEnv(9), "uuid")
	b, _ := callBuiltin(t, NewFuncEnv(9), "uuid")
	if a != b {
		t.Errorf("uuid() from equal seeds: %q and %q", a, b)
	}
}

func TestTimestamp(t *testing.T) {
	fe := fixedEnv(time.Date(2024, 3, 5, 7, 8, 9, 12_345_678, time.UTC))
	if got, _ := callBuiltin(t, fe, "timestamp"); got != "1709622489" {
		t.Errorf("timestamp() = %q, want 1709622489", got)
	}
	if got, _ := callBuiltin(t, fe, "timestamp_ms"); got != "1709622489012" {
		t.Errorf("timestamp_ms() = %q, want 1709622489012", got)
	}
	// 1709622489012345678 ns is 0x17b9cc98_85999b4e.
	if got, _ := callBuiltin(t, fe, "sendstamp"); got != "@pc17b9cc9885999b4e" {
		t.Errorf("sendstamp() = %q, want @pc17b9cc9885999b4e", got)
	}
}

func TestNow(t *testing.T) {
	morning := time.Date(2024, 3, 5, 7, 8, 9, 12_345_678, time.UTC)
	afternoon := time.Date(2009, 11, 25, 13, 45, 56, 789_000_000, time.UTC)
	midnight := time.Date(2023, 12, 31, 0, 0, 0, 0, time.FixedZone("UTC+8", 8*3600))
	tests := []struct {
		now    time.Time
		format string
		offset string // "" for none
		want   string
	}{
		{morning, "yyyy", "", "2024"},
		{morning, "yy", "", "24"},
		{morning, "MM", "", "03"},
		{morning, "M", "", "3"},
		{morning, "dd", "", "05"},
		{morning, "d", "", "5"},
		{morning, "HH", "", "07"},
		{morning, "H", "", "7"},
		{morning, "hh", "", "07"},
		{morning, "h", "", "7"},
		{morning, "mm", "", "08"},
		{morning, "m", "", "8"},
		{morning, "ss", "", "09"},
		{morning, "s", "", "9"},
		{morning, "SSS", "", "012"}, // milliseconds, truncated
		{morning, "yyyy-MM-dd HH:mm:ss.SSS", "", "2024-03-05 07:08:09.012"},
		{morning, "yyyyMMddHHmmss", "", "20240305070809"},
		{morning, "d/M/yy h:m:s", "", "5/3/24 7:8:9"},

		// Two-digit fields that need no padding, and the 12-hour clock.
		{afternoon, "yyyy-MM-dd HH:mm:ss.SSS", "", "2009-11-25 13:45:56.789"},
		{afternoon, "hh h H", "", "01 1 13"},
		{midnight, "HH hh h", "", "00 12 12"},

		// Everything that is not a token is copied, including letters.
		{morning, "'T' Tx Z:", "", "'T' Tx Z:"},
		{morning, "yyy", "", "24y"},       // yy, then a y with no token left
		{morning, "yyyyyy", "", "202424"}, // yyyy, then yy
		{morning, "MMM", "", "033"},       // MM, then M
		{morning, "SS S", "", "SS S"},     // only SSS is a token
		{morning, "SSSS", "", "012S"},
		{morning, "日付 yyyy年", "", "日付 2024年"},

		// The offset moves the clock, across day, month and year ends.
		{morning, "yyyy-MM-dd HH:mm:ss", "-3600", "2024-03-05 06:08:09"},
		{morning, "yyyy-MM-dd HH:mm:ss", "86400", "2024-03-06 07:08:09"},
		{morning, "yyyy-MM-dd HH:mm:ss", "0", "2024-03-05 07:08:09"},
		{midnight, "yyyy-MM-dd HH:mm:ss", "-1", "2023-12-30 23:59:59"},
		{midnight, "yyyy-MM-dd HH:mm:ss", "86400", "2024-01-01 00:00:00"},
		{morning, "yyyy-MM-dd", "+2592000", "2024-04-04"}, // 30 days
	}
	for _, tt := range tests {
		args := []string{tt.format}
		if tt.offset != "" {
			args = append(args, tt.offset)
		}
		got, err := callBuiltin(t, fixedEnv(tt.now), "now", args...)
		if err != nil || got != tt.want {
			t.Errorf("now%q at %v = %q, %v; want %q", args, tt.now, got, err, tt.want)
		}
	}
}

func TestBuiltinErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"random_int", []string{"x", "5"}, `min "x" is not an integer`},
		{"random_int", []string{"1", "x"}, `max "x" is not an integer`},
		{"random_int", []string{"1.5", "2"}, "not an integer"},
		{"random_int", []string{"", "2"}, "not an integer"},
		{"random_int", []string{"1", "99999999999999999999"}, "not an integer"},
		{"random_int", []string{"5", "1"}, "min 5 is greater than max 1"},
		{"random_string", []string{"0"}, "length 0 is out of range (1 to 1024)"},
		{"random_string", []string{"1025"}, "out of range"},
		{"random_string", []string{"-1"}, "out of range"},
		{"random_string", []string{"ten"}, `length "ten" is not an integer`},
		{"now", []string{""}, "format is empty"},
		{"now", []string{"yyyy", "1h"}, `offset "1h" is not a whole number of seconds`},
		{"now", []string{"yyyy", "99999999999"}, "out of range"},
		{"base64_decode", []string{"YWI"}, "not valid base64"},
		{"base64_decode", []string{"Y*I="}, "not valid base64 at byte 1"},
		{"url_decode", []string{"100%"}, `invalid escape "%" at byte 3`},
		{"url_decode", []string{"a%zz"}, `invalid escape "%zz" at byte 1`},
		{"url_decode", []string{"%4"}, `invalid escape "%4"`},
	}
	for _, tt := range tests {
		got, err := callBuiltin(t, fixedEnv(time.Now()), tt.name, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s(%q) = %q, %v; want an error containing %q", tt.name, tt.args, got, err, tt.want)
		}
	}
}

// funcsResolver knows variables by name (slots in order), file variables
// with columns, and env.NAME as compile-time literals.
type funcsResolver struct {
	vars    []string
	columns map[string][]string
	env     map[string]string
}

func (r funcsResolver) resolve(name, field string) (int, int, string, bool, error) {
	if name == "env" {
		v, ok := r.env[field]
		if !ok {
			return 0, 0, "", false, fmt.Errorf("environment variable %q is not set", field)
		}
		return 0, 0, v, true, nil
	}
	for slot, v := range r.vars {
		if v != name {
			continue
		}
		if field == "" {
			return slot, -1, "", false, nil
		}
		for i, c := range r.columns[name] {
			if c == field {
				return slot, i, "", false, nil
			}
		}
		return 0, 0, "", false, fmt.Errorf("%s has no column %q", name, field)
	}
	return 0, 0, "", false, &hintError{fmt.Errorf("unknown variable %q", name), didYouMean(name, r.vars)}
}

// funcsScope holds one value per slot and field.
type funcsScope map[[2]int]string

func (s funcsScope) AppendValue(dst []byte, slot, field int) []byte {
	return append(dst, s[[2]int{slot, field}]...)
}

var templateVars = funcsResolver{
	vars:    []string{"name", "n", "acct", "bad"},
	columns: map[string][]string{"acct": {"user", "pass"}},
	env:     map[string]string{"HOST": "example.com"},
}

var templateScope = funcsScope{
	{0, -1}: "alice",
	{1, -1}: "3",
	{2, 0}:  "Bob",
	{2, 1}:  "s3cret",
	{3, -1}: "not a number",
}

// TestTemplateFolding checks that pure calls on literal arguments are
// computed once, at compile time, and impure ones are not.
func TestTemplateFolding(t *testing.T) {
	tests := []struct {
		src    string
		static string // "" when the template must stay dynamic
	}{
		{`${md5('abc')}`, "900150983cd24fb0d6963f7d28e17f72"},
		{`x-${upper('ab')}-${lower("CD")}`, "x-AB-cd"},
		{`${md5(upper('abc'))}`, "902fbdd2b1df0c4f70b4a5d23525e932"}, // md5("ABC"), folded inside out
		{`${base64(md5_base64(''))}`, "MUIyTTJZOEFzZ1RwZ0FtWTdQaENmZz09"},
		{`${url_encode('a b&c')}`, "a+b%26c"},
		{`${upper(env.HOST)}`, "EXAMPLE.COM"}, // env values are literals
		{`${uuid()}`, ""},
		{`${random_int(1, 10)}`, ""},
		{`${now('yyyy')}`, ""},
		{`${upper(name)}`, ""},
		{`${md5(uuid())}`, ""}, // pure, but of an impure argument
	}
	for _, tt := range tests {
		tpl, err := parseTemplate(tt.src, templateVars)
		if err != nil {
			t.Errorf("parseTemplate(%q): %v", tt.src, err)
			continue
		}
		switch {
		case tt.static == "" && tpl.IsStatic():
			t.Errorf("parseTemplate(%q) folded to %q; it must be computed on each use", tt.src, tpl.Static())
		case tt.static != "" && !tpl.IsStatic():
			t.Errorf("parseTemplate(%q) is not static; want %q", tt.src, tt.static)
		case tt.static != "" && tpl.Static() != tt.static:
			t.Errorf("parseTemplate(%q) = %q, want %q", tt.src, tpl.Static(), tt.static)
		}
	}
}

func TestTemplateCallErrors(t *testing.T) {
	tests := []struct {
		src  string
		msg  string // in the message
		hint string // in the hint
	}{
		{`${random_int(1, 'x')}`, `random_int: max "x" is not an integer`, "random_int(min, max)"},
		{`${random_int(10, 1)}`, "min 10 is greater than max 1", "random_int(min, max)"},
		{`${random_int(1)}`, "random_int takes 2 arguments, got 1", "random_int(min, max)"},
		{`${random_string(2000)}`, "out of range", "random_string(length)"},
		{`${now('yyyy', 'soon')}`, "offset", "now(format"},
		{`${now()}`, "now takes 1 to 2 arguments, got 0", "now(format"},
		{`${uuid(1)}`, "uuid takes 0 arguments, got 1", "uuid()"},
		{`${base64_decode('%%%')}`, "not valid base64", "base64_decode(s)"},
		{`${url_decode('%zz')}`, "invalid escape", "url_decode(s)"},
		{`${md4('abc')}`, `unknown function "md4"`, `did you mean "md5"?`},
		{`${frobnicate()}`, `unknown function "frobnicate"`, "functions: base64, base64_decode,"},
	}
	for _, tt := range tests {
		_, err := parseTemplate(tt.src, templateVars)
		var te *templateError
		if !errors.As(err, &te) {
			t.Errorf("parseTemplate(%q) = %v, want a templateError", tt.src, err)
			continue
		}
		if !strings.Contains(te.msg, tt.msg) || !strings.Contains(te.hint, tt.hint) {
			t.Errorf("parseTemplate(%q) error %q (hint %q), want %q (hint %q)", tt.src, te.msg, te.hint, tt.msg, tt.hint)
		}
	}
}

func TestTemplateAppend(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{`${upper(name)}`, "ALICE"},
		{`Hi ${upper(acct.user)}, ${lower(acct.user)}!`, "Hi BOB, bob!"},
		{`${md5(upper(name))}`, "b6b818304a439f91fc90b3fe8dd35be8"},
		// Nesting deeper than the first call grows the FuncEnv's scratch
		// space while an outer argument is being rendered.
		{`${upper(lower(upper(lower(upper(name)))))}`, "ALICE"},
		{`${base64(md5_base64(sha1(lower(upper(name)))))}`, "eUY1QTlZQXZtbUFmNmxsb3JPWUJSUT09"},
		{`[${random_int(n, n)}][${random_string(n)}]`, ""}, // checked below
		// A call that fails at run time adds nothing; the error is kept in
		// the FuncEnv for the runner (TestTemplateRuntimeError).
		{`<${random_int(1, bad)}>`, "<>"},
	}
	fe := fixedEnv(time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC))
	for _, tt := range tests {
		tpl, err := parseTemplate(tt.src, templateVars)
		if err != nil {
			t.Fatalf("parseTemplate(%q): %v", tt.src, err)
		}
		// Render twice into one buffer: the second use of the scratch
		// space must not see the first's leftovers.
		first := string(tpl.Append(nil, templateScope, fe))
		got := string(tpl.Append([]byte{}, templateScope, fe))
		if tt.want == "" {
			if !regexp.MustCompile(`^\[3\]\[[a-z0-9]{3}\]$`).MatchString(got) {
				t.Errorf("%s rendered %q", tt.src, got)
			}
			continue
		}
		if first != tt.want || got != tt.want {
			t.Errorf("%s rendered %q then %q, want %q", tt.src, first, got, tt.want)
		}
	}
}
