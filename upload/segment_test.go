package upload

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A part of a split run (perfcase.segment in its report) is sent with
// X-Perfcase-Segment: I/N; a whole run without it; a segment that is not
// a part is refused before anything is sent.
func TestUploadSegmentHeader(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("X-Perfcase-Segment"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	c := &Client{Endpoint: srv.URL, Project: project, Token: testToken}
	whole := testReport(testRunID, "completed", oneCase)
	part := bytes.Replace(whole, []byte(`"perfcase": {`), []byte(`"perfcase": {"segment": {"index": 2, "count": 4, "started": "2026-01-02T03:04:05Z", "late_ms": 0},`), 1)
	bad := bytes.Replace(whole, []byte(`"perfcase": {`), []byte(`"perfcase": {"segment": {"index": 4, "count": 4},`), 1)
	for _, r := range [][]byte{whole, part} {
		if _, err := c.Upload(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Upload(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "segment 4/4 is not a part") {
		t.Errorf("a report of part 4/4 uploaded: %v", err)
	}
	if len(got) != 2 || got[0] != "" || got[1] != "2/4" {
		t.Errorf("X-Perfcase-Segment sent %q, want none then 2/4", got)
	}
}
