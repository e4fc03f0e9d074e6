package scenario

import (
	"strings"
	"testing"

	"github.com/perfcase/perfcase/metrics"
)

// A metric: step compiles to a MetricNode of the case's Metrics: a number
// is a constant, a variable is read as a number without the expression
// VM, anything else is an expression. Soft checks compile like checks and
// count in a Rate per request name and check. A case KPI NAME.STAT
// resolves to the metric's row.
func TestMetricsAndSoftChecksCompile(t *testing.T) {
	p, err := compileSrc(t, `name: m
transactions:
  buy:
    - metric: {name: orders, counter: 1}
cases:
  - name: c
    steps:
      - http: {name: get, url: "http://127.0.0.1:1/"}
        soft_check: [status == 200, 'body contains "fast"']
        extract: {q: {header: X-Queue-Ms}}
      - http: {name: get, url: "http://127.0.0.1:1/again"}
        soft_check: status == 200
      - metric: {name: queue_ms, trend: q}
      - metric: {name: depth, gauge: "float(q) * 2"}
      - transaction: buy
    stages: [{concurrency: 1, count: 1}]
    kpis: [queue_ms.tp95 < 50, orders.rate >= 1/s, depth.value <= 10, tp99 < 1s]
`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Cases[0]
	var got []string
	for _, x := range c.Metrics {
		got = append(got, x.Kind.String()+":"+x.Series+":"+x.Name)
	}
	want := "rate:get:status == 200,rate:get:body contains \"fast\",trend::queue_ms,gauge::depth,counter::orders"
	if strings.Join(got, ",") != want {
		t.Errorf("metrics %s\nwant    %s", strings.Join(got, ","), want)
	}
	first, second := c.Steps[0].(*RequestNode), c.Steps[1].(*RequestNode)
	if len(first.SoftChecks) != 2 || first.SoftChecks[0].Metric != 0 || second.SoftChecks[0].Metric != 0 || first.SoftChecks[1].Metric != 1 {
		t.Errorf("soft checks %+v / %+v: the same request and check share one count", first.SoftChecks, second.SoftChecks)
	}
	if len(first.Checks) != 0 {
		t.Errorf("soft checks became checks: %+v", first.Checks)
	}
	q := c.Steps[2].(*MetricNode)
	if q.Value != nil || q.Slot < 0 || c.Slots[q.Slot].Name != "q" || q.Metric != 2 {
		t.Errorf("a variable's value is read from its slot: %+v", q)
	}
	if d := c.Steps[3].(*MetricNode); d.Value == nil || d.Slot != -1 {
		t.Errorf("an expression's value runs on the VM: %+v", d)
	}
	if o := c.Steps[4].(*TransactionNode).Steps[0].(*MetricNode); o.Value != nil || o.Slot != -1 || o.Const != 1 || o.Metric != 4 {
		t.Errorf("a number is a constant: %+v", o)
	}
	for i, name := range []string{"queue_ms.tp95", "orders.rate", "depth.value"} {
		k := c.KPIs[i]
		if k.Def == nil || k.Def.Name != name || k.Def.OnExtra == nil {
			t.Errorf("kpi %s resolved to %+v", name, k.Def)
		}
	}
	if c.KPIs[1].Def.Unit != metrics.UnitPerSecond || c.KPIs[1].Value != 1 {
		t.Errorf("orders.rate: unit %v value %v", c.KPIs[1].Def.Unit, c.KPIs[1].Value)
	}
	if c.KPIs[3].Def != metrics.KPIs.Lookup("tp99") {
		t.Errorf("a built-in KPI keeps its row")
	}
}

// Mistakes with custom metrics and soft checks are reported at their
// place, every one at once.
func TestMetricErrors(t *testing.T) {
	_, err := compileSrc(t, `name: m
cases:
  - name: c
    steps:
      - http: {name: get, url: "http://127.0.0.1:1/"}
        soft_check: [stauts == 200]
        kpis: [queue_ms.tp95 < 5]
      - metric: {name: queue_ms, trend: 1}
      - metric: {name: queue_ms, counter: 1}
      - metric: {name: tp99, gauge: 1}
      - metric: {name: bad-name, gauge: 1}
      - metric: {name: nothing}
      - metric: {name: both, gauge: 1, trend: 2}
      - metric: {name: huge, trend: 1e300}
    stages: [{concurrency: 1, count: 1}]
    kpis: [queue_ms.value < 5, nope.tp95 < 5, queue_ms.p95 < 5]
    sla: [{kpi: queue_ms.avg < 5}]
  - name: d
    steps:
      - metric: {name: queue_ms, gauge: 1}
      - metric: {name: orders, counter: 1}
    stages: [{concurrency: 1, count: 1}]
`, Options{})
	if err == nil {
		t.Fatal("compiled")
	}
	for _, want := range []string{
		`s.yaml:6:22: expression "stauts == 200": unknown name stauts`,
		`s.yaml:7:16: kpi "queue_ms.tp95 < 5": a custom metric's KPI goes under the case's kpis`,
		`s.yaml:9:9: metric "queue_ms" is a trend elsewhere in case "c", not a counter`,
		`s.yaml:10:24: "tp99" is a built-in KPI metric`,
		`s.yaml:11:24: "bad-name" is not a valid metric name`,
		`s.yaml:12:17: a metric is exactly one of counter, gauge, trend`,
		`s.yaml:13:17: a metric is exactly one of counter, gauge, trend`,
		`s.yaml:14:37: metric huge: 1e300 is out of range`,
		`s.yaml:16:12: kpi "queue_ms.value < 5": queue_ms is a trend, which has no value`,
		`s.yaml:16:32: kpi "nope.tp95 < 5": case "c" has no custom metric "nope"`,
		`s.yaml:16:47: "p95" is not a stat of a custom metric`,
		`s.yaml:17:17: kpi "queue_ms.avg < 5": a custom metric's KPI goes under the case's kpis`,
		// Another case may not give the name another kind: the live
		// outputs export one name per metric.
		`s.yaml:20:9: metric "queue_ms" is a trend in case "c", not a gauge`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `undefined transaction ""`) {
		t.Errorf("a call without a name is reported twice:\n%v", err)
	}
}

// A transaction call's arguments are checked like a set: names, the
// transaction it names, and no global written.
func TestTransactionArgumentErrors(t *testing.T) {
	_, err := compileSrc(t, `name: a
variables: {base: "http://127.0.0.1:1"}
transactions:
  login: [{http: "${base}/${user}"}]
cases:
  - name: c
    steps:
      - transaction: {name: login, with: {user: u1, 9x: a}}
      - transaction: {name: logn, with: {user: u2}}
      - transaction: {name: login, with: {base: "http://h"}}
      - transaction: {with: {user: u3}}
      - transaction: {name: login, with: [u4]}
    stages: [{concurrency: 1, count: 1}]
`, Options{})
	if err == nil {
		t.Fatal("compiled")
	}
	for _, want := range []string{
		`s.yaml:8:57: with: "9x" is not a valid variable name`,
		`s.yaml:9:9: undefined transaction "logn"`,
		`s.yaml:10:50: "base" is a global variable; extraction and set: assign VU variables only`,
		`s.yaml:11:22: a transaction call needs the transaction's name`,
		`s.yaml:12:42: with must be a mapping of variable names to values, got a list`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `undefined transaction ""`) {
		t.Errorf("a call without a name is reported twice:\n%v", err)
	}
}

// A together: step holds http requests without retry, at least one and
// at most MaxTogether; its group's series is named by name: or after its
// requests, and must not take a transaction's name.
func TestTogetherCompile(t *testing.T) {
	p, err := compileSrc(t, `name: t
variables: {base: "http://127.0.0.1:1"}
cases:
  - name: c
    steps:
      - together:
          - http: {name: page, url: "${base}/"}
          - http: {name: css, url: "${base}/app.css", version: "2"}
            extract: {etag: {header: ETag, default: ""}}
          - http: {name: off, url: "${base}/off"}
            disabled: true
      - together: [{http: "${base}/a"}, {http: "${base}/b"}]
        name: assets
      - together: [{http: {name: page, url: "${base}/"}}, {http: {name: css, url: "${base}/app.css", version: "2"}}]
    stages: [{concurrency: 1, count: 1}]
`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Cases[0]
	first, second, third := c.Steps[0].(*TogetherNode), c.Steps[1].(*TogetherNode), c.Steps[2].(*TogetherNode)
	if first.Name != "page + css" || len(first.Requests) != 2 || first.Requests[1].Protocol != HTTP2 || second.Name != "assets" {
		t.Errorf("groups %q (%d requests) and %q", first.Name, len(first.Requests), second.Name)
	}
	if third.ID != first.ID || len(c.Transactions) != 2 || c.Transactions[first.ID].Name != "page + css" {
		t.Errorf("groups of one name share a series: ids %d/%d, transactions %+v", first.ID, third.ID, c.Transactions)
	}
	if _, err := compileSrc(t, `name: t
transactions:
  assets: [{think: 1s}]
cases:
  - name: c
    steps:
      - together: [{think: 1s}, {tcp: {address: "h:1", payload: x}}]
      - together:
          - http: "http://h/"
            retry: 2
      - together: []
      - together: [{http: "http://h/"}]
        name: assets
      - together: [{http: "http://h/", disabled: true}]
      - transaction: assets
    stages: [{concurrency: 1, count: 1}]
`, Options{}); err == nil {
		t.Error("compiled")
	} else {
		for _, want := range []string{
			`s.yaml:7:21: together: holds http requests, which a VU sends at once; a think step cannot be one`,
			`s.yaml:7:34: together: holds http requests, which a VU sends at once; a tcp step cannot be one`,
			`s.yaml:9:13: retry does not apply inside together:`,
			`s.yaml:11:9: together has no requests`,
			`s.yaml:12:9: together: "assets" has the name of a transaction`,
			`s.yaml:14:9: every request of the together: step is disabled`,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("missing %q in:\n%v", want, err)
			}
		}
	}
}

// Test-wide before: and after: steps compile as cases of their own, one VU
// and one pass; what before: extracts or sets is a variable of every case
// and of after:, which cases cannot see the after: steps' own.
func TestBeforeAfterCompile(t *testing.T) {
	p, err := compileSrc(t, `name: h
before:
  - http: {name: login, url: "http://127.0.0.1:1/login"}
    extract: {token: {header: X-Token}}
  - set: {region: eu}
after:
  - http: {name: logout, url: "http://127.0.0.1:1/logout?t=${token}&r=${region}"}
    extract: {bye: {header: X-Bye}}
cases:
  - name: c
    steps: [{http: "http://127.0.0.1:1/${token}"}]
    stages: [{concurrency: 2, count: 4}]
`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Before == nil || p.Before.Name != BeforeName || p.After == nil || p.After.Name != AfterName {
		t.Fatalf("before %+v after %+v", p.Before, p.After)
	}
	st := p.Before.Stages[0]
	if st.Mode != ModeConcurrency || st.VUs != 1 || st.Count != 1 {
		t.Errorf("before's stage %+v, want one VU for one pass", st)
	}
	from := func(cp *CasePlan) []string {
		var out []string
		for _, s := range cp.Slots {
			if s.FromBefore {
				out = append(out, s.Name)
			}
		}
		return out
	}
	if got := strings.Join(from(p.Cases[0]), ","); got != "token,region" {
		t.Errorf("the case's variables from before: %s", got)
	}
	if got := strings.Join(from(p.After), ","); got != "token,region" {
		t.Errorf("after's variables from before: %s", got)
	}
	if got := from(p.Before); len(got) != 0 {
		t.Errorf("before: reads its own variables as locals, got %v", got)
	}

	_, err = compileSrc(t, `name: h
variables: {base: "http://127.0.0.1:1"}
before:
  - http: "${base}/"
    extract: {base: {header: X}}
after:
  - http: "${base}/bye"
    extract: {bye: {header: X}}
cases:
  - name: before
    steps: [{http: "${base}/${bye}"}]
    stages: [{concurrency: 1, count: 1}]
`, Options{})
	for _, want := range []string{
		`s.yaml:5:15: "base" is a global variable; extraction and set: assign VU variables only`,
		`s.yaml:10:5: case "before" has the name the file's before: steps are reported under`,
		`s.yaml:11:31: unknown variable "bye"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
