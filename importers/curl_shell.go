package importers

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/perfcase/perfcase/scenario"
)

// word is one argument of a command line, with where it starts.
type word struct {
	text string
	pos  scenario.Pos
}

// shellLexer splits text into commands and their words the way bash or
// Windows cmd would, as far as "Copy as cURL" needs: quoting, escapes,
// ANSI-C $'...' strings, ^ escapes and line continuations. It expands
// nothing: $VAR stays as written.
type shellLexer struct {
	src       string
	file      string
	i         int
	line, col int
	cmd       bool // Windows cmd syntax
}

// isCmdSyntax tells cmd quoting: a line continued with ^, or a ^"
// quote, which bash never writes.
func isCmdSyntax(src string) bool {
	return strings.Contains(src, "^\n") || strings.Contains(src, "^\r\n") || strings.Contains(src, `^"`)
}

func (lx *shellLexer) pos() scenario.Pos {
	return scenario.Pos{File: lx.file, Line: lx.line, Col: lx.col}
}

func (lx *shellLexer) peek(k int) byte {
	if lx.i+k < len(lx.src) {
		return lx.src[lx.i+k]
	}
	return 0
}

// next consumes one byte and keeps the line and column (counted in
// characters) up to date.
func (lx *shellLexer) next() byte {
	b := lx.src[lx.i]
	lx.i++
	switch {
	case b == '\n':
		lx.line, lx.col = lx.line+1, 1
	case b < utf8.RuneSelf || utf8.RuneStart(b):
		lx.col++
	}
	return b
}

// commands reads every command: a list of words each.
func (lx *shellLexer) commands() ([][]word, *scenario.Error) {
	lx.src = strings.ReplaceAll(lx.src, "\r\n", "\n")
	lx.line, lx.col = 1, 1
	var out [][]word
	var cur []word
	end := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	for lx.i < len(lx.src) {
		b := lx.peek(0)
		switch {
		case b == ' ' || b == '\t':
			lx.next()
		case b == '\n' || b == ';' || b == '&' || b == '|':
			lx.next()
			end()
		case b == '#' && !lx.cmd:
			for lx.i < len(lx.src) && lx.peek(0) != '\n' {
				lx.next()
			}
		case b == '\\' && !lx.cmd && lx.peek(1) == '\n':
			lx.next()
			lx.next()
		case b == '^' && lx.cmd && lx.peek(1) == '\n':
			lx.next()
			lx.next()
		default:
			w, err := lx.word()
			if err != nil {
				return nil, err
			}
			cur = append(cur, w)
		}
	}
	end()
	return out, nil
}

func (lx *shellLexer) word() (word, *scenario.Error) {
	w := word{pos: lx.pos()}
	var b strings.Builder
	var err *scenario.Error
	if lx.cmd {
		err = lx.cmdWord(&b)
	} else {
		err = lx.bashWord(&b)
	}
	w.text = b.String()
	return w, err
}

func (lx *shellLexer) unterminated(at scenario.Pos, what string) *scenario.Error {
	return &scenario.Error{Pos: at, Msg: "unterminated " + what, Hint: "copy the whole command; a quote opened here is never closed"}
}

func (lx *shellLexer) bashWord(b *strings.Builder) *scenario.Error {
	for lx.i < len(lx.src) {
		c := lx.peek(0)
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|':
			return nil
		case c == '\\':
			lx.next()
			if lx.i < len(lx.src) {
				if n := lx.next(); n != '\n' {
					b.WriteByte(n)
				}
			}
		case c == '\'':
			at := lx.pos()
			lx.next()
			j := strings.IndexByte(lx.src[lx.i:], '\'')
			if j < 0 {
				return lx.unterminated(at, "'...' string")
			}
			for range j {
				b.WriteByte(lx.next())
			}
			lx.next()
		case c == '$' && lx.peek(1) == '\'':
			at := lx.pos()
			lx.next()
			lx.next()
			if !lx.ansiC(b) {
				return lx.unterminated(at, "$'...' string")
			}
		case c == '"':
			at := lx.pos()
			lx.next()
			closed := false
			for lx.i < len(lx.src) && !closed {
				switch n := lx.next(); {
				case n == '"':
					closed = true
				case n == '\\' && lx.i < len(lx.src) && strings.IndexByte("$`\"\\\n", lx.peek(0)) >= 0:
					if e := lx.next(); e != '\n' {
						b.WriteByte(e)
					}
				default:
					b.WriteByte(n)
				}
			}
			if !closed {
				return lx.unterminated(at, `"..." string`)
			}
		default:
			b.WriteByte(lx.next())
		}
	}
	return nil
}

// ansiC reads the rest of a $'...' string, decoding bash's escapes;
// false when it is not closed.
func (lx *shellLexer) ansiC(b *strings.Builder) bool {
	for lx.i < len(lx.src) {
		c := lx.next()
		if c == '\'' {
			return true
		}
		if c != '\\' || lx.i >= len(lx.src) {
			b.WriteByte(c)
			continue
		}
		e := lx.next()
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'e', 'E':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			digits := lx.take(n, "0123456789abcdefABCDEF")
			v, err := strconv.ParseUint(digits, 16, 32)
			switch {
			case digits == "" || err != nil:
				b.WriteByte('\\')
				b.WriteByte(e)
			case e == 'x':
				b.WriteByte(byte(v))
			default:
				b.WriteRune(rune(v))
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			digits := string(e) + lx.take(2, "01234567")
			v, _ := strconv.ParseUint(digits, 8, 16)
			b.WriteByte(byte(v))
		default:
			// \\, \', \" and \? stand for themselves; bash keeps the
			// backslash of any other.
			if strings.IndexByte(`\'"?`, e) < 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(e)
		}
	}
	return false
}

// take reads up to n bytes from set.
func (lx *shellLexer) take(n int, set string) string {
	start := lx.i
	for lx.i-start < n && lx.i < len(lx.src) && strings.IndexByte(set, lx.peek(0)) >= 0 {
		lx.next()
	}
	return lx.src[start:lx.i]
}

// cmdWord reads a word in Windows cmd syntax as Chromium's and Firefox's
// "Copy as cURL (cmd)" write it. First cmd's level: ^ escapes the next
// character, and a ^ that ends a line continues it, the next character
// taken as it is (so ^ and two line ends are one line end). Then the
// program's: "..." (or ^"...^") quotes, \" and \\ inside stand for " and
// \, and "" inside quotes for ".
func (lx *shellLexer) cmdWord(b *strings.Builder) *scenario.Error {
	quoted := false
	var at scenario.Pos
	for lx.i < len(lx.src) {
		c0 := lx.peek(0)
		if !quoted && (c0 == ' ' || c0 == '\t' || c0 == '\n' || c0 == '&' || c0 == '|') {
			return nil
		}
		if c0 == '\n' {
			// cmd ends the command at a line end, quoted or not.
			return lx.unterminated(at, `"..." string`)
		}
		start := lx.pos()
		c, escaped, ok := lx.cmdUnit()
		if !ok {
			break
		}
		switch {
		case c == '\\':
			save := *lx
			if n, _, ok := lx.cmdUnit(); ok && (n == '\\' || n == '"') {
				b.WriteByte(n)
			} else {
				*lx = save
				b.WriteByte('\\')
			}
		case c == '"' && quoted && !escaped && lx.peek(0) == '"':
			lx.next()
			b.WriteByte('"')
		case c == '"':
			if !quoted {
				at = start
			}
			quoted = !quoted
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		return lx.unterminated(at, `"..." string`)
	}
	return nil
}

// cmdUnit reads one character at cmd's level: escaped tells one that a ^
// escaped; ok is false at the end.
func (lx *shellLexer) cmdUnit() (c byte, escaped, ok bool) {
	c = lx.next()
	if c != '^' || lx.i >= len(lx.src) {
		return c, false, true
	}
	c = lx.next()
	if c == '\n' {
		if lx.i >= len(lx.src) {
			return 0, false, false
		}
		c = lx.next()
	}
	return c, true, true
}
