package output

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

// A bucket without a value is null, both ways.
func TestValues(t *testing.T) {
	b, err := json.Marshal(struct{ V, N Values }{V: Values{1.5, math.NaN(), 0, 12.345}})
	if err != nil || string(b) != `{"V":[1.5,null,0,12.345],"N":null}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back struct{ V, N Values }
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.V) != 4 || back.V[0] != 1.5 || !math.IsNaN(back.V[1]) || back.V[3] != 12.345 || back.N != nil {
		t.Errorf("Unmarshal = %v %v", back.V, back.N)
	}
	if err := json.Unmarshal([]byte(`{"V":["x"]}`), &back); err == nil {
		t.Error("a string in a column was accepted")
	}
}

func curvesFixture() *PerfcaseCurves {
	nan := math.NaN()
	return &PerfcaseCurves{Step: 2, Cases: []PerfcaseCaseCurves{{
		Case: "browse", Start: 1709258400000, End: 1709258405000, VUs: Values{2, 4, 4},
		Series: []PerfcaseSeriesCurve{{
			Kind: CurveRequest, Name: "item", Count: []int64{4, 10, 0},
			Failures: map[string][]int64{"timeout": {0, 2, 0}, "check_failed": {1, 0, 0}},
			RTSum:    Values{40, 250, 0}, RTMax: Values{12, 40, nan}, TP99: Values{12, 40, nan},
			Sent: []int64{400, 1000, 0}, Recv: []int64{4000, 8000, 0}, Ranges: []int64{14, 0, 0, 0, 0, 0, 0, 0, 0},
		}},
	}}}
}

// Brokens spells a series as the API's per-second series: each bucket
// stamped with its start, counts per second over the bucket.
func TestBrokens(t *testing.T) {
	c := curvesFixture()
	cc := &c.Cases[0]
	b := cc.Brokens(cc.Find(CurveRequest, "item"), c.Step)
	rc := b.RespcodeBrokens
	got := fmt.Sprint(b.CommonTimeStamps, b.TpsBrokens.TPS, b.TpsBrokens.Average, rc.Success, rc.Error, rc.Timeout,
		rc.CheckPointFailed, rc.RefusedFailed, b.BrandBrokens.SentBytes, b.BrandBrokens.RecBytes, b.VusersBrokens.Vusers)
	want := "[1709258400000 1709258402000 1709258404000] [2 5 0] [10 25 0] [1.5 4 0] [0.5 1 0] [0 1 0] [0.5 0 0] [0 0 0] [200 500 0] [2000 4000 0] [2 4 4]"
	if got != want {
		t.Errorf("Brokens =\n%s\nwant\n%s", got, want)
	}
	if cc.Find(CurveTransaction, "item") != nil || cc.Find(CurveRequest, "none") != nil {
		t.Error("Find found a series of another kind or name")
	}
	if r := RespTimeRange([]int64{3, 1, 0, 0, 0, 0, 0, 0, 4}); r["0~50ms"] != "37.5%(3)" || r[">5s"] != "50.0%(4)" || r["1~2s"] != "0.0%(0)" || len(r) != 9 {
		t.Errorf("RespTimeRange = %v", r)
	}
}

// Check accepts a report without curves and refuses columns a reader
// could index past.
func TestCurvesCheck(t *testing.T) {
	if err := (&PerfcaseCurves{}).Check([]string{"a"}); err != nil {
		t.Errorf("no curves: %v", err)
	}
	if err := curvesFixture().Check([]string{"browse"}); err != nil {
		t.Errorf("good curves: %v", err)
	}
	for _, c := range []struct {
		edit func(*PerfcaseCurves)
		want string
	}{
		{func(c *PerfcaseCurves) { c.Step = 0 }, "curves.step is 0"},
		{func(c *PerfcaseCurves) { c.Cases = append(c.Cases, c.Cases[0]) }, "2 entries for 1 cases"},
		{func(c *PerfcaseCurves) { c.Cases[0].Case = "other" }, `curves.cases[0] is "other"`},
		{func(c *PerfcaseCurves) { c.Cases[0].Series[0].TP99 = Values{1} }, "curves.cases[0].series[0].tp99 has 1 buckets, vus 3"},
		{func(c *PerfcaseCurves) { c.Cases[0].Series[0].Failures["timeout"] = []int64{1} }, "failures.timeout has 1 buckets"},
		{func(c *PerfcaseCurves) { c.Cases[0].Series[0].Ranges = nil }, "ranges has 0 entries, not 9"},
		{func(c *PerfcaseCurves) { c.Cases[0].Series[0].Failures["oops"] = []int64{0, 0, 0} }, `failures has "oops", not a failure bucket`},
	} {
		cv := curvesFixture()
		c.edit(cv)
		if err := cv.Check([]string{"browse"}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check = %v, want %q", err, c.want)
		}
	}
}
