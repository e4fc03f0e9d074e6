package perftest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/internal/jsonpos"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// JSON is PerfTest case JSON as scenario.Open reads it: a CreateCase
// body, a QueryCase response wrapping one, or perfcase's wrapper document
// (docs/perftest-json.md). Errors point into the JSON and name the value's
// JSONPath, e.g. "x.json:5:60: $.cases[0].contents[2].data_type: unknown
// code 999".
var JSON scenario.Importer = jsonFormat{}

type jsonFormat struct{}

func (jsonFormat) Format() string { return "PerfTest case JSON" }

func (jsonFormat) Detect(src []byte) bool { return isPerfTestJSON(src) }

func (jsonFormat) Import(name string, src []byte) *scenario.Imported {
	im := importJSON(name, src)
	in := &scenario.Imported{Errors: im.errs, Notes: im.notes, Source: source{im.at, im.idx}}
	if len(im.errs) == 0 {
		in.File = im.out
	}
	return in
}

// source places the values of an imported File in the JSON.
type source struct {
	at  posTable
	idx *jsonpos.Index
}

func (s source) At(owner any, key string) (scenario.Spot, bool) {
	sp, ok := s.at[posKey{owner, key}]
	return scenario.Spot{Key: sp.Key, Val: sp.Val, Quoted: sp.Quoted}, ok
}

func (s source) PathAt(p scenario.Pos) (string, bool) {
	path, ok := s.idx.PathAt(p)
	if !ok {
		return "", false
	}
	return jsonpos.Display(path), true
}

// importJSON converts a PerfTest document. im.out is the File, nil when
// the document could not be read; im.errs lists what cannot be converted,
// im.notes the stage fields that were ignored, and im.at where each
// converted value came from.
func importJSON(name string, data []byte) *importer {
	im := &importer{file: name, idx: jsonpos.Read(name, data), at: posTable{}, txByID: map[int]string{}, txDefined: map[string]bool{}}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		im.jsonError(data, "", err, nil)
		return im
	}
	if top == nil {
		im.errorf("", "give a CreateCase body {\"name\": ..., \"contents\": [...], \"stages\": [...]} or perfcase's wrapper {\"name\": ..., \"cases\": [...]}", "the document is null")
		return im
	}
	var doc Document
	base := ""
	casePath := func(i int) string { return indexPath("cases", i) }
	switch {
	case top["cases"] != nil:
		wrapperKeys := []string{"name", "description", "parallel", "variables", "transactions", "before", "after", "cases"}
		for _, k := range slices.Sorted(maps.Keys(top)) {
			if !slices.Contains(wrapperKeys, k) {
				im.errorf(k, "the wrapper holds name, description, parallel, variables, transactions, before, after and cases; a case's fields go inside cases", "unknown field %q", k)
			}
		}
		if !im.decode(data, "", &doc, false) {
			return im
		}
	case top["test_case"] != nil:
		// The QueryCase response (§4.3.7) wraps the case in test_case.
		base = "test_case"
		fallthrough
	default:
		src := data
		if base != "" {
			src = top[base]
		}
		var c Case
		if !im.decode(src, base, &c, false) {
			return im
		}
		doc = Document{Name: c.Name, Cases: []Case{c}}
		casePath = func(int) string { return base }
	}
	im.out = im.document(&doc, casePath, base)
	return im
}

type importer struct {
	file      string
	idx       *jsonpos.Index
	out       *scenario.File
	errs      scenario.ErrorList
	notes     scenario.ErrorList
	at        posTable
	txByID    map[int]string
	txDefined map[string]bool
	inline    []*scenario.Transaction // transactions defined by cards that carry them
}

// posKey names a value of an imported File: the node that holds it and
// its YAML key; "" is the node itself and scenario.NameKey its name.
type posKey struct {
	owner any
	key   string
}

// posTable places the values of an imported File at the JSON they came
// from, so that the checks YAML goes through point into the JSON.
type posTable map[posKey]jsonpos.Spot

// mark records that owner's YAML key came from the JSON value at path;
// values the document leaves out are not marked, and take the place of
// what holds them.
func (im *importer) mark(owner any, key, path string) {
	if sp, ok := im.idx.At(path); ok {
		im.at[posKey{owner, key}] = sp
	}
}

func (im *importer) errorf(path, hint, format string, args ...any) {
	im.errs = append(im.errs, &scenario.Error{Pos: im.idx.Pos(path), Path: jsonpos.Display(path), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// notef records a value that is read from the JSON and ignored.
func (im *importer) notef(path, hint, format string, args ...any) {
	im.notes = append(im.notes, &scenario.Error{Pos: im.idx.Pos(path), Path: jsonpos.Display(path), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (im *importer) unknownCode(path string, code int, set codeSet) {
	im.errorf(path, "use one of: "+set.list(), "unknown code %d", code)
}

// case, which is "cases[i]" in the wrapper and empty for a bare case.
func (im *importer) document(doc *Document, casePath func(int) string, base string) *scenario.File {
	f := &scenario.File{Path: im.file, Name: doc.Name, Description: doc.Description, Parallel: doc.Parallel}
	im.mark(f, "", base)
	for _, k := range []string{"name", "description", "parallel", "variables", "transactions", "before", "after", "cases"} {
		im.mark(f, k, joinPath(base, k))
	}
	for i := range doc.Variables {
		if v := im.variable(&doc.Variables[i], indexPath("variables", i)); v != nil {
			f.Variables = append(f.Variables, v)
		}
	}
	for i, t := range doc.Transactions {
		if t.ID == 0 {
			continue
		}
		if prev, dup := im.txByID[t.ID]; dup {
			im.errorf(indexPath("transactions", i)+".id", "give each transaction its own id", "id %d is also transaction %q's", t.ID, prev)
		}
		im.txByID[t.ID] = t.Name
	}
	for _, t := range doc.Transactions {
		im.txDefined[t.Name] = true
	}
	for i := range doc.Transactions {
		f.Transactions = append(f.Transactions, im.transaction(&doc.Transactions[i], indexPath("transactions", i)))
	}
	f.Before = im.cards(doc.Before, joinPath(base, "before"), 0)
	f.After = im.cards(doc.After, joinPath(base, "after"), 0)
	for i := range doc.Cases {
		f.Cases = append(f.Cases, im.caseBody(&doc.Cases[i], casePath(i)))
	}
	f.Transactions = append(f.Transactions, im.inline...)
	return f
}

func (im *importer) variable(v *Variable, path string) *scenario.Variable {
	vr := &scenario.Variable{Name: v.Name, Delimiter: ',', Sensitive: v.IsSensitive}
	im.mark(vr, "", path)
	im.mark(vr, scenario.NameKey, path+".name")
	im.mark(vr, "mode", path+".variable_mode")
	im.mark(vr, "share", path+".share_mode")
	im.mark(vr, "sensitive", path+".is_sensitive")
	im.mark(vr, "once", path+".perfcase.once")
	im.mark(vr, "delimiter", path+".perfcase.delimiter")
	for _, k := range []string{"min", "path", "value"} {
		im.mark(vr, k, path+".variable[0]")
	}
	im.mark(vr, "max", path+".variable[1]")
	im.mark(vr, "values", path+".variable")
	switch v.VariableMode {
	case 0:
	case 1:
		vr.Mode = scenario.Random
	default:
		im.unknownCode(path+".variable_mode", v.VariableMode, varModes)
	}
	switch v.ShareMode {
	case 0:
	case 1:
		vr.Share = scenario.ShareVU
	default:
		im.unknownCode(path+".share_mode", v.ShareMode, shareModes)
	}
	vals := make([]string, 0, len(v.Variable))
	for i, raw := range v.Variable {
		vals = append(vals, im.scalarText(raw, indexPath(path+".variable", i)))
	}
	one := func(what string) string {
		if len(vals) > 1 {
			im.errorf(path+".variable", fmt.Sprintf("a %s variable holds one value", what), "has %d values", len(vals))
		}
		if len(vals) == 0 {
			return ""
		}
		return vals[0]
	}
	switch v.VariableType {
	case 1:
		vr.Type = scenario.VarInteger
		if len(vals) != 2 {
			im.errorf(path+".variable", "an integer variable is [min, max], e.g. [1, 100]", "has %d values, want 2", len(vals))
			break
		}
		for i, p := range []*int64{&vr.Min, &vr.Max} {
			n, err := strconv.ParseInt(vals[i], 10, 64)
			if err != nil {
				im.errorf(indexPath(path+".variable", i), "an integer variable is [min, max], e.g. [1, 100]", "%q is not a whole number", vals[i])
			}
			*p = n
		}
	case 2:
		vr.Type, vr.Values = scenario.VarList, vals
	case 3:
		vr.Type, vr.Path = scenario.VarFile, one("file")
	case 5:
		vr.Type, vr.Value = scenario.VarText, one("text")
	default:
		im.unknownCode(path+".variable_type", v.VariableType, varTypes)
		return nil
	}
	if isJSONNull(v.Perfcase) {
		return vr
	}
	var ext VariableExt
	if !im.decode(v.Perfcase, path+".perfcase", &ext, true) {
		return vr
	}
	vr.Once = ext.Once
	if ext.Delimiter != "" {
		r := []rune(ext.Delimiter)
		if len(r) != 1 || vr.Type != scenario.VarFile {
			im.errorf(path+".perfcase.delimiter", "a file variable's delimiter is one character, e.g. \";\"", "%q is not a file variable's delimiter", ext.Delimiter)
		} else {
			vr.Delimiter = r[0]
		}
	}
	switch ext.OnEnd {
	case "", "wrap":
	case "stop":
		vr.StopAtEnd = true
		if vr.Type != scenario.VarFile || vr.Mode != scenario.Sequential {
			im.errorf(path+".perfcase.on_end", "on_end applies to a file variable read in order (variable_mode 0)", "on_end: stop needs a file variable read sequentially")
		}
	default:
		im.errorf(path+".perfcase.on_end", "use stop or wrap", "unknown on_end %q", ext.OnEnd)
	}
	return vr
}

func (im *importer) transaction(t *Transaction, path string) *scenario.Transaction {
	tx := &scenario.Transaction{Name: t.Name, Description: t.Description}
	im.mark(tx, "", path)
	im.mark(tx, scenario.NameKey, path+".name")
	im.mark(tx, "description", path+".description")
	im.mark(tx, "steps", path+".contents")
	im.mark(tx, "kpis", path+".perfcase.kpis")
	tx.Steps = im.cards(t.Contents, path+".contents", t.ID)
	if !isJSONNull(t.Perfcase) {
		var ext TransactionExt
		if im.decode(t.Perfcase, path+".perfcase", &ext, true) {
			tx.KPIs = im.kpis(ext.KPIs, path+".perfcase.kpis")
		}
	}
	return tx
}

func (im *importer) kpis(list []string, path string) []*scenario.KPICheck {
	var out []*scenario.KPICheck
	for i, s := range list {
		k, err := scenario.ParseKPI(s)
		if err != nil {
			im.errorf(indexPath(path, i), "e.g. \"tp99 < 300ms\" or \"success_rate >= 99.5\"", "%v", err)
			continue
		}
		out = append(out, k)
	}
	return out
}

func (im *importer) caseBody(c *Case, path string) *scenario.Case {
	cs := &scenario.Case{Name: c.Name, LogPolicy: "request", Replicas: c.UserReplicas}
	for key, field := range map[string]string{"": "", "name": "name", "description": "case_info.description", "labels": "case_info.label_names",
		"disabled": "status", "doc": "case_info", "setup": "setup_contents", "steps": "contents", "stages": "stages", "kpis": "perfcase.kpis",
		"sla": "perfcase.sla", "user_replicas": "user_replicas", "pacing": "perfcase.pacing", "log_policy": "collect_log_policy"} {
		im.mark(cs, key, joinPath(path, field))
	}
	for key, field := range map[string]string{"": "", "preparation": "preparation", "rank": "rank", "status": "status_code", "steps": "steps"} {
		im.mark(&cs.Doc, key, joinPath(path, joinPath("case_info", field)))
	}
	if c.CaseType != 0 {
		im.unknownCode(joinPath(path, "case_type"), c.CaseType, caseTypes)
	}
	if c.Status != nil {
		switch *c.Status {
		case 1:
		case 2:
			cs.Disabled = true
		case 0:
			im.errorf(joinPath(path, "status"), "status 0 marks a deleted case: drop the case, or set 1 (enabled) or 2 (disabled)", "the case is deleted")
		default:
			im.unknownCode(joinPath(path, "status"), *c.Status, caseStatuses)
		}
	}
	if len(c.IncreaseSetting) > 0 {
		im.errorf(joinPath(path, "increase_setting"), "express the gradient as stages with start_vus and ramp_up, then remove increase_setting", "the legacy gradient increase is not supported")
	}
	if c.UserReplicas < 0 {
		im.errorf(joinPath(path, "user_replicas"), "give the number of executors, 0 or more", "must not be negative, got %d", c.UserReplicas)
	}
	switch c.CollectLogPolicy {
	case 0:
	case 1:
		cs.LogPolicy = "case"
	default:
		im.unknownCode(joinPath(path, "collect_log_policy"), c.CollectLogPolicy, logPolicies)
	}
	if ci := c.CaseInfo; ci != nil {
		p := joinPath(path, "case_info")
		cs.Description, cs.Labels, cs.Doc.Preparation = ci.Description, ci.LabelNames, ci.Preparation
		if ci.Rank < 0 || ci.Rank > 4 {
			im.errorf(p+".rank", "use 0 to 4 for L0 to L4", "unknown rank %d", ci.Rank)
		}
		cs.Doc.Rank = ci.Rank
		if ci.StatusCode != nil {
			s, ok := docStatusCode[*ci.StatusCode]
			if !ok {
				im.unknownCode(p+".status_code", *ci.StatusCode, docStatusCode)
			}
			cs.Doc.Status = s
		}
		for _, st := range ci.Steps {
			cs.Doc.Steps = append(cs.Doc.Steps, scenario.ManualStep{Step: st.TestStep, Expect: st.ExpectResult})
		}
	}
	cs.Setup = im.cards(c.SetupContents, joinPath(path, "setup_contents"), 0)
	cs.Steps = im.cards(c.Contents, joinPath(path, "contents"), 0)
	for i := range c.Stages {
		cs.Stages = append(cs.Stages, im.stage(&c.Stages[i], indexPath(joinPath(path, "stages"), i)))
	}
	if !isJSONNull(c.Perfcase) {
		p := joinPath(path, "perfcase")
		var ext CaseExt
		if im.decode(c.Perfcase, p, &ext, true) {
			cs.KPIs = im.kpis(ext.KPIs, p+".kpis")
			cs.Pacing = im.millis(p+".pacing", ext.Pacing)
			cs.NoCookies = ext.Cookies != nil && !*ext.Cookies
			for i, r := range ext.SLA {
				if rule := im.slaRule(r, indexPath(p+".sla", i)); rule != nil {
					cs.SLA = append(cs.SLA, rule)
				}
			}
		}
	}
	return cs
}

func (im *importer) slaRule(r SLARule, path string) *scenario.SLARule {
	k, err := scenario.ParseKPI(r.KPI)
	if err != nil {
		im.errorf(path+".kpi", "e.g. \"avg_rt < 500ms\"", "%v", err)
		return nil
	}
	rule := &scenario.SLARule{Name: r.Name, KPI: k, Window: 6 * time.Second, Breaches: 1, Requests: r.Requests}
	im.mark(rule, "", path)
	for _, key := range []string{"name", "kpi", "window", "breaches", "requests", "action"} {
		im.mark(rule, key, path+"."+key)
	}
	if rule.Name == "" {
		rule.Name = k.Source
	}
	if r.Window != 0 {
		rule.Window = im.millis(path+".window", r.Window)
	}
	if r.Breaches != 0 {
		rule.Breaches = r.Breaches
	}
	switch r.Action {
	case "", "flag":
	case "stop":
		rule.Stop = true
	default:
		im.errorf(path+".action", "use stop or flag", "unknown action %q", r.Action)
	}
	return rule
}

func (im *importer) cards(list []Contents, path string, ownID int) []*scenario.Step {
	var out []*scenario.Step
	for i := 0; i < len(list); i++ {
		c := &list[i]
		if c.ContentID == 0 || c.ContentID == ownID {
			out = append(out, im.card(c, indexPath(path, i), ownID)...)
			continue
		}
		end := i + 1
		if carriesSteps(c) {
			for end < len(list) && list[end].ContentID == c.ContentID && carriesSteps(&list[end]) {
				end++
			}
		}
		out = append(out, im.transactionCards(list[i:end], path, i))
		i = end - 1
	}
	return out
}

func (im *importer) transactionCards(group []Contents, path string, first int) *scenario.Step {
	c := &group[0]
	p := indexPath(path, first)
	name := c.SelectedTempName
	if name == "" {
		name = im.txByID[c.ContentID]
	}
	if name == "" {
		im.errorf(p+".content_id", "set selected_temp_name to the transaction's name, or add the transaction with this id to transactions", "content_id %d names no transaction", c.ContentID)
	}
	s := &scenario.Step{Kind: scenario.StepTransaction, Transaction: name, Disabled: true}
	im.mark(s, "", p)
	im.mark(s, "transaction", p+".content_id")
	im.mark(s, "transaction", p+".selected_temp_name")
	im.mark(s, "disabled", p+".is_disabled")
	if !isJSONNull(c.Data) && !carriesSteps(c) {
		var d CallData
		if im.decode(c.Data, p+".data", &d, true) {
			s.With = kvsFromPT(d.With)
			im.mark(s, "transaction", p+".data")
			im.markKVs(s.With, p+".data.with")
		}
	}
	var steps []*scenario.Step
	for k := range group {
		s.Disabled = s.Disabled && group[k].IsDisabled
		if carriesSteps(&group[k]) {
			steps = append(steps, im.card(&group[k], indexPath(path, first+k), c.ContentID)...)
		}
	}
	// Cards that carry a transaction define it when the document does not.
	if len(steps) > 0 && name != "" && !im.txDefined[name] {
		im.txDefined[name] = true
		tx := &scenario.Transaction{Name: name, Steps: steps}
		im.mark(tx, "", p)
		im.mark(tx, scenario.NameKey, p+".selected_temp_name")
		im.mark(tx, "steps", p+".content")
		im.inline = append(im.inline, tx)
	}
	return s
}

// carriesSteps reports whether a transaction card holds steps rather than
// only referring to its transaction.
func carriesSteps(c *Contents) bool { return len(c.Content) > 0 || c.DataType != dataRequest }

// card converts one card; a request card may yield several steps (think
// times and requests in item order).
func (im *importer) card(c *Contents, path string, ownID int) []*scenario.Step {
	kind, known := dataTypes[c.DataType]
	if !known {
		im.unknownCode(path+".data_type", c.DataType, dataTypes)
		return nil
	}
	if c.DataType != dataRequest && c.DataType != dataPlugin && len(c.Content) > 0 {
		im.errorf(path+".content", "move the items into a request card inside the controller's data.contents", "a %s card carries no items", kind)
	}
	if c.IsContinue && c.DataType != dataRequest && c.DataType != dataPlugin {
		im.errorf(path+".is_continue", "remove it", "is_continue applies to request and plugin cards, not to a %s", kind)
	}
	if c.DataType != dataIf && !isEmptyJSON(c.Conditions) {
		im.errorf(path+".conditions", "remove conditions, or set data_type 202", "conditions apply to condition cards (data_type 202)")
	}
	var steps []*scenario.Step
	data := path + ".data"
	needData := func() bool {
		if isJSONNull(c.Data) {
			im.errorf(data, "give the controller's settings and its child cards in data", "a %s card needs data", kind)
			return false
		}
		return true
	}
	switch c.DataType {
	case dataRequest:
		if !isJSONNull(c.Data) {
			im.errorf(data, "remove data, or set the controller's data_type", "a request card has no data")
		}
		steps = im.requestCard(c, path)
	case dataSet:
		var d SetData
		if needData() && im.decode(c.Data, data, &d, true) {
			s := &scenario.Step{Kind: scenario.StepSet, Set: im.set(&d, data)}
			im.mark(s, "set", data+".params")
			im.mark(s, "once", data+".mode")
			steps = append(steps, s)
		}
	case dataLoop:
		var d LoopData
		if needData() && im.decode(c.Data, data, &d, true) {
			l := &scenario.Loop{Count: d.Count, Max: d.Max, Steps: im.cards(d.Contents, data+".contents", ownID)}
			if d.While != nil {
				l.While = &scenario.Expr{Source: *d.While}
			}
			s := &scenario.Step{Kind: scenario.StepLoop, Loop: l}
			im.mark(s, "loop", data)
			im.mark(s, "loop", data+".count")
			im.mark(s, "steps", data+".contents")
			for _, key := range []string{"count", "while", "max"} {
				im.mark(l, key, data+"."+key)
			}
			steps = append(steps, s)
		}
	case dataIf:
		var d IfData
		var conds []Condition
		if !isJSONNull(c.Conditions) {
			im.decode(c.Conditions, path+".conditions", &conds, true)
		}
		if needData() && im.decode(c.Data, data, &d, true) {
			f := &scenario.If{Branches: []scenario.Branch{{Cond: scenario.Expr{Source: im.condition(conds, path+".conditions")}, Steps: im.cards(d.Contents, data+".contents", ownID)}}}
			for i, e := range d.Elif {
				ep := indexPath(data+".elif", i)
				f.Branches = append(f.Branches, scenario.Branch{Cond: scenario.Expr{Source: im.condition(e.Conditions, ep+".conditions")}, Steps: im.cards(e.Contents, ep+".contents", ownID)})
			}
			f.Else = im.cards(d.Else, data+".else", ownID)
			s := &scenario.Step{Kind: scenario.StepIf, If: f}
			im.mark(s, "if", path+".conditions[0].expression")
			im.mark(s, "steps", data+".contents")
			im.mark(s, "elif", data+".elif")
			im.mark(s, "else", data+".else")
			for i := range d.Elif {
				ep := indexPath(data+".elif", i)
				im.mark(&f.Branches[i+1], "", ep)
				im.mark(&f.Branches[i+1], "if", ep+".conditions[0].expression")
				im.mark(&f.Branches[i+1], "steps", ep+".contents")
			}
			steps = append(steps, s)
		}
	case dataWeighted:
		var d WeightedData
		if needData() && im.decode(c.Data, data, &d, true) {
			wt := &scenario.Weighted{}
			switch d.Mode {
			case "fixed":
				wt.Fixed = true
			case "random", "":
			default:
				im.errorf(data+".mode", "use fixed (drawn once per VU) or random (drawn every pass)", "unknown mode %q", d.Mode)
			}
			for i, b := range d.Branches {
				wt.Branches = append(wt.Branches, scenario.WeightedBranch{Weight: b.Weight, Steps: im.cards(b.Contents, indexPath(data+".branches", i)+".contents", ownID)})
			}
			for i := range wt.Branches {
				bp := indexPath(data+".branches", i)
				im.mark(&wt.Branches[i], "", bp)
				im.mark(&wt.Branches[i], "weight", bp+".weight")
				im.mark(&wt.Branches[i], "steps", bp+".contents")
			}
			s := &scenario.Step{Kind: scenario.StepWeighted, Weighted: wt}
			im.mark(s, "weighted", data)
			im.mark(wt, "mode", data+".mode")
			im.mark(wt, "branches", data+".branches")
			steps = append(steps, s)
		}
	case dataThroughput:
		var d ThroughputData
		if needData() && im.decode(c.Data, data, &d, true) {
			s := &scenario.Step{Kind: scenario.StepThroughput, Throughput: &scenario.Throughput{RPS: d.RPS, Percent: d.Percent, Total: d.Total, Steps: im.cards(d.Contents, data+".contents", ownID)}}
			im.mark(s, "throughput", data)
			im.mark(s, "steps", data+".contents")
			for _, key := range []string{"rps", "percent", "total"} {
				im.mark(s.Throughput, key, data+"."+key)
			}
			steps = append(steps, s)
		}
	case dataRendezvous:
		var d RendezvousData
		if needData() && im.decode(c.Data, data, &d, true) {
			s := &scenario.Step{Kind: scenario.StepRendezvous, Rendezvous: &scenario.Rendezvous{Name: d.Name, Users: d.Users, Timeout: im.millis(data+".timeout", d.Timeout)}}
			im.mark(s, "rendezvous", data)
			for _, key := range []string{"name", "users", "timeout"} {
				im.mark(s.Rendezvous, key, data+"."+key)
			}
			steps = append(steps, s)
		}
	case dataPlugin:
		var d PluginData
		if needData() && im.decode(c.Data, data, &d, true) {
			r := &scenario.Request{ContinueOnFailure: c.IsContinue}
			s := &scenario.Step{Kind: scenario.StepPlugin, Plugin: &scenario.Plugin{Name: d.Name, Params: kvsFromPT(d.Params)}, Request: r}
			im.mark(s, "plugin", data)
			im.mark(s, "continue_on_failure", path+".is_continue")
			im.mark(s.Plugin, "name", data+".name")
			im.mark(s.Plugin, "params", data+".params")
			im.markKVs(s.Plugin.Params, data+".params")
			for k, it := range c.Content {
				ip := indexPath(path+".content", k)
				switch it.ContentType {
				case 3:
					im.checkpoint(it.Content, ip+".content", r, s)
				case 4:
					if e := im.extraction(it.Content, ip+".content"); e != nil {
						if len(r.Extract) == 0 {
							im.mark(s, "extract", ip+".content")
						}
						r.Extract = append(r.Extract, e)
					}
				default:
					im.errorf(ip+".content_type", "a plugin card holds checkpoint (3) and extraction (4) items", "a plugin card cannot hold a %s", contentTypes[it.ContentType])
				}
			}
			steps = append(steps, s)
		}
	case dataClearCookies:
		steps = append(steps, &scenario.Step{Kind: scenario.StepClearCookies})
	case dataMetric:
		var d MetricData
		if needData() && im.decode(c.Data, data, &d, true) {
			m := &scenario.Metric{Name: d.Name, Value: &scenario.Expr{Source: d.Value}}
			switch d.Type {
			case "counter":
				m.Kind = metrics.Counter
			case "gauge":
				m.Kind = metrics.Gauge
			case "trend":
				m.Kind = metrics.Trend
			default:
				im.errorf(data+".type", "use counter, gauge or trend", "unknown metric type %q", d.Type)
			}
			s := &scenario.Step{Kind: scenario.StepMetric, Metric: m}
			im.mark(s, "metric", data)
			im.mark(m, "name", data+".name")
			im.mark(m, d.Type, data+".value")
			im.mark(m.Value, "", data+".value")
			steps = append(steps, s)
		}
	case dataTogether:
		var d TogetherData
		if needData() && im.decode(c.Data, data, &d, true) {
			s := &scenario.Step{Kind: scenario.StepTogether, Together: &scenario.Together{Name: d.Name, Steps: im.cards(d.Contents, data+".contents", ownID)}}
			im.mark(s, "together", data+".contents")
			im.mark(s, "name", data+".name")
			steps = append(steps, s)
		}
	case dataBreak:
		s := &scenario.Step{Kind: scenario.StepBreak}
		im.mark(s, "break", data)
		im.mark(s, "break", data+".condition")
		if !isJSONNull(c.Data) {
			var d BreakData
			if im.decode(c.Data, data, &d, true) {
				s.Break = &scenario.Expr{Source: d.Condition}
			}
		}
		steps = append(steps, s)
	}
	for _, s := range steps {
		s.Disabled = c.IsDisabled
		if _, placed := im.at[posKey{s, ""}]; !placed {
			im.mark(s, "", path)
		}
		im.mark(s, "disabled", path+".is_disabled")
	}
	return steps
}

// condition reads the one expression of a condition branch.
func (im *importer) condition(conds []Condition, path string) string {
	if len(conds) != 1 {
		im.errorf(path, "give one expression, e.g. [{\"expression\": \"status == 200\"}]; combine several with && or ||", "has %d entries; perfcase reads one expression", len(conds))
		if len(conds) == 0 {
			return ""
		}
	}
	return conds[0].Expression
}

func kvsFromPT(list []ContentHeader) []scenario.KV {
	var out []scenario.KV
	for _, h := range list {
		out = append(out, scenario.KV{Key: h.Key, Value: h.Value})
	}
	return out
}

func (im *importer) set(d *SetData, path string) *scenario.Set {
	s := &scenario.Set{}
	switch d.Mode {
	case "repeat", "":
	case "once":
		s.Once = true
	default:
		im.errorf(path+".mode", "use repeat (every pass) or once (once per VU)", "unknown mode %q", d.Mode)
	}
	for i, p := range d.Params {
		pp := indexPath(path+".params", i)
		a := scenario.Assign{Var: p.Name, Round: p.Round, Scale: p.Scale}
		switch {
		case p.Expression != nil && p.Value != nil:
			im.errorf(pp, "keep value (text with ${...}) or expression (arithmetic), not both", "has both value and expression")
		case p.Expression != nil:
			a.Expr = &scenario.Expr{Source: *p.Expression}
			if a.Scale > 0 && a.Round == "" {
				a.Round = scenario.RoundHalfUp
			}
		default:
			if p.Round != "" || p.Scale != 0 {
				im.errorf(pp, "rounding applies to an expression", "round and scale need expression")
			}
			if p.Value != nil {
				a.Template = *p.Value
			}
		}
		if a.Round != "" && !slices.Contains(scenario.RoundModes, a.Round) {
			im.errorf(pp+".round", "use one of: "+strings.Join(scenario.RoundModes, ", "), "unknown round %q", a.Round)
		}
		s.Assigns = append(s.Assigns, a)
	}
	for i := range s.Assigns {
		pp := indexPath(path+".params", i)
		a := &s.Assigns[i]
		im.mark(a, scenario.NameKey, pp+".name")
		im.mark(a, "", pp+".value")
		im.mark(a, "", pp+".expression")
		for key, field := range map[string]string{"expr": "expression", "round": "round", "scale": "scale"} {
			im.mark(a, key, pp+"."+field)
		}
	}
	return s
}
