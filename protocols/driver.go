package protocols

import (
	"context"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// Session is one VU's side of a protocol: its connections, kept across
// exchanges, and the buffers it renders requests and reads replies into.
// A session is used by its VU's goroutine only, except Interrupt.
type Session interface {
	// Do renders spec (the protocol's own spec type) against in, runs
	// the exchange and fills res, which it resets first. res's slices
	// and Header stay valid until Release or the next Do.
	Do(spec scenario.Spec, in *Input, res *Result)
	// Release gives back what the last exchange's res points into, so
	// that a VU that thinks or waits holds no response buffers.
	Release()
	// Interrupt cuts the exchange in flight, if any, and fails every
	// later one at once: the run is over. Safe from any goroutine.
	Interrupt()
	// Close closes the session's connections.
	Close()
}

// Input is what a VU lends its sessions for every exchange: set once when
// the VU is made, never copied per request.
type Input struct {
	// Scope holds the VU's variables, which templates render.
	Scope scenario.Scope
	// Funcs are the VU's template functions and their random source.
	Funcs *scenario.FuncEnv
	// Until judges a WebSocket receive's until-expression on a message.
	Until Until
}

// Until judges a receive's until-expression on one message. msg is valid
// only during the call. The error, if any, goes into the report as is, so
// it must not quote variable values or the message.
type Until func(p *scenario.Program, msg []byte) (bool, error)

// Result is one finished exchange, owned by the caller and filled by a
// session. The runner judges Body with the step's checks and
// extractions, whatever the protocol.
type Result struct {
	// Status is the response's status code (HTTP); 0 when the protocol
	// has none or no response arrived.
	Status int
	// Body is the response body (HTTP), the reply read (TCP, UDP) or the
	// last message received (WebSocket).
	Body []byte
	// Header looks up the response's headers; nil when the protocol has
	// none.
	Header Header
	// URL is the final URL, after redirects (HTTP); nil for the others.
	URL []byte
	// RT runs from the start of the exchange to its end, connecting
	// included when it had to connect; End is when it ended, successful
	// or not.
	RT  time.Duration
	End time.Time
	// Connect is the part of RT spent connecting and handshaking; 0 when
	// kept connections served it all.
	Connect    time.Duration
	Sent, Recv int64
	Fail       *Failure // nil on success
	// Extras are the protocol's own measurements of the exchange
	// (Driver.Extras), or nil: a session whose protocol declares extra
	// metrics keeps an Observations and points here at it.
	Extras *metrics.Observations
}

// Reset empties r for the next exchange.
func (r *Result) Reset() { *r = Result{} }

// Header looks up a response header without allocating; nil when it is
// absent.
type Header interface {
	Peek(name string) []byte
}

// Config is what a session is made with.
type Config struct {
	// Ctx ends when every dial and handshake in progress must end: the
	// run's hard stop.
	Ctx context.Context
	// Seed seeds what the session draws (HTTP's multipart boundary).
	Seed uint64
	// Jar is the VU's cookie jar, for the protocols that keep cookies;
	// nil keeps none.
	Jar *Jar
	// Lane, when set, makes the session a lane of that one, the VU's own
	// session of the protocol: it sends the requests of a together: step
	// at the same time as the VU's session and its other lanes. A lane
	// shares what its protocol multiplexes (HTTP/2's connections, whose
	// streams carry the requests at once) and opens connections of its
	// own otherwise (HTTP/1.1's, one request at a time each). While lanes
	// run, the jar is shared (Jar.Share).
	Lane Session
}

// Driver is a protocol's row in the table of drivers.
type Driver struct {
	// New makes a VU's session. The runner makes one per protocol a case
	// uses when it makes the VU, so that the scheduler can interrupt it.
	New func(Config) Session
	// Cookies says its sessions keep cookies in the VU's jar
	// (Config.Jar), which the VU then has unless its case says
	// cookies: false.
	Cookies bool
	// Extras declares the metrics of its own the protocol reports beside
	// the request tables (at most metrics.MaxObservations): a Result's
	// Extras name them by their index in this list.
	Extras []metrics.ExtraInfo
	// Memory is what one session keeps while its VU lives, in bytes of
	// the process's resident memory: its connection's buffers and
	// goroutines and, for a stream, its player's buffers mid-play. The
	// machine check (runner.CheckMachine) counts it for each connection
	// a VU keeps, beside the VU's own. BenchmarkSessionMemory measures
	// the Go memory a session keeps in use, which the benchmark requires
	// to be no more than this: the figures are about twice the measure,
	// as the garbage collector lets the heap grow to twice what is live
	// (GOGC=100), or, where bench/ scripts measure the resident memory
	// of many VUs, on the safe side of what they found.
	Memory int64
}

// Memory per session, from BenchmarkSessionMemory and the bench/ scripts
// (docs/language.md's Caps lists the figures).
const (
	// bench/vus.sh: 12.3 KiB per VU keeping one HTTP connection;
	// bench/ws.sh: 15.0 KiB with a WebSocket; the VU's own 16 KiB and
	// this cover either.
	connMemory = 4 << 10
	// net/http's HTTP/2 connection: framer buffers and the read loop's
	// goroutine.
	h2Memory = 64 << 10
	// bench/stream.sh: 129 KiB per HLS viewer (segments are buffered
	// whole) and 77 KiB per HTTP-FLV viewer, VU included.
	hlsMemory = 128 << 10
	flvMemory = 64 << 10
	// gortmplib's chunk reader and writer, player or publisher.
	rtmpMemory = 64 << 10
	// paho's client: its goroutines, channels and buffers.
	mqttMemory = 160 << 10
)

// drivers is every protocol perfcase can run. A new protocol is its spec
// in package scenario, a driver file here, and a row in this table.
var drivers = [scenario.NumProtocols]Driver{
	scenario.HTTP:      {New: session(newHTTP), Cookies: true, Memory: connMemory},
	scenario.HTTP2:     {New: session(newHTTP2), Cookies: true, Memory: h2Memory},
	scenario.TCP:       {New: session(newTCP), Memory: connMemory},
	scenario.UDP:       {New: session(newUDP), Memory: connMemory},
	scenario.WebSocket: {New: session(newWS), Memory: connMemory},
	scenario.HLS:       {New: session(newStream(scenario.HLS)), Extras: streamExtras(scenario.HLS), Memory: hlsMemory},
	scenario.FLV:       {New: session(newStream(scenario.FLV)), Extras: streamExtras(scenario.FLV), Memory: flvMemory},
	scenario.RTMP:      {New: session(newStream(scenario.RTMP)), Extras: streamExtras(scenario.RTMP), Memory: rtmpMemory},
	scenario.MQTT:      {New: session(newMQTT), Extras: mqttExtras, Memory: mqttMemory},
}

// session adapts a constructor of a concrete session to the table.
func session[S Session](f func(Config) S) func(Config) Session {
	return func(c Config) Session { return f(c) }
}

// For is the driver of protocol p; ok is false when perfcase has none.
func For(p scenario.Protocol) (d Driver, ok bool) {
	if p >= scenario.NumProtocols {
		return Driver{}, false
	}
	d = drivers[p]
	return d, d.New != nil
}
