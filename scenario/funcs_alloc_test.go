// AllocsPerRun counts are only meaningful without the race detector, so
// these tests are left out of -race builds.

//go:build !race

package scenario

import (
	"testing"
	"time"
)

// TestBuiltinsDoNotAllocate calls every built-in with representative
// arguments into a buffer with room to spare: the steady state of a VU.
func TestBuiltinsDoNotAllocate(t *testing.T) {
	calls := map[string][]string{
		"uuid":          nil,
		"uuid_hex":      nil,
		"random_int":    {"-1000", "1000"},
		"random_string": {"32"},
		"timestamp":     nil,
		"timestamp_ms":  nil,
		"sendstamp":     nil,
		"now":           {"yyyy-MM-dd HH:mm:ss.SSS hh h M d", "-3600"},
		"base64":        {"hello, world"},
		"base64_decode": {"aGVsbG8sIHdvcmxk"},
		"md5":           {"hello, world"},
		"md5_base64":    {"hello, world"},
		"sha1":          {"hello, world"},
		"sha224":        {"hello, world"},
		"sha256":        {"hello, world"},
		"sha384":        {"hello, world"},
		"sha512":        {"hello, world"},
		"url_encode":    {"a b&c=ü"},
		"url_decode":    {"a+b%26c%3D%C3%BC"},
		"upper":         {"Hello, World"},
		"lower":         {"Hello, World"},
	}
	for name := range builtins {
		if _, ok := calls[name]; !ok {
			t.Errorf("%s has no allocation check; add a representative call", name)
		}
	}
	fe := fixedEnv(time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC))
	dst := make([]byte, 0, 4096)
	for name, args := range calls {
		fn := builtins[name]
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		var err error
		allocs := testing.AllocsPerRun(100, func() {
			dst, err = fn.call(dst[:0], argv, fe)
		})
		if err != nil {
			t.Errorf("%s(%q): %v", name, args, err)
		}
		if allocs != 0 {
			t.Errorf("%s(%q) allocates %v times per call, want 0", name, args, allocs)
		}
	}
}

// TestTemplateAppendDoesNotAllocate renders nested calls through the
// template engine, whose scratch space is reused after the first render.
func TestTemplateAppendDoesNotAllocate(t *testing.T) {
	tpl, err := parseTemplate(`id=${uuid()}&u=${url_encode(upper(acct.user))}&h=${sha256(md5(name))}&t=${now('yyyyMMdd', n)}&r=${random_int(1, n)}`, templateVars)
	if err != nil {
		t.Fatal(err)
	}
	fe := fixedEnv(time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC))
	dst := tpl.Append(nil, templateScope, fe)
	if allocs := testing.AllocsPerRun(100, func() {
		dst = tpl.Append(dst[:0], templateScope, fe)
	}); allocs != 0 {
		t.Errorf("Template.Append allocates %v times per render, want 0", allocs)
	}
}
