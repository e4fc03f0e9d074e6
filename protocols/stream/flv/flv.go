// Package flv reads the FLV container (Adobe's video file format 10.1,
// with Enhanced RTMP's extended video and audio headers): the file header
// and the tags that follow it, as they arrive on a stream or from a file
// held in memory. It knows the container only: a tag is audio, video or
// script data with a timestamp, and a video tag may be a key frame. It
// decodes no codec. Nothing in it allocates per tag once its buffer has
// grown to the largest tag seen.
package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Tag types, as the FLV header and RTMP message types number them.
const (
	TypeAudio  = 8
	TypeVideo  = 9
	TypeScript = 18
)

// HeaderSize is the size of the FLV header plus the first PreviousTagSize
// field, which is always 0: what a stream starts with before its first tag.
const HeaderSize = 9 + 4

// tagHeaderSize is a tag's header: type, data size (24 bits), timestamp
// (24 bits and an extension byte), stream id (24 bits, always 0).
const tagHeaderSize = 11

// ErrHeader is a stream or file that does not start with a valid FLV
// header: a wrong signature or version, a data offset below 9, or fewer
// bytes than a header.
var ErrHeader = errors.New("not an FLV stream: bad or truncated FLV header")

// ErrTag is a tag that cannot be read as FLV: an unknown type, a nonzero
// stream id, or a PreviousTagSize that does not match the tag.
var ErrTag = errors.New("malformed FLV tag")

// Tag is one FLV tag. Data aliases the reader's buffer (or the file's
// bytes) and is valid until the next call to Next.
type Tag struct {
	Type      uint8
	Timestamp uint32 // milliseconds
	Data      []byte
}

// KeyFrame reports whether t is a video key frame: frame type 1, and a
// coded frame rather than a codec configuration (an AVC or HEVC sequence
// header, or Enhanced RTMP's SequenceStart), a sequence end, or metadata.
func (t *Tag) KeyFrame() bool {
	if t.Type != TypeVideo || len(t.Data) < 2 {
		return false
	}
	b := t.Data[0]
	if (b>>4)&7 != 1 {
		return false
	}
	if b&0x80 != 0 {
		// Enhanced RTMP: the low nibble is the packet type; 1 is
		// CodedFrames, 3 CodedFramesX.
		pt := b & 0x0f
		return pt == 1 || pt == 3
	}
	switch b & 0x0f {
	case 7, 12: // AVC, and HEVC as ffmpeg and nginx-rtmp number it
		return t.Data[1] == 1 // AVCPacketType 1 is a NALU; 0 a sequence header
	}
	return true
}

// SequenceEnd reports whether t is a video end of sequence (AVC or HEVC
// packet type 2, or Enhanced RTMP's SequenceEnd): it tells a decoder that
// the stream is over.
func (t *Tag) SequenceEnd() bool {
	if t.Type != TypeVideo || len(t.Data) < 2 {
		return false
	}
	b := t.Data[0]
	if b&0x80 != 0 {
		return b&0x0f == 2
	}
	c := b & 0x0f
	return (c == 7 || c == 12) && t.Data[1] == 2
}

// Header is a parsed FLV header.
type Header struct {
	Audio, Video bool // the flags; informative only, players ignore them
}

// ParseHeader parses the first HeaderSize bytes of an FLV stream.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize || b[0] != 'F' || b[1] != 'L' || b[2] != 'V' || b[3] != 1 || binary.BigEndian.Uint32(b[5:9]) < 9 {
		return Header{}, ErrHeader
	}
	return Header{Audio: b[4]&4 != 0, Video: b[4]&1 != 0}, nil
}

// Reader reads an FLV stream tag by tag. It is not safe for concurrent
// use. The zero value is not usable; call Reset.
type Reader struct {
	r      io.Reader
	buf    []byte
	Header Header // set by ReadHeader
	n      int64  // bytes read so far
}

// Reset makes rd read a new stream from r, keeping its buffer.
func (rd *Reader) Reset(r io.Reader) {
	rd.r, rd.Header, rd.n = r, Header{}, 0
	if rd.buf == nil {
		rd.buf = make([]byte, 0, 4096)
	}
}

// Bytes returns how many bytes have been read from the stream.
func (rd *Reader) Bytes() int64 { return rd.n }

// ReadHeader reads and checks the FLV header. A stream that ends before
// the whole header is ErrHeader, like a wrong one.
func (rd *Reader) ReadHeader() error {
	b := rd.grow(HeaderSize)
	n, err := io.ReadFull(rd.r, b)
	rd.n += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return ErrHeader
		}
		return err
	}
	if rd.Header, err = ParseHeader(b); err != nil {
		return err
	}
	// A data offset over 9 leaves bytes before the first PreviousTagSize;
	// b[9:13] then holds the start of them. Read past them.
	if off := int(binary.BigEndian.Uint32(b[5:9])); off > 9 {
		extra := off - 9
		if extra > 1<<16 {
			return ErrHeader
		}
		rest := rd.grow(extra)
		n, err := io.ReadFull(rd.r, rest)
		rd.n += int64(n)
		if err != nil {
			return ErrHeader
		}
	}
	return nil
}

// Next reads the next tag. It returns io.EOF when the stream ends at a
// tag boundary, io.ErrUnexpectedEOF when it ends inside a tag, ErrTag
// (wrapped) for a tag that is not FLV, and the reader's error otherwise.
func (rd *Reader) Next(t *Tag) error {
	h := rd.grow(tagHeaderSize)
	n, err := io.ReadFull(rd.r, h)
	rd.n += int64(n)
	if err != nil {
		return err
	}
	typ := h[0] & 0x1f // the top bits are reserved and the filter flag
	size := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	ts := uint32(h[7])<<24 | uint32(h[4])<<16 | uint32(h[5])<<8 | uint32(h[6])
	if typ != TypeAudio && typ != TypeVideo && typ != TypeScript {
		return fmt.Errorf("%w: tag type %d", ErrTag, typ)
	}
	if h[0]&0x20 != 0 {
		return fmt.Errorf("%w: encrypted tags are not supported", ErrTag)
	}
	if h[8]|h[9]|h[10] != 0 {
		return fmt.Errorf("%w: stream id is not 0", ErrTag)
	}
	b := rd.grow(size + 4)
	n, err = io.ReadFull(rd.r, b)
	rd.n += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if prev := binary.BigEndian.Uint32(b[size:]); prev != uint32(size+tagHeaderSize) {
		return fmt.Errorf("%w: PreviousTagSize %d after a tag of %d bytes", ErrTag, prev, size+tagHeaderSize)
	}
	t.Type, t.Timestamp, t.Data = typ, ts, b[:size]
	return nil
}

// grow returns the reader's buffer resized to n bytes.
func (rd *Reader) grow(n int) []byte {
	if cap(rd.buf) < n {
		rd.buf = make([]byte, n, max(n, 2*cap(rd.buf)))
	}
	return rd.buf[:n]
}
