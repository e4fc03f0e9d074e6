package scenario

import (
	"testing"
)

// BenchmarkLoadShop measures parse + compile of the largest example, the
// cost paid once before a run.
func BenchmarkLoadShop(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load("../examples/shop.yaml", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTemplateAppend renders a URL with a variable and a function
// call, as the runner will once per request.
func BenchmarkTemplateAppend(b *testing.B) {
	tpl, err := parseTemplate("http://127.0.0.1:8080/items/${a}?sig=${md5(a)}", fuzzResolver{})
	if err != nil {
		b.Fatal(err)
	}
	fe := NewFuncEnv(1)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = tpl.Append(buf[:0], fuzzScope{}, fe)
	}
}
