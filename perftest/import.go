package perftest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

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
	idx *jsonIndex
}

func (s source) At(owner any, key string) (scenario.Spot, bool) {
	sp, ok := s.at[posKey{owner, key}]
	return scenario.Spot{Key: sp.key, Val: sp.val, Quoted: sp.quoted}, ok
}

func (s source) PathAt(p scenario.Pos) (string, bool) {
	path, ok := s.idx.pathAt(p)
	if !ok {
		return "", false
	}
	return displayPath(path), true
}

// importJSON converts a PerfTest document. im.out is the File, nil when
// the document could not be read; im.errs lists what cannot be converted,
// im.notes the stage fields that were ignored, and im.at where each
// converted value came from.
func importJSON(name string, data []byte) *importer {
	im := &importer{file: name, idx: indexJSON(name, data), at: posTable{}, txByID: map[int]string{}, txDefined: map[string]bool{}}
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
		wrapperKeys := []string{"name", "description", "parallel", "variables", "transactions", "cases"}
		for _, k := range slices.Sorted(maps.Keys(top)) {
			if !slices.Contains(wrapperKeys, k) {
				im.errorf(k, "the wrapper holds name, description, parallel, variables, transactions and cases; a case's fields go inside cases", "unknown field %q", k)
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
	idx       *jsonIndex
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
type posTable map[posKey]jsonSpot

// mark records that owner's YAML key came from the JSON value at path;
// values the document leaves out are not marked, and take the place of
// what holds them.
func (im *importer) mark(owner any, key, path string) {
	if i, ok := im.idx.byPath[path]; ok {
		im.at[posKey{owner, key}] = im.idx.spots[i]
	}
}

func (im *importer) errorf(path, hint, format string, args ...any) {
	im.errs = append(im.errs, &scenario.Error{Pos: im.idx.pos(path), Path: displayPath(path), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// notef records a value that is read from the JSON and ignored.
func (im *importer) notef(path, hint, format string, args ...any) {
	im.notes = append(im.notes, &scenario.Error{Pos: im.idx.pos(path), Path: displayPath(path), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (im *importer) unknownCode(path string, code int, set codeSet) {
	im.errorf(path, "use one of: "+set.list(), "unknown code %d", code)
}

func joinPath(base, key string) string {
	switch {
	case base == "":
		return key
	case key == "":
		return base
	}
	return base + "." + key
}

func indexPath(base string, i int) string { return fmt.Sprintf("%s[%d]", base, i) }

func isJSONNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// isEmptyJSON reports whether raw is missing, null, [] or {}: the PerfTest
// UI writes "conditions": [ ] on every card.
func isEmptyJSON(raw json.RawMessage) bool {
	var v any
	if isJSONNull(raw) || json.Unmarshal(raw, &v) != nil {
		return isJSONNull(raw)
	}
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// decode unmarshals raw into v. PerfTest's own objects are read leniently,
// since real payloads carry fields the reference does not list; shapes
// perfcase defines are strict, so that a misspelt key is an error.
func (im *importer) decode(raw json.RawMessage, path string, v any, strict bool) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		im.jsonError(raw, path, err, v)
		return false
	}
	return true
}

func (im *importer) jsonError(data []byte, base string, err error, target any) {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		hint := "check the commas and brackets here; examples copied from the PerfTest reference often keep trailing commas from page breaks"
		if se.Offset <= 1 {
			hint = "give a PerfTest case JSON; perfcase export writes one from a YAML scenario"
		}
		// Offset counts the byte that broke the syntax.
		im.errs = append(im.errs, &scenario.Error{Pos: newCursor(im.file, data).pos(max(se.Offset-1, 0)), Msg: fmt.Sprintf("invalid JSON: %v", se), Hint: hint})
	case errors.As(err, &te):
		path := joinPath(base, jsonPathAt(data, te.Offset))
		if base == "" && path == "" {
			im.errorf("", "give a CreateCase body {\"name\": ..., \"contents\": [...], \"stages\": [...]} or perfcase's wrapper {\"name\": ..., \"cases\": [...]}", "the document must be a JSON object, got %s", te.Value)
			return
		}
		im.errorf(path, "", "expected %s, got %s", jsonTypeName(te.Type), te.Value)
	default:
		if name, ok := unknownField(err); ok {
			fields := jsonFieldNames(target)
			im.errorf(joinPath(base, jsonKeyPath(data, name)), scenario.DidYouMeanOr(name, fields, "known fields: "+strings.Join(fields, ", ")), "unknown field %q", name)
			return
		}
		if errors.Is(err, io.EOF) {
			im.errorf(base, "give the object", "the value is missing")
			return
		}
		im.errorf(base, "", "%v", err)
	}
}

func unknownField(err error) (string, bool) {
	rest, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	name, uerr := strconv.Unquote(rest)
	return name, uerr == nil
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// jsonFieldNames lists the JSON names of v's fields and of the structs
// nested in it, for "did you mean" hints.
func jsonFieldNames(v any) []string {
	seen := map[reflect.Type]bool{}
	set := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				set[name] = true
			}
			walk(t.Field(i).Type)
		}
	}
	if v != nil {
		walk(reflect.TypeOf(v))
	}
	return slices.Sorted(maps.Keys(set))
}

// jsonPathAt is the path of the value a decoding error at off is about:
// encoding/json reports the offset past a scalar, or past the opening
// bracket of a container.
func jsonPathAt(data []byte, off int64) string {
	for _, sp := range indexJSON("", data).spots {
		if sp.end >= off {
			return sp.path
		}
	}
	return ""
}

// jsonKeyPath is the path of the first value under key name.
func jsonKeyPath(data []byte, name string) string {
	for _, sp := range indexJSON("", data).spots {
		if sp.name == name {
			return sp.path
		}
	}
	return name
}

// jsonScalarText is the text of a JSON string, number or boolean.
func jsonScalarText(raw json.RawMessage) (string, bool) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "", false
	case s[0] == '"':
		var out string
		return out, json.Unmarshal(raw, &out) == nil
	case s == "true" || s == "false":
		return s, true
	case s[0] == '-' || s[0] >= '0' && s[0] <= '9':
		return s, json.Valid([]byte(s))
	}
	return "", false
}

func (im *importer) millis(path string, ms int64) time.Duration {
	if ms < 0 {
		im.errorf(path, "give milliseconds, 0 or more", "must not be negative, got %d", ms)
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

func (im *importer) seconds(path string, s int64) time.Duration {
	if s < 0 {
		im.errorf(path, "give seconds, 0 or more", "must not be negative, got %d", s)
		return 0
	}
	return time.Duration(s) * time.Second
}

// document converts the whole document; casePath gives the JSON path of a
// case, which is "cases[i]" in the wrapper and empty for a bare case.
func (im *importer) document(doc *Document, casePath func(int) string, base string) *scenario.File {
	f := &scenario.File{Path: im.file, Name: doc.Name, Description: doc.Description, Parallel: doc.Parallel}
	im.mark(f, "", base)
	for _, k := range []string{"name", "description", "parallel", "variables", "transactions", "cases"} {
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

// ptStageReads lists the stage fields each pressure mode reads, beside
// name, pressure_mode and perfcase; docs/perftest-json.md has the same
// table. Some count only sometimes (see stageReads): time and count by
// operate_mode, voltage_regulating_mode in duration mode, a concurrency
// stage's ramp_up only with a current_user_num to ramp from, and a TPS
// stage's current_tps in count mode only with perfcase.ramp_up, since a
// count has no length to ramp over.
var ptStageReads = map[scenario.PressureMode][]string{
	scenario.ModeConcurrency:          {"operate_mode", "time", "count", "voltage_regulating_mode", "issue_num", "current_user_num", "ramp_up"},
	scenario.ModeTPS:                  {"operate_mode", "time", "count", "voltage_regulating_mode", "tps_value", "current_tps", "issue_num"},
	scenario.ModePeakProbe:            {"time", "current_user_num", "issue_num", "ramp_up", "peak_load_kpis"},
	scenario.ModeSurgeConcurrency:     {"time", "minimum", "maximum", "loop_count", "max_duration"},
	scenario.ModeSurgeTPS:             {"time", "minimum", "maximum", "loop_count", "max_duration", "issue_num"},
	scenario.ModeOscillateConcurrency: {"time", "minimum", "maximum", "loop_count"},
	scenario.ModeOscillateTPS:         {"time", "minimum", "maximum", "loop_count", "issue_num"},
	scenario.ModeStepProbe:            {"time", "current_user_num", "issue_num", "step_size", "step_duration", "peak_load_kpis"},
}

// stageReads is the part of ptStageReads that counts for this stage, whose
// perfcase key holds ext.
func stageReads(st *TestCaseStage, mode scenario.PressureMode, ext *StageExt) []string {
	var out []string
	byCount := (mode == scenario.ModeConcurrency || mode == scenario.ModeTPS) && st.OperateMode == 1
	for _, f := range ptStageReads[mode] {
		switch {
		case f == "time" && byCount, f == "count" && !byCount, f == "voltage_regulating_mode" && byCount:
		case f == "ramp_up" && mode == scenario.ModeConcurrency && st.CurrentUserNum == nil:
		case f == "current_tps" && byCount && ext.RampUp == 0:
		default:
			out = append(out, f)
		}
	}
	return out
}

// stageValues lists the stage fields that carry a value other than the
// default (absent, 0, null, {}), in the reference's order.
func stageValues(st *TestCaseStage) []string {
	set := []struct {
		name string
		on   bool
	}{
		{"operate_mode", st.OperateMode != 0},
		{"time", st.Time != 0},
		{"count", st.Count != 0},
		{"start_time", st.StartTime != 0},
		{"end_time", st.EndTime != 0},
		{"issue_num", st.IssueNum != 0},
		{"current_user_num", st.CurrentUserNum != nil && *st.CurrentUserNum != 0},
		{"tps_value", st.TPSValue != 0},
		{"current_tps", st.CurrentTPS != nil && *st.CurrentTPS != 0},
		{"voltage_regulating_mode", st.VoltageRegulatingMode != 0},
		{"maximum", st.Maximum != 0},
		{"minimum", st.Minimum != 0},
		{"loop_count", st.LoopCount != 0},
		{"max_duration", st.MaxDuration != 0},
		{"ramp_up", st.RampUp != 0},
		{"peak_load_kpis", st.PeakLoadKpis != nil && *st.PeakLoadKpis != StageKpis{}},
		{"step_duration", st.StepDuration != 0},
		{"step_size", st.StepSize != 0},
	}
	var out []string
	for _, f := range set {
		if f.on {
			out = append(out, f.name)
		}
	}
	return out
}

// ignoredHints say, for the fields users most often expect to count, what
// does instead.
var ignoredHints = map[string]string{
	"operate_mode": "only concurrency and TPS stages run by count; this stage runs for time",
	"count":        "count is read in count mode (operate_mode 1)",
	"time":         "in count mode (operate_mode 1) the stage ends after count sends",
}

// noteIgnored notes every field of a stage that carries a value its mode
// does not read: the PerfTest UI keeps every mode's values in each stage.
func (im *importer) noteIgnored(st *TestCaseStage, mode scenario.PressureMode, ext *StageExt, path string) []string {
	reads := stageReads(st, mode, ext)
	what := fmt.Sprintf("a %s stage (pressure_mode %d)", pressureModes[int(mode)], mode)
	for _, f := range stageValues(st) {
		if slices.Contains(reads, f) {
			continue
		}
		hint := ignoredHints[f]
		switch {
		case f == "ramp_up" && mode == scenario.ModeConcurrency:
			hint = "ramp_up is the time from current_user_num to issue_num; without current_user_num the stage starts at issue_num"
		case f == "ramp_up" && mode == scenario.ModeTPS:
			hint = "PerfTest's ramp_up belongs to peak probing; a TPS stage ramps from current_tps over the whole stage, or over perfcase.ramp_up"
		case f == "voltage_regulating_mode" && (mode == scenario.ModeConcurrency || mode == scenario.ModeTPS):
			hint = "manual regulation applies to duration stages"
		case f == "voltage_regulating_mode":
			hint = "manual regulation applies to concurrency and TPS stages"
		case f == "current_tps":
			hint = "a count has no length to ramp over: the stage runs at tps_value (perfcase.ramp_up gives it a ramp)"
		}
		im.notef(path+"."+f, hint, "ignored: %s does not read %s", what, f)
	}
	return reads
}

func (im *importer) stage(st *TestCaseStage, path string) *scenario.Stage {
	s := &scenario.Stage{Name: st.Name}
	im.mark(s, "", path)
	im.mark(s, "name", path+".name")
	if _, ok := pressureModes[st.PressureMode]; !ok {
		im.unknownCode(path+".pressure_mode", st.PressureMode, pressureModes)
		return s
	}
	s.Mode = scenario.PressureMode(st.PressureMode)
	var ext StageExt
	if !isJSONNull(st.Perfcase) {
		im.decode(st.Perfcase, path+".perfcase", &ext, true)
	}
	reads := im.noteIgnored(st, s.Mode, &ext, path)
	// Only concurrency and TPS stages have an execution strategy (duration
	// or count) and manual regulation; the other modes run for time.
	open := s.Mode == scenario.ModeConcurrency || s.Mode == scenario.ModeTPS
	if open {
		if _, ok := operateModes[st.OperateMode]; !ok {
			im.unknownCode(path+".operate_mode", st.OperateMode, operateModes)
		}
	}
	if open && st.OperateMode == 1 {
		s.Count = st.Count
		im.mark(s, "count", path+".count")
	} else {
		s.Duration = im.seconds(path+".time", st.Time)
		im.mark(s, "duration", path+".time")
	}
	if open && st.OperateMode == 0 {
		if _, ok := regulateModes[st.VoltageRegulatingMode]; !ok {
			im.unknownCode(path+".voltage_regulating_mode", st.VoltageRegulatingMode, regulateModes)
		}
		s.Manual = st.VoltageRegulatingMode == 1
		im.mark(s, "manual", path+".voltage_regulating_mode")
	}
	probe := s.Mode == scenario.ModePeakProbe || s.Mode == scenario.ModeStepProbe
	if !probe && (len(ext.KPIs) > 0 || ext.StopAtPeak) {
		im.errorf(path+".perfcase", "remove kpis and stop_at_peak, or use pressure_mode 2 or 7", "kpis and stop_at_peak apply to probing stages")
	}
	if s.Mode != scenario.ModeTPS && ext.RampUp != 0 {
		im.errorf(path+".perfcase.ramp_up", "remove it; PerfTest's own ramp_up serves concurrency and peak probing stages", "perfcase.ramp_up applies to TPS stages")
	}
	switch s.Mode {
	case scenario.ModeConcurrency:
		s.VUs, s.StartVUs = st.IssueNum, st.IssueNum
		im.mark(s, "concurrency", path+".issue_num")
		if st.CurrentUserNum != nil {
			s.StartVUs = *st.CurrentUserNum
			s.RampUp = im.seconds(path+".ramp_up", st.RampUp)
			im.mark(s, "start_vus", path+".current_user_num")
			im.mark(s, "ramp_up", path+".ramp_up")
		}
	case scenario.ModeTPS:
		s.TPS, s.StartTPS, s.VUs = st.TPSValue, st.TPSValue, st.IssueNum
		if st.CurrentTPS != nil && slices.Contains(reads, "current_tps") {
			s.StartTPS = *st.CurrentTPS
		}
		s.RampUp = im.seconds(path+".perfcase.ramp_up", ext.RampUp)
		im.mark(s, "tps", path+".tps_value")
		im.mark(s, "start_tps", path+".current_tps")
		im.mark(s, "max_vus", path+".issue_num")
		im.mark(s, "ramp_up", path+".perfcase.ramp_up")
	case scenario.ModePeakProbe, scenario.ModeStepProbe:
		if st.CurrentUserNum != nil {
			s.StartVUs = *st.CurrentUserNum
		}
		s.VUs = st.IssueNum
		if s.Mode == scenario.ModePeakProbe {
			s.RampUp = im.seconds(path+".ramp_up", st.RampUp)
		} else {
			s.StepSize = st.StepSize
			s.StepTime = im.seconds(path+".step_duration", st.StepDuration)
		}
		s.StopAtPeak = ext.StopAtPeak
		kpis := path + ".peak_load_kpis"
		if ext.KPIs != nil {
			kpis = path + ".perfcase.kpis"
			s.KPIs = im.kpis(ext.KPIs, kpis)
		} else {
			s.KPIs = im.stageKPIs(st.PeakLoadKpis, kpis)
		}
		for key, field := range map[string]string{s.Mode.String(): "pressure_mode", "start": "current_user_num", "max": "issue_num", "ramp_up": "ramp_up",
			"step_size": "step_size", "step_duration": "step_duration", "stop_at_peak": "perfcase.stop_at_peak"} {
			im.mark(s, key, path+"."+field)
		}
		im.mark(s, "kpis", kpis)
	default: // surge and oscillation
		s.Min, s.Max, s.Loops = st.Minimum, st.Maximum, st.LoopCount
		if s.Mode == scenario.ModeSurgeConcurrency || s.Mode == scenario.ModeSurgeTPS {
			s.Hold = im.seconds(path+".max_duration", st.MaxDuration)
		}
		if s.Mode == scenario.ModeSurgeTPS || s.Mode == scenario.ModeOscillateTPS {
			s.VUs = st.IssueNum
		}
		for key, field := range map[string]string{s.Mode.String(): "pressure_mode", "min": "minimum", "max": "maximum", "loops": "loop_count",
			"hold": "max_duration", "max_vus": "issue_num"} {
			im.mark(s, key, path+"."+field)
		}
	}
	return s
}

// comparisons are the comparison values of PerfTest's peak_load_kpis.
var comparisons = []string{"<", "<=", ">", ">=", "==", "!="}

func (im *importer) stageKPIs(k *StageKpis, path string) []*scenario.KPICheck {
	if k == nil {
		return nil
	}
	var out []*scenario.KPICheck
	add := func(item *StageKpiItem, metric, unit, field string) {
		if item == nil {
			return
		}
		if !slices.Contains(comparisons, item.Comparison) {
			im.errorf(path+"."+field+".comparison", "use one of <, <=, >, >=, ==, !=", "unknown comparison %q", item.Comparison)
			return
		}
		src := fmt.Sprintf("%s %s %s%s", metric, item.Comparison, strconv.FormatFloat(item.Value, 'f', -1, 64), unit)
		out = append(out, &scenario.KPICheck{Source: src, Metric: metric, Op: item.Comparison, Value: item.Value})
	}
	add(k.AverageResponseTime, "avg_rt", "ms", "average_response_time")
	add(k.SuccessRate, "success_rate", "%", "success_rate")
	return out
}

// cards converts a list of cards. A card whose content_id is not zero is a
// transaction: either a bare reference, or a run of cards carrying the
// transaction's steps. Inside transaction ownID, cards carry its own id
// (as in the reference's §4.5.3 example) and are ordinary cards.
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

// requestCard converts a request card's items in order: a checkpoint or an
// extraction belongs to the packet before it.
func (im *importer) requestCard(c *Contents, path string) []*scenario.Step {
	if len(c.Content) == 0 {
		im.errorf(path+".content", "add a request packet (content_type 2), or remove the card", "the request card is empty")
		return nil
	}
	var steps []*scenario.Step
	var cur *scenario.Request
	var curStep *scenario.Step
	checked, sawPacket := false, false
	for k, it := range c.Content {
		ip := indexPath(path+".content", k)
		if isJSONNull(it.Content) {
			im.errorf(ip+".content", "give the item's content, or remove the item", "the %s is empty", contentTypes[it.ContentType])
			continue
		}
		switch it.ContentType {
		case 1:
			if t := im.think(it.Content, ip+".content"); t != nil {
				s := &scenario.Step{Kind: scenario.StepThink, Think: t}
				im.mark(s, "", ip)
				im.mark(s, "think", ip+".content")
				im.mark(s, "think", ip+".content.t")
				steps = append(steps, s)
			}
		case 2:
			cur, checked, sawPacket = im.packet(it.Content, ip+".content"), false, true
			if cur != nil {
				cur.ContinueOnFailure = c.IsContinue
				curStep = &scenario.Step{Kind: scenario.StepRequest, Request: cur}
				im.mark(curStep, "", ip)
				im.mark(curStep, string(cur.Protocol), ip+".content")
				im.mark(curStep, "kpis", ip+".content.perfcase.kpis")
				im.mark(curStep, "continue_on_failure", path+".is_continue")
				steps = append(steps, curStep)
			}
		case 3, 4:
			if cur == nil {
				if !sawPacket {
					im.errorf(ip, "put the request packet (content_type 2) before it in the card", "a %s with no request before it", contentTypes[it.ContentType])
				}
				continue
			}
			if it.ContentType == 4 {
				if e := im.extraction(it.Content, ip+".content"); e != nil {
					if len(cur.Extract) == 0 {
						im.mark(curStep, "extract", ip+".content")
					}
					cur.Extract = append(cur.Extract, e)
				}
				continue
			}
			if checked {
				im.errorf(ip, "merge the checks into one checkpoint item", "the request already has a checkpoint")
			}
			checked = true
			im.checkpoint(it.Content, ip+".content", cur, curStep)
			if cur.Protocol == scenario.WebSocket && (cur.Retry != scenario.Retry{}) {
				im.errorf(ip+".content", "remove retry_count and retry_interval", "a WebSocket request has no retry")
			}
		default:
			im.unknownCode(ip+".content_type", it.ContentType, contentTypes)
		}
	}
	return steps
}

func (im *importer) think(raw json.RawMessage, path string) *scenario.Think {
	var t Think
	if !im.decode(raw, path, &t, true) {
		return nil
	}
	switch {
	case t.T != nil && t.Min == nil && t.Max == nil:
		return &scenario.Think{Min: im.millis(path+".t", *t.T)}
	case t.T == nil && t.Min != nil && t.Max != nil:
		th := &scenario.Think{Min: im.millis(path+".min", *t.Min), Max: im.millis(path+".max", *t.Max)}
		im.mark(th, "", path)
		im.mark(th, "min", path+".min")
		im.mark(th, "max", path+".max")
		return th
	}
	im.errorf(path, "write {\"t\": 1000} for a fixed pause, or {\"min\": 500, \"max\": 1500} for a random one (milliseconds)", "a think time needs t, or min and max")
	return nil
}

// packet converts a request packet. Fields that do not apply to the
// protocol (method on TCP, connect_timeout on UDP, ...) are ignored: the
// PerfTest UI fills them with defaults.
func (im *importer) packet(raw json.RawMessage, path string) *scenario.Request {
	var ci ContentInfo
	if !im.decode(raw, path, &ci, false) {
		return nil
	}
	r := &scenario.Request{Name: ci.Name}
	card := fmt.Sprintf("request %q", ci.Name)
	if ci.ReturnTimeoutParam != "" {
		im.errorf(path+".return_timeout_param", "set return_timeout in milliseconds; perfcase timeouts are fixed durations", "%s: a variable timeout is not supported", card)
	}
	bodies := ci.Bodys
	if len(ci.Bodies) > 0 {
		if len(ci.Bodys) > 0 {
			im.errorf(path+".bodies", "keep bodys (or bodies), not both", "%s: bodys and bodies both given", card)
		}
		bodies = ci.Bodies
	}
	var ext RequestExt
	if !isJSONNull(ci.Perfcase) && !im.decode(ci.Perfcase, path+".perfcase", &ext, true) {
		return nil
	}
	switch ci.ProtocolType {
	case 1, 2:
		r.Protocol, r.HTTP = scenario.HTTP, im.httpPacket(&ci, bodies, &ext, path)
	case 3, 4:
		r.Protocol = scenario.TCP
		if ci.ProtocolType == 4 {
			r.Protocol = scenario.UDP
		}
		r.Socket = im.socketPacket(&ci, r.Protocol, bodies, &ext, path)
	case 9:
		r.Protocol = scenario.WebSocket
		r.WS = im.wsPacket(&ci, bodies, &ext, path)
	case 7, 10:
		im.errorf(path+".protocol_type", "perfcase runs HTTP(S), TCP, UDP and WebSocket; remove this card or keep the case in PerfTest", "%s uses %s, which perfcase does not support", card, protocolTypes[ci.ProtocolType])
		return nil
	default:
		im.unknownCode(path+".protocol_type", ci.ProtocolType, protocolTypes)
		return nil
	}
	bp := path + ".bodys"
	if len(ci.Bodies) > 0 {
		bp = path + ".bodies"
	}
	im.markRequest(r, path, bp)
	allowed := map[scenario.Protocol][]string{
		scenario.HTTP:      {"query", "redirects", "tls_verify", "kpis"},
		scenario.TCP:       {"read", "idle", "close", "kpis"},
		scenario.UDP:       {"read", "idle", "kpis"},
		scenario.WebSocket: {"subprotocols", "tls_verify", "connection", "actions", "kpis"},
	}[r.Protocol]
	for _, name := range setFields(&ext) {
		if !slices.Contains(allowed, name) {
			im.errorf(path+".perfcase."+name, "a "+string(r.Protocol)+" request takes: "+strings.Join(allowed, ", "), "%s: %s does not apply to a %s request", card, name, r.Protocol)
		}
	}
	r.KPIs = im.kpis(ext.KPIs, path+".perfcase.kpis")
	return r
}

// markRequest places a request packet's values, path being the packet's
// ContentInfo and bodies its bodys (or bodies).
func (im *importer) markRequest(r *scenario.Request, path, bodies string) {
	im.mark(r, "", path)
	for key, field := range map[string]string{"name": "name", "method": "method", "url": "url", "address": "url", "version": "http_version",
		"headers": "headers", "query": "perfcase.query", "connect_timeout": "connect_timeout", "timeout": "return_timeout",
		"redirects": "perfcase.redirects", "tls_verify": "perfcase.tls_verify", "subprotocols": "perfcase.subprotocols",
		"connection": "perfcase.connection", "actions": "perfcase.actions", "close": "perfcase.close", "read": "check_end_type"} {
		im.mark(r, key, path+"."+field)
	}
	im.mark(r, "read", path+".perfcase.read")
	for _, key := range []string{"body", "json", "form", "multipart", "payload"} {
		im.mark(r, key, bodies)
	}
	for _, key := range []string{"body", "json", "payload"} {
		im.mark(r, key, bodies+"[0].value")
	}
	im.mark(r, "hex", bodies+"[0].format")
	switch {
	case r.HTTP != nil:
		im.markKVs(r.HTTP.Headers, path+".headers")
		im.markKVs(r.HTTP.Query, path+".perfcase.query")
		im.markKVs(r.HTTP.Form, bodies)
		for i := range r.HTTP.Parts {
			pp := indexPath(bodies, i)
			im.mark(&r.HTTP.Parts[i], "", pp)
			im.mark(&r.HTTP.Parts[i], scenario.NameKey, pp+".key")
			for key, field := range map[string]string{"name": "key", "value": "value", "file": "file", "content_type": "content_type"} {
				im.mark(&r.HTTP.Parts[i], key, pp+"."+field)
			}
		}
	case r.WS != nil:
		im.markKVs(r.WS.Headers, path+".headers")
		for i := range r.WS.Actions {
			ap := indexPath(path+".perfcase.actions", i)
			a := &r.WS.Actions[i]
			for key, field := range map[string]string{"": "", "send": "text", "send_binary": "text", "ping": "text", "close": "code", "receive": "",
				"count": "count", "until": "until", "max": "max", "timeout": "timeout"} {
				im.mark(a, key, joinPath(ap, field))
			}
		}
	}
}

// markKVs places key/value pairs read from a list of {key, value}.
func (im *importer) markKVs(list []scenario.KV, path string) {
	for i := range list {
		ip := indexPath(path, i)
		im.mark(&list[i], scenario.NameKey, ip+".key")
		im.mark(&list[i], "key", ip+".key")
		im.mark(&list[i], "", ip+".value")
		im.mark(&list[i], "value", ip+".value")
	}
}

// setFields lists the JSON names of the non-zero fields of a struct.
func setFields(v any) []string {
	rv := reflect.ValueOf(v).Elem()
	var out []string
	for i := 0; i < rv.NumField(); i++ {
		if !rv.Field(i).IsZero() {
			name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	return out
}

func (im *importer) httpPacket(ci *ContentInfo, bodies []Body, ext *RequestExt, path string) *scenario.HTTPRequest {
	h := &scenario.HTTPRequest{URL: ci.URL, Method: strings.ToUpper(ci.Method), Version: ci.HTTPVersion, TLSVerify: true}
	// The File spells GET and HTTP/1.1 as "", the defaults.
	if h.Method == "GET" {
		h.Method = ""
	}
	if h.Version == "HTTP/1.1" {
		h.Version = ""
	}
	h.Headers = kvsFromPT(ci.Headers)
	h.ConnectTimeout = im.millis(path+".connect_timeout", ci.ConnectTimeout)
	h.Timeout = im.millis(path+".return_timeout", ci.ReturnTimeout)
	bp := path + ".bodys"
	for i, b := range bodies {
		if b.Format != "" && !(b.Format == "json" && ci.BodyType == 0) {
			im.errorf(indexPath(bp, i)+".format", "an HTTP body's format is json (perfcase's json: body) or absent", "unknown format %q", b.Format)
		}
	}
	switch ci.BodyType {
	case 0:
		switch len(bodies) {
		case 0:
		case 1:
			h.BodyKind, h.Body = scenario.BodyRaw, bodies[0].Value
			if bodies[0].Format == "json" {
				// Spelled the way the YAML json: key reads back.
				text, err := scenario.CanonicalJSON(h.Body)
				if err != nil {
					im.errorf(indexPath(bp, 0)+".value", "fix the JSON, or drop \"format\": \"json\" to send it as text", "format json, but the value is not JSON: %v", err)
				}
				h.BodyKind, h.Body = scenario.BodyJSON, text
			}
		default:
			im.errorf(bp, "a raw body is one item: [{\"value\": \"...\"}]", "a raw body (body_type 0) has %d items", len(bodies))
		}
	case 1:
		h.BodyKind = scenario.BodyMultipart
		for _, b := range bodies {
			h.Parts = append(h.Parts, scenario.Part{Name: b.Key, Value: b.Value, File: b.File, ContentType: b.ContentType})
		}
	case 3:
		h.BodyKind = scenario.BodyForm
		for _, b := range bodies {
			h.Form = append(h.Form, scenario.KV{Key: b.Key, Value: b.Value})
		}
	default:
		im.unknownCode(path+".body_type", ci.BodyType, bodyTypes)
	}
	h.Query = kvsFromPT(ext.Query)
	h.MaxRedirects = ext.Redirects
	if ext.Redirects < -1 {
		im.errorf(path+".perfcase.redirects", "give -1 (never follow) or a positive limit", "unknown redirects %d", ext.Redirects)
	}
	if ext.TLSVerify != nil {
		h.TLSVerify = *ext.TLSVerify
	}
	return h
}

func (im *importer) socketPacket(ci *ContentInfo, proto scenario.Protocol, bodies []Body, ext *RequestExt, path string) *scenario.SocketRequest {
	// The parser's defaults: one reply, read until idle (TCP) or one
	// datagram (UDP).
	s := &scenario.SocketRequest{Address: ci.URL, End: scenario.EndIdle, Idle: scenario.DefaultReadIdle}
	if proto == scenario.UDP {
		s.End = scenario.EndDatagram
	} else {
		s.ConnectTimeout = im.millis(path+".connect_timeout", ci.ConnectTimeout)
		s.CloseAfter = ext.Close
	}
	s.Timeout = im.millis(path+".return_timeout", ci.ReturnTimeout)
	switch len(bodies) {
	case 0:
	case 1:
		s.Payload = bodies[0].Value
		switch bodies[0].Format {
		case "", "string":
		case "hex":
			s.Hex = true
		default:
			im.errorf(path+".bodys[0].format", "use string or hex", "unknown format %q", bodies[0].Format)
		}
	default:
		im.errorf(path+".bodys", "a TCP/UDP payload is one item: [{\"value\": \"...\"}]", "has %d items", len(bodies))
	}
	if !isJSONNull(ci.CheckEndType) {
		code, ok := im.jsonInt(ci.CheckEndType, path+".check_end_type")
		switch {
		case !ok:
		case code == 1:
			s.End = scenario.EndLength
			if n, ok := im.jsonInt(ci.CheckEndLength, path+".check_end_length"); ok {
				s.Length = int(n)
			}
		case code == 2:
			s.End = scenario.EndTerminator
			if t, ok := jsonScalarText(ci.CheckEndStr); ok {
				s.Terminator = t
			} else {
				im.errorf(path+".check_end_str", "give the terminator as a string, e.g. \"\\n\"", "check_end_type 2 needs check_end_str")
			}
		default:
			im.unknownCode(path+".check_end_type", int(code), endTypes)
		}
	}
	if ext.Read != "" && s.End != scenario.EndIdle && s.End != scenario.EndDatagram {
		im.errorf(path+".perfcase.read", "keep check_end_type or perfcase.read, not both", "the reply's end is given twice")
	}
	switch ext.Read {
	case "":
		if ext.Idle != nil {
			im.errorf(path+".perfcase.idle", "add \"read\": \"idle\"", "idle applies to read idle")
		}
	case "none":
		s.End = scenario.EndNone
	case "idle":
		if ext.Idle == nil {
			im.errorf(path+".perfcase.idle", "give the idle time in milliseconds, e.g. \"idle\": 200", "read idle needs idle")
			break
		}
		s.End, s.Idle = scenario.EndIdle, im.millis(path+".perfcase.idle", *ext.Idle)
	default:
		im.errorf(path+".perfcase.read", "use none or idle", "unknown read %q", ext.Read)
	}
	if s.End != scenario.EndIdle {
		s.Idle = 0
	}
	return s
}

// jsonInt reads a number, or a string holding one: the reference types
// check_end_length as Object.
func (im *importer) jsonInt(raw json.RawMessage, path string) (int64, bool) {
	s, ok := jsonScalarText(raw)
	n, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil {
		im.errorf(path, "give a whole number", "expected a whole number, got %s", strings.TrimSpace(string(raw)))
		return 0, false
	}
	return n, true
}

func (im *importer) wsPacket(ci *ContentInfo, bodies []Body, ext *RequestExt, path string) *scenario.WSRequest {
	ws := &scenario.WSRequest{URL: ci.URL, Headers: kvsFromPT(ci.Headers), Subprotocols: ext.Subprotocols, TLSVerify: true}
	ws.ConnectTimeout = im.millis(path+".connect_timeout", ci.ConnectTimeout)
	ws.Timeout = im.millis(path+".return_timeout", ci.ReturnTimeout)
	if len(bodies) > 0 {
		im.errorf(path+".bodys", "write the messages as perfcase.actions: [{\"kind\": \"send\", \"text\": \"...\"}]", "a WebSocket request sends its messages through actions")
	}
	if ext.TLSVerify != nil {
		ws.TLSVerify = *ext.TLSVerify
	}
	switch ext.Connection {
	case "", "vu":
	case "iteration":
		ws.PerIteration = true
	default:
		im.errorf(path+".perfcase.connection", "use vu (kept across passes) or iteration (new each pass)", "unknown connection %q", ext.Connection)
	}
	for i, a := range ext.Actions {
		ap := indexPath(path+".perfcase.actions", i)
		act := scenario.WSAction{Kind: a.Kind, Text: a.Text, Binary: a.Binary, Count: a.Count, Max: a.Max, Timeout: im.millis(ap+".timeout", a.Timeout), Code: a.Code}
		if a.Until != nil {
			act.Until = &scenario.Expr{Source: *a.Until}
		}
		switch a.Kind {
		case "send", "ping":
		case "receive":
			if act.Count == 0 && act.Until == nil {
				act.Count = 1
			}
		case "close":
			if act.Code == 0 {
				act.Code = 1000
			}
		default:
			im.errorf(ap+".kind", "use send, receive, ping or close", "unknown kind %q", a.Kind)
		}
		ws.Actions = append(ws.Actions, act)
	}
	return ws
}

func (im *importer) checkpoint(raw json.RawMessage, path string, r *scenario.Request, s *scenario.Step) {
	var cp Checkpoint
	if !im.decode(raw, path, &cp, true) {
		return
	}
	im.mark(s, "check", path+".checks")
	im.mark(s, "check_mode", path+".mode")
	im.mark(s, "retry", path+".retry_count")
	switch strings.ToUpper(cp.Mode) {
	case "", "AND":
	case "OR":
		r.CheckAny = true
	default:
		im.errorf(path+".mode", "use AND (all checks pass) or OR (any check passes)", "unknown mode %q", cp.Mode)
	}
	r.Retry = scenario.Retry{Count: cp.RetryCount, Interval: im.millis(path+".retry_interval", cp.RetryInterval)}
	for i, name := range cp.RetryOn {
		k, ok := scenario.RetryKind(name)
		if !ok {
			im.errorf(indexPath(path+".retry_on", i), "kinds: "+strings.Join(scenario.RetryKinds, ", "), "%q is not a kind of failure", name)
		}
		r.Retry.On |= k
	}
	if cp.RetryOn != nil && len(cp.RetryOn) == 0 {
		im.errorf(path+".retry_on", "list the kinds to retry, or leave retry_on out to retry every failure", "retry_on lists no kind of failure")
	}
	if (r.Retry != scenario.Retry{}) && r.Protocol == "" {
		im.errorf(path, "remove retry_count and retry_interval", "a plugin request has no retry")
	}
	for i, c := range cp.Checks {
		cpth := indexPath(path+".checks", i)
		value := im.scalarText(c.Value, cpth+".value")
		var values []string
		for k, raw := range c.Values {
			values = append(values, im.scalarText(raw, indexPath(cpth+".values", k)))
		}
		if c.Subject == "expression" {
			if c.Key != "" || c.Operator != "" || len(values) > 0 {
				im.errorf(cpth, "an expression check is {\"subject\": \"expression\", \"value\": \"status == 200\"}", "an expression check takes only value")
			}
			ch := &scenario.Check{Expr: &scenario.Expr{Source: value}}
			im.mark(ch, "", cpth+".value")
			r.Checks = append(r.Checks, ch)
			continue
		}
		subj, ok := ptSubjectsByName[c.Subject]
		if !ok {
			im.errorf(cpth+".subject", "use one of: response_code, header, body, jsonpath, rt, payload, expression", "unknown subject %q", c.Subject)
			continue
		}
		if (subj == "header" || subj == "jsonpath") != (c.Key != "") {
			im.errorf(cpth+".key", "header and jsonpath checks name the header or the path in key; the others have no key", "key does not fit subject %s", c.Subject)
		}
		if !slices.Contains(scenario.CheckOps, c.Operator) && c.Operator != "not_exists" {
			im.errorf(cpth+".operator", "use one of: "+strings.Join(scenario.CheckOps, ", ")+", not_exists", "unknown operator %q", c.Operator)
		}
		if (c.Operator == "in") != (len(values) > 0) || (c.Operator == "in" || strings.HasSuffix(c.Operator, "exists")) && value != "" {
			im.errorf(cpth, "operator in takes values: [...]; exists and not_exists take nothing; the others take value", "value does not fit operator %s", c.Operator)
		}
		ch := &scenario.Check{Subject: subj, Arg: c.Key, Op: c.Operator, Value: value, Values: values}
		im.mark(ch, "", cpth)
		im.mark(ch, subj, cpth+".subject")
		im.mark(ch, subj, cpth+".key")
		if c.Operator == "equals" && c.Key == "" {
			im.mark(ch, subj, cpth+".value") // written {status: 200}
		}
		im.mark(ch, c.Operator, cpth+".value")
		im.mark(ch, "in", cpth+".values")
		im.mark(ch, "exists", cpth+".operator")
		r.Checks = append(r.Checks, ch)
	}
}

// scalarText reads an optional string, number or boolean as text.
func (im *importer) scalarText(raw json.RawMessage, path string) string {
	if isJSONNull(raw) {
		return ""
	}
	s, ok := jsonScalarText(raw)
	if !ok {
		im.errorf(path, "give a string or a number", "expected a value, got %s", strings.TrimSpace(string(raw)))
	}
	return s
}

func (im *importer) extraction(raw json.RawMessage, path string) *scenario.Extract {
	var x Extraction
	if !im.decode(raw, path, &x, true) {
		return nil
	}
	e := &scenario.Extract{Var: x.Name, From: "body", Match: 1, Regex: x.Regexp, Group: x.ExpIndex, Left: x.Left, Right: x.Right, Default: x.Default, Expect: x.ExpectedValue}
	im.mark(e, "", path)
	im.mark(e, scenario.NameKey, path+".name")
	for key, field := range map[string]string{"header": "header", "from": "range", "jsonpath": "json_key", "regex": "regexp", "match": "match_index",
		"group": "exp_index", "left": "left", "right": "right", "default": "default", "expect": "expected_value"} {
		im.mark(e, key, path+"."+field)
	}
	im.mark(e, "jsonpath", path+".jsonpath")
	switch x.Range {
	case "body", "":
	case "header":
		e.From, e.Header = "header", x.Header
	case "url":
		e.From = "url"
	case "response_code":
		e.From = "status"
	case "json":
		switch {
		case x.JSONPath != "" && (x.JSONKey != "" || x.Condition != ""):
			im.errorf(path+".jsonpath", "keep json_key (with condition), or jsonpath", "json_key and jsonpath both given")
		case x.JSONPath != "":
			e.JSONPath = x.JSONPath
		default:
			p, err := perfTestKeyToJSONPath(x.JSONKey, x.Condition)
			if err != nil {
				im.errorf(path+".json_key", "write the key as a.b[0].c, and a condition as a.b[].c = v", "%v", err)
			}
			e.JSONPath = p
		}
		if x.Regexp != "" || x.Left != "" || x.Right != "" {
			im.errorf(path, "a json extraction takes json_key; regexp, left and right apply to the other ranges", "range json with regexp, left or right")
		}
	default:
		im.errorf(path+".range", "use one of: body, header, url, response_code, json", "unknown range %q", x.Range)
	}
	if x.Range != "header" && x.Header != "" {
		im.errorf(path+".header", "use range header", "header applies to range header")
	}
	if x.Range != "json" && (x.JSONKey != "" || x.Condition != "" || x.JSONPath != "") {
		im.errorf(path+".range", "use range json", "json_key, condition and jsonpath apply to range json")
	}
	switch {
	case x.MatchIndex == 0:
	case x.MatchIndex > 0 || x.MatchIndex == -1:
		e.Match = x.MatchIndex
	default:
		im.errorf(path+".match_index", "matches count from 1; -1 picks a random one", "unknown match_index %d", x.MatchIndex)
	}
	if x.ExpIndex < 0 {
		im.errorf(path+".exp_index", "0 is the whole match, n the n-th group", "must not be negative, got %d", x.ExpIndex)
	}
	return e
}
