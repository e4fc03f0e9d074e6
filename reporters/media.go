package reporters

import (
	"fmt"
	"strings"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
)

// The report's streaming and MQTT figures, made from the extra metrics
// the drivers declare (package protocols): each streaming protocol under
// its step key ("hls_plays", "rtmp_sent_video_bytes", "flv_playFailed"),
// MQTT under "mqtt_". A case's streaming figures add its HLS, HTTP-FLV
// and RTMP steps up. docs/streaming.md and docs/report-json.md define
// them.

// streamProtocols are the step keys the streaming extras are named by.
var streamProtocols = []string{"hls", "flv", "rtmp"}

// streamCauses are the failure causes, as streamingMediaVo names them.
var streamCauses = []string{"tcpConnectFailed", "handShakeFailed", "rtmpConnectFailed", "createStreamFailed", "playFailed",
	"publishFailed", "retryFailed", "parseFileFailed", "illegalUrlFailed", "illegalFlvHeaderFailed", "httpTimeoutFailed",
	"parseFlvFileFailed", "unknownFailed"}

// streamErrorCauses are the causes table 4-251 has a per-second series
// of, in its order.
var streamErrorCauses = [...]string{"createStreamFailed", "handShakeFailed", "parseFileFailed", "parseFlvFileFailed", "playFailed",
	"publishFailed", "retryFailed", "rtmpConnectFailed", "tcpConnectFailed"}

// streams reports whether the case has a streaming step: whether its
// protocols declared the streaming extras.
func streams(cs *metrics.CaseStats) bool {
	for _, p := range streamProtocols {
		if cs.Extra(p+"_plays") != nil {
			return true
		}
	}
	return false
}

// dist is an extra metric over the case's streaming protocols: its
// values' count, sum, least and greatest (a counter's sum only).
type dist struct{ n, sum, lo, hi int64 }

func streamExtra(cs *metrics.CaseStats, name string) dist {
	var d dist
	for _, p := range streamProtocols {
		x := cs.Extra(p + "_" + name)
		if x == nil || x.N == 0 {
			continue
		}
		if x.Kind != metrics.Counter {
			if d.n == 0 || x.Min < d.lo {
				d.lo = x.Min
			}
			d.hi = max(d.hi, x.Max)
		}
		d.n += x.N
		d.sum += x.Sum
	}
	return d
}

// durMS is ns in ms, to the microsecond.
func durMS(ns int64) *float64 { return ms(time.Duration(ns)) }

// avgMS, minMS and maxMS are a distribution of durations in ms; null with
// no value.
func (d dist) avgMS() *float64 {
	if d.n == 0 {
		return nil
	}
	return durMS(d.sum / d.n)
}

func (d dist) minMS() *float64 {
	if d.n == 0 {
		return nil
	}
	return durMS(d.lo)
}

func (d dist) maxMS() *float64 {
	if d.n == 0 {
		return nil
	}
	return durMS(d.hi)
}

// streamingVo fills table 4-260 for a case that streams; nil for one
// that does not.
func streamingVo(cs *metrics.CaseStats, secs float64) *perftest.StreamingMediaReport {
	if !streams(cs) {
		return nil
	}
	c := func(name string) *float64 { return count(streamExtra(cs, name).sum) }
	plays, failed := streamExtra(cs, "plays").sum, streamExtra(cs, "failed").sum
	recvPackets := streamExtra(cs, "recv_audio_packets").sum + streamExtra(cs, "recv_video_packets").sum
	sentPackets := streamExtra(cs, "sent_audio_packets").sum + streamExtra(cs, "sent_video_packets").sum
	recvKeys, sentKeys := streamExtra(cs, "recv_key_frames"), streamExtra(cs, "sent_key_frames")
	vo := &perftest.StreamingMediaReport{
		StreamingPlayTimes:       &plays,
		StreamingErrorTimes:      &failed,
		StreamingSuccessRate:     ratio(100*float64(plays-failed), float64(plays), 2),
		SentPacketsPerSecond:     ratio(float64(sentPackets), secs, 2),
		ReceivedPacketsPerSecond: ratio(float64(recvPackets), secs, 2),
		RecvPackets:              count(recvPackets),
		SendPackets:              count(sentPackets),
		AudioSentBytes:           c("sent_audio_bytes"),
		AudioRecBytes:            c("recv_audio_bytes"),
		VideoSentBytes:           c("sent_video_bytes"),
		VideoRecBytes:            c("recv_video_bytes"),
		SumRecvKeyFrameDelay:     durMS(recvKeys.sum),
		AvgRecvKeyFrameDelay:     recvKeys.avgMS(),
		MinRecvKeyFrameDelay:     recvKeys.minMS(),
		MaxRecvKeyFrameDelay:     recvKeys.maxMS(),
		SumSendKeyFrameDelay:     durMS(sentKeys.sum),
		AvgSendKeyFrameDelay:     sentKeys.avgMS(),
		MinSendKeyFrameDelay:     sentKeys.minMS(),
		MaxSendKeyFrameDelay:     sentKeys.maxMS(),
		KeyFrameSendCnt:          count(sentKeys.n),
		KeyFrameReceiveCnt:       count(recvKeys.n),
	}
	for _, f := range []struct {
		field **float64
		cause string
	}{
		{&vo.TCPConnectFailed, "tcpConnectFailed"}, {&vo.HandShakeFailed, "handShakeFailed"}, {&vo.RTMPConnectFailed, "rtmpConnectFailed"},
		{&vo.CreateStreamFailed, "createStreamFailed"}, {&vo.PlayFailed, "playFailed"}, {&vo.PublishFailed, "publishFailed"},
		{&vo.RetryFailed, "retryFailed"}, {&vo.ParseFileFailed, "parseFileFailed"}, {&vo.IllegalURLFailed, "illegalUrlFailed"},
		{&vo.IllegalFlvHeaderFailed, "illegalFlvHeaderFailed"}, {&vo.HTTPTimeoutFailed, "httpTimeoutFailed"},
		{&vo.ParseFlvFileFailed, "parseFlvFileFailed"}, {&vo.UnknownFailed, "unknownFailed"},
	} {
		*f.field = c(f.cause)
	}
	return vo
}

// perfcaseStreaming is what a case's plays measured beyond 4-260; nil
// for a case that does not stream.
func perfcaseStreaming(cs *metrics.CaseStats) *output.PerfcaseStreaming {
	if !streams(cs) {
		return nil
	}
	startup, first := streamExtra(cs, "startup"), streamExtra(cs, "first_key_frame")
	segs, segTime := streamExtra(cs, "segments").sum, streamExtra(cs, "segment_time").sum
	s := &output.PerfcaseStreaming{
		Plays: streamExtra(cs, "plays").sum, Failed: streamExtra(cs, "failed").sum,
		AvgStartupMS: startup.avgMS(), MinStartupMS: startup.minMS(), MaxStartupMS: startup.maxMS(),
		AvgFirstKeyFrameMS: first.avgMS(), MinFirstKeyFrameMS: first.minMS(), MaxFirstKeyFrameMS: first.maxMS(),
		Stalls: streamExtra(cs, "stalls").sum, StallMS: *durMS(streamExtra(cs, "stall_time").sum),
		Segments: segs,
	}
	if segs > 0 {
		s.AvgSegmentMS = durMS(segTime / segs)
	}
	return s
}

// perfcaseMQTT is what a case's mqtt steps measured; nil for a case
// without one.
func perfcaseMQTT(cs *metrics.CaseStats) *output.PerfcaseMQTT {
	lat := cs.Extra("mqtt_latency")
	if lat == nil {
		return nil
	}
	sum := func(name string) int64 {
		if x := cs.Extra(name); x != nil {
			return x.Sum
		}
		return 0
	}
	m := &output.PerfcaseMQTT{
		Published: output.PerfcaseQoS{QoS0: sum("mqtt_published_qos0"), QoS1: sum("mqtt_published_qos1"), QoS2: sum("mqtt_published_qos2")},
		Received:  output.PerfcaseQoS{QoS0: sum("mqtt_received_qos0"), QoS1: sum("mqtt_received_qos1"), QoS2: sum("mqtt_received_qos2")},
		Dropped:   sum("mqtt_dropped"),
		Latency:   output.PerfcaseLatency{Count: lat.N},
	}
	if lat.N > 0 {
		l := &m.Latency
		l.AvgMS, l.MinMS, l.MaxMS = durMS(lat.Sum/lat.N), durMS(lat.Min), durMS(lat.Max)
		l.P50MS, l.P90MS, l.P99MS = ms(lat.Quantile(0.5)), ms(lat.Quantile(0.9)), ms(lat.Quantile(0.99))
	}
	return m
}

// streamSecond is the run's streaming traffic and failures in one second.
type streamSecond struct {
	audioRec, audioSent, videoRec, videoSent float64
	packetsRec, packetsSent                  float64
	causes                                   [len(streamErrorCauses)]float64
}

// addStreamSeconds adds a case's streaming seconds into dst from dst[off].
func addStreamSeconds(dst []streamSecond, off int, cs *metrics.CaseStats) []streamSecond {
	add := func(name string, at func(*streamSecond) *float64) {
		for _, p := range streamProtocols {
			x := cs.Extra(p + "_" + name)
			if x == nil {
				continue
			}
			for len(dst) < off+len(x.Seconds) {
				dst = append(dst, streamSecond{})
			}
			for k, s := range x.Seconds {
				*at(&dst[off+k]) += float64(s.Sum)
			}
		}
	}
	add("recv_audio_bytes", func(s *streamSecond) *float64 { return &s.audioRec })
	add("sent_audio_bytes", func(s *streamSecond) *float64 { return &s.audioSent })
	add("recv_video_bytes", func(s *streamSecond) *float64 { return &s.videoRec })
	add("sent_video_bytes", func(s *streamSecond) *float64 { return &s.videoSent })
	for _, name := range []string{"recv_audio_packets", "recv_video_packets"} {
		add(name, func(s *streamSecond) *float64 { return &s.packetsRec })
	}
	for _, name := range []string{"sent_audio_packets", "sent_video_packets"} {
		add(name, func(s *streamSecond) *float64 { return &s.packetsSent })
	}
	for i, cause := range streamErrorCauses {
		add(cause, func(s *streamSecond) *float64 { return &s.causes[i] })
	}
	return dst
}

// streamBrokens fills tables 4-250 and 4-251 over n seconds of the run.
func streamBrokens(secs []streamSecond, n int) (*perftest.RtmpBrokens, *perftest.StreamingErrorBrokens) {
	series := func(at func(*streamSecond) float64) []float64 {
		out := make([]float64, n)
		for k := range min(n, len(secs)) {
			out[k] = at(&secs[k])
		}
		return out
	}
	r := &perftest.RtmpBrokens{
		AudioRecBytes:       series(func(s *streamSecond) float64 { return s.audioRec }),
		AudioSentBytes:      series(func(s *streamSecond) float64 { return s.audioSent }),
		RtmpReceivedPackets: series(func(s *streamSecond) float64 { return s.packetsRec }),
		RtmpSentPackets:     series(func(s *streamSecond) float64 { return s.packetsSent }),
		VideoRecBytes:       series(func(s *streamSecond) float64 { return s.videoRec }),
		VideoSentBytes:      series(func(s *streamSecond) float64 { return s.videoSent }),
	}
	cause := func(i int) []float64 { return series(func(s *streamSecond) float64 { return s.causes[i] }) }
	e := &perftest.StreamingErrorBrokens{
		CreateStreamFailed: cause(0), HandShakeFailed: cause(1), ParseFileFailed: cause(2), ParseFlvFileFailed: cause(3),
		PlayFailed: cause(4), PublishFailed: cause(5), RetryFailed: cause(6), RtmpConnectFailed: cause(7), TCPConnectFailed: cause(8),
	}
	return r, e
}

// writeStreaming writes the summary's lines on a case's plays.
func writeStreaming(b *strings.Builder, cs *metrics.CaseStats) {
	s := perfcaseStreaming(cs)
	if s == nil {
		return
	}
	fmt.Fprintf(b, "  streaming: %s %s, %s failed", group(s.Plays), plural(int(s.Plays), "play", "plays"), group(s.Failed))
	if s.AvgStartupMS != nil {
		fmt.Fprintf(b, "; startup avg %s ms, max %s ms", oneDec(*s.AvgStartupMS), oneDec(*s.MaxStartupMS))
	}
	fmt.Fprintf(b, "; %s %s (%s s)\n", group(s.Stalls), plural(int(s.Stalls), "stall", "stalls"), oneDec(s.StallMS/1000))
	for _, dir := range []struct{ word, prefix string }{{"received", "recv"}, {"sent", "sent"}} {
		packets := streamExtra(cs, dir.prefix+"_audio_packets").sum + streamExtra(cs, dir.prefix+"_video_packets").sum
		keys := streamExtra(cs, dir.prefix+"_key_frames")
		if packets == 0 && keys.n == 0 {
			continue
		}
		fmt.Fprintf(b, "    %s %s video and %s audio in %s packets; %s key frames", dir.word, kb(streamExtra(cs, dir.prefix+"_video_bytes").sum),
			kb(streamExtra(cs, dir.prefix+"_audio_bytes").sum), group(packets), group(keys.n))
		if keys.n > 0 {
			fmt.Fprintf(b, ", key-frame delay avg %s ms", oneDec(*keys.avgMS()))
		}
		if dir.prefix == "recv" && s.AvgFirstKeyFrameMS != nil {
			fmt.Fprintf(b, ", first key frame after %s ms on average", oneDec(*s.AvgFirstKeyFrameMS))
		}
		b.WriteByte('\n')
	}
	if s.Segments > 0 {
		fmt.Fprintf(b, "    %s HLS segments, %s ms each on average\n", group(s.Segments), oneDec(*s.AvgSegmentMS))
	}
	var causes []string
	for _, c := range streamCauses {
		if n := streamExtra(cs, c).sum; n > 0 {
			causes = append(causes, fmt.Sprintf("%s %s", c, group(n)))
		}
	}
	if len(causes) > 0 {
		b.WriteString("    failed: " + strings.Join(causes, ", ") + "\n")
	}
}

// writeMQTT writes the summary's lines on a case's MQTT messages.
func writeMQTT(b *strings.Builder, cs *metrics.CaseStats) {
	m := perfcaseMQTT(cs)
	if m == nil {
		return
	}
	qos := func(q output.PerfcaseQoS) string {
		return fmt.Sprintf("%s (QoS 0: %s, 1: %s, 2: %s)", group(q.QoS0+q.QoS1+q.QoS2), group(q.QoS0), group(q.QoS1), group(q.QoS2))
	}
	fmt.Fprintf(b, "  mqtt: published %s, received %s, dropped %s\n", qos(m.Published), qos(m.Received), group(m.Dropped))
	if l := m.Latency; l.Count > 0 {
		fmt.Fprintf(b, "    end-to-end latency of %s stamped messages: avg %s ms, p50 %s ms, p99 %s ms, max %s ms\n",
			group(l.Count), twoDec(*l.AvgMS), twoDec(*l.P50MS), twoDec(*l.P99MS), twoDec(*l.MaxMS))
	}
}

// group writes n with thousands separators: 12,345.
func group(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + group(-n)
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// kb writes bytes in kB (1,000 bytes) with one decimal.
func kb(n int64) string { return oneDec(float64(n)/1000) + " kB" }

func twoDec(v float64) string { return fmt.Sprintf("%.2f", v) }
