package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/server/store"
	"github.com/perfcase/perfcase/upload"
)

// The upload client (package upload), the contract's own client, against
// the service: the first upload is stored (201, Location), the second is
// "already uploaded" (409), and the run is there once.
func TestUploadClient(t *testing.T) {
	for _, backend := range stores {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			c := upload.Client{Endpoint: e.srv.URL, Project: "shop", Token: e.token("shop", store.ScopeWrite), Attempts: 1}
			report := fixture(t, "shop.json")
			res, err := c.Upload(context.Background(), report)
			if err != nil {
				t.Fatal(err)
			}
			id := runIDOf(t, report)
			if res.Status != http.StatusCreated || res.Already || res.Location != "/ui/shop/runs/"+id+"/" {
				t.Errorf("first upload: %+v", res)
			}
			res, err = c.Upload(context.Background(), report)
			if err != nil || !res.Already || res.Status != http.StatusConflict {
				t.Errorf("second upload: %+v, %v", res, err)
			}
			if n := e.runCount("shop"); n != 1 {
				t.Errorf("%d runs stored, want 1", n)
			}
			p, _ := e.st.Project(context.Background(), "shop")
			run, err := e.st.RunByUUID(context.Background(), p.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			back, err := e.st.Report(context.Background(), run.ID, 0)
			if err != nil || !bytes.Equal(back, report) {
				t.Errorf("the stored report is not the one sent (%v)", err)
			}
			if run.Scenario != "shop" || run.Verdict != "passed" || run.Status != "completed" || run.Requests == 0 ||
				run.TP99 == nil || fmt.Sprint(run.CaseNames) != "[browse search]" || !run.Parallel {
				t.Errorf("indexed run %+v", run)
			}
		})
	}
}

// Every refusal the contract lists, with the reference's error shape, a
// message saying what to do, and nothing stored.
func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, "sqlite", func(c *Config) { c.MaxReportSize = 100 << 10 })
	write := e.token("shop", store.ScopeWrite)
	read := e.token("shop", store.ScopeRead)
	other := e.token("other", store.ScopeAdmin)
	report := fixture(t, "shop.json")
	id := runIDOf(t, report)
	notJSON := []byte("<html>hello</html>")
	noRunID := bytes.Replace(report, []byte(`"run_id": "`+id+`"`), []byte(`"run_id": ""`), 1)
	badType := bytes.Replace(report, []byte(`"pageIndex": 1`), []byte(`"pageIndex": "one"`), 1)
	// A report whose code is not the report API's success: not a finished
	// run's report, so nothing the service could list as a run.
	unfinished := bytes.Replace(report, []byte(`"code": "`+successCode+`"`), []byte(`"code": "CPTS.05000001"`), 1)
	labels := bytes.Replace(report, []byte(`"labels": {}`), []byte(`"labels": {"bad key!": "x"}`), 1)
	// A count column one bucket short: the report API would index past it.
	curves := regexp.MustCompile(`"count": \[(\d+),`).ReplaceAll(report, []byte(`"count": [`))
	for _, c := range []struct {
		name    string
		project string
		token   string
		body    []byte
		header  []string
		status  int
		code    string
		msg     string
	}{
		{"no token", "shop", "", report, nil, 401, "CPTS.04010001", "needs a token"},
		{"wrong token", "shop", "pct_wrong", report, nil, 401, "CPTS.04010002", "the token was refused"},
		{"read token writing", "shop", read, report, nil, 403, "CPTS.04030001", "scope is read; this call needs write"},
		{"token of another project", "shop", other, report, nil, 403, "CPTS.04030002", `another project than "shop"`},
		{"token of another project, unknown project", "nope", other, report, nil, 403, "CPTS.04030002", `another project than "nope"`},
		{"too large", "shop", write, bytes.Repeat([]byte(" "), 101<<10), nil, 413, "CPTS.04130001", "limit of 0 MiB"},
		{"not JSON", "shop", write, notJSON, nil, 422, "CPTS.04220001", "not a report JSON"},
		{"no run id", "shop", write, noRunID, nil, 422, "CPTS.04220001", "no run id"},
		{"a field of the wrong type", "shop", write, badType, nil, 422, "CPTS.04220001", "pageIndex"},
		{"not a finished run's report", "shop", write, unfinished, nil, 422, "CPTS.04220001", "not a finished run's report"},
		{"a bad label", "shop", write, labels, nil, 422, "CPTS.04220004", "bad key!"},
		{"curves of uneven columns", "shop", write, curves, nil, 422, "CPTS.04220001", "result.perfcase.curves.cases[0].series[0].count has 3 buckets, vus 4"},
		{"Idempotency-Key of another run", "shop", write, report, []string{"Idempotency-Key", "other"}, 422, "CPTS.04220002", "Idempotency-Key"},
		{"a segment that is not one", "shop", write, report, []string{SegmentHeader, "3/3"}, 422, "CPTS.04220003", "I/N"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := append([]string{"Content-Type", "application/json"}, c.header...)
			status, body, _ := e.do("POST", "/v1/"+c.project+"/perfcase/reports", c.token, c.body, h...)
			code, msg := apiErr(t, body)
			if status != c.status || code != c.code || !strings.Contains(msg, c.msg) {
				t.Errorf("%d %s %q, want %d %s and %q", status, code, msg, c.status, c.code, c.msg)
			}
			if strings.Contains(msg, write) || strings.Contains(msg, other) {
				t.Errorf("a token in the answer: %s", msg)
			}
		})
	}
	if n := e.runCount("shop") + e.runCount("other"); n != 0 {
		t.Errorf("refused uploads stored %d runs", n)
	}
	// The size limit holds for a body that does not say its length.
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/shop/perfcase/reports", io.MultiReader(bytes.NewReader(make([]byte, 200<<10))))
	req.ContentLength = -1
	req.Header.Set("X-Auth-Token", write)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked body over the limit: %d", resp.StatusCode)
	}
	// An unknown API path and a GET on the upload answer in the API's
	// shape, and store nothing.
	status, body, _ := e.do("GET", "/v1/shop/perfcase/nothing", write, nil)
	if code, _ := apiErr(t, body); status != 404 || code != "CPTS.04040003" {
		t.Errorf("unknown path: %d %s", status, code)
	}
	if status, _, _ := e.do("GET", "/v1/shop/perfcase/reports", write, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET on the upload: %d", status)
	}
}

// 100 uploads at once, each of another run and each sent twice: every
// run is stored exactly once; one of each pair is 201, the other 409.
func TestParallelUploads(t *testing.T) {
	for _, backend := range stores {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			tok := e.token("shop", store.ScopeWrite)
			base := fixture(t, "shop.json")
			const runs = 100
			reports := make([][]byte, runs)
			for i := range reports {
				reports[i] = withRun(t, base, uuidN(i), time.Duration(i)*time.Minute)
			}
			var created, conflict atomic.Int64
			var wg sync.WaitGroup
			for i := range 2 * runs {
				wg.Go(func() {
					c := upload.Client{Endpoint: e.srv.URL, Project: "shop", Token: tok, Attempts: 1}
					res, err := c.Upload(context.Background(), reports[i%runs])
					switch {
					case err != nil:
						t.Errorf("upload %d: %v", i, err)
					case res.Already:
						conflict.Add(1)
					default:
						created.Add(1)
					}
				})
			}
			wg.Wait()
			if created.Load() != runs || conflict.Load() != runs {
				t.Errorf("%d stored, %d already there; want %d and %d", created.Load(), conflict.Load(), runs, runs)
			}
			if n := e.runCount("shop"); n != runs {
				t.Errorf("%d runs in the store, want %d", n, runs)
			}
		})
	}
}

// cutProxy forwards connections to target, but on the first one it
// reads the service's answer and closes the client's connection instead
// of passing it on: the run is stored, the client never hears so.
func cutProxy(t *testing.T, target string) (addr string, cuts *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cuts = &atomic.Int64{}
	var first atomic.Bool
	first.Store(true)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				if first.CompareAndSwap(true, false) {
					go io.Copy(up, c)
					// Wait for the answer, then drop it with the
					// connection.
					buf := make([]byte, 1)
					up.SetReadDeadline(time.Now().Add(10 * time.Second))
					if _, err := up.Read(buf); err == nil {
						cuts.Add(1)
					}
					return
				}
				go io.Copy(up, c)
				io.Copy(c, up)
			}()
		}
	}()
	return ln.Addr().String(), cuts
}

// The connection is cut after the service stored the run: the client
// retries, hears 409, and counts the upload done; the run is stored once.
func TestConnectionCutAfterStore(t *testing.T) {
	e := newEnv(t, "sqlite", nil)
	addr, cuts := cutProxy(t, strings.TrimPrefix(e.srv.URL, "http://"))
	c := upload.Client{Endpoint: "http://" + addr, Project: "shop", Token: e.token("shop", store.ScopeWrite), Backoff: time.Millisecond}
	res, err := c.Upload(context.Background(), fixture(t, "shop.json"))
	if err != nil {
		t.Fatal(err)
	}
	if cuts.Load() != 1 || res.Attempts != 2 || !res.Already || res.Status != http.StatusConflict {
		t.Errorf("cuts %d, result %+v; want one cut, then a retry answered 409", cuts.Load(), res)
	}
	if n := e.runCount("shop"); n != 1 {
		t.Errorf("%d runs stored, want 1", n)
	}
}

// A run in parts: each part is stored once under the run id with its
// segment, the run is partial until the last arrives, and a part sent
// again is 409. Parts that cannot be merged (this fixture is not a part
// of a split run: it has no perfcase.segment) stay stored, and the report
// API says the run could not be merged (TestSplitRunMerged merges).
func TestUploadSegments(t *testing.T) {
	e := newEnv(t, "sqlite", nil)
	tok := e.token("shop", store.ScopeWrite)
	report := fixture(t, "shop.json")
	var last stored
	for _, seg := range []string{"1/3", "0/3", "2/3"} {
		status, body := e.upload("shop", tok, report, SegmentHeader, seg)
		var env struct{ Result stored }
		if status != 201 || json.Unmarshal(body, &env) != nil {
			t.Fatalf("part %s: %d %s", seg, status, body)
		}
		last = env.Result
		if seg != "2/3" && !last.Partial {
			t.Errorf("part %s: the run is not partial: %+v", seg, last)
		}
	}
	if last.Partial || last.Parts != 3 || last.Segment != "2/3" {
		t.Errorf("after the last part: %+v", last)
	}
	if status, body := e.upload("shop", tok, report, SegmentHeader, "0/3"); status != 409 || !strings.Contains(string(body), "segment 0/3") {
		t.Errorf("a part again: %d %s", status, body)
	}
	if status, body := e.upload("shop", tok, report, SegmentHeader, "0/2"); status != 422 {
		t.Errorf("a part of another split: %d %s", status, body)
	}
	status, body, _ := e.do("GET", fmt.Sprintf("/v2/shop/task-run-infos/%d/cases", last.TaskRunID), tok, nil)
	if code, msg := apiErr(t, body); status != 422 || code != "CPTS.04220003" || !strings.Contains(msg, "3 parts (3 arrived), which could not be merged") {
		t.Errorf("the cases of a split run: %d %s %s", status, code, msg)
	}
}

// A rate limit per token: past the burst, 429 with Retry-After; the
// upload client waits and gets through.
func TestRateLimit(t *testing.T) {
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, "sqlite", func(c *Config) { c.Rate, c.Burst, c.Now = 1, 2, clock })
	a, b := e.token("shop", store.ScopeRead), e.token("shop", store.ScopeRead)
	path := "/v1/shop/tasks/history-run-list/1"
	var got []int
	for range 3 {
		status, _, _ := e.do("GET", path, a, nil)
		got = append(got, status)
	}
	status, body, h := e.do("GET", path, a, nil)
	if fmt.Sprint(got) != "[404 404 429]" || status != 429 || h.Get("Retry-After") != "1" {
		t.Errorf("statuses %v then %d (Retry-After %q); want the third refused", got, status, h.Get("Retry-After"))
	}
	if code, _ := apiErr(t, body); code != "CPTS.04290001" {
		t.Errorf("code %s", code)
	}
	if status, _, _ := e.do("GET", path, b, nil); status != 404 {
		t.Errorf("another token shares the first's bucket: %d", status)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if status, _, _ := e.do("GET", path, a, nil); status != 404 {
		t.Errorf("a second later: %d", status)
	}
	// Wrong tokens from one address are limited by the address.
	var codes []int
	for range 4 {
		status, _, _ := e.do("GET", path, "pct_wrong", nil)
		codes = append(codes, status)
	}
	if fmt.Sprint(codes) != "[401 401 429 429]" {
		t.Errorf("wrong tokens: %v", codes)
	}
}

// FuzzParseUpload: whatever the body, the ingest parser answers without
// panicking, refuses with a 422, and what it accepts turns into a part
// whose figures are the report's.
//
// The seeds are small reports: the fuzzer minimises what it finds, and a
// 70 KB report takes it longer than a short fuzz lasts. TestParseUpload
// runs the parser on the real reports of testdata.
func FuzzParseUpload(f *testing.F) {
	f.Add([]byte(smallReport))
	f.Add([]byte(strings.Replace(smallReport, `"labels":{"k":"v"}`, `"labels":{"bad key":"v"}`, 1)))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"code":"SVCSTG.CPTS.0000000","result":{"perfcase":{"run_id":"a","scenario":"s","cases":[]},"cases":[],"case_aw_info_list":[]}}`))
	f.Add([]byte(`{"result":{"perfcase":{"run_id":"a","cases":[{"case":"x"}]},"cases":[{"detail":null}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := parseUpload(http.Header{}, body)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.status != http.StatusUnprocessableEntity {
				t.Fatalf("a refusal that is not a 422: %v", err)
			}
			return
		}
		p := in.part(1, body, time.Unix(0, 0))
		if p.RunUUID == "" || p.Scenario == "" || len(p.Cases) != len(in.report.Result.Cases) || p.Segment != (store.Segment{Index: 0, Count: 1}) {
			t.Fatalf("part %+v of an accepted report", p)
		}
		var sum int64
		for _, c := range p.Cases {
			sum += c.Requests
		}
		if sum != p.Summary.Requests {
			t.Fatalf("the run's requests %d are not its cases' %d", p.Summary.Requests, sum)
		}
	})
}

// smallReport is the least a report perfcase writes holds for ingest: one
// case of one request.
const smallReport = `{"code":"SVCSTG.CPTS.0000000","message":"success","extend":null,"result":{
"brokens":null,"details":null,"rtproportion":null,"taskInfo":null,"respTimeRange":{},
"outline":{"startTime":"2024-03-01T10:00:00+08:00","endTime":"2024-03-01T10:00:04+08:00","tps":2.5,"successRate":100},
"case_aw_info_list":[{"name":"c","aw":[{"name":"r"}],"awList":[{"name":"r"}],"transactionList":[]}],
"cases":[{"detail":{"customTransactions":[],"detailDatas":[{"name":"r","datumType":0,"requests":10,"tp99":3.5}],
"performance":{"name":"c","datumType":1,"requests":10,"successCount":10,"errorCount":0,"tp99":3.5}},"err_message":null}],
"perfcase":{"run_id":"r1","scenario":"s","status":"completed","passed":true,"cases":[{"case":"c"}],"kpis":[],
"stages":[{"case":"c","name":"load","start":"2024-03-01T10:00:00+08:00","end":"2024-03-01T10:00:04+08:00"}],
"sla_triggers":[],"labels":{"k":"v"},"ci":{"system":"","commit":"","branch":"","pipeline_url":""}}}}`

// The parser reads the real reports of testdata and the small one the
// fuzzer starts from, with their figures.
func TestParseUpload(t *testing.T) {
	for _, c := range []struct {
		name     string
		body     []byte
		requests int64
		cases    int
	}{
		{"small", []byte(smallReport), 10, 1},
		{"shop.json", fixture(t, "shop.json"), 0, 2},
		{"big.json", fixture(t, "big.json"), 0, 1},
	} {
		in, err := parseUpload(http.Header{}, c.body)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p := in.part(1, c.body, time.Unix(0, 0))
		if len(p.Cases) != c.cases || c.requests != 0 && p.Summary.Requests != c.requests || p.Summary.Requests == 0 {
			t.Errorf("%s: %d cases, %d requests", c.name, len(p.Cases), p.Summary.Requests)
		}
	}
}
