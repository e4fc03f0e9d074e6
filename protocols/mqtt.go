package protocols

import (
	"bytes"
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/mqtt"
	"github.com/perfcase/perfcase/scenario"
)

// The MQTT driver: an mqtt: step is one action on the VU's connection to
// a broker, one sample in the request tables. docs/mqtt.md defines what
// each action measures.

// Extra metrics of MQTT, by index in its declared list (names
// "mqtt_published_qos0", …, "mqtt_latency", "mqtt_dropped").
const (
	xPublished = 0 // + QoS: messages published, acknowledged as their QoS asks
	xReceived  = 3 // + QoS: messages receive actions took
	xLatency   = 6 // histogram: the end-to-end latency of each stamped message taken
	xDropped   = 7 // messages dropped because no receive took them and the inbox was full
)

var mqttExtras = []metrics.ExtraInfo{
	{Name: "mqtt_published_qos0", Kind: metrics.Counter, Unit: metrics.UnitCount},
	{Name: "mqtt_published_qos1", Kind: metrics.Counter, Unit: metrics.UnitCount},
	{Name: "mqtt_published_qos2", Kind: metrics.Counter, Unit: metrics.UnitCount},
	{Name: "mqtt_received_qos0", Kind: metrics.Counter, Unit: metrics.UnitCount},
	{Name: "mqtt_received_qos1", Kind: metrics.Counter, Unit: metrics.UnitCount},
	{Name: "mqtt_received_qos2", Kind: metrics.Counter, Unit: metrics.UnitCount},
	{Name: "mqtt_latency", Kind: metrics.Histogram, Unit: metrics.UnitDuration},
	{Name: "mqtt_dropped", Kind: metrics.Counter, Unit: metrics.UnitCount},
}

// maxMQTTConns bounds the brokers a VU keeps a connection to; opening one
// more closes the least recently used, as for WebSocket.
const maxMQTTConns = 16

// mqttSession is one VU's MQTT side: a connection per broker URL, kept
// across passes. It is not safe for concurrent use, except Interrupt.
type mqttSession struct {
	ctx    context.Context
	cancel context.CancelFunc
	conns  []*mqttConn // least recently used first
	url    []byte
	buf    []byte
	res    mqtt.Result
	obs    metrics.Observations
	cut    atomic.Bool
	// until judges a receive's until-expression; in and prog are the
	// step's, set for the call. Made once, so a receive allocates no
	// closure.
	until func(*mqtt.Message) (bool, error)
	in    *Input
	prog  *scenario.Program
}

// mqttConn is the VU's connection to one broker.
type mqttConn struct {
	key     string // the rendered broker URL
	c       mqtt.Client
	dropped int64 // the client's dropped messages already reported
}

func newMQTT(cfg Config) *mqttSession {
	s := &mqttSession{}
	s.ctx, s.cancel = context.WithCancel(cfg.Ctx)
	s.until = func(m *mqtt.Message) (bool, error) { return s.in.Until(s.prog, m.Payload) }
	return s
}

// Do renders an *scenario.MQTTSpec against the VU's variables and runs
// its action on the VU's connection to the broker, which it opens first
// when there is none (r.Connect is that connect's part of r.RT). A
// connection the action found lost or broke is dropped, so the next step
// connects again. r.Body is the last message a receive took.
func (s *mqttSession) Do(sp scenario.Spec, in *Input, r *Result) {
	spec := sp.(*scenario.MQTTSpec)
	r.Reset()
	s.obs.Reset()
	r.Extras = &s.obs
	start := time.Now()
	defer func() {
		r.End = time.Now()
		r.RT = r.End.Sub(start)
	}()
	if s.cut.Load() {
		r.Fail = interrupted()
		return
	}
	s.url = spec.Broker.Append(s.url[:0], in.Scope, in.Funcs)
	if err := in.Funcs.Err(); err != nil {
		r.Fail = &Failure{Outcome: metrics.Other, Msg: "render broker: " + err.Error(), Err: err}
		return
	}
	conn := s.find(s.url)
	res := &s.res
	switch spec.Action {
	case scenario.MQTTDisconnect:
		if conn != nil {
			s.forget(conn)
			conn.c.Disconnect(0)
		}
		return
	case scenario.MQTTConnect:
		if conn == nil {
			conn = s.keep(string(s.url))
		}
		r.Fail = s.connect(conn, spec, in, r)
		return
	}
	if conn == nil {
		conn = s.keep(string(s.url))
		if r.Fail = s.connect(conn, spec, in, r); r.Fail != nil {
			return
		}
	}
	c := &conn.c
	switch spec.Action {
	case scenario.MQTTPublish:
		topic, payload, f := s.message(spec.Publish, in)
		if f != nil {
			r.Fail = f
			return
		}
		c.Publish(s.ctx, topic, payload, spec.Publish.QoS, spec.Publish.Retain, spec.Timeout, res)
		if res.Fail == nil {
			s.obs.Add(xPublished+int(spec.Publish.QoS), 1)
		}
	case scenario.MQTTSubscribe:
		filters := make([]mqtt.Filter, len(spec.Filters))
		for i, f := range spec.Filters {
			s.buf = f.Topic.Append(s.buf[:0], in.Scope, in.Funcs)
			filters[i] = mqtt.Filter{Topic: string(s.buf), QoS: f.QoS}
		}
		if err := in.Funcs.Err(); err != nil {
			r.Fail = &Failure{Outcome: metrics.Other, Msg: "render topic: " + err.Error(), Err: err}
			return
		}
		c.Subscribe(s.ctx, filters, spec.Timeout, res)
	case scenario.MQTTUnsubscribe:
		topics := make([]string, len(spec.Filters))
		for i, f := range spec.Filters {
			s.buf = f.Topic.Append(s.buf[:0], in.Scope, in.Funcs)
			topics[i] = string(s.buf)
		}
		if err := in.Funcs.Err(); err != nil {
			r.Fail = &Failure{Outcome: metrics.Other, Msg: "render topic: " + err.Error(), Err: err}
			return
		}
		c.Unsubscribe(s.ctx, topics, spec.Timeout, res)
	case scenario.MQTTReceive:
		var until func(*mqtt.Message) (bool, error)
		count := spec.Count
		if spec.Until != nil {
			// With until, the client's count bounds the messages read.
			count = spec.Max
			if in.Until == nil {
				r.Fail = &Failure{Outcome: metrics.Other, Msg: "receive until: no evaluator for the expression"}
				return
			}
			s.in, s.prog, until = in, spec.Until, s.until
		}
		c.Receive(s.ctx, count, until, spec.ReceiveTimeout, res)
		s.in, s.prog = nil, nil
		for q, n := range res.Messages {
			if n > 0 {
				s.obs.Add(xReceived+q, n)
			}
		}
		for _, d := range res.Latencies {
			s.obs.AddValue(xLatency, int64(d))
		}
		if res.Messages != [3]int64{} {
			r.Body = res.Last.Payload
		}
	}
	if d := c.Dropped() - conn.dropped; d > 0 {
		s.obs.Add(xDropped, d)
		conn.dropped += d
	}
	r.Sent += res.Sent
	r.Recv += res.Recv
	if res.Fail != nil {
		r.Fail = s.failure(res.Fail)
		if !c.Connected() {
			// Lost, or closed by the failure: the next step connects
			// again.
			s.forget(conn)
			c.Disconnect(0)
		}
	}
}

// connect opens conn's connection with the step's settings.
func (s *mqttSession) connect(conn *mqttConn, spec *scenario.MQTTSpec, in *Input, r *Result) *Failure {
	o := mqtt.ConnectOptions{URL: conn.key, CleanSession: spec.CleanSession, KeepAlive: spec.KeepAlive, TLSVerify: spec.TLSVerify,
		RootCAs: spec.RootCAs, Certificates: spec.Certificates, Timeout: spec.ConnectTimeout}
	render := func(t *scenario.Template) string {
		s.buf = t.Append(s.buf[:0], in.Scope, in.Funcs)
		return string(s.buf)
	}
	o.ClientID, o.Username, o.Password = render(spec.ClientID), render(spec.Username), render(spec.Password)
	if w := spec.Will; w != nil {
		topic, payload, f := s.message(w, in)
		if f != nil {
			s.forget(conn)
			return f
		}
		o.Will = &mqtt.Will{Topic: topic, Payload: payload, QoS: w.QoS, Retain: w.Retain}
	}
	if err := in.Funcs.Err(); err != nil {
		s.forget(conn)
		return &Failure{Outcome: metrics.Other, Msg: "render the connection's settings: " + err.Error(), Err: err}
	}
	res := &s.res
	conn.c.Connect(s.ctx, &o, res)
	conn.dropped = conn.c.Dropped()
	r.Connect += res.RT
	if res.Fail != nil {
		s.forget(conn)
		return s.failure(res.Fail)
	}
	return nil
}

// message renders a message's topic and payload. The payload is the
// message's own: paho holds it until the broker acknowledges it.
func (s *mqttSession) message(m *scenario.MQTTMessageSpec, in *Input) (string, []byte, *Failure) {
	s.buf = m.Topic.Append(s.buf[:0], in.Scope, in.Funcs)
	topic := string(s.buf)
	s.buf = m.Payload.Append(s.buf[:0], in.Scope, in.Funcs)
	if err := in.Funcs.Err(); err != nil {
		return "", nil, &Failure{Outcome: metrics.Other, Msg: "render message: " + err.Error(), Err: err}
	}
	return topic, bytes.Clone(s.buf), nil
}

// failure is an action's failure as the runner counts it; an action the
// interruption cut reads as interrupted.
func (s *mqttSession) failure(f *mqtt.Failure) *Failure {
	if s.cut.Load() {
		return interrupted()
	}
	return &Failure{Outcome: f.Outcome, Msg: f.Msg, Err: f.Err}
}

// find returns the kept connection to the broker at u, marking it most
// recently used.
func (s *mqttSession) find(u []byte) *mqttConn {
	for i, c := range s.conns {
		if c.key == string(u) {
			copy(s.conns[i:], s.conns[i+1:])
			s.conns[len(s.conns)-1] = c
			return c
		}
	}
	return nil
}

// keep adds a connection, not yet open, closing the least recently used
// when there are too many.
func (s *mqttSession) keep(key string) *mqttConn {
	if len(s.conns) >= maxMQTTConns {
		s.conns[0].c.Disconnect(0)
		s.conns = slices.Delete(s.conns, 0, 1)
	}
	c := &mqttConn{key: key}
	s.conns = append(s.conns, c)
	return c
}

// forget removes a connection from those kept, if it is.
func (s *mqttSession) forget(c *mqttConn) {
	if i := slices.Index(s.conns, c); i >= 0 {
		s.conns = slices.Delete(s.conns, i, i+1)
	}
}

// Release does nothing: the last message stays in its client's buffer
// until the next receive.
func (s *mqttSession) Release() {}

// Interrupt cuts the action in flight and fails every later one at once.
func (s *mqttSession) Interrupt() {
	s.cut.Store(true)
	s.cancel()
}

// Close disconnects from every broker.
func (s *mqttSession) Close() {
	for _, c := range s.conns {
		c.c.Disconnect(0)
	}
	s.conns = nil
	s.cancel()
}
