package stamp

import (
	"testing"
	"time"
)

// A stamp round-trips, anywhere in a payload; the first counts; a broken
// one is no stamp; neither writing nor finding one allocates.
func TestStamp(t *testing.T) {
	now := time.Unix(1767225600, 123456789)
	b := Append([]byte("x"), now)
	if len(b) != 1+Len || string(b[1:4]) != "@pc" {
		t.Fatalf("Append = %q", b)
	}
	if got, ok := Find(append(append([]byte(`{"t":"`), b...), Append(nil, now.Add(time.Hour))...)); !ok || !got.Equal(now) {
		t.Errorf("Find = %v, %v, want %v", got, ok, now)
	}
	for _, p := range []string{"", "@pc", "@pc0123456789abcdeg", "@pc0123456789abcde", "@PC0123456789abcdef"} {
		if _, ok := Find([]byte(p)); ok {
			t.Errorf("Find(%q) found a stamp", p)
		}
	}
	if n := testing.AllocsPerRun(100, func() { b = Append(b[:0], now); Find(b) }); n != 0 {
		t.Errorf("stamping allocates %v times", n)
	}
}
