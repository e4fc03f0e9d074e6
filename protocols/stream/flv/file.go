package flv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// File is an FLV file held in memory, split into its tags once so that a
// publisher can send it again and again without parsing or copying it.
// It is immutable and safe for concurrent use.
type File struct {
	Header Header
	// Tags are in file order; their Data alias the file's bytes.
	Tags []Tag
	// Duration is the span of the media tags' timestamps plus one frame
	// interval: how long one pass over the file plays, so that a loop
	// starts the next pass one frame after the last.
	Duration uint32 // milliseconds
}

// ParseFile splits an FLV file into its tags. It needs at least one audio
// or video tag, and timestamps that do not go backwards by more than a
// second (a file that loops or joins clips would play at the wrong pace).
func ParseFile(data []byte) (*File, error) {
	var rd Reader
	rd.Reset(bytes.NewReader(data))
	if err := rd.ReadHeader(); err != nil {
		return nil, err
	}
	f := &File{Header: rd.Header}
	off := rd.Bytes()
	var first, last, prevVideo, lastVideo uint32
	media := 0
	for {
		var t Tag
		err := rd.Next(&t)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("tag at byte %d: %w", off, err)
		}
		// Alias the file, not the reader's buffer, which the next tag
		// overwrites.
		start := off + tagHeaderSize
		t.Data = data[start : start+int64(len(t.Data)) : start+int64(len(t.Data))]
		off = rd.Bytes()
		if t.Type != TypeScript {
			if media == 0 {
				first = t.Timestamp
			} else if t.Timestamp+1000 < last {
				return nil, fmt.Errorf("tag at byte %d: timestamp %d ms goes back from %d ms", start-tagHeaderSize, t.Timestamp, last)
			}
			last = max(last, t.Timestamp)
			media++
			if t.Type == TypeVideo {
				prevVideo, lastVideo = lastVideo, t.Timestamp
			}
		}
		f.Tags = append(f.Tags, t)
	}
	if media == 0 {
		return nil, errors.New("the FLV file has no audio or video tag")
	}
	frame := uint32(40) // 25 fps, when the file has fewer than two video tags
	if lastVideo > prevVideo && lastVideo-prevVideo < 1000 {
		frame = lastVideo - prevVideo
	}
	f.Duration = last - first + frame
	return f, nil
}
