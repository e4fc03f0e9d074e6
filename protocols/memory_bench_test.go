//go:build unix

package protocols

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/media"
	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/protocols/stream/flv"
	"github.com/perfcase/perfcase/scenario"
)

// BenchmarkSessionMemory keeps b.N sessions of each protocol open at once,
// each past its first exchange or, for a stream, in the middle of a play,
// and reports the Go memory they keep in use (heap and goroutine stacks
// after a collection, KiB/session) beside what the protocol's row of the
// driver table declares (declared-KiB). The servers are in other
// processes (the benchmark server, mosquitto, nginx), so the figure is
// the client's alone. It fails when a session keeps more than its
// protocol declares: the machine check would then promise memory that
// is not there.
//
//	go test -run '^$' -bench SessionMemory -benchtime 300x ./protocols
func BenchmarkSessionMemory(b *testing.B) {
	base := benchServer(b)
	in := &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}
	for _, tc := range []struct {
		name string
		p    scenario.Protocol
		step func(b *testing.B) scenario.Spec
		play bool // measured mid-exchange: a play outlasts the measurement
	}{
		{"http1.1", scenario.HTTP, func(b *testing.B) scenario.Spec { return spec(b, base, `{url: "${base}/"}`) }, false},
		{"h2c", scenario.HTTP2, func(b *testing.B) scenario.Spec { return spec(b, base, `{url: "${base}/", version: "2"}`) }, false},
		{"hls", scenario.HLS, func(b *testing.B) scenario.Spec {
			return streamSpecOf(b, "hls", base, `{url: "${base}/hls/master.m3u8", duration: 1m}`)
		}, true},
		{"flv", scenario.FLV, func(b *testing.B) scenario.Spec {
			return streamSpecOf(b, "flv", base, `{url: "${base}/live.flv", duration: 1m}`)
		}, true},
		{"rtmp", scenario.RTMP, rtmpPlay, true},
		{"mqtt", scenario.MQTT, func(b *testing.B) scenario.Spec {
			return mqttSpecs(b, "tcp://"+testsupport.Mosquitto(b), `{broker: "${b}", subscribe: {topic: "t/#", qos: 1}}`)[0]
		}, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d, _ := For(tc.p)
			sp := tc.step(b)
			before := memInUse()
			sessions := make([]Session, 0, b.N)
			var wg sync.WaitGroup
			var failed sync.Once
			var cut atomic.Bool // plays cut after the measurement fail
			for i := 0; b.Loop(); i++ {
				s := d.New(Config{Ctx: context.Background(), Seed: uint64(i), Jar: NewJar()})
				sessions = append(sessions, s)
				do := func() {
					var r Result
					s.Do(sp, in, &r)
					if r.Fail != nil && !cut.Load() {
						failed.Do(func() { b.Errorf("%v: %v", tc.p, r.Fail.Err) })
					}
					s.Release()
				}
				if tc.play {
					wg.Go(do)
				} else {
					do()
				}
			}
			if tc.play {
				time.Sleep(3 * time.Second) // every player past its startup
			}
			perSession := float64(int64(memInUse())-int64(before)) / float64(b.N) / 1024
			cut.Store(true)
			for _, s := range sessions {
				s.Interrupt()
			}
			wg.Wait()
			for _, s := range sessions {
				s.Close()
			}
			b.ReportMetric(perSession, "KiB/session")
			b.ReportMetric(float64(d.Memory)/1024, "declared-KiB")
			if perSession*1024 > float64(d.Memory) {
				b.Errorf("a %v session keeps %.1f KiB; its driver declares %d KiB", tc.p, perSession, d.Memory>>10)
			}
		})
	}
}

// rtmpPlay starts nginx's RTMP module with a publisher of the demo clip
// for as long as b runs, and returns the step that plays it.
func rtmpPlay(b *testing.B) scenario.Spec {
	port := testsupport.NginxRTMP(b)
	f, err := flv.ParseFile(media.FLV())
	if err != nil {
		b.Fatal(err)
	}
	url := fmt.Sprintf("rtmp://127.0.0.1:%d/live/mem", port)
	pub := streamSpecOf(b, "rtmp", url, `{url: "${base}", duration: 10m}`)
	pub.Publish = f
	d, _ := For(scenario.RTMP)
	ps := d.New(Config{Ctx: context.Background()})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var r Result
		ps.Do(pub, &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}, &r)
	}()
	b.Cleanup(func() {
		ps.Interrupt()
		<-done
		ps.Close()
	})
	time.Sleep(time.Second) // the publisher is up before the players join
	return streamSpecOf(b, "rtmp", url, `{url: "${base}", duration: 1m}`)
}

// memInUse is the Go memory in use after a collection: heap spans and
// goroutine stacks.
func memInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
