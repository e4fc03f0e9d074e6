package scenario

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file writes what a request step holds, as FormatYAML does the
// rest: the protocol's spec, modifiers, checks and extraction.

func (fm *formatter) request(r *Request, pos Pos) *yaml.Node {
	m := fm.mapOf(r)
	if r.Name != "" {
		m.add("name", yStr(r.Name))
	}
	switch {
	case r.Protocol == HTTP && r.HTTP != nil:
		fm.httpRequest(m, r.HTTP)
	case (r.Protocol == TCP || r.Protocol == UDP) && r.Socket != nil:
		fm.socketRequest(m, r.Protocol, r.Socket)
	case r.Protocol == WebSocket && r.WS != nil:
		fm.wsRequest(m, r.WS)
	case r.Stream != nil:
		fm.streamRequest(m, r.Stream)
	case r.Protocol == MQTT && r.MQTT != nil:
		fm.mqttRequest(m, r.MQTT)
	default:
		fm.fail(pos, "a %q request without its packet", r.Protocol)
	}
	return flowIfShort(m.n)
}

func (fm *formatter) httpRequest(m *ymap, h *HTTPRequest) {
	if h.Method != "" {
		m.add("method", yStr(h.Method))
	}
	m.add("url", yStr(h.URL))
	if h.Version != "" {
		m.add("version", yStr(h.Version))
	}
	if len(h.Headers) > 0 {
		m.add("headers", fm.kvNode(h.Headers))
	}
	if len(h.Query) > 0 {
		m.add("query", fm.kvNode(h.Query))
	}
	switch h.BodyKind {
	case BodyRaw:
		m.add("body", yStr(h.Body))
	case BodyJSON:
		n, err := jsonNode(h.Body)
		if err != nil {
			fm.fail(h.BodyPos, "json body is not JSON: %v", err)
			return
		}
		m.add("json", flowIfShort(n))
	case BodyForm:
		m.add("form", fm.kvNode(h.Form))
	case BodyMultipart:
		m.add("multipart", fm.partsNode(h.Parts))
	}
	if h.ConnectTimeout != 0 {
		m.add("connect_timeout", yDur(h.ConnectTimeout))
	}
	if h.Timeout != 0 {
		m.add("timeout", yDur(h.Timeout))
	}
	switch {
	case h.MaxRedirects < 0:
		m.add("redirects", yBool(false))
	case h.MaxRedirects > 0:
		m.add("redirects", yInt(h.MaxRedirects))
	}
	if !h.TLSVerify {
		m.add("tls_verify", yBool(false))
	}
}

// partsNode writes multipart fields as a map when their names are unique,
// else as a list.
func (fm *formatter) partsNode(parts []Part) *yaml.Node {
	field := func(p *Part) *ymap {
		pm := fm.mapOf(p)
		if p.File != "" {
			pm.add("file", yStr(p.File))
		} else if p.Value != "" {
			pm.add("value", yStr(p.Value))
		}
		if p.ContentType != "" {
			pm.add("content_type", yStr(p.ContentType))
		}
		return pm
	}
	seen := map[string]bool{}
	m := fm.mapOf(nil)
	for i := range parts {
		p := &parts[i]
		if seen[p.Name] {
			list := ySeq(nil)
			for i := range parts {
				p := &parts[i]
				pm := fm.mapOf(p).add("name", yStr(p.Name))
				pm.n.Content = append(pm.n.Content, field(p).n.Content...)
				list.Content = append(list.Content, pm.flow())
			}
			return list
		}
		seen[p.Name] = true
		if p.File == "" && p.ContentType == "" {
			v := yStr(p.Value)
			m.addNamed(p.Name, v, p)
			fm.place(v, p, "value")
		} else {
			m.addNamed(p.Name, field(p).flow(), p)
		}
	}
	return flowIfShort(m.n)
}

func (fm *formatter) socketRequest(m *ymap, proto Protocol, s *SocketRequest) {
	m.add("address", yStr(s.Address))
	if s.Payload != "" {
		m.add("payload", yStr(s.Payload))
	}
	if s.Hex {
		m.add("hex", yBool(true))
	}
	switch s.End {
	case EndNone:
		m.add("read", yStr("none"))
	case EndLength:
		m.add("read", newMap().add("length", yInt(s.Length)).flow())
	case EndTerminator:
		m.add("read", newMap().add("until", yStr(s.Terminator)).flow())
	case EndIdle:
		if proto == UDP || s.Idle != 100*time.Millisecond {
			m.add("read", newMap().add("idle", yDur(s.Idle)).flow())
		}
	}
	if s.ConnectTimeout != 0 {
		m.add("connect_timeout", yDur(s.ConnectTimeout))
	}
	if s.Timeout != 0 {
		m.add("timeout", yDur(s.Timeout))
	}
	if s.CloseAfter {
		m.add("close", yBool(true))
	}
}

func (fm *formatter) wsRequest(m *ymap, ws *WSRequest) {
	m.add("url", yStr(ws.URL))
	if len(ws.Headers) > 0 {
		m.add("headers", fm.kvNode(ws.Headers))
	}
	if len(ws.Subprotocols) > 0 {
		m.add("subprotocols", yStrs(ws.Subprotocols, false))
	}
	if ws.ConnectTimeout != 0 {
		m.add("connect_timeout", yDur(ws.ConnectTimeout))
	}
	if ws.Timeout != 0 {
		m.add("timeout", yDur(ws.Timeout))
	}
	if !ws.TLSVerify {
		m.add("tls_verify", yBool(false))
	}
	if ws.PerIteration {
		m.add("connection", yStr("iteration"))
	}
	if len(ws.Actions) > 0 {
		actions := ySeq(nil)
		for i := range ws.Actions {
			actions.Content = append(actions.Content, fm.wsAction(&ws.Actions[i]))
		}
		m.add("actions", actions)
	}
}

func (fm *formatter) wsAction(a *WSAction) *yaml.Node {
	m := fm.mapOf(a)
	switch a.Kind {
	case "send":
		if a.Binary {
			m.add("send_binary", yStr(a.Text))
		} else {
			m.add("send", yStr(a.Text))
		}
	case "ping":
		m.add("ping", yStr(a.Text))
	case "close":
		m.add("close", yInt(a.Code))
	case "receive":
		m.add("receive", receiveAction{a.Count, a.Until, a.Max, a.Timeout}.node(fm.mapOf(a)))
	}
	return m.flow()
}

// node writes a receive into rm, as the shortest form that reads back
// the same: a bare count when that is all it has.
func (r receiveAction) node(rm *ymap) *yaml.Node {
	if r.Until == nil || r.Count != 0 {
		rm.add("count", yInt(r.Count))
	}
	if r.Until != nil {
		rm.add("until", yStr(r.Until.Source))
	}
	if r.Max != 0 {
		rm.add("max", yInt(r.Max))
	}
	if r.Timeout != 0 {
		rm.add("timeout", yDur(r.Timeout))
	}
	if len(rm.n.Content) == 2 && r.Until == nil {
		return yInt(r.Count)
	}
	return rm.flow()
}

// requestModifiers adds a request step's checks, extraction and the rest.
func (fm *formatter) requestModifiers(m *ymap, r *Request) {
	if len(r.Checks) > 0 {
		checks := ySeq(nil)
		for _, c := range r.Checks {
			checks.Content = append(checks.Content, fm.checkNode(c))
		}
		m.add("check", flowIfShort(checks))
	}
	if r.CheckAny {
		m.add("check_mode", yStr("or"))
	}
	if len(r.SoftChecks) > 0 {
		soft := ySeq(nil)
		for _, c := range r.SoftChecks {
			soft.Content = append(soft.Content, fm.checkNode(c))
		}
		m.add("soft_check", flowIfShort(soft))
	}
	switch {
	case r.Retry.Interval != 0 || r.Retry.On != 0:
		rm := newMap().add("count", yInt(r.Retry.Count))
		if r.Retry.Interval != 0 {
			rm.add("interval", yDur(r.Retry.Interval))
		}
		if r.Retry.On != 0 {
			rm.add("on", yStrs(r.Retry.On.Names(), false))
		}
		m.add("retry", rm.flow())
	case r.Retry.Count != 0:
		m.add("retry", yInt(r.Retry.Count))
	}
	if len(r.Extract) > 0 {
		em := fm.mapOf(nil)
		for _, e := range r.Extract {
			em.addNamed(e.Var, fm.extractNode(e), e)
		}
		m.add("extract", em.n)
	}
	if r.ContinueOnFailure {
		m.add("continue_on_failure", yBool(true))
	}
	if len(r.KPIs) > 0 {
		m.add("kpis", kpiNode(r.KPIs))
	}
}

func (fm *formatter) checkNode(c *Check) *yaml.Node {
	if c.Expr != nil {
		n := yStr(c.Expr.Source)
		fm.place(n, c, "")
		return n
	}
	m := fm.mapOf(c)
	named := c.Subject == "header" || c.Subject == "jsonpath"
	switch {
	case named:
		m.add(c.Subject, yStr(c.Arg))
	case c.Op == "equals":
		// The parser's shorthand: {status: 200}.
		return m.add(c.Subject, yPlain(c.Value)).flow()
	case c.Op == "in":
		return m.add(c.Subject, yStrs(c.Values, true)).flow()
	default:
		m.add(c.Subject, yBool(true))
	}
	switch c.Op {
	case "in":
		m.add("in", yStrs(c.Values, true))
	case "exists", "not_exists":
		m.add("exists", yBool(c.Op == "exists"))
	default:
		m.add(c.Op, yPlain(c.Value))
	}
	return m.flow()
}

func (fm *formatter) extractNode(e *Extract) *yaml.Node {
	m := fm.mapOf(e)
	switch {
	case e.Header != "":
		m.add("header", yStr(e.Header))
	case e.From != "body":
		m.add("from", yStr(e.From))
	}
	if e.JSONPath != "" {
		m.add("jsonpath", yStr(e.JSONPath))
	}
	if e.Regex != "" {
		m.add("regex", yStr(e.Regex))
	}
	switch {
	case e.Match == -1:
		m.add("match", yStr("random"))
	case e.Match != 1:
		m.add("match", yInt(e.Match))
	}
	if e.Group != 0 {
		m.add("group", yInt(e.Group))
	}
	if e.Left != "" {
		m.add("left", yStr(e.Left))
	}
	if e.Right != "" {
		m.add("right", yStr(e.Right))
	}
	if e.Default != nil {
		m.add("default", yStr(*e.Default))
	}
	if e.Expect != nil {
		m.add("expect", yStr(*e.Expect))
	}
	return m.flow()
}

// jsonNode turns JSON text into YAML nodes that the parser's json: reading
// turns back into the same compact text: key order, number spelling and
// string types are kept.
func jsonNode(text string) (*yaml.Node, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	n, err := readJSONNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return n, nil
}

func readJSONNode(dec *json.Decoder, depth int) (*yaml.Node, error) {
	if depth > 100 {
		return nil, fmt.Errorf("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		if t == '{' {
			n.Kind = yaml.MappingNode
		}
		for dec.More() {
			if n.Kind == yaml.MappingNode {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, yStr(k.(string)))
			}
			v, err := readJSONNode(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		if _, err := dec.Token(); err != nil { // the closing bracket
			return nil, err
		}
		return n, nil
	case string:
		return yStr(t), nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return yBool(t), nil
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
}

// CanonicalJSON is text as the parser's json: reading writes it, so that an
// imported json body equals the one its YAML reads back as.
func CanonicalJSON(text string) (string, error) {
	n, err := jsonNode(text)
	if err != nil {
		return "", err
	}
	return (&walker{}).jsonText(n), nil
}
