package output

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfcase/perfcase/metrics"
)

// HistWriter builds a series' hists (PerfcaseSeriesCurve.Hists) one
// bucket at a time: per bucket, the length of its histogram's compact
// form (metrics.Coarse.AppendCompact) as an unsigned varint, then that
// form; all of it compressed with DEFLATE (RFC 1951) and written in
// standard base64. Neighbouring buckets count similar response times, so
// DEFLATE takes out most of what they repeat.
type HistWriter struct {
	raw     []byte
	compact []byte
}

// Add appends the next bucket's histogram.
func (w *HistWriter) Add(c *metrics.Coarse) {
	w.compact = c.AppendCompact(w.compact[:0])
	w.raw = binary.AppendUvarint(w.raw, uint64(len(w.compact)))
	w.raw = append(w.raw, w.compact...)
}

// String is the hists of the buckets added.
func (w *HistWriter) String() string {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression) // the level is valid
	zw.Write(w.raw)
	zw.Close() // writing to memory cannot fail
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// maxHistsBytes bounds what DecodeHists inflates: a bucket's histogram
// takes at most 4,810 bytes, and a report at most
// reporters.MaxChartPoints buckets per series.
const maxHistsBytes = 2700 * 4810

// DecodeHists reads a series' hists, which must hold n buckets.
func DecodeHists(s string, n int) ([]metrics.Coarse, error) {
	z, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("hists is not base64: %v", err)
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(z)), maxHistsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("hists is not DEFLATE data: %v", err)
	}
	if len(raw) > maxHistsBytes {
		return nil, errors.New("hists inflates past any report's size")
	}
	out := make([]metrics.Coarse, 0, n)
	for len(raw) > 0 {
		size, k := binary.Uvarint(raw)
		if k <= 0 || size > uint64(len(raw)-k) {
			return nil, fmt.Errorf("hists: bucket %d's length is wrong", len(out))
		}
		raw = raw[k:]
		if len(out) == n {
			return nil, fmt.Errorf("hists has more than %d buckets", n)
		}
		out = append(out, metrics.Coarse{})
		if err := out[len(out)-1].AddCompact(raw[:size]); err != nil {
			return nil, fmt.Errorf("hists: bucket %d: %v", len(out)-1, err)
		}
		raw = raw[size:]
	}
	if len(out) != n {
		return nil, fmt.Errorf("hists has %d buckets, not %d", len(out), n)
	}
	return out, nil
}

// EncodeHist writes a series' HDR histogram as PerfcaseSeriesCurve.Hist:
// hdrhistogram-go's V2 compressed encoding, in base64; "" for nil.
func EncodeHist(h *hdrhistogram.Histogram) string {
	if h == nil {
		return ""
	}
	b, _ := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase) // the only error is an unknown version
	return string(b)
}

// DecodeHist reads PerfcaseSeriesCurve.Hist, which must have the layout
// of perfcase's histograms of response times (metrics.NewHist): nil for "".
func DecodeHist(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return nil, nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("hist is not an encoded HDR histogram: %v", err)
	}
	if want := metrics.NewHist(); h.LowestTrackableValue() != want.LowestTrackableValue() ||
		h.HighestTrackableValue() != want.HighestTrackableValue() || h.SignificantFigures() != want.SignificantFigures() {
		return nil, fmt.Errorf("hist covers %d to %d with %d significant figures, not perfcase's %d to %d with %d",
			h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures(),
			want.LowestTrackableValue(), want.HighestTrackableValue(), want.SignificantFigures())
	}
	return h, nil
}
