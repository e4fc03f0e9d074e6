package telemetry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/perfcase/perfcase/output"
)

// NewRemoteWrite is the output that pushes the run's metrics to a
// Prometheus remote-write receiver at u (Prometheus with
// --web.enable-remote-write-receiver: http://host:9090/api/v1/write;
// Mimir, Thanos, VictoriaMetrics, Grafana Cloud), in protocol 1.0: a
// snappy-compressed protobuf WriteRequest, once a second and once more
// with the final values after the run. Credentials in u go as basic
// auth, as net/http sends them.
func NewRemoteWrite(u *url.URL, opts Options) output.Output {
	rw := &remoteWrite{url: u.String(), client: &http.Client{}}
	return newPusher(u.Redacted(), rw.send, opts)
}

type remoteWrite struct {
	url    string
	client *http.Client
	// last is the timestamp of the latest push, in ms: a series' samples
	// must rise in time, and two pushes may fall in one millisecond.
	last int64
}

func (rw *remoteWrite) send(ctx context.Context, s *snapshot) error {
	rw.last = max(s.time.UnixMilli(), rw.last+1)
	body := snappy.Encode(nil, writeRequest(s, rw.last))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rw.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	req.Header.Set("User-Agent", "perfcase")
	resp, err := rw.client.Do(req)
	if err != nil {
		return &retryable{err}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return &retryable{err}
	}
	return err
}

// writeRequest encodes the snapshot as remote write 1.0's WriteRequest,
// every series one sample at ts (ms):
//
//	WriteRequest { repeated TimeSeries timeseries = 1; }
//	TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//	Label        { string name = 1; string value = 2; }
//	Sample       { double value = 1; int64 timestamp = 2; }
//
// A histogram is its classic series: _bucket{le} (cumulative), _sum and
// _count; a summary its {quantile}, _sum and _count. Labels are sorted by
// name, as the protocol requires.
func writeRequest(s *snapshot, ts int64) []byte {
	var out []byte
	series := func(name string, v float64, labels []string, names []string, extra ...string) {
		ls := [][2]string{{"__name__", name}, {"run_id", s.runID}, {"scenario", s.scenario}}
		for i, n := range names {
			ls = append(ls, [2]string{n, labels[i]})
		}
		if len(extra) == 2 {
			ls = append(ls, [2]string{extra[0], extra[1]})
		}
		slices.SortFunc(ls, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
		var ts1 []byte
		for _, l := range ls {
			var lb []byte
			lb = protowire.AppendTag(lb, 1, protowire.BytesType)
			lb = protowire.AppendString(lb, l[0])
			lb = protowire.AppendTag(lb, 2, protowire.BytesType)
			lb = protowire.AppendString(lb, l[1])
			ts1 = protowire.AppendTag(ts1, 1, protowire.BytesType)
			ts1 = protowire.AppendBytes(ts1, lb)
		}
		var sb []byte
		sb = protowire.AppendTag(sb, 1, protowire.Fixed64Type)
		sb = protowire.AppendFixed64(sb, math.Float64bits(v))
		sb = protowire.AppendTag(sb, 2, protowire.VarintType)
		sb = protowire.AppendVarint(sb, uint64(ts))
		ts1 = protowire.AppendTag(ts1, 2, protowire.BytesType)
		ts1 = protowire.AppendBytes(ts1, sb)
		out = protowire.AppendTag(out, 1, protowire.BytesType)
		out = protowire.AppendBytes(out, ts1)
	}
	for _, p := range s.points {
		f := p.fam
		switch f.typ {
		case counter, gauge:
			series(f.prom, p.value, p.labels, f.labels)
		case summary:
			for i, v := range p.hist.quantiles {
				series(f.prom, v, p.labels, f.labels, "quantile", strconv.FormatFloat(trendQuantiles[i], 'g', -1, 64))
			}
			series(f.prom+"_sum", p.hist.sum, p.labels, f.labels)
			series(f.prom+"_count", float64(p.hist.count), p.labels, f.labels)
		case histogram:
			var n uint64
			for i, b := range f.bounds {
				n += p.hist.counts[i]
				series(f.prom+"_bucket", float64(n), p.labels, f.labels, "le", strconv.FormatFloat(b, 'g', -1, 64))
			}
			series(f.prom+"_bucket", float64(p.hist.count), p.labels, f.labels, "le", "+Inf")
			series(f.prom+"_sum", p.hist.sum, p.labels, f.labels)
			series(f.prom+"_count", float64(p.hist.count), p.labels, f.labels)
		}
	}
	return out
}
