package scenario

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestRound(t *testing.T) {
	const (
		up, down, ceil, floor = RoundUp, RoundDown, RoundCeiling, RoundFloor
		hup, hdown, heven     = RoundHalfUp, RoundHalfDown, RoundHalfEven
	)
	zeros32 := "0." + strings.Repeat("0", 32)
	tests := []struct {
		v     float64
		mode  string
		scale int
		want  string
	}{
		// A positive tie at scale 0: only the half modes disagree.
		{2.5, up, 0, "3"},
		{2.5, down, 0, "2"},
		{2.5, ceil, 0, "3"},
		{2.5, floor, 0, "2"},
		{2.5, hup, 0, "3"},
		{2.5, hdown, 0, "2"},
		{2.5, heven, 0, "2"},
		{3.5, heven, 0, "4"},
		{0.5, heven, 0, "0"},
		{0.5, hup, 0, "1"},

		// The negative tie mirrors it; ceiling and floor swap roles.
		{-2.5, up, 0, "-3"},
		{-2.5, down, 0, "-2"},
		{-2.5, ceil, 0, "-2"},
		{-2.5, floor, 0, "-3"},
		{-2.5, hup, 0, "-3"},
		{-2.5, hdown, 0, "-2"},
		{-2.5, heven, 0, "-2"},
		{-3.5, heven, 0, "-4"},

		// Just over a tie: every half mode goes away from zero.
		{2.51, up, 0, "3"},
		{2.51, down, 0, "2"},
		{2.51, ceil, 0, "3"},
		{2.51, floor, 0, "2"},
		{2.51, hup, 0, "3"},
		{2.51, hdown, 0, "3"},
		{2.51, heven, 0, "3"},
		{-2.51, up, 0, "-3"},
		{-2.51, down, 0, "-2"},
		{-2.51, ceil, 0, "-2"},
		{-2.51, floor, 0, "-3"},
		{-2.51, hup, 0, "-3"},
		{-2.51, hdown, 0, "-3"},
		{-2.51, heven, 0, "-3"},

		// Under a tie: every half mode goes toward zero.
		{2.4, up, 0, "3"},
		{2.4, ceil, 0, "3"},
		{2.4, hup, 0, "2"},
		{2.4, hdown, 0, "2"},
		{2.4, heven, 0, "2"},
		{-2.4, floor, 0, "-3"},
		{-2.4, hup, 0, "-2"},

		// Ties at scale 1, with an even (4) and an odd (5) kept digit.
		{2.45, up, 1, "2.5"},
		{2.45, down, 1, "2.4"},
		{2.45, ceil, 1, "2.5"},
		{2.45, floor, 1, "2.4"},
		{2.45, hup, 1, "2.5"},
		{2.45, hdown, 1, "2.4"},
		{2.45, heven, 1, "2.4"},
		{-2.45, up, 1, "-2.5"},
		{-2.45, down, 1, "-2.4"},
		{-2.45, ceil, 1, "-2.4"},
		{-2.45, floor, 1, "-2.5"},
		{-2.45, hup, 1, "-2.5"},
		{-2.45, hdown, 1, "-2.4"},
		{-2.45, heven, 1, "-2.4"},
		{2.55, up, 1, "2.6"},
		{2.55, down, 1, "2.5"},
		{2.55, ceil, 1, "2.6"},
		{2.55, floor, 1, "2.5"},
		{2.55, hup, 1, "2.6"},
		{2.55, hdown, 1, "2.5"},
		{2.55, heven, 1, "2.6"},
		{-2.55, up, 1, "-2.6"},
		{-2.55, down, 1, "-2.5"},
		{-2.55, ceil, 1, "-2.5"},
		{-2.55, floor, 1, "-2.6"},
		{-2.55, hup, 1, "-2.6"},
		{-2.55, hdown, 1, "-2.5"},
		{-2.55, heven, 1, "-2.6"},

		// half_down ("five-down-six-up") rounds up when anything follows the 5.
		{2.551, hdown, 1, "2.6"},
		{-2.551, hdown, 1, "-2.6"},
		{2.56, hdown, 1, "2.6"},
		// half_even looks past the 5 too: not a tie, so not to even.
		{2.4501, heven, 1, "2.5"},

		// Non-ties at scale 1.
		{2.51, up, 1, "2.6"},
		{2.51, down, 1, "2.5"},
		{2.51, ceil, 1, "2.6"},
		{2.51, floor, 1, "2.5"},
		{2.51, hup, 1, "2.5"},
		{2.51, hdown, 1, "2.5"},
		{2.51, heven, 1, "2.5"},
		{-2.51, up, 1, "-2.6"},
		{-2.51, ceil, 1, "-2.5"},
		{-2.51, floor, 1, "-2.6"},

		// Nothing to drop: the value is padded, whatever the mode.
		{2.5, up, 2, "2.50"},
		{2.5, floor, 2, "2.50"},
		{2.45, hdown, 2, "2.45"},
		{-2.51, down, 2, "-2.51"},
		{42, hup, 2, "42.00"},
		{-7, floor, 0, "-7"},

		// Decimal, not binary: 2.675 and 1.005 are stored just below the tie.
		{2.675, hup, 2, "2.68"},
		{2.675, hdown, 2, "2.67"},
		{2.675, heven, 2, "2.68"},
		{1.005, hup, 2, "1.01"},
		{1.005, heven, 2, "1.00"},
		{1.005, hdown, 2, "1.00"},
		{0.30000000000000004, hup, 2, "0.30"}, // float64 0.1 + 0.2
		{0.30000000000000004, up, 2, "0.31"},

		// Carries, including into a new leading digit.
		{9.995, hup, 2, "10.00"},
		{9.995, up, 2, "10.00"},
		{9.995, down, 2, "9.99"},
		{-9.995, hup, 2, "-10.00"},
		{-9.995, floor, 2, "-10.00"},
		{-9.995, ceil, 2, "-9.99"},
		{99.99, up, 1, "100.0"},
		{0.99, hup, 0, "1"},
		{999.5, heven, 0, "1000"},
		{0.96, hup, 1, "1.0"},

		// Results of zero carry no sign.
		{-0.5, heven, 0, "0"},
		{-0.4, hup, 0, "0"},
		{-0.001, hup, 2, "0.00"},
		{-0.001, down, 2, "0.00"},
		{-0.001, ceil, 2, "0.00"},
		{-0.001, up, 2, "-0.01"},
		{-0.001, floor, 2, "-0.01"},
		{math.Copysign(0, -1), hup, 2, "0.00"},
		{math.Copysign(0, -1), RoundNone, 0, "0"},
		{0, up, 3, "0.000"},

		// Scale 32, the most allowed.
		{0.1, hup, 32, "0.10000000000000000000000000000000"},
		{1.0 / 3, hup, 32, "0." + strings.Repeat("3", 16) + strings.Repeat("0", 16)}, // shortest form has 16 digits
		{1e-40, up, 32, "0.00000000000000000000000000000001"},
		{1e-40, hup, 32, zeros32},
		{-1e-40, floor, 32, "-0.00000000000000000000000000000001"},
		{-1e-40, hup, 32, zeros32},
		{5e-33, hup, 32, "0.00000000000000000000000000000001"},
		{5e-33, heven, 32, zeros32},

		// Large magnitudes have no exponent.
		{1e21, hup, 2, "1000000000000000000000.00"},
		{-1.2345678901234568e20, up, 0, "-123456789012345680000"},
		{math.MaxFloat64, down, 0, "17976931348623157" + strings.Repeat("0", 292)},

		// RoundNone is the shortest form, whatever the scale.
		{2.675, RoundNone, 0, "2.675"},
		{2.5, RoundNone, 3, "2.5"},
		{1e21, RoundNone, 0, "1000000000000000000000"},
		{1e-7, RoundNone, 0, "0.0000001"},
		{-12.5, RoundNone, 0, "-12.5"},

		// Out-of-range input the parser rejects still gets an answer.
		{1.5, hup, -1, "2"},
		{0.1, hup, 40, "0.10000000000000000000000000000000"},
		{2.5, "bogus", 0, "3"},
		{math.NaN(), hup, 2, "NaN"},
		{math.Inf(1), hup, 2, "+Inf"},
		{math.Inf(-1), floor, 0, "-Inf"},
		{math.NaN(), RoundNone, 0, "NaN"},
	}
	for _, tt := range tests {
		if got := Round(tt.v, tt.mode, tt.scale); got != tt.want {
			t.Errorf("Round(%v, %q, %d) = %q, want %q", tt.v, tt.mode, tt.scale, got, tt.want)
		}
	}
}

// TestRoundMatchesRationalArithmetic checks Round against exact rational
// arithmetic on the same shortest decimal, over values with many ties and
// over arbitrary bit patterns.
func TestRoundMatchesRationalArithmetic(t *testing.T) {
	modes := []string{RoundUp, RoundDown, RoundCeiling, RoundFloor, RoundHalfUp, RoundHalfDown, RoundHalfEven}
	r := rand.New(rand.NewPCG(1, 2))
	var values []float64
	for range 3000 {
		// n / 10^k lands on ties such as 2.675 often.
		values = append(values, float64(r.Int64N(2_000_001)-1_000_000)/math.Pow10(r.IntN(7)))
	}
	for range 1000 {
		v := math.Float64frombits(r.Uint64())
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			values = append(values, v)
		}
	}
	for _, v := range values {
		for _, mode := range modes {
			for _, scale := range []int{0, 1, 2, 3, 5, 32} {
				got, want := Round(v, mode, scale), roundRat(v, mode, scale)
				if got != want {
					t.Fatalf("Round(%v, %q, %d) = %q, want %q", v, mode, scale, got, want)
				}
			}
		}
	}
}

// roundRat is the reference: scale the exact decimal up, split off the
// fraction with integer division, and decide from how it compares to 1/2.
func roundRat(v float64, mode string, scale int) string {
	x, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'f', -1, 64))
	if !ok {
		panic("bad float")
	}
	x.Mul(x, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int)) // truncated toward zero
	half := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(x.Denom())
	var away bool
	switch mode {
	case RoundUp:
		away = m.Sign() != 0
	case RoundCeiling:
		away = m.Sign() > 0
	case RoundFloor:
		away = m.Sign() < 0
	case RoundHalfUp:
		away = half >= 0
	case RoundHalfDown:
		away = half > 0
	case RoundHalfEven:
		away = half > 0 || half == 0 && q.Bit(0) == 1
	}
	if away {
		q.Add(q, big.NewInt(int64(x.Sign())))
	}
	digits := new(big.Int).Abs(q).String()
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	s := digits
	if scale > 0 {
		s = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if q.Sign() < 0 {
		s = "-" + s
	}
	return s
}
