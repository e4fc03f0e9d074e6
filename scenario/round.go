package scenario

import (
	"math"
	"strconv"
)

// maxScale is the most decimal places a data instruction may ask for.
const maxScale = 32

// Round formats v rounded to scale decimal places (0..32) with the given mode.
//
// Rounding works on the digits of the shortest decimal that reads back as v
// (strconv's 'f', -1), not on the binary value: 2.675 is stored as
// 2.67499999999999982236431605997495353221893310546875, but a person who
// wrote 2.675 expects half_up to give 2.68, as PerfTest's BigDecimal does.
// That mends a literal, not arithmetic: 1.005 * 3 is already 3.0149… in
// float64. Rounded expressions that are pure arithmetic therefore go
// through Exact instead; Round serves the rest.
//
// The result has exactly scale decimals, no exponent, and no sign on zero.
// RoundNone gives the shortest form and ignores scale. A scale outside
// 0..32 is clamped; an unknown mode rounds half up, the default of data
// instructions. NaN and infinities format as "NaN", "+Inf" and "-Inf".
func Round(v float64, mode string, scale int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	if mode == RoundNone {
		if v == 0 {
			return "0" // not "-0"
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	scale = min(max(scale, 0), maxScale)

	// Both buffers fit any float64 (under 330 characters in 'f' form) on
	// the stack, so the only allocation is the returned string.
	var nb [400]byte
	num := strconv.AppendFloat(nb[:0], math.Abs(v), 'f', -1, 64)
	neg := math.Signbit(v)
	intPart, frac := num, num[len(num):]
	for i, c := range num {
		if c == '.' {
			intPart, frac = num[:i], num[i+1:]
			break
		}
	}

	// out is a sign, a slot for a carry out of the integer part, the
	// integer digits, and scale decimals; the unused front is cut at the end.
	var ob [400]byte
	out := append(ob[:0], '-', '0')
	out = append(out, intPart...)
	if scale > 0 {
		out = append(out, '.')
	}
	kept := min(len(frac), scale)
	out = append(out, frac[:kept]...)
	for range scale - kept {
		out = append(out, '0')
	}
	if len(frac) > scale && awayFromZero(mode, neg, frac[scale:], out[len(out)-1]) {
		for i := len(out) - 1; ; i-- {
			if out[i] == '.' {
				continue
			}
			if out[i] != '9' {
				out[i]++
				break
			}
			out[i] = '0'
		}
	}

	start := 2
	if out[1] != '0' {
		start = 1
	}
	if neg && !allZeroDigits(out[start:]) {
		start--
		out[start] = '-'
	}
	return string(out[start:])
}

// awayFromZero reports whether a value whose magnitude is truncated to
// last, followed by the dropped digits, should instead be increased in
// magnitude by one unit in the last place.
func awayFromZero(mode string, neg bool, dropped []byte, last byte) bool {
	first, rest := dropped[0], !allZeroDigits(dropped[1:])
	nonzero := first != '0' || rest
	switch mode {
	case RoundUp:
		return nonzero
	case RoundDown:
		return false
	case RoundCeiling:
		return nonzero && !neg
	case RoundFloor:
		return nonzero && neg
	case RoundHalfDown:
		return first > '5' || first == '5' && rest
	case RoundHalfEven:
		return first > '5' || first == '5' && (rest || (last-'0')%2 == 1)
	default: // RoundHalfUp, and anything the parser should have rejected
		return first >= '5'
	}
}

// allZeroDigits reports whether b has no digit other than 0 (a '.' is skipped).
func allZeroDigits(b []byte) bool {
	for _, c := range b {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}
