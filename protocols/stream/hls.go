package stream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/perfcase/perfcase/metrics"
)

// HLSOptions are an HLS play's settings.
type HLSOptions struct {
	Options
	Bitrate Bitrate
	// RetryDelay is the wait between two polls of a live playlist that
	// does not list the next segment yet; 0 is half the target duration,
	// what RFC 8216 §6.3.4 asks of a client whose playlist did not change.
	RetryDelay time.Duration
	// RetryTime is how many such polls the player makes before the play
	// fails with retryFailed; 0 is DefaultRetryTime.
	RetryTime int
}

// DefaultRetryTime is how many times a player polls a live playlist for a
// segment that is late before it gives up.
const DefaultRetryTime = 3

// liveStart is how many segments from the end of a live playlist a player
// starts: RFC 8216 §6.3.3 says no closer than three target durations.
const liveStart = 3

// HLSPlayer is one VU's HLS viewer. It keeps its connections and buffers
// between plays. It is not safe for concurrent use.
type HLSPlayer struct {
	h     httpClient
	body  []byte // the last playlist read
	chunk []byte // a segment is read through it and dropped
	pl    Playlist
	timer *time.Timer
}

// Close drops the player's kept connections.
func (p *HLSPlayer) Close() { p.h.Close() }

// Play plays o.URL, a master or a media playlist, for o.Duration (or, for
// a playlist that has ended, until its last segment has played, if that
// comes first) and fills st. Segments are fetched in order at a player's
// pace: the next segment is fetched when the one before it starts playing,
// so the player holds one segment ahead. docs/streaming.md defines the
// pace, the stalls and every failure.
func (p *HLSPlayer) Play(ctx context.Context, o *HLSOptions, st *Stats) {
	*st = Stats{Start: time.Now()}
	end := st.Start.Add(o.Duration)
	defer p.h.m.finish(ctx, st, end)
	p.h.m.start(end, o.timeout())
	raw, host, f := httpURL(o.URL)
	if f != nil {
		st.Fail = f
		return
	}
	s := hlsPlay{p: p, o: o, st: st, ctx: ctx, c: p.h.client(&o.Options), host: host, end: end}
	u, _ := url.Parse(raw)
	if st.Fail = s.playlist(u); st.Fail != nil {
		return
	}
	if p.pl.Master {
		v := p.pl.Variants[o.Bitrate.choose(p.pl.Variants)]
		ref, err := url.Parse(v.URI)
		if err != nil {
			st.Fail = fixed(ParseFileFailed, metrics.ParseFailed, host+": the master playlist's variant URI does not parse", err)
			return
		}
		u = u.ResolveReference(ref)
		if st.Fail = s.playlist(u); st.Fail != nil {
			return
		}
		if p.pl.Master {
			st.Fail = fixed(ParseFileFailed, metrics.ParseFailed, host+": a variant of the master playlist is a master playlist", nil)
			return
		}
	}
	st.Ready = time.Since(st.Start)
	st.Fail = s.segments(u)
}

// hlsPlay is one play in progress.
type hlsPlay struct {
	p    *HLSPlayer
	o    *HLSOptions
	st   *Stats
	ctx  context.Context
	c    *http.Client
	host string
	end  time.Time
}

// segments fetches the media playlist u's segments in order until the
// play's end.
func (s *hlsPlay) segments(u *url.URL) *Failure {
	pl := &s.p.pl
	next := pl.MediaSequence
	if !pl.Ended {
		next += int64(max(0, len(pl.Segments)-liveStart))
	}
	var playing time.Time // when the segment before next started to play
	var playingDur time.Duration
	for {
		due := time.Now()
		i, f := s.find(u, next)
		if f != nil {
			return f
		}
		if i < 0 {
			if s.st.Segments == 0 {
				return refused(PlayFailed, s.host+": the playlist has ended and lists no segment")
			}
			// The playlist has ended and every segment has been fetched:
			// the viewer watches to the end of the last one.
			s.sleep(playing.Add(playingDur))
			return nil
		}
		seg := pl.Segments[i]
		ref, err := url.Parse(seg.URI)
		if err != nil {
			return fixed(ParseFileFailed, metrics.ParseFailed, s.host+": a segment URI does not parse", err)
		}
		if f := s.fetch(u.ResolveReference(ref)); f != nil {
			return f
		}
		ready := time.Now()
		if !ready.Before(s.end) {
			return s.ended()
		}
		st := s.st
		st.Segments++
		st.SegmentTime += ready.Sub(due)
		if playing.IsZero() {
			st.Startup, playing = ready.Sub(st.Start), ready
		} else {
			// The segment plays once the one before it has played, or,
			// when it came later than that, once it is here: the player
			// waited without media for the difference.
			starts := playing.Add(playingDur)
			if wait := ready.Sub(starts); wait > 0 {
				st.Stalls++
				st.StallTime += wait
				starts = ready
			}
			// The next fetch is due when this segment starts playing.
			if !s.sleep(starts) {
				return s.ended()
			}
			playing = starts
		}
		playingDur = seg.Duration
		next = pl.MediaSequence + int64(i) + 1
	}
}

// find returns the index of segment seq in the playlist, polling a live
// playlist that does not list it yet, or -1 when an ended playlist has no
// more. A live playlist whose window has moved past seq skips to its first
// segment, as a player that fell behind does.
func (s *hlsPlay) find(u *url.URL, seq int64) (int, *Failure) {
	pl := &s.p.pl
	delay := s.o.RetryDelay
	if delay <= 0 {
		delay = pl.TargetDuration / 2
	}
	tries := s.o.RetryTime
	if tries <= 0 {
		tries = DefaultRetryTime
	}
	for poll := 0; ; poll++ {
		i := seq - pl.MediaSequence
		switch {
		case i < 0:
			return 0, nil
		case i < int64(len(pl.Segments)):
			return int(i), nil
		case pl.Ended:
			return -1, nil
		case poll > tries:
			return 0, fixed(RetryFailed, metrics.Timeout, s.host+": no new segment in the live playlist after "+strconv.Itoa(tries)+" polls", nil)
		}
		// The first reload is at once: the segment is due now. Each later
		// one is a poll, after the retry delay.
		if poll > 0 && !s.sleep(time.Now().Add(delay)) {
			return 0, s.ended()
		}
		if f := s.playlist(u); f != nil {
			return 0, f
		}
		if pl.Master {
			return 0, fixed(ParseFileFailed, metrics.ParseFailed, s.host+": the media playlist became a master playlist", nil)
		}
	}
}

// ended is the play's end reached while waiting: success once media has
// played, a failed play when none came.
func (s *hlsPlay) ended() *Failure {
	if s.st.Segments > 0 || s.ctx.Err() != nil {
		return nil
	}
	return fixed(PlayFailed, metrics.Timeout, s.host+": no segment within the duration", nil)
}

// sleep waits until t, the play's end or the context's, and reports
// whether t came first.
func (s *hlsPlay) sleep(t time.Time) bool {
	if t.After(s.end) {
		t = s.end
	}
	d := time.Until(t)
	if d <= 0 {
		return t.Before(s.end) && s.ctx.Err() == nil
	}
	p := s.p
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-p.timer.C:
		return t.Before(s.end)
	case <-s.ctx.Done():
		p.timer.Stop()
		return false
	}
}

// playlist fetches and parses the playlist at u into the player's.
func (s *hlsPlay) playlist(u *url.URL) *Failure {
	resp, f := s.get(u)
	if f != nil {
		return f
	}
	defer resp.Body.Close()
	p := s.p
	p.body = p.body[:0]
	for {
		if len(p.body) == cap(p.body) {
			p.body = append(p.body, 0)[:len(p.body)]
		}
		n, err := resp.Body.Read(p.body[len(p.body):cap(p.body)])
		p.body = p.body[:len(p.body)+n]
		if len(p.body) > maxPlaylist {
			return fixed(ParseFileFailed, metrics.ParseFailed, s.host+": the playlist is over 4 MiB", nil)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.readFailure(err)
		}
	}
	if err := ParsePlaylist(p.body, &p.pl); err != nil {
		return fixed(ParseFileFailed, metrics.ParseFailed, s.host+": "+err.Error(), err)
	}
	return nil
}

// fetch downloads one segment and drops it.
func (s *hlsPlay) fetch(u *url.URL) *Failure {
	resp, f := s.get(u)
	if f != nil {
		return f
	}
	defer resp.Body.Close()
	p := s.p
	if p.chunk == nil {
		p.chunk = make([]byte, 32<<10)
	}
	for {
		_, err := resp.Body.Read(p.chunk)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s.readFailure(err)
		}
	}
}

// get sends a GET and checks its status.
func (s *hlsPlay) get(u *url.URL) (*http.Response, *Failure) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fixed(IllegalURLFailed, metrics.Other, s.host+": a playlist names a URL that is not valid", err)
	}
	resp, err := s.c.Do(req)
	if err != nil {
		if !time.Now().Before(s.end) {
			return nil, s.ended()
		}
		return nil, httpFailure("GET "+u.Host, err, s.end)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		return nil, refused(PlayFailed, "GET "+u.Host+": HTTP "+strconv.Itoa(resp.StatusCode))
	}
	return resp, nil
}

func (s *hlsPlay) readFailure(err error) *Failure {
	if !time.Now().Before(s.end) {
		return s.ended()
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fixed(PlayFailed, metrics.Other, s.host+": the server closed the connection in the middle of a response", err)
	}
	return netFailure(PlayFailed, "read from "+s.host, err, true)
}
