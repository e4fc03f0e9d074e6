package compare

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/perftest"
)

func f(v float64) *float64 { return &v }

func name(s string) *string { return &s }

func datum(d int) *int { return &d }

// detail is a row with the metrics a comparison reads.
type detail struct {
	avg, tp99, tps, tranTPS, success, errors float64
}

func (d detail) row(n string, dt int) perftest.CaseReportDetail {
	return perftest.CaseReportDetail{Name: name(n), DatumType: datum(dt), AverageRespTime: f(d.avg), Tp99: f(d.tp99),
		TPS: f(d.tps), TranTPS: f(d.tranTPS), SuccessRate: f(d.success), ErrorCount: f(d.errors)}
}

// run is a report of one case "browse" with request "item" and
// transaction "checkout".
func run(id string, c, item, tx detail) *Run {
	return &Run{RunID: id, Scenario: "shop", Cases: []perftest.CaseReportDetailResult{{Detail: &perftest.CaseReportDetails{
		Performance:        ptr(c.row("browse", perftest.DatumCase)),
		DetailDatas:        []perftest.CaseReportDetail{item.row("item", perftest.DatumAW)},
		CustomTransactions: []perftest.CaseReportDetail{tx.row("checkout", perftest.DatumTransaction)},
	}}}}
}

func ptr[T any](v T) *T { return &v }

func value(t *testing.T, r *Result, kind, row, metric string) Value {
	t.Helper()
	for _, rw := range r.Rows {
		if rw.Kind == kind && rw.Name == row {
			for _, v := range rw.Values {
				if v.Metric == metric {
					return v
				}
			}
		}
	}
	t.Fatalf("no %s %s %s", kind, row, metric)
	return Value{}
}

// Each metric's bad direction, relative and absolute limits, a change
// exactly at its limit (allowed), a rise from 0, and an improvement.
func TestCompare(t *testing.T) {
	base := run("a",
		detail{avg: 10, tp99: 100, tps: 50, tranTPS: 20, success: 99.5, errors: 0},
		detail{avg: 10, tp99: 100, tps: 50, success: 100},
		detail{avg: 30, tp99: 200, tps: 20, success: 99})
	new := run("b",
		detail{avg: 11, tp99: 110.5, tps: 60, tranTPS: 18.9, success: 99.0, errors: 3},
		detail{avg: 9, tp99: 110, tps: 47.5, success: 99.4},
		detail{avg: 30, tp99: 200, tps: 20, success: 99})
	limits, err := ParseLimits("errors=0")
	if err != nil {
		t.Fatal(err)
	}
	r := Compare(base, new, limits)
	for _, c := range []struct {
		kind, row, metric string
		change, percent   string
		worse, regression bool
	}{
		// tp99 +10% allowed, +10.5% not.
		{"case", "browse", "tp99", "10.5", "10.5", true, true},
		{"request", "item", "tp99", "10", "10", true, false},
		// avg_rt +10% is the limit: allowed; -10% is better.
		{"case", "browse", "avg_rt", "1", "10", true, false},
		{"request", "item", "avg_rt", "-1", "-10", false, false},
		// A case's tps is its passes (tranTPS): -5.5% is past -5%;
		// a request's tps is its own: -5% exactly is allowed.
		{"case", "browse", "tps", "-1.1", "-5.5", true, true},
		{"request", "item", "tps", "-2.5", "-5", true, false},
		// rps rose: better, whatever its size.
		{"case", "browse", "rps", "10", "20", false, false},
		// success_rate -0.5 points is the limit; -0.6 is past it.
		{"case", "browse", "success_rate", "-0.5", "-0.502513", true, false},
		{"request", "item", "success_rate", "-0.6", "-0.6", true, true},
		// errors from 0: no percentage; past an absolute limit of 0.
		{"case", "browse", "errors", "3", "<nil>", true, true},
		{"transaction", "checkout", "tp99", "0", "0", false, false},
	} {
		v := value(t, r, c.kind, c.row, c.metric)
		pct := "<nil>"
		if v.Percent != nil {
			pct = fmt.Sprintf("%.6g", *v.Percent)
		}
		if got := fmt.Sprintf("%.6g", *v.Change); got != c.change || pct != c.percent ||
			v.Worse != c.worse || v.Regression != c.regression {
			t.Errorf("%s %s %s: change %s (%s%%) worse=%v regression=%v, want %s (%s%%) %v %v",
				c.kind, c.row, c.metric, got, pct, v.Worse, v.Regression, c.change, c.percent, c.worse, c.regression)
		}
	}
	if got := len(r.Regressions()); got != 4 || !r.Regressed() {
		t.Errorf("%d regressions, want 4", got)
	}
	if Compare(base, base, DefaultLimits).Regressed() {
		t.Error("a run regressed against itself")
	}
}

// A relative limit on a metric whose baseline is 0 is passed by any rise.
func TestCompareFromZero(t *testing.T) {
	base := run("a", detail{tp99: 0, success: 100}, detail{}, detail{})
	new := run("b", detail{tp99: 0.001, success: 100}, detail{}, detail{})
	v := value(t, Compare(base, new, DefaultLimits), "case", "browse", "tp99")
	if !v.Regression || v.Percent != nil {
		t.Errorf("tp99 0 -> 0.001 against +10%%: %+v", v)
	}
}

// Rows only one run has are listed, not judged.
func TestCompareAddedAndRemoved(t *testing.T) {
	base := run("a", detail{tp99: 1}, detail{tp99: 1}, detail{tp99: 1})
	new := run("b", detail{tp99: 1}, detail{tp99: 1}, detail{tp99: 1})
	new.Cases[0].Detail.DetailDatas[0].Name = name("item-v2")
	r := Compare(base, new, DefaultLimits)
	var only []string
	for _, row := range r.Rows {
		if row.Only != "" {
			only = append(only, row.Only+":"+row.Name)
		}
	}
	if fmt.Sprint(only) != "[base:item new:item-v2]" || r.Regressed() {
		t.Errorf("only %v, regressed %v", only, r.Regressed())
	}
}

func TestParseLimits(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"", "[tp99=10% avg_rt=10% tps=5% success_rate=0.5]", ""},
		{"tp99=10%,success_rate=0.5,tps=5%", "[avg_rt=10% tp99=10% success_rate=0.5 tps=5%]", ""},
		{"tp99=250ms", "[avg_rt=10% tps=5% success_rate=0.5 tp99=250]", ""},
		{" tp99 = 20 % , avg_rt=off", "[tps=5% success_rate=0.5 tp99=20%]", ""},
		{"errors=0,tps=off,avg_rt=off,tp99=off,success_rate=off", "[errors=0]", ""},
		{"tp98=5%", "", `unknown metric "tp98" (metrics: avg_rt, tp50, tp90, tp95, tp99, max_rt, tps, rps, success_rate, errors)`},
		{"tp99", "", `"tp99" is not metric=limit`},
		{"tp99=-1%,avg_rt=x", "", "tp99: \"-1\" is not a limit: want a number of at least 0, with % for a share of the baseline, or off\navg_rt: \"x\" is not a limit"},
	} {
		ls, err := ParseLimits(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseLimits(%q) error %v, want %q", c.in, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("ParseLimits(%q): %v", c.in, err)
		case c.err == "" && fmt.Sprint(ls) != c.want:
			t.Errorf("ParseLimits(%q) = %v, want %s", c.in, ls, c.want)
		}
	}
}

// The metrics are KPI metrics of the scenario language, with their units
// and the direction in which they get worse.
func TestMetricsAreKPIs(t *testing.T) {
	want := map[string]struct {
		unit string
		up   bool
	}{"avg_rt": {"ms", true}, "tp50": {"ms", true}, "tp90": {"ms", true}, "tp95": {"ms", true}, "tp99": {"ms", true},
		"max_rt": {"ms", true}, "tps": {"/s", false}, "rps": {"/s", false}, "success_rate": {"%", false}, "errors": {"", true}}
	for _, m := range Metrics {
		if w, ok := want[m.Name]; !ok || m.Unit != w.unit || m.Up != w.up {
			t.Errorf("metric %s: unit %q, worse when up %v; want %+v", m.Name, m.Unit, m.Up, w)
		}
	}
	if len(Metrics) != len(want) {
		t.Errorf("%d metrics, want %d", len(Metrics), len(want))
	}
}

// Read takes the report perfcase writes, and refuses what is not one.
func TestRead(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "server", "testdata", "shop.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Read(data)
	if err != nil || r.Scenario != "shop" || r.RunID == "" || r.Start == "" || len(r.Cases) != 2 {
		t.Fatalf("Read = %+v, %v", r, err)
	}
	res := Compare(r, r, DefaultLimits)
	if len(res.Rows) != 1+3+1+1+1 || res.Regressed() {
		t.Errorf("%d rows (want the cases, 4 requests and the transaction), regressed %v", len(res.Rows), res.Regressed())
	}
	for _, c := range []struct{ in, err string }{
		{"nope", "not a report JSON"},
		{`{"result": {}}`, "no result.perfcase"},
		{`{"result": {"perfcase": {}, "cases": [{"detail": null}]}}`, "result.cases[0] has no detail.performance"},
	} {
		if _, err := Read([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Read(%s): %v, want %q", c.in, err, c.err)
		}
	}
}

func TestWriteText(t *testing.T) {
	base := run("a", detail{avg: 10, tp99: 100, tps: 50, tranTPS: 20, success: 100}, detail{avg: 10, tp99: 100, tps: 50, success: 100}, detail{})
	new := run("b", detail{avg: 10, tp99: 125, tps: 50, tranTPS: 20, success: 100}, detail{avg: 10, tp99: 100, tps: 50, success: 100}, detail{})
	var b strings.Builder
	if err := WriteText(&b, Compare(base, new, DefaultLimits)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"base: run a (shop, )",
		"limits: tp99 +10%, avg_rt +10%, tps -5%, success_rate -0.5 pts",
		"case    kind         name      metric        base    new     change",
		"browse  case         browse    avg_rt        10 ms   10 ms   +0 ms (+0.0%)",
		"                               tp99          100 ms  125 ms  +25 ms (+25.0%)  REGRESSION (limit tp99 +10%)",
		"                               success_rate  100 %   100 %   +0 pts (+0.0%)",
		"browse  request      item      avg_rt",
		"browse  transaction  checkout  avg_rt        0 ms    0 ms    +0 ms\n",
		"\n1 regression: case browse tp99 +25 ms (+25.0%)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}
