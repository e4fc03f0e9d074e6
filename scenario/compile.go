package scenario

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"

	"github.com/theory/jsonpath"

	"github.com/perfcase/perfcase/metrics"
)

// Options are what loading and compiling take from outside the file.
type Options struct {
	// LookupEnv resolves ${env.NAME}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Set overrides global variables by name (--set name=value); a name
	// the file does not define becomes a text variable.
	Set map[string]string
	// ReadFile reads data files (CSV, multipart uploads); nil means reading
	// regular files only, of at most MaxDataFileSize (CSV) or
	// MaxPartFileSize (multipart) bytes. Paths are relative to the
	// scenario file.
	ReadFile func(string) ([]byte, error)
	// Stdin is what the scenario name "-" reads; nil means os.Stdin.
	Stdin io.Reader
	// MaxFileSize bounds the scenario file; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// ParseOnly stops Open after the checks of the file's own text, as
	// export needs: names, expressions and data files are not looked at.
	ParseOnly bool
	// Importers are the formats besides YAML that Open reads, asked in
	// order whether a file is theirs; nil reads YAML only.
	Importers []Importer
	// As reads the scenario with this importer whatever its content, as
	// perfcase import does, so that a broken document is reported in its
	// format's terms; nil lets Importers decide.
	As Importer
}

// Load reads, parses and compiles a scenario file, YAML or a format of
// opts.Importers, as Open does, and returns its Plan.
func Load(path string, opts Options) (*Plan, error) {
	l, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	return l.Plan, nil
}

// Compile resolves and checks a parsed file and builds its Plan. Every
// error is reported, sorted by position; nothing in the Plan is usable if
// an error is returned.
func Compile(f *File, opts Options) (*Plan, error) {
	return compile(f, opts, nil)
}

// compile is Compile; src, when given, is the file's text, shown under
// errors (else the file is read again for that).
func compile(f *File, opts Options, src []byte) (*Plan, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	c := &compiler{f: f, opts: opts, dir: filepath.Dir(f.Path), txns: map[string]*Transaction{}, txnUsed: map[string]bool{}}
	p := &Plan{Name: f.Name, Description: f.Description, Source: f.Path, Parallel: f.Parallel}
	c.loadGlobals()
	c.checkCaps()
	for _, t := range f.Transactions {
		c.txns[t.Name] = t
	}
	c.checkTransactionGraph()
	if len(f.Before) > 0 {
		p.Before = c.compileCase(c.hookCase(BeforeName, f.Before))
		for _, s := range p.Before.Slots {
			if s.Global == nil && s.Builtin == NotBuiltin {
				c.beforeVars = append(c.beforeVars, s.Name)
			}
		}
	}
	names := map[string]Pos{}
	for _, cs := range f.Cases {
		if prev, dup := names[cs.Name]; dup && cs.Name != "" {
			c.errs.add(cs.Pos, "give each case its own name", "case %q is defined twice (first at %s)", cs.Name, prev)
		}
		if (cs.Name == BeforeName && len(f.Before) > 0) || (cs.Name == AfterName && len(f.After) > 0) {
			c.errs.add(cs.Pos, "rename the case", "case %q has the name the file's %s: steps are reported under", cs.Name, cs.Name)
		}
		names[cs.Name] = cs.Pos
		p.Cases = append(p.Cases, c.compileCase(cs))
	}
	if len(f.After) > 0 {
		p.After = c.compileCase(c.hookCase(AfterName, f.After))
	}
	c.checkUnusedTransactions()
	c.refuseCustomKPIs()
	c.errs = c.errs.normalize()
	if src == nil {
		src, _ = c.readData(f.Path, DefaultMaxFileSize)
	}
	c.errs.attachSource(f.Path, src)
	secrets := secrets(c.globals)
	c.errs.redact(secrets)
	c.warnings.redact(secrets)
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	p.Warnings = c.warnings
	return p, nil
}

// The names the test-wide before: and after: steps run and are reported
// under, as cases of their own.
const (
	BeforeName = "before"
	AfterName  = "after"
)

// hookCase is the case test-wide steps run as: one VU, one pass.
func (c *compiler) hookCase(name string, steps []*Step) *Case {
	pos := steps[0].Pos
	return &Case{Pos: pos, Name: name, Steps: steps,
		Stages: []*Stage{{Pos: pos, Mode: ModeConcurrency, VUs: 1, StartVUs: 1, Count: 1}}}
}

type compiler struct {
	f *File
	// beforeVars are the variables the before: steps extract or set,
	// which every case and the after: steps may read.
	beforeVars []string
	opts       Options
	dir        string
	errs       ErrorList
	warnings   ErrorList
	globals    []*VarData
	txns       map[string]*Transaction
	txnUsed    map[string]bool
	// txnBad marks transactions in a cycle, so each cycle is reported once
	// and compiling does not recurse forever.
	txnBad map[string]bool
	// metricKinds are the kinds of the custom metrics the cases compiled
	// so far define, by name, with the first case that did: one name is
	// one kind across cases, as the live outputs export it under one
	// name whose type follows the kind.
	metricKinds map[string]metricKind
}

type metricKind struct {
	kind     metrics.ExtraKind
	caseName string
}

// readData reads a file the scenario names, within limit bytes unless
// the caller supplied its own reader.
func (c *compiler) readData(path string, limit int64) ([]byte, error) {
	if c.opts.ReadFile != nil {
		return c.opts.ReadFile(path)
	}
	return ReadDataFile(path, limit)
}

// dataError says why a data file cannot be read, with a hint that fits.
func dataError(err error) (msg, hint string) {
	var le *fileLimitError
	if errors.As(err, &le) {
		return le.msg, le.hint
	}
	return errUnwrapPath(err).Error(), "the path is relative to the scenario file"
}

func (c *compiler) dataPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *compiler) loadGlobals() {
	defined := map[string]bool{}
	for _, v := range c.f.Variables {
		defined[v.Name] = true
		if reason := reservedName(v.Name); reason != "" {
			c.errs.add(v.Pos, "rename the variable", "variable name %q is reserved: %s", v.Name, reason)
		}
		d := &VarData{Name: v.Name, Type: v.Type, Mode: v.Mode, Share: v.Share, Once: v.Once, Sensitive: v.Sensitive, StopAtEnd: v.StopAtEnd, Min: v.Min, Max: v.Max}
		if val, ok := c.opts.Set[v.Name]; ok {
			d.Type, d.Values = VarText, []string{val}
			c.globals = append(c.globals, d)
			continue
		}
		switch v.Type {
		case VarText:
			d.Values = []string{v.Value}
		case VarList:
			d.Values = v.Values
		case VarFile:
			c.loadCSV(v, d)
		}
		c.globals = append(c.globals, d)
	}
	for _, name := range sortedKeys(c.opts.Set) {
		if defined[name] {
			continue
		}
		if !validIdent(name) {
			c.errs.add(Pos{File: "--set"}, "use letters, digits and _", "--set %s: not a valid variable name", name)
			continue
		}
		if reason := reservedName(name); reason != "" {
			c.errs.add(Pos{File: "--set"}, "use another name", "--set %s: the name is reserved: %s", name, reason)
			continue
		}
		c.globals = append(c.globals, &VarData{Name: name, Type: VarText, Values: []string{c.opts.Set[name]}})
	}
}

// loadCSV reads a file variable: the header row names the columns, every
// other row is a value. A file that cannot be read fails the compile.
func (c *compiler) loadCSV(v *Variable, d *VarData) {
	path := c.dataPath(v.Path)
	data, err := c.readData(path, MaxDataFileSize)
	if err != nil {
		msg, hint := dataError(err)
		c.errs.add(v.Pos, hint, "variable %s: cannot read %s: %s", v.Name, v.Path, msg)
		return
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = v.Delimiter
	header, err := r.Read()
	if err != nil {
		msg := "the file is empty"
		if err != io.EOF {
			msg = err.Error()
		}
		c.errs.add(v.Pos, "the first row must name the columns, e.g. user,password", "variable %s: %s: %s", v.Name, v.Path, msg)
		return
	}
	for i, col := range header {
		header[i] = strings.TrimSpace(col)
		if !validIdent(header[i]) {
			c.errs.add(v.Pos, "column names are used as ${"+v.Name+".column}: letters, digits and _", "variable %s: %s: column %d is named %q", v.Name, v.Path, i+1, col)
		}
	}
	d.Columns = header
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				c.errs.add(v.Pos, fmt.Sprintf("every row needs %d fields, like the header", len(header)), "variable %s: %s:%d: %v", v.Name, v.Path, pe.Line, pe.Err)
			} else {
				c.errs.add(v.Pos, "", "variable %s: %s: %v", v.Name, v.Path, err)
			}
			return
		}
		d.Rows = append(d.Rows, row)
	}
	if len(d.Rows) == 0 {
		c.errs.add(v.Pos, "add rows below the header", "variable %s: %s has a header but no rows", v.Name, v.Path)
	}
}

// checkTransactionGraph reports references to undefined transactions and
// cycles, each at the reference that closes it.
func (c *compiler) checkTransactionGraph() {
	c.txnBad = map[string]bool{}
	state := map[string]int{} // 0 new, 1 on the stack, 2 done
	var visit func(t *Transaction)
	visit = func(t *Transaction) {
		state[t.Name] = 1
		walkSteps(t.Steps, func(s *Step) {
			if s.Kind != StepTransaction {
				return
			}
			next, ok := c.txns[s.Transaction]
			if !ok {
				return // reported where cases compile it
			}
			switch state[next.Name] {
			case 1:
				c.txnBad[next.Name] = true
				c.errs.add(s.Pos, "a transaction cannot include itself, directly or through others", "transaction cycle: %s includes %s", t.Name, next.Name)
			case 0:
				visit(next)
			}
		})
		state[t.Name] = 2
	}
	for _, t := range c.f.Transactions {
		if state[t.Name] == 0 {
			visit(t)
		}
	}
}

// walkSteps calls fn on every step of a tree, depth first, without
// following transaction references.
func walkSteps(steps []*Step, fn func(*Step)) {
	for _, s := range steps {
		fn(s)
		switch s.Kind {
		case StepLoop:
			walkSteps(s.Loop.Steps, fn)
		case StepIf:
			for _, b := range s.If.Branches {
				walkSteps(b.Steps, fn)
			}
			walkSteps(s.If.Else, fn)
		case StepWeighted:
			for _, b := range s.Weighted.Branches {
				walkSteps(b.Steps, fn)
			}
		case StepThroughput:
			walkSteps(s.Throughput.Steps, fn)
		case StepTogether:
			walkSteps(s.Together.Steps, fn)
		}
	}
}

type caseCompiler struct {
	*compiler
	cs          *Case
	plan        *CasePlan
	slots       []Slot
	slotIdx     map[string]int
	reqIDs      map[string]int
	txnNodes    map[string]*TransactionNode
	txnStack    []string
	loopDepth   int
	controllers int
	// metricIdx and softIdx place the case's custom metrics (by name) and
	// soft checks (by request and check) in plan.Metrics.
	metricIdx map[string]int
	softIdx   map[[2]string]int
	// groupIDs place the series of together: steps, by name, in
	// plan.Transactions.
	groupIDs map[string]int
}

func (c *compiler) compileCase(cs *Case) *CasePlan {
	cp := &CasePlan{Name: cs.Name, Description: cs.Description, Labels: cs.Labels, Disabled: cs.Disabled,
		Replicas: cs.Replicas, Pacing: cs.Pacing, LogPolicy: cs.LogPolicy, Cookies: !cs.NoCookies, Stages: cs.Stages, KPIs: cs.KPIs, SLA: cs.SLA}
	cc := &caseCompiler{compiler: c, cs: cs, plan: cp, slotIdx: map[string]int{}, reqIDs: map[string]int{}, txnNodes: map[string]*TransactionNode{},
		metricIdx: map[string]int{}, softIdx: map[[2]string]int{}, groupIDs: map[string]int{}}
	cc.addGlobalSlots()
	cc.collectLocals(cs.Setup, map[string]bool{})
	cc.collectLocals(cs.Steps, map[string]bool{})
	cp.Setup = cc.nodes(cs.Setup)
	cp.Steps = cc.nodes(cs.Steps)
	cp.KPIs = cc.caseKPIs(cs.KPIs)
	cp.Slots = cc.slots
	cp.Controllers = cc.controllers
	if len(cs.Steps) > 0 && allDisabled(cs.Steps) && !cs.Disabled {
		c.errs.add(cs.Pos, "enable a step, or disable the case", "case %q: every step is disabled", cs.Name)
	}
	for _, r := range cs.SLA {
		for _, name := range r.Requests {
			if _, ok := cc.reqIDs[name]; !ok {
				c.errs.add(r.Pos, DidYouMeanOr(name, sortedKeys(cc.reqIDs), "requests: "+strings.Join(sortedKeys(cc.reqIDs), ", ")), "sla rule %q: no request named %q in case %q", r.Name, name, cs.Name)
			}
		}
	}
	return cp
}

func allDisabled(steps []*Step) bool {
	for _, s := range steps {
		if !s.Disabled {
			return false
		}
	}
	return true
}

// addGlobalSlots gives the case its global variables' slots, then the
// built-in ones, then those the before: steps leave, before any local.
func (cc *caseCompiler) addGlobalSlots() {
	for _, g := range cc.globals {
		cc.addSlot(Slot{Name: g.Name, Global: g})
	}
	cc.addSlot(Slot{Name: VUName, Builtin: BuiltinVU})
	cc.addSlot(Slot{Name: IterName, Builtin: BuiltinIter})
	for _, name := range cc.beforeVars {
		cc.addSlot(Slot{Name: name, FromBefore: true})
	}
}

func (cc *caseCompiler) addSlot(s Slot) {
	if _, ok := cc.slotIdx[s.Name]; ok {
		return
	}
	cc.slotIdx[s.Name] = len(cc.slots)
	cc.slots = append(cc.slots, s)
}

// collectLocals finds the variables a case's steps assign (extraction and
// data instructions), following transactions, so that any step may refer
// to them.
func (cc *caseCompiler) collectLocals(steps []*Step, seen map[string]bool) {
	walkSteps(steps, func(s *Step) {
		switch s.Kind {
		case StepRequest, StepPlugin:
			for _, e := range s.Request.Extract {
				cc.local(e.Var, e.Pos)
			}
		case StepSet:
			for _, a := range s.Set.Assigns {
				cc.local(a.Var, a.Pos)
			}
		case StepTransaction:
			for _, kv := range s.With {
				cc.local(kv.Key, kv.Pos)
			}
			if t, ok := cc.txns[s.Transaction]; ok && !seen[t.Name] {
				seen[t.Name] = true
				cc.collectLocals(t.Steps, seen)
			}
		}
	})
}

func (cc *caseCompiler) local(name string, pos Pos) {
	if reason := reservedName(name); reason != "" {
		cc.errs.add(pos, "rename the variable", "variable name %q is reserved: %s", name, reason)
		return
	}
	if i, ok := cc.slotIdx[name]; ok && cc.slots[i].Global != nil {
		// A step writing a global would make the global's read mode and
		// sharing meaningless for that VU; PerfTest keeps the two apart.
		cc.errs.add(pos, "give the extracted or set variable its own name", "%q is a global variable; extraction and set: assign VU variables only", name)
		return
	}
	cc.addSlot(Slot{Name: name})
}

// resolve implements resolver for the case's templates.
func (cc *caseCompiler) resolve(name, field string) (int, int, string, bool, error) {
	if name == "env" {
		if field == "" {
			return 0, 0, "", false, &hintError{errors.New("${env} needs a variable name"), "write ${env.NAME}"}
		}
		v, ok := cc.opts.LookupEnv(field)
		if !ok {
			return 0, 0, "", false, &hintError{fmt.Errorf("environment variable %s is not set", field), fmt.Sprintf("export %s=... before running, or define a variable and pass --set", field)}
		}
		return 0, 0, v, true, nil
	}
	i, ok := cc.slotIdx[name]
	if !ok {
		names := make([]string, 0, len(cc.slots))
		for _, s := range cc.slots {
			if suggestible(name, s.Name) {
				names = append(names, s.Name)
			}
		}
		return 0, 0, "", false, &hintError{fmt.Errorf("unknown variable %q", name), DidYouMeanOr(name, names, "define it under variables:, extract it, or set it with a set: step")}
	}
	cc.slots[i].Used = true
	g := cc.slots[i].Global
	if g != nil && g.Type == VarText && field == "" {
		// A text variable has one value for the whole run: inline it, so
		// the URL or address it forms is checked now and costs nothing
		// per request.
		return 0, 0, g.Values[0], true, nil
	}
	if g != nil && g.Type == VarFile {
		if field == "" {
			if len(g.Columns) == 1 {
				return i, 0, "", false, nil
			}
			return 0, 0, "", false, &hintError{fmt.Errorf("file variable %q has several columns; name one", name), fmt.Sprintf("columns: %s, e.g. ${%s.%s}", strings.Join(g.Columns, ", "), name, firstOr(g.Columns, "column"))}
		}
		for ci, col := range g.Columns {
			if col == field {
				return i, ci, "", false, nil
			}
		}
		if len(g.Columns) == 0 {
			return i, 0, "", false, nil // the file failed to load; already reported
		}
		return 0, 0, "", false, &hintError{fmt.Errorf("file variable %q has no column %q", name, field), DidYouMeanOr(field, g.Columns, "columns: "+strings.Join(g.Columns, ", "))}
	}
	if field != "" {
		return 0, 0, "", false, &hintError{fmt.Errorf("variable %q has no fields", name), fmt.Sprintf("only file variables have columns; write ${%s}", name)}
	}
	return i, -1, "", false, nil
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// template compiles a template written at pos.
func (cc *caseCompiler) template(src string, pos Pos) *Template {
	t, err := parseTemplate(src, cc)
	if err != nil {
		te := err.(*templateError)
		before := src[:min(te.offset, len(src))]
		nl := strings.LastIndexByte(before, '\n')
		p := offsetPos(pos, strings.Count(before, "\n"), utf8.RuneCountInString(before[nl+1:]))
		cc.errs.add(p, te.hint, "%s (in %q)", te.msg, src)
		return &Template{Src: src, Pos: pos, failed: true}
	}
	t.Pos = pos
	return t
}

func (cc *caseCompiler) nodes(steps []*Step) []Node {
	var out []Node
	for _, s := range steps {
		// A disabled step is checked like any other, but on a throwaway
		// plan: in the real one it would get a series that never gets a
		// sample.
		if s.Disabled {
			cc.checkOnly(func(tmp *caseCompiler) { tmp.node(s) })
			continue
		}
		if n := cc.node(s); n != nil {
			out = append(out, n)
		}
	}
	return out
}

func (cc *caseCompiler) node(s *Step) Node {
	switch s.Kind {
	case StepRequest, StepPlugin:
		return cc.request(s)
	case StepThink:
		return &ThinkNode{Min: s.Think.Min, Max: s.Think.Max}
	case StepTransaction:
		return cc.transaction(s)
	case StepLoop:
		l := &LoopNode{Count: s.Loop.Count, Max: s.Loop.Max}
		l.While = cc.compileExpr(s.Loop.While, ctxFlow, true)
		cc.loopDepth++
		l.Steps = cc.nodes(s.Loop.Steps)
		cc.loopDepth--
		return l
	case StepBreak:
		if cc.loopDepth == 0 {
			cc.errs.add(s.Pos, "put break inside a loop's steps", "break outside a loop")
		}
		return &BreakNode{Cond: cc.compileExpr(s.Break, ctxFlow, true)}
	case StepIf:
		n := &IfNode{}
		for _, b := range s.If.Branches {
			cond := b.Cond
			n.Branches = append(n.Branches, CondBranch{Cond: cc.compileExpr(&cond, ctxFlow, true), Steps: cc.nodes(b.Steps)})
		}
		n.Else = cc.nodes(s.If.Else)
		return n
	case StepSet:
		n := &SetNode{Once: s.Set.Once, Controller: -1}
		if n.Once {
			n.Controller = cc.controller()
		}
		for _, a := range s.Set.Assigns {
			as := AssignSpec{Slot: cc.slotIdx[a.Var], Round: a.Round, Scale: a.Scale}
			if a.Expr != nil {
				as.Expr = cc.compileExpr(a.Expr, ctxFlow, false)
				if as.Expr != nil && a.Round != RoundNone {
					as.Exact = cc.exactFor(a.Expr.Source)
				}
			} else {
				as.Template = cc.template(a.Template, a.Pos)
			}
			n.Assigns = append(n.Assigns, as)
		}
		return n
	case StepRendezvous:
		r := s.Rendezvous
		return &RendezvousNode{Pos: s.Pos, Controller: cc.controller(), Name: r.Name, Users: r.Users, Timeout: r.Timeout}
	case StepWeighted:
		n := &WeightedNode{Controller: cc.controller(), Fixed: s.Weighted.Fixed}
		for _, b := range s.Weighted.Branches {
			n.Weights = append(n.Weights, b.Weight)
			n.Branches = append(n.Branches, cc.nodes(b.Steps))
		}
		return n
	case StepThroughput:
		t := s.Throughput
		return &ThroughputNode{Controller: cc.controller(), RPS: t.RPS, Percent: t.Percent, Total: t.Total, Steps: cc.nodes(t.Steps)}
	case StepMetric:
		return cc.metric(s)
	case StepTogether:
		return cc.together(s)
	case StepClearCookies:
		if cc.cs.NoCookies {
			cc.errs.add(s.Pos, "remove the step, or turn the jar back on (drop cookies: false)", "cookies: clear in case %q, which keeps no cookies (cookies: false)", cc.cs.Name)
		}
		return &CookiesNode{}
	}
	return nil
}

func (cc *caseCompiler) controller() int {
	cc.controllers++
	return cc.controllers - 1
}

// transaction compiles a transaction reference. A transaction used twice
// in a case is compiled once and shares its series; a call with
// arguments is a node of its own around the same steps.
func (cc *caseCompiler) transaction(s *Step) Node {
	n := cc.transactionNode(s)
	if n == nil {
		return nil // undefined, or in a cycle: reported
	}
	if len(s.With) == 0 {
		return n
	}
	call := *n
	for _, kv := range s.With {
		if i, ok := cc.slotIdx[kv.Key]; ok && cc.slots[i].Global == nil {
			call.With = append(call.With, AssignSpec{Slot: i, Template: cc.template(kv.Value, kv.Pos)})
		}
	}
	return &call
}

func (cc *caseCompiler) transactionNode(s *Step) *TransactionNode {
	t, ok := cc.txns[s.Transaction]
	if !ok && s.Transaction == "" {
		return nil // the parser said the name is missing
	}
	if !ok {
		cc.errs.add(s.Pos, DidYouMeanOr(s.Transaction, sortedKeys(cc.txns), "define it under transactions:"), "undefined transaction %q", s.Transaction)
		return nil
	}
	if cc.txnBad[t.Name] || contains(cc.txnStack, t.Name) {
		return nil
	}
	if n, ok := cc.txnNodes[t.Name]; ok {
		return n
	}
	cc.txnUsed[t.Name] = true
	n := &TransactionNode{ID: len(cc.plan.Transactions), Name: t.Name}
	cc.plan.Transactions = append(cc.plan.Transactions, TransactionInfo{Name: t.Name, KPIs: t.KPIs})
	cc.txnNodes[t.Name] = n
	cc.txnStack = append(cc.txnStack, t.Name)
	// A break inside a transaction cannot reach a loop around its use.
	depth := cc.loopDepth
	cc.loopDepth = 0
	n.Steps = cc.nodes(t.Steps)
	cc.loopDepth = depth
	cc.txnStack = cc.txnStack[:len(cc.txnStack)-1]
	return n
}

func (cc *caseCompiler) headers(kvs []KV) []Header {
	out := make([]Header, 0, len(kvs))
	for _, kv := range kvs {
		if kv.Key == "" {
			cc.errs.add(kv.Pos, "give the pair a name", "empty name")
			continue
		}
		out = append(out, Header{Key: kv.Key, Value: cc.template(kv.Value, kv.Pos)})
	}
	return out
}

// headerFields compiles HTTP header pairs, whose names must be tokens.
func (cc *caseCompiler) headerFields(kvs []KV) []Header {
	for _, kv := range kvs {
		if kv.Key != "" && !validToken(kv.Key) {
			cc.errs.add(kv.Pos, "header names are letters, digits and !#$%&'*+-.^_`|~", "%q is not a valid header name", kv.Key)
		}
	}
	return cc.headers(kvs)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (cc *caseCompiler) request(s *Step) Node {
	r := s.Request
	n := &RequestNode{Pos: s.Pos, Protocol: r.Protocol, CheckAny: r.CheckAny, Retry: r.Retry, ContinueOnFailure: r.ContinueOnFailure, KPIs: r.KPIs}
	name := r.Name
	switch {
	case s.Kind == StepPlugin:
		n.Protocol = PluginProtocol
		n.Spec = &PluginSpec{Name: s.Plugin.Name, Params: cc.headers(s.Plugin.Params)}
		name = orDefault(name, "plugin "+s.Plugin.Name)
		cc.warnings.add(s.Pos, "plugin steps are part of the model; running one needs a plugin runtime, planned for a later release", "plugin %q: perfcase has no plugin runtime yet", s.Plugin.Name)
	case r.HTTP != nil:
		sp := cc.httpSpec(r.HTTP)
		if sp.Version == HTTP2Version {
			// A driver of its own: HTTP/2 runs on net/http, HTTP/1.x on
			// fasthttp.
			n.Protocol = HTTP2
		}
		n.Spec = sp
		name = orDefault(name, orDefault(r.HTTP.Method, "GET")+" "+r.HTTP.URL)
	case r.Socket != nil:
		n.Spec = cc.socketSpec(r.Socket)
		name = orDefault(name, r.Protocol.String()+" "+r.Socket.Address)
	case r.WS != nil:
		n.Spec = cc.wsSpec(r.WS)
		name = orDefault(name, "ws "+r.WS.URL)
	case r.Stream != nil:
		n.Spec = cc.streamSpec(r.Protocol, r.Stream)
		name = orDefault(name, r.Protocol.String()+" "+r.Stream.URL)
	case r.MQTT != nil:
		n.Spec = cc.mqttSpec(r.MQTT)
		name = orDefault(name, "mqtt "+r.MQTT.Action.Kind)
	}
	n.Name = name
	id, ok := cc.reqIDs[name]
	if !ok {
		id = len(cc.plan.Requests)
		cc.reqIDs[name] = id
		cc.plan.Requests = append(cc.plan.Requests, RequestInfo{Name: name, Protocol: n.Protocol})
	}
	n.ID = id
	cc.plan.Requests[id].KPIs = append(cc.plan.Requests[id].KPIs, r.KPIs...)
	for _, ch := range r.Checks {
		if spec, ok := cc.check(ch, r.Protocol); ok {
			n.Checks = append(n.Checks, spec)
		}
	}
	for _, e := range r.Extract {
		if spec, ok := cc.extract(e); ok {
			n.Extract = append(n.Extract, spec)
		}
	}
	for _, ch := range r.SoftChecks {
		spec, ok := cc.check(ch, r.Protocol)
		if !ok {
			continue
		}
		// One count per request series and check, however many steps of
		// that name carry it.
		key := [2]string{name, spec.Src}
		i, seen := cc.softIdx[key]
		if !seen {
			i = len(cc.plan.Metrics)
			cc.softIdx[key] = i
			cc.plan.Metrics = append(cc.plan.Metrics, metrics.ExtraInfo{Name: spec.Src, Kind: metrics.Rate, Unit: metrics.UnitCount, Series: name})
		}
		n.SoftChecks = append(n.SoftChecks, SoftCheckSpec{CheckSpec: spec, Metric: i})
	}
	return n
}

// together compiles a together: step: its requests, each its own
// series, and the group's series, a transaction's, named by the step or
// after its requests. Steps of one name share the group's series.
func (cc *caseCompiler) together(s *Step) Node {
	t := s.Together
	n := &TogetherNode{Pos: s.Pos}
	var names []string
	for _, st := range cc.nodes(t.Steps) {
		if r, ok := st.(*RequestNode); ok {
			n.Requests = append(n.Requests, r)
			names = append(names, r.Name)
		}
	}
	if len(n.Requests) == 0 {
		if len(t.Steps) > 0 && allDisabled(t.Steps) {
			cc.errs.add(s.Pos, "enable a request, or disable the together: step", "every request of the together: step is disabled")
		}
		return nil
	}
	n.Name = orDefault(t.Name, strings.Join(names, " + "))
	if _, clash := cc.txns[n.Name]; clash {
		cc.errs.add(s.Pos, "give the together: step a name of its own with name:", "together: %q has the name of a transaction, whose series it would share", n.Name)
	}
	id, seen := cc.groupIDs[n.Name]
	if !seen {
		id = len(cc.plan.Transactions)
		cc.groupIDs[n.Name] = id
		cc.plan.Transactions = append(cc.plan.Transactions, TransactionInfo{Name: n.Name, Together: true})
	}
	n.ID = id
	return n
}

// metric compiles a metric: step. Its value is a number written as is,
// a variable read as a number, or else an expression; each metric name
// keeps one kind throughout the case.
func (cc *caseCompiler) metric(s *Step) Node {
	mt := s.Metric
	if mt.Value == nil {
		return nil // the parser said what is missing
	}
	n := &MetricNode{Pos: s.Pos, Name: mt.Name, Slot: -1}
	i, seen := cc.metricIdx[mt.Name]
	if !seen {
		i = len(cc.plan.Metrics)
		cc.metricIdx[mt.Name] = i
		cc.plan.Metrics = append(cc.plan.Metrics, metrics.ExtraInfo{Name: mt.Name, Kind: mt.Kind, Unit: metrics.UnitMilli, Custom: true})
		if cc.cs.Name != "" {
			if cc.metricKinds == nil {
				cc.metricKinds = map[string]metricKind{}
			}
			if other, ok := cc.metricKinds[mt.Name]; !ok {
				cc.metricKinds[mt.Name] = metricKind{mt.Kind, cc.cs.Name}
			} else if other.kind != mt.Kind {
				cc.errs.add(s.Pos, "a metric keeps one kind in the whole scenario, as Prometheus and OTLP export it under one name: rename one of them",
					"metric %q is a %s in case %q, not a %s", mt.Name, other.kind, other.caseName, mt.Kind)
			}
		}
	} else if k := cc.plan.Metrics[i].Kind; k != mt.Kind {
		cc.errs.add(s.Pos, "a metric keeps one kind: rename one of them", "metric %q is a %s elsewhere in case %q, not a %s", mt.Name, k, cc.cs.Name, mt.Kind)
	}
	n.Metric = i
	src := strings.TrimSpace(mt.Value.Source)
	if f, err := strconv.ParseFloat(src, 64); err == nil {
		if !metricValueFits(f) {
			cc.errs.add(mt.Value.Pos, "", "metric %s: %s is out of range (a value is at most %g in size)", mt.Name, src, MaxMetricValue)
		}
		n.Const = f
		return n
	}
	if j, ok := cc.slotIdx[src]; ok {
		n.Slot = j
		cc.slots[j].Used = true
		return n
	}
	n.Value = cc.compileExpr(mt.Value, ctxFlow, false)
	return n
}

// MaxMetricValue is the largest size of a custom metric's value, which
// is kept in thousandths in 64 bits.
const MaxMetricValue = 9e15

// metricValueFits says a custom metric can record f.
func metricValueFits(f float64) bool { return f >= -MaxMetricValue && f <= MaxMetricValue }

// MetricValue is f as a custom metric records it, in thousandths, and
// whether it can (a finite number within MaxMetricValue).
func MetricValue(f float64) (int64, bool) {
	if !metricValueFits(f) {
		return 0, false
	}
	return int64(math.Round(f * 1000)), true
}

// caseKPIs resolves the case's KPIs on custom metrics against its
// metric: steps; the others are kept as they are.
func (cc *caseCompiler) caseKPIs(list []*KPICheck) []*KPICheck {
	if list == nil {
		return nil
	}
	out := make([]*KPICheck, 0, len(list))
	for _, k := range list {
		if k.Def != nil {
			out = append(out, k)
			continue
		}
		name, stat, _ := strings.Cut(k.Metric, ".")
		i, ok := cc.metricIdx[name]
		if !ok {
			cc.errs.add(k.Pos, DidYouMeanOr(name, sortedKeys(cc.metricIdx), "define it with a metric: step, e.g. - metric: {name: "+name+", trend: value}"), "kpi %q: case %q has no custom metric %q", k.Source, cc.cs.Name, name)
			continue
		}
		x := cc.plan.Metrics[i]
		def, ok := metrics.CustomKPI(x, stat)
		if !ok {
			cc.errs.add(k.Pos, "a "+x.Kind.String()+"'s stats: "+strings.Join(metrics.CustomStats(x.Kind), ", "), "kpi %q: %s is a %s, which has no %s", k.Source, name, x.Kind, stat)
			continue
		}
		resolved := *k
		resolved.Def = &def
		out = append(out, &resolved)
	}
	return out
}

// refuseCustomKPIs reports a custom metric's KPI anywhere but a case's
// kpis: requests and transactions judge their own series, and SLA rules
// and probes windows of request counts.
func (c *compiler) refuseCustomKPIs() {
	refuse := func(list []*KPICheck) {
		for _, k := range list {
			if k.Def == nil {
				c.errs.add(k.Pos, "move it to the case's kpis:, which judge the case's custom metrics", "kpi %q: a custom metric's KPI goes under the case's kpis", k.Source)
			}
		}
	}
	requests := func(steps []*Step) {
		walkSteps(steps, func(s *Step) {
			if s.Request != nil {
				refuse(s.Request.KPIs)
			}
		})
	}
	for _, t := range c.f.Transactions {
		refuse(t.KPIs)
		requests(t.Steps)
	}
	requests(c.f.Before)
	requests(c.f.After)
	for _, cs := range c.f.Cases {
		requests(cs.Setup)
		requests(cs.Steps)
		for _, r := range cs.SLA {
			if r.KPI != nil {
				refuse([]*KPICheck{r.KPI})
			}
		}
		for _, st := range cs.Stages {
			refuse(st.KPIs)
		}
	}
}

func (cc *caseCompiler) httpSpec(h *HTTPRequest) *HTTPSpec {
	sp := &HTTPSpec{
		Method:         orDefault(h.Method, "GET"),
		URL:            cc.template(h.URL, h.URLPos),
		Version:        HTTPVersion(h.Version),
		Headers:        cc.headerFields(h.Headers),
		Query:          cc.headers(h.Query),
		BodyKind:       h.BodyKind,
		Form:           cc.headers(h.Form),
		ConnectTimeout: orDefault(h.ConnectTimeout, DefaultConnectTimeout),
		Timeout:        orDefault(h.Timeout, DefaultTimeout),
		MaxRedirects:   h.MaxRedirects,
		TLSVerify:      h.TLSVerify,
	}
	switch {
	case h.MaxRedirects == 0:
		sp.MaxRedirects = DefaultMaxRedirects
	case h.MaxRedirects < 0:
		sp.MaxRedirects = 0
	}
	// An empty URL was reported by the parser as missing.
	if u := sp.URL.Static(); sp.URL.IsStatic() && u != "" {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			cc.errs.add(h.URLPos, "start the URL with http:// or https://", "url %q has no http:// or https:// scheme", u)
		}
	}
	switch h.BodyKind {
	case BodyRaw:
		sp.Body = cc.template(h.Body, h.BodyPos)
	case BodyJSON:
		t, err := compileJSONBody(h.Body, cc)
		if err != nil {
			te := err.(*templateError)
			cc.errs.add(h.BodyPos, te.hint, "json body: %s", te.msg)
			t = &Template{Src: h.Body, failed: true}
		}
		t.Pos = h.BodyPos
		sp.Body = t
	}
	for _, p := range h.Parts {
		ps := PartSpec{Name: p.Name, ContentType: p.ContentType}
		if p.File != "" {
			data, err := cc.readData(cc.dataPath(p.File), MaxPartFileSize)
			if err != nil {
				msg, hint := dataError(err)
				cc.errs.add(p.Pos, hint, "multipart field %s: cannot read %s: %s", p.Name, p.File, msg)
			}
			ps.FileName, ps.Content = filepath.Base(p.File), data
		} else {
			ps.Value = cc.template(p.Value, p.Pos)
		}
		sp.Parts = append(sp.Parts, ps)
	}
	if (sp.Method == "GET" || sp.Method == "HEAD") && h.BodyKind != BodyNone {
		cc.warnings.add(h.BodyPos, "most servers ignore it; use POST or PUT", "%s request with a body", sp.Method)
	}
	return sp
}

func (cc *caseCompiler) socketSpec(s *SocketRequest) *SocketSpec {
	sp := &SocketSpec{
		Address: cc.template(s.Address, s.AddressPos), Payload: cc.template(s.Payload, s.PayloadPos), Hex: s.Hex,
		End: s.End, Length: s.Length, Terminator: s.Terminator, Idle: s.Idle,
		ConnectTimeout: orDefault(s.ConnectTimeout, DefaultConnectTimeout), Timeout: orDefault(s.Timeout, DefaultTimeout), CloseAfter: s.CloseAfter,
	}
	if sp.Hex && sp.Payload.IsStatic() {
		sp.Bytes, _ = hex.DecodeString(strings.Join(strings.Fields(sp.Payload.Static()), "")) // checked by the parser
	}
	if addr := sp.Address.Static(); sp.Address.IsStatic() && addr != "" {
		if _, port, ok := strings.Cut(addr, ":"); !ok || port == "" || strings.Contains(addr, "/") {
			cc.errs.add(s.AddressPos, "write host:port, e.g. 127.0.0.1:9000", "address %q is not host:port", addr)
		}
	}
	return sp
}

func (cc *caseCompiler) wsSpec(w *WSRequest) *WSSpec {
	sp := &WSSpec{URL: cc.template(w.URL, w.URLPos), Headers: cc.headerFields(w.Headers), Subprotocols: w.Subprotocols,
		ConnectTimeout: orDefault(w.ConnectTimeout, DefaultConnectTimeout), Timeout: orDefault(w.Timeout, DefaultTimeout),
		TLSVerify: w.TLSVerify, PerIteration: w.PerIteration}
	if u := sp.URL.Static(); sp.URL.IsStatic() && u != "" {
		if !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
			cc.errs.add(w.URLPos, "start the URL with ws:// or wss://", "url %q has no ws:// or wss:// scheme", u)
		}
	}
	for _, a := range w.Actions {
		as := WSActionSpec{Kind: a.Kind, Binary: a.Binary, Count: a.Count, Max: a.Max, Timeout: a.Timeout, Code: a.Code}
		if a.Kind == "send" || a.Kind == "ping" {
			as.Text = cc.template(a.Text, a.Pos)
		}
		if a.Binary && as.Text.IsStatic() {
			as.Bytes, _ = hex.DecodeString(strings.Join(strings.Fields(as.Text.Static()), "")) // checked by the parser
		}
		as.Until = cc.compileExpr(a.Until, ctxCheck, true)
		sp.Actions = append(sp.Actions, as)
	}
	return sp
}

var statusClass = regexp.MustCompile(`^[1-5]xx$`)

func (cc *caseCompiler) check(ch *Check, proto Protocol) (CheckSpec, bool) {
	sp := CheckSpec{Pos: ch.Pos, Subject: ch.Subject, Arg: ch.Arg, Op: ch.Op, Value: ch.Value, Values: ch.Values}
	if ch.Expr != nil {
		sp.Src = ch.Expr.Source
		sp.Program = cc.compileExpr(ch.Expr, ctxCheck, true)
		if sp.Program != nil {
			if code, ok := statusEquals(sp.Program); ok {
				// The commonest checks run as an integer compare or a byte
				// search rather than through the expression VM, which
				// would need the status boxed and the body copied.
				sp.Program, sp.Subject, sp.Op, sp.Codes = nil, "status", "equals", [][2]int{{code, code}}
			} else if text, ok := bodyContains(sp.Program); ok {
				sp.Program, sp.Subject, sp.Op, sp.Value = nil, "body", "contains", text
			}
		}
		return sp, sp.Program != nil || sp.Subject != ""
	}
	sp.Src = fmt.Sprintf("%s %s %s", ch.Subject, ch.Op, ch.Value)
	if proto != HTTP && proto != NoProtocol && (ch.Subject == "status" || ch.Subject == "header") {
		cc.errs.add(ch.Pos, "TCP, UDP, WebSocket and MQTT checks look at the payload: use body or payload", "a %s check does not apply to %s", ch.Subject, proto)
		return sp, false
	}
	if sp.Subject == "payload" {
		sp.Subject = "body"
	}
	numeric := ch.Op == "lt" || ch.Op == "le" || ch.Op == "gt" || ch.Op == "ge"
	switch ch.Subject {
	case "status":
		for _, v := range append([]string{ch.Value}, ch.Values...) {
			if v == "" {
				continue
			}
			if statusClass.MatchString(v) {
				lo := int(v[0]-'0') * 100
				sp.Codes = append(sp.Codes, [2]int{lo, lo + 99})
				continue
			}
			code, err := strconv.Atoi(v)
			if err != nil || code < 100 || code > 599 {
				cc.errs.add(ch.Pos, "a status is 100..599, or a class such as 2xx", "status check: %q is not a status code", v)
				return sp, false
			}
			sp.Codes = append(sp.Codes, [2]int{code, code})
		}
		if ch.Op == "contains" || ch.Op == "not_contains" || ch.Op == "exists" || ch.Op == "not_exists" {
			cc.errs.add(ch.Pos, "use equals, not_equals, in, lt, le, gt or ge", "status check cannot use %s", ch.Op)
			return sp, false
		}
	case "rt":
		if !numeric {
			cc.errs.add(ch.Pos, "e.g. {rt: true, lt: 300ms}", "rt check needs lt, le, gt or ge")
			return sp, false
		}
		d, err := parseDuration(ch.Value)
		if err != nil {
			cc.errs.add(ch.Pos, "e.g. 300ms", "rt check: %q is not a duration", ch.Value)
			return sp, false
		}
		sp.Num = float64(d) / 1e6
		return sp, true
	case "jsonpath":
		p, err := compileJSONPath(ch.Arg)
		if err != nil {
			cc.errs.add(ch.Pos, "JSONPath as in RFC 9535, e.g. $.items[0].id or $.items[?@.name=='x'].id", "jsonpath %q: %v", ch.Arg, err)
			return sp, false
		}
		sp.Path = p
	}
	if numeric {
		f, err := strconv.ParseFloat(ch.Value, 64)
		if err != nil {
			cc.errs.add(ch.Pos, "", "%s needs a number, got %q", ch.Op, ch.Value)
			return sp, false
		}
		sp.Num = f
	}
	if ch.Op == "matches" {
		re, err := regexp.Compile(ch.Value)
		if err != nil {
			cc.errs.add(ch.Pos, "Go RE2 syntax: https://github.com/google/re2/wiki/Syntax", "regex %q: %v", ch.Value, regexErr(err))
			return sp, false
		}
		sp.Re = re
	}
	return sp, true
}

// statusEquals recognises the expression "status == N" (either way round).
func statusEquals(p *Program) (int, bool) {
	b, ok := p.P.Node().(*ast.BinaryNode)
	if !ok || b.Operator != "==" {
		return 0, false
	}
	id, isID := b.Left.(*ast.IdentifierNode)
	num, isNum := b.Right.(*ast.IntegerNode)
	if !isID {
		id, isID = b.Right.(*ast.IdentifierNode)
		num, isNum = b.Left.(*ast.IntegerNode)
	}
	if !isID || !isNum || id.Value != "status" {
		return 0, false
	}
	return num.Value, true
}

// bodyContains recognises the expression `body contains "text"`.
func bodyContains(p *Program) (string, bool) {
	b, ok := p.P.Node().(*ast.BinaryNode)
	if !ok || b.Operator != "contains" {
		return "", false
	}
	id, isID := b.Left.(*ast.IdentifierNode)
	str, isStr := b.Right.(*ast.StringNode)
	if !isID || !isStr || id.Value != "body" {
		return "", false
	}
	return str.Value, true
}

func regexErr(err error) string {
	var re *syntax.Error
	if errors.As(err, &re) {
		return fmt.Sprintf("%s: %s", re.Code, re.Expr)
	}
	return err.Error()
}

// compileJSONPath accepts RFC 9535 paths and, for PerfTest users, the
// dotted form a.b[0].c, which means $.a.b[0].c.
func compileJSONPath(p string) (*jsonpath.Path, error) {
	if !strings.HasPrefix(p, "$") {
		p = "$." + p
	}
	return jsonpath.Parse(p)
}

func (cc *caseCompiler) extract(e *Extract) (ExtractSpec, bool) {
	sp := ExtractSpec{Pos: e.Pos, Slot: cc.slotIdx[e.Var], Var: e.Var, From: e.From, Header: e.Header, Match: e.Match, Group: e.Group,
		Left: e.Left, Right: e.Right, Default: e.Default, Expect: e.Expect}
	if e.JSONPath != "" {
		p, err := compileJSONPath(e.JSONPath)
		if err != nil {
			cc.errs.add(e.Pos, "JSONPath as in RFC 9535, e.g. $.token or $.items[?@.name=='x'].id", "extract %s: jsonpath %q: %v", e.Var, e.JSONPath, err)
			return sp, false
		}
		sp.Path = p
	}
	if e.Regex != "" {
		re, err := regexp.Compile(e.Regex)
		if err != nil {
			cc.errs.add(e.Pos, "Go RE2 syntax", "extract %s: regex %q: %v", e.Var, e.Regex, regexErr(err))
			return sp, false
		}
		if e.Group > re.NumSubexp() {
			cc.errs.add(e.Pos, "group 0 is the whole match; groups are the (...) in the regex", "extract %s: group %d, but the regex has %d groups", e.Var, e.Group, re.NumSubexp())
			return sp, false
		}
		sp.Re = re
	}
	if e.From == "header" && e.Header == "" {
		cc.errs.add(e.Pos, "add header: Name", "extract %s: which header?", e.Var)
		return sp, false
	}
	return sp, true
}

// checkOnly runs fn on a copy of the case compiler whose plan is thrown
// away, so its errors are reported but it adds nothing to the case.
func (cc *caseCompiler) checkOnly(fn func(*caseCompiler)) {
	tmp := *cc
	tmp.plan = &CasePlan{}
	tmp.reqIDs = map[string]int{}
	tmp.txnNodes = map[string]*TransactionNode{}
	tmp.metricIdx = map[string]int{}
	tmp.softIdx = map[[2]string]int{}
	tmp.groupIDs = map[string]int{}
	fn(&tmp)
}

// checkUnusedTransactions compiles, for their errors only, the
// transactions no case uses. Any variable some step of the file assigns
// counts as defined, since the case that will use the transaction is not
// known.
func (c *compiler) checkUnusedTransactions() {
	var unused []*Transaction
	for _, t := range c.f.Transactions {
		if !c.txnUsed[t.Name] && !c.txnBad[t.Name] {
			unused = append(unused, t)
		}
	}
	if len(unused) == 0 {
		return
	}
	cc := &caseCompiler{compiler: c, cs: &Case{}, plan: &CasePlan{}, slotIdx: map[string]int{}, reqIDs: map[string]int{}, txnNodes: map[string]*TransactionNode{},
		metricIdx: map[string]int{}, softIdx: map[[2]string]int{}, groupIDs: map[string]int{}}
	cc.addGlobalSlots()
	seen := map[string]bool{}
	for _, cs := range c.f.Cases {
		cc.collectLocals(cs.Setup, seen)
		cc.collectLocals(cs.Steps, seen)
	}
	for _, t := range c.f.Transactions {
		cc.collectLocals(t.Steps, seen)
	}
	cc.collectLocals(c.f.After, seen)
	for _, t := range unused {
		cc.transaction(&Step{Pos: t.Pos, Kind: StepTransaction, Transaction: t.Name})
	}
	// collectLocals reports a reserved name again; normalize drops the
	// exact repeat.
}
