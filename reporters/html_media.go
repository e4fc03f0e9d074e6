package reporters

import (
	"strings"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
)

// htmlMedia is a case's streaming or MQTT figures: a titled table of one
// row, and a note (the failures by cause).
type htmlMedia struct {
	Title string
	Heads []string
	Cells []string
	Note  string
}

// htmlStreaming is a case's streamingMediaVo and perfcase streaming
// figures; nil when the case does not stream.
func htmlStreaming(vo *perftest.StreamingMediaReport, s *output.PerfcaseStreaming) *htmlMedia {
	if vo == nil || s == nil {
		return nil
	}
	m := &htmlMedia{Title: "Streaming"}
	add := func(head, cell string) {
		m.Heads = append(m.Heads, head)
		m.Cells = append(m.Cells, cell)
	}
	add("plays", htmlGroup(float64(s.Plays), 0))
	add("failed", htmlGroup(float64(s.Failed), 0))
	add("success", htmlPct(vo.StreamingSuccessRate))
	add("startup avg", htmlMillis(s.AvgStartupMS))
	add("first key frame avg", htmlMillis(s.AvgFirstKeyFrameMS))
	add("packets in", htmlInt(vo.RecvPackets))
	add("video in", htmlKB(vo.VideoRecBytes))
	add("audio in", htmlKB(vo.AudioRecBytes))
	add("key frames in", htmlInt(vo.KeyFrameReceiveCnt))
	add("key-frame delay avg", htmlMillis(vo.AvgRecvKeyFrameDelay))
	if vo.SendPackets != nil && *vo.SendPackets > 0 {
		add("packets out", htmlInt(vo.SendPackets))
		add("video out", htmlKB(vo.VideoSentBytes))
		add("audio out", htmlKB(vo.AudioSentBytes))
		add("key frames out", htmlInt(vo.KeyFrameSendCnt))
	}
	add("stalls", htmlGroup(float64(s.Stalls), 0))
	add("stall time", htmlGroup(s.StallMS/1000, 1)+" s")
	if s.Segments > 0 {
		add("HLS segments", htmlGroup(float64(s.Segments), 0))
		add("segment time avg", htmlMillis(s.AvgSegmentMS))
	}
	var causes []string
	for _, c := range []struct {
		name string
		v    *float64
	}{
		{"tcpConnectFailed", vo.TCPConnectFailed}, {"handShakeFailed", vo.HandShakeFailed}, {"rtmpConnectFailed", vo.RTMPConnectFailed},
		{"createStreamFailed", vo.CreateStreamFailed}, {"playFailed", vo.PlayFailed}, {"publishFailed", vo.PublishFailed},
		{"retryFailed", vo.RetryFailed}, {"parseFileFailed", vo.ParseFileFailed}, {"illegalUrlFailed", vo.IllegalURLFailed},
		{"illegalFlvHeaderFailed", vo.IllegalFlvHeaderFailed}, {"httpTimeoutFailed", vo.HTTPTimeoutFailed},
		{"parseFlvFileFailed", vo.ParseFlvFileFailed}, {"unknownFailed", vo.UnknownFailed},
	} {
		if c.v != nil && *c.v > 0 {
			causes = append(causes, c.name+" "+htmlInt(c.v))
		}
	}
	if len(causes) > 0 {
		m.Note = "failed plays by cause: " + strings.Join(causes, ", ")
	}
	return m
}

// htmlMQTT is a case's MQTT figures; nil when it has no mqtt step.
func htmlMQTT(q *output.PerfcaseMQTT) *htmlMedia {
	if q == nil {
		return nil
	}
	n := func(v int64) string { return htmlGroup(float64(v), 0) }
	l := q.Latency
	return &htmlMedia{
		Title: "MQTT",
		Heads: []string{"published QoS 0", "QoS 1", "QoS 2", "received QoS 0", "QoS 1", "QoS 2", "dropped",
			"stamped", "latency avg", "p50", "p90", "p99", "max"},
		Cells: []string{n(q.Published.QoS0), n(q.Published.QoS1), n(q.Published.QoS2), n(q.Received.QoS0), n(q.Received.QoS1),
			n(q.Received.QoS2), n(q.Dropped), n(l.Count), htmlMillis(l.AvgMS), htmlMillis(l.P50MS), htmlMillis(l.P90MS),
			htmlMillis(l.P99MS), htmlMillis(l.MaxMS)},
		Note: "latency: from the send stamp a message carries to when the receive took it, end to end",
	}
}

// htmlKB is bytes in kB (1,000 bytes).
func htmlKB(p *float64) string {
	if p == nil {
		return htmlNone
	}
	return htmlGroup(*p/1000, 1) + " kB"
}
