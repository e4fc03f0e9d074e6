package stream

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Playlist is an HLS playlist (RFC 8216): a master playlist listing
// variants, or a media playlist listing segments. Only what a player needs
// to choose a variant and fetch segments in order is kept; other tags are
// skipped, as the RFC tells clients to skip tags they do not know.
type Playlist struct {
	Master   bool
	Variants []Variant // master playlists only, in file order

	TargetDuration time.Duration
	MediaSequence  int64 // the sequence number of Segments[0]
	Segments       []Segment
	Ended          bool // #EXT-X-ENDLIST: no segment will be added (VOD, or a live event that ended)
}

// Variant is one #EXT-X-STREAM-INF of a master playlist.
type Variant struct {
	URI       string
	Bandwidth int64 // bits per second, as the playlist declares it
}

// Segment is one media segment.
type Segment struct {
	URI      string
	Duration time.Duration
}

// maxPlaylist bounds a playlist's size: a live window is a few KB, and a
// VOD list of 10,000 segments about 500 KB.
const maxPlaylist = 4 << 20

// ParsePlaylist parses b into pl, reusing its slices. An error names the
// line.
func ParsePlaylist(b []byte, pl *Playlist) error {
	*pl = Playlist{Variants: pl.Variants[:0], Segments: pl.Segments[:0]}
	line := 0
	next := func() (string, bool) {
		for len(b) > 0 {
			var l []byte
			l, b, _ = bytes.Cut(b, []byte{'\n'})
			line++
			if s := strings.TrimSpace(string(l)); s != "" {
				return s, true
			}
		}
		return "", false
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("playlist line %d: "+format, append([]any{line}, a...)...)
	}
	first, ok := next()
	if !ok || strings.TrimPrefix(first, "\ufeff") != "#EXTM3U" {
		return errors.New("playlist line 1: not an HLS playlist (no #EXTM3U)")
	}
	var dur time.Duration
	inf, streamInf := false, false
	var bw int64
	haveTarget := false
	for {
		l, ok := next()
		if !ok {
			break
		}
		if !strings.HasPrefix(l, "#") {
			switch {
			case streamInf:
				pl.Variants = append(pl.Variants, Variant{URI: l, Bandwidth: bw})
				streamInf = false
			case inf:
				pl.Segments = append(pl.Segments, Segment{URI: l, Duration: dur})
				inf = false
			default:
				return fail("URI %q without #EXTINF or #EXT-X-STREAM-INF before it", clip(l))
			}
			continue
		}
		tag, val, _ := strings.Cut(l, ":")
		switch tag {
		case "#EXT-X-STREAM-INF":
			pl.Master, streamInf = true, true
			v, ok := attr(val, "BANDWIDTH")
			n, err := strconv.ParseInt(v, 10, 64)
			if !ok || err != nil || n < 0 {
				return fail("#EXT-X-STREAM-INF without a valid BANDWIDTH")
			}
			bw = n
		case "#EXTINF":
			d, _, _ := strings.Cut(val, ",")
			f, err := strconv.ParseFloat(strings.TrimSpace(d), 64)
			if err != nil || f < 0 || f > 86400 || math.IsNaN(f) {
				return fail("#EXTINF duration %q is not a number of seconds", clip(d))
			}
			dur, inf = time.Duration(f*float64(time.Second)), true
		case "#EXT-X-TARGETDURATION":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 || n > 86400 {
				return fail("#EXT-X-TARGETDURATION %q is not a positive number of seconds", clip(val))
			}
			pl.TargetDuration, haveTarget = time.Duration(n)*time.Second, true
		case "#EXT-X-MEDIA-SEQUENCE":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 {
				return fail("#EXT-X-MEDIA-SEQUENCE %q is not a sequence number", clip(val))
			}
			pl.MediaSequence = n
		case "#EXT-X-ENDLIST":
			pl.Ended = true
		}
	}
	switch {
	case streamInf || inf:
		return fail("the playlist ends after a tag that needs a URI on the next line")
	case pl.Master && len(pl.Segments) > 0:
		return fail("the playlist mixes variants and segments")
	case !pl.Master && !haveTarget:
		return fail("a media playlist without #EXT-X-TARGETDURATION")
	}
	return nil
}

// attr returns the value of one attribute of an attribute list
// (RFC 8216 §4.2), unquoted.
func attr(list, name string) (string, bool) {
	for list != "" {
		var k string
		k, list, _ = strings.Cut(list, "=")
		var v string
		if strings.HasPrefix(list, `"`) {
			end := strings.IndexByte(list[1:], '"')
			if end < 0 {
				return "", false
			}
			v, list = list[1:1+end], list[2+end:]
			list = strings.TrimPrefix(list, ",")
		} else {
			v, list, _ = strings.Cut(list, ",")
		}
		if strings.TrimSpace(k) == name {
			return v, true
		}
	}
	return "", false
}

// clip shortens a quoted piece of a playlist for a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Bitrate is how a player picks a variant of a master playlist: PerfTest's
// bitrate_type ("resolution strategy"), whose codes perfcase defines.
type Bitrate uint8

const (
	// BitrateFirst plays the first variant listed, where RFC 8216 tells
	// clients to start. The default.
	BitrateFirst Bitrate = 0
	// BitrateHighest plays the variant of highest BANDWIDTH (the first of
	// equals).
	BitrateHighest Bitrate = 1
	// BitrateLowest plays the variant of lowest BANDWIDTH (the first of
	// equals).
	BitrateLowest Bitrate = 2
)

// choose returns the index of the variant b picks; vs is not empty.
func (b Bitrate) choose(vs []Variant) int {
	pick := 0
	for i, v := range vs {
		switch {
		case b == BitrateHighest && v.Bandwidth > vs[pick].Bandwidth,
			b == BitrateLowest && v.Bandwidth < vs[pick].Bandwidth:
			pick = i
		}
	}
	return pick
}
