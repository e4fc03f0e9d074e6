//go:build !race

package scenario

import "testing"

// Rendering runs once per request on the hot path: it must not allocate
// once the destination buffer has grown.
func TestJSONTemplateRenderDoesNotAllocate(t *testing.T) {
	tpl, err := compileJSONBody(`{"a":"${md5(a)}","b":"${a}","c":"${upper(a)}"}`, fuzzResolver{})
	if err != nil {
		t.Fatal(err)
	}
	fe := NewFuncEnv(1)
	buf := make([]byte, 0, 256)
	tpl.Append(buf, quoteScope{}, fe) // grow the scratch space once
	if n := testing.AllocsPerRun(200, func() { buf = tpl.Append(buf[:0], quoteScope{}, fe) }); n != 0 {
		t.Errorf("JSON template render allocates %v times, want 0", n)
	}
}
