package scenario

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// A receive reads, refuses and is written back alike in a ws action and
// an mqtt step: one parser and one formatter serve both. Only the hint
// for receiving 0 messages is the protocol's own.
func TestReceiveAlike(t *testing.T) {
	type want struct {
		count, max int
		until      string
		timeout    time.Duration
		yaml       string // the receive as FormatYAML writes it back
	}
	valid := []struct {
		receive string
		want    want
	}{
		{"3", want{count: 3, yaml: "receive: 3"}},
		{"{count: 2}", want{count: 2, yaml: "receive: 2"}},
		{"{count: 2, timeout: 1s}", want{count: 2, timeout: time.Second, yaml: "receive: {count: 2, timeout: 1s}"}},
		{`{until: "body == 'x'", max: 5}`, want{until: "body == 'x'", max: 5, yaml: "receive: {until: body == 'x', max: 5}"}},
	}
	invalid := []struct {
		receive, msg string
		zero         bool // the error is about receiving 0 messages
	}{
		{"0", "receive 0 messages does nothing", true},
		{"{count: 0}", "receive 0 messages does nothing", true},
		{"{max: 3}", "receive max applies with until", false},
		{`{count: 1, until: "true"}`, "receive takes count or until, not both", false},
		{"{count: 1, every: 2}", `unknown key "every" in receive`, false},
	}
	protocols := []struct {
		name, zeroHint string
		steps          func(receive string) string
		action         func(f *File) (count int, until *Expr, max int, timeout time.Duration)
	}{
		{"ws", "receive at least one message, or drop the action",
			func(r string) string { return `[{ws: {url: "ws://h/", actions: [{receive: ` + r + `}]}}]` },
			func(f *File) (int, *Expr, int, time.Duration) {
				a := f.Cases[0].Steps[0].Request.WS.Actions[0]
				return a.Count, a.Until, a.Max, a.Timeout
			}},
		{"mqtt", "receive at least one message",
			func(r string) string { return `[{mqtt: {broker: "tcp://h", receive: ` + r + `}}]` },
			func(f *File) (int, *Expr, int, time.Duration) {
				a := f.Cases[0].Steps[0].Request.MQTT.Action
				return a.Count, a.Until, a.Max, a.Timeout
			}},
	}
	for _, p := range protocols {
		for _, tt := range valid {
			f, err := Parse("t.yaml", []byte(snippetScenario("", p.steps(tt.receive), "")))
			if err != nil {
				t.Errorf("%s receive: %s: %v", p.name, tt.receive, err)
				continue
			}
			count, until, max, timeout := p.action(f)
			src := ""
			if until != nil {
				src = until.Source
			}
			if got := (want{count: count, max: max, until: src, timeout: timeout, yaml: tt.want.yaml}); got != tt.want {
				t.Errorf("%s receive: %s = %+v, want %+v", p.name, tt.receive, got, tt.want)
			}
			out, err := FormatYAML(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), tt.want.yaml) {
				t.Errorf("%s receive: %s written back as\n%s\nwant %s", p.name, tt.receive, out, tt.want.yaml)
			}
		}
		for _, tt := range invalid {
			_, err := Parse("t.yaml", []byte(snippetScenario("", p.steps(tt.receive), "")))
			var el ErrorList
			if !errors.As(err, &el) {
				t.Errorf("%s receive: %s: %v, want an ErrorList", p.name, tt.receive, err)
				continue
			}
			found := false
			for _, e := range el {
				if strings.Contains(e.Msg, tt.msg) {
					found = true
					if tt.zero && e.Hint != p.zeroHint {
						t.Errorf("%s receive: %s: hint %q, want %q", p.name, tt.receive, e.Hint, p.zeroHint)
					}
				}
			}
			if !found {
				t.Errorf("%s receive: %s: %v, want %q", p.name, tt.receive, err, tt.msg)
			}
		}
	}
}
