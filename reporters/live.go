package reporters

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// LiveView is the output that redraws, once a second, one block of lines
// per running case on a terminal: a bar per stage with elapsed and
// remaining time, VUs, requests per second, average response time and
// errors. It is safe for the concurrent calls of cases running side by
// side.
type LiveView struct {
	mu    sync.Mutex
	w     io.Writer
	cases map[string]liveCase
	lines int // lines drawn last time, to move back over
}

// liveCase is what the view shows of a case: its latest second.
type liveCase struct {
	vus      int
	requests metrics.Second
	progress output.Progress
}

// NewLiveView draws on w, a terminal.
func NewLiveView(w io.Writer) *LiveView {
	return &LiveView{w: w, cases: map[string]liveCase{}}
}

func (lv *LiveView) Start(*output.Start) {}

// Second takes a case's second and redraws the view; the seconds
// harvested after a case's end are not its load, and are not shown.
func (lv *LiveView) Second(s *output.Second) {
	if s.Final {
		return
	}
	lv.mu.Lock()
	defer lv.mu.Unlock()
	lv.cases[s.Case] = liveCase{vus: s.VUs, requests: s.Requests, progress: s.Progress}
	names := make([]string, 0, len(lv.cases))
	for n := range lv.cases {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	if lv.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", lv.lines) // back to the block's first line
	}
	for _, n := range names {
		for _, line := range progressLines(n, lv.cases[n]) {
			b.WriteString("\x1b[2K" + line + "\n") // clear the old line, write the new
		}
	}
	lv.lines = 2 * len(names)
	io.WriteString(lv.w, b.String())
}

func (lv *LiveView) End(*output.Finished) error { return nil }

// LiveLines is the output that writes, where a view cannot be redrawn (a
// CI log), one line a second per running case (WriteLive). It is safe
// for the concurrent calls of cases running side by side.
type LiveLines struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLiveLines writes on w.
func NewLiveLines(w io.Writer) *LiveLines { return &LiveLines{w: w} }

func (l *LiveLines) Start(*output.Start) {}

// Second writes a case's second, labelled by the time it ended, as
// elapsed time reads; the seconds harvested after a case's end are not
// written.
func (l *LiveLines) Second(s *output.Second) {
	if s.Final {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	WriteLive(l.w, s.Case, s.Index+1, s.VUs, s.Requests)
}

func (l *LiveLines) End(*output.Finished) error { return nil }

const barWidth = 24

// progressLines renders one case: its stage with a bar, then its load.
func progressLines(name string, c liveCase) []string {
	p := c.progress
	frac, when := 0.0, ""
	switch {
	case p.Count > 0:
		frac = float64(p.Done) / float64(p.Count)
		when = fmt.Sprintf("%d/%d passes", p.Done, p.Count)
	case p.Duration > 0:
		frac = float64(p.Elapsed) / float64(p.Duration)
		when = fmt.Sprintf("%s / %s, %s left", hms(p.Elapsed), hms(p.Duration), hms(max(p.Duration-p.Elapsed, 0)))
	}
	frac = min(max(frac, 0), 1)
	full := int(frac * barWidth)
	bar := strings.Repeat("=", full) + strings.Repeat(" ", barWidth-full)
	if full < barWidth {
		bar = strings.Repeat("=", full) + ">" + strings.Repeat(" ", barWidth-full-1)
	}
	s := c.requests
	avg, errPct := 0.0, 0.0
	if s.Count > 0 {
		avg = float64(s.RTSum) / float64(s.Count) / float64(time.Millisecond)
		errPct = 100 * float64(s.Count-s.Outcomes[metrics.Success]) / float64(s.Count)
	}
	load := fmt.Sprintf("    vus %d  req/s %d  avg %.1f ms  tp99 %.1f ms  errors %.1f%%", c.vus, s.Count, avg, float64(s.P99.Duration())/float64(time.Millisecond), errPct)
	if f := failures(s.Outcomes); f != "" {
		load += " (" + f + ")"
	}
	if p.Missed > 0 {
		load += fmt.Sprintf("  missed starts %d", p.Missed)
	}
	return []string{
		fmt.Sprintf("%s  stage %d/%d %s [%s] %3.0f%%  %s", name, p.StageIndex, p.Stages, p.Stage, bar, 100*frac, when),
		load,
	}
}

// hms formats a duration as m:ss, or h:mm:ss past an hour.
func hms(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
