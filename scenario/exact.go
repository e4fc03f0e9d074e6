package scenario

import (
	"math/big"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Exact is a rounded set expression that is pure arithmetic, compiled to
// run on rational numbers: every +, -, * and / is exact, and the result is
// rounded once, to scale places, as a person or Java's BigDecimal would:
// 1.005 * 3 is 3.015, which half_up makes 3.02, where float64 (3.0149…)
// gives 3.01.
//
// Pure arithmetic is number literals, int(x) and float(x) of a variable,
// a file variable's column or an env value, __VU and __ITER, combined
// with + - * /, unary minus and parentheses. Anything else (%, **,
// functions, comparisons) leaves the expression to expr-lang's float64
// arithmetic.
//
// An Exact is immutable and may be shared by every VU.
type Exact struct {
	ops []exactOp // postfix
}

type exactKind uint8

const (
	exLit exactKind = iota // push lit
	exVar                  // push the value of slot (field), read as int() or float() reads it
	exAdd                  // pop b, a; push a+b
	exSub                  // a-b
	exMul                  // a*b
	exDiv                  // a/b
	exNeg                  // -a
)

type exactOp struct {
	kind        exactKind
	lit         *big.Rat
	slot, field int
	whole       bool // int(): the text must be a whole number
}

// exactFor compiles src for exact evaluation, or returns nil when it is
// not pure arithmetic. The expression has already compiled against the
// case's typed environment, so names and types are known to be right.
func (cc *caseCompiler) exactFor(src string) *Exact {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	e := &Exact{}
	if !cc.exactNode(tree.Node, src, e) {
		return nil
	}
	return e
}

func (cc *caseCompiler) exactNode(n ast.Node, src string, e *Exact) bool {
	switch n := n.(type) {
	case *ast.IntegerNode:
		e.ops = append(e.ops, exactOp{kind: exLit, lit: new(big.Rat).SetInt64(int64(n.Value))})
		return true
	case *ast.FloatNode:
		// The literal as written, not the float64 it parsed to.
		loc := n.Location()
		if loc.From < 0 || loc.To > len(src) || loc.From >= loc.To {
			return false
		}
		r, ok := new(big.Rat).SetString(strings.ReplaceAll(src[loc.From:loc.To], "_", ""))
		if !ok {
			return false
		}
		e.ops = append(e.ops, exactOp{kind: exLit, lit: r})
		return true
	case *ast.UnaryNode:
		if n.Operator != "-" && n.Operator != "+" || !cc.exactNode(n.Node, src, e) {
			return false
		}
		if n.Operator == "-" {
			e.ops = append(e.ops, exactOp{kind: exNeg})
		}
		return true
	case *ast.BinaryNode:
		kind, ok := map[string]exactKind{"+": exAdd, "-": exSub, "*": exMul, "/": exDiv}[n.Operator]
		if !ok || !cc.exactNode(n.Left, src, e) || !cc.exactNode(n.Right, src, e) {
			return false
		}
		e.ops = append(e.ops, exactOp{kind: kind})
		return true
	case *ast.IdentifierNode:
		// Only the built-ins are numbers; other variables are text, which
		// expressions convert with int() or float().
		if i, ok := cc.slotIdx[n.Value]; ok && cc.slots[i].Builtin != NotBuiltin {
			e.ops = append(e.ops, exactOp{kind: exVar, slot: i, field: -1, whole: true})
			return true
		}
		return false
	case *ast.BuiltinNode:
		if n.Name != "int" && n.Name != "float" || len(n.Arguments) != 1 {
			return false
		}
		return cc.exactArg(n.Arguments[0], n.Name == "int", e)
	}
	return false
}

// exactArg compiles the argument of int() or float(): a variable, a file
// variable's column, an env value or a string literal.
func (cc *caseCompiler) exactArg(n ast.Node, whole bool, e *Exact) bool {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		i, ok := cc.slotIdx[n.Value]
		if !ok || cc.slots[i].Global != nil && cc.slots[i].Global.Type == VarFile {
			return false
		}
		e.ops = append(e.ops, exactOp{kind: exVar, slot: i, field: -1, whole: whole})
		return true
	case *ast.StringNode:
		return cc.exactLiteral(n.Value, whole, e)
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, isStr := n.Property.(*ast.StringNode)
		if !ok || !isStr {
			return false
		}
		if id.Value == "env" {
			v, found := cc.opts.LookupEnv(prop.Value)
			return found && cc.exactLiteral(v, whole, e)
		}
		i, ok := cc.slotIdx[id.Value]
		if !ok || cc.slots[i].Global == nil || cc.slots[i].Global.Type != VarFile {
			return false
		}
		col := -1
		for c, name := range cc.slots[i].Global.Columns {
			if name == prop.Value {
				col = c
			}
		}
		if col < 0 {
			return false
		}
		e.ops = append(e.ops, exactOp{kind: exVar, slot: i, field: col, whole: whole})
		return true
	}
	return false
}

func (cc *caseCompiler) exactLiteral(s string, whole bool, e *Exact) bool {
	r := new(big.Rat)
	if !parseExactNumber(r, []byte(s), whole) {
		return false
	}
	e.ops = append(e.ops, exactOp{kind: exLit, lit: r})
	return true
}

// maxExactExponent bounds the exponent of a number read exactly: past
// float64's range (1e308) a value gains nothing from exactness, and a
// response could otherwise make perfcase build a number of a billion
// digits.
const maxExactExponent = 400

// parseExactNumber reads text into r the way int() (whole) or float()
// reads it, for the numbers both agree on: an optional sign, digits, and
// for float() a fraction and an exponent. It reports false for anything
// else (spaces, underscores, hex, inf, nan, a huge exponent), which the
// float64 path then handles exactly as before.
func parseExactNumber(r *big.Rat, b []byte, whole bool) bool {
	i := 0
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var mant big.Int
	digits, scale := 0, 0
	var small int64
	smallOK := true
	addDigit := func(d byte) {
		digits++
		if digits > maxExactDigits {
			return
		}
		if smallOK && small < (1<<62)/10 {
			small = small*10 + int64(d-'0')
			return
		}
		if smallOK {
			mant.SetInt64(small)
			smallOK = false
		}
		mant.Mul(&mant, bigTen)
		mant.Add(&mant, big.NewInt(int64(d-'0')))
	}
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		addDigit(b[i])
	}
	if !whole && i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			addDigit(b[i])
			scale++
		}
	}
	if digits == 0 || digits > maxExactDigits {
		return false
	}
	exp := 0
	if !whole && i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		start := i
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if exp = exp*10 + int(b[i]-'0'); exp > maxExactExponent {
				return false
			}
		}
		if i == start {
			return false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(b) {
		return false
	}
	if smallOK {
		mant.SetInt64(small)
	}
	if whole && mant.BitLen() > 63 {
		return false // int() would fail on it: let the float path say so
	}
	if neg {
		mant.Neg(&mant)
	}
	exp -= scale
	if exp < -2*maxExactExponent || exp > maxExactExponent {
		return false
	}
	r.SetInt(&mant)
	if exp != 0 {
		var p big.Int
		p.Exp(bigTen, big.NewInt(int64(abs(exp))), nil)
		var pr big.Rat
		pr.SetInt(&p)
		if exp > 0 {
			r.Mul(r, &pr)
		} else {
			r.Quo(r, &pr)
		}
	}
	return true
}

// maxExactDigits bounds the digits of a number read exactly, for the same
// reason; money and counts have far fewer.
const maxExactDigits = 100

var bigTen = big.NewInt(10)

// ExactState is one VU's scratch space for Exact: a stack of rationals and
// a buffer, reused from one evaluation to the next. Not safe for
// concurrent use.
type ExactState struct {
	stack []big.Rat
	buf   []byte
	q, r  big.Int
}

// AppendRounded evaluates e over the VU's variables and appends the result
// rounded to scale places with mode. ok is false when a variable's text is
// not a number int() or float() reads exactly, or when a divisor is zero:
// the caller then evaluates the expression with float64, which gives what
// it always gave (an error, or ±Inf). A nil Exact (an expression that is
// not pure arithmetic) reports false too.
func (e *Exact) AppendRounded(dst []byte, st *ExactState, s Scope, mode string, scale int) (out []byte, ok bool) {
	if e == nil {
		return dst, false
	}
	if cap(st.stack) < len(e.ops) {
		st.stack = make([]big.Rat, len(e.ops))
	}
	stack := st.stack[:cap(st.stack)]
	n := 0
	for i := range e.ops {
		op := &e.ops[i]
		switch op.kind {
		case exLit:
			stack[n].Set(op.lit)
			n++
		case exVar:
			st.buf = s.AppendValue(st.buf[:0], op.slot, op.field)
			if !parseExactNumber(&stack[n], st.buf, op.whole) {
				return dst, false
			}
			n++
		case exNeg:
			stack[n-1].Neg(&stack[n-1])
		default:
			a, b := &stack[n-2], &stack[n-1]
			switch op.kind {
			case exAdd:
				a.Add(a, b)
			case exSub:
				a.Sub(a, b)
			case exMul:
				a.Mul(a, b)
			case exDiv:
				if b.Sign() == 0 {
					return dst, false
				}
				a.Quo(a, b)
			}
			n--
		}
	}
	return appendRoundedRat(dst, &stack[0], mode, scale, st), true
}

// appendRoundedRat appends x rounded to scale decimal places (0..32) with
// mode, in the form Round gives: exactly scale decimals, no exponent, no
// sign on zero.
func appendRoundedRat(dst []byte, x *big.Rat, mode string, scale int, st *ExactState) []byte {
	scale = min(max(scale, 0), maxScale)
	neg := x.Sign() < 0
	q, r := &st.q, &st.r
	q.Abs(x.Num())
	if scale > 0 {
		var p big.Int
		p.Exp(bigTen, big.NewInt(int64(scale)), nil)
		q.Mul(q, &p)
	}
	q.QuoRem(q, x.Denom(), r)
	if r.Sign() != 0 {
		// Compare the remainder with half the divisor: 2r against d.
		var twice big.Int
		twice.Lsh(r, 1)
		half := twice.Cmp(x.Denom())
		var up bool
		switch mode {
		case RoundUp:
			up = true
		case RoundDown:
		case RoundCeiling:
			up = !neg
		case RoundFloor:
			up = neg
		case RoundHalfDown:
			up = half > 0
		case RoundHalfEven:
			up = half > 0 || half == 0 && q.Bit(0) == 1
		default: // RoundHalfUp, and anything the parser should have rejected
			up = half >= 0
		}
		if up {
			q.Add(q, big.NewInt(1))
		}
	}
	digits := q.Append(st.buf[:0], 10)
	st.buf = digits
	if neg && q.Sign() != 0 {
		dst = append(dst, '-')
	}
	if len(digits) <= scale {
		dst = append(dst, '0')
		if scale > 0 {
			dst = append(dst, '.')
		}
		for range scale - len(digits) {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	if scale > 0 {
		dst = append(dst, '.')
		dst = append(dst, digits[len(digits)-scale:]...)
	}
	return dst
}
