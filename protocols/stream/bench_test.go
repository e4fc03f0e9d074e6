package stream

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"

	"github.com/perfcase/perfcase/internal/media"
)

// What an RTMP play pays per media message in gortmplib's chunk reader
// (nginx-rtmp's 4096-byte chunks, 1500-byte video messages): the reader
// returns each message as a new value with a new body, so this is the
// figure to watch, not zero.
func BenchmarkRTMPReadMessage(b *testing.B) {
	var buf bytes.Buffer
	bc := bytecounter.NewWriter(&buf)
	w := rawmessage.NewWriter(&buf, bc, false)
	w.SetChunkSize(4096)
	body := make([]byte, 1500)
	body[0], body[1] = 0x27, 1
	const n = 1000
	for i := range n {
		w.Write(&rawmessage.Message{ChunkStreamID: csVideo, Type: 9, MessageStreamID: 1, Timestamp: time.Duration(i*40) * time.Millisecond, Body: body})
	}
	in := buf.Bytes()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		br := bytes.NewReader(in)
		bcr := bytecounter.NewReader(br)
		var s rtmpSession
		s.r = rawmessage.NewReader(bcr, bcr, func(uint32) error { return nil })
		s.r.SetChunkSize(4096)
		for range n {
			if _, err := s.r.Read(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// An HTTP-FLV play of the in-process stream: what a viewer costs per
// second of a 64 kbit/s stream, server included.
func BenchmarkFLVPlaySecond(b *testing.B) {
	srv := httptest.NewServer(media.NewLiveFLV())
	defer srv.Close()
	var pl FLVPlayer
	defer pl.Close()
	var st Stats
	b.ReportAllocs()
	for b.Loop() {
		pl.Play(context.Background(), &Options{URL: srv.URL, Duration: time.Second}, &st)
		if st.Fail != nil {
			b.Fatal(st.Fail)
		}
	}
	b.ReportMetric(float64(st.AudioPackets+st.VideoPackets), "packets/op")
}
