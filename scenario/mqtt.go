package scenario

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file is the mqtt: step from the YAML tree to the plan and back: one
// action (connect, publish, subscribe, receive, unsubscribe, disconnect)
// on the VU's connection to a broker, one sample in the request tables.
// docs/mqtt.md says what each action measures.

// MQTT actions, one per step.
const (
	MQTTConnect     = "connect"
	MQTTPublish     = "publish"
	MQTTSubscribe   = "subscribe"
	MQTTReceive     = "receive"
	MQTTUnsubscribe = "unsubscribe"
	MQTTDisconnect  = "disconnect"
)

// mqttActionKeys are the actions, one of which a step takes.
var mqttActionKeys = []string{MQTTConnect, MQTTPublish, MQTTSubscribe, MQTTReceive, MQTTUnsubscribe, MQTTDisconnect}

// mqttKeys are an mqtt step's keys: the broker, the connection's settings
// and the action.
var mqttKeys = append([]string{"name", "broker", "client_id", "username", "password", "clean_session", "keep_alive", "will",
	"tls_verify", "ca", "cert", "key", "connect_timeout", "timeout"}, mqttActionKeys...)

// mqttPublishKeys are a message's keys, published or the will;
// mqttFilterKeys a subscription's.
var (
	mqttPublishKeys = []string{"topic", "payload", "qos", "retain"}
	mqttFilterKeys  = []string{"topic", "qos"}
)

// MQTTRequest is an mqtt step: the broker and the settings of the
// connection the VU keeps to it, and one action on that connection.
type MQTTRequest struct {
	Broker    string
	BrokerPos Pos
	// The connection's settings, read by the step that opens it: a client
	// id, username and password (templates), the CONNECT flags, the will,
	// and TLS.
	ClientID, Username, Password          string
	ClientIDPos, UsernamePos, PasswordPos Pos
	CleanSession                          bool          // true unless clean_session: false
	KeepAlive                             time.Duration // 0: the default (60s)
	Will                                  *MQTTMessage
	TLSVerify                             bool // true unless tls_verify: false
	// CA, Cert and Key are PEM files relative to the scenario: the CA
	// certificates the broker's is checked against (the system's when
	// empty), and the client certificate and its key.
	CA, Cert, Key          string
	CAPos, CertPos, KeyPos Pos
	ConnectTimeout         time.Duration // 0: the default (5s)
	Timeout                time.Duration // each action's wait; 0: the default (5s)
	Action                 MQTTAction
}

// MQTTMessage is a message to publish: the publish action's, or the will.
type MQTTMessage struct {
	Pos                  Pos
	Topic, Payload       string
	TopicPos, PayloadPos Pos
	QoS                  int
	Retain               bool
}

// MQTTFilter is a topic filter to subscribe to, with its QoS.
type MQTTFilter struct {
	Pos   Pos
	Topic string
	QoS   int
}

// MQTTAction is what an mqtt step does: Kind is one of mqttActionKeys.
type MQTTAction struct {
	Pos     Pos
	Kind    string
	Publish *MQTTMessage // publish
	Filters []MQTTFilter // subscribe
	Topics  []MQTTFilter // unsubscribe (QoS unused)
	// receive: Count messages, or until Until holds (Max bounds the
	// messages it reads, 0 none), within Timeout (0: the step's).
	Count   int
	Until   *Expr
	Max     int
	Timeout time.Duration
}

func (w *walker) mqttRequest(v *yaml.Node, r *Request) *MQTTRequest {
	q := &MQTTRequest{CleanSession: true, TLSVerify: true}
	m := w.asMapping(v, "mqtt", mqttKeys...)
	if m == nil {
		return q
	}
	if n := m.get("name"); n != nil {
		r.Name = w.str(n, "name")
	}
	if !m.has("broker") {
		w.errorf(m.node, "add broker: tcp://127.0.0.1:1883", "an mqtt step needs a broker")
	}
	tmpl := func(key string, s *string, p *Pos) {
		if n := m.get(key); n != nil {
			*s, *p = w.str(n, key), w.valuePos(n)
		}
	}
	tmpl("broker", &q.Broker, &q.BrokerPos)
	tmpl("client_id", &q.ClientID, &q.ClientIDPos)
	tmpl("username", &q.Username, &q.UsernamePos)
	tmpl("password", &q.Password, &q.PasswordPos)
	tmpl("ca", &q.CA, &q.CAPos)
	tmpl("cert", &q.Cert, &q.CertPos)
	tmpl("key", &q.Key, &q.KeyPos)
	if m.has("cert") != m.has("key") {
		w.errorf(m.node, "give the client certificate with cert: and its private key with key:", "cert and key go together")
	}
	if n := m.get("clean_session"); n != nil {
		q.CleanSession = w.boolean(n, "clean_session")
	}
	if n := m.get("keep_alive"); n != nil {
		q.KeepAlive = w.duration(n, "keep_alive")
		if q.KeepAlive%time.Second != 0 || q.KeepAlive > 65535*time.Second {
			w.errorf(n, "MQTT sends it in whole seconds, at most 65535 (18h12m15s)", "keep_alive %v is not a whole number of seconds up to 65535", q.KeepAlive)
		}
	}
	if n := m.get("will"); n != nil {
		q.Will = w.mqttMessage(n, "will")
	}
	if n := m.get("tls_verify"); n != nil {
		q.TLSVerify = w.boolean(n, "tls_verify")
	}
	if n := m.get("connect_timeout"); n != nil {
		q.ConnectTimeout = w.duration(n, "connect_timeout")
	}
	if n := m.get("timeout"); n != nil {
		q.Timeout = w.duration(n, "timeout")
	}
	actions := m.present(mqttActionKeys...)
	if len(actions) != 1 {
		if len(actions) == 0 {
			w.errorf(m.node, "e.g. publish: {topic: t, payload: x}", "an mqtt step does one of: %s", strings.Join(mqttActionKeys, ", "))
		} else {
			w.errs.add(m.keyPos(actions[1]), "split it into one mqtt step per action", "an mqtt step does one action, not %s and %s", actions[0], actions[1])
		}
		return q
	}
	a := &q.Action
	a.Kind, a.Pos = actions[0], m.keyPos(actions[0])
	n := m.get(a.Kind)
	switch a.Kind {
	case MQTTConnect, MQTTDisconnect:
		if !isNull(n) && !(n.Tag == "!!bool" && n.Value == "true") {
			w.errorf(n, "write "+a.Kind+": true; the connection's settings are keys of the step", "%s takes no value", a.Kind)
		}
	case MQTTPublish:
		a.Publish = w.mqttMessage(n, "publish")
	case MQTTSubscribe:
		a.Filters = w.mqttFilters(n, "subscribe", true)
	case MQTTUnsubscribe:
		a.Topics = w.mqttFilters(n, "unsubscribe", false)
	case MQTTReceive:
		r := w.receive(n, "receive at least one message")
		a.Count, a.Until, a.Max, a.Timeout = r.Count, r.Until, r.Max, r.Timeout
	}
	return q
}

// mqttMessage reads a message to publish: {topic, payload, qos, retain}.
func (w *walker) mqttMessage(n *yaml.Node, what string) *MQTTMessage {
	msg := &MQTTMessage{Pos: w.pos(n)}
	m := w.asMapping(n, what, mqttPublishKeys...)
	if m == nil {
		return msg
	}
	if !m.has("topic") {
		w.errorf(m.node, "e.g. "+what+": {topic: sensors/1, payload: hello, qos: 1}", "%s needs a topic", what)
	}
	if t := m.get("topic"); t != nil {
		msg.Topic, msg.TopicPos = w.str(t, "topic"), w.valuePos(t)
		w.checkTopic(t, msg.Topic, false)
	}
	if p := m.get("payload"); p != nil {
		msg.Payload, msg.PayloadPos = w.str(p, "payload"), w.valuePos(p)
	}
	if qn := m.get("qos"); qn != nil {
		msg.QoS = w.qos(qn)
	}
	if rn := m.get("retain"); rn != nil {
		msg.Retain = w.boolean(rn, "retain")
	}
	return msg
}

// mqttFilters reads topic filters: one topic, {topic, qos}, or a list of
// either; withQoS says QoS may be given (subscribe).
func (w *walker) mqttFilters(n *yaml.Node, what string, withQoS bool) []MQTTFilter {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if isNull(n) {
		w.errorf(n, "e.g. "+what+": sensors/#", "%s needs a topic filter", what)
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			w.errorf(n, "e.g. "+what+": [sensors/#]", "%s needs a topic filter", what)
		}
	}
	var out []MQTTFilter
	for _, item := range items {
		item = w.resolve(item)
		f := MQTTFilter{Pos: w.valuePos(item)}
		switch {
		case item.Kind == yaml.MappingNode && withQoS:
			fm := w.asMapping(item, what+" filter", mqttFilterKeys...)
			if fm == nil {
				continue
			}
			if !fm.has("topic") {
				w.errorf(item, "e.g. {topic: sensors/#, qos: 1}", "a topic filter needs a topic")
				continue
			}
			t := fm.get("topic")
			f.Topic, f.Pos = w.str(t, "topic"), w.valuePos(t)
			if qn := fm.get("qos"); qn != nil {
				f.QoS = w.qos(qn)
			}
		default:
			f.Topic = w.str(item, "topic filter")
		}
		w.checkTopic(item, f.Topic, true)
		out = append(out, f)
	}
	return out
}

// checkTopic refuses a topic (or, with filter, a topic filter) MQTT
// 3.1.1 §4.7 forbids, when it has no template to render first.
func (w *walker) checkTopic(n *yaml.Node, topic string, filter bool) {
	if topic == "" {
		w.errorf(n, "topics have at least one character", "an empty topic")
		return
	}
	if strings.Contains(topic, "${") {
		return
	}
	levels := strings.Split(topic, "/")
	for i, l := range levels {
		switch {
		case !filter && strings.ContainsAny(l, "+#"):
			w.errorf(n, "+ and # are wildcards of subscriptions; a published topic names one topic", "topic %q has a wildcard", topic)
			return
		case filter && strings.Contains(l, "#") && (l != "#" || i != len(levels)-1):
			w.errorf(n, "# stands alone as the last level: sensors/#", "topic filter %q: # must be the whole last level", topic)
			return
		case filter && strings.Contains(l, "+") && l != "+":
			w.errorf(n, "+ stands alone for one level: sensors/+/temp", "topic filter %q: + must be a whole level", topic)
			return
		}
	}
}

func (w *walker) qos(n *yaml.Node) int {
	q := w.nonNegInt(n, "qos")
	if q > 2 {
		w.errorf(n, "0 at most once, 1 at least once, 2 exactly once", "qos must be 0, 1 or 2, got %d", q)
	}
	return q
}

// MQTTSpec is a compiled mqtt step.
type MQTTSpec struct {
	Broker *Template
	// The connection's settings, used when the step opens it.
	ClientID, Username, Password *Template
	CleanSession                 bool
	KeepAlive                    time.Duration // 0: the client's default, 60s
	Will                         *MQTTMessageSpec
	TLSVerify                    bool
	RootCAs                      *x509.CertPool // nil: the system's
	Certificates                 []tls.Certificate
	ConnectTimeout               time.Duration
	Timeout                      time.Duration

	Action  string // one of the MQTT… action names
	Publish *MQTTMessageSpec
	Filters []MQTTFilterSpec // subscribe, and unsubscribe (QoS unused)
	Count   int
	Until   *Program
	Max     int
	// ReceiveTimeout bounds a receive, all its messages; Timeout when the
	// action sets none.
	ReceiveTimeout time.Duration
}

// MQTTMessageSpec is a compiled message to publish.
type MQTTMessageSpec struct {
	Topic, Payload *Template
	QoS            byte
	Retain         bool
}

// MQTTFilterSpec is a compiled topic filter.
type MQTTFilterSpec struct {
	Topic *Template
	QoS   byte
}

func (*MQTTSpec) spec() {}

// Endpoint is the broker's URL, as written: a VU keeps a connection per
// broker.
func (s *MQTTSpec) Endpoint() string { return s.Broker.Src }

// mqttSchemes are the broker URL schemes the MQTT client speaks.
var mqttSchemes = []string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}

func (cc *caseCompiler) mqttSpec(q *MQTTRequest) *MQTTSpec {
	a := &q.Action
	sp := &MQTTSpec{Broker: cc.template(q.Broker, q.BrokerPos), ClientID: cc.template(q.ClientID, q.ClientIDPos),
		Username: cc.template(q.Username, q.UsernamePos), Password: cc.template(q.Password, q.PasswordPos),
		CleanSession: q.CleanSession, KeepAlive: q.KeepAlive, TLSVerify: q.TLSVerify,
		ConnectTimeout: orDefault(q.ConnectTimeout, DefaultConnectTimeout), Timeout: orDefault(q.Timeout, DefaultTimeout),
		Action: a.Kind, Count: a.Count, Max: a.Max}
	sp.ReceiveTimeout = orDefault(a.Timeout, sp.Timeout)
	if u := sp.Broker.Static(); sp.Broker.IsStatic() && u != "" {
		scheme, _, ok := strings.Cut(u, "://")
		if !ok || !contains(mqttSchemes, scheme) {
			cc.errs.add(q.BrokerPos, "e.g. tcp://127.0.0.1:1883; schemes: "+strings.Join(mqttSchemes, ", "), "broker %q is not an MQTT URL", u)
		}
	}
	if !q.CleanSession && q.ClientID == "" {
		cc.errs.add(q.BrokerPos, "give each VU its own client_id, e.g. client_id: dev-${__VU}", "a session the broker keeps (clean_session: false) needs a client_id")
	}
	if q.Will != nil {
		sp.Will = cc.mqttMessage(q.Will)
	}
	if q.CA != "" {
		if pem, ok := cc.readPEM("ca", q.CA, q.CAPos); ok {
			sp.RootCAs = x509.NewCertPool()
			if !sp.RootCAs.AppendCertsFromPEM(pem) {
				cc.errs.add(q.CAPos, "give PEM CA certificates (-----BEGIN CERTIFICATE-----)", "ca: %s holds no PEM certificate", q.CA)
			}
		}
	}
	if q.Cert != "" && q.Key != "" {
		cert, okC := cc.readPEM("cert", q.Cert, q.CertPos)
		key, okK := cc.readPEM("key", q.Key, q.KeyPos)
		if okC && okK {
			pair, err := tls.X509KeyPair(cert, key)
			if err != nil {
				cc.errs.add(q.CertPos, "cert is the client certificate in PEM, key its private key in PEM", "cert and key: %v", err)
			} else {
				sp.Certificates = []tls.Certificate{pair}
			}
		}
	}
	switch a.Kind {
	case MQTTPublish:
		sp.Publish = cc.mqttMessage(a.Publish)
	case MQTTSubscribe:
		sp.Filters = cc.mqttFilters(a.Filters)
	case MQTTUnsubscribe:
		sp.Filters = cc.mqttFilters(a.Topics)
	case MQTTReceive:
		sp.Until = cc.compileExpr(a.Until, ctxCheck, true)
	}
	return sp
}

func (cc *caseCompiler) mqttMessage(msg *MQTTMessage) *MQTTMessageSpec {
	return &MQTTMessageSpec{Topic: cc.template(msg.Topic, msg.TopicPos), Payload: cc.template(msg.Payload, msg.PayloadPos), QoS: byte(msg.QoS), Retain: msg.Retain}
}

func (cc *caseCompiler) mqttFilters(list []MQTTFilter) []MQTTFilterSpec {
	out := make([]MQTTFilterSpec, len(list))
	for i, f := range list {
		out[i] = MQTTFilterSpec{Topic: cc.template(f.Topic, f.Pos), QoS: byte(f.QoS)}
	}
	return out
}

// readPEM reads a certificate or key file an mqtt step names.
func (cc *caseCompiler) readPEM(key, path string, pos Pos) ([]byte, bool) {
	data, err := cc.readData(cc.dataPath(path), MaxDataFileSize)
	if err != nil {
		msg, hint := dataError(err)
		cc.errs.add(pos, hint, "%s: cannot read %s: %s", key, path, msg)
		return nil, false
	}
	return data, true
}

func (fm *formatter) mqttRequest(m *ymap, q *MQTTRequest) {
	m.add("broker", yStr(q.Broker))
	for _, kv := range []struct{ key, v string }{{"client_id", q.ClientID}, {"username", q.Username}, {"password", q.Password}} {
		if kv.v != "" {
			m.add(kv.key, yStr(kv.v))
		}
	}
	if !q.CleanSession {
		m.add("clean_session", yBool(false))
	}
	if q.KeepAlive != 0 {
		m.add("keep_alive", yDur(q.KeepAlive))
	}
	if q.Will != nil {
		m.add("will", mqttMessageNode(q.Will))
	}
	if !q.TLSVerify {
		m.add("tls_verify", yBool(false))
	}
	for _, kv := range []struct{ key, v string }{{"ca", q.CA}, {"cert", q.Cert}, {"key", q.Key}} {
		if kv.v != "" {
			m.add(kv.key, yStr(kv.v))
		}
	}
	if q.ConnectTimeout != 0 {
		m.add("connect_timeout", yDur(q.ConnectTimeout))
	}
	if q.Timeout != 0 {
		m.add("timeout", yDur(q.Timeout))
	}
	a := &q.Action
	switch a.Kind {
	case MQTTConnect, MQTTDisconnect:
		m.add(a.Kind, yBool(true))
	case MQTTPublish:
		m.add(a.Kind, mqttMessageNode(a.Publish))
	case MQTTSubscribe, MQTTUnsubscribe:
		list := a.Filters
		if a.Kind == MQTTUnsubscribe {
			list = a.Topics
		}
		items := ySeq(nil)
		for _, f := range list {
			if a.Kind == MQTTSubscribe && f.QoS != 0 {
				items.Content = append(items.Content, newMap().add("topic", yStr(f.Topic)).add("qos", yInt(f.QoS)).flow())
			} else {
				items.Content = append(items.Content, yStr(f.Topic))
			}
		}
		if len(items.Content) == 1 {
			m.add(a.Kind, items.Content[0])
		} else {
			m.add(a.Kind, flowIfShort(items))
		}
	case MQTTReceive:
		m.add(a.Kind, receiveAction{a.Count, a.Until, a.Max, a.Timeout}.node(newMap()))
	}
}

func mqttMessageNode(msg *MQTTMessage) *yaml.Node {
	m := newMap().add("topic", yStr(msg.Topic))
	if msg.Payload != "" {
		m.add("payload", yStr(msg.Payload))
	}
	if msg.QoS != 0 {
		m.add("qos", yInt(msg.QoS))
	}
	if msg.Retain {
		m.add("retain", yBool(true))
	}
	return m.flow()
}

// capMQTT checks an mqtt step's values against the caps of the durations
// and counts inside a pass.
func capMQTT(q *MQTTRequest, long func(string, time.Duration), many func(string, int64, int64)) {
	long("connect_timeout", q.ConnectTimeout)
	long("timeout", q.Timeout)
	long("receive timeout", q.Action.Timeout)
	many("receive count", int64(q.Action.Count), MaxLoops)
	many("receive max", int64(q.Action.Max), MaxLoops)
}
