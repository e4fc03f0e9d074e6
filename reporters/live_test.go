package reporters

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// The live view redraws one block per case in place: the second update
// moves back over the first and rewrites it.
func TestLiveView(t *testing.T) {
	var buf bytes.Buffer
	lv := NewLiveView(&buf)
	sec := metrics.Second{Count: 200, RTSum: 200 * 5 * time.Millisecond, P99: 12500}
	sec.Outcomes[metrics.Success] = 198
	sec.Outcomes[metrics.Timeout] = 2
	lv.Second(&output.Second{Case: "browse", Harvest: metrics.Harvest{VUs: 50, Requests: sec},
		Progress: output.Progress{Stage: "load", StageIndex: 2, Stages: 3, Elapsed: 15 * time.Second, Duration: time.Minute}})
	first := buf.String()
	for _, want := range []string{"browse  stage 2/3 load [======>", " 25%", "0:15 / 1:00, 0:45 left", "vus 50  req/s 200  avg 5.0 ms  tp99 12.5 ms  errors 1.0% (timeout 2)"} {
		if !strings.Contains(first, want) {
			t.Errorf("first draw lacks %q:\n%q", want, first)
		}
	}
	if strings.Contains(first, "\x1b[2A") {
		t.Errorf("the first draw moved up over nothing")
	}
	buf.Reset()
	lv.Second(&output.Second{Case: "checkout", Harvest: metrics.Harvest{VUs: 3},
		Progress: output.Progress{Stage: "fixed", StageIndex: 1, Stages: 1, Count: 100, Done: 40, Missed: 7}})
	second := buf.String()
	if !strings.HasPrefix(second, "\x1b[2A") || strings.Count(second, "\x1b[2K") != 4 {
		t.Errorf("the second draw must move back 2 lines and redraw both cases:\n%q", second)
	}
	for _, want := range []string{"checkout  stage 1/1 fixed", "40/100 passes", "missed starts 7"} {
		if !strings.Contains(second, want) {
			t.Errorf("second draw lacks %q:\n%q", want, second)
		}
	}
}

// The seconds harvested once a case's load ended are not its load: the
// live view and the live lines leave them out.
func TestLiveLeavesOutFinalSeconds(t *testing.T) {
	var view, lines bytes.Buffer
	final := &output.Second{Case: "c", Final: true, Harvest: metrics.Harvest{VUs: 1, Requests: metrics.Second{Count: 3}}}
	NewLiveView(&view).Second(final)
	NewLiveLines(&lines).Second(final)
	if view.Len() != 0 || lines.Len() != 0 {
		t.Errorf("a final second drawn: %q, %q", view.String(), lines.String())
	}
	final.Final = false
	final.Index = 4
	NewLiveLines(&lines).Second(final)
	if got, want := lines.String(), "[   5s] c  vus 1  req/s 3  avg 0.0 ms  ok 0  fail 3 ()\n"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
}
