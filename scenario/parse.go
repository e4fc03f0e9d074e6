package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseFile reads and parses a scenario file, YAML or PerfTest case JSON,
// as Open does with Options.ParseOnly.
func ParseFile(path string) (*File, error) {
	l, err := Open(path, Options{ParseOnly: true})
	if l == nil {
		return nil, err
	}
	return l.File, err
}

func errUnwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Parse parses a scenario from src; path names it in errors and is the base
// for relative data-file paths. It returns every error found, as an
// ErrorList sorted by position, and never panics.
func Parse(path string, src []byte) (*File, error) {
	w := &walker{file: path}
	f := w.parse(src)
	w.errs = w.errs.normalize()
	w.errs.attachSource(path, src)
	if err := w.errs.Err(); err != nil {
		return f, err
	}
	return f, nil
}

func (w *walker) parse(src []byte) *File {
	f := &File{Path: w.file, Pos: Pos{File: w.file, Line: 1, Col: 1}}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			w.errs.add(f.Pos, "start with `name:` and `cases:`; see `perfcase schema` or the README", "the scenario is empty")
			return f
		}
		w.yamlError(err)
		return f
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		w.errorf(&extra, "put one scenario in each file", "a scenario file holds one YAML document; found another")
	} else if err != io.EOF {
		w.yamlError(err)
	}
	if len(doc.Content) == 0 {
		w.errs.add(f.Pos, "start with `name:` and `cases:`", "the scenario is empty")
		return f
	}
	w.root(doc.Content[0], f)
	return f
}

// root reads the scenario's top mapping into f: from a YAML document, or
// from the tree an imported PerfTest case is written as.
func (w *walker) root(root *yaml.Node, f *File) {
	m := w.asMapping(root, "the scenario", "name", "description", "parallel", "variables", "transactions", "before", "after", "cases")
	if m == nil {
		return
	}
	f.Pos = w.pos(m.node)
	if !m.has("name") {
		w.errs.add(f.Pos, "add `name:` at the top; reports are titled with it", "the scenario has no name")
	}
	f.Name = w.str(m.get("name"), "name")
	if n := m.get("description"); n != nil {
		f.Description = w.str(n, "description")
	}
	if n := m.get("parallel"); n != nil {
		f.Parallel = w.boolean(n, "parallel")
	}
	if n := m.get("variables"); n != nil {
		f.Variables = w.variables(n)
	}
	if n := m.get("transactions"); n != nil {
		f.Transactions = w.transactions(n)
	}
	if n := m.get("before"); n != nil {
		f.Before = w.steps(n, "before")
	}
	if n := m.get("after"); n != nil {
		f.After = w.steps(n, "after")
	}
	if n := m.get("cases"); n != nil {
		for _, c := range w.seq(n, "cases") {
			if cs := w.caseNode(c); cs != nil {
				f.Cases = append(f.Cases, cs)
			}
		}
	}
	if m.has("cases") && w.emptyList(m.get("cases")) {
		w.errs.add(m.keyPos("cases"), "add at least one case", "cases is empty")
	}
	if !m.has("cases") {
		w.errs.add(f.Pos, "add `cases:` with at least one case", "the scenario has no cases")
	}
}

// yamlError turns a YAML syntax error into a positioned Error. yaml.v3
// reports "yaml: line N: msg"; keep the line.
func (w *walker) yamlError(err error) {
	msg := err.Error()
	line := 0
	if te, ok := err.(*yaml.TypeError); ok {
		msg = strings.Join(te.Errors, "; ")
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.Index(rest, ":"); i > 0 {
			if _, err := fmt.Sscanf(rest[:i], "%d", &line); err == nil {
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	w.errs.add(Pos{File: w.file, Line: line}, "check indentation, quotes and colons around this line", "invalid YAML: %s", msg)
}

var varKeys = []string{"type", "value", "min", "max", "values", "path", "delimiter", "mode", "share", "sensitive", "once", "on_end"}

func (w *walker) variables(n *yaml.Node) []*Variable {
	m := w.resolve(n)
	if m == nil {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		w.errorf(m, "write `variables:` as a mapping of names to definitions", "variables must be a mapping, got %s", kindName(m))
		return nil
	}
	var out []*Variable
	seen := map[string]bool{}
	nm := w.namedMapping(m, "variables", "")
	for _, key := range nm.order {
		k, v := nm.keys[key], nm.get(key)
		name := key
		if !validIdent(name) {
			w.errorf(k, "use letters, digits and _, starting with a letter or _", "variable name %q is not a valid name", name)
			continue
		}
		if seen[name] {
			w.errorf(k, "rename one of them", "variable %q is defined twice", name)
			continue
		}
		seen[name] = true
		vr := &Variable{Pos: w.pos(k), Name: name, Delimiter: ','}
		if v.Kind == yaml.ScalarNode {
			// Shorthand: `base: http://127.0.0.1:8080` is a text variable.
			vr.Type = VarText
			if !isNull(v) {
				vr.Value = v.Value
			}
			out = append(out, vr)
			continue
		}
		if v.Kind == yaml.SequenceNode {
			vr.Type, vr.Values = VarList, w.strList(v, "variable "+name)
			if len(vr.Values) == 0 {
				w.errorf(v, "give at least one value", "list variable %q is empty", name)
			}
			out = append(out, vr)
			continue
		}
		vm := w.asMapping(v, "variable "+name, varKeys...)
		if vm == nil {
			continue
		}
		typ := "text"
		if t := vm.get("type"); t != nil {
			typ = w.str(t, "type")
		} else {
			switch {
			case vm.has("min") || vm.has("max"):
				typ = "integer"
			case vm.has("values"):
				typ = "list"
			case vm.has("path"):
				typ = "file"
			}
		}
		allowed := map[string][]string{
			"text":    {"type", "value", "sensitive"},
			"integer": {"type", "min", "max", "mode", "share", "sensitive", "once"},
			"list":    {"type", "values", "mode", "share", "sensitive", "once"},
			"file":    {"type", "path", "delimiter", "mode", "share", "sensitive", "once", "on_end"},
		}
		keys, ok := allowed[typ]
		if !ok {
			w.errorf(vm.get("type"), didYouMean(typ, varTypeNames), "unknown variable type %q (expected one of: text, integer, list, file)", typ)
			continue
		}
		for _, key := range vm.order {
			if !contains(keys, key) {
				w.errs.add(vm.keyPos(key), "", "key %q does not apply to a %s variable (allowed: %s)", key, typ, strings.Join(keys, ", "))
			}
		}
		switch typ {
		case "text":
			vr.Type = VarText
			if vv := vm.get("value"); vv != nil && !isNull(vv) {
				vr.Value = w.str(vv, "value")
			}
		case "integer":
			vr.Type = VarInteger
			if !vm.has("min") || !vm.has("max") {
				w.errorf(vm.node, "e.g. {type: integer, min: 1, max: 1000}", "integer variable %q needs min and max", name)
			}
			vr.Min, vr.Max = w.integer(vm.get("min"), "min"), w.integer(vm.get("max"), "max")
			if vr.Min < 0 && vr.Max > math.MaxInt64+vr.Min {
				w.errs.add(vm.keyPos("max"), "narrow the range", "integer variable %q: the range from %d to %d is too wide to count", name, vr.Min, vr.Max)
			}
			if vr.Max < vr.Min {
				w.errs.add(vm.keyPos("max"), "swap them", "integer variable %q: max %d is below min %d", name, vr.Max, vr.Min)
			}
		case "list":
			vr.Type = VarList
			vr.Values = w.strList(vm.get("values"), "values")
			if len(vr.Values) == 0 {
				w.errorf(vm.node, "give values: [a, b, c]", "list variable %q has no values", name)
			}
		case "file":
			vr.Type = VarFile
			vr.Path = w.str(vm.get("path"), "path")
			if vr.Path == "" {
				w.errorf(vm.node, "give path: data/users.csv (relative to the scenario file)", "file variable %q needs a path", name)
			}
			if d := vm.get("delimiter"); d != nil {
				s := w.str(d, "delimiter")
				if s == `\t` {
					s = "\t"
				}
				if r := []rune(s); len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' {
					w.errorf(d, `use one character such as ";" or "\t"`, "delimiter must be one character, got %q", s)
				} else {
					vr.Delimiter = r[0]
				}
			}
		}
		if mv := vm.get("mode"); mv != nil {
			switch s := w.str(mv, "mode"); s {
			case "sequential":
				vr.Mode = Sequential
			case "random":
				vr.Mode = Random
			default:
				w.errorf(mv, didYouMean(s, []string{"sequential", "random"}), "mode must be sequential or random, got %q", s)
			}
		}
		if sv := vm.get("share"); sv != nil {
			switch s := w.str(sv, "share"); s {
			case "case":
				vr.Share = ShareCase
			case "vu":
				vr.Share = ShareVU
			default:
				w.errorf(sv, didYouMean(s, []string{"case", "vu"}), "share must be case (one sequence for all VUs) or vu (each VU its own), got %q", s)
			}
		}
		if sv := vm.get("sensitive"); sv != nil {
			vr.Sensitive = w.boolean(sv, "sensitive")
		}
		if ov := vm.get("once"); ov != nil {
			vr.Once = w.boolean(ov, "once")
		}
		if ev := vm.get("on_end"); ev != nil {
			switch s := w.str(ev, "on_end"); s {
			case "wrap":
			case "stop":
				vr.StopAtEnd = true
				if vr.Mode == Random {
					w.errs.add(vm.keyPos("on_end"), "read the rows in order (mode: sequential), or drop on_end", "on_end: stop needs mode: sequential; random reads never reach an end")
				}
			default:
				w.errorf(ev, didYouMean(s, []string{"stop", "wrap"}), "on_end must be wrap (start again from the first row) or stop (the VU stops), got %q", s)
			}
		}
		out = append(out, vr)
	}
	return out
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func (w *walker) transactions(n *yaml.Node) []*Transaction {
	m := w.resolve(n)
	if m == nil {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		w.errorf(m, "write `transactions:` as a mapping of names to step lists", "transactions must be a mapping, got %s", kindName(m))
		return nil
	}
	var out []*Transaction
	seen := map[string]bool{}
	nm := w.namedMapping(m, "transactions", "")
	for _, key := range nm.order {
		k, v := nm.keys[key], nm.get(key)
		if seen[k.Value] {
			w.errorf(k, "rename one of them", "transaction %q is defined twice", k.Value)
			continue
		}
		seen[k.Value] = true
		t := &Transaction{Pos: w.pos(k), Name: k.Value}
		if t.Name == "" {
			w.errorf(k, "", "a transaction needs a name")
		}
		if v.Kind == yaml.SequenceNode {
			t.Steps = w.steps(v, "transaction "+k.Value)
		} else if tm := w.asMapping(v, "transaction "+k.Value, "description", "steps", "kpis"); tm != nil {
			if d := tm.get("description"); d != nil {
				t.Description = w.str(d, "description")
			}
			t.Steps = w.steps(tm.get("steps"), "steps")
			if kn := tm.get("kpis"); kn != nil {
				t.KPIs = w.kpiList(kn, "kpis")
			}
		}
		if len(t.Steps) == 0 {
			w.errorf(k, "give it at least one step", "transaction %q has no steps", k.Value)
		}
		out = append(out, t)
	}
	return out
}

var caseKeys = []string{"name", "description", "labels", "disabled", "doc", "setup", "steps", "stages", "kpis", "sla", "user_replicas", "pacing", "log_policy", "cookies"}

func (w *walker) caseNode(n *yaml.Node) *Case {
	m := w.asMapping(n, "case", caseKeys...)
	if m == nil {
		return nil
	}
	c := &Case{Pos: w.pos(m.node)}
	if !m.has("name") {
		w.errorf(m.node, "add `name:`", "a case needs a name")
	}
	c.Name = w.str(m.get("name"), "name")
	if d := m.get("description"); d != nil {
		c.Description = w.str(d, "description")
	}
	if l := m.get("labels"); l != nil {
		c.Labels = w.strList(l, "labels")
	}
	if d := m.get("disabled"); d != nil {
		c.Disabled = w.boolean(d, "disabled")
	}
	if d := m.get("doc"); d != nil {
		c.Doc = w.caseDoc(d)
	}
	if s := m.get("setup"); s != nil {
		c.Setup = w.steps(s, "setup")
	}
	if !m.has("steps") {
		w.errorf(m.node, "add `steps:` with the requests one pass makes", "case %q has no steps", c.Name)
	}
	c.Steps = w.steps(m.get("steps"), "steps")
	if m.has("steps") && w.emptyList(m.get("steps")) && !c.Disabled {
		w.errs.add(m.keyPos("steps"), "add the requests one pass makes", "case %q has no steps", c.Name)
	}
	if s := m.get("stages"); s != nil {
		for _, sn := range w.seq(s, "stages") {
			if st := w.stage(sn); st != nil {
				c.Stages = append(c.Stages, st)
			}
		}
	}
	if m.has("stages") && w.emptyList(m.get("stages")) && !c.Disabled {
		w.errs.add(m.keyPos("stages"), "add e.g. {concurrency: 10, duration: 1m}", "case %q has no stages", c.Name)
	}
	if !m.has("stages") && !c.Disabled {
		w.errorf(m.node, "add e.g. `stages: [{concurrency: 10, duration: 1m}]`", "case %q has no stages", c.Name)
	}
	if k := m.get("kpis"); k != nil {
		c.KPIs = w.kpiList(k, "kpis")
	}
	if s := m.get("sla"); s != nil {
		for _, rn := range w.seq(s, "sla") {
			if r := w.slaRule(rn); r != nil {
				c.SLA = append(c.SLA, r)
			}
		}
	}
	if r := m.get("user_replicas"); r != nil {
		c.Replicas = w.nonNegInt(r, "user_replicas")
	}
	if p := m.get("pacing"); p != nil {
		c.Pacing = w.duration(p, "pacing")
	}
	if ck := m.get("cookies"); ck != nil {
		c.NoCookies = !w.boolean(ck, "cookies")
	}
	c.LogPolicy = "request"
	if p := m.get("log_policy"); p != nil {
		switch s := w.str(p, "log_policy"); s {
		case "request", "case":
			c.LogPolicy = s
		default:
			w.errorf(p, "", "log_policy must be request or case, got %q", s)
		}
	}
	return c
}

var docStatuses = []string{"new", "designing", "testing", "done"}

func (w *walker) caseDoc(n *yaml.Node) CaseDoc {
	var d CaseDoc
	m := w.asMapping(n, "doc", "preparation", "rank", "status", "steps")
	if m == nil {
		return d
	}
	if p := m.get("preparation"); p != nil {
		d.Preparation = w.str(p, "preparation")
	}
	if r := m.get("rank"); r != nil {
		s := w.str(r, "rank")
		if len(s) == 2 && (s[0] == 'L' || s[0] == 'l') && s[1] >= '0' && s[1] <= '4' {
			d.Rank = int(s[1] - '0')
		} else {
			w.errorf(r, "", "rank must be one of L0, L1, L2, L3, L4, got %q", s)
		}
	}
	if s := m.get("status"); s != nil {
		d.Status = w.str(s, "status")
		if !contains(docStatuses, d.Status) {
			w.errorf(s, didYouMean(d.Status, docStatuses), "doc status must be one of: %s", strings.Join(docStatuses, ", "))
		}
	}
	for _, sn := range w.seq(m.get("steps"), "doc steps") {
		sm := w.asMapping(sn, "doc step", "step", "expect")
		if sm == nil {
			continue
		}
		var st ManualStep
		if v := sm.get("step"); v != nil {
			st.Step = w.str(v, "step")
		}
		if v := sm.get("expect"); v != nil {
			st.Expect = w.str(v, "expect")
		}
		d.Steps = append(d.Steps, st)
	}
	return d
}

// jsonText turns a YAML value (json: body) into compact JSON text, keeping
// key order and turning YAML scalars into the JSON types they look like.
func (w *walker) jsonText(n *yaml.Node) string {
	var buf bytes.Buffer
	w.writeJSON(&buf, n, 0)
	return buf.String()
}

func (w *walker) writeJSON(buf *bytes.Buffer, n *yaml.Node, depth int) {
	n = w.resolve(n)
	if n == nil {
		buf.WriteString("null")
		return
	}
	if depth > 100 {
		w.errorf(n, "", "json body is nested too deeply")
		buf.WriteString("null")
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		nm := w.namedMapping(n, "json object", "")
		for i, key := range nm.order {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, key)
			buf.WriteByte(':')
			w.writeJSON(buf, nm.vals[key], depth+1)
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			w.writeJSON(buf, c, depth+1)
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			buf.WriteString("null")
		case "!!bool":
			if w.boolean(n, "json value") {
				buf.WriteString("true")
			} else {
				buf.WriteString("false")
			}
		case "!!int", "!!float":
			// YAML spells numbers more ways than JSON (0x1F, 1_000, .5);
			// decode and re-encode so the server gets a JSON number.
			var v any
			if err := n.Decode(&v); err != nil {
				writeJSONString(buf, n.Value)
				break
			}
			b, err := json.Marshal(v)
			if err != nil {
				w.errorf(n, "JSON has no infinity or NaN; quote it to send text", "json value %s is not a JSON number", n.Value)
				buf.WriteString("null")
				break
			}
			buf.Write(b)
		default:
			writeJSONString(buf, n.Value)
		}
	default:
		buf.WriteString("null")
	}
}

// writeJSONString writes s as a JSON string without HTML escaping, so that
// "<" or "&" in a body reach the server as written.
func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode adds a newline
}
