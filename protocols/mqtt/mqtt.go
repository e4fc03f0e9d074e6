// Package mqtt is a VU's MQTT 3.1.1 client for load tests: connect (over
// TCP, TLS, ws:// or wss://, with client certificates), publish, subscribe,
// receive, unsubscribe and disconnect, each an action that fills a
// caller-owned Result with its response time, its bytes, the messages it
// received and their end-to-end latency, and, when it fails, the one
// failure bucket (metrics.Outcome) it counts in. The protocol itself is
// github.com/eclipse/paho.mqtt.golang's. docs/mqtt.md defines every
// measurement.
//
// It knows nothing of scenarios, stages or reports: a driver in protocols
// turns a compiled step into these calls. A Client is one connection, kept
// across passes; it is not safe for concurrent use.
package mqtt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/perfcase/perfcase/internal/stamp"
	"github.com/perfcase/perfcase/metrics"
)

// Defaults. Zero in an option means its default.
const (
	// DefaultTimeout bounds each action that waits for the broker, as
	// HTTP steps' timeout does.
	DefaultTimeout = 5 * time.Second
	// DefaultKeepAlive is the keep-alive interval sent in CONNECT.
	DefaultKeepAlive = 60 * time.Second
	// Inbox is how many received messages a client holds for its receive
	// actions; a message that arrives when the inbox is full is dropped
	// and counted (Client.Dropped), so that a subscriber nobody reads
	// cannot grow without bound.
	Inbox = 1024
)

// Will is the message the broker publishes for a client whose connection
// ends without a DISCONNECT.
type Will struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
}

// ConnectOptions are a connection's settings.
type ConnectOptions struct {
	// URL is the broker: tcp:// or mqtt:// (port 1883 when none is
	// given), ssl://, tls:// or mqtts:// (8883), ws:// or wss:// (with a
	// path, /mqtt by convention).
	URL          string
	ClientID     string
	Username     string
	Password     string
	CleanSession bool
	KeepAlive    time.Duration // 0: DefaultKeepAlive
	Will         *Will
	// TLSVerify checks the broker's certificate, against RootCAs when it
	// is set and the system's roots otherwise.
	TLSVerify bool
	RootCAs   *x509.CertPool
	// Certificates are the client certificates offered to a broker that
	// asks for one.
	Certificates []tls.Certificate
	Timeout      time.Duration // the connect's bound (dial, TLS, CONNACK); 0: DefaultTimeout
}

// Result is one action's outcome. A call resets it first.
type Result struct {
	// RT runs from the action's start to its end: CONNACK, PUBACK (QoS
	// 1), PUBCOMP (QoS 2), the publish written (QoS 0), SUBACK, UNSUBACK,
	// or the last message a receive needed.
	RT time.Duration
	// Sent and Recv count payload bytes: published, and received by a
	// receive action.
	Sent, Recv int64
	// Messages counts the messages a receive took, by their QoS.
	Messages [3]int64
	// Last is the last message a receive took, valid until the next call.
	Last Message
	// Latency is over the received messages whose payload carried a send
	// stamp (package internal/stamp): how many, and the sum, minimum and maximum of
	// their receive time minus their send time.
	Stamped                            int64
	LatencySum, LatencyMin, LatencyMax time.Duration
	// Latencies are the stamped messages' latencies, one each, in the
	// order taken; the slice keeps its capacity across calls.
	Latencies []time.Duration
	Fail      *Failure
}

// reset empties r for the next call, keeping Latencies' capacity.
func (r *Result) reset() { *r = Result{Latencies: r.Latencies[:0]} }

// Message is a received message. Payload aliases the client's buffer.
type Message struct {
	Topic    string
	Payload  []byte
	QoS      byte
	Retained bool
	At       time.Time // when the client took it off the connection
}

// Failure is a failed action: its bucket, and a message fit for a report
// (it names the broker's host, never the URL, which may carry a token).
type Failure struct {
	Outcome metrics.Outcome
	Msg     string
	Err     error
}

func (f *Failure) Error() string { return f.Msg }
func (f *Failure) Unwrap() error { return f.Err }

// Client is one VU's connection to a broker.
type Client struct {
	c     paho.Client
	host  string
	inbox chan received
	// lost is the error that ended the connection, if one did, and
	// lostCh is closed then, so that a receive waiting stops.
	lost    atomic.Pointer[error]
	lostCh  chan struct{}
	dropped atomic.Int64
	buf     []byte
}

type received struct {
	msg paho.Message
	at  time.Time
}

// Dropped counts the messages dropped because the inbox was full.
func (c *Client) Dropped() int64 { return c.dropped.Load() }

// Connected reports whether the client holds a live connection.
func (c *Client) Connected() bool { return c.c != nil && c.c.IsConnectionOpen() }

// Connect opens the connection, closing one the client already holds.
func (c *Client) Connect(ctx context.Context, o *ConnectOptions, r *Result) {
	r.reset()
	start := time.Now()
	defer func() { r.RT = time.Since(start) }()
	c.Disconnect(0)
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" || u.User != nil {
		r.Fail = &Failure{Outcome: metrics.Other, Msg: "the broker URL is not scheme://host[:port] (and no user:password@)"}
		return
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	default:
		r.Fail = &Failure{Outcome: metrics.Other, Msg: "the broker URL's scheme is not tcp, mqtt, ssl, tls, mqtts, ws or wss"}
		return
	}
	if u.Port() == "" && u.Scheme != "ws" && u.Scheme != "wss" {
		port := "1883"
		if u.Scheme != "tcp" && u.Scheme != "mqtt" {
			port = "8883"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	c.host = u.Host
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	keep := o.KeepAlive
	if keep <= 0 {
		keep = DefaultKeepAlive
	}
	if c.inbox == nil {
		c.inbox = make(chan received, Inbox)
	}
	c.lost.Store(nil)
	lostCh := make(chan struct{})
	c.lostCh = lostCh
	// Messages from an earlier connection are not this one's.
	for len(c.inbox) > 0 {
		<-c.inbox
	}
	opts := paho.NewClientOptions().
		AddBroker(u.String()).
		SetClientID(o.ClientID).
		SetUsername(o.Username).
		SetPassword(o.Password).
		SetCleanSession(o.CleanSession).
		SetKeepAlive(keep).
		SetProtocolVersion(4).
		SetConnectTimeout(timeout).
		SetWriteTimeout(timeout).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetOrderMatters(true).
		SetTLSConfig(&tls.Config{InsecureSkipVerify: !o.TLSVerify, RootCAs: o.RootCAs, Certificates: o.Certificates, ServerName: u.Hostname()}).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			// Called on paho's reading goroutine, in order: hand over
			// without blocking it.
			select {
			case c.inbox <- received{msg: m, at: time.Now()}:
			default:
				c.dropped.Add(1)
			}
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.lost.Store(&err)
			close(lostCh)
		})
	if w := o.Will; w != nil {
		opts.SetBinaryWill(w.Topic, w.Payload, w.QoS, w.Retain)
	}
	c.c = paho.NewClient(opts)
	tok := c.c.Connect()
	if f := c.wait(ctx, tok, timeout, "connect to "+c.host); f != nil {
		r.Fail = f
		c.c = nil
		return
	}
	if f := connectFailure(c.host, tok.Error()); f != nil {
		r.Fail = f
		c.c = nil
	}
}

// connectFailure sorts a failed connect: the broker's refusal in CONNACK
// is a failed check, like an HTTP 4xx; a transport failure goes by its
// error.
func connectFailure(host string, err error) *Failure {
	if err == nil {
		return nil
	}
	for _, refusal := range []error{packets.ErrorRefusedBadProtocolVersion, packets.ErrorRefusedIDRejected,
		packets.ErrorRefusedServerUnavailable, packets.ErrorRefusedBadUsernameOrPassword, packets.ErrorRefusedNotAuthorised} {
		if errors.Is(err, refusal) {
			return &Failure{Outcome: metrics.CheckFailed, Msg: "connect to " + host + ": the broker refused: " + refusal.Error(), Err: err}
		}
	}
	return netFailure("connect to "+host, err)
}

// netFailure sorts a transport error into a bucket.
func netFailure(what string, err error) *Failure {
	f := &Failure{Outcome: metrics.Other, Err: err}
	var ne net.Error
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		f.Outcome, f.Msg = metrics.Refused, what+": connection refused"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		f.Outcome, f.Msg = metrics.Timeout, what+": timeout"
	case errors.As(err, &certErr):
		f.Msg = what + ": " + certErr.Err.Error() + " (set tls_verify: false for a self-signed test broker)"
	case errors.As(err, &unknownCA):
		f.Msg = what + ": " + unknownCA.Error() + " (set tls_verify: false for a self-signed test broker)"
	case errors.Is(err, syscall.ECONNRESET):
		f.Msg = what + ": connection reset by peer"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		f.Msg = what + ": connection closed by the broker"
	default:
		f.Msg = what + ": " + err.Error()
	}
	return f
}

// wait waits for tok within timeout, or until ctx ends. It returns a
// failure only for the timeout and the context; tok.Error is the
// caller's to read.
func (c *Client) wait(ctx context.Context, tok paho.Token, timeout time.Duration, what string) *Failure {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return nil
	case <-t.C:
		return &Failure{Outcome: metrics.Timeout, Msg: what + ": no answer within " + timeout.String()}
	case <-ctx.Done():
		return &Failure{Outcome: metrics.Other, Msg: what + ": interrupted", Err: ctx.Err()}
	}
}

// ready checks that there is a connection to act on.
func (c *Client) ready(what string) *Failure {
	if c.c == nil {
		return &Failure{Outcome: metrics.Other, Msg: what + ": not connected (connect first)"}
	}
	if err := c.lost.Load(); err != nil {
		return c.lostFailure(what, *err)
	}
	return nil
}

// lostFailure is an action on a connection the broker dropped.
func (c *Client) lostFailure(what string, err error) *Failure {
	f := netFailure(what+": the connection to "+c.host+" was lost", err)
	if f.Outcome == metrics.Refused {
		f.Outcome = metrics.Other
	}
	return f
}

// actionFailure sorts the error of a publish, subscribe or unsubscribe
// token.
func (c *Client) actionFailure(what string, err error) *Failure {
	if lost := c.lost.Load(); lost != nil {
		return c.lostFailure(what, *lost)
	}
	if errors.Is(err, paho.ErrNotConnected) {
		return &Failure{Outcome: metrics.Other, Msg: what + ": the connection to " + c.host + " is closed", Err: err}
	}
	return netFailure(what, err)
}

// Publish publishes payload to topic. RT runs until PUBACK (QoS 1) or
// PUBCOMP (QoS 2), or until the message is handed to the connection (QoS
// 0, which has no acknowledgement).
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool, timeout time.Duration, r *Result) {
	r.reset()
	start := time.Now()
	defer func() { r.RT = time.Since(start) }()
	if r.Fail = c.ready("publish"); r.Fail != nil {
		return
	}
	if qos > 2 {
		r.Fail = &Failure{Outcome: metrics.Other, Msg: fmt.Sprintf("publish: QoS %d is not 0, 1 or 2", qos)}
		return
	}
	tok := c.c.Publish(topic, qos, retain, payload)
	if r.Fail = c.wait(ctx, tok, timeout, "publish to "+c.host); r.Fail != nil {
		return
	}
	if err := tok.Error(); err != nil {
		r.Fail = c.actionFailure("publish", err)
		return
	}
	r.Sent = int64(len(payload))
}

// Filter is a topic filter to subscribe to and its QoS.
type Filter struct {
	Topic string
	QoS   byte
}

// Subscribe subscribes to the filters; received messages go to the
// inbox, for Receive. A filter the broker refuses (SUBACK 0x80) is a
// failed check.
func (c *Client) Subscribe(ctx context.Context, filters []Filter, timeout time.Duration, r *Result) {
	r.reset()
	start := time.Now()
	defer func() { r.RT = time.Since(start) }()
	if r.Fail = c.ready("subscribe"); r.Fail != nil {
		return
	}
	m := make(map[string]byte, len(filters))
	for _, f := range filters {
		m[f.Topic] = f.QoS
	}
	tok := c.c.SubscribeMultiple(m, nil)
	if r.Fail = c.wait(ctx, tok, timeout, "subscribe on "+c.host); r.Fail != nil {
		return
	}
	if err := tok.Error(); err != nil {
		r.Fail = c.actionFailure("subscribe", err)
		return
	}
	for topic, granted := range tok.(*paho.SubscribeToken).Result() {
		if granted == 0x80 {
			r.Fail = &Failure{Outcome: metrics.CheckFailed, Msg: fmt.Sprintf("subscribe on %s: the broker refused the filter %q", c.host, topic)}
			return
		}
	}
}

// Unsubscribe removes subscriptions.
func (c *Client) Unsubscribe(ctx context.Context, topics []string, timeout time.Duration, r *Result) {
	r.reset()
	start := time.Now()
	defer func() { r.RT = time.Since(start) }()
	if r.Fail = c.ready("unsubscribe"); r.Fail != nil {
		return
	}
	tok := c.c.Unsubscribe(topics...)
	if r.Fail = c.wait(ctx, tok, timeout, "unsubscribe on "+c.host); r.Fail != nil {
		return
	}
	if err := tok.Error(); err != nil {
		r.Fail = c.actionFailure("unsubscribe", err)
	}
}

// Receive takes messages from the inbox: count of them, or, with until
// set, messages until one for which until returns true (count then
// bounds how many it reads before giving up, 0 for no bound). All of it
// within timeout: a receive that has not finished by then fails as a
// timeout. until sees each message only during the call; an error it
// returns fails the receive in the check bucket.
func (c *Client) Receive(ctx context.Context, count int, until func(*Message) (bool, error), timeout time.Duration, r *Result) {
	r.reset()
	start := time.Now()
	defer func() { r.RT = time.Since(start) }()
	if c.c == nil {
		r.Fail = &Failure{Outcome: metrics.Other, Msg: "receive: not connected (connect first)"}
		return
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if until == nil && count <= 0 {
		count = 1
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	n := 0
	for {
		var in received
		select {
		case in = <-c.inbox:
		case <-c.lostCh:
			// What arrived before the loss is still taken.
			select {
			case in = <-c.inbox:
			default:
				r.Fail = c.lostFailure("receive", *c.lost.Load())
				return
			}
		case <-t.C:
			r.Fail = &Failure{Outcome: metrics.Timeout, Msg: fmt.Sprintf("receive on %s: %s within %v", c.host, c.got(n, count, until != nil), timeout)}
			return
		case <-ctx.Done():
			r.Fail = &Failure{Outcome: metrics.Other, Msg: "receive: interrupted", Err: ctx.Err()}
			return
		}
		c.take(in, r)
		n++
		if until != nil {
			ok, err := until(&r.Last)
			if err != nil {
				r.Fail = &Failure{Outcome: metrics.CheckFailed, Msg: "receive: until: " + err.Error(), Err: err}
				return
			}
			if ok {
				return
			}
			if count > 0 && n >= count {
				r.Fail = &Failure{Outcome: metrics.CheckFailed, Msg: fmt.Sprintf("receive on %s: no message of %d matched until", c.host, n)}
				return
			}
			continue
		}
		if n >= count {
			return
		}
	}
}

// got says what a receive had when it timed out.
func (c *Client) got(n, count int, until bool) string {
	msg := fmt.Sprintf("%d of %d messages", n, count)
	if until {
		msg = fmt.Sprintf("no match among %d messages", n)
	}
	if lost := c.lost.Load(); lost != nil {
		msg += " (the connection was lost: " + (*lost).Error() + ")"
	}
	return msg
}

// take records one received message.
func (c *Client) take(in received, r *Result) {
	p := in.msg.Payload()
	c.buf = append(c.buf[:0], p...)
	q := in.msg.Qos()
	if q > 2 {
		q = 2
	}
	r.Messages[q]++
	r.Recv += int64(len(p))
	r.Last = Message{Topic: in.msg.Topic(), Payload: c.buf, QoS: q, Retained: in.msg.Retained(), At: in.at}
	if sent, ok := stamp.Find(p); ok {
		d := in.at.Sub(sent)
		if r.Stamped == 0 || d < r.LatencyMin {
			r.LatencyMin = d
		}
		r.LatencyMax = max(r.LatencyMax, d)
		r.LatencySum += d
		r.Stamped++
		r.Latencies = append(r.Latencies, d)
	}
}

// Disconnect sends DISCONNECT, waiting up to quiesce for work in flight,
// and drops the connection. The broker does not publish the will.
func (c *Client) Disconnect(quiesce time.Duration) {
	if c.c == nil {
		return
	}
	c.c.Disconnect(uint(quiesce / time.Millisecond))
	c.c = nil
}
