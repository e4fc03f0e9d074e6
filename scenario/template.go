package scenario

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A template is text with ${...} references, split into segments once at
// compile time so that rendering is a walk over the segments that appends
// to a caller's buffer and allocates nothing.
//
// Inside ${...}:
//
//	ref   = name [ "." field ]          a variable, a CSV column, env.NAME
//	      | fname "(" [ arg { "," arg } ] ")"
//	arg   = ref | "'" text "'" | '"' text '"' | number
//	number = [ "-" ] digit { digit } [ "." digit { digit } ]
//
// Inside quotes a backslash makes the next character literal ('it\'s').
// "$${" writes a literal "${".

// Scope gives a template the values of a VU's variables by slot. Values
// are appended rather than returned so that an integer variable or an
// extracted byte slice reaches the request without becoming a string.
type Scope interface {
	// AppendValue appends the current value of a slot to dst; field is -1
	// for the whole variable, or a column index of a file variable.
	AppendValue(dst []byte, slot, field int) []byte
}

// FuncEnv is the per-VU state that built-in functions use: their own
// random source and clock, and scratch space for nested calls. It is not
// safe for concurrent use; each VU owns one.
type FuncEnv struct {
	Rand    *rand.Rand
	Now     func() time.Time
	scratch [][]byte
	depth   int
	esc     []byte
	err     error
}

// Err returns the first error a function call met while rendering since
// the last Err, and clears it. A failing call renders nothing; the runner
// asks after each request so the failure is counted, not hidden.
func (fe *FuncEnv) Err() error {
	err := fe.err
	fe.err = nil
	return err
}

// NewFuncEnv returns a FuncEnv seeded from seed, using the wall clock.
func NewFuncEnv(seed uint64) *FuncEnv {
	return &FuncEnv{Rand: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), Now: time.Now}
}

type segKind uint8

const (
	segLit segKind = iota
	segVar
	segCall
)

type segment struct {
	// esc escapes what the segment renders for the inside of a JSON
	// string, so a value with a quote or a newline keeps a JSON body valid.
	esc   bool
	kind  segKind
	lit   string
	slot  int
	field int
	fn    *builtin
	args  []*Template
}

// Template is a compiled ${...} template. A Template is immutable and safe
// to share between VUs.
type Template struct {
	Src    string
	Pos    Pos
	segs   []segment
	failed bool // did not compile; never treated as static text
}

// IsStatic reports whether the template has no references, so its text
// can be used as is.
func (t *Template) IsStatic() bool {
	return !t.failed && (len(t.segs) == 0 || len(t.segs) == 1 && t.segs[0].kind == segLit)
}

// Static returns the text of a static template.
func (t *Template) Static() string {
	if len(t.segs) == 0 {
		return ""
	}
	return t.segs[0].lit
}

// Append renders the template onto dst. fe may be nil only for a template
// without function calls or JSON escaping.
func (t *Template) Append(dst []byte, s Scope, fe *FuncEnv) []byte {
	for i := range t.segs {
		sg := &t.segs[i]
		switch sg.kind {
		case segLit:
			dst = append(dst, sg.lit...)
		case segVar:
			if sg.esc {
				n := len(dst)
				dst = s.AppendValue(dst, sg.slot, sg.field)
				fe.esc = append(fe.esc[:0], dst[n:]...)
				dst = appendJSONEscaped(dst[:n], fe.esc)
			} else {
				dst = s.AppendValue(dst, sg.slot, sg.field)
			}
		case segCall:
			if sg.esc {
				// Render into scratch, then escape: a function's output is as
				// untrusted as a variable's.
				n := len(dst)
				dst = sg.call(dst, s, fe)
				fe.esc = append(fe.esc[:0], dst[n:]...)
				dst = appendJSONEscaped(dst[:n], fe.esc)
			} else {
				dst = sg.call(dst, s, fe)
			}
		}
	}
	return dst
}

func (sg *segment) call(dst []byte, s Scope, fe *FuncEnv) []byte {
	// Arguments render into per-depth scratch buffers owned by the FuncEnv,
	// reused across calls, so steady-state rendering does not allocate.
	base := fe.depth * maxArgs
	fe.depth++
	for len(fe.scratch) < base+len(sg.args) {
		fe.scratch = append(fe.scratch, make([]byte, 0, 64))
	}
	for i, a := range sg.args {
		// A nested call may grow fe.scratch; store after rendering.
		b := a.Append(fe.scratch[base+i][:0], s, fe)
		fe.scratch[base+i] = b
	}
	var err error
	dst, err = sg.fn.call(dst, fe.scratch[base:base+len(sg.args)], fe)
	if err != nil && fe.err == nil {
		fe.err = fmt.Errorf("%s: %w", sg.fn.name, err)
	}
	fe.depth--
	return dst
}

// maxArgs bounds the arguments of a built-in function.
const maxArgs = 4

// maxCallDepth bounds nesting of calls inside one ${...}.
const maxCallDepth = 8

// builtin is a function usable inside ${...}. call appends its result to
// dst; it must not allocate in steady state and must not keep args.
type builtin struct {
	name    string
	minArgs int
	maxArgs int
	pure    bool // same args, same result: folded at compile time when args are literal
	doc     string
	call    func(dst []byte, args [][]byte, fe *FuncEnv) ([]byte, error)
}

// resolver maps a reference inside ${...} to a slot, a field, or a literal
// value known at compile time (env.NAME, --set values).
type resolver interface {
	resolve(name, field string) (slot, fieldIdx int, literal string, isLiteral bool, err error)
}

// templateError is a problem at an offset inside a template's source.
type templateError struct {
	offset int
	msg    string
	hint   string
}

func (e *templateError) Error() string { return e.msg }

// parseTemplate splits src into segments, resolving names with r.
func parseTemplate(src string, r resolver) (*Template, error) {
	t := &Template{Src: src}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.segs = append(t.segs, segment{kind: segLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); {
		if strings.HasPrefix(src[i:], "$${") {
			lit.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(src[i:], "${") {
			lit.WriteByte(src[i])
			i++
			continue
		}
		p := &refParser{src: src, pos: i + 2, r: r}
		seg, err := p.ref(0)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(src) || src[p.pos] != '}' {
			if p.pos >= len(src) {
				return nil, &templateError{offset: i, msg: "unclosed ${", hint: "close it with }, or write $${ for a literal ${"}
			}
			r, _ := utf8.DecodeRuneInString(src[p.pos:])
			return nil, &templateError{offset: p.pos, msg: fmt.Sprintf("unexpected %q in ${...}", r), hint: "inside ${...} write a name, name.field, or a function call such as md5(user)"}
		}
		i = p.pos + 1
		if seg.kind == segLit {
			lit.WriteString(seg.lit)
			continue
		}
		flush()
		t.segs = append(t.segs, seg)
	}
	flush()
	return t, nil
}

type refParser struct {
	src string
	pos int
	r   resolver
}

func (p *refParser) space() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

func (p *refParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && p.pos > start {
			p.pos++
			continue
		}
		break
	}
	return p.src[start:p.pos]
}

func (p *refParser) ref(depth int) (segment, error) {
	p.space()
	start := p.pos
	if depth > maxCallDepth {
		return segment{}, &templateError{offset: start, msg: "function calls are nested too deeply"}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == '\'' || p.src[p.pos] == '"') {
		return p.quoted()
	}
	if p.pos < len(p.src) && (p.src[p.pos] == '-' || isDigit(p.src[p.pos])) {
		return p.number()
	}
	name := p.ident()
	if name == "" {
		return segment{}, &templateError{offset: start, msg: "expected a name inside ${...}", hint: "e.g. ${user_id}, ${acct.user}, ${env.HOST} or ${uuid()}"}
	}
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == '(' {
		return p.call(name, start, depth)
	}
	field := ""
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		field = p.ident()
		if field == "" {
			return segment{}, &templateError{offset: p.pos, msg: fmt.Sprintf("expected a field name after %q", name+".")}
		}
	}
	slot, idx, literal, isLit, err := p.r.resolve(name, field)
	if err != nil {
		te := &templateError{offset: start, msg: err.Error()}
		if he, ok := err.(*hintError); ok {
			te.hint = he.hint
		}
		return segment{}, te
	}
	if isLit {
		return segment{kind: segLit, lit: literal}, nil
	}
	return segment{kind: segVar, slot: slot, field: idx}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *refParser) number() (segment, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
			n++
		}
		return n
	}
	ok := digits() > 0
	if ok && p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		ok = digits() > 0
	}
	if !ok {
		return segment{}, &templateError{offset: start, msg: fmt.Sprintf("%q is not a number", p.src[start:p.pos]), hint: "write numbers like 5, -3 or 2.5, or quote text: '5x'"}
	}
	return segment{kind: segLit, lit: p.src[start:p.pos]}, nil
}

func (p *refParser) quoted() (segment, error) {
	q := p.src[p.pos]
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '\\' && p.pos+1 < len(p.src) {
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
			continue
		}
		if c == q {
			p.pos++
			return segment{kind: segLit, lit: b.String()}, nil
		}
		b.WriteByte(c)
		p.pos++
	}
	return segment{}, &templateError{offset: start, msg: "unterminated string in ${...}"}
}

func (p *refParser) call(name string, start, depth int) (segment, error) {
	fn, ok := builtins[name]
	if !ok {
		return segment{}, &templateError{offset: start, msg: fmt.Sprintf("unknown function %q", name), hint: DidYouMeanOr(name, builtinNames(), "functions: "+strings.Join(builtinNames(), ", "))}
	}
	p.pos++ // (
	var args []*Template
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			argStart := p.pos
			seg, err := p.ref(depth + 1)
			if err != nil {
				return segment{}, err
			}
			at := &Template{Src: p.src[argStart:p.pos]}
			if seg.kind != segLit || seg.lit != "" {
				at.segs = []segment{seg}
			}
			args = append(args, at)
			p.space()
			if p.pos >= len(p.src) {
				return segment{}, &templateError{offset: start, msg: fmt.Sprintf("unclosed call to %s(", name)}
			}
			if p.src[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.src[p.pos] == ')' {
				p.pos++
				break
			}
			r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
			return segment{}, &templateError{offset: p.pos, msg: fmt.Sprintf("expected , or ) in call to %s, got %q", name, r)}
		}
	}
	if len(args) < fn.minArgs || len(args) > fn.maxArgs {
		want := fmt.Sprintf("%d", fn.minArgs)
		if fn.maxArgs != fn.minArgs {
			want = fmt.Sprintf("%d to %d", fn.minArgs, fn.maxArgs)
		}
		return segment{}, &templateError{offset: start, msg: fmt.Sprintf("%s takes %s arguments, got %d", name, want, len(args)), hint: fn.doc}
	}
	seg := segment{kind: segCall, fn: fn, args: args}
	allLit := true
	for _, a := range args {
		if !a.IsStatic() {
			allLit = false
		}
	}
	if allLit {
		// Literal arguments are checked now, so a bad call fails before the
		// run, and a pure call is replaced by its value.
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a.Static())
		}
		out, err := fn.call(nil, argv, NewFuncEnv(1))
		if err != nil {
			return segment{}, &templateError{offset: start, msg: fmt.Sprintf("%s: %v", name, err), hint: fn.doc}
		}
		if fn.pure {
			return segment{kind: segLit, lit: string(out)}, nil
		}
	}
	return seg, nil
}

func builtinNames() []string { return sortedKeys(builtins) }

// appendJSONEscaped appends s escaped for the inside of a JSON string, as
// encoding/json would (without HTML escaping).
func appendJSONEscaped[T string | []byte](dst []byte, s T) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// compileJSONBody turns the JSON text of a json: body into a template. The
// text is read token by token so that each string is a template of its
// own, taken from its decoded value: its literal parts are escaped now,
// its references at render time.
func compileJSONBody(text string, r resolver) (*Template, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	t := &Template{Src: text}
	var lit []byte
	type frame struct {
		object bool
		n      int
	}
	var stack []frame
	// sep writes the comma or colon the token stream leaves out.
	sep := func() {
		if len(stack) == 0 {
			return
		}
		f := &stack[len(stack)-1]
		switch {
		case f.object && f.n%2 == 1:
			lit = append(lit, ':')
		case f.n > 0:
			lit = append(lit, ',')
		}
		f.n++
	}
	flush := func() {
		if len(lit) > 0 {
			t.segs = append(t.segs, segment{kind: segLit, lit: string(lit)})
			lit = lit[:0]
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &templateError{msg: fmt.Sprintf("json body is not valid JSON: %v", err)}
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				sep()
				stack = append(stack, frame{object: v == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
			lit = append(lit, byte(v))
		case string:
			sep()
			st, err := parseTemplate(v, r)
			if err != nil {
				return nil, err
			}
			lit = append(lit, '"')
			for _, sg := range st.segs {
				if sg.kind == segLit {
					lit = appendJSONEscaped(lit, sg.lit)
					continue
				}
				flush()
				sg.esc = true
				t.segs = append(t.segs, sg)
			}
			lit = append(lit, '"')
		case json.Number:
			sep()
			lit = append(lit, v...)
		case bool:
			sep()
			lit = strconv.AppendBool(lit, v)
		case nil:
			sep()
			lit = append(lit, "null"...)
		}
	}
	flush()
	return t, nil
}
