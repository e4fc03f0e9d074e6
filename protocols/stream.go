package protocols

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/stream"
	"github.com/perfcase/perfcase/scenario"
)

// The streaming drivers: an hls:, flv: or rtmp: step is one play (or RTMP
// publish) of a stream for its duration, one sample in the request
// tables, with what the play measured (package stream's Stats) reported
// as extra metrics. docs/streaming.md defines each measurement.

// Extra metrics of a streaming protocol, by index in its declared list.
// Each is declared under the protocol's step key and these names, e.g.
// "hls_plays", "rtmp_sent_video_bytes"; the causes of failure go by their
// streamingMediaVo field, e.g. "flv_illegalFlvHeaderFailed". Times are in
// nanoseconds.
const (
	xPlays            = iota // plays and publishes that ended
	xFailed                  // of them, those that failed
	xStartup                 // distribution: the time to the first media
	xFirstKeyFrame           // distribution: each play's first key-frame delay
	xRecvAudioPackets        // received (plays)
	xRecvVideoPackets
	xRecvAudioBytes
	xRecvVideoBytes
	xRecvKeyFrames    // distribution: the delays of the key frames received
	xSentAudioPackets // sent (publishes)
	xSentVideoPackets
	xSentAudioBytes
	xSentVideoBytes
	xSentKeyFrames // distribution: the delays of the key frames sent
	xStalls
	xStallTime
	xSegments       // HLS
	xSegmentTime    // HLS
	xCauses         // the first cause; NoCause is not counted, so cause c is xCauses+c-1
	numStreamExtras = xCauses + int(stream.NumCauses) - 1
)

// streamExtraNames name the extra metrics before the causes.
var streamExtraNames = [xCauses]struct {
	name string
	kind metrics.ExtraKind
	unit metrics.Unit
}{
	{"plays", metrics.Counter, metrics.UnitCount},
	{"failed", metrics.Counter, metrics.UnitCount},
	{"startup", metrics.Distribution, metrics.UnitDuration},
	{"first_key_frame", metrics.Distribution, metrics.UnitDuration},
	{"recv_audio_packets", metrics.Counter, metrics.UnitCount},
	{"recv_video_packets", metrics.Counter, metrics.UnitCount},
	{"recv_audio_bytes", metrics.Counter, metrics.UnitBytes},
	{"recv_video_bytes", metrics.Counter, metrics.UnitBytes},
	{"recv_key_frames", metrics.Distribution, metrics.UnitDuration},
	{"sent_audio_packets", metrics.Counter, metrics.UnitCount},
	{"sent_video_packets", metrics.Counter, metrics.UnitCount},
	{"sent_audio_bytes", metrics.Counter, metrics.UnitBytes},
	{"sent_video_bytes", metrics.Counter, metrics.UnitBytes},
	{"sent_key_frames", metrics.Distribution, metrics.UnitDuration},
	{"stalls", metrics.Counter, metrics.UnitCount},
	{"stall_time", metrics.Counter, metrics.UnitDuration},
	{"segments", metrics.Counter, metrics.UnitCount},
	{"segment_time", metrics.Counter, metrics.UnitDuration},
}

// streamExtras declares a streaming protocol's extra metrics.
func streamExtras(p scenario.Protocol) []metrics.ExtraInfo {
	out := make([]metrics.ExtraInfo, 0, numStreamExtras)
	for _, x := range streamExtraNames {
		out = append(out, metrics.ExtraInfo{Name: p.String() + "_" + x.name, Kind: x.kind, Unit: x.unit})
	}
	for c := stream.Cause(1); c < stream.NumCauses; c++ {
		out = append(out, metrics.ExtraInfo{Name: p.String() + "_" + c.String(), Kind: metrics.Counter, Unit: metrics.UnitCount})
	}
	return out
}

// streamSession is one VU's viewer (or publisher) of one streaming
// protocol. Its players keep their connections and buffers between plays.
// It is not safe for concurrent use, except Interrupt.
type streamSession struct {
	proto scenario.Protocol
	// ctx ends at the run's hard stop or at Interrupt, and cuts the play
	// in flight.
	ctx    context.Context
	cancel context.CancelFunc
	hls    stream.HLSPlayer
	flv    stream.FLVPlayer
	rtmp   stream.RTMPClient
	opts   stream.HLSOptions // the play's options; the HLS ones unused by the others
	url    []byte
	st     stream.Stats
	obs    metrics.Observations
	cut    atomic.Bool
}

func newStream(p scenario.Protocol) func(Config) *streamSession {
	return func(cfg Config) *streamSession {
		s := &streamSession{proto: p}
		s.ctx, s.cancel = context.WithCancel(cfg.Ctx)
		return s
	}
}

// variants maps a step's variant to the HLS player's choice.
var variants = [...]stream.Bitrate{
	scenario.VariantFirst:   stream.BitrateFirst,
	scenario.VariantHighest: stream.BitrateHighest,
	scenario.VariantLowest:  stream.BitrateLowest,
}

// Do renders a *scenario.StreamSpec's URL and plays (or publishes) it for
// the step's duration. r.RT is the play's length, r.Sent and r.Recv every
// byte it sent and received, framing included; r.Extras what the play
// measured. A play the run's hard stop cut fails as interrupted, which
// the runner does not count.
func (s *streamSession) Do(sp scenario.Spec, in *Input, r *Result) {
	spec := sp.(*scenario.StreamSpec)
	r.Reset()
	s.obs.Reset()
	r.Extras = &s.obs
	start := time.Now()
	if s.cut.Load() {
		r.Fail, r.End = interrupted(), start
		return
	}
	s.url = spec.URL.Append(s.url[:0], in.Scope, in.Funcs)
	if err := in.Funcs.Err(); err != nil {
		s.count(stream.IllegalURLFailed, true)
		r.Fail = &Failure{Outcome: metrics.Other, Msg: "render url: " + err.Error(), Err: err}
		r.End = time.Now()
		r.RT = r.End.Sub(start)
		return
	}
	o := &s.opts
	*o = stream.HLSOptions{
		Options: stream.Options{URL: string(s.url), Duration: spec.Duration, ConnectTimeout: spec.ConnectTimeout, Timeout: spec.Timeout,
			StallAfter: spec.StallAfter, TLSVerify: spec.TLSVerify},
		Bitrate: variants[spec.Variant], RetryDelay: spec.RetryDelay, RetryTime: spec.Retries,
	}
	st := &s.st
	switch {
	case s.proto == scenario.HLS:
		s.hls.Play(s.ctx, o, st)
	case s.proto == scenario.FLV:
		s.flv.Play(s.ctx, &o.Options, st)
	case spec.Publish != nil:
		s.rtmp.Publish(s.ctx, &o.Options, spec.Publish, st)
	default:
		s.rtmp.Play(s.ctx, &o.Options, st)
	}
	r.End, r.RT, r.Sent, r.Recv = st.End, st.End.Sub(st.Start), st.Sent, st.Recv
	if st.Cut || s.cut.Load() {
		r.Fail = interrupted()
		return
	}
	s.observe(st)
	if f := st.Fail; f != nil {
		r.Fail = &Failure{Outcome: f.Outcome, Msg: f.Msg, Err: f.Err}
	}
}

// count records one ended play, failed with cause c when failed is set.
func (s *streamSession) count(c stream.Cause, failed bool) {
	s.obs.Add(xPlays, 1)
	if failed {
		s.obs.Add(xFailed, 1)
		s.obs.Add(xCauses+int(c)-1, 1)
	}
}

// observe reports what a play that ended measured.
func (s *streamSession) observe(st *stream.Stats) {
	o := &s.obs
	if st.Fail != nil {
		c := st.Fail.Cause
		if c == stream.NoCause || c >= stream.NumCauses {
			c = stream.UnknownFailed
		}
		s.count(c, true)
	} else {
		s.count(stream.NoCause, false)
	}
	if st.Startup > 0 {
		o.Add(xStartup, int64(st.Startup))
	}
	counter := func(metric int, v int64) {
		if v != 0 {
			o.Add(metric, v)
		}
	}
	audioP, videoP, audioB, videoB, keys := xRecvAudioPackets, xRecvVideoPackets, xRecvAudioBytes, xRecvVideoBytes, xRecvKeyFrames
	if st.Publish {
		audioP, videoP, audioB, videoB, keys = xSentAudioPackets, xSentVideoPackets, xSentAudioBytes, xSentVideoBytes, xSentKeyFrames
	}
	counter(audioP, st.AudioPackets)
	counter(videoP, st.VideoPackets)
	counter(audioB, st.AudioBytes)
	counter(videoB, st.VideoBytes)
	if st.KeyFrames > 0 {
		o.AddMany(keys, st.KeyFrames, int64(st.KeyFrameDelaySum), int64(st.KeyFrameDelayMin), int64(st.KeyFrameDelayMax))
		if !st.Publish {
			o.Add(xFirstKeyFrame, int64(st.FirstKeyFrame))
		}
	}
	counter(xStalls, st.Stalls)
	counter(xStallTime, int64(st.StallTime))
	counter(xSegments, st.Segments)
	counter(xSegmentTime, int64(st.SegmentTime))
}

// Release does nothing: a play keeps no response for the VU to judge.
func (s *streamSession) Release() {}

// Interrupt cuts the play in flight and fails every later one at once.
func (s *streamSession) Interrupt() {
	s.cut.Store(true)
	s.cancel()
}

// Close drops the players' kept connections.
func (s *streamSession) Close() {
	s.hls.Close()
	s.flv.Close()
	s.cancel()
}
