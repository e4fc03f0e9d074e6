//go:build !race

package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
)

// A pass that renders the VU and pass numbers into its request allocates
// nothing: they are appended as digits, never made strings.
func TestPassWithVUNumbersAllocs(t *testing.T) {
	v := iterationVU(t, `      - http: {name: get, url: "${base}/items/${__VU}/${__ITER}?id=${id}"}
        check: status == 200`)
	pass := func() {
		v.readGlobals(false)
		v.pass = acc{}
		if v.exec(v.c.plan.Steps) != flowNext || v.pass.outcome != metrics.Success {
			t.Fatalf("pass failed: %+v", v.c.rec.Finish("c", time.Now()).Series[0].Errors)
		}
		v.nextIter()
	}
	for range 50 {
		pass()
	}
	if n := testing.AllocsPerRun(200, pass); n != 0 {
		t.Errorf("%v allocations per pass, want 0", n)
	}
	v.exec(v.c.plan.Steps)
	if got, want := string(v.res.URL), "/items/1/251?"; !strings.Contains(got, want) {
		t.Errorf("after 251 passes the URL is %s, want it to hold %s", got, want)
	}
}
