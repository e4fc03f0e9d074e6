//go:build unix

package protocols

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/media"
	"github.com/perfcase/perfcase/scenario"
)

// benchServerEnv makes the test binary a target for the benchmarks
// instead of running tests: an HTTP server that speaks HTTP/1.1 and h2c on
// one port, in a process of its own, so that a benchmark's CPU time and
// memory are the client's alone. Besides "ok" it serves the demo's live
// HLS stream under /hls/ and its HTTP-FLV stream at /live.flv.
const benchServerEnv = "PERFCASE_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) != "" {
		serveBench()
		return
	}
	os.Exit(m.Run())
}

// serveBench answers "ok" to every request until its standard input
// closes, after printing its address.
func serveBench() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		io.WriteString(w, "ok")
	})
	mux.Handle("/hls/", http.StripPrefix("/hls", &media.LiveHLS{Start: time.Now().Add(-time.Minute)}))
	mux.Handle("/live.flv", media.NewLiveFLV())
	srv := &http.Server{Protocols: &p, Handler: mux}
	go srv.Serve(ln)
	os.Stdout.WriteString(ln.Addr().String() + "\n")
	io.Copy(io.Discard, os.Stdin)
}

// BenchmarkHTTPDrivers sends one GET and reads "ok" back through each HTTP
// driver, against the same server in another process, and reports the
// client's CPU time per request (cpu-ns/op, user and system, from
// getrusage) beside allocations: what HTTP/2 on net/http costs against
// HTTP/1.1 on fasthttp.
//
//	go test -run '^$' -bench HTTPDrivers -benchmem ./protocols
func BenchmarkHTTPDrivers(b *testing.B) {
	base := benchServer(b)
	for _, tc := range []struct {
		name    string
		version string
		new     func(Config) Session
	}{
		{"http1.1", "HTTP/1.1", session(newHTTP)},
		{"h2c", "2", session(newHTTP2)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := tc.new(Config{Ctx: context.Background(), Seed: 1, Jar: NewJar()})
			defer s.Close()
			sp := spec(b, base, `{url: "${base}/", version: "`+tc.version+`"}`)
			in := &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}
			var res Result
			s.Do(sp, in, &res) // connect outside the measurement
			s.Release()
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				s.Do(sp, in, &res)
				if res.Fail != nil || res.Status != 200 {
					b.Fatalf("status %d, %v", res.Status, res.Fail)
				}
				s.Release()
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchServer starts the test binary as the benchmarks' server
// (serveBench), in a process of its own until b ends, and returns its
// base URL.
func benchServer(b *testing.B) string {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("bench server: %v", err)
	}
	return "http://" + strings.TrimSpace(addr)
}
