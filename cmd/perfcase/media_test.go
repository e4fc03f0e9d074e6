package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/media"
	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
)

// faultyStreams serves streams that go wrong in the ways a load test must
// tell apart: one that stalls for 1.2 s and goes on, one that freezes,
// a playlist that is not found, and an FLV stream cut inside its header.
func faultyStreams(t *testing.T) string {
	t.Helper()
	video := []byte{0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65} // an AVC key frame
	audio := []byte{0xaf, 1, 0x21, 0x10}                // an AAC frame
	tags := func(w http.ResponseWriter, r *http.Request, from, n int) bool {
		for i := from; i < from+n; i++ {
			var b []byte
			b = media.AppendTag(b, 9, uint32(i*100), video)
			b = media.AppendTag(b, 8, uint32(i*100), audio)
			if _, err := w.Write(b); err != nil {
				return false
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return false
			}
		}
		return true
	}
	header := []byte{'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0}
	mux := http.NewServeMux()
	mux.HandleFunc("/stall.flv", func(w http.ResponseWriter, r *http.Request) {
		w.Write(header)
		if !tags(w, r, 0, 5) {
			return
		}
		select {
		case <-time.After(1200 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		tags(w, r, 17, 1000)
	})
	mux.HandleFunc("/frozen.flv", func(w http.ResponseWriter, r *http.Request) {
		w.Write(header)
		tags(w, r, 0, 1)
		<-r.Context().Done()
	})
	mux.HandleFunc("/truncated.flv", func(w http.ResponseWriter, r *http.Request) {
		w.Write(header[:5])
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runWithReport runs a scenario with --out and decodes the report.
func runWithReport(t *testing.T, src string) (int, string, *output.Report) {
	t.Helper()
	path := writeScenario(t, src)
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := runCmd(t, "run", "--quiet", "--control", "127.0.0.1:0", "--out", out, path)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("exit %d, no report: %v\n%s\n%s", code, err, stdout, stderr)
	}
	var r output.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return code, stdout, &r
}

// row is the report's row of a request.
func row(t *testing.T, r *output.Report, name string) *perftest.CaseReportDetail {
	t.Helper()
	for _, c := range r.Result.Cases {
		for i := range c.Detail.DetailDatas {
			if d := &c.Detail.DetailDatas[i]; *d.Name == name {
				return d
			}
		}
	}
	t.Fatalf("no row %q", name)
	return nil
}

// Each streaming fault lands, end to end through a run, in its
// documented cause of streamingMediaVo and its one failure bucket; a
// stall that the stream recovers from is a stall, not a failure.
func TestStreamingFaultsEndToEnd(t *testing.T) {
	base := faultyStreams(t)
	_, stdout, r := runWithReport(t, fmt.Sprintf(`name: faults
parallel: true
cases:
  - name: stalling
    steps: [{flv: {name: stalling, url: "%[1]s/stall.flv", duration: 2500ms, stall_after: 500ms}}]
    stages: [{concurrency: 1, count: 1}]
  - name: frozen
    steps: [{flv: {name: frozen, url: "%[1]s/frozen.flv", duration: 3s, timeout: 1s}}]
    stages: [{concurrency: 1, count: 1}]
  - name: missing
    steps: [{hls: {name: missing, url: "%[1]s/missing.m3u8", duration: 3s}}]
    stages: [{concurrency: 1, count: 1}]
  - name: truncated
    steps: [{flv: {name: truncated, url: "%[1]s/truncated.flv", duration: 3s}}]
    stages: [{concurrency: 1, count: 1}]
`, base))
	tests := []struct {
		name   string
		bucket func(*perftest.CaseReportDetail) *float64
		cause  func(*perftest.StreamingMediaReport) *float64
	}{
		{"frozen", func(d *perftest.CaseReportDetail) *float64 { return d.FailedTimeout },
			func(v *perftest.StreamingMediaReport) *float64 { return v.HTTPTimeoutFailed }},
		{"missing", func(d *perftest.CaseReportDetail) *float64 { return d.FailedAssert },
			func(v *perftest.StreamingMediaReport) *float64 { return v.PlayFailed }},
		{"truncated", func(d *perftest.CaseReportDetail) *float64 { return d.FailedParsed },
			func(v *perftest.StreamingMediaReport) *float64 { return v.IllegalFlvHeaderFailed }},
	}
	for i, tt := range tests {
		d := row(t, r, tt.name)
		vo := r.Result.Cases[i+1].Detail.Performance.StreamingMediaVo
		if *d.Requests != 1 || *d.ErrorCount != 1 || *tt.bucket(d) != 1 {
			t.Errorf("%s: requests %v, errors %v, its bucket %v", tt.name, *d.Requests, *d.ErrorCount, *tt.bucket(d))
		}
		if vo == nil || *vo.StreamingErrorTimes != 1 || *tt.cause(vo) != 1 {
			t.Errorf("%s: streamingMediaVo %+v", tt.name, vo)
		}
	}
	stall := row(t, r, "stalling")
	s := r.Result.Perfcase.Cases[0].Streaming
	if *stall.SuccessCount != 1 || s == nil || s.Stalls != 1 || s.StallMS < 1000 || s.StallMS > 2000 {
		t.Errorf("stalling: %v succeeded, streaming %+v\n%s", *stall.SuccessCount, s, stdout)
	}
	for _, want := range []string{"truncated: parse_failed x1", "missing: check_failed x1: GET 127.0.0.1:", "failed: httpTimeoutFailed 1", "1 stall ("} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, stdout)
		}
	}
}

// A broker that drops the connection, end to end: the action that finds
// the connection lost fails as other, and the VU's next step connects
// again and succeeds.
func TestMQTTBrokerDropsEndToEnd(t *testing.T) {
	addr, cut := testsupport.Proxy(t, testsupport.Mosquitto(t))
	go func() {
		time.Sleep(1500 * time.Millisecond)
		cut()
	}()
	_, stdout, r := runWithReport(t, fmt.Sprintf(`name: drop
cases:
  - name: device
    setup: [{mqtt: {name: connect, broker: "tcp://%s", client_id: dev, connect: true}}]
    steps:
      - mqtt: {name: publish, broker: "tcp://%[1]s", publish: {topic: t, payload: "${sendstamp()}", qos: 1}}
        continue_on_failure: true
      - think: 200ms
    stages: [{concurrency: 1, duration: 3s}]
`, addr))
	d := row(t, r, "publish")
	if *d.FailedOthers < 1 || *d.ErrorCount != *d.FailedOthers || *d.SuccessCount < 5 {
		t.Errorf("publish: %v succeeded, %v failed (%v as other)\n%s", *d.SuccessCount, *d.ErrorCount, *d.FailedOthers, stdout)
	}
	if !strings.Contains(stdout, "publish: the connection to 127.0.0.1:") || !strings.Contains(stdout, "was lost") {
		t.Errorf("the summary does not say the connection was lost:\n%s", stdout)
	}
	m := r.Result.Perfcase.Cases[0].MQTT
	if m == nil || m.Published.QoS1 != int64(*d.SuccessCount) {
		t.Errorf("mqtt %+v, want %v published at QoS 1", m, *d.SuccessCount)
	}
}
