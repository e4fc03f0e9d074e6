package scenario

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/perfcase/perfcase/protocols/stream/flv"
)

// This file is the streaming steps, hls:, flv: and rtmp:, from the YAML
// tree to the plan and back: a play (or an RTMP publish) of a stream for
// a duration, as a viewer (or an encoder) does, one sample in the request
// tables. docs/streaming.md says what a play measures.

// Variant is how an HLS play picks a variant of a master playlist
// (PerfTest's bitrate_type, whose codes are the constants' values).
type Variant uint8

const (
	VariantFirst   Variant = iota // the first listed, where RFC 8216 starts players (bitrate_type 0)
	VariantHighest                // the highest BANDWIDTH (1)
	VariantLowest                 // the lowest BANDWIDTH (2)
)

// VariantNames are the values of variant:, in code order.
var VariantNames = []string{"first", "highest", "lowest"}

func (v Variant) String() string {
	if int(v) < len(VariantNames) {
		return VariantNames[v]
	}
	return "variant " + strconv.Itoa(int(v))
}

// StreamRequest is a streaming step: an HLS or HTTP-FLV play, or an RTMP
// play or publish. The fields a protocol does not read stay zero.
type StreamRequest struct {
	URL      string
	URLPos   Pos
	Duration time.Duration // how long the play lasts; required
	// HLS only: the variant of a master playlist, and the wait between
	// polls of a live playlist that has no new segment and how many such
	// polls end the play (0: the defaults, half the target duration and
	// 3).
	Variant    Variant
	RetryDelay time.Duration
	Retries    int
	// Publish is the FLV file an RTMP step publishes, relative to the
	// scenario; "" plays.
	Publish        string
	PublishPos     Pos
	ConnectTimeout time.Duration // 0: the default (5s)
	Timeout        time.Duration // every wait for the server; 0: the default (5s)
	// StallAfter is the gap between media packets that counts as a stall
	// (HTTP-FLV and RTMP play); 0: the default (1s).
	StallAfter time.Duration
	TLSVerify  bool // HLS and HTTP-FLV over https; true unless tls_verify: false
}

// The keys of each streaming step.
var (
	hlsKeys  = []string{"name", "url", "variant", "duration", "retry_delay", "retries", "connect_timeout", "timeout", "tls_verify"}
	flvKeys  = []string{"name", "url", "duration", "connect_timeout", "timeout", "stall_after", "tls_verify"}
	rtmpKeys = []string{"name", "url", "duration", "publish", "connect_timeout", "timeout", "stall_after"}
)

// streamSchemes are the URL schemes each streaming protocol plays.
var streamSchemes = map[Protocol][]string{HLS: {"http://", "https://"}, FLV: {"http://", "https://"}, RTMP: {"rtmp://"}}

func (w *walker) streamRequest(proto Protocol, v *yaml.Node, r *Request) *StreamRequest {
	s := &StreamRequest{TLSVerify: true}
	keys := map[Protocol][]string{HLS: hlsKeys, FLV: flvKeys, RTMP: rtmpKeys}[proto]
	m := w.asMapping(v, proto.String(), keys...)
	if m == nil {
		return s
	}
	if n := m.get("name"); n != nil {
		r.Name = w.str(n, "name")
	}
	if !m.has("url") {
		w.errorf(m.node, "add url: "+streamSchemes[proto][0]+"host/…", "a %s step needs a url", proto)
	}
	if n := m.get("url"); n != nil {
		s.URL, s.URLPos = w.str(n, "url"), w.valuePos(n)
	}
	if n := m.get("duration"); n != nil {
		s.Duration = w.duration(n, "duration")
		if s.Duration == 0 {
			w.errorf(n, "e.g. duration: 30s", "a play's duration must be above 0")
		}
	} else {
		w.errorf(m.node, "add duration: how long each play lasts, e.g. duration: 30s", "a %s step needs a duration", proto)
	}
	if n := m.get("variant"); n != nil {
		name := w.str(n, "variant")
		i := slices.Index(VariantNames, name)
		if i < 0 {
			w.errorf(n, didYouMean(name, VariantNames), "variant must be one of: %s, got %q", strings.Join(VariantNames, ", "), name)
		}
		s.Variant = Variant(max(i, 0))
	}
	if n := m.get("retry_delay"); n != nil {
		s.RetryDelay = w.duration(n, "retry_delay")
	}
	if n := m.get("retries"); n != nil {
		s.Retries = w.nonNegInt(n, "retries")
	}
	if n := m.get("publish"); n != nil {
		s.Publish, s.PublishPos = w.str(n, "publish"), w.valuePos(n)
		if s.Publish == "" {
			w.errorf(n, "name an FLV file, relative to the scenario, e.g. publish: data/clip.flv", "publish needs a file")
		}
		if m.has("stall_after") {
			w.errs.add(m.keyPos("stall_after"), "remove it: a publisher does not wait for media", "stall_after applies to a play, not a publish")
		}
	}
	if n := m.get("connect_timeout"); n != nil {
		s.ConnectTimeout = w.duration(n, "connect_timeout")
	}
	if n := m.get("timeout"); n != nil {
		s.Timeout = w.duration(n, "timeout")
	}
	if n := m.get("stall_after"); n != nil {
		s.StallAfter = w.duration(n, "stall_after")
	}
	if n := m.get("tls_verify"); n != nil {
		s.TLSVerify = w.boolean(n, "tls_verify")
	}
	return s
}

// StreamSpec is a compiled streaming step: an HLS or HTTP-FLV play, or an
// RTMP play or publish.
type StreamSpec struct {
	URL            *Template
	Duration       time.Duration
	Variant        Variant       // HLS
	RetryDelay     time.Duration // HLS; 0: half the target duration
	Retries        int           // HLS; 0: 3
	ConnectTimeout time.Duration
	Timeout        time.Duration
	StallAfter     time.Duration // 0: 1s
	TLSVerify      bool
	// Publish is the FLV file an RTMP publish sends, parsed before the
	// run; nil plays.
	Publish *flv.File
}

func (*StreamSpec) spec() {}

// Endpoint is the URL's scheme and host, as written: an HLS or HTTP-FLV
// viewer keeps its HTTP connections per origin, and an RTMP play holds
// one connection at a time.
func (s *StreamSpec) Endpoint() string { return origin(s.URL.Src) }

func (cc *caseCompiler) streamSpec(proto Protocol, s *StreamRequest) *StreamSpec {
	sp := &StreamSpec{URL: cc.template(s.URL, s.URLPos), Duration: s.Duration, Variant: s.Variant, RetryDelay: s.RetryDelay, Retries: s.Retries,
		ConnectTimeout: orDefault(s.ConnectTimeout, DefaultConnectTimeout), Timeout: orDefault(s.Timeout, DefaultTimeout),
		StallAfter: orDefault(s.StallAfter, DefaultStallAfter), TLSVerify: s.TLSVerify}
	if u := sp.URL.Static(); sp.URL.IsStatic() && u != "" {
		schemes := streamSchemes[proto]
		ok := false
		for _, p := range schemes {
			ok = ok || strings.HasPrefix(u, p)
		}
		if !ok {
			cc.errs.add(s.URLPos, "start the URL with "+strings.Join(schemes, " or "), "url %q has no %s scheme", u, strings.Join(schemes, " or "))
		}
	}
	if s.Publish != "" {
		data, err := cc.readData(cc.dataPath(s.Publish), MaxPublishFileSize)
		if err != nil {
			msg, hint := dataError(err)
			cc.errs.add(s.PublishPos, hint, "publish: cannot read %s: %s", s.Publish, msg)
			return sp
		}
		f, err := flv.ParseFile(data)
		if err != nil {
			cc.errs.add(s.PublishPos, "publish an FLV file with audio or video tags (ffmpeg -i in.mp4 -c copy out.flv)", "publish: %s: %v", s.Publish, err)
			return sp
		}
		sp.Publish = f
	}
	return sp
}

// DefaultStallAfter is the gap between media packets that counts as a
// stall when a step sets none: a player's buffer of a second.
const DefaultStallAfter = time.Second

// MaxPublishFileSize bounds the FLV file an RTMP step publishes, which
// the run holds in memory.
const MaxPublishFileSize = 256 << 20

func (fm *formatter) streamRequest(m *ymap, s *StreamRequest) {
	m.add("url", yStr(s.URL))
	if s.Variant != VariantFirst {
		m.add("variant", yStr(s.Variant.String()))
	}
	m.add("duration", yDur(s.Duration))
	if s.RetryDelay != 0 {
		m.add("retry_delay", yDur(s.RetryDelay))
	}
	if s.Retries != 0 {
		m.add("retries", yInt(s.Retries))
	}
	if s.Publish != "" {
		m.add("publish", yStr(s.Publish))
	}
	if s.ConnectTimeout != 0 {
		m.add("connect_timeout", yDur(s.ConnectTimeout))
	}
	if s.Timeout != 0 {
		m.add("timeout", yDur(s.Timeout))
	}
	if s.StallAfter != 0 {
		m.add("stall_after", yDur(s.StallAfter))
	}
	if !s.TLSVerify {
		m.add("tls_verify", yBool(false))
	}
}

// capStream checks a streaming step's values against the caps of the
// durations and counts inside a pass.
func capStream(s *StreamRequest, long func(string, time.Duration), many func(string, int64, int64)) {
	long("duration", s.Duration)
	many("retries", int64(s.Retries), MaxLoops)
	long("retry_delay", s.RetryDelay)
	long("connect_timeout", s.ConnectTimeout)
	long("timeout", s.Timeout)
	long("stall_after", s.StallAfter)
}
