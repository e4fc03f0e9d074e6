package testsupport

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"
)

// OTLPReceiver is an OTLP/HTTP metrics receiver on 127.0.0.1 (Debian has
// no OpenTelemetry Collector): it takes protobuf exports at /v1/metrics,
// decodes each (gzip-compressed or not) with OpenTelemetry's own types,
// and keeps it with its headers.
type OTLPReceiver struct {
	URL     string
	mu      sync.Mutex
	reqs    []*colmetricpb.ExportMetricsServiceRequest
	headers []http.Header
	errs    []string
}

// NewOTLPReceiver starts a receiver that stops when the test ends.
func NewOTLPReceiver(t testing.TB) *OTLPReceiver {
	r := &OTLPReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		data, _ := io.ReadAll(body)
		var m colmetricpb.ExportMetricsServiceRequest
		err := proto.Unmarshal(data, &m)
		r.mu.Lock()
		defer r.mu.Unlock()
		switch {
		case req.URL.Path != "/v1/metrics" || req.Method != http.MethodPost:
			r.errs = append(r.errs, req.Method+" "+req.URL.Path)
			http.NotFound(w, req)
			return
		case req.Header.Get("Content-Type") != "application/x-protobuf" || err != nil:
			r.errs = append(r.errs, "not OTLP protobuf: "+req.Header.Get("Content-Type"))
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.reqs = append(r.reqs, &m)
		r.headers = append(r.headers, req.Header.Clone())
		resp, _ := proto.Marshal(&colmetricpb.ExportMetricsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Exports are the exports received so far, in order. A request the
// receiver refused (another path, not protobuf) fails the test.
func (r *OTLPReceiver) Exports(t testing.TB) []*colmetricpb.ExportMetricsServiceRequest {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		t.Fatalf("the OTLP receiver refused: %v", r.errs)
	}
	return append([]*colmetricpb.ExportMetricsServiceRequest(nil), r.reqs...)
}

// Headers are the headers of each export received so far, in order.
func (r *OTLPReceiver) Headers() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.headers...)
}
