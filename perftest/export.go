package perftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// Export converts a File to perfcase's wrapper document (indented
// JSON): one CreateCase body per case, with the variables and transactions.
// What PerfTest cannot hold is under "perfcase" keys; what JSON cannot hold
// exactly (a timeout of 1.5 ms, a stage of 90.5 s) is an error that points
// at the File's position.
func Export(f *scenario.File) ([]byte, error) {
	ex := &exporter{file: f.Path, txIDs: map[string]int{}}
	doc := Document{Name: f.Name, Description: f.Description, Parallel: f.Parallel, Variables: []Variable{}, Transactions: []Transaction{}, Cases: []Case{}}
	for i, t := range f.Transactions {
		ex.txIDs[t.Name] = i + 1
	}
	for _, v := range f.Variables {
		doc.Variables = append(doc.Variables, ex.variable(v))
	}
	for i, t := range f.Transactions {
		pt := Transaction{ID: i + 1, Name: t.Name, Description: t.Description, Contents: ex.cards(t.Steps)}
		if len(t.KPIs) > 0 {
			pt.Perfcase = ex.raw(TransactionExt{KPIs: scenario.KPISources(t.KPIs)})
		}
		doc.Transactions = append(doc.Transactions, pt)
	}
	if len(f.Before) > 0 {
		doc.Before = ex.cards(f.Before)
	}
	if len(f.After) > 0 {
		doc.After = ex.cards(f.After)
	}
	for _, c := range f.Cases {
		doc.Cases = append(doc.Cases, ex.caseBody(c))
	}
	if err := ex.errs.Err(); err != nil {
		return nil, err
	}
	return marshalJSON(doc, "  ")
}

type exporter struct {
	file  string
	errs  scenario.ErrorList
	txIDs map[string]int
}

func (ex *exporter) errorf(pos scenario.Pos, hint, format string, args ...any) {
	ex.errs = append(ex.errs, &scenario.Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// marshalJSON writes v without HTML escaping, so that "<=" stays readable.
func marshalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// raw marshals a part of the document. Only a NaN or infinite number can
// fail, which the parser never produces.
func (ex *exporter) raw(v any) json.RawMessage {
	b, err := marshalJSON(v, "")
	if err != nil {
		ex.errorf(scenario.Pos{File: ex.file}, "give finite numbers", "cannot write JSON: %v", err)
		return nil
	}
	return bytes.TrimSpace(b)
}

func (ex *exporter) ms(d time.Duration, pos scenario.Pos, what string) int64 {
	if d%time.Millisecond != 0 {
		ex.errorf(pos, "round it to whole milliseconds", "%s %v is not a whole number of milliseconds, which PerfTest JSON holds", what, d)
	}
	return int64(d / time.Millisecond)
}

func (ex *exporter) secs(d time.Duration, pos scenario.Pos, what string) int64 {
	if d%time.Second != 0 {
		ex.errorf(pos, "round it to whole seconds", "%s %v is not a whole number of seconds, which PerfTest stages hold", what, d)
	}
	return int64(d / time.Second)
}

func (ex *exporter) variable(v *scenario.Variable) Variable {
	pv := Variable{Name: v.Name, VariableMode: int(v.Mode), ShareMode: int(v.Share), IsSensitive: v.Sensitive}
	str := func(s string) json.RawMessage { return ex.raw(s) }
	switch v.Type {
	case scenario.VarText:
		pv.VariableType, pv.Variable = 5, []json.RawMessage{str(v.Value)}
	case scenario.VarInteger:
		pv.VariableType = 1
		pv.Variable = []json.RawMessage{json.RawMessage(strconv.FormatInt(v.Min, 10)), json.RawMessage(strconv.FormatInt(v.Max, 10))}
	case scenario.VarList:
		pv.VariableType, pv.Variable = 2, []json.RawMessage{}
		for _, s := range v.Values {
			pv.Variable = append(pv.Variable, str(s))
		}
	case scenario.VarFile:
		pv.VariableType, pv.Variable = 3, []json.RawMessage{str(v.Path)}
	}
	ext := VariableExt{Once: v.Once}
	if v.Type == scenario.VarFile && v.Delimiter != ',' {
		ext.Delimiter = string(v.Delimiter)
	}
	if v.StopAtEnd {
		ext.OnEnd = "stop"
	}
	if ext != (VariableExt{}) {
		pv.Perfcase = ex.raw(ext)
	}
	return pv
}

func (ex *exporter) caseBody(c *scenario.Case) Case {
	status := 1
	if c.Disabled {
		status = 2
	}
	pc := Case{Name: c.Name, Status: &status, SetupContents: ex.cards(c.Setup), Contents: ex.cards(c.Steps), Stages: []TestCaseStage{}, UserReplicas: c.Replicas}
	if c.LogPolicy == "case" {
		pc.CollectLogPolicy = 1
	}
	d := c.Doc
	if c.Description != "" || len(c.Labels) > 0 || d.Preparation != "" || d.Rank != 0 || d.Status != "" || len(d.Steps) > 0 {
		doc := &CaseDoc{Description: c.Description, LabelNames: append([]string{}, c.Labels...), Preparation: d.Preparation, Rank: d.Rank, Steps: []CaseDocStep{}}
		for code, name := range docStatusCode {
			if name == d.Status {
				doc.StatusCode = &code
			}
		}
		for _, st := range d.Steps {
			doc.Steps = append(doc.Steps, CaseDocStep{TestStep: st.Step, ExpectResult: st.Expect})
		}
		pc.CaseInfo = doc
	}
	for _, st := range c.Stages {
		pc.Stages = append(pc.Stages, ex.stage(st))
	}
	ext := CaseExt{KPIs: scenario.KPISources(c.KPIs), Pacing: ex.ms(c.Pacing, c.Pos, "pacing")}
	if c.NoCookies {
		ext.Cookies = new(bool)
	}
	for _, r := range c.SLA {
		if r.KPI == nil {
			ex.errorf(r.Pos, "give the rule a kpi", "sla rule %q has no kpi", r.Name)
			continue
		}
		rule := SLARule{Name: r.Name, KPI: r.KPI.Source, Window: ex.ms(r.Window, r.Pos, "sla window"), Breaches: r.Breaches, Requests: r.Requests}
		if r.Stop {
			rule.Action = "stop"
		}
		ext.SLA = append(ext.SLA, rule)
	}
	if len(ext.KPIs) > 0 || len(ext.SLA) > 0 || ext.Pacing != 0 || ext.Cookies != nil {
		pc.Perfcase = ex.raw(ext)
	}
	return pc
}

func (ex *exporter) stage(st *scenario.Stage) TestCaseStage {
	ps := TestCaseStage{Name: st.Name, PressureMode: int(st.Mode)}
	if st.Count > 0 {
		ps.OperateMode, ps.Count = 1, st.Count
	} else {
		ps.Time = ex.secs(st.Duration, st.Pos, "duration")
	}
	if st.Manual {
		ps.VoltageRegulatingMode = 1
	}
	start := st.StartVUs
	var ext StageExt
	switch st.Mode {
	case scenario.ModeConcurrency:
		ps.IssueNum, ps.CurrentUserNum = st.VUs, &start
		ps.RampUp = ex.secs(st.RampUp, st.Pos, "ramp_up")
	case scenario.ModeTPS:
		startTPS := st.StartTPS
		ps.TPSValue, ps.IssueNum = st.TPS, st.VUs
		ext.RampUp = ex.secs(st.RampUp, st.Pos, "ramp_up")
		// A count stage without a ramp runs at tps from its start, and
		// import reads current_tps there only beside a ramp.
		if st.Count == 0 || st.RampUp != 0 {
			ps.CurrentTPS = &startTPS
		}
	case scenario.ModePeakProbe, scenario.ModeStepProbe:
		ps.CurrentUserNum, ps.IssueNum = &start, st.VUs
		if st.Mode == scenario.ModePeakProbe {
			ps.RampUp = ex.secs(st.RampUp, st.Pos, "ramp_up")
		} else {
			ps.StepSize, ps.StepDuration = st.StepSize, ex.secs(st.StepTime, st.Pos, "step_duration")
		}
		ps.PeakLoadKpis = stageKpis(st.KPIs)
		if !kpisFitPeakLoad(st.KPIs) {
			ext.KPIs = scenario.KPISources(st.KPIs)
		}
		ext.StopAtPeak = st.StopAtPeak
	default:
		ps.Minimum, ps.Maximum, ps.LoopCount = st.Min, st.Max, st.Loops
		if st.Mode == scenario.ModeSurgeConcurrency || st.Mode == scenario.ModeSurgeTPS {
			ps.MaxDuration = ex.secs(st.Hold, st.Pos, "hold")
		}
		if st.Mode == scenario.ModeSurgeTPS || st.Mode == scenario.ModeOscillateTPS {
			ps.IssueNum = st.VUs
		}
	}
	if len(ext.KPIs) > 0 || ext.StopAtPeak || ext.RampUp != 0 {
		ps.Perfcase = ex.raw(ext)
	}
	return ps
}

// stageKpis fills peak_load_kpis with the first avg_rt and success_rate
// KPIs, the two PerfTest has.
func stageKpis(list []*scenario.KPICheck) *StageKpis {
	k := &StageKpis{}
	for _, c := range list {
		item := &StageKpiItem{Comparison: c.Op, Value: c.Value}
		switch {
		case c.Metric == "avg_rt" && k.AverageResponseTime == nil:
			k.AverageResponseTime = item
		case c.Metric == "success_rate" && k.SuccessRate == nil:
			k.SuccessRate = item
		}
	}
	if *k == (StageKpis{}) {
		return nil
	}
	return k
}

// kpisFitPeakLoad reports whether peak_load_kpis alone gives back list as
// import reads it: at most avg_rt then success_rate, written the way
// import spells them.
func kpisFitPeakLoad(list []*scenario.KPICheck) bool {
	back := (&importer{}).stageKPIs(stageKpis(list), "")
	if len(back) != len(list) {
		return false
	}
	for i, k := range list {
		if back[i].Source != k.Source || back[i].Metric != k.Metric || back[i].Op != k.Op || back[i].Value != k.Value {
			return false
		}
	}
	return true
}

// cards converts steps to cards. A think time joins the request card next
// to it, since PerfTest keeps think times inside request cards; import reads
// a card's items in order, so the steps come back in the same order.
func (ex *exporter) cards(steps []*scenario.Step) []Contents {
	out := []Contents{}
	var pending []Content // think items waiting for the next request
	pendingDisabled := false
	last := -1 // index in out of the request card a think time may join
	flush := func() {
		if len(pending) > 0 {
			out = append(out, Contents{Content: pending, IsDisabled: pendingDisabled})
			pending, last = nil, -1
		}
	}
	for _, s := range steps {
		switch s.Kind {
		case scenario.StepThink:
			item := ex.thinkItem(s)
			if len(pending) == 0 && last >= 0 && out[last].IsDisabled == s.Disabled {
				out[last].Content = append(out[last].Content, item)
				continue
			}
			if len(pending) > 0 && pendingDisabled != s.Disabled {
				flush()
			}
			pending, pendingDisabled = append(pending, item), s.Disabled
		case scenario.StepRequest:
			card := ex.requestCard(s)
			if len(pending) > 0 && pendingDisabled == s.Disabled {
				card.Content = append(pending, card.Content...)
				pending = nil
			}
			flush()
			out = append(out, card)
			last = len(out) - 1
		default:
			flush()
			out = append(out, ex.controllerCard(s))
			last = -1
		}
	}
	flush()
	for i := range out {
		out[i].Index = i
	}
	return out
}

func (ex *exporter) thinkItem(s *scenario.Step) Content {
	t := s.Think
	var pt Think
	if t.Max == 0 {
		v := ex.ms(t.Min, s.Pos, "think")
		pt.T = &v
	} else {
		lo, hi := ex.ms(t.Min, s.Pos, "think min"), ex.ms(t.Max, s.Pos, "think max")
		pt.Min, pt.Max = &lo, &hi
	}
	return Content{ContentType: 1, Content: ex.raw(pt)}
}

func (ex *exporter) requestCard(s *scenario.Step) Contents {
	r := s.Request
	items := []Content{{ContentType: 2, Content: ex.raw(ex.packet(r, s.Pos))}}
	items = append(items, ex.checkItems(r)...)
	return Contents{Content: items, IsDisabled: s.Disabled, IsContinue: r.ContinueOnFailure}
}

// checkItems are a request's checkpoint and extraction items.
func (ex *exporter) checkItems(r *scenario.Request) []Content {
	var items []Content
	if len(r.Checks) > 0 || r.CheckAny || (r.Retry != scenario.Retry{}) || len(r.SoftChecks) > 0 {
		cp := Checkpoint{Mode: "AND", RetryCount: r.Retry.Count, RetryInterval: ex.ms(r.Retry.Interval, r.Pos, "retry interval"), RetryOn: r.Retry.On.Names(),
			Checks: ex.checks(r.Checks), SoftChecks: ex.checks(r.SoftChecks)}
		if r.CheckAny {
			cp.Mode = "OR"
		}
		if len(cp.SoftChecks) == 0 {
			cp.SoftChecks = nil
		}
		items = append(items, Content{ContentType: 3, Content: ex.raw(cp)})
	}
	for _, e := range r.Extract {
		x := Extraction{Name: e.Var, Range: ptRanges[e.From], Header: e.Header, Regexp: e.Regex, ExpIndex: e.Group, Left: e.Left, Right: e.Right, Default: e.Default, ExpectedValue: e.Expect}
		if e.Match != 1 {
			x.MatchIndex = e.Match
		}
		if e.JSONPath != "" {
			x.Range = "json"
			if key, cond, ok := jsonPathToPerfTestKey(e.JSONPath); ok {
				x.JSONKey, x.Condition = key, cond
			} else {
				x.JSONPath = e.JSONPath
			}
		}
		items = append(items, Content{ContentType: 4, Content: ex.raw(x)})
	}
	return items
}

// checks writes checks as a checkpoint's list.
func (ex *exporter) checks(list []*scenario.Check) []Check {
	out := []Check{}
	for _, c := range list {
		if c.Expr != nil {
			out = append(out, Check{Subject: "expression", Value: ex.raw(c.Expr.Source)})
			continue
		}
		pc := Check{Subject: ptCheckSubjects[c.Subject], Key: c.Arg, Operator: c.Op}
		if c.Value != "" {
			pc.Value = ex.raw(c.Value)
		}
		for _, v := range c.Values {
			pc.Values = append(pc.Values, ex.raw(v))
		}
		out = append(out, pc)
	}
	return out
}

func ptKVs(list []scenario.KV) []ContentHeader {
	out := []ContentHeader{}
	for _, kv := range list {
		out = append(out, ContentHeader{Key: kv.Key, Value: kv.Value})
	}
	return out
}

func (ex *exporter) packet(r *scenario.Request, pos scenario.Pos) ContentInfo {
	ci := ContentInfo{Name: r.Name, Headers: []ContentHeader{}, Bodys: []Body{}}
	var ext RequestExt
	switch r.Protocol {
	case scenario.HTTP:
		h := r.HTTP
		ci.ProtocolType, ci.Method, ci.URL, ci.HTTPVersion = 1, h.Method, h.URL, h.Version
		if strings.HasPrefix(strings.ToLower(h.URL), "https://") {
			ci.ProtocolType = 2
		}
		if ci.Method == "" {
			ci.Method = "GET"
		}
		if ci.HTTPVersion == "" {
			ci.HTTPVersion = "HTTP/1.1"
		}
		if scenario.HTTPVersion(ci.HTTPVersion) == scenario.HTTP2Version {
			// "2" is perfcase's short form; PerfTest writes the name.
			ci.HTTPVersion = scenario.HTTP2Version
		}
		ci.Headers = ptKVs(h.Headers)
		ci.ConnectTimeout, ci.ReturnTimeout = ex.ms(h.ConnectTimeout, pos, "connect_timeout"), ex.ms(h.Timeout, pos, "timeout")
		switch h.BodyKind {
		case scenario.BodyRaw:
			ci.Bodys = []Body{{Value: h.Body}}
		case scenario.BodyJSON:
			ci.Bodys = []Body{{Value: h.Body, Format: "json"}}
		case scenario.BodyForm:
			ci.BodyType = 3
			for _, kv := range h.Form {
				ci.Bodys = append(ci.Bodys, Body{Key: kv.Key, Value: kv.Value})
			}
		case scenario.BodyMultipart:
			ci.BodyType = 1
			for _, p := range h.Parts {
				ci.Bodys = append(ci.Bodys, Body{Key: p.Name, Value: p.Value, File: p.File, ContentType: p.ContentType})
			}
		}
		if len(h.Query) > 0 {
			ext.Query = ptKVs(h.Query)
		}
		ext.Redirects = h.MaxRedirects
		if !h.TLSVerify {
			ext.TLSVerify = new(bool)
		}
	case scenario.TCP, scenario.UDP:
		s := r.Socket
		ci.ProtocolType, ci.URL = 3, s.Address
		if r.Protocol == scenario.UDP {
			ci.ProtocolType = 4
		}
		if s.Payload != "" || s.Hex {
			b := Body{Value: s.Payload}
			if s.Hex {
				b.Format = "hex"
			}
			ci.Bodys = []Body{b}
		}
		ci.ConnectTimeout, ci.ReturnTimeout = ex.ms(s.ConnectTimeout, pos, "connect_timeout"), ex.ms(s.Timeout, pos, "timeout")
		switch s.End {
		case scenario.EndLength:
			ci.CheckEndType, ci.CheckEndLength = json.RawMessage("1"), json.RawMessage(strconv.Itoa(s.Length))
		case scenario.EndTerminator:
			ci.CheckEndType, ci.CheckEndStr = json.RawMessage("2"), ex.raw(s.Terminator)
		case scenario.EndNone:
			ext.Read = "none"
		case scenario.EndIdle:
			if r.Protocol == scenario.UDP || s.Idle != scenario.DefaultReadIdle {
				idle := ex.ms(s.Idle, pos, "read idle")
				ext.Read, ext.Idle = "idle", &idle
			}
		}
		ext.Close = s.CloseAfter
	case scenario.WebSocket:
		ws := r.WS
		ci.ProtocolType, ci.URL, ci.Headers = 9, ws.URL, ptKVs(ws.Headers)
		ci.ConnectTimeout, ci.ReturnTimeout = ex.ms(ws.ConnectTimeout, pos, "connect_timeout"), ex.ms(ws.Timeout, pos, "timeout")
		ext.Subprotocols = ws.Subprotocols
		if !ws.TLSVerify {
			ext.TLSVerify = new(bool)
		}
		if ws.PerIteration {
			ext.Connection = "iteration"
		}
		for _, a := range ws.Actions {
			pa := WSAction{Kind: a.Kind, Text: a.Text, Binary: a.Binary, Count: a.Count, Max: a.Max, Timeout: ex.ms(a.Timeout, a.Pos, "receive timeout"), Code: a.Code}
			if a.Until != nil {
				pa.Until = &a.Until.Source
			}
			ext.Actions = append(ext.Actions, pa)
		}
	case scenario.HLS, scenario.FLV, scenario.RTMP:
		ex.streamPacket(&ci, &ext, r, pos)
	case scenario.MQTT:
		ex.mqttPacket(&ci, &ext, r, pos)
	}
	ext.KPIs = scenario.KPISources(r.KPIs)
	if len(setFields(&ext)) > 0 {
		ci.Perfcase = ex.raw(ext)
	}
	return ci
}

func (ex *exporter) controllerCard(s *scenario.Step) Contents {
	c := Contents{Content: []Content{}, IsDisabled: s.Disabled}
	switch s.Kind {
	case scenario.StepTransaction:
		c.ContentID, c.SelectedTempName = ex.txIDs[s.Transaction], s.Transaction
		if c.ContentID == 0 {
			ex.errorf(s.Pos, "define it under transactions:", "transaction %q is not defined in this file", s.Transaction)
		}
		if len(s.With) > 0 {
			c.Data = ex.raw(CallData{With: ptKVs(s.With)})
		}
	case scenario.StepMetric:
		m := s.Metric
		d := MetricData{Name: m.Name, Type: m.Kind.String()}
		if m.Value != nil {
			d.Value = m.Value.Source
		}
		c.DataType, c.Data = dataMetric, ex.raw(d)
	case scenario.StepTogether:
		c.DataType, c.Data = dataTogether, ex.raw(TogetherData{Name: s.Together.Name, Contents: ex.cards(s.Together.Steps)})
	case scenario.StepLoop:
		l := s.Loop
		d := LoopData{Count: l.Count, Max: l.Max, Contents: ex.cards(l.Steps)}
		if l.While != nil {
			d.While = &l.While.Source
		}
		c.DataType, c.Data = dataLoop, ex.raw(d)
	case scenario.StepBreak:
		c.DataType = dataBreak
		if s.Break != nil {
			c.Data = ex.raw(BreakData{Condition: s.Break.Source})
		}
	case scenario.StepClearCookies:
		c.DataType = dataClearCookies
	case scenario.StepIf:
		bs := s.If.Branches
		d := IfData{Contents: ex.cards(bs[0].Steps)}
		for _, b := range bs[1:] {
			d.Elif = append(d.Elif, Elif{Conditions: []Condition{{Expression: b.Cond.Source}}, Contents: ex.cards(b.Steps)})
		}
		if len(s.If.Else) > 0 {
			d.Else = ex.cards(s.If.Else)
		}
		c.DataType, c.Data = dataIf, ex.raw(d)
		c.Conditions = ex.raw([]Condition{{Expression: bs[0].Cond.Source}})
	case scenario.StepSet:
		d := SetData{Mode: "repeat", Params: []Param{}}
		if s.Set.Once {
			d.Mode = "once"
		}
		for _, a := range s.Set.Assigns {
			p := Param{Name: a.Var, Round: a.Round, Scale: a.Scale}
			if a.Expr != nil {
				p.Expression = &a.Expr.Source
			} else {
				p.Value = &a.Template
			}
			d.Params = append(d.Params, p)
		}
		c.DataType, c.Data = dataSet, ex.raw(d)
	case scenario.StepRendezvous:
		r := s.Rendezvous
		c.DataType, c.Data = dataRendezvous, ex.raw(RendezvousData{Name: r.Name, Users: r.Users, Timeout: ex.ms(r.Timeout, s.Pos, "rendezvous timeout")})
	case scenario.StepWeighted:
		d := WeightedData{Mode: "random", Branches: []Branch{}}
		if s.Weighted.Fixed {
			d.Mode = "fixed"
		}
		for _, b := range s.Weighted.Branches {
			d.Branches = append(d.Branches, Branch{Weight: b.Weight, Contents: ex.cards(b.Steps)})
		}
		c.DataType, c.Data = dataWeighted, ex.raw(d)
	case scenario.StepThroughput:
		t := s.Throughput
		c.DataType, c.Data = dataThroughput, ex.raw(ThroughputData{RPS: t.RPS, Percent: t.Percent, Total: t.Total, Contents: ex.cards(t.Steps)})
	case scenario.StepPlugin:
		c.DataType, c.Data = dataPlugin, ex.raw(PluginData{Name: s.Plugin.Name, Params: ptKVs(s.Plugin.Params)})
		if s.Request != nil {
			c.Content = append(c.Content, ex.checkItems(s.Request)...)
			c.IsContinue = s.Request.ContinueOnFailure
		}
	}
	return c
}
