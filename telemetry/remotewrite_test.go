package telemetry

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/output"
)

// Pushed to a real Prometheus with its remote-write receiver on, the
// run's series hold, once it ended, every final value, equal to the run's
// figures (Prometheus accepting the push is what checks the encoding).
func TestRemoteWriteToPrometheus(t *testing.T) {
	prom := testsupport.StartPrometheus(t)
	rec := fakeRun(t)
	u, err := url.Parse(prom.URL + "/api/v1/write")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	rec.replay(t, NewRemoteWrite(u, Options{Log: &log}), nil)
	if log.Len() > 0 {
		t.Errorf("a push failed:\n%s", log.String())
	}
	rec.checkWants(t, promSamples(t, prom, `{run_id="`+rec.start.RunID+`"}`))
}

// promSamples are the series a query of Prometheus answers.
func promSamples(t *testing.T, prom *testsupport.Prometheus, q string) []sample {
	t.Helper()
	var out []sample
	for _, s := range prom.Query(t, q) {
		name := s.Labels["__name__"]
		delete(s.Labels, "__name__")
		out = append(out, sample{name, s.Labels, s.Value})
	}
	return out
}

// A receiver that answers 503 is tried again until it takes the final
// values; one that refuses them (400) fails the output's End, naming it
// and what it said, and was tried once. A push that fails while the run
// goes is said once, not each second.
func TestRemoteWriteFailures(t *testing.T) {
	rec := fakeRun(t)
	var calls, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := snappy.Decode(nil, body); err != nil || r.Header.Get("Content-Encoding") != "snappy" ||
			r.Header.Get("Content-Type") != "application/x-protobuf" || r.Header.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" {
			bad.Add(1)
		}
		switch n := calls.Add(1); {
		case strings.HasSuffix(r.URL.Path, "/refuse"):
			http.Error(w, "out of bounds", http.StatusBadRequest)
		case n <= 3:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()

	u, _ := url.Parse(srv.URL + "/api/v1/write")
	var log testsupport.SyncBuffer
	rec.replay(t, NewRemoteWrite(u, Options{Log: &log}), func(*output.Second) {
		// While the run goes, the first push fails and is said.
		for deadline := time.Now().Add(5 * time.Second); calls.Load() == 0 || log.String() == ""; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no push while the run goes")
			}
		}
	})
	if calls.Load() < 4 || bad.Load() > 0 {
		t.Errorf("%d pushes, %d not in remote write's form; want the final one tried until taken", calls.Load(), bad.Load())
	}
	if n := strings.Count(log.String(), "cannot push to "+u.String()); n != 1 {
		t.Errorf("the failing pushes were said %d times:\n%s", n, log.String())
	}

	calls.Store(10)
	u, _ = url.Parse(srv.URL + "/refuse")
	o := NewRemoteWrite(u, Options{})
	o.Start(&rec.start)
	err := o.End(&output.Finished{})
	if err == nil || !strings.Contains(err.Error(), "cannot push the run's final metrics to "+u.String()) || !strings.Contains(err.Error(), "400 Bad Request: out of bounds") {
		t.Errorf("End = %v", err)
	}
	if calls.Load() != 11 {
		t.Errorf("a refused push was tried %d times, want once", calls.Load()-10)
	}
}

// A receiver that fails a push and then takes them: the failure and the
// recovery are each said once. Credentials in the URL go as basic auth
// and never appear in a message.
func TestRemoteWriteRecovers(t *testing.T) {
	rec := fakeRun(t)
	var calls atomic.Int64
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		auth.Store(user + ":" + pass)
		if calls.Add(1) == 1 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	u.User, u.Path = url.UserPassword("perf", "s3cret"), "/api/v1/write"
	var log testsupport.SyncBuffer
	seconds := 0
	rec.replay(t, NewRemoteWrite(u, Options{Log: &log}), func(*output.Second) {
		seconds++
		want := "cannot push"
		if seconds > 1 {
			want = "pushing to " + u.Redacted() + " again"
		}
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(log.String(), want); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("after second %d, no %q in the log:\n%s", seconds, want, log.String())
			}
		}
	})
	if n := strings.Count(log.String(), "\n"); n != 2 || strings.Contains(log.String(), "s3cret") {
		t.Errorf("log:\n%s", log.String())
	}
	if got := auth.Load(); got != "perf:s3cret" {
		t.Errorf("basic auth %v", got)
	}
}

// The last push's retries end at the user's Ctrl-C, with the error.
func TestLastPushCut(t *testing.T) {
	rec := fakeRun(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/api/v1/write")
	abort := make(chan struct{})
	o := NewRemoteWrite(u, Options{Abort: abort})
	o.Start(&rec.start)
	done := make(chan error)
	go func() { done <- o.End(&output.Finished{Run: rec.run}) }()
	time.Sleep(300 * time.Millisecond)
	close(abort)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable: busy") {
			t.Errorf("End = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a Ctrl-C did not cut the last push's retries")
	}
}
