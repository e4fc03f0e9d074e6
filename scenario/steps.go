package scenario

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/perfcase/perfcase/metrics"
)

// stepKindKeys are the keys that say what a step is; a step has exactly one.
var stepKindKeys = []string{"http", "tcp", "udp", "ws", "hls", "flv", "rtmp", "mqtt", "think", "transaction", "loop", "break", "if", "set", "rendezvous", "weighted", "throughput", "plugin", "cookies", "metric", "together"}

// stepModifiers lists, per kind key, the other keys a step of that kind may
// carry.
var stepModifiers = map[string][]string{
	"http":        {"check", "check_mode", "soft_check", "retry", "extract", "continue_on_failure", "kpis", "disabled"},
	"tcp":         {"check", "check_mode", "soft_check", "retry", "extract", "continue_on_failure", "kpis", "disabled"},
	"udp":         {"check", "check_mode", "soft_check", "retry", "extract", "continue_on_failure", "kpis", "disabled"},
	"ws":          {"check", "check_mode", "soft_check", "extract", "continue_on_failure", "kpis", "disabled"},
	"hls":         {"continue_on_failure", "kpis", "disabled"},
	"flv":         {"continue_on_failure", "kpis", "disabled"},
	"rtmp":        {"continue_on_failure", "kpis", "disabled"},
	"mqtt":        {"check", "check_mode", "soft_check", "extract", "continue_on_failure", "kpis", "disabled"},
	"think":       {"disabled"},
	"transaction": {"disabled"},
	"loop":        {"steps", "disabled"},
	"break":       {"disabled"},
	"if":          {"steps", "elif", "else", "disabled"},
	"set":         {"once", "disabled"},
	"rendezvous":  {"disabled"},
	"weighted":    {"disabled"},
	"throughput":  {"steps", "disabled"},
	"plugin":      {"check", "check_mode", "extract", "continue_on_failure", "disabled"},
	"cookies":     {"disabled"},
	"metric":      {"disabled"},
	"together":    {"name", "disabled"},
}

var allStepKeys = append(append([]string{}, stepKindKeys...),
	"check", "check_mode", "soft_check", "retry", "extract", "continue_on_failure", "kpis", "disabled", "steps", "elif", "else", "once", "name")

// maxDepth bounds nesting of controllers (PerfTest allows 10 levels; a
// little more here), which also keeps the parser's recursion bounded.
const maxDepth = 16

func (w *walker) steps(n *yaml.Node, what string) []*Step {
	return w.stepsAt(n, what, 0)
}

func (w *walker) stepsAt(n *yaml.Node, what string, depth int) []*Step {
	n = w.resolve(n)
	if n == nil || isNull(n) {
		return nil
	}
	if depth > maxDepth {
		w.errorf(n, "flatten the steps or move a part into a transaction", "steps are nested more than %d levels deep", maxDepth)
		return nil
	}
	var out []*Step
	for _, sn := range w.seq(n, what) {
		if s := w.step(sn, depth); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (w *walker) step(n *yaml.Node, depth int) *Step {
	m := w.asMapping(n, "step", allStepKeys...)
	if m == nil {
		return nil
	}
	kinds := m.present(stepKindKeys...)
	if len(kinds) == 0 {
		if len(m.order) == len(m.node.Content)/2 { // no unknown key was reported
			w.errorf(m.node, "", "a step needs one of: %s", strings.Join(stepKindKeys, ", "))
		}
		return nil
	}
	if len(kinds) > 1 {
		w.errs.add(m.keyPos(kinds[1]), "split it into separate steps", "a step can be only one of %s and %s", kinds[0], kinds[1])
		return nil
	}
	kind := kinds[0]
	for _, key := range m.order {
		if key != kind && !contains(stepModifiers[kind], key) {
			w.errs.add(m.keyPos(key), "", "key %q does not apply to a %s step (allowed: %s)", key, kind, strings.Join(stepModifiers[kind], ", "))
		}
	}
	s := &Step{Pos: m.keyPos(kind)}
	if d := m.get("disabled"); d != nil {
		s.Disabled = w.boolean(d, "disabled")
	}
	v := m.get(kind)
	if p := protocolOf(kind); p != NoProtocol && p != PluginProtocol {
		s.Kind, s.Request = StepRequest, w.request(p, v, m, s.Pos)
		return s
	}
	switch kind {
	case "plugin":
		s.Kind = StepPlugin
		s.Plugin = w.plugin(v)
		// Plugin steps carry checks and extraction like a request, so
		// they are kept on a request shell with no packet.
		s.Request = w.request(NoProtocol, nil, m, s.Pos)
	case "think":
		s.Kind, s.Think = StepThink, w.think(v)
	case "transaction":
		s.Kind = StepTransaction
		s.Transaction, s.With = w.transactionCall(v)
	case "loop":
		s.Kind, s.Loop = StepLoop, w.loop(v)
		s.Loop.Steps = w.bodySteps(m, "loop", depth)
	case "break":
		s.Kind = StepBreak
		if v != nil && !(v.Tag == "!!bool" && v.Value == "true") {
			src := w.str(v, "break")
			s.Break = w.expr(v, src)
		}
	case "if":
		s.Kind = StepIf
		s.If = &If{Branches: []Branch{{Cond: *w.expr(v, w.str(v, "if")), Steps: w.bodySteps(m, "if", depth)}}}
		for _, en := range w.seq(m.get("elif"), "elif") {
			em := w.asMapping(en, "elif branch", "if", "steps")
			if em == nil {
				continue
			}
			if !em.has("if") {
				w.errorf(em.node, "e.g. elif: [{if: status == 404, steps: [...]}]", "an elif branch needs if:")
				continue
			}
			cn := em.get("if")
			s.If.Branches = append(s.If.Branches, Branch{Cond: *w.expr(cn, w.str(cn, "if")), Steps: w.bodySteps(em, "elif", depth)})
		}
		if e := m.get("else"); e != nil {
			s.If.Else = w.stepsAt(e, "else", depth+1)
		}
	case "set":
		s.Kind, s.Set = StepSet, w.set(v)
		if o := m.get("once"); o != nil {
			s.Set.Once = w.boolean(o, "once")
		}
	case "rendezvous":
		s.Kind, s.Rendezvous = StepRendezvous, w.rendezvous(v)
	case "weighted":
		s.Kind, s.Weighted = StepWeighted, w.weighted(v, depth)
	case "throughput":
		s.Kind, s.Throughput = StepThroughput, w.throughput(v)
		s.Throughput.Steps = w.bodySteps(m, "throughput", depth)
	case "metric":
		s.Kind, s.Metric = StepMetric, w.metric(v)
	case "together":
		s.Kind, s.Together = StepTogether, w.together(v, m, depth)
	case "cookies":
		s.Kind = StepClearCookies
		if a := w.str(v, "cookies"); a != "clear" {
			w.errorf(v, "write cookies: clear; turn the jar off for a whole case with the case's cookies: false", "cookies: %q is not a cookie action (the one there is: clear)", a)
		}
	}
	return s
}

// together reads a together: step, a list of http requests, and its
// name.
func (w *walker) together(v *yaml.Node, m *mapping, depth int) *Together {
	t := &Together{}
	if n := m.get("name"); n != nil {
		t.Name = w.str(n, "name")
	}
	items := w.seq(v, "together")
	for _, item := range items {
		st := w.step(item, depth+1)
		if st == nil {
			continue
		}
		switch {
		case st.Kind != StepRequest || st.Request.Protocol != HTTP:
			w.errs.add(st.Pos, "put it before or after the together: step", "together: holds http requests, which a VU sends at once; a %s step cannot be one", stepKeyOf(st))
			continue
		case st.Request.Retry != (Retry{}):
			w.errs.add(st.Pos, "drop retry, or move the request out of together:", "retry does not apply inside together: (its requests are sent once, at the same time)")
		}
		t.Steps = append(t.Steps, st)
	}
	if len(items) > MaxTogether {
		w.errorf(v, capHint, "together: %d requests are over the cap of %d", len(items), MaxTogether)
	}
	if w.emptyList(v) {
		w.errorf(m.node, "list the http requests to send at once", "together has no requests")
	}
	return t
}

// stepKeyOf is the key a step is written with, for messages.
func stepKeyOf(s *Step) string {
	if s.Kind == StepRequest && s.Request != nil {
		return s.Request.Protocol.String()
	}
	return s.Kind.String()
}

// transactionCall reads transaction: NAME, or {name: NAME, with: {var:
// value}}, a call with arguments.
func (w *walker) transactionCall(v *yaml.Node) (string, []KV) {
	if tv := w.resolve(v); tv == nil || tv.Kind != yaml.MappingNode {
		name := w.str(v, "transaction")
		if name == "" && tv != nil && tv.Kind == yaml.ScalarNode {
			w.errorf(tv, "e.g. transaction: login", "a transaction call needs the transaction's name")
		}
		return name, nil
	}
	m := w.asMapping(v, "transaction", "name", "with")
	if m == nil {
		return "", nil
	}
	if !m.has("name") {
		w.errorf(m.node, "e.g. transaction: {name: login, with: {user: u1}}", "a transaction call needs the transaction's name")
	}
	name := w.str(m.get("name"), "transaction name")
	wn := w.resolve(m.get("with"))
	if wn == nil {
		return name, nil
	}
	if wn.Kind != yaml.MappingNode {
		w.errorf(wn, "e.g. with: {user: u1, pass: \"${password}\"}", "with must be a mapping of variable names to values, got %s", kindName(wn))
		return name, nil
	}
	with := w.kvs(wn, "with")
	for _, kv := range with {
		if !validIdent(kv.Key) {
			w.errs.add(kv.Pos, "use letters, digits and _", "with: %q is not a valid variable name", kv.Key)
		}
	}
	return name, with
}

// bodySteps reads the steps: of a controller, which must not be empty.
func (w *walker) bodySteps(m *mapping, kind string, depth int) []*Step {
	if !m.has("steps") {
		w.errorf(m.node, "add `steps:` under it", "%s needs steps", kind)
		return nil
	}
	steps := w.stepsAt(m.get("steps"), "steps", depth+1)
	if w.emptyList(m.get("steps")) {
		w.errs.add(m.keyPos("steps"), "add at least one step, or remove the "+kind, "%s has no steps", kind)
	}
	return steps
}

var httpKeys = []string{"name", "method", "url", "version", "headers", "query", "body", "json", "form", "multipart", "connect_timeout", "timeout", "redirects", "tls_verify"}
var socketKeys = []string{"name", "address", "payload", "hex", "read", "connect_timeout", "timeout", "close"}
var wsKeys = []string{"name", "url", "headers", "subprotocols", "connect_timeout", "timeout", "tls_verify", "connection", "actions"}

func (w *walker) think(v *yaml.Node) *Think {
	t := &Think{}
	v = w.resolve(v)
	if v == nil {
		return t
	}
	if v.Kind == yaml.ScalarNode {
		t.Min = w.duration(v, "think")
		return t
	}
	m := w.asMapping(v, "think", "min", "max")
	if m == nil {
		return t
	}
	if !m.has("min") || !m.has("max") {
		w.errorf(m.node, "e.g. think: {min: 1s, max: 3s}, or think: 2s", "a random think time needs min and max")
		return t
	}
	t.Min, t.Max = w.duration(m.get("min"), "think min"), w.duration(m.get("max"), "think max")
	if t.Max < t.Min {
		w.errs.add(m.keyPos("max"), "swap them", "think max %v is below min %v", t.Max, t.Min)
	}
	return t
}

func (w *walker) loop(v *yaml.Node) *Loop {
	l := &Loop{}
	v = w.resolve(v)
	if v == nil {
		return l
	}
	if v.Kind == yaml.ScalarNode {
		l.Count = w.nonNegInt(v, "loop count")
		if l.Count == 0 {
			w.errorf(v, "", "loop count must be at least 1")
		}
		return l
	}
	m := w.asMapping(v, "loop", "count", "while", "max")
	if m == nil {
		return l
	}
	if m.has("count") == m.has("while") {
		w.errorf(m.node, "e.g. loop: 3, loop: {count: 3} or loop: {while: 'page != \"\"', max: 100}", "a loop needs count or while (one of them)")
	}
	if c := m.get("count"); c != nil {
		l.Count = w.nonNegInt(c, "loop count")
		if l.Count == 0 {
			w.errorf(c, "", "loop count must be at least 1")
		}
	}
	if wh := m.get("while"); wh != nil {
		l.While = w.expr(wh, w.str(wh, "while"))
	}
	if mx := m.get("max"); mx != nil {
		l.Max = w.nonNegInt(mx, "loop max")
		if !m.has("while") {
			w.errs.add(m.keyPos("max"), "max bounds a while loop; a count loop already stops", "loop max applies to while loops")
		}
	}
	return l
}

// RoundModes are the ways a set: expression's result may be rounded.
var RoundModes = []string{RoundUp, RoundDown, RoundCeiling, RoundFloor, RoundHalfUp, RoundHalfDown, RoundHalfEven}

func (w *walker) set(v *yaml.Node) *Set {
	s := &Set{}
	v = w.resolve(v)
	if v == nil {
		return s
	}
	if v.Kind != yaml.MappingNode {
		w.errorf(v, "write set: {name: value, total: {expr: \"a + b\", round: half_up, scale: 2}}", "set must be a mapping of variable names to values, got %s", kindName(v))
		return s
	}
	nm := w.namedMapping(v, "set", "")
	for _, key := range nm.order {
		k, val := nm.keys[key], nm.get(key)
		a := Assign{Pos: w.pos(k), Var: k.Value}
		if !validIdent(a.Var) {
			w.errorf(k, "use letters, digits and _", "%q is not a valid variable name", a.Var)
			continue
		}
		if val == nil {
			continue
		}
		if val.Kind != yaml.MappingNode {
			if !isNull(val) {
				a.Template, a.Pos = w.str(val, "value"), w.valuePos(val)
			}
			s.Assigns = append(s.Assigns, a)
			continue
		}
		m := w.asMapping(val, "set "+a.Var, "expr", "round", "scale")
		if m == nil {
			continue
		}
		if !m.has("expr") {
			w.errorf(val, "e.g. {expr: \"int(a) + 1\"}", "set %s needs expr", a.Var)
			continue
		}
		ex := m.get("expr")
		a.Expr = w.expr(ex, w.str(ex, "expr"))
		if r := m.get("round"); r != nil {
			a.Round = w.str(r, "round")
			if !contains(RoundModes, a.Round) {
				w.errorf(r, didYouMean(a.Round, RoundModes), "round must be one of: %s", strings.Join(RoundModes, ", "))
			}
		}
		if sc := m.get("scale"); sc != nil {
			a.Scale = w.nonNegInt(sc, "scale")
			if a.Scale > maxScale {
				w.errorf(sc, "", "scale is at most 32 decimal places")
			}
			if a.Round == "" {
				a.Round = RoundHalfUp
			}
		}
		s.Assigns = append(s.Assigns, a)
	}
	if len(s.Assigns) == 0 {
		w.errorf(v, "", "set assigns nothing")
	}
	return s
}

func (w *walker) rendezvous(v *yaml.Node) *Rendezvous {
	r := &Rendezvous{Timeout: 0}
	m := w.asMapping(v, "rendezvous", "name", "users", "timeout")
	if m == nil {
		return r
	}
	r.Name = w.str(m.get("name"), "rendezvous name")
	if !m.has("name") {
		w.errorf(m.node, "add name:", "a rendezvous needs a name")
	}
	if !m.has("users") {
		w.errorf(m.node, "add users: how many VUs to wait for", "a rendezvous needs users")
	}
	r.Users = w.nonNegInt(m.get("users"), "rendezvous users")
	if m.has("users") && r.Users == 0 {
		w.errorf(m.get("users"), "", "rendezvous users must be at least 1")
	}
	if t := m.get("timeout"); t != nil {
		r.Timeout = w.duration(t, "rendezvous timeout")
	}
	return r
}

func (w *walker) weighted(v *yaml.Node, depth int) *Weighted {
	wt := &Weighted{}
	m := w.asMapping(v, "weighted", "mode", "branches")
	if m == nil {
		return wt
	}
	if md := m.get("mode"); md != nil {
		switch s := w.str(md, "mode"); s {
		case "fixed":
			wt.Fixed = true
		case "random":
		default:
			w.errorf(md, "", "weighted mode must be fixed (drawn once per VU) or random (drawn every pass), got %q", s)
		}
	}
	for _, bn := range w.seq(m.get("branches"), "branches") {
		bm := w.asMapping(bn, "branch", "weight", "steps")
		if bm == nil {
			continue
		}
		b := WeightedBranch{Pos: w.pos(bn), Weight: w.nonNegInt(bm.get("weight"), "weight")}
		if b.Weight < 1 || b.Weight > 10000 {
			w.errorf(bn, "PerfTest weights are whole numbers from 1 to 10000", "branch weight must be 1..10000, got %d", b.Weight)
		}
		b.Steps = w.bodySteps(bm, "branch", depth)
		wt.Branches = append(wt.Branches, b)
	}
	if len(wt.Branches) == 0 {
		w.errorf(m.node, "add branches: [{weight: 1, steps: [...]}, ...]", "weighted needs branches")
	}
	return wt
}

func (w *walker) throughput(v *yaml.Node) *Throughput {
	t := &Throughput{}
	m := w.asMapping(v, "throughput", "rps", "percent", "total")
	if m == nil {
		return t
	}
	forms := m.present("rps", "percent", "total")
	if len(forms) != 1 {
		w.errorf(m.node, "e.g. throughput: {rps: 12.5}", "throughput needs exactly one of rps, percent, total")
		return t
	}
	switch forms[0] {
	case "rps":
		t.RPS = w.number(m.get("rps"), "rps")
		if t.RPS <= 0 || t.RPS > MaxTPS {
			w.errorf(m.get("rps"), "PerfTest allows up to 10,000,000", "rps must be above 0 and at most 10000000")
		}
	case "percent":
		t.Percent = w.number(m.get("percent"), "percent")
		if t.Percent <= 0 || t.Percent > 100 {
			w.errorf(m.get("percent"), "", "percent must be above 0 and at most 100")
		}
	case "total":
		t.Total = w.integer(m.get("total"), "total")
		if t.Total < 1 {
			w.errorf(m.get("total"), "", "total must be at least 1")
		}
	}
	return t
}

// metricKinds are the keys of a metric: step that say its kind, each
// holding the expression of the value.
var metricKinds = map[string]metrics.ExtraKind{"counter": metrics.Counter, "gauge": metrics.Gauge, "trend": metrics.Trend}

// metric parses metric: {name: NAME, counter|gauge|trend: EXPR}.
func (w *walker) metric(v *yaml.Node) *Metric {
	mt := &Metric{}
	m := w.asMapping(v, "metric", "name", "counter", "gauge", "trend")
	if m == nil {
		return mt
	}
	if !m.has("name") {
		w.errorf(m.node, "e.g. metric: {name: queue_ms, trend: queue}", "a metric needs a name")
	} else if n := m.get("name"); n != nil {
		mt.Name = w.str(n, "metric name")
		if !validIdent(mt.Name) {
			w.errorf(n, "use letters, digits and _: KPIs name it as NAME.STAT, e.g. queue_ms.tp95", "%q is not a valid metric name", mt.Name)
		} else if metrics.KPIs.Lookup(mt.Name) != nil {
			w.errorf(n, "give the custom metric a name of its own", "%q is a built-in KPI metric", mt.Name)
		}
	}
	kinds := m.present("counter", "gauge", "trend")
	if len(kinds) != 1 {
		w.errorf(m.node, "counter adds values up, gauge keeps the last, trend keeps their distribution: e.g. {name: orders, counter: 1}", "a metric is exactly one of counter, gauge, trend, with the expression of its value")
		return mt
	}
	mt.Kind = metricKinds[kinds[0]]
	vn := m.get(kinds[0])
	mt.Value = w.expr(vn, w.str(vn, kinds[0]))
	return mt
}

// expr records an expression with the position of its first character, so
// that errors inside it can point at the right column.
func (w *walker) expr(n *yaml.Node, src string) *Expr {
	return &Expr{Pos: w.valuePos(n), Source: src}
}
