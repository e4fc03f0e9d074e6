package reporters

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/scenario"
)

// mediaCase records, through a Recorder declared with the drivers' own
// extra metrics, a three-second case that streams and talks MQTT:
//   - second 0: an HLS play that succeeded (startup 10 ms, 3 segments in
//     30 ms) and an HTTP-FLV play that failed with playFailed;
//   - second 1: an HTTP-FLV play that succeeded (100 video packets of
//     50,000 bytes, 40 audio of 4,000, key frames 200 ms and 2 × 1 s
//     apart, one stall of 1.5 s) and an RTMP publish (50 video packets, 2
//     key frames 1 s apart), and an RTMP play that failed with
//     tcpConnectFailed;
//   - second 2: MQTT: 4 publishes at QoS 1, one at QoS 0, 5 messages
//     received at QoS 1 with latencies of 1 to 5 ms, and 2 dropped.
func mediaCase(t *testing.T) *metrics.CaseResult {
	t.Helper()
	var extras []metrics.ExtraInfo
	base := map[scenario.Protocol]int{}
	for _, p := range []scenario.Protocol{scenario.HLS, scenario.FLV, scenario.RTMP, scenario.MQTT} {
		d, ok := protocols.For(p)
		if !ok {
			t.Fatalf("no driver for %v", p)
		}
		base[p] = len(extras)
		extras = append(extras, d.Extras...)
	}
	index := func(p scenario.Protocol, name string) int {
		d, _ := protocols.For(p)
		i := slices.IndexFunc(d.Extras, func(x metrics.ExtraInfo) bool { return x.Name == name })
		if i < 0 {
			t.Fatalf("%v declares no %s", p, name)
		}
		return i
	}
	r := metrics.NewRecorder([]metrics.SeriesInfo{{Name: "play", Kind: metrics.KindRequest}, {Name: "c", Kind: metrics.KindCase}}, 1, t0, extras...)
	sh := r.Shard(0)
	observe := func(p scenario.Protocol, sec int, add func(o *metrics.Observations, i func(string) int)) {
		var o metrics.Observations
		add(&o, func(name string) int { return index(p, p.String()+"_"+name) })
		sh.Observe(base[p], t0.Add(time.Duration(sec)*time.Second+100*time.Millisecond), &o)
	}
	ms := int64(time.Millisecond)
	observe(scenario.HLS, 0, func(o *metrics.Observations, i func(string) int) {
		o.Add(i("plays"), 1)
		o.Add(i("startup"), 10*ms)
		o.Add(i("segments"), 3)
		o.Add(i("segment_time"), 30*ms)
	})
	observe(scenario.FLV, 0, func(o *metrics.Observations, i func(string) int) {
		o.Add(i("plays"), 1)
		o.Add(i("failed"), 1)
		o.Add(i("playFailed"), 1)
	})
	observe(scenario.FLV, 1, func(o *metrics.Observations, i func(string) int) {
		o.Add(i("plays"), 1)
		o.Add(i("startup"), 20*ms)
		o.Add(i("first_key_frame"), 200*ms)
		o.Add(i("recv_video_packets"), 100)
		o.Add(i("recv_video_bytes"), 50000)
		o.Add(i("recv_audio_packets"), 40)
		o.Add(i("recv_audio_bytes"), 4000)
		o.AddMany(i("recv_key_frames"), 3, 2200*ms, 200*ms, 1000*ms)
		o.Add(i("stalls"), 1)
		o.Add(i("stall_time"), 1500*ms)
	})
	observe(scenario.RTMP, 1, func(o *metrics.Observations, i func(string) int) {
		o.Add(i("plays"), 1)
		o.Add(i("sent_video_packets"), 50)
		o.Add(i("sent_video_bytes"), 25000)
		o.AddMany(i("sent_key_frames"), 2, 1040*ms, 40*ms, 1000*ms)
	})
	observe(scenario.RTMP, 1, func(o *metrics.Observations, i func(string) int) {
		o.Add(i("plays"), 1)
		o.Add(i("failed"), 1)
		o.Add(i("tcpConnectFailed"), 1)
	})
	observe(scenario.MQTT, 2, func(o *metrics.Observations, i func(string) int) {
		o.Add(i("published_qos1"), 4)
		o.Add(i("published_qos0"), 1)
		o.Add(i("received_qos1"), 5)
		for v := range int64(5) {
			o.AddValue(i("latency"), (v+1)*ms)
		}
		o.Add(i("dropped"), 2)
	})
	cs := r.Finish("media", t0.Add(3*time.Second))
	return &metrics.CaseResult{Stats: cs, Protocols: []string{"HLS", "HTTP-FLV", "RTMP", "MQTT"}, Mode: "concurrency_mode"}
}

// A streaming case's figures land in streamingMediaVo (table 4-260),
// summed over its HLS, HTTP-FLV and RTMP steps, in the run's per-second
// streaming series (4-250, 4-251), and in perfcase.cases[].streaming; its
// MQTT figures in perfcase.cases[].mqtt; the summary says both.
func TestReportStreamingAndMQTT(t *testing.T) {
	c := mediaCase(t)
	run := &metrics.Run{Name: "media", Start: t0, End: t0.Add(3 * time.Second), Status: metrics.Completed, Cases: []*metrics.CaseResult{c}}
	fin := finished(run)
	res := fin.Report.Result
	vo := res.Cases[0].Detail.Performance.StreamingMediaVo
	if vo == nil {
		t.Fatal("no streamingMediaVo")
	}
	for _, tt := range []struct {
		field string
		got   float64
		want  float64
	}{
		{"streamingPlayTimes", float64(*vo.StreamingPlayTimes), 5},
		{"streamingErrorTimes", float64(*vo.StreamingErrorTimes), 2},
		{"streamingSuccessRate", f(vo.StreamingSuccessRate), 60},
		{"recvPackets", f(vo.RecvPackets), 140},
		{"receivedPacketsPerSecond", f(vo.ReceivedPacketsPerSecond), 46.67},
		{"sendPackets", f(vo.SendPackets), 50},
		{"sentPacketsPerSecond", f(vo.SentPacketsPerSecond), 16.67},
		{"videoRecBytes", f(vo.VideoRecBytes), 50000},
		{"audioRecBytes", f(vo.AudioRecBytes), 4000},
		{"videoSentBytes", f(vo.VideoSentBytes), 25000},
		{"audioSentBytes", f(vo.AudioSentBytes), 0},
		{"keyFrameReceiveCnt", f(vo.KeyFrameReceiveCnt), 3},
		{"sumRecvKeyFrameDelay", f(vo.SumRecvKeyFrameDelay), 2200},
		{"avgRecvKeyFrameDelay", f(vo.AvgRecvKeyFrameDelay), 733.333},
		{"minRecvKeyFrameDelay", f(vo.MinRecvKeyFrameDelay), 200},
		{"maxRecvKeyFrameDelay", f(vo.MaxRecvKeyFrameDelay), 1000},
		{"keyFrameSendCnt", f(vo.KeyFrameSendCnt), 2},
		{"avgSendKeyFrameDelay", f(vo.AvgSendKeyFrameDelay), 520},
		{"minSendKeyFrameDelay", f(vo.MinSendKeyFrameDelay), 40},
		{"playFailed", f(vo.PlayFailed), 1},
		{"tcpConnectFailed", f(vo.TCPConnectFailed), 1},
		{"retryFailed", f(vo.RetryFailed), 0},
		{"unknownFailed", f(vo.UnknownFailed), 0},
	} {
		if tt.got != tt.want {
			t.Errorf("streamingMediaVo.%s = %v, want %v", tt.field, tt.got, tt.want)
		}
	}
	b := res.Brokens
	if b.RtmpBrokenS == nil || b.StreamingErrorBrokenS == nil {
		t.Fatal("no streaming series in brokens")
	}
	for _, tt := range []struct {
		name      string
		got, want []float64
	}{
		{"rtmpReceivedPackets", b.RtmpBrokenS.RtmpReceivedPackets, []float64{0, 140, 0}},
		{"rtmpSentPackets", b.RtmpBrokenS.RtmpSentPackets, []float64{0, 50, 0}},
		{"videoRecBytes", b.RtmpBrokenS.VideoRecBytes, []float64{0, 50000, 0}},
		{"audioRecBytes", b.RtmpBrokenS.AudioRecBytes, []float64{0, 4000, 0}},
		{"videoSentBytes", b.RtmpBrokenS.VideoSentBytes, []float64{0, 25000, 0}},
		{"playFailed", b.StreamingErrorBrokenS.PlayFailed, []float64{1, 0, 0}},
		{"tcpConnectFailed", b.StreamingErrorBrokenS.TCPConnectFailed, []float64{0, 1, 0}},
		{"retryFailed", b.StreamingErrorBrokenS.RetryFailed, []float64{0, 0, 0}},
	} {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("brokens %s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	pc := res.Perfcase.Cases[0]
	s := pc.Streaming
	if s == nil || s.Plays != 5 || s.Failed != 2 || f(s.AvgStartupMS) != 15 || f(s.MaxStartupMS) != 20 || f(s.AvgFirstKeyFrameMS) != 200 ||
		s.Stalls != 1 || s.StallMS != 1500 || s.Segments != 3 || f(s.AvgSegmentMS) != 10 {
		t.Errorf("perfcase streaming %+v", s)
	}
	m := pc.MQTT
	if m == nil || m.Published.QoS0 != 1 || m.Published.QoS1 != 4 || m.Received.QoS1 != 5 || m.Dropped != 2 || m.Latency.Count != 5 ||
		f(m.Latency.AvgMS) != 3 || f(m.Latency.MinMS) != 1 || f(m.Latency.MaxMS) != 5 {
		t.Fatalf("perfcase mqtt %+v", m)
	}
	// Percentiles within 1/32 of the values: 3 ms and 5 ms.
	if p50, p99 := f(m.Latency.P50MS), f(m.Latency.P99MS); p50 < 2.9 || p50 > 3.1 || p99 < 4.85 || p99 > 5 {
		t.Errorf("latency p50 %v, p99 %v", p50, p99)
	}

	var sum strings.Builder
	if err := WriteSummary(&sum, fin); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  streaming: 5 plays, 2 failed; startup avg 15.0 ms, max 20.0 ms; 1 stall (1.5 s)",
		"    received 50.0 kB video and 4.0 kB audio in 140 packets; 3 key frames, key-frame delay avg 733.3 ms, first key frame after 200.0 ms on average",
		"    sent 25.0 kB video and 0.0 kB audio in 50 packets; 2 key frames, key-frame delay avg 520.0 ms",
		"    3 HLS segments, 10.0 ms each on average",
		"    failed: tcpConnectFailed 1, playFailed 1",
		"  mqtt: published 5 (QoS 0: 1, 1: 4, 2: 0), received 5 (QoS 0: 0, 1: 5, 2: 0), dropped 2",
		"    end-to-end latency of 5 stamped messages: avg 3.00 ms, p50 ",
	} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, sum.String())
		}
	}
	page := renderHTML(t, fin.Report)
	for _, want := range []string{"<h4>Streaming</h4>", "<h4>MQTT</h4>", "failed plays by cause: tcpConnectFailed 1, playFailed 1", "50.0 kB"} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML page lacks %q", want)
		}
	}
}

// A case without streaming or MQTT steps has neither: streamingMediaVo,
// the streaming series and the perfcase figures are null.
func TestReportWithoutMedia(t *testing.T) {
	res := report(shopRun()).Result
	if res.Cases[0].Detail.Performance.StreamingMediaVo != nil || res.Brokens.RtmpBrokenS != nil || res.Brokens.StreamingErrorBrokenS != nil ||
		res.Perfcase.Cases[0].Streaming != nil || res.Perfcase.Cases[0].MQTT != nil {
		t.Errorf("an HTTP case has streaming or MQTT figures: %+v", res.Perfcase.Cases[0])
	}
}

// Every extra metric the report reads is one a driver declares, so a
// renamed metric cannot silently read as zero.
func TestReportReadsDeclaredExtras(t *testing.T) {
	declared := map[string]bool{}
	for p := range scenario.NumProtocols {
		if d, ok := protocols.For(p); ok {
			for _, x := range d.Extras {
				declared[x.Name] = true
			}
		}
	}
	names := []string{"mqtt_latency", "mqtt_dropped"}
	for _, dir := range []string{"published", "received"} {
		for q := range 3 {
			names = append(names, "mqtt_"+dir+"_qos"+string(rune('0'+q)))
		}
	}
	suffixes := append([]string{"plays", "failed", "startup", "first_key_frame", "stalls", "stall_time", "segments", "segment_time"}, streamCauses...)
	for _, dir := range []string{"recv", "sent"} {
		for _, what := range []string{"audio_packets", "video_packets", "audio_bytes", "video_bytes", "key_frames"} {
			suffixes = append(suffixes, dir+"_"+what)
		}
	}
	for _, p := range streamProtocols {
		for _, s := range suffixes {
			names = append(names, p+"_"+s)
		}
	}
	for _, n := range names {
		if !declared[n] {
			t.Errorf("the report reads %s, which no driver declares", n)
		}
	}
	for _, c := range streamErrorCauses {
		if !slices.Contains(streamCauses, c) {
			t.Errorf("4-251's %s is not a cause", c)
		}
	}
}
