package scenario

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// stepKindKeys are the keys that say what a step is; a step has exactly one.
var stepKindKeys = []string{"http", "tcp", "udp", "ws", "think", "transaction", "loop", "break", "if", "set", "rendezvous", "weighted", "throughput", "plugin", "cookies"}

// stepModifiers lists, per kind key, the other keys a step of that kind may
// carry.
var stepModifiers = map[string][]string{
	"http":        {"check", "check_mode", "retry", "extract", "continue_on_failure", "kpis", "disabled"},
	"tcp":         {"check", "check_mode", "retry", "extract", "continue_on_failure", "kpis", "disabled"},
	"udp":         {"check", "check_mode", "retry", "extract", "continue_on_failure", "kpis", "disabled"},
	"ws":          {"check", "check_mode", "extract", "continue_on_failure", "kpis", "disabled"},
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
}

var allStepKeys = append(append([]string{}, stepKindKeys...),
	"check", "check_mode", "retry", "extract", "continue_on_failure", "kpis", "disabled", "steps", "elif", "else", "once")

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
	switch kind {
	case "http", "tcp", "udp", "ws", "plugin":
		if kind == "plugin" {
			s.Kind = StepPlugin
			s.Plugin = w.plugin(v)
		} else {
			s.Kind = StepRequest
			s.Request = w.request(Protocol(kind), v, m, s.Pos)
		}
		if kind == "plugin" {
			// Plugin steps carry checks and extraction like a request, so
			// they are kept on a request shell with no packet.
			s.Request = w.request("", nil, m, s.Pos)
		}
	case "think":
		s.Kind, s.Think = StepThink, w.think(v)
	case "transaction":
		s.Kind, s.Transaction = StepTransaction, w.str(v, "transaction")
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
	case "cookies":
		s.Kind = StepClearCookies
		if a := w.str(v, "cookies"); a != "clear" {
			w.errorf(v, "write cookies: clear; turn the jar off for a whole case with the case's cookies: false", "cookies: %q is not a cookie action (the one there is: clear)", a)
		}
	}
	return s
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

func (w *walker) request(proto Protocol, v *yaml.Node, step *mapping, pos Pos) *Request {
	r := &Request{Pos: pos, Protocol: proto}
	switch proto {
	case HTTP:
		r.HTTP = w.httpRequest(v, r)
	case TCP, UDP:
		r.Socket = w.socketRequest(proto, v, r)
	case WebSocket:
		r.WS = w.wsRequest(v, r)
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
		if h.Version != "HTTP/1.1" && h.Version != "HTTP/1.0" {
			w.errorf(n, "use HTTP/1.1 or HTTP/1.0", "unsupported HTTP version %q", h.Version)
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
	m := w.asMapping(v, string(proto), keys...)
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
		a.Kind, a.Count = "receive", 1
		if v.Kind == yaml.ScalarNode {
			a.Count = w.nonNegInt(v, "receive")
			if a.Count == 0 {
				w.errorf(v, "receive at least one message, or drop the action", "receive 0 messages does nothing")
			}
			break
		}
		rm := w.asMapping(v, "receive", "count", "until", "max", "timeout")
		if rm == nil {
			break
		}
		if c := rm.get("count"); c != nil {
			a.Count = w.nonNegInt(c, "receive count")
			if a.Count == 0 {
				w.errorf(c, "receive at least one message, or drop the action", "receive 0 messages does nothing")
			}
		}
		if u := rm.get("until"); u != nil {
			a.Until = w.expr(u, w.str(u, "until"))
			if !rm.has("count") {
				a.Count = 0
			}
		}
		if mx := rm.get("max"); mx != nil {
			a.Max = w.nonNegInt(mx, "receive max")
			if a.Until == nil {
				w.errs.add(rm.keyPos("max"), "max bounds a receive with until", "receive max applies with until")
			}
		}
		if rm.has("count") && rm.has("until") {
			w.errorf(rm.node, "receive N messages with count, or until one matches with until (and max to bound it)", "receive takes count or until, not both")
		}
		if t := rm.get("timeout"); t != nil {
			a.Timeout = w.duration(t, "receive timeout")
		}
	}
	return a, true
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

// expr records an expression with the position of its first character, so
// that errors inside it can point at the right column.
func (w *walker) expr(n *yaml.Node, src string) *Expr {
	return &Expr{Pos: w.valuePos(n), Source: src}
}
