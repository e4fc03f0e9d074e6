package scenario

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file reads what a request step holds: its protocol's spec (HTTP,
// TCP/UDP, WebSocket, streaming, MQTT, plugin), retries, checks and
// extraction.

func (w *walker) request(proto Protocol, v *yaml.Node, step *mapping, pos Pos) *Request {
	r := &Request{Pos: pos, Protocol: proto}
	switch proto {
	case HTTP:
		r.HTTP = w.httpRequest(v, r)
	case TCP, UDP:
		r.Socket = w.socketRequest(proto, v, r)
	case WebSocket:
		r.WS = w.wsRequest(v, r)
	case HLS, FLV, RTMP:
		r.Stream = w.streamRequest(proto, v, r)
	case MQTT:
		r.MQTT = w.mqttRequest(v, r)
	}
	if c := step.get("check"); c != nil {
		items := []*yaml.Node{c}
		if c.Kind == yaml.SequenceNode {
			items = c.Content
		}
		for _, item := range items {
			if ch := w.check(item); ch != nil {
				r.Checks = append(r.Checks, ch)
			}
		}
	}
	if sc := step.get("soft_check"); sc != nil {
		items := []*yaml.Node{sc}
		if sc.Kind == yaml.SequenceNode {
			items = sc.Content
		}
		for _, item := range items {
			if ch := w.check(item); ch != nil {
				r.SoftChecks = append(r.SoftChecks, ch)
			}
		}
	}
	if cm := step.get("check_mode"); cm != nil {
		switch s := w.str(cm, "check_mode"); s {
		case "and", "all":
		case "or", "any":
			r.CheckAny = true
		default:
			w.errorf(cm, "", "check_mode must be and (all checks pass) or or (any check passes), got %q", s)
		}
	}
	if rt := step.get("retry"); rt != nil {
		if rt.Kind == yaml.ScalarNode {
			r.Retry.Count = w.nonNegInt(rt, "retry")
		} else if rm := w.asMapping(rt, "retry", "count", "interval", "on"); rm != nil {
			if !rm.has("count") {
				w.errorf(rm.node, "e.g. retry: {count: 3, interval: 500ms}", "retry needs a count")
			}
			r.Retry.Count = w.nonNegInt(rm.get("count"), "retry count")
			if iv := rm.get("interval"); iv != nil {
				r.Retry.Interval = w.duration(iv, "retry interval")
			}
			if on := rm.get("on"); on != nil {
				r.Retry.On = w.retryOn(on)
			}
		}
		if r.Retry.Count > 100 {
			w.errorf(rt, "PerfTest allows 0-100", "retry count %d is too high", r.Retry.Count)
		}
	}
	if ex := step.get("extract"); ex != nil {
		r.Extract = w.extracts(ex)
	}
	if c := step.get("continue_on_failure"); c != nil {
		r.ContinueOnFailure = w.boolean(c, "continue_on_failure")
	}
	if k := step.get("kpis"); k != nil {
		r.KPIs = w.kpiList(k, "kpis")
	}
	return r
}

// retryOn parses the failure kinds a retry re-sends on: one name or a
// list of them.
func (w *walker) retryOn(n *yaml.Node) RetryOn {
	n = w.resolve(n)
	if n == nil {
		return 0
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var on RetryOn
	for _, item := range items {
		name, ok := w.scalar(w.resolve(item), "retry on")
		if !ok {
			continue
		}
		k, ok := RetryKind(name)
		if !ok {
			w.errorf(item, DidYouMeanOr(name, RetryKinds, "kinds: "+strings.Join(RetryKinds, ", ")), "retry on: %q is not a kind of failure", name)
		}
		on |= k
	}
	if len(items) == 0 {
		w.errorf(n, "e.g. on: [timeout, refused, reset]; leave on out to retry every failure", "retry on lists no kind of failure")
	}
	return on
}

func (w *walker) httpRequest(v *yaml.Node, r *Request) *HTTPRequest {
	h := &HTTPRequest{TLSVerify: true}
	v = w.resolve(v)
	if v != nil && v.Kind == yaml.ScalarNode {
		// Shorthand: `http: http://host/path` is a GET.
		h.URL, h.URLPos = v.Value, w.valuePos(v)
		return h
	}
	m := w.asMapping(v, "http", httpKeys...)
	if m == nil {
		return h
	}
	if n := m.get("name"); n != nil {
		r.Name = w.str(n, "name")
	}
	if n := m.get("method"); n != nil {
		h.Method = strings.ToUpper(w.str(n, "method"))
		if !validToken(h.Method) {
			w.errorf(n, "e.g. GET, POST, PUT, PATCH, DELETE", "%q is not an HTTP method", h.Method)
		}
	}
	if !m.has("url") {
		w.errorf(m.node, "add url: http://host/path", "an http request needs a url")
	}
	if n := m.get("url"); n != nil {
		h.URL, h.URLPos = w.str(n, "url"), w.valuePos(n)
	}
	if n := m.get("version"); n != nil {
		h.Version = w.str(n, "version")
		if HTTPVersion(h.Version) == "" {
			w.errorf(n, `use "HTTP/1.1", "HTTP/1.0" or "2" (HTTP/2)`, "unsupported HTTP version %q", h.Version)
		}
	}
	if n := m.get("headers"); n != nil {
		h.Headers = w.kvs(n, "headers")
	}
	if n := m.get("query"); n != nil {
		h.Query = w.kvs(n, "query")
	}
	bodies := m.present("body", "json", "form", "multipart")
	if len(bodies) > 1 {
		w.errs.add(m.keyPos(bodies[1]), "keep one of them", "a request has one body: %s and %s both given", bodies[0], bodies[1])
	}
	if len(bodies) > 0 {
		bn := m.get(bodies[0])
		h.BodyPos = w.valuePos(bn)
		switch bodies[0] {
		case "body":
			h.BodyKind, h.Body = BodyRaw, w.str(bn, "body")
		case "json":
			h.BodyKind, h.Body = BodyJSON, w.jsonText(bn)
		case "form":
			h.BodyKind, h.Form = BodyForm, w.kvs(bn, "form")
		case "multipart":
			h.BodyKind, h.Parts = BodyMultipart, w.parts(bn)
		}
	}
	if n := m.get("connect_timeout"); n != nil {
		h.ConnectTimeout = w.duration(n, "connect_timeout")
	}
	if n := m.get("timeout"); n != nil {
		h.Timeout = w.duration(n, "timeout")
	}
	if n := m.get("redirects"); n != nil {
		if n.Tag == "!!bool" {
			if !w.boolean(n, "redirects") {
				h.MaxRedirects = -1
			}
		} else {
			h.MaxRedirects = w.nonNegInt(n, "redirects")
			if h.MaxRedirects == 0 {
				h.MaxRedirects = -1
			}
		}
	}
	if n := m.get("tls_verify"); n != nil {
		h.TLSVerify = w.boolean(n, "tls_verify")
	}
	return h
}

// HTTPVersion is the HTTP version a request's version: names, as the
// plan spells it ("HTTP/1.1", "HTTP/1.0" or "HTTP/2"); "" for none.
// PerfTest writes HTTP/2 as "HTTP/2" or "HTTP/2.0", and "2" is the
// short form.
func HTTPVersion(v string) string {
	switch v {
	case "", "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/1.0":
		return v
	case "2", "2.0", "HTTP/2", "HTTP/2.0":
		return HTTP2Version
	}
	return ""
}

// HTTP2Version is how a plan spells HTTP/2 (HTTPSpec.Version).
const HTTP2Version = "HTTP/2"

// validToken reports whether s is an RFC 9110 token (a method name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

func (w *walker) parts(n *yaml.Node) []Part {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	var out []Part
	if n.Kind == yaml.MappingNode {
		// {field: value} or {field: {file: path}}.
		nm := w.namedMapping(n, "multipart", "")
		for _, key := range nm.order {
			k, v := nm.keys[key], nm.get(key)
			p := Part{Pos: w.pos(k), Name: key}
			if v != nil && v.Kind == yaml.MappingNode {
				// The field's name is its key here.
				w.partBody(w.asMapping(v, "multipart field", "value", "file", "content_type"), &p)
			} else if v != nil && !isNull(v) {
				p.Value = w.str(v, "multipart field")
			}
			out = append(out, p)
		}
		return out
	}
	for _, item := range w.seq(n, "multipart") {
		pm := w.asMapping(item, "multipart field", "name", "value", "file", "content_type")
		if pm == nil {
			continue
		}
		if !pm.has("name") {
			w.errorf(pm.node, "e.g. - {name: avatar, file: data/a.png}", "a multipart field needs a name")
			continue
		}
		p := Part{Pos: w.pos(item), Name: w.str(pm.get("name"), "name")}
		w.partBody(pm, &p)
		out = append(out, p)
	}
	return out
}

func (w *walker) partBody(m *mapping, p *Part) {
	if m == nil {
		return
	}
	if v := m.get("value"); v != nil {
		p.Value = w.str(v, "value")
	}
	if f := m.get("file"); f != nil {
		p.File = w.str(f, "file")
	}
	if p.File != "" && m.has("value") {
		w.errorf(m.node, "keep one", "a multipart field has a value or a file, not both")
	}
	if c := m.get("content_type"); c != nil {
		p.ContentType = w.str(c, "content_type")
	}
}

func (w *walker) socketRequest(proto Protocol, v *yaml.Node, r *Request) *SocketRequest {
	s := &SocketRequest{}
	keys := socketKeys
	if proto == UDP {
		keys = []string{"name", "address", "payload", "hex", "read", "timeout"}
	}
	m := w.asMapping(v, proto.String(), keys...)
	if m == nil {
		return s
	}
	if n := m.get("name"); n != nil {
		r.Name = w.str(n, "name")
	}
	if !m.has("address") {
		w.errorf(m.node, "add address: 127.0.0.1:9000", "a %s request needs an address", proto)
	}
	if n := m.get("address"); n != nil {
		s.Address, s.AddressPos = w.str(n, "address"), w.valuePos(n)
	}
	if n := m.get("payload"); n != nil {
		s.Payload, s.PayloadPos = w.str(n, "payload"), w.valuePos(n)
	}
	if n := m.get("hex"); n != nil {
		s.Hex = w.boolean(n, "hex")
	}
	if s.Hex && !strings.Contains(s.Payload, "${") {
		if err := checkHex(s.Payload); err != "" {
			w.errs.add(s.PayloadPos, "a hex payload uses 0-9 and a-f, two characters per byte", "payload: %s", err)
		}
	}
	// Default: read one reply the way the protocol suggests.
	s.End = EndIdle
	s.Idle = DefaultReadIdle
	if proto == UDP {
		s.End = EndDatagram
	}
	if n := m.get("read"); n != nil {
		w.readEnd(n, proto, s)
	}
	if s.End != EndIdle {
		s.Idle = 0
	}
	if n := m.get("connect_timeout"); n != nil {
		s.ConnectTimeout = w.duration(n, "connect_timeout")
	}
	if n := m.get("timeout"); n != nil {
		s.Timeout = w.duration(n, "timeout")
	}
	if n := m.get("close"); n != nil {
		s.CloseAfter = w.boolean(n, "close")
	}
	return s
}

func checkHex(s string) string {
	s = strings.Join(strings.Fields(s), "")
	if len(s)%2 != 0 {
		return fmt.Sprintf("hex payload has an odd number of digits (%d)", len(s))
	}
	for i, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return fmt.Sprintf("%q at offset %d is not a hex digit", c, i)
		}
	}
	return ""
}

// readEnd parses `read:`, how a TCP/UDP reply ends: none, a length, a
// terminator, an idle time, or (UDP) the first datagram.
func (w *walker) readEnd(n *yaml.Node, proto Protocol, s *SocketRequest) {
	n = w.resolve(n)
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "none", "false":
			s.End = EndNone
			return
		case "datagram":
			if proto == UDP {
				s.End = EndDatagram
				return
			}
		}
		w.errorf(n, "e.g. read: {length: 16}, read: {until: \"\\n\"}, read: {idle: 200ms} or read: none", "read: %q is not a way to end a reply", n.Value)
		return
	}
	m := w.asMapping(n, "read", "length", "until", "idle")
	if m == nil {
		return
	}
	ends := m.present("length", "until", "idle")
	if len(ends) != 1 {
		w.errorf(m.node, "give one of length, until, idle", "read needs exactly one way to end the reply")
		return
	}
	switch ends[0] {
	case "length":
		s.End, s.Length = EndLength, w.nonNegInt(m.get("length"), "read length")
		if s.Length == 0 {
			w.errorf(m.get("length"), "", "read length must be positive")
		}
	case "until":
		s.End, s.Terminator = EndTerminator, w.str(m.get("until"), "read until")
		if s.Terminator == "" {
			w.errorf(m.get("until"), "", "read until needs a terminator")
		}
	case "idle":
		s.End, s.Idle = EndIdle, w.duration(m.get("idle"), "read idle")
		if s.Idle == 0 {
			w.errorf(m.get("idle"), "e.g. idle: 200ms", "read idle must be positive")
		}
	}
}

func (w *walker) wsRequest(v *yaml.Node, r *Request) *WSRequest {
	ws := &WSRequest{TLSVerify: true}
	m := w.asMapping(v, "ws", wsKeys...)
	if m == nil {
		return ws
	}
	if n := m.get("name"); n != nil {
		r.Name = w.str(n, "name")
	}
	if !m.has("url") {
		w.errorf(m.node, "add url: ws://host/path", "a ws request needs a url")
	}
	if n := m.get("url"); n != nil {
		ws.URL, ws.URLPos = w.str(n, "url"), w.valuePos(n)
	}
	if n := m.get("headers"); n != nil {
		ws.Headers = w.kvs(n, "headers")
	}
	if n := m.get("subprotocols"); n != nil {
		ws.Subprotocols = w.strList(n, "subprotocols")
	}
	if n := m.get("connect_timeout"); n != nil {
		ws.ConnectTimeout = w.duration(n, "connect_timeout")
	}
	if n := m.get("timeout"); n != nil {
		ws.Timeout = w.duration(n, "timeout")
	}
	if n := m.get("tls_verify"); n != nil {
		ws.TLSVerify = w.boolean(n, "tls_verify")
	}
	if n := m.get("connection"); n != nil {
		switch s := w.str(n, "connection"); s {
		case "vu":
		case "iteration":
			ws.PerIteration = true
		default:
			w.errorf(n, "", "connection must be vu (kept across passes) or iteration (new each pass), got %q", s)
		}
	}
	for _, an := range w.seq(m.get("actions"), "actions") {
		if a, ok := w.wsAction(an); ok {
			ws.Actions = append(ws.Actions, a)
		}
	}
	return ws
}

var wsActionKeys = []string{"send", "send_binary", "receive", "ping", "close"}

func (w *walker) wsAction(n *yaml.Node) (WSAction, bool) {
	a := WSAction{Pos: w.pos(n)}
	m := w.asMapping(n, "ws action", wsActionKeys...)
	if m == nil {
		return a, false
	}
	kinds := m.present(wsActionKeys...)
	if len(kinds) != 1 {
		w.errorf(m.node, "e.g. - send: hello", "a ws action is exactly one of: %s", strings.Join(wsActionKeys, ", "))
		return a, false
	}
	v := m.get(kinds[0])
	switch kinds[0] {
	case "send":
		a.Kind, a.Text, a.Pos = "send", w.str(v, "send"), w.valuePos(v)
	case "send_binary":
		a.Kind, a.Text, a.Binary, a.Pos = "send", w.str(v, "send_binary"), true, w.valuePos(v)
		if !strings.Contains(a.Text, "${") {
			if e := checkHex(a.Text); e != "" {
				w.errorf(v, "send_binary takes hex digits", "send_binary: %s", e)
			}
		}
	case "ping":
		a.Kind = "ping"
		if !isNull(v) {
			a.Text = w.str(v, "ping")
		}
	case "close":
		a.Kind, a.Code = "close", 1000
		if !isNull(v) {
			a.Code = w.nonNegInt(v, "close code")
			if a.Code < 1000 || a.Code > 4999 {
				w.errorf(v, "1000 is a normal closure; 4000-4999 are for applications (RFC 6455 §7.4)", "close code must be 1000..4999, got %d", a.Code)
			}
		}
	case "receive":
		r := w.receive(v, "receive at least one message, or drop the action")
		a.Kind, a.Count, a.Until, a.Max, a.Timeout = "receive", r.Count, r.Until, r.Max, r.Timeout
	}
	return a, true
}

// receiveAction is a receive action as WebSocket and MQTT steps both write
// it: a count, or {count, until, max, timeout}.
type receiveAction struct {
	Count   int
	Until   *Expr
	Max     int
	Timeout time.Duration
}

// receive reads a receive action; zeroHint is what to do instead of
// receiving 0 messages, which differs by protocol.
func (w *walker) receive(n *yaml.Node, zeroHint string) receiveAction {
	r := receiveAction{Count: 1}
	n = w.resolve(n)
	if n == nil {
		return r
	}
	if n.Kind == yaml.ScalarNode {
		r.Count = w.nonNegInt(n, "receive")
		if r.Count == 0 {
			w.errorf(n, zeroHint, "receive 0 messages does nothing")
		}
		return r
	}
	rm := w.asMapping(n, "receive", "count", "until", "max", "timeout")
	if rm == nil {
		return r
	}
	if c := rm.get("count"); c != nil {
		r.Count = w.nonNegInt(c, "receive count")
		if r.Count == 0 {
			w.errorf(c, zeroHint, "receive 0 messages does nothing")
		}
	}
	if u := rm.get("until"); u != nil {
		r.Until = w.expr(u, w.str(u, "until"))
		if !rm.has("count") {
			r.Count = 0
		}
	}
	if mx := rm.get("max"); mx != nil {
		r.Max = w.nonNegInt(mx, "receive max")
		if r.Until == nil {
			w.errs.add(rm.keyPos("max"), "max bounds a receive with until", "receive max applies with until")
		}
	}
	if rm.has("count") && rm.has("until") {
		w.errorf(rm.node, "receive N messages with count, or until one matches with until (and max to bound it)", "receive takes count or until, not both")
	}
	if t := rm.get("timeout"); t != nil {
		r.Timeout = w.duration(t, "receive timeout")
	}
	return r
}

func (w *walker) plugin(v *yaml.Node) *Plugin {
	p := &Plugin{}
	m := w.asMapping(v, "plugin", "name", "params")
	if m == nil {
		return p
	}
	p.Name = w.str(m.get("name"), "plugin name")
	if p.Name == "" {
		w.errorf(m.node, "", "a plugin step needs a name")
	}
	if pm := m.get("params"); pm != nil {
		p.Params = w.kvs(pm, "params")
	}
	return p
}

var checkSubjects = []string{"status", "header", "body", "jsonpath", "rt", "payload"}

// CheckOps are the comparisons a structured check takes, as its keys
// (body: {contains: "x"}).
var CheckOps = []string{"equals", "not_equals", "contains", "not_contains", "matches", "lt", "le", "gt", "ge", "exists", "in"}

// check parses a checkpoint: a string is an expression; a mapping is
// {subject: arg?, op: value}, e.g. {header: Content-Type, contains: json}
// or {status: 200} as shorthand for {status: true, equals: 200}.
func (w *walker) check(n *yaml.Node) *Check {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return &Check{Pos: w.pos(n), Expr: w.expr(n, n.Value)}
	}
	m := w.asMapping(n, "check", append(append([]string{}, checkSubjects...), CheckOps...)...)
	if m == nil {
		return nil
	}
	c := &Check{Pos: w.pos(n)}
	subjects := m.present(checkSubjects...)
	ops := m.present(CheckOps...)
	if len(subjects) != 1 {
		w.errorf(n, "e.g. {status: 200}, {body: contains, value: ok} is wrong; write {body: true, contains: ok} or the expression `body contains \"ok\"`", "a check names exactly one of: %s", strings.Join(checkSubjects, ", "))
		return nil
	}
	c.Subject = subjects[0]
	sv := m.get(c.Subject)
	switch c.Subject {
	case "header", "jsonpath":
		c.Arg = w.str(sv, c.Subject)
		if c.Arg == "" {
			w.errorf(sv, "", "%s check needs the %s", c.Subject, map[string]string{"header": "header name", "jsonpath": "path"}[c.Subject])
		}
	default:
		isTrue := sv.Kind == yaml.ScalarNode && sv.Tag == "!!bool" && w.boolean(sv, c.Subject)
		switch {
		case isTrue:
		case c.Subject == "rt" || len(ops) > 0 || sv.Tag == "!!bool":
			// rt has no value shorthand (which comparison would it be?), and
			// a value beside a comparison would be ignored.
			example := map[string]string{"rt": "lt: 300ms", "status": "equals: 200"}[c.Subject]
			if example == "" {
				example = "contains: ok"
			}
			if len(ops) > 0 {
				example = ops[0] + ": ..."
			}
			w.errorf(sv, fmt.Sprintf("write {%s: true, %s}", c.Subject, example), "%s: %s is not how a %s check is written", c.Subject, kindName(sv), c.Subject)
			return nil
		case sv.Kind == yaml.ScalarNode:
			// {status: 200} is {status: true, equals: 200}; likewise body
			// and payload.
			c.Op, c.Value = "equals", sv.Value
			return c
		case sv.Kind == yaml.SequenceNode:
			c.Op, c.Values = "in", w.strList(sv, c.Subject)
			return c
		}
	}
	if len(ops) != 1 {
		w.errorf(n, fmt.Sprintf("add one of: %s", strings.Join(CheckOps, ", ")), "a %s check needs exactly one comparison", c.Subject)
		return nil
	}
	c.Op = ops[0]
	ov := m.get(c.Op)
	switch c.Op {
	case "in":
		c.Values = w.strList(ov, "in")
	case "exists":
		if !w.boolean(ov, "exists") {
			c.Op = "not_exists"
		}
	default:
		c.Value = w.str(ov, c.Op)
	}
	return c
}

var extractKeys = []string{"from", "header", "jsonpath", "regex", "match", "group", "left", "right", "default", "expect"}

func (w *walker) extracts(n *yaml.Node) []*Extract {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		w.errorf(n, "write extract: {token: {jsonpath: $.token}}", "extract must be a mapping of variable names to rules, got %s", kindName(n))
		return nil
	}
	var out []*Extract
	nm := w.namedMapping(n, "extract", "")
	for _, key := range nm.order {
		k, v := nm.keys[key], nm.vals[key]
		e := &Extract{Pos: w.pos(k), Var: k.Value, From: "body", Match: 1}
		if !validIdent(e.Var) {
			w.errorf(k, "use letters, digits and _", "%q is not a valid variable name", e.Var)
			continue
		}
		m := w.asMapping(v, "extract "+e.Var, extractKeys...)
		if m == nil {
			continue
		}
		if f := m.get("from"); f != nil {
			e.From = w.str(f, "from")
			if !contains([]string{"body", "header", "url", "status"}, e.From) {
				w.errorf(f, didYouMean(e.From, []string{"body", "header", "url", "status"}), "from must be body, header, url or status, got %q", e.From)
			}
		}
		if h := m.get("header"); h != nil {
			if m.has("from") && e.From != "header" {
				w.errs.add(m.keyPos("header"), "drop from:, header: says where to look", "extract %s: header: conflicts with from: %s", e.Var, e.From)
			}
			e.From, e.Header = "header", w.str(h, "header")
		}
		if j := m.get("jsonpath"); j != nil {
			e.JSONPath = w.str(j, "jsonpath")
		}
		if r := m.get("regex"); r != nil {
			e.Regex = w.str(r, "regex")
		}
		if mt := m.get("match"); mt != nil {
			if mt.Value == "random" {
				e.Match = -1
			} else {
				e.Match = w.nonNegInt(mt, "match")
				if e.Match == 0 {
					w.errorf(mt, "matches count from 1; use random for a random one", "match must be 1 or more")
				}
			}
		}
		if g := m.get("group"); g != nil {
			e.Group = w.nonNegInt(g, "group")
		}
		if l := m.get("left"); l != nil {
			e.Left = w.str(l, "left")
		}
		if r := m.get("right"); r != nil {
			e.Right = w.str(r, "right")
		}
		if d := m.get("default"); d != nil {
			s := ""
			if !isNull(d) {
				s = w.str(d, "default")
			}
			e.Default = &s
		}
		if x := m.get("expect"); x != nil {
			s := w.str(x, "expect")
			e.Expect = &s
		}
		ways := 0
		for _, set := range []bool{e.JSONPath != "", e.Regex != "", m.has("left") || m.has("right")} {
			if set {
				ways++
			}
		}
		if (m.has("left") || m.has("right")) && e.Left == "" && e.Right == "" {
			w.errorf(v, "give the text just before the value (left) and/or just after it (right)", "extract %s: left and right are both empty", e.Var)
		}
		if ways > 1 {
			w.errorf(v, "use one of jsonpath, regex, or left/right", "extract %s: more than one way to extract given", e.Var)
		}
		if ways == 0 && e.From == "body" {
			w.errorf(v, "add jsonpath:, regex: or left:/right:", "extract %s: say how to find the value in the body", e.Var)
		}
		if e.JSONPath != "" && e.From != "body" {
			w.errorf(v, "", "extract %s: jsonpath applies to the body only", e.Var)
		}
		if e.Group > 0 && e.Regex == "" {
			w.errs.add(m.keyPos("group"), "", "extract %s: group applies to regex", e.Var)
		}
		out = append(out, e)
	}
	return out
}
