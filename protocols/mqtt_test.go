package protocols

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// mqttSpecs compiles mqtt steps with ${b} set to the broker's URL.
func mqttSpecs(t testing.TB, broker string, steps ...string) []*scenario.MQTTSpec {
	t.Helper()
	var out []*scenario.MQTTSpec
	for _, n := range compileSteps(t, "mqtt", map[string]string{"b": broker}, steps...) {
		out = append(out, n.Spec.(*scenario.MQTTSpec))
	}
	return out
}

// mqttExtra is what an exchange observed of an MQTT extra metric.
func mqttExtra(r *Result, metric int) metrics.Observation {
	for _, o := range r.Extras.All() {
		if o.Metric == metric {
			return o
		}
	}
	return metrics.Observation{}
}

// Publish at each QoS and receive through the MQTT driver, against
// mosquitto: the first step of each VU connects (its connect time is part
// of its RT), messages are counted by QoS on both sides, each stamped one
// gives a latency, and checks read the last message taken.
func TestMQTTDriverPublishReceive(t *testing.T) {
	broker := "tcp://" + testsupport.Mosquitto(t)
	sp := mqttSpecs(t, broker,
		`{broker: "${b}", client_id: sub, subscribe: {topic: "t/#", qos: 1}}`,
		`{broker: "${b}", publish: {topic: t/0, payload: "{\"t\":\"${sendstamp()}\"}"}}`,
		`{broker: "${b}", publish: {topic: t/1, payload: "{\"t\":\"${sendstamp()}\"}", qos: 1}}`,
		`{broker: "${b}", publish: {topic: t/2, payload: "done ${sendstamp()}", qos: 2}}`,
		`{broker: "${b}", receive: {count: 3, timeout: 5s}}`,
		`{broker: "${b}", unsubscribe: "t/#"}`,
		`{broker: "${b}", disconnect: true}`,
	)
	d, _ := For(scenario.MQTT)
	in := &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}
	sub := d.New(Config{Ctx: context.Background()})
	defer sub.Close()
	pub := d.New(Config{Ctx: context.Background()})
	defer pub.Close()
	var r Result
	sub.Do(sp[0], in, &r)
	if r.Fail != nil || r.Connect <= 0 || r.RT < r.Connect {
		t.Fatalf("subscribe: %v, connect %v of RT %v", r.Fail, r.Connect, r.RT)
	}
	for q := range 3 {
		pub.Do(sp[1+q], in, &r)
		if r.Fail != nil || r.Sent != int64(len(`{"t":"`)+19+2) && q < 2 || mqttExtra(&r, xPublished+q).Sum != 1 {
			t.Fatalf("publish QoS %d: %v, sent %d, extras %+v", q, r.Fail, r.Sent, r.Extras.All())
		}
		if (q == 0) != (r.Connect > 0) {
			t.Errorf("publish QoS %d: connect %v; only the first step of the VU connects", q, r.Connect)
		}
	}
	sub.Do(sp[4], in, &r)
	if r.Fail != nil || !bytes.HasPrefix(r.Body, []byte("done @pc")) || r.Connect != 0 {
		t.Fatalf("receive: %v, body %q, connect %v", r.Fail, r.Body, r.Connect)
	}
	// The subscription's QoS 1 caps what it receives.
	if q0, q1, q2 := mqttExtra(&r, xReceived), mqttExtra(&r, xReceived+1), mqttExtra(&r, xReceived+2); q0.Sum != 1 || q1.Sum != 2 || q2.Sum != 0 {
		t.Errorf("received by QoS: %d, %d, %d; want 1, 2, 0", q0.Sum, q1.Sum, q2.Sum)
	}
	if l := mqttExtra(&r, xLatency); l.N != 3 || l.Min <= 0 || l.Max > int64(5*time.Second) || l.Sum < l.Max {
		t.Errorf("latency %+v: want three values", l)
	}
	for _, s := range sp[5:] {
		sub.Do(s, in, &r)
		if r.Fail != nil {
			t.Fatalf("%s: %v", s.Action, r.Fail)
		}
	}
	// After disconnect, the next step connects again.
	sub.Do(sp[0], in, &r)
	if r.Fail != nil || r.Connect <= 0 {
		t.Errorf("subscribe after disconnect: %v, connect %v", r.Fail, r.Connect)
	}
}

// A receive until an expression holds reads messages through the VU's
// evaluator until one matches; one that reads max messages without a
// match fails as a check.
func TestMQTTDriverReceiveUntil(t *testing.T) {
	broker := "tcp://" + testsupport.Mosquitto(t)
	sp := mqttSpecs(t, broker,
		`{broker: "${b}", subscribe: u}`,
		`{broker: "${b}", publish: {topic: u, payload: "${v}", qos: 1}}`,
		`{broker: "${b}", receive: {until: 'body == "done"', timeout: 2s}}`,
		`{broker: "${b}", receive: {until: 'body == "done"', max: 2, timeout: 2s}}`,
	)
	var judged []string
	in := &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1), Until: func(p *scenario.Program, msg []byte) (bool, error) {
		judged = append(judged, string(msg))
		return string(msg) == "done", nil
	}}
	d, _ := For(scenario.MQTT)
	s := d.New(Config{Ctx: context.Background()})
	defer s.Close()
	var r Result
	s.Do(sp[0], in, &r)
	for _, v := range []string{"a", "done", "b", "c"} {
		s.Do(sp[1], &Input{Scope: fixedScope(v), Funcs: in.Funcs}, &r)
		if r.Fail != nil {
			t.Fatal(r.Fail)
		}
	}
	s.Do(sp[2], in, &r)
	if r.Fail != nil || string(r.Body) != "done" || strings.Join(judged, ",") != "a,done" {
		t.Fatalf("until: %v, body %q, judged %v", r.Fail, r.Body, judged)
	}
	s.Do(sp[3], in, &r)
	if r.Fail == nil || r.Fail.Outcome != metrics.CheckFailed || mqttExtra(&r, xReceived).Sum != 2 {
		t.Errorf("until with max 2: %v, extras %+v", r.Fail, r.Extras.All())
	}
}

// A broker that drops the connection fails the action that finds it
// lost, as an other failure, and the next step connects again.
func TestMQTTDriverDroppedConnection(t *testing.T) {
	addr, cut := testsupport.Proxy(t, testsupport.Mosquitto(t))
	sp := mqttSpecs(t, "tcp://"+addr, `{broker: "${b}", publish: {topic: d, payload: x, qos: 1}}`)[0]
	d, _ := For(scenario.MQTT)
	s := d.New(Config{Ctx: context.Background()})
	defer s.Close()
	in := &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}
	var r Result
	s.Do(sp, in, &r)
	if r.Fail != nil {
		t.Fatal(r.Fail)
	}
	cut()
	// paho notices the loss on its reading goroutine.
	time.Sleep(200 * time.Millisecond)
	s.Do(sp, in, &r)
	if r.Fail == nil || r.Fail.Outcome != metrics.Other || !strings.Contains(r.Fail.Msg, "lost") {
		t.Fatalf("publish on a dropped connection: %+v", r.Fail)
	}
	s.Do(sp, in, &r)
	if r.Fail != nil || r.Connect <= 0 {
		t.Errorf("the step after: %v, connect %v", r.Fail, r.Connect)
	}
}
