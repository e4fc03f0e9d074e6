package stream

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/handshake"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/stream/flv"
)

// RTMP message types and chunk streams (RTMP 1.0 §5.4, §7.1), and the
// user control events a client must answer or sends.
const (
	msgSetChunkSize     = 1
	msgAcknowledge      = 3
	msgUserControl      = 4
	msgSetWindowAckSize = 5
	msgCommandAMF0      = 20

	csControl = 2
	csCommand = 3
	csAudio   = 4
	csStream  = 8 // play and publish go on their own chunk stream, as ffmpeg sends them
	csVideo   = 6

	eventSetBufferLength = 3
	eventPingRequest     = 6
	eventPingResponse    = 7

	// chunkSize is the chunk size the client sends with: large, so that a
	// video frame goes out in one chunk.
	chunkSize = 65536
	// bufferLength is the play buffer the client announces, in ms.
	bufferLength = 3000
)

// RTMPClient is one VU's RTMP player and publisher: a new connection per
// play or publish, as a viewer or an encoder makes one. The handshake,
// chunking and AMF0 are github.com/bluenviron/gortmplib's; the command
// sequence is here, so that each step's failure is told apart (tcp
// connect, handshake, connect, createStream, play or publish). It is not
// safe for concurrent use.
type RTMPClient struct {
	m meter
	// dial replaces the network for tests on a fake clock; nil dials TCP.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// rtmpSession is one connection in progress.
type rtmpSession struct {
	nc   net.Conn
	bc   *bytecounter.ReadWriter
	r    *rawmessage.Reader
	w    *rawmessage.Writer
	host string
	sid  uint32 // the message stream createStream gave
	// stop unregisters the closing of the connection when the context
	// ends, which cuts whatever the session is waiting for.
	stop func() bool
	// ack is an acknowledgement the reader owes the server, sent by the
	// goroutine that writes (a publish reads on a goroutine of its own).
	ack atomic.Uint32
}

// rtmpURL splits rtmp://host[:port]/app/stream[?query] into the address,
// the tcUrl, the app and the stream name (the query stays with the name,
// where servers read tokens from).
func rtmpURL(raw string) (addr, tcURL, app, name, host string, f *Failure) {
	u, err := url.Parse(raw)
	bad := fixed(IllegalURLFailed, metrics.Other, "the URL is not rtmp://host[:port]/app/stream", err)
	if err != nil || u.Scheme != "rtmp" || u.Host == "" || u.User != nil {
		return "", "", "", "", "", bad
	}
	app, name, _ = strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if app == "" || name == "" {
		return "", "", "", "", "", bad
	}
	if u.RawQuery != "" {
		name += "?" + u.RawQuery
	}
	addr = u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "1935")
	}
	return addr, "rtmp://" + u.Host + "/" + app, app, name, u.Host, nil
}

// open dials, handshakes, connects and creates a stream: everything a
// play and a publish share.
func (c *RTMPClient) open(ctx context.Context, o *Options, publish bool, end time.Time) (*rtmpSession, string, *Failure) {
	c.m.start(end, o.timeout())
	addr, tcURL, app, name, host, f := rtmpURL(o.URL)
	if f != nil {
		return nil, "", f
	}
	dctx, cancel := context.WithTimeout(ctx, o.connectTimeout())
	defer cancel()
	dial := (&net.Dialer{}).DialContext
	if c.dial != nil {
		dial = c.dial
	}
	nc, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, "", netFailure(TCPConnectFailed, "connect to "+host, err, false)
	}
	s := &rtmpSession{host: host, stop: context.AfterFunc(ctx, func() { nc.Close() })}
	s.nc = &meteredConn{Conn: nc, m: &c.m}
	s.bc = bytecounter.NewReadWriter(s.nc)
	if _, _, err := handshake.DoClient(s.bc, false, false); err != nil {
		s.close()
		return nil, "", netFailure(HandshakeFailed, "RTMP handshake with "+host, err, false)
	}
	s.r = rawmessage.NewReader(s.bc, s.bc.Reader, func(n uint32) error {
		s.ack.Store(n)
		return nil
	})
	s.w = rawmessage.NewWriter(s.bc, s.bc.Writer, false)
	cmd := amf0.Object{
		{Key: "app", Value: app},
		{Key: "flashVer", Value: "LNX 9,0,124,2"},
		{Key: "tcUrl", Value: tcURL},
	}
	if publish {
		cmd = append(cmd, amf0.ObjectEntry{Key: "type", Value: "nonprivate"})
	} else {
		cmd = append(cmd,
			amf0.ObjectEntry{Key: "fpad", Value: false},
			amf0.ObjectEntry{Key: "capabilities", Value: float64(15)},
			amf0.ObjectEntry{Key: "audioCodecs", Value: float64(0x0fff)},
			amf0.ObjectEntry{Key: "videoCodecs", Value: float64(0x00ff)},
			amf0.ObjectEntry{Key: "videoFunction", Value: float64(1)},
		)
	}
	err = s.control(msgSetChunkSize, chunkSize)
	if err == nil {
		s.w.SetChunkSize(chunkSize)
		err = s.command(0, "connect", 1, cmd)
	}
	if err != nil {
		s.close()
		return nil, "", netFailure(RTMPConnectFailed, "RTMP connect to "+host, err, false)
	}
	if f := s.result(1, RTMPConnectFailed, "connect"); f != nil {
		s.close()
		return nil, "", f
	}
	id := 2
	if publish {
		// What encoders send before createStream; servers answer
		// releaseStream and FCPublish or ignore them.
		err = s.command(0, "releaseStream", 2, nil, name)
		if err == nil {
			err = s.command(0, "FCPublish", 3, nil, name)
		}
		id = 4
	}
	if err == nil {
		err = s.command(0, "createStream", id, nil)
	}
	if err != nil {
		s.close()
		return nil, "", netFailure(CreateStreamFailed, "RTMP createStream on "+host, err, false)
	}
	if f := s.result(id, CreateStreamFailed, "createStream"); f != nil {
		s.close()
		return nil, "", f
	}
	return s, name, nil
}

// close closes the connection.
func (s *rtmpSession) close() {
	s.stop()
	s.nc.Close()
}

// command sends an AMF0 command on message stream sid.
func (s *rtmpSession) command(sid uint32, name string, id int, args ...any) error {
	body, err := append(amf0.Data{name, float64(id)}, args...).Marshal()
	if err != nil {
		return err
	}
	cs := byte(csCommand)
	if sid != 0 {
		cs = csStream
	}
	return s.w.Write(&rawmessage.Message{ChunkStreamID: cs, Type: msgCommandAMF0, MessageStreamID: sid, Body: body})
}

// control sends a protocol control message with a 4-byte value.
func (s *rtmpSession) control(typ uint8, v uint32) error {
	body := binary.BigEndian.AppendUint32(make([]byte, 0, 4), v)
	return s.w.Write(&rawmessage.Message{ChunkStreamID: csControl, Type: typ, Body: body})
}

// userControl sends a user control event.
func (s *rtmpSession) userControl(event uint16, vs ...uint32) error {
	body := binary.BigEndian.AppendUint16(make([]byte, 0, 10), event)
	for _, v := range vs {
		body = binary.BigEndian.AppendUint32(body, v)
	}
	return s.w.Write(&rawmessage.Message{ChunkStreamID: csControl, Type: msgUserControl, Body: body})
}

// read reads the next message, answering the control messages the
// server sends on the way (chunk size, window, pings), and sending an
// acknowledgement that is due.
func (s *rtmpSession) read() (*rawmessage.Message, error) {
	for {
		if n := s.ack.Swap(0); n != 0 {
			if err := s.control(msgAcknowledge, n); err != nil {
				return nil, err
			}
		}
		m, err := s.r.Read()
		if err != nil {
			return nil, err
		}
		switch m.Type {
		case msgSetChunkSize:
			if len(m.Body) >= 4 {
				if err := s.r.SetChunkSize(binary.BigEndian.Uint32(m.Body) & 0x7fffffff); err != nil {
					return nil, err
				}
			}
			continue
		case msgSetWindowAckSize:
			if len(m.Body) >= 4 {
				s.r.SetWindowAckSize(binary.BigEndian.Uint32(m.Body))
			}
			continue
		case msgUserControl:
			if len(m.Body) >= 6 && binary.BigEndian.Uint16(m.Body) == eventPingRequest {
				if err := s.userControl(eventPingResponse, binary.BigEndian.Uint32(m.Body[2:])); err != nil {
					return nil, err
				}
			}
			continue
		}
		return m, nil
	}
}

// result waits for the answer to command id: _result, or _error, which is
// the server refusing.
func (s *rtmpSession) result(id int, c Cause, what string) *Failure {
	for {
		m, err := s.read()
		if err != nil {
			return netFailure(c, "RTMP "+what+" on "+s.host, err, false)
		}
		if m.Type != msgCommandAMF0 {
			continue
		}
		d, err := amf0.Unmarshal(m.Body)
		if err != nil || len(d) < 2 {
			continue
		}
		name, _ := d[0].(string)
		n, _ := d[1].(float64)
		if int(n) != id || (name != "_result" && name != "_error") {
			continue
		}
		if name == "_error" {
			return refused(c, "RTMP "+what+" on "+s.host+": refused"+statusCode(d))
		}
		if id > 1 && len(d) > 3 {
			// createStream's result: the new message stream's id.
			if sid, ok := d[3].(float64); ok {
				s.sid = uint32(sid)
			}
		}
		return nil
	}
}

// onStatus reads an onStatus command: its level and code.
func onStatus(m *rawmessage.Message) (level, code string, ok bool) {
	if m.Type != msgCommandAMF0 {
		return "", "", false
	}
	d, err := amf0.Unmarshal(m.Body)
	if err != nil || len(d) < 4 {
		return "", "", false
	}
	if name, _ := d[0].(string); name != "onStatus" {
		return "", "", false
	}
	info, ok := d[3].(amf0.Object)
	if !ok {
		return "", "", false
	}
	level, _ = info.GetString("level")
	code, _ = info.GetString("code")
	return level, code, true
}

// statusCode quotes the code or description of an _error's information
// object, which says why (NetConnection.Connect.Rejected...).
func statusCode(d amf0.Data) string {
	for _, a := range d[2:] {
		if o, ok := a.(amf0.Object); ok {
			if code, ok := o.GetString("code"); ok {
				return " (" + code + ")"
			}
		}
	}
	return ""
}

// Play plays an RTMP stream for o.Duration and fills st: handshake,
// connect, createStream, play, then audio and video until the duration
// ends. It fails when a step is refused or breaks, when the server ends
// the stream (NetStream.Play.Stop, UnpublishNotify does not end it) or
// closes the connection early, or when it is silent for the timeout.
func (c *RTMPClient) Play(ctx context.Context, o *Options, st *Stats) {
	*st = Stats{Start: time.Now()}
	end := st.Start.Add(o.Duration)
	var s *rtmpSession
	defer func() { c.finish(ctx, s, st, end) }()
	s, name, f := c.open(ctx, o, false, end)
	if f != nil {
		st.Fail = f
		return
	}
	err := s.command(s.sid, "play", 3, nil, name, float64(-2000))
	if err == nil {
		err = s.userControl(eventSetBufferLength, s.sid, bufferLength)
	}
	if err != nil {
		st.Fail = netFailure(PlayFailed, "RTMP play on "+s.host, err, false)
		return
	}
	var lastMedia, lastKey time.Time
	stall := o.stallAfter()
	var tag flv.Tag
	for {
		m, err := s.read()
		now := time.Now()
		if err != nil {
			if lastMedia.IsZero() || now.Before(end) {
				st.Fail = c.playFailure(s, err, end, PlayFailed)
				return
			}
			st.gap(end.Sub(lastMedia), stall)
			return
		}
		switch m.Type {
		case flv.TypeAudio, flv.TypeVideo:
		case msgCommandAMF0:
			level, code, ok := onStatus(m)
			switch {
			case !ok:
			case level == "error":
				st.Fail = refused(PlayFailed, "RTMP play on "+s.host+": "+code)
				return
			case code == "NetStream.Play.Start" && st.Ready == 0:
				st.Ready = now.Sub(st.Start)
			case code == "NetStream.Play.Stop" || code == "NetStream.Play.Complete":
				st.Fail = refused(PlayFailed, "RTMP play on "+s.host+": the server ended the stream ("+code+")")
				return
			}
			continue
		default:
			continue
		}
		if lastMedia.IsZero() {
			st.Startup, lastKey = now.Sub(st.Start), st.Start
		} else {
			st.gap(now.Sub(lastMedia), stall)
		}
		lastMedia = now
		tag = flv.Tag{Type: m.Type, Data: m.Body}
		if m.Type == flv.TypeAudio {
			st.AudioPackets++
			st.AudioBytes += int64(len(m.Body))
		} else {
			st.VideoPackets++
			st.VideoBytes += int64(len(m.Body))
			if tag.KeyFrame() {
				st.keyFrame(now, &lastKey)
			}
		}
	}
}

// playFailure sorts an error that ended a play or publish.
func (c *RTMPClient) playFailure(s *rtmpSession, err error, end time.Time, cause Cause) *Failure {
	what := "RTMP play on "
	if cause == PublishFailed {
		what = "RTMP publish on "
	}
	switch {
	case !time.Now().Before(end):
		return fixed(cause, metrics.Timeout, what+s.host+": no media within the duration", err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fixed(cause, metrics.Other, what+s.host+": the server closed the connection", err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fixed(cause, metrics.Timeout, what+s.host+": no data for "+time.Duration(c.m.timeout.Load()).String(), err)
	}
	return netFailure(cause, what+s.host, err, false)
}

// finish closes the session and completes st.
func (c *RTMPClient) finish(ctx context.Context, s *rtmpSession, st *Stats, end time.Time) {
	if s != nil {
		s.close()
	}
	c.m.finish(ctx, st, end)
}

// Publish publishes file to an RTMP stream for o.Duration and fills st
// (Publish set): handshake, connect, releaseStream, FCPublish,
// createStream, publish, then the file's audio and video tags, each sent
// when its timestamp falls due, the file looped to fill the duration with
// timestamps that keep rising. Script tags (onMetaData) and video ends of
// sequence are not sent. It
// fails when a step is refused or breaks, when the server sends an error
// status, or when a write waits longer than the timeout.
func (c *RTMPClient) Publish(ctx context.Context, o *Options, file *flv.File, st *Stats) {
	*st = Stats{Start: time.Now(), Publish: true}
	end := st.Start.Add(o.Duration)
	var s *rtmpSession
	defer func() { c.finish(ctx, s, st, end) }()
	s, name, f := c.open(ctx, o, true, end)
	if f != nil {
		st.Fail = f
		return
	}
	if err := s.command(s.sid, "publish", 5, nil, name, "live"); err != nil {
		st.Fail = netFailure(PublishFailed, "RTMP publish on "+s.host, err, false)
		return
	}
	for {
		m, err := s.read()
		if err != nil {
			st.Fail = c.playFailure(s, err, end, PublishFailed)
			return
		}
		level, code, ok := onStatus(m)
		if !ok {
			continue
		}
		if level == "error" {
			st.Fail = refused(PublishFailed, "RTMP publish on "+s.host+": "+code)
			return
		}
		if code == "NetStream.Publish.Start" {
			break
		}
	}
	st.Ready = time.Since(st.Start)
	// From here the server has little to say; a goroutine reads it, so
	// that an error status or a closed connection ends the publish. Its
	// reads wait until the end, not the timeout: silence is normal here.
	var srvErr atomic.Pointer[Failure]
	var ping atomic.Int64 // a ping's timestamp + 1, to answer
	c.m.quietReads.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			m, err := s.r.Read()
			if err != nil {
				if time.Now().Before(end) && ctx.Err() == nil {
					srvErr.CompareAndSwap(nil, c.playFailure(s, err, end, PublishFailed))
				}
				return
			}
			switch {
			case m.Type == msgUserControl && len(m.Body) >= 6 && binary.BigEndian.Uint16(m.Body) == eventPingRequest:
				ping.Store(int64(binary.BigEndian.Uint32(m.Body[2:])) + 1)
			case m.Type == msgSetWindowAckSize && len(m.Body) >= 4:
				s.r.SetWindowAckSize(binary.BigEndian.Uint32(m.Body))
			case m.Type == msgSetChunkSize && len(m.Body) >= 4:
				if s.r.SetChunkSize(binary.BigEndian.Uint32(m.Body)&0x7fffffff) != nil {
					return
				}
			case m.Type == msgCommandAMF0:
				if level, code, ok := onStatus(m); ok && level == "error" {
					srvErr.CompareAndSwap(nil, refused(PublishFailed, "RTMP publish on "+s.host+": "+code))
				}
			}
		}
	}()
	defer func() {
		s.close()
		<-done
	}()
	st.Fail = c.send(ctx, s, file, st, end, &srvErr, &ping)
}

// send writes the file's media tags at their timestamps' pace until end.
func (c *RTMPClient) send(ctx context.Context, s *rtmpSession, file *flv.File, st *Stats, end time.Time,
	srvErr *atomic.Pointer[Failure], ping *atomic.Int64) *Failure {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var base uint32 // the timestamp the current pass over the file starts at
	first := uint32(0)
	for _, t := range file.Tags {
		if t.Type != flv.TypeScript {
			first = t.Timestamp
			break
		}
	}
	start := time.Now()
	lastKey := st.Start
	msg := rawmessage.Message{MessageStreamID: s.sid}
	for {
		for i := range file.Tags {
			t := &file.Tags[i]
			// An end of sequence would end the stream for the players
			// before the file loops.
			if t.Type == flv.TypeScript || t.Timestamp < first || t.SequenceEnd() {
				continue
			}
			ts := base + t.Timestamp - first
			due := start.Add(time.Duration(ts) * time.Millisecond)
			if !due.Before(end) {
				// The stream stays up to the end, like a play.
				if d := time.Until(end); d > 0 {
					timer.Reset(d)
					select {
					case <-timer.C:
					case <-ctx.Done():
					}
				}
				return nil
			}
			if d := time.Until(due); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return nil
				}
			}
			if f := srvErr.Load(); f != nil {
				return f
			}
			if p := ping.Swap(0); p != 0 {
				if err := s.userControl(eventPingResponse, uint32(p-1)); err != nil {
					return c.writeFailure(s, err, end)
				}
			}
			if n := s.ack.Swap(0); n != 0 {
				if err := s.control(msgAcknowledge, n); err != nil {
					return c.writeFailure(s, err, end)
				}
			}
			msg.Type, msg.Timestamp, msg.Body = t.Type, time.Duration(ts)*time.Millisecond, t.Data
			msg.ChunkStreamID = csVideo
			if t.Type == flv.TypeAudio {
				msg.ChunkStreamID = csAudio
			}
			err := s.w.Write(&msg)
			if err != nil {
				return c.writeFailure(s, err, end)
			}
			now := time.Now()
			if st.Startup == 0 {
				st.Startup = now.Sub(st.Start)
			}
			if t.Type == flv.TypeAudio {
				st.AudioPackets++
				st.AudioBytes += int64(len(t.Data))
			} else {
				st.VideoPackets++
				st.VideoBytes += int64(len(t.Data))
				if t.KeyFrame() {
					st.keyFrame(now, &lastKey)
				}
			}
		}
		base += file.Duration
	}
}

func (c *RTMPClient) writeFailure(s *rtmpSession, err error, end time.Time) *Failure {
	if !time.Now().Before(end) {
		return nil
	}
	return c.playFailure(s, fmt.Errorf("send: %w", err), end, PublishFailed)
}
