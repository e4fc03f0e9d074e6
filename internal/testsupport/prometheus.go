package testsupport

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Prometheus is a real Prometheus server (Debian's prometheus package) a
// test started on a free loopback port, with its remote-write receiver
// on (URL + "/api/v1/write") and scraping the test's targets every
// ScrapeInterval.
type Prometheus struct {
	URL string
}

// ScrapeInterval is how often the Prometheus of StartPrometheus scrapes.
const ScrapeInterval = 250 * time.Millisecond

// StartPrometheus starts Prometheus scraping /metrics at each of targets
// (host:port), and stops it when the test ends. Without the prometheus
// binary the test is skipped, or fails under CI (Peer).
func StartPrometheus(t testing.TB, targets ...string) *Prometheus {
	t.Helper()
	bin := Peer(t, "prometheus", "prometheus")
	dir := t.TempDir()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n", ScrapeInterval, ScrapeInterval)
	if len(targets) > 0 {
		fmt.Fprintf(&cfg, "  - job_name: perfcase\n    static_configs:\n      - targets: [%s]\n", strings.Join(targets, ", "))
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	cmd := exec.Command(bin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--web.enable-remote-write-receiver")
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
		if t.Failed() {
			out, _ := os.ReadFile(log.Name())
			t.Logf("prometheus's log:\n%s", out)
		}
	})
	p := &Prometheus{URL: "http://" + addr}
	// Prometheus applies its scrape targets some seconds after it is
	// ready; a test's run must not end before the first scrape.
	for deadline := time.Now().Add(30 * time.Second); !p.ready(len(targets)); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(log.Name())
			t.Fatalf("prometheus did not get ready on %s in 30 s:\n%s", addr, out)
		}
	}
	return p
}

// ready reports whether Prometheus answers and has tried to scrape each
// of its n targets.
func (p *Prometheus) ready(n int) bool {
	resp, err := http.Get(p.URL + "/api/v1/targets")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			ActiveTargets []struct{ Health string }
		}
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&r) != nil {
		return false
	}
	tried := 0
	for _, t := range r.Data.ActiveTargets {
		if t.Health != "unknown" {
			tried++
		}
	}
	return tried == n
}

// FreeAddr is a free loopback address (127.0.0.1:port) for a listener
// of the test's; another process may take it first, so use it at once.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", FreePort(t))
}

// PromSample is one series of a query's answer.
type PromSample struct {
	Labels map[string]string
	Value  float64
}

// Query runs an instant PromQL query now.
func (p *Prometheus) Query(t testing.TB, q string) []PromSample {
	t.Helper()
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	p.get(t, "/api/v1/query?"+url.Values{"query": {q}}.Encode(), &r)
	out := make([]PromSample, len(r.Data.Result))
	for i, s := range r.Data.Result {
		out[i] = PromSample{Labels: s.Metric, Value: parseValue(t, s.Value[1])}
	}
	return out
}

// QueryRange runs a PromQL query over [start, end] at step, as a
// dashboard's panel does, and returns how many points each series has.
func (p *Prometheus) QueryRange(t testing.TB, q string, start, end time.Time, step time.Duration) []int {
	t.Helper()
	var r struct {
		Data struct {
			Result []struct {
				Values [][2]any
			}
		}
	}
	p.get(t, "/api/v1/query_range?"+url.Values{"query": {q}, "start": {unix(start)}, "end": {unix(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}.Encode(), &r)
	out := make([]int, len(r.Data.Result))
	for i, s := range r.Data.Result {
		out[i] = len(s.Values)
	}
	return out
}

func (p *Prometheus) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get(p.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ Status, Error string }
	dec := json.NewDecoder(resp.Body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("GET %s: %s: %v", path, resp.Status, err)
	}
	if err := json.Unmarshal(raw, &st); err != nil || st.Status != "success" {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, raw)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

func unix(t time.Time) string { return strconv.FormatFloat(float64(t.UnixMilli())/1e3, 'f', 3, 64) }

func parseValue(t testing.TB, v any) float64 {
	t.Helper()
	s, _ := v.(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("prometheus answered the value %v: %v", v, err)
	}
	return f
}
