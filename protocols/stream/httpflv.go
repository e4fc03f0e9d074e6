package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/stream/flv"
)

// FLVPlayer is one VU's HTTP-FLV viewer: a GET whose response is an FLV
// stream, read tag by tag as it arrives for the play's duration. It keeps
// its buffers between plays, so a steady play allocates nothing per tag.
// It is not safe for concurrent use.
type FLVPlayer struct {
	h   httpClient
	rd  flv.Reader
	tag flv.Tag
}

// Close drops the player's kept connections.
func (p *FLVPlayer) Close() { p.h.Close() }

// Play plays o.URL for o.Duration and fills st. The play succeeds when
// media arrived and the stream lasted the duration; it fails when the
// server refuses it (a status other than 2xx), sends something that is
// not FLV, ends the stream early, or is silent for the timeout. ctx
// canceled before the duration ends cuts the play (st.Cut).
func (p *FLVPlayer) Play(ctx context.Context, o *Options, st *Stats) {
	*st = Stats{Start: time.Now()}
	end := st.Start.Add(o.Duration)
	defer p.h.m.finish(ctx, st, end)
	p.h.m.start(end, o.timeout())
	u, host, f := httpURL(o.URL)
	if f != nil {
		st.Fail = f
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		st.Fail = fixed(IllegalURLFailed, metrics.Other, "the URL is not a valid HTTP URL", err)
		return
	}
	resp, err := p.h.client(o).Do(req)
	if err != nil {
		st.Fail = httpFailure("GET "+host, err, end)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		st.Fail = refused(PlayFailed, "GET "+host+": HTTP "+strconv.Itoa(resp.StatusCode))
		return
	}
	st.Ready = time.Since(st.Start)
	p.rd.Reset(resp.Body)
	if err := p.rd.ReadHeader(); err != nil {
		if errors.Is(err, flv.ErrHeader) {
			st.Fail = fixed(IllegalFLVHeader, metrics.ParseFailed, host+": "+err.Error(), err)
		} else {
			st.Fail = streamFailure(host, err, end, st)
		}
		return
	}
	var lastMedia, lastKey time.Time
	stall := o.stallAfter()
	for {
		err := p.rd.Next(&p.tag)
		now := time.Now()
		if err != nil {
			if lastMedia.IsZero() || now.Before(end) {
				st.Fail = streamFailure(host, err, end, st)
				return
			}
			// The duration ended: the silence since the last packet
			// counts like any other.
			st.gap(end.Sub(lastMedia), stall)
			return
		}
		if p.tag.Type == flv.TypeScript {
			continue
		}
		if lastMedia.IsZero() {
			st.Startup, lastKey = now.Sub(st.Start), st.Start
		} else {
			st.gap(now.Sub(lastMedia), stall)
		}
		lastMedia = now
		if p.tag.Type == flv.TypeAudio {
			st.AudioPackets++
			st.AudioBytes += int64(len(p.tag.Data))
		} else {
			st.VideoPackets++
			st.VideoBytes += int64(len(p.tag.Data))
			if p.tag.KeyFrame() {
				st.keyFrame(now, &lastKey)
			}
		}
	}
}

// httpURL checks that raw is an http:// or https:// URL with a host, and
// returns it with the host to name in messages.
func httpURL(raw string) (string, string, *Failure) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", "", fixed(IllegalURLFailed, metrics.Other, "the URL is not http:// or https:// with a host (and no user:password@)", nil)
	}
	return raw, u.Host, nil
}

// httpFailure sorts the error of a request that got no response: a
// failed dial is tcpConnectFailed (or httpTimeoutFailed when it timed
// out), a failed TLS handshake handShakeFailed, anything later a failed
// play, and a request the play's end cut a play that never started.
func httpFailure(what string, err error, end time.Time) *Failure {
	if !time.Now().Before(end) {
		return fixed(PlayFailed, metrics.Timeout, what+": no media within the duration", err)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return netFailure(TCPConnectFailed, what, err, true)
	}
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	if errors.As(err, &certErr) || errors.As(err, &recErr) || errors.As(err, &alert) {
		// The TLS handshake of https:// is the handshake that failed.
		return netFailure(HandshakeFailed, what, err, true)
	}
	return netFailure(PlayFailed, what, err, true)
}

// streamFailure sorts an error that ended a stream being read.
func streamFailure(host string, err error, end time.Time, st *Stats) *Failure {
	switch {
	case errors.Is(err, flv.ErrTag):
		return fixed(ParseFLVFailed, metrics.ParseFailed, host+": "+err.Error(), err)
	case !time.Now().Before(end):
		return fixed(PlayFailed, metrics.Timeout, host+": no media within the duration", err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fixed(PlayFailed, metrics.Other, host+": the server ended the stream after "+time.Since(st.Start).Round(time.Millisecond).String(), err)
	}
	return netFailure(PlayFailed, "read stream from "+host, err, true)
}
