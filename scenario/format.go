package scenario

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FormatYAML writes f as perfcase YAML, the way a person would write it:
// defaults left out, short maps (stages, checks, extraction rules) in flow
// style and step lists in block style. Parse(FormatYAML(f)) gives back f,
// positions aside. f must be a File the parser could have produced: a step's
// Kind names the field that is set.
func FormatYAML(f *File) ([]byte, error) {
	fm := &formatter{}
	root := fm.file(f)
	if fm.err != nil {
		return nil, fm.err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("formatting %s as YAML: %w", f.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("formatting %s as YAML: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

type formatter struct {
	err error // the first problem; the rest would repeat it
	// at, when set, places the nodes of an imported File where its
	// values were written (see Source); FormatYAML leaves it nil.
	at Source
}

func (fm *formatter) fail(pos Pos, format string, args ...any) {
	if fm.err == nil {
		fm.err = &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: "the File was not built by the parser; fix the code that built it"}
	}
}

// Node builders. Strings carry the !!str tag, so the encoder quotes any
// that would read back as another type ("true", "10", "null").

func yStr(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func yInt[T ~int | ~int64](n T) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatInt(int64(n), 10)}
}

func yNum(v float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(v, 'f', -1, 64)}
}

func yBool(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func yDur(d time.Duration) *yaml.Node { return yStr(formatDuration(d)) }

// yPlain writes a canonical integer unquoted (status: 200) and anything
// else as a string.
func yPlain(s string) *yaml.Node {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		return yInt(n)
	}
	return yStr(s)
}

// formatDuration is time.Duration.String without the zero tails ("1m"
// rather than "1m0s"); time.ParseDuration reads both exactly.
func formatDuration(d time.Duration) string {
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// ymap builds a mapping; an owned one (mapOf) places its keys and values
// where the formatter's Source says its owner's values were written.
type ymap struct {
	n     *yaml.Node
	fm    *formatter
	owner any
}

func newMap() *ymap { return &ymap{n: &yaml.Node{Kind: yaml.MappingNode}} }

// mapOf is a mapping that writes owner, a node of the File.
func (fm *formatter) mapOf(owner any) *ymap {
	m := &ymap{n: &yaml.Node{Kind: yaml.MappingNode}, fm: fm, owner: owner}
	fm.place(m.n, owner, "")
	return m
}

func (m *ymap) add(key string, v *yaml.Node) *ymap {
	k := yStr(key)
	m.n.Content = append(m.n.Content, k, v)
	if m.fm != nil {
		m.fm.placeKey(k, m.owner, key)
		m.fm.place(v, m.owner, key)
	}
	return m
}

// addNamed adds a value keyed by a name the user chose (a variable, an
// extraction, a header), which owner, the node it writes, came with.
func (m *ymap) addNamed(name string, v *yaml.Node, owner any) *ymap {
	k := yStr(name)
	m.n.Content = append(m.n.Content, k, v)
	if m.fm != nil {
		m.fm.placeKey(k, owner, NameKey)
		m.fm.place(v, owner, "")
	}
	return m
}

// spot is where owner's key was written, if the formatter places nodes
// and its Source knows.
func (fm *formatter) spot(owner any, key string) (Spot, bool) {
	if fm.at == nil {
		return Spot{}, false
	}
	return fm.at.At(owner, key)
}

// place puts n where owner's key was written.
func (fm *formatter) place(n *yaml.Node, owner any, key string) {
	sp, ok := fm.spot(owner, key)
	if !ok {
		return
	}
	n.Line, n.Column = sp.Val.Line, sp.Val.Col
	if sp.Quoted && n.Kind == yaml.ScalarNode {
		// So that positions inside the text (a template's ${) count from
		// after the string's quote, as they do in quoted YAML.
		n.Style = yaml.DoubleQuotedStyle
	}
}

// placeKey puts a key node at the key its value was written under.
func (fm *formatter) placeKey(k *yaml.Node, owner any, key string) {
	sp, ok := fm.spot(owner, key)
	if !ok {
		return
	}
	p := sp.Key
	if p.Line == 0 {
		p = sp.Val
	}
	k.Line, k.Column = p.Line, p.Col
}

// inherit gives every node the formatter could not place the position of
// the nearest one around it: a key its value's, a value its key's, an
// item its list's.
func inherit(n, from *yaml.Node) {
	if n.Line == 0 {
		n.Line, n.Column = from.Line, from.Column
	}
	if n.Kind != yaml.MappingNode {
		for _, c := range n.Content {
			inherit(c, n)
		}
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Line == 0 && v.Line != 0 {
			k.Line, k.Column = v.Line, v.Column
		}
		inherit(k, n)
		inherit(v, k)
	}
}

func (m *ymap) flow() *yaml.Node {
	m.n.Style = yaml.FlowStyle
	return m.n
}

func ySeq(items []*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

func yStrs(list []string, plain bool) *yaml.Node {
	s := ySeq(nil)
	for _, v := range list {
		if plain {
			s.Content = append(s.Content, yPlain(v))
		} else {
			s.Content = append(s.Content, yStr(v))
		}
	}
	s.Style = yaml.FlowStyle
	return s
}

// flowIfShort puts a map or list on one line when it is short and holds
// nothing that needs a block.
func flowIfShort(n *yaml.Node) *yaml.Node {
	if width(n) <= 72 {
		n.Style = yaml.FlowStyle
	}
	return n
}

const tooWide = 1 << 20

func width(n *yaml.Node) int {
	if n.Kind == yaml.ScalarNode {
		if strings.ContainsAny(n.Value, "\n\r") {
			return tooWide
		}
		return len(n.Value) + 4
	}
	w := 2
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode && c.Style != yaml.FlowStyle {
			return tooWide
		}
		w += width(c) + 2
	}
	return w
}

// kvNode writes key/value pairs as a map, or as [{key, value}] when a key
// repeats, which a map cannot hold.
func (fm *formatter) kvNode(list []KV) *yaml.Node {
	seen := map[string]bool{}
	m := fm.mapOf(nil)
	for i, kv := range list {
		if seen[kv.Key] {
			items := ySeq(nil)
			for i, kv := range list {
				items.Content = append(items.Content, fm.mapOf(&list[i]).add("key", yStr(kv.Key)).add("value", yStr(kv.Value)).flow())
			}
			return items
		}
		seen[kv.Key] = true
		m.addNamed(kv.Key, yStr(kv.Value), &list[i])
	}
	return flowIfShort(m.n)
}

func (fm *formatter) file(f *File) *yaml.Node {
	m := fm.mapOf(f).add("name", yStr(f.Name))
	if f.Description != "" {
		m.add("description", yStr(f.Description))
	}
	if f.Parallel {
		m.add("parallel", yBool(true))
	}
	if len(f.Variables) > 0 {
		vm := fm.mapOf(nil)
		for _, v := range f.Variables {
			vm.addNamed(v.Name, fm.variable(v), v)
		}
		m.add("variables", vm.n)
	}
	if len(f.Transactions) > 0 {
		tm := fm.mapOf(nil)
		for _, t := range f.Transactions {
			tm.addNamed(t.Name, fm.transaction(t), t)
		}
		m.add("transactions", tm.n)
	}
	if len(f.Before) > 0 {
		m.add("before", fm.steps(f.Before))
	}
	if len(f.After) > 0 {
		m.add("after", fm.steps(f.After))
	}
	cases := ySeq(nil)
	for _, c := range f.Cases {
		cases.Content = append(cases.Content, fm.caseNode(c))
	}
	m.add("cases", cases)
	return m.n
}

func (fm *formatter) variable(v *Variable) *yaml.Node {
	options := v.Mode != Sequential || v.Share != ShareCase || v.Sensitive || v.Once || v.StopAtEnd
	m := fm.mapOf(v)
	switch v.Type {
	case VarText:
		if !v.Sensitive {
			n := yStr(v.Value)
			fm.place(n, v, "value")
			return n
		}
		m.add("value", yStr(v.Value))
	case VarInteger:
		m.add("min", yInt(v.Min)).add("max", yInt(v.Max))
	case VarList:
		if !options {
			n := yStrs(v.Values, false)
			fm.place(n, v, "values")
			return n
		}
		m.add("values", yStrs(v.Values, false))
	case VarFile:
		m.add("path", yStr(v.Path))
		if v.Delimiter != ',' {
			m.add("delimiter", yStr(string(v.Delimiter)))
		}
	}
	if v.Mode == Random {
		m.add("mode", yStr("random"))
	}
	if v.Share == ShareVU {
		m.add("share", yStr("vu"))
	}
	if v.Sensitive {
		m.add("sensitive", yBool(true))
	}
	if v.Once {
		m.add("once", yBool(true))
	}
	if v.StopAtEnd {
		m.add("on_end", yStr("stop"))
	}
	return m.flow()
}

func (fm *formatter) transaction(t *Transaction) *yaml.Node {
	if t.Description == "" && len(t.KPIs) == 0 {
		n := fm.steps(t.Steps)
		fm.place(n, t, "steps")
		return n
	}
	m := fm.mapOf(t)
	if t.Description != "" {
		m.add("description", yStr(t.Description))
	}
	m.add("steps", fm.steps(t.Steps))
	if len(t.KPIs) > 0 {
		m.add("kpis", kpiNode(t.KPIs))
	}
	return m.n
}

func kpiNode(list []*KPICheck) *yaml.Node {
	return yStrs(KPISources(list), false)
}

func (fm *formatter) caseNode(c *Case) *yaml.Node {
	m := fm.mapOf(c).add("name", yStr(c.Name))
	if c.Description != "" {
		m.add("description", yStr(c.Description))
	}
	if len(c.Labels) > 0 {
		m.add("labels", yStrs(c.Labels, false))
	}
	if c.Disabled {
		m.add("disabled", yBool(true))
	}
	if d := c.Doc; d.Preparation != "" || d.Rank != 0 || d.Status != "" || len(d.Steps) > 0 {
		dm := fm.mapOf(&c.Doc)
		if d.Preparation != "" {
			dm.add("preparation", yStr(d.Preparation))
		}
		if d.Rank != 0 {
			dm.add("rank", yStr(fmt.Sprintf("L%d", d.Rank)))
		}
		if d.Status != "" {
			dm.add("status", yStr(d.Status))
		}
		if len(d.Steps) > 0 {
			steps := ySeq(nil)
			for _, st := range d.Steps {
				steps.Content = append(steps.Content, flowIfShort(newMap().add("step", yStr(st.Step)).add("expect", yStr(st.Expect)).n))
			}
			dm.add("steps", steps)
		}
		m.add("doc", dm.n)
	}
	if len(c.Setup) > 0 {
		m.add("setup", fm.steps(c.Setup))
	}
	m.add("steps", fm.steps(c.Steps))
	if len(c.Stages) > 0 {
		stages := ySeq(nil)
		for _, st := range c.Stages {
			stages.Content = append(stages.Content, fm.stage(st))
		}
		m.add("stages", stages)
	}
	if len(c.KPIs) > 0 {
		m.add("kpis", kpiNode(c.KPIs))
	}
	if len(c.SLA) > 0 {
		sla := ySeq(nil)
		for _, r := range c.SLA {
			sla.Content = append(sla.Content, fm.slaRule(r))
		}
		m.add("sla", sla)
	}
	if c.Replicas != 0 {
		m.add("user_replicas", yInt(c.Replicas))
	}
	if c.Pacing != 0 {
		m.add("pacing", yDur(c.Pacing))
	}
	if c.LogPolicy == "case" {
		m.add("log_policy", yStr("case"))
	}
	if c.NoCookies {
		m.add("cookies", yBool(false))
	}
	return m.n
}

func (fm *formatter) slaRule(r *SLARule) *yaml.Node {
	if r.KPI == nil {
		fm.fail(r.Pos, "sla rule %q has no kpi", r.Name)
		return yStr("")
	}
	m := fm.mapOf(r)
	if r.Name != r.KPI.Source {
		m.add("name", yStr(r.Name))
	}
	m.add("kpi", yStr(r.KPI.Source))
	if r.Window != 6*time.Second {
		m.add("window", yDur(r.Window))
	}
	if r.Breaches != 1 {
		m.add("breaches", yInt(r.Breaches))
	}
	if len(r.Requests) > 0 {
		m.add("requests", yStrs(r.Requests, false))
	}
	if r.Stop {
		m.add("action", yStr("stop"))
	}
	return m.flow()
}

func (fm *formatter) stage(st *Stage) *yaml.Node {
	m := fm.mapOf(st)
	if st.Name != "" {
		m.add("name", yStr(st.Name))
	}
	switch st.Mode {
	case ModeConcurrency:
		m.add("concurrency", yInt(st.VUs))
		if st.StartVUs != defaultStart[int](st, float64(st.VUs)) {
			m.add("start_vus", yInt(st.StartVUs))
		}
	case ModeTPS:
		m.add("tps", yNum(st.TPS))
		if st.StartTPS != defaultStart[float64](st, st.TPS) {
			m.add("start_tps", yNum(st.StartTPS))
		}
		if st.VUs != 0 {
			m.add("max_vus", yInt(st.VUs))
		}
	case ModePeakProbe, ModeStepProbe:
		pm := fm.mapOf(st).add("start", yInt(st.StartVUs)).add("max", yInt(st.VUs))
		if st.Mode == ModePeakProbe {
			pm.add("ramp_up", yDur(st.RampUp))
		} else {
			pm.add("step_size", yInt(st.StepSize)).add("step_duration", yDur(st.StepTime))
		}
		if st.KPIs != nil {
			pm.add("kpis", kpiNode(st.KPIs))
		}
		if st.StopAtPeak {
			pm.add("stop_at_peak", yBool(true))
		}
		m.add(st.Mode.String(), pm.flow())
	default:
		wm := fm.mapOf(st).add("min", yNum(st.Min)).add("max", yNum(st.Max)).add("loops", yInt(st.Loops))
		if st.Mode == ModeSurgeConcurrency || st.Mode == ModeSurgeTPS {
			wm.add("hold", yDur(st.Hold))
		}
		m.add(st.Mode.String(), wm.flow())
		if st.VUs != 0 {
			m.add("max_vus", yInt(st.VUs))
		}
	}
	if st.Count > 0 {
		m.add("count", yInt(st.Count))
	} else {
		m.add("duration", yDur(st.Duration))
	}
	if (st.Mode == ModeConcurrency || st.Mode == ModeTPS) && st.RampUp != 0 {
		m.add("ramp_up", yDur(st.RampUp))
	}
	if st.Manual {
		m.add("manual", yBool(true))
	}
	return m.flow()
}

func (fm *formatter) steps(list []*Step) *yaml.Node {
	s := ySeq([]*yaml.Node{})
	for _, st := range list {
		s.Content = append(s.Content, fm.step(st))
	}
	if len(list) == 0 {
		s.Style = yaml.FlowStyle
	}
	return s
}

func (fm *formatter) step(s *Step) *yaml.Node {
	m := fm.mapOf(s)
	switch s.Kind {
	case StepRequest:
		if s.Request == nil {
			fm.fail(s.Pos, "a request step without a request")
			return m.n
		}
		m.add(s.Request.Protocol.String(), fm.request(s.Request, s.Pos))
		fm.requestModifiers(m, s.Request)
	case StepThink:
		m.add("think", fm.think(s.Think))
	case StepTransaction:
		if len(s.With) == 0 {
			m.add("transaction", yStr(s.Transaction))
			break
		}
		m.add("transaction", fm.mapOf(nil).add("name", yStr(s.Transaction)).add("with", fm.kvNode(s.With)).flow())
	case StepLoop:
		l := s.Loop
		if l.Count > 0 && l.While == nil && l.Max == 0 {
			m.add("loop", yInt(l.Count))
		} else {
			lm := fm.mapOf(l)
			if l.Count > 0 {
				lm.add("count", yInt(l.Count))
			}
			if l.While != nil {
				lm.add("while", yStr(l.While.Source))
			}
			if l.Max != 0 {
				lm.add("max", yInt(l.Max))
			}
			m.add("loop", lm.flow())
		}
		m.add("steps", fm.steps(l.Steps))
	case StepBreak:
		if s.Break == nil {
			m.add("break", yBool(true))
		} else {
			m.add("break", yStr(s.Break.Source))
		}
	case StepClearCookies:
		m.add("cookies", yStr("clear"))
	case StepTogether:
		m.add("together", fm.steps(s.Together.Steps))
		if s.Together.Name != "" {
			m.add("name", yStr(s.Together.Name))
		}
	case StepMetric:
		mt := s.Metric
		mm := fm.mapOf(mt).add("name", yStr(mt.Name))
		if mt.Value != nil {
			mm.add(mt.Kind.String(), yStr(mt.Value.Source))
		}
		m.add("metric", mm.flow())
	case StepIf:
		bs := s.If.Branches
		if len(bs) == 0 {
			fm.fail(s.Pos, "an if step without a branch")
			return m.n
		}
		m.add("if", yStr(bs[0].Cond.Source)).add("steps", fm.steps(bs[0].Steps))
		if len(bs) > 1 {
			elif := ySeq(nil)
			for i := 1; i < len(bs); i++ {
				b := &bs[i]
				elif.Content = append(elif.Content, fm.mapOf(b).add("if", yStr(b.Cond.Source)).add("steps", fm.steps(b.Steps)).n)
			}
			m.add("elif", elif)
		}
		if len(s.If.Else) > 0 {
			m.add("else", fm.steps(s.If.Else))
		}
	case StepSet:
		sm := fm.mapOf(nil)
		for i := range s.Set.Assigns {
			a := &s.Set.Assigns[i]
			if a.Expr == nil {
				sm.addNamed(a.Var, yStr(a.Template), a)
				continue
			}
			am := fm.mapOf(a).add("expr", yStr(a.Expr.Source))
			if a.Round != "" {
				am.add("round", yStr(a.Round))
			}
			if a.Scale != 0 {
				am.add("scale", yInt(a.Scale))
			}
			sm.addNamed(a.Var, am.flow(), a)
		}
		m.add("set", flowIfShort(sm.n))
		if s.Set.Once {
			m.add("once", yBool(true))
		}
	case StepRendezvous:
		r := s.Rendezvous
		rm := fm.mapOf(r).add("name", yStr(r.Name)).add("users", yInt(r.Users))
		if r.Timeout != 0 {
			rm.add("timeout", yDur(r.Timeout))
		}
		m.add("rendezvous", rm.flow())
	case StepWeighted:
		wm := fm.mapOf(s.Weighted)
		if s.Weighted.Fixed {
			wm.add("mode", yStr("fixed"))
		}
		branches := ySeq(nil)
		for i := range s.Weighted.Branches {
			b := &s.Weighted.Branches[i]
			branches.Content = append(branches.Content, fm.mapOf(b).add("weight", yInt(b.Weight)).add("steps", fm.steps(b.Steps)).n)
		}
		m.add("weighted", wm.add("branches", branches).n)
	case StepThroughput:
		t := s.Throughput
		tm := fm.mapOf(t)
		switch {
		case t.Percent != 0:
			tm.add("percent", yNum(t.Percent))
		case t.Total != 0:
			tm.add("total", yInt(t.Total))
		default:
			tm.add("rps", yNum(t.RPS))
		}
		m.add("throughput", tm.flow()).add("steps", fm.steps(t.Steps))
	case StepPlugin:
		pm := fm.mapOf(s.Plugin).add("name", yStr(s.Plugin.Name))
		if len(s.Plugin.Params) > 0 {
			pm.add("params", fm.kvNode(s.Plugin.Params))
		}
		m.add("plugin", flowIfShort(pm.n))
		if s.Request != nil {
			fm.requestModifiers(m, s.Request)
		}
	default:
		fm.fail(s.Pos, "unknown step kind %d", s.Kind)
	}
	if s.Disabled {
		m.add("disabled", yBool(true))
	}
	return m.n
}

func (fm *formatter) think(t *Think) *yaml.Node {
	if t.Max == 0 {
		return yDur(t.Min)
	}
	return fm.mapOf(t).add("min", yDur(t.Min)).add("max", yDur(t.Max)).flow()
}

// defaultStart is the start value the parser gives a concurrency or TPS
// stage that names none: zero when it ramps, else the target.
func defaultStart[T int | float64](st *Stage, target float64) T {
	if st.RampUp > 0 {
		return 0
	}
	return T(target)
}
