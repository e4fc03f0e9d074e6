package flv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func tag(typ uint8, ts uint32, data []byte) []byte {
	n := len(data)
	b := []byte{typ, byte(n >> 16), byte(n >> 8), byte(n), byte(ts >> 16), byte(ts >> 8), byte(ts), byte(ts >> 24), 0, 0, 0}
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, uint32(n+11))
}

var header = []byte{'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0}

func stream(parts ...[]byte) []byte { return bytes.Join(append([][]byte{header}, parts...), nil) }

func TestReader(t *testing.T) {
	key := []byte{0x17, 1, 0, 0, 0, 0xaa}
	in := stream(tag(TypeScript, 0, []byte{2}), tag(TypeVideo, 0, key), tag(TypeAudio, 23, []byte{0xaf, 1, 9}), tag(TypeVideo, 1<<24+5, []byte{0x27, 1, 0, 0, 0, 0xbb}))
	var rd Reader
	rd.Reset(bytes.NewReader(in))
	if err := rd.ReadHeader(); err != nil || !rd.Header.Audio || !rd.Header.Video {
		t.Fatalf("ReadHeader = %v, %+v", err, rd.Header)
	}
	want := []struct {
		typ uint8
		ts  uint32
		n   int
		key bool
	}{{TypeScript, 0, 1, false}, {TypeVideo, 0, 6, true}, {TypeAudio, 23, 3, false}, {TypeVideo, 1<<24 + 5, 6, false}}
	var tg Tag
	for i, w := range want {
		if err := rd.Next(&tg); err != nil {
			t.Fatalf("tag %d: %v", i, err)
		}
		if tg.Type != w.typ || tg.Timestamp != w.ts || len(tg.Data) != w.n || tg.KeyFrame() != w.key {
			t.Errorf("tag %d = type %d ts %d %d bytes key %v, want %+v", i, tg.Type, tg.Timestamp, len(tg.Data), tg.KeyFrame(), w)
		}
	}
	if err := rd.Next(&tg); err != io.EOF {
		t.Errorf("after the last tag: %v, want EOF", err)
	}
	if rd.Bytes() != int64(len(in)) {
		t.Errorf("Bytes = %d, want %d", rd.Bytes(), len(in))
	}
}

func TestReaderErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrHeader},
		{"truncated header", header[:7], ErrHeader},
		{"wrong signature", append([]byte("FLX"), header[3:]...), ErrHeader},
		{"version 2", append([]byte("FLV\x02"), header[4:]...), ErrHeader},
		{"unknown tag type", stream(tag(7, 0, []byte{1})), ErrTag},
		{"bad previous size", stream(append(tag(TypeAudio, 0, []byte{1})[:12], 0, 0, 0, 1)), ErrTag},
		{"cut inside a tag", stream(tag(TypeAudio, 0, []byte{1, 2, 3})[:13]), io.ErrUnexpectedEOF},
		{"cut inside a tag header", stream([]byte{8, 0, 0}), io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		var rd Reader
		rd.Reset(bytes.NewReader(c.in))
		err := rd.ReadHeader()
		if err == nil {
			var tg Tag
			err = rd.Next(&tg)
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestKeyFrame(t *testing.T) {
	cases := []struct {
		data []byte
		want bool
	}{
		{[]byte{0x17, 1}, true},  // AVC key frame, NALU
		{[]byte{0x17, 0}, false}, // AVC sequence header
		{[]byte{0x27, 1}, false}, // AVC inter frame
		{[]byte{0x1c, 1}, true},  // HEVC (12) key frame
		{[]byte{0x12, 0}, true},  // Sorenson H.263 key frame
		{[]byte{0x91, 0}, true},  // Enhanced RTMP: key frame, CodedFrames
		{[]byte{0x93, 0}, true},  // Enhanced RTMP: key frame, CodedFramesX
		{[]byte{0x90, 0}, false}, // Enhanced RTMP: SequenceStart
		{[]byte{0xa1, 0}, false}, // Enhanced RTMP: inter frame
		{[]byte{0x17}, false},    // too short
	}
	for _, c := range cases {
		tg := Tag{Type: TypeVideo, Data: c.data}
		if got := tg.KeyFrame(); got != c.want {
			t.Errorf("KeyFrame(% x) = %v, want %v", c.data, got, c.want)
		}
	}
	for _, c := range []struct {
		data []byte
		want bool
	}{{[]byte{0x27, 2}, true}, {[]byte{0x1c, 2}, true}, {[]byte{0x92, 0}, true}, {[]byte{0x27, 1}, false}, {[]byte{0x90, 0}, false}, {[]byte{0x22, 2}, false}} {
		tg := Tag{Type: TypeVideo, Data: c.data}
		if got := tg.SequenceEnd(); got != c.want {
			t.Errorf("SequenceEnd(% x) = %v, want %v", c.data, got, c.want)
		}
	}
	if (&Tag{Type: TypeAudio, Data: []byte{0x17, 1}}).KeyFrame() {
		t.Error("an audio tag is a key frame")
	}
}

func TestParseFile(t *testing.T) {
	in := stream(tag(TypeScript, 0, []byte{2}), tag(TypeVideo, 0, []byte{0x17, 1}), tag(TypeAudio, 20, []byte{1}), tag(TypeVideo, 100, []byte{0x27, 1}))
	f, err := ParseFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tags) != 4 || f.Duration != 200 || &f.Tags[1].Data[0] != &in[len(header)+16+11] {
		t.Errorf("%d tags, duration %d ms; tag data must alias the file", len(f.Tags), f.Duration)
	}
	for name, bad := range map[string][]byte{
		"no media":       stream(tag(TypeScript, 0, []byte{2})),
		"time goes back": stream(tag(TypeVideo, 5000, []byte{0x17, 1}), tag(TypeVideo, 10, []byte{0x27, 1})),
		"bad tag":        stream(tag(3, 0, []byte{1})),
	} {
		if _, err := ParseFile(bad); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// Reading tags allocates nothing once the buffer fits the largest.
func TestReaderAllocs(t *testing.T) {
	one := tag(TypeVideo, 40, bytes.Repeat([]byte{0x27, 1}, 2000))
	in := stream(bytes.Repeat(one, 200))
	r := bytes.NewReader(in)
	var rd Reader
	var tg Tag
	rd.Reset(r)
	n := testing.AllocsPerRun(100, func() {
		r.Reset(in)
		rd.Reset(r)
		if rd.ReadHeader() != nil {
			t.Fatal("header")
		}
		for rd.Next(&tg) == nil {
		}
	})
	if n != 0 {
		t.Errorf("reading 200 tags allocates %v times", n)
	}
}

func BenchmarkReader(b *testing.B) {
	one := tag(TypeVideo, 40, make([]byte, 1500))
	in := stream(bytes.Repeat(one, 1000))
	r := bytes.NewReader(in)
	var rd Reader
	var tg Tag
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(in)
		rd.Reset(r)
		rd.ReadHeader()
		for rd.Next(&tg) == nil {
		}
	}
}
