package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Each VU sees its own number, from 1, and its own pass number, from 0,
// in templates and in expressions; setup runs before pass 0.
func TestVUAndIterationNumbers(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: numbers
cases:
  - name: c
    setup:
      - http: {name: setup, method: POST, url: "${base}/record", body: "setup ${__VU} ${__ITER}"}
    steps:
      - set:
          parity: {expr: '__VU % 2 == 0 ? "even" : "odd"'}
          next: {expr: "__ITER + 1"}
      - if: __ITER < 3
        steps:
          - http: {name: pass, method: POST, url: "${base}/record?vu=${__VU}", body: "${__VU} ${__ITER} ${parity} ${next}"}
        else: [{think: 10s}]
    stages:
      - {concurrency: 3, duration: 30s}
`, tg.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Every VU sends its setup and 3 passes, then thinks: stop once the
	// target has all 12 requests.
	go func() {
		for ctx.Err() == nil && len(tg.entries()) < 12 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	Run(ctx, plan, Options{})
	setups := map[string]bool{}
	passes := map[string]bool{}
	for _, e := range tg.entries() {
		_, body, _ := strings.Cut(e, "body=")
		if strings.HasPrefix(body, "setup ") {
			setups[body] = true
			continue
		}
		passes[body] = true
		var vu, iter int
		var parity string
		var next int
		if _, err := fmt.Sscanf(body, "%d %d %s %d", &vu, &iter, &parity, &next); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		if !strings.Contains(e, fmt.Sprintf("vu=%d ", vu)) {
			t.Errorf("the URL and the body disagree on the VU number: %q", e)
		}
		if want := map[bool]string{true: "even", false: "odd"}[vu%2 == 0]; parity != want || next != iter+1 {
			t.Errorf("body %q: expressions gave parity %s and next %d, want %s and %d", body, parity, next, want, iter+1)
		}
	}
	for vu := 1; vu <= 3; vu++ {
		if !setups[fmt.Sprintf("setup %d 0", vu)] {
			t.Errorf("no setup from VU %d with pass number 0; setups %v", vu, setups)
		}
		for iter := range 3 {
			parity := map[bool]string{true: "even", false: "odd"}[vu%2 == 0]
			if key := fmt.Sprintf("%d %d %s %d", vu, iter, parity, iter+1); !passes[key] {
				t.Errorf("no request %q; got %v", key, passes)
			}
		}
	}
	if len(setups) != 3 || len(passes) != 9 {
		t.Errorf("%d setups and %d distinct passes, want 3 and 9", len(setups), len(passes))
	}
}
