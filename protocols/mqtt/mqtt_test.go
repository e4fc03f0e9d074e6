package mqtt

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/stamp"
	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/metrics"
)

func connect(t *testing.T, o *ConnectOptions) *Client {
	t.Helper()
	c := new(Client)
	var r Result
	c.Connect(context.Background(), o, &r)
	if r.Fail != nil {
		t.Fatalf("connect %s: %v", o.URL, r.Fail)
	}
	if r.RT <= 0 || !c.Connected() {
		t.Fatalf("connect %s: RT %v, connected %v", o.URL, r.RT, c.Connected())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// Publish and receive at each QoS through mosquitto: every message
// arrives once, in order, with its QoS, and its send stamp gives an
// end-to-end latency.
func TestPublishReceiveQoS(t *testing.T) {
	b := startBroker(t)
	ctx := context.Background()
	for qos := byte(0); qos <= 2; qos++ {
		t.Run(fmt.Sprintf("qos%d", qos), func(t *testing.T) {
			topic := fmt.Sprintf("perfcase/q%d", qos)
			sub := connect(t, &ConnectOptions{URL: b.url("tcp", b.plain), ClientID: topic + "-sub", CleanSession: true})
			pub := connect(t, &ConnectOptions{URL: b.url("mqtt", b.plain), ClientID: topic + "-pub", CleanSession: true})
			var r Result
			sub.Subscribe(ctx, []Filter{{Topic: "perfcase/+", QoS: qos}}, time.Second, &r)
			if r.Fail != nil {
				t.Fatal(r.Fail)
			}
			const n = 20
			var sent int64
			for i := range n {
				payload := stamp.Append([]byte(fmt.Sprintf(`{"i":%d,"t":"`, i)), time.Now())
				payload = append(payload, `"}`...)
				pub.Publish(ctx, topic, payload, qos, false, time.Second, &r)
				if r.Fail != nil || r.RT <= 0 || r.Sent != int64(len(payload)) {
					t.Fatalf("publish %d: %v, RT %v, sent %d", i, r.Fail, r.RT, r.Sent)
				}
				sent += r.Sent
			}
			sub.Receive(ctx, n, nil, 5*time.Second, &r)
			if r.Fail != nil {
				t.Fatal(r.Fail)
			}
			if r.Messages[qos] != n || r.Recv != sent || r.Stamped != n {
				t.Errorf("received %v messages by QoS, %d bytes (sent %d), %d stamped", r.Messages, r.Recv, sent, r.Stamped)
			}
			if r.LatencyMin <= 0 || r.LatencyMax < r.LatencyMin || r.LatencySum < r.LatencyMax || r.LatencyMax > 5*time.Second {
				t.Errorf("latency min %v max %v sum %v", r.LatencyMin, r.LatencyMax, r.LatencySum)
			}
			var sum time.Duration
			for _, d := range r.Latencies {
				sum += d
			}
			if len(r.Latencies) != n || sum != r.LatencySum || slices.Min(r.Latencies) != r.LatencyMin || slices.Max(r.Latencies) != r.LatencyMax {
				t.Errorf("latencies %v: not the %d stamped messages' (sum %v, min %v, max %v)", r.Latencies, n, r.LatencySum, r.LatencyMin, r.LatencyMax)
			}
			if !bytes.HasPrefix(r.Last.Payload, []byte(fmt.Sprintf(`{"i":%d,`, n-1))) || r.Last.Topic != topic || r.Last.QoS != qos {
				t.Errorf("last message %q on %q at QoS %d", r.Last.Payload, r.Last.Topic, r.Last.QoS)
			}
		})
	}
}

// Receive until an expression holds, within the timeout; and a receive
// that gets too few messages times out saying how many it had.
func TestReceiveUntilAndTimeout(t *testing.T) {
	b := startBroker(t)
	ctx := context.Background()
	sub := connect(t, &ConnectOptions{URL: b.url("tcp", b.plain), ClientID: "until-sub", CleanSession: true})
	pub := connect(t, &ConnectOptions{URL: b.url("tcp", b.plain), ClientID: "until-pub", CleanSession: true})
	var r Result
	sub.Subscribe(ctx, []Filter{{Topic: "until/#", QoS: 1}}, time.Second, &r)
	for _, p := range []string{"a", "b", "done", "after"} {
		pub.Publish(ctx, "until/x", []byte(p), 1, false, time.Second, &r)
	}
	sub.Receive(ctx, 0, func(m *Message) (bool, error) { return string(m.Payload) == "done", nil }, 2*time.Second, &r)
	if r.Fail != nil || string(r.Last.Payload) != "done" || r.Messages[1] != 3 {
		t.Fatalf("until: %v, last %q, %v messages", r.Fail, r.Last.Payload, r.Messages)
	}
	// "after" is still in the inbox; a second one never comes.
	sub.Receive(ctx, 2, nil, 300*time.Millisecond, &r)
	if r.Fail == nil || r.Fail.Outcome != metrics.Timeout || !strings.Contains(r.Fail.Msg, "1 of 2 messages within 300ms") {
		t.Errorf("short receive: %v", r.Fail)
	}
	// A bound on the messages until reads: none of them matches.
	for _, p := range []string{"x", "y"} {
		pub.Publish(ctx, "until/x", []byte(p), 1, false, time.Second, &r)
	}
	sub.Receive(ctx, 2, func(m *Message) (bool, error) { return false, nil }, 2*time.Second, &r)
	if r.Fail == nil || r.Fail.Outcome != metrics.CheckFailed || !strings.Contains(r.Fail.Msg, "no message of 2 matched") {
		t.Errorf("bounded until: %v", r.Fail)
	}
	// Unsubscribed, nothing more arrives.
	sub.Unsubscribe(ctx, []string{"until/#"}, time.Second, &r)
	if r.Fail != nil {
		t.Fatal(r.Fail)
	}
	pub.Publish(ctx, "until/x", []byte("late"), 1, false, time.Second, &r)
	sub.Receive(ctx, 1, nil, 300*time.Millisecond, &r)
	if r.Fail == nil || r.Fail.Outcome != metrics.Timeout {
		t.Errorf("receive after unsubscribe: %v, got %q", r.Fail, r.Last.Payload)
	}
}

// A retained message reaches a later subscriber, flagged; the will of a
// client whose connection dies reaches the others, and that client's next
// publish fails as a lost connection.
func TestRetainWillAndDroppedConnection(t *testing.T) {
	b := startBroker(t)
	ctx := context.Background()
	pub := connect(t, &ConnectOptions{URL: b.url("tcp", b.plain), ClientID: "retain-pub", CleanSession: true})
	var r Result
	pub.Publish(ctx, "state/door", []byte("open"), 1, true, time.Second, &r)
	watcher := connect(t, &ConnectOptions{URL: b.url("tcp", b.plain), ClientID: "watcher", CleanSession: true})
	watcher.Subscribe(ctx, []Filter{{Topic: "state/#", QoS: 1}}, time.Second, &r)
	watcher.Receive(ctx, 1, nil, 2*time.Second, &r)
	if r.Fail != nil || string(r.Last.Payload) != "open" || !r.Last.Retained {
		t.Fatalf("retained: %v, %q retained %v", r.Fail, r.Last.Payload, r.Last.Retained)
	}

	addr, cut := testsupport.Proxy(t, fmt.Sprintf("127.0.0.1:%d", b.plain))
	dying := connect(t, &ConnectOptions{URL: "tcp://" + addr, ClientID: "dying", CleanSession: true,
		Will: &Will{Topic: "state/dying", Payload: []byte("gone"), QoS: 1}})
	cut()
	watcher.Receive(ctx, 1, nil, 5*time.Second, &r)
	if r.Fail != nil || r.Last.Topic != "state/dying" || string(r.Last.Payload) != "gone" {
		t.Fatalf("will: %v, %q on %q", r.Fail, r.Last.Payload, r.Last.Topic)
	}
	// A receive waiting on the dropped connection ends when paho notices,
	// not at its timeout.
	dying.Receive(ctx, 1, nil, 10*time.Second, &r)
	if r.Fail == nil || r.Fail.Outcome != metrics.Other || !strings.Contains(r.Fail.Msg, "receive: the connection to "+addr+" was lost") || r.RT > 5*time.Second {
		t.Errorf("receive on a dropped connection: %v after %v", r.Fail, r.RT)
	}
	dying.Publish(ctx, "state/x", []byte("y"), 1, false, time.Second, &r)
	if r.Fail == nil || r.Fail.Outcome != metrics.Other || !strings.Contains(r.Fail.Msg, "connection to "+addr+" was lost") {
		t.Errorf("publish on a dropped connection: %v", r.Fail)
	}
}

// MQTT over WebSocket, over WebSocket over TLS, and over TLS with a
// client certificate, the certificate check on and off.
func TestWebSocketAndTLS(t *testing.T) {
	b := startBroker(t)
	ctx := context.Background()
	var r Result
	ws := connect(t, &ConnectOptions{URL: b.url("ws", b.ws), ClientID: "ws", CleanSession: true})
	ws.Subscribe(ctx, []Filter{{Topic: "ws/t", QoS: 1}}, time.Second, &r)
	ws.Publish(ctx, "ws/t", []byte("over websocket"), 1, false, time.Second, &r)
	ws.Receive(ctx, 1, nil, 2*time.Second, &r)
	if r.Fail != nil || string(r.Last.Payload) != "over websocket" {
		t.Fatalf("ws: %v %q", r.Fail, r.Last.Payload)
	}

	wss := connect(t, &ConnectOptions{URL: b.url("wss", b.wss), ClientID: "wss", CleanSession: true, TLSVerify: true, RootCAs: b.ca})
	wss.Subscribe(ctx, []Filter{{Topic: "wss/t", QoS: 2}}, time.Second, &r)
	wss.Publish(ctx, "wss/t", []byte("over wss"), 2, false, time.Second, &r)
	wss.Receive(ctx, 1, nil, 2*time.Second, &r)
	if r.Fail != nil || string(r.Last.Payload) != "over wss" || r.Messages[2] != 1 {
		t.Fatalf("wss: %v %q %v", r.Fail, r.Last.Payload, r.Messages)
	}

	tlsURL := b.url("ssl", b.tls)
	verified := connect(t, &ConnectOptions{URL: tlsURL, ClientID: "tls-verified", CleanSession: true, TLSVerify: true, RootCAs: b.ca, Certificates: []tls.Certificate{b.client}})
	verified.Publish(ctx, "tls/t", []byte("x"), 2, false, time.Second, &r)
	if r.Fail != nil {
		t.Fatal(r.Fail)
	}
	connect(t, &ConnectOptions{URL: b.url("mqtts", b.tls), ClientID: "tls-unverified", CleanSession: true, Certificates: []tls.Certificate{b.client}})

	cases := []struct {
		name string
		o    ConnectOptions
		msg  string
	}{
		{"untrusted broker", ConnectOptions{URL: tlsURL, TLSVerify: true, Certificates: []tls.Certificate{b.client}}, "set tls_verify: false"},
		{"no client certificate", ConnectOptions{URL: tlsURL, RootCAs: b.ca, TLSVerify: true}, "connect to 127.0.0.1"},
	}
	for _, c := range cases {
		var cl Client
		c.o.ClientID, c.o.Timeout = c.name, 2*time.Second
		cl.Connect(ctx, &c.o, &r)
		if r.Fail == nil || r.Fail.Outcome != metrics.Other || !strings.Contains(r.Fail.Msg, c.msg) {
			t.Errorf("%s: %v, want other saying %q", c.name, r.Fail, c.msg)
		}
	}
}

// Connect failures: nobody listening, a wrong password (the broker's
// CONNACK refusal), a bad URL.
func TestConnectFailures(t *testing.T) {
	b := startBroker(t)
	closed := freePort(t)
	cases := []struct {
		name    string
		o       ConnectOptions
		outcome metrics.Outcome
		msg     string
	}{
		{"refused", ConnectOptions{URL: fmt.Sprintf("tcp://127.0.0.1:%d", closed)}, metrics.Refused, "connection refused"},
		{"wrong password", ConnectOptions{URL: b.url("tcp", b.auth), Username: "alice", Password: "wrong"}, metrics.CheckFailed, "the broker refused: not Authorized"},
		{"bad scheme", ConnectOptions{URL: "http://127.0.0.1:1883"}, metrics.Other, "scheme is not"},
	}
	ctx := context.Background()
	for _, c := range cases {
		var cl Client
		var r Result
		c.o.ClientID = c.name
		cl.Connect(ctx, &c.o, &r)
		if r.Fail == nil || r.Fail.Outcome != c.outcome || !strings.Contains(r.Fail.Msg, c.msg) {
			t.Errorf("%s: %v, want %v saying %q", c.name, r.Fail, c.outcome, c.msg)
		}
	}
	// The right password connects.
	connect(t, &ConnectOptions{URL: b.url("tcp", b.auth), ClientID: "alice", Username: "alice", Password: "secret"})
	// Actions without a connection fail at once.
	var cl Client
	var r Result
	cl.Publish(ctx, "t", []byte("x"), 0, false, time.Second, &r)
	if r.Fail == nil || !strings.Contains(r.Fail.Msg, "not connected") {
		t.Errorf("publish before connect: %v", r.Fail)
	}
}

// A subscriber that does not receive holds at most Inbox messages; the
// rest are dropped and counted.
func TestInboxBound(t *testing.T) {
	b := startBroker(t)
	ctx := context.Background()
	sub := connect(t, &ConnectOptions{URL: b.url("tcp", b.plain), ClientID: "slow-sub", CleanSession: true})
	pub := connect(t, &ConnectOptions{URL: b.url("tcp", b.plain), ClientID: "fast-pub", CleanSession: true})
	var r Result
	sub.Subscribe(ctx, []Filter{{Topic: "flood", QoS: 1}}, time.Second, &r)
	const n = Inbox + 76
	for i := range n {
		pub.Publish(ctx, "flood", []byte(fmt.Sprint(i)), 1, false, time.Second, &r)
		if r.Fail != nil {
			t.Fatal(r.Fail)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for sub.Dropped() < n-Inbox && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := sub.Dropped(); got != n-Inbox {
		t.Fatalf("dropped %d, want %d", got, n-Inbox)
	}
	sub.Receive(ctx, Inbox, nil, time.Second, &r)
	if r.Fail != nil || string(r.Last.Payload) != fmt.Sprint(Inbox-1) {
		t.Fatalf("receive the inbox: %v, last %q", r.Fail, r.Last.Payload)
	}
	sub.Receive(ctx, 1, nil, 100*time.Millisecond, &r)
	if r.Fail == nil || r.Fail.Outcome != metrics.Timeout {
		t.Errorf("a receive past the inbox: %v", r.Fail)
	}
}
