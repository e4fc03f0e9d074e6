//go:build !race

package runner

import (
	"testing"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// Handing a pass to a VU allocates nothing: claiming it, asking the pacer
// when it is due, starting it and ending it.
func TestPassHandOutAllocs(t *testing.T) {
	// At 10⁶ passes a second, thousands are due by the time the loop runs;
	// the pool may still grow, so each starts late rather than missed.
	st := &scenario.Stage{Mode: scenario.ModeTPS, TPS: 1e6, StartTPS: 1e6, Duration: time.Minute}
	c, sp, wake := rateCase(t, st, 1, 2)
	v := c.vus[0]
	time.Sleep(5 * time.Millisecond)
	pass := func() {
		if ok, _ := c.nextPass(v, sp, wake); !ok {
			t.Fatal("no pass")
		}
		c.passEnded(v, true)
	}
	if n := testing.AllocsPerRun(1000, pass); n != 0 {
		t.Errorf("%v allocations per pass handed out, want 0", n)
	}
	if got := sp.open.started.Load(); got != 1001 || c.missed.Load() != 0 {
		t.Errorf("%d passes started, %d missed; want 1001 and none", got, c.missed.Load())
	}
}
