package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/perfcase/perfcase/server/store"
	"github.com/perfcase/perfcase/upload"
)

// Ingest of a 200 KB report (testdata/big.json, 20 requests), each
// upload another run, over HTTP on loopback with the upload client, one
// upload at a time: the rate a CI fleet's uploads are stored at. The
// target is 50 uploads/s or more.
//
//	go test ./server -run '^$' -bench Ingest -benchtime 200x
func BenchmarkIngest(b *testing.B) {
	report := fixture(b, "big.json")
	for _, backend := range stores {
		b.Run(backend, func(b *testing.B) {
			e := newEnv(b, backend, nil)
			c := upload.Client{Endpoint: e.srv.URL, Project: "shop", Token: e.token("shop", store.ScopeWrite), Attempts: 1}
			reports := make([][]byte, b.N)
			for i := range reports {
				reports[i] = withRun(b, report, fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i), 0)
			}
			b.SetBytes(int64(len(report)))
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if res, err := c.Upload(context.Background(), reports[i]); err != nil || res.Already {
					b.Fatalf("upload %d: %+v %v", i, res, err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "uploads/s")
		})
	}
}

type benchEnv struct {
	e     *env
	token string
	task  int64
}

// seed stores n runs of one scenario (testdata/shop.json, a run a
// minute) through the store, as ingest would.
func seed(b *testing.B, backend string, n int) *benchEnv {
	e := newEnv(b, backend, nil)
	be := &benchEnv{e: e, token: e.token("shop", store.ScopeRead)}
	in, err := parseUpload(http.Header{}, fixture(b, "shop.json"))
	if err != nil {
		b.Fatal(err)
	}
	p, _ := e.st.Project(context.Background(), "shop")
	body := fixture(b, "shop.json")
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				part := in.part(p.ID, body, time.Now())
				part.RunUUID = fmt.Sprintf("seed-%06d", i)
				part.Summary.Start = part.Summary.Start.Add(time.Duration(i) * time.Minute)
				part.Summary.End = part.Summary.End.Add(time.Duration(i) * time.Minute)
				res, err := e.st.PutPart(context.Background(), part)
				if err != nil {
					b.Error(err)
					return
				}
				be.task = res.TaskID
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	b.Logf("%s: seeded %d runs in %s", backend, n, time.Since(start).Round(time.Millisecond))
	return be
}

// With 10,000 runs of a scenario stored: the latest 50 listed, and a
// request's trend over 1,000 runs drawn, each timed as server time (the
// handler called directly, no network). Targets: under 50 ms and under
// 300 ms.
//
//	go test ./server -run '^$' -bench Lists -benchtime 20x
func BenchmarkLists(b *testing.B) {
	for _, backend := range stores {
		// A benchmark with sub-benchmarks runs once: the seeding is not
		// repeated for each b.N.
		b.Run(backend, func(b *testing.B) {
			be := seed(b, backend, 10000)
			h := be.e.s.Handler()
			get := func(b *testing.B, path, want string) {
				b.Helper()
				b.ResetTimer()
				for range b.N {
					req := httptest.NewRequest("GET", path, nil)
					req.Header.Set("X-Auth-Token", be.token)
					req.AddCookie(&http.Cookie{Name: cookieName, Value: be.token})
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 || !contains(rec.Body.String(), want) {
						b.Fatalf("GET %s: %d %.300s", path, rec.Code, rec.Body.String())
					}
				}
			}
			b.Run("api-latest-50", func(b *testing.B) {
				get(b, fmt.Sprintf("/v1/shop/perfcase/runs?task_id=%d&limit=50", be.task), "seed-009999")
			})
			b.Run("ui-latest-50", func(b *testing.B) {
				get(b, fmt.Sprintf("/ui/shop/tasks/%d/", be.task), "seed-009999")
			})
			b.Run("api-trend-1000", func(b *testing.B) {
				get(b, fmt.Sprintf("/v1/shop/perfcase/tasks/%d/trend?case=browse&kind=request&name=item&limit=1000", be.task), "seed-009000")
			})
			b.Run("ui-trend-1000", func(b *testing.B) {
				get(b, fmt.Sprintf("/ui/shop/tasks/%d/trend?case=browse&kind=request&name=item&limit=1000", be.task), "seed-009000")
			})
		})
	}
}
