package scenario

import (
	"errors"
	"strings"

	"github.com/expr-lang/expr"
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
		} else {
			env[s.Name] = ""
		}
	}
	env["env"] = map[string]string{}
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
	opts := []expr.Option{expr.Env(env)}
	if boolean {
		opts = append(opts, expr.AsBool())
	}
	p, err := expr.Compile(e.Source, opts...)
	if err != nil {
		c.exprError(e, ctx, env, err)
		return nil
	}
	return &Program{Src: e.Source, Pos: e.Pos, P: p}
}

// exprError turns an expr compile error into a positioned Error with a
// caret at the offending column and a did-you-mean for unknown names.
func (c *caseCompiler) exprError(e *Expr, ctx exprContext, env map[string]any, err error) {
	pos, msg := e.Pos, err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		if fe.Line <= 1 && pos.Line > 0 {
			pos.Col += fe.Column
		}
	}
	hint := ""
	if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
		names := make([]string, 0, len(env))
		for k := range env {
			names = append(names, k)
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

// exprKeywords are words of expr-lang's grammar; a variable cannot have
// one as its name and still be used in an expression.
var exprKeywords = []string{"true", "false", "nil", "in", "not", "and", "or", "matches", "contains", "startsWith", "endsWith", "let", "if", "else", "then"}

// reservedName says why a variable cannot be called name, or "".
func reservedName(name string) string {
	switch {
	case contains(ResponseNames, name):
		return "checks use it for the response"
	case contains(exprKeywords, name):
		return "it is a word of the expression language"
	case contains(exprbuiltin.Names, name):
		return "it is a function of the expression language (" + name + "())"
	}
	return ""
}
