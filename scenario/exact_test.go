package scenario

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// exactCase compiles one rounded set expression in a case with the
// variables price, qty, x (text), acct (a CSV with a price column) and the
// environment variable RATE.
func exactCase(t *testing.T, expr, round string, scale int) (*CasePlan, AssignSpec) {
	t.Helper()
	src := fmt.Sprintf(`name: e
variables: {price: "0", qty: "0", x: "0", acct: {path: a.csv}}
cases:
  - name: c
    steps:
      - set: {v: {expr: %q, round: %s, scale: %d}}
    stages: [{concurrency: 1, duration: 1s}]
`, expr, round, scale)
	p, err := compileSrc(t, src, Options{
		LookupEnv: func(k string) (string, bool) { return "0.07", k == "RATE" },
		ReadFile:  func(string) ([]byte, error) { return []byte("user,price\nann,19.99\n"), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Cases[0]
	return c, c.Steps[0].(*SetNode).Assigns[0]
}

// The classic cases where float64 surprises: rounded set arithmetic is
// exact, and the result is rounded once.
func TestExactArithmetic(t *testing.T) {
	vars := map[string]string{"price": "19.99", "qty": "3", "x": "2.675", VUName: "7", IterName: "0"}
	tests := []struct {
		expr, round string
		scale       int
		want        string
	}{
		{"1.005 * 3", "half_up", 2, "3.02"}, // float64: 3.0149999999999997 → 3.01
		{"0.1 + 0.2", "half_up", 17, "0.30000000000000000"},
		{"0.1 + 0.2", "down", 1, "0.3"}, // float64: 0.30000000000000004, so down is fine; ceiling is not:
		{"0.1 + 0.2", "ceiling", 1, "0.3"},
		{"2.675", "half_up", 2, "2.68"},
		{"float(x)", "half_even", 2, "2.68"},
		{"float(x) - 0.005", "half_even", 2, "2.67"}, // 2.670: no rounding at all
		{"1 / 3", "half_up", 5, "0.33333"},
		{"2 / 3", "half_up", 4, "0.6667"},
		{"2 / 3", "down", 4, "0.6666"},
		{"1 / 3 * 3", "down", 2, "1.00"}, // exact: one third times three is one
		{"10 / 4", "half_even", 0, "2"},
		{"10 / 4", "half_up", 0, "3"},
		{"-10 / 4", "half_down", 0, "-2"},
		{"-(1.005 * 3)", "half_up", 2, "-3.02"},
		{"-(1.005 * 3)", "ceiling", 2, "-3.01"},
		{"-(1.005 * 3)", "floor", 2, "-3.02"},
		{"-0.001", "half_up", 2, "0.00"}, // no sign on zero
		{"float(price) * int(qty)", "half_up", 2, "59.97"},
		{"float(acct.price) * (1 + float(env.RATE))", "half_up", 2, "21.39"}, // 21.3893
		{"__VU * 0.5 + __ITER", "up", 1, "3.5"},
		{"1_000.5 / 2", "half_even", 0, "500"},
		{"1e3 * 1.5e-2", "half_up", 1, "15.0"},
		{"1234567890123456.7 * 1000000", "half_up", 0, "1234567890123456700000"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %d", tt.expr, tt.round, tt.scale), func(t *testing.T) {
			c, a := exactCase(t, tt.expr, tt.round, tt.scale)
			if a.Exact == nil {
				t.Fatalf("%q is pure arithmetic but was not compiled for exact evaluation", tt.expr)
			}
			scope := mapScope{plan: c, values: vars, rows: map[string][]string{"acct": {"ann", "19.99"}}}
			got, ok := a.Exact.AppendRounded(nil, &ExactState{}, scope, a.Round, a.Scale)
			if !ok || string(got) != tt.want {
				t.Errorf("= %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

// Expressions that are not pure arithmetic stay on float64, and so do
// values int() and float() would not read as plain numbers.
func TestExactFallsBack(t *testing.T) {
	for _, expr := range []string{"int(price) % 2", "max(float(price), 1.5)", "1.5 ** 2", "len(price) * 1.5", "float(price) > 1 ? 1 : 2", "int(float(price))"} {
		if _, a := exactCase(t, expr, "half_up", 2); a.Exact != nil {
			t.Errorf("%q was compiled for exact evaluation; it is not + - * / arithmetic", expr)
		}
	}
	// Without rounding, an expression keeps expr-lang's value and type.
	p, err := compileSrc(t, `name: e
cases:
  - name: c
    steps: [{set: {v: {expr: "0.1 + 0.2"}}}]
    stages: [{concurrency: 1, duration: 1s}]
`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Cases[0].Steps[0].(*SetNode).Assigns[0].Exact != nil {
		t.Error("an unrounded expression was compiled for exact evaluation")
	}

	for _, tt := range []struct{ expr, x string }{
		{"float(x) * 2", "abc"},
		{"float(x) * 2", "1e500"},
		{"float(x) * 2", "inf"},
		{"float(x) * 2", " 1.5"},
		{"float(x) * 2", "0x1p-2"},
		{"float(x) * 2", "1" + strings.Repeat("0", 200)},
		{"int(x) * 2", "2.5"},
		{"int(x) * 2", "99999999999999999999"},
		{"1 / (int(x) - 3)", "3"},
	} {
		c, a := exactCase(t, tt.expr, "half_up", 2)
		scope := mapScope{plan: c, values: map[string]string{"x": tt.x}}
		if got, ok := a.Exact.AppendRounded(nil, &ExactState{}, scope, a.Round, a.Scale); ok {
			t.Errorf("%s with x = %.20q gave %q; want the float64 path to take over", tt.expr, tt.x, got)
		}
	}
}

// For a decimal literal, exact rounding and Round (which rounds the
// shortest decimal that reads back as the float64) agree in every mode:
// the exact path changes only what arithmetic on such values gives.
func TestExactRoundingAgreesWithRound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		digits := strconv.FormatInt(rng.Int64N(1_000_000_000_000), 10)
		point := rng.IntN(len(digits) + 1)
		lit := "0" + digits[:point] + "." + digits[point:] + "0"
		if rng.IntN(2) == 0 {
			lit = "-" + lit
		}
		mode := RoundModes[i%len(RoundModes)]
		scale := rng.IntN(14)
		f, _ := strconv.ParseFloat(lit, 64)
		r, _ := new(big.Rat).SetString(lit)
		got := string(appendRoundedRat(nil, r, mode, scale, &ExactState{}))
		if want := Round(f, mode, scale); got != want {
			t.Fatalf("%s %s %d: exact %q, Round %q", lit, mode, scale, got, want)
		}
	}
}
