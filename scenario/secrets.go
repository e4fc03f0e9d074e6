package scenario

import (
	"unicode/utf8"

	"github.com/perfcase/perfcase/internal/redact"
)

// secrets are the values of the sensitive global variables, as compiled:
// --set and ${env} already applied, data files read. Integer variables
// are left out: masking every number of their range would garble every
// line and column of a message.
func secrets(globals []*VarData) *redact.Secrets {
	var values []string
	for _, d := range globals {
		if !d.Sensitive {
			continue
		}
		values = append(values, d.Values...)
		for _, row := range d.Rows {
			values = append(values, row...)
		}
	}
	return redact.New(values...)
}

// redact masks secrets in every message, hint and quoted line of the
// list, so that validate's output and a run's refusal never show a
// sensitive value. A caret keeps pointing at the same character.
func (l ErrorList) redact(s *redact.Secrets) {
	if s == nil {
		return
	}
	for _, e := range l {
		e.Msg, e.Hint = s.String(e.Msg), s.String(e.Hint)
		if e.Caret <= 0 {
			e.Source = s.String(e.Source)
			continue
		}
		cut, n := len(e.Source), 0
		for i := range e.Source {
			if n == e.Caret-1 {
				cut = i
				break
			}
			n++
		}
		before := s.String(e.Source[:cut])
		e.Source = before + s.String(e.Source[cut:])
		e.Caret = utf8.RuneCountInString(before) + 1
	}
}
