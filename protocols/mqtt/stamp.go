package mqtt

import "time"

// A send stamp is how a payload carries the time it was sent, so that the
// receiver can measure end-to-end latency: "@pc" and the send time in Unix
// nanoseconds as 16 lowercase hex digits, 19 ASCII bytes in all. It may
// stand anywhere in a payload (inside a JSON string, say), and only the
// first counts. The receive side compares it with its own clock, so the
// latency is exact when sender and receiver share a machine, and off by
// the clocks' difference otherwise.
const (
	stampPrefix = "@pc"
	// StampLen is a stamp's length in bytes.
	StampLen = len(stampPrefix) + 16
)

const hexDigits = "0123456789abcdef"

// AppendStamp appends the stamp of t to b.
func AppendStamp(b []byte, t time.Time) []byte {
	n := uint64(t.UnixNano())
	b = append(b, stampPrefix...)
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[n>>uint(shift)&0xf])
	}
	return b
}

// FindStamp returns the time of the first stamp in p.
func FindStamp(p []byte) (time.Time, bool) {
	for i := 0; i+StampLen <= len(p); i++ {
		if p[i] != '@' || p[i+1] != 'p' || p[i+2] != 'c' {
			continue
		}
		var n uint64
		ok := true
		for _, c := range p[i+3 : i+StampLen] {
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
