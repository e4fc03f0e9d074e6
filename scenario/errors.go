package scenario

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in a scenario file. Line and Col are 1-based; a zero Line
// means the position is unknown (for example a value given by --set).
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Error is one problem in a scenario: where, what, and how to fix it.
// Caret, when set, is the column inside Source where an expression error
// starts, so the message can point at it.
type Error struct {
	Pos Pos
	// Path is the JSONPath of the value a PerfTest case JSON error is
	// about, e.g. $.stages[0].ramp_up; empty in YAML.
	Path   string
	Msg    string
	Hint   string
	Source string // the offending line, shown under the message
	Caret  int    // 1-based column of the caret under Source; 0 for none
	// cause marks a value that could not be read at all: later errors at
	// the same place follow from it (the value then reads as zero) and
	// are dropped as noise.
	cause bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Source != "" {
		b.WriteString("\n    | ")
		b.WriteString(e.Source)
		if e.Caret > 0 {
			b.WriteString("\n    | ")
			// Keep tabs so the caret lines up under tab-indented text;
			// columns count characters, as YAML's do.
			col := 1
			for _, r := range e.Source {
				if col >= e.Caret {
					break
				}
				col++
				if r == '\t' {
					b.WriteByte('\t')
				} else {
					b.WriteByte(' ')
				}
			}
			b.WriteByte('^')
		}
	}
	if e.Hint != "" {
		b.WriteString("\n    hint: ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// ErrorList collects every problem of a file so they are all reported at
// once, in the shape of go/scanner.ErrorList.
type ErrorList []*Error

func (l *ErrorList) add(pos Pos, hint, format string, args ...any) {
	*l = append(*l, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// Sort orders the list by file, line and column, keeping the order of
// errors at the same position.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// normalize sorts the list and drops what follows from an unreadable
// value (a bad number that then reads as zero, say), and exact repeats.
func (l ErrorList) normalize() ErrorList {
	l.Sort()
	out := l[:0]
	for _, e := range l {
		if n := len(out); n > 0 && out[n-1].Pos == e.Pos && e.Pos.Line > 0 && (out[n-1].cause || out[n-1].Msg == e.Msg) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Err returns nil for an empty list, so callers can `return errs.Err()`.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// attachSource fills in the source line of every error that has a line,
// so that messages show the text they talk about.
func (l ErrorList) attachSource(file string, src []byte) {
	if len(l) == 0 {
		return
	}
	lines := strings.Split(string(src), "\n")
	for _, e := range l {
		if e.Source != "" || e.Pos.File != file || e.Pos.Line < 1 || e.Pos.Line > len(lines) {
			continue
		}
		e.Source = strings.TrimRight(lines[e.Pos.Line-1], "\r")
		if e.Caret == 0 {
			e.Caret = e.Pos.Col
		}
	}
}

// suggest returns the candidate closest to word by edit distance, or "" if
// none is close enough to be a plausible typo.
func suggest(word string, candidates []string) string {
	best, bestD := "", len(word)/2+2
	lw := strings.ToLower(word)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if strings.Contains(lc, lw) && len(lw) >= 3 || strings.Contains(lw, lc) && len(lc) >= 3 {
			if d := abs(len(lc) - len(lw)); d < bestD {
				best, bestD = c, d
			}
			continue
		}
		if d := levenshtein(lw, lc); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}

// offsetPos moves pos, where some text starts, to a place inside that
// text: lines down, then cols characters along. A column that is unknown
// (0) stays unknown, and so does any column after a line break, since
// YAML does not keep a block's indentation.
func offsetPos(pos Pos, lines, cols int) Pos {
	if pos.Line == 0 {
		return pos
	}
	if lines > 0 {
		pos.Line += lines
		pos.Col = 0
		return pos
	}
	if pos.Col > 0 {
		pos.Col += cols
	}
	return pos
}
