package reporters

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/runner"
	"github.com/perfcase/perfcase/scenario"
)

// A real run with before: and after: steps and a together: group, against
// a server on 127.0.0.1: the curves hold the before: and after: cases in
// the report's order, with their roles beside them in perfcase.cases;
// the group is a transaction series marked together, whose curve is its
// report row and whose time is the slowest request's, not their sum. The
// HTML picker names them for what they are.
func TestCurvesBeforeAfterTogether(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(30 * time.Millisecond)
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	src := fmt.Sprintf(`name: hooks
variables: {base: %q}
before:
  - http: {name: setup, url: "${base}/fast"}
after:
  - http: {name: cleanup, url: "${base}/fast"}
cases:
  - name: page-load
    steps:
      - together:
          - http: {name: slow-a, url: "${base}/slow"}
          - http: {name: slow-b, url: "${base}/slow"}
          - http: {name: fast, url: "${base}/fast"}
        name: home
    stages: [{concurrency: 1, count: 3}]
`, srv.URL)
	f, err := scenario.Parse("hooks.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Compile(f, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := runner.Run(context.Background(), plan, runner.Options{})
	rep, _ := reportJSON(t, run)
	pc := &rep.Result.Perfcase
	var roles []string
	for _, c := range pc.Cases {
		roles = append(roles, c.Case+" "+c.Role)
	}
	if want := []string{"before before", "page-load case", "after after"}; !slices.Equal(roles, want) {
		t.Fatalf("perfcase.cases %q, want %q", roles, want)
	}
	cv := pc.Curves
	if err := cv.Check([]string{"before", "page-load", "after"}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"request setup", "request cleanup"} {
		cc := cv.Cases[2*i]
		var got []string
		for _, s := range cc.Series {
			got = append(got, s.Kind+" "+s.Name)
		}
		if !slices.Contains(got, want) || cc.Find(output.CurveRequest, strings.Fields(want)[1]).Count[0] != 1 {
			t.Errorf("the curves of %s: %q, want %s once", cc.Case, got, want)
		}
	}

	cc := cv.Cases[1]
	var together []string
	for _, s := range cc.Series {
		if s.Together {
			together = append(together, s.Kind+" "+s.Name)
		}
	}
	if !slices.Equal(together, []string{"transaction home"}) {
		t.Fatalf("series marked together: %q, want the group's transaction only", together)
	}
	home := cc.Find(output.CurveTransaction, "home")
	var row *float64
	for _, tx := range rep.Result.Cases[1].Detail.CustomTransactions {
		if tx.Name != nil && *tx.Name == "home" {
			row = tx.Requests
		}
	}
	if n := sum(home.Count); row == nil || float64(n) != *row || n != 3 {
		t.Errorf("home's curve counts %d, its report row %v; want 3 each", n, row)
	}
	a, b := sum(cc.Find(output.CurveRequest, "slow-a").RTSum), sum(cc.Find(output.CurveRequest, "slow-b").RTSum)
	if g := sum(home.RTSum); g < max(a, b) || g >= a+b {
		t.Errorf("home's time %v ms; its slow requests' %v and %v: want at least the slowest, less than their sum", g, a, b)
	}

	page := renderHTML(t, rep)
	for _, want := range []string{
		`<optgroup label="before: (once, before the cases)">`,
		`>request setup (before:)<`,
		`>passes of before:<`,
		`<optgroup label="case page-load">`,
		`>requests sent together as home (case page-load)<`,
		`>request slow-a (case page-load)<`,
		`<optgroup label="after: (once, after the cases)">`,
		`>all requests of after:<`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page's picker lacks %s", want)
		}
	}
}

func sum[T int64 | float64](xs []T) T {
	var n T
	for _, x := range xs {
		n += x
	}
	return n
}
