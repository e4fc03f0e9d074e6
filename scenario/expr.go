package scenario

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	exprbuiltin "github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
)

// exprContext says which names an expression may use besides the VU's
// variables.
type exprContext int

const (
	ctxFlow  exprContext = iota // if, while, break, set: variables only
	ctxCheck                    // response checks: status, body, rt, url, header(), jsonpath()
)

// ResponseNames are the names a check expression can use beside variables.
// They are reserved: a variable cannot be called one of them.
var ResponseNames = []string{"status", "body", "rt", "url", "header", "jsonpath", "env"}

// exprEnv builds the typed environment an expression is compiled against:
// every VU variable is a string (file variables a map of columns), so a
// typo in a name or a type mismatch is a compile error, not a run-time one.
func (c *caseCompiler) exprEnv(ctx exprContext) map[string]any {
	env := make(map[string]any, len(c.slots)+len(ResponseNames))
	for _, s := range c.slots {
		if s.Global != nil && s.Global.Type == VarFile {
			env[s.Name] = map[string]string{}
		} else if s.Builtin != NotBuiltin {
			env[s.Name] = 0
		} else {
			env[s.Name] = ""
		}
	}
	env["env"] = map[string]string{}
	env["cookie"] = func(string) string { return "" }
	if ctx == ctxCheck {
		env["status"] = 0
		env["body"] = ""
		env["rt"] = 0.0
		env["url"] = ""
		env["header"] = func(string) string { return "" }
		env["jsonpath"] = func(string) any { return nil }
	}
	return env
}

// compileExpr compiles e; boolean expressions must yield a bool.
func (c *caseCompiler) compileExpr(e *Expr, ctx exprContext, boolean bool) *Program {
	if e == nil {
		return nil
	}
	if strings.TrimSpace(e.Source) == "" {
		c.errs.add(e.Pos, "write an expression such as status == 200", "empty expression")
		return nil
	}
	env := c.exprEnv(ctx)
	chk := &exprChecker{c: c, e: e}
	opts := []expr.Option{expr.Env(env), expr.Patch(chk)}
	if boolean {
		opts = append(opts, expr.AsBool())
	}
	p, err := expr.Compile(e.Source, opts...)
	if err != nil {
		c.exprError(e, ctx, env, err)
		return nil
	}
	if len(chk.errs) > 0 {
		c.errs = append(c.errs, chk.errs...)
		return nil
	}
	prog := &Program{Src: e.Source, Pos: e.Pos, P: p}
	seen := map[int]bool{}
	for _, name := range chk.names {
		if i, ok := c.slotIdx[name]; ok && !seen[i] {
			seen[i] = true
			prog.Slots = append(prog.Slots, i)
			c.slots[i].Used = true
		}
		switch name {
		case "status":
			prog.Uses |= UsesStatus
		case "body":
			prog.Uses |= UsesBody
		case "rt":
			prog.Uses |= UsesRT
		case "url":
			prog.Uses |= UsesURL
		}
	}
	return prog
}

// exprError turns an expr compile error into a positioned Error with a
// caret at the offending column and a did-you-mean for unknown names.
func (c *caseCompiler) exprError(e *Expr, ctx exprContext, env map[string]any, err error) {
	pos, msg := e.Pos, err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		pos = offsetPos(pos, fe.Line-1, fe.Column)
	}
	hint := ""
	if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
		names := make([]string, 0, len(env))
		for k := range env {
			if suggestible(name, k) {
				names = append(names, k)
			}
		}
		hint = didYouMean(name, names)
		if ctx == ctxFlow && contains(ResponseNames, name) && name != "env" {
			hint = name + " exists only in a request's checks; extract what you need into a variable, then test the variable"
		}
		if hint == "" {
			hint = "define it under variables:, extract it, or set it with a set: step"
		}
	}
	if strings.Contains(msg, "expected bool") {
		hint = "a condition must be true or false, e.g. status == 200"
	}
	c.errs.add(pos, hint, "expression %q: %s", e.Source, msg)
}

// suggestible says whether a did-you-mean for word may offer name: a
// built-in (__VU) only to a word that starts like one, since "skuu" is
// far likelier a misspelt variable than the VU number.
func suggestible(word, name string) bool {
	return !strings.HasPrefix(name, "__") || strings.HasPrefix(word, "_")
}

// exprKeywords are words of expr-lang's grammar; a variable cannot have
// one as its name and still be used in an expression.
var exprKeywords = []string{"true", "false", "nil", "in", "not", "and", "or", "matches", "contains", "startsWith", "endsWith", "let", "if", "else", "then"}

// reservedName says why a variable cannot be called name, or "".
func reservedName(name string) string {
	switch {
	case strings.HasPrefix(name, "__"):
		return "names starting with __ are perfcase's own (" + VUName + ", " + IterName + ")"
	case contains(ResponseNames, name):
		return "checks use it for the response"
	case name == "cookie":
		return "it is a function of perfcase's expressions (cookie(\"name\"))"
	case contains(exprKeywords, name):
		return "it is a word of the expression language"
	case contains(exprbuiltin.Names, name):
		return "it is a function of the expression language (" + name + "())"
	}
	return ""
}

// exprChecker looks inside an expression for what the type checker cannot
// see: environment variables (replaced by their values, as in templates,
// so a missing one is an error now and the run needs no lookups), columns
// of file variables, and constant JSONPath arguments.
type exprChecker struct {
	c     *caseCompiler
	e     *Expr
	errs  ErrorList
	names []string // identifiers the expression reads
}

func (v *exprChecker) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		v.names = append(v.names, n.Value)
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, isStr := n.Property.(*ast.StringNode)
		if !ok || !isStr {
			return
		}
		if id.Value == "env" {
			val, found := v.c.opts.LookupEnv(prop.Value)
			if !found {
				v.report(n, fmt.Sprintf("export %s=... before running, or use a variable and --set", prop.Value), "environment variable %s is not set", prop.Value)
				return
			}
			ast.Patch(node, &ast.StringNode{Value: val})
			return
		}
		if i, ok := v.c.slotIdx[id.Value]; ok {
			if g := v.c.slots[i].Global; g != nil && g.Type == VarFile && len(g.Columns) > 0 && !contains(g.Columns, prop.Value) {
				v.report(n, DidYouMeanOr(prop.Value, g.Columns, "columns: "+strings.Join(g.Columns, ", ")), "file variable %q has no column %q", id.Value, prop.Value)
			}
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if ok && id.Value == "cookie" && v.c.cs.NoCookies {
			v.report(n, "turn the jar back on (drop cookies: false), or read the cookie from a header with extract", "cookie() reads the VU's cookie jar, which case %q does not keep (cookies: false)", v.c.cs.Name)
			return
		}
		if !ok || id.Value != "jsonpath" || len(n.Arguments) != 1 {
			return
		}
		if arg, ok := n.Arguments[0].(*ast.StringNode); ok {
			if _, err := compileJSONPath(arg.Value); err != nil {
				v.report(n, "JSONPath as in RFC 9535, e.g. $.items[0].id", "jsonpath %q: %v", arg.Value, err)
			}
		}
	}
}

func (v *exprChecker) report(n ast.Node, hint, format string, args ...any) {
	pos := v.e.Pos
	if !strings.Contains(v.e.Source, "\n") {
		pos = offsetPos(pos, 0, n.Location().From)
	}
	v.errs.add(pos, hint, "expression %q: "+format, append([]any{v.e.Source}, args...)...)
}
