package importers

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

type hv = map[string]string

// harOf builds a HAR: each entry is [method, url, start offset in ms,
// time in ms, status, response mime type, response body] with headers.
type harEntryIn struct {
	method, url  string
	at, took     int
	status       int
	mime, body   string
	reqHeaders   []hv
	respHeaders  []hv
	post         hv
	resourceType string
}

func harOf(t *testing.T, entries ...harEntryIn) []byte {
	t.Helper()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var list []any
	for _, e := range entries {
		req := map[string]any{"method": e.method, "url": e.url, "headers": e.reqHeaders}
		if e.post != nil {
			req["postData"] = e.post
		}
		ent := map[string]any{
			"pageref": "p1", "startedDateTime": t0.Add(time.Duration(e.at) * time.Millisecond).Format(time.RFC3339Nano), "time": e.took,
			"request":  req,
			"response": map[string]any{"status": e.status, "headers": e.respHeaders, "content": hv{"mimeType": e.mime, "text": e.body}},
		}
		if e.resourceType != "" {
			ent["_resourceType"] = e.resourceType
		}
		list = append(list, ent)
	}
	doc := map[string]any{"log": map[string]any{"version": "1.2", "creator": hv{"name": "test", "version": "1"},
		"pages": []hv{{"id": "p1", "title": "page one"}}, "entries": list}}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func kvs(list []scenario.KV) map[string]string {
	m := map[string]string{}
	for _, kv := range list {
		m[kv.Key] = kv.Value
	}
	return m
}

// TestHARRules converts a made-up recording that meets each rule once.
func TestHARRules(t *testing.T) {
	src := harOf(t,
		harEntryIn{method: "GET", url: "http://s:1/app", took: 10, status: 200, mime: "text/html", resourceType: "document",
			body:        `<html><head><title>Home</title><meta name="csrf-token" content="Tok3n-123"></head></html>`,
			respHeaders: []hv{{"name": "Set-Cookie", "value": "a=1; Path=/"}}},
		harEntryIn{method: "GET", url: "http://s:1/style.css", at: 20, took: 5, status: 200, mime: "text/css"},
		harEntryIn{method: "GET", url: "ws://s:1/socket", at: 22, took: 1, status: 101},
		harEntryIn{method: "POST", url: "http://s:1/api/login", at: 1510, took: 10, status: 200, mime: "application/json",
			body: `{"id": 12345, "token": "abc-123-xyz", "echo": "secret-42"}`,
			reqHeaders: []hv{{"name": "Cookie", "value": "a=1; js=2"}, {"name": "User-Agent", "value": "Mozilla"}, {"name": "X-Requested-With", "value": "XMLHttpRequest"},
				{"name": "Content-Type", "value": "application/json"}, {"name": ":authority", "value": "s:1"}},
			post: hv{"mimeType": "application/json", "text": `{"user": "ann", "csrf": "Tok3n-123", "note": "secret-42"}`}},
		harEntryIn{method: "GET", url: "http://s:1/api/orders/12345?note=secret-42", at: 1600, took: 5, status: 200, mime: "application/json", body: `{}`,
			reqHeaders: []hv{{"name": "Authorization", "value": "Bearer abc-123-xyz"}, {"name": "Priority", "value": "u=1"}, {"name": "Referer", "value": "http://s:1/app"}}},
		harEntryIn{method: "POST", url: "http://s:1/api/items", at: 1680, took: 5, status: 302, mime: "text/plain",
			reqHeaders: []hv{{"name": "Content-Type", "value": "application/json"}},
			post:       hv{"mimeType": "application/json", "text": `{"order": 12345}`}},
		harEntryIn{method: "GET", url: "http://s:1/gone", at: 1800, took: 0, status: 0},
	)
	c := HAR{}.Convert("rec.har", src)
	if len(c.Errors) > 0 {
		t.Fatal(c.Errors)
	}
	f := c.File
	if len(f.Transactions) != 1 || f.Transactions[0].Name != "Home" || len(f.Cases[0].Steps) != 1 {
		t.Fatalf("want one transaction named by the page's title: %+v", f.Transactions)
	}
	steps := f.Transactions[0].Steps
	var kinds []string
	for _, s := range steps {
		kinds = append(kinds, s.Kind.String())
	}
	if want := []string{"request", "think", "request", "request", "request"}; !slices.Equal(kinds, want) {
		t.Fatalf("steps %q, want %q", kinds, want)
	}
	// The browser was busy until the style sheet ended at 25 ms.
	if th := steps[1].Think; th.Min != 1490*time.Millisecond || th.Max != 0 {
		t.Errorf("think %v, want 1.49s: 1510 ms - 25 ms, to 10 ms", th)
	}
	app, login, order, items := steps[0].Request, steps[2].Request, steps[3].Request, steps[4].Request
	if len(app.Extract) != 1 || app.Extract[0].Var != "csrf_token" || app.Extract[0].Left != `<meta name="csrf-token" content="` || app.Extract[0].Right != `"` {
		t.Errorf("the meta tag's token: %+v", app.Extract)
	}
	if login.HTTP.BodyKind != scenario.BodyJSON || login.HTTP.Body != `{"user":"ann","csrf":"${csrf_token}","note":"secret-42"}` {
		t.Errorf("login body %q", login.HTTP.Body)
	}
	if h := kvs(login.HTTP.Headers); len(h) != 3 || h["Cookie"] != "js=2" || h["X-Requested-With"] != "XMLHttpRequest" || h["Content-Type"] != "application/json" {
		t.Errorf("login headers %v: the jar's cookie a, User-Agent and :authority left out", h)
	}
	var vars []string
	for _, e := range login.Extract {
		vars = append(vars, e.Var+"="+e.JSONPath)
	}
	// secret-42 was sent before the response returned it: the client knew it.
	if want := []string{"id=$.id", "token=$.token"}; !slices.Equal(vars, want) {
		t.Errorf("login extracts %q, want %q", vars, want)
	}
	if order.HTTP.URL != "${base}/api/orders/${id}?note=secret-42" || kvs(order.HTTP.Headers)["Authorization"] != "Bearer ${token}" || kvs(order.HTTP.Headers)["Referer"] != "${base}/app" {
		t.Errorf("order: %+v", order.HTTP)
	}
	if items.HTTP.BodyKind != scenario.BodyRaw || items.HTTP.Body != `{"order":${id}}` || kvs(items.HTTP.Headers)["Content-Type"] != "application/json" {
		t.Errorf("a correlated number is not JSON: %+v", items.HTTP)
	}
	if items.HTTP.MaxRedirects != -1 || len(items.Checks) != 1 || items.Checks[0].Value != "302" {
		t.Errorf("a recorded redirect is replayed as it was: %+v %+v", items.HTTP, items.Checks)
	}
	var notes []string
	for _, n := range c.Notes {
		notes = append(notes, n.Error())
	}
	want := []string{
		"rec.har:55:6: $.log.entries[2].request.url: GET ws://s:1/socket is not converted",
		"rec.har:182:6: $.log.entries[6].response.status: GET http://s:1/gone is not converted",
	}
	for i := range notes {
		notes[i], _, _ = strings.Cut(notes[i], "\n")
	}
	if !slices.Equal(notes, want) {
		t.Errorf("notes %q, want %q", notes, want)
	}
	if !strings.Contains(strings.Join(c.Header, "\n"), "1 static assets") {
		t.Errorf("header %q", c.Header)
	}
	if c := (HAR{KeepStatic: true}).Convert("rec.har", src); len(c.File.Transactions[0].Steps) != 6 {
		t.Errorf("--keep-static keeps the style sheet: %d steps", len(c.File.Transactions[0].Steps))
	}
}

func TestHARErrors(t *testing.T) {
	for _, tc := range []struct {
		src, want string
	}{
		{"{\"log\": {\n  \"entries\": [,]}}", "x.har:2:15: invalid JSON"},
		{`{"log": {"version": "1.2"}}`, "x.har:1:2: $.log: log.entries is missing"},
		{`{"log": {"entries": [{"startedDateTime": "yesterday", "request": {"method": "GET", "url": "http://h/"}, "response": {"status": 200}}]}}`,
			`x.har:1:23: $.log.entries[0].startedDateTime: "yesterday" is not a date and time`},
		{`{"log": {"entries": [{"startedDateTime": "2026-01-01T00:00:00Z", "request": {"method": "GET"}, "response": {"status": 200}}]}}`,
			`x.har:1:66: $.log.entries[0].request: the request has no method or url`},
		{`{"log": {"entries": {}}}`, "x.har:1:10: $.log.entries: expected a list, got object"},
	} {
		c := HAR{}.Convert("x.har", []byte(tc.src))
		if len(c.Errors) == 0 || !strings.HasPrefix(c.Errors[0].Error(), tc.want) {
			t.Errorf("Convert(%s) errors %v, want %q", tc.src, c.Errors, tc.want)
		}
	}
}

// Each format claims its own files and no other's.
func TestDetect(t *testing.T) {
	files := map[string]string{
		"demo-shop.har": "HAR", "chromium-bash.curl": "cURL", "chromium-cmd.curl": "cURL", "firefox.curl": "cURL",
		"demo-shop.postman_collection.json": "Postman collection", "demo-shop.postman_environment.json": "",
		"../examples/quickstart.yaml": "", "../perftest/testdata/create_case.json": "",
	}
	for name, want := range files {
		p := name
		if !strings.Contains(name, "/") {
			p = "testdata/" + name
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, imp := range []scenario.Importer{HAR{}, Curl{}, Postman{}} {
			if imp.Detect(src) {
				got = append(got, imp.Format())
			}
		}
		if want == "" && len(got) > 0 || want != "" && !slices.Equal(got, []string{want}) {
			t.Errorf("%s is claimed by %q, want %q", name, got, want)
		}
	}
}
