// Package stamp writes and finds send stamps: how a message carries the
// time it was sent, so that whoever receives it can measure its
// end-to-end latency. The template function sendstamp() writes one
// (package scenario) and the MQTT client reads it (package
// protocols/mqtt); this package is the one definition of the format both
// keep to.
//
// A stamp is "@pc" and the send time in Unix nanoseconds as 16 lowercase
// hex digits, 19 ASCII bytes in all. It may stand anywhere in a payload
// (inside a JSON string, say), and only the first counts. The receiver
// compares it with its own clock, so a latency is exact when sender and
// receiver share a machine, and off by the clocks' difference otherwise.
// Neither writing nor finding a stamp allocates.
package stamp

import "time"

const prefix = "@pc"

// Len is a stamp's length in bytes.
const Len = len(prefix) + 16

const hexDigits = "0123456789abcdef"

// Append appends the stamp of t to b.
func Append(b []byte, t time.Time) []byte {
	n := uint64(t.UnixNano())
	b = append(b, prefix...)
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[n>>uint(shift)&0xf])
	}
	return b
}

// Find returns the time of the first stamp in p.
func Find(p []byte) (time.Time, bool) {
	for i := 0; i+Len <= len(p); i++ {
		if p[i] != '@' || p[i+1] != 'p' || p[i+2] != 'c' {
			continue
		}
		var n uint64
		ok := true
		for _, c := range p[i+len(prefix) : i+Len] {
			switch {
			case c >= '0' && c <= '9':
				n = n<<4 | uint64(c-'0')
			case c >= 'a' && c <= 'f':
				n = n<<4 | uint64(c-'a'+10)
			default:
				ok = false
			}
		}
		if ok {
			return time.Unix(0, int64(n)), true
		}
	}
	return time.Time{}, false
}
