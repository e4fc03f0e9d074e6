package reporters

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Formatting. A value the report does not have is "—".

const htmlNone = "—"

func htmlDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// htmlGroup formats v with dec decimals and thousands separated by commas.
func htmlGroup(v float64, dec int) string {
	s := strconv.FormatFloat(v, 'f', dec, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

func htmlInt(p *float64) string {
	if p == nil {
		return htmlNone
	}
	return htmlGroup(*p, 0)
}

// htmlMS is a time in ms: two decimals under 10 ms, one under 10 s, none
// above.
func htmlMS(p *float64) string {
	if p == nil {
		return htmlNone
	}
	switch v := *p; {
	case v < 10:
		return htmlGroup(v, 2)
	case v < 10000:
		return htmlGroup(v, 1)
	default:
		return htmlGroup(v, 0)
	}
}

func htmlMillis(p *float64) string {
	if p == nil {
		return htmlNone
	}
	return htmlMS(p) + " ms"
}

// htmlRateNum is a rate: two decimals under 10, one under 1000, none above.
func htmlRateNum(p *float64) string {
	if p == nil {
		return htmlNone
	}
	switch v := *p; {
	case v < 10:
		return htmlGroup(v, 2)
	case v < 1000:
		return htmlGroup(v, 1)
	default:
		return htmlGroup(v, 0)
	}
}

func htmlRate(p *float64) string {
	if p == nil {
		return htmlNone
	}
	return htmlRateNum(p) + "/s"
}

func htmlPct(p *float64) string {
	if p == nil {
		return htmlNone
	}
	return strconv.FormatFloat(*p, 'f', 2, 64) + "%"
}

func htmlBytes(p *float64) string {
	if p == nil {
		return htmlNone
	}
	if *p < 100 {
		return htmlGroup(*p, 1)
	}
	return htmlGroup(*p, 0)
}

// htmlKPIValue is a KPI's threshold or observed value in its metric's unit.
func htmlKPIValue(metric string, p *float64) string {
	if p == nil {
		return htmlNone
	}
	return observed(metric, *p)
}

// htmlDuration formats seconds as "1h 02m 03s", "4m 05s" or "6.5 s".
func htmlDuration(p *float64) string {
	if p == nil {
		return htmlNone
	}
	if *p < 60 {
		return strconv.FormatFloat(round(*p, 1), 'f', -1, 64) + " s"
	}
	secs := int64(math.Round(*p))
	h, m, sec := secs/3600, secs%3600/60, secs%60
	if h > 0 {
		return fmt.Sprintf("%dh %02dm %02ds", h, m, sec)
	}
	return fmt.Sprintf("%dm %02ds", m, sec)
}

func htmlTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// htmlClock is a report time's wall-clock time, as written (the run's zone).
func htmlClock(s string) string {
	t, ok := htmlTime(s)
	if !ok {
		return s
	}
	return t.Format("15:04:05")
}

func htmlBetween(from, to string) string {
	a, ok1 := htmlTime(from)
	b, ok2 := htmlTime(to)
	if !ok1 || !ok2 {
		return htmlNone
	}
	secs := b.Sub(a).Seconds()
	return htmlDuration(&secs)
}

// htmlPeriod is "2024-03-01 10:00:00 – 10:04:00 (UTC+08:00)", the end's date
// written when it differs.
func htmlPeriod(from, to *string) string {
	if from == nil {
		return ""
	}
	a, ok := htmlTime(*from)
	if !ok {
		return *from
	}
	s := a.Format("2006-01-02 15:04:05")
	if to != nil {
		if b, ok := htmlTime(*to); ok {
			if b.Format("2006-01-02") == a.Format("2006-01-02") {
				s += " – " + b.Format("15:04:05")
			} else {
				s += " – " + b.Format("2006-01-02 15:04:05")
			}
		}
	}
	return s + " (UTC" + a.Format("-07:00") + ")"
}
