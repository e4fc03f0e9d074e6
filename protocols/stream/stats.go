package stream

import "time"

// Stats is what one play or publish measured. The caller owns it; a call
// resets it first. Audio and video figures count what was received by a
// play and what was sent by a publish (Publish says which).
type Stats struct {
	Publish bool
	Start   time.Time
	End     time.Time
	// Ready is the time from Start until the server accepted the play or
	// publish: the stream's response headers (HTTP-FLV), the media
	// playlist (HLS), NetStream.Play.Start or NetStream.Publish.Start
	// (RTMP). 0 when it never did.
	Ready time.Duration
	// Startup is the time from Start to the first media: the first audio
	// or video tag (HTTP-FLV, RTMP play), the first segment downloaded
	// (HLS), the first tag written (RTMP publish). 0 when none came.
	Startup time.Duration

	// Packets and bytes of media: FLV tags or RTMP messages of type audio
	// or video, and their payload bytes (the tag data, without FLV or
	// RTMP framing). HLS leaves them 0: it counts segments.
	AudioPackets, VideoPackets int64
	AudioBytes, VideoBytes     int64

	// KeyFrames counts video key frames (coded frames, not codec
	// configurations). A key frame's delay is the time since the previous
	// key frame, or since Start for the first: FirstKeyFrame is that first
	// delay, and the sum, minimum and maximum cover every key frame.
	KeyFrames                          int64
	FirstKeyFrame                      time.Duration
	KeyFrameDelaySum                   time.Duration
	KeyFrameDelayMin, KeyFrameDelayMax time.Duration

	// Segments counts the HLS media segments downloaded whole, and
	// SegmentTime the time spent getting them (waiting for the playlist
	// to list them included).
	Segments    int64
	SegmentTime time.Duration

	// Stalls counts the times the viewer ran out of media, and StallTime
	// adds up how long it waited: see docs/streaming.md for each
	// protocol's rule.
	Stalls    int64
	StallTime time.Duration

	// Sent and Recv count every byte the play or publish sent and
	// received over its connections, protocol framing included and TLS
	// excluded (HTTP headers, RTMP chunks and commands, playlists).
	Sent, Recv int64

	// Cut is set when the context was canceled before the duration ended:
	// the run was stopped, and the play has no outcome to record.
	Cut bool
	// Fail is nil on success.
	Fail *Failure
}

// keyFrame records a key frame seen at now.
func (s *Stats) keyFrame(now time.Time, last *time.Time) {
	d := now.Sub(*last)
	*last = now
	if s.KeyFrames == 0 {
		s.FirstKeyFrame, s.KeyFrameDelayMin = d, d
	}
	s.KeyFrames++
	s.KeyFrameDelaySum += d
	s.KeyFrameDelayMin = min(s.KeyFrameDelayMin, d)
	s.KeyFrameDelayMax = max(s.KeyFrameDelayMax, d)
}

// gap records a time without media; one longer than the threshold is a
// stall, and all of it counts as stall time.
func (s *Stats) gap(d, threshold time.Duration) {
	if d > threshold {
		s.Stalls++
		s.StallTime += d
	}
}

// Defaults for the options of every client. Zero in an option means its
// default.
const (
	// DefaultConnectTimeout bounds dialing (and TLS), as for HTTP steps.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultTimeout bounds every wait for the server: response headers,
	// an RTMP command's answer, and the next bytes of a stream. A stream
	// silent for this long fails.
	DefaultTimeout = 5 * time.Second
	// DefaultStallAfter is the gap between media packets that counts as a
	// stall for HTTP-FLV and RTMP play: a player's buffer of a second.
	DefaultStallAfter = time.Second
)

// Options are the settings every play and publish shares.
type Options struct {
	URL string
	// Duration is how long the play or publish lasts; it must be > 0.
	Duration       time.Duration
	ConnectTimeout time.Duration // 0: DefaultConnectTimeout
	Timeout        time.Duration // 0: DefaultTimeout
	StallAfter     time.Duration // 0: DefaultStallAfter
	// TLSVerify checks the server's certificate for https://.
	TLSVerify bool
}

func (o *Options) connectTimeout() time.Duration {
	if o.ConnectTimeout > 0 {
		return o.ConnectTimeout
	}
	return DefaultConnectTimeout
}

func (o *Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o *Options) stallAfter() time.Duration {
	if o.StallAfter > 0 {
		return o.StallAfter
	}
	return DefaultStallAfter
}
