package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/server/store"
)

// Every call of every kind, with no token, a wrong one, a revoked one,
// one of too small a scope and one of another project: 401 or 403 in the
// reference's error shape, and nothing of the project in the answer.
func TestAccess(t *testing.T) {
	e := newEnv(t, "sqlite", nil)
	write := e.token("shop", store.ScopeWrite)
	read := e.token("shop", store.ScopeRead)
	other := e.token("other", store.ScopeAdmin)
	report := fixture(t, "shop.json")
	if status, body := e.upload("shop", write, report); status != 201 {
		t.Fatalf("%d %s", status, body)
	}
	id := runIDOf(t, report)
	p, _ := e.st.Project(t.Context(), "shop")
	run, _ := e.st.RunByUUID(t.Context(), p.ID, id)
	revoked := e.token("shop", store.ScopeAdmin)
	tok, _ := e.st.TokenByHash(t.Context(), hashToken(revoked))
	e.st.RevokeToken(t.Context(), p.ID, tok.ID, e.s.cfg.Now())

	calls := []struct {
		method, path string
		body         []byte
		need         store.Scope
	}{
		{"POST", "/v1/shop/perfcase/reports", withRun(t, report, uuidN(9), 0), store.ScopeWrite},
		{"PUT", fmt.Sprintf("/v1/shop/perfcase/tasks/%d/baseline", run.TaskID), []byte(`{"run_id":"` + id + `"}`), store.ScopeWrite},
		{"DELETE", fmt.Sprintf("/v1/shop/perfcase/tasks/%d/baseline", run.TaskID), nil, store.ScopeWrite},
		{"DELETE", "/v1/shop/perfcase/runs/" + id, nil, store.ScopeAdmin},
		{"GET", "/v1/shop/perfcase/runs", nil, store.ScopeRead},
		{"GET", "/v1/shop/perfcase/tasks", nil, store.ScopeRead},
		{"GET", "/v1/shop/perfcase/runs/" + id + "/report", nil, store.ScopeRead},
		{"GET", "/v1/shop/perfcase/baseline?scenario=shop", nil, store.ScopeRead},
		{"GET", "/v1/shop/perfcase/compare?new=" + id + "&base=" + id, nil, store.ScopeRead},
		{"GET", fmt.Sprintf("/v1/shop/perfcase/tasks/%d/trend?case=browse", run.TaskID), nil, store.ScopeRead},
		{"GET", fmt.Sprintf("/v1/shop/tasks/history-run-list/%d", run.TaskID), nil, store.ScopeRead},
		{"GET", fmt.Sprintf("/v2/shop/task-run-infos/%d/cases", run.ID), nil, store.ScopeRead},
	}
	for _, c := range calls {
		type try struct {
			who, token string
			status     int
		}
		tries := []try{{"no token", "", 401}, {"a wrong token", "pct_" + strings.Repeat("a", 52), 401}, {"a revoked token", revoked, 401}, {"another project's admin", other, 403}}
		if c.need > store.ScopeRead {
			tries = append(tries, try{"a read token", read, 403})
		}
		if c.need > store.ScopeWrite {
			tries = append(tries, try{"a write token", write, 403})
		}
		for _, tr := range tries {
			status, body, _ := e.do(c.method, c.path, tr.token, c.body)
			apiErr(t, body)
			if status != tr.status {
				t.Errorf("%s %s with %s: %d %s, want %d", c.method, c.path, tr.who, status, body, tr.status)
			}
			for _, secret := range []string{id, "browse", "checkout", write, other, revoked} {
				if strings.Contains(string(body), secret) {
					t.Errorf("%s %s with %s: the answer holds %q: %s", c.method, c.path, tr.who, secret, body)
				}
			}
		}
	}
	// The refusals changed nothing.
	if n := e.runCount("shop"); n != 1 {
		t.Errorf("%d runs after the refused calls", n)
	}
	if tk, _ := e.st.Task(t.Context(), p.ID, run.TaskID); tk.BaselineID != 0 {
		t.Error("a refused call marked a baseline")
	}
	// State changes are not reachable with GET.
	for _, path := range []string{"/v1/shop/perfcase/reports", fmt.Sprintf("/v1/shop/perfcase/tasks/%d/baseline", run.TaskID)} {
		if status, _, _ := e.do("GET", path, write, nil); status != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d, want 405", path, status)
		}
	}
	if status, _, _ := e.do("GET", "/v1/shop/perfcase/runs/"+id, write, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET on a run's delete: %d", status)
	}
}

// A token never reaches the log, not even when a client puts it where it
// does not belong (the path, a query); the log names the token by id.
func TestTokenNeverLogged(t *testing.T) {
	e := newEnv(t, "sqlite", nil)
	tok := e.token("shop", store.ScopeWrite)
	e.upload("shop", tok, fixture(t, "shop.json"))
	e.do("GET", "/v1/"+tok+"/perfcase/runs", tok, nil)
	e.do("GET", "/v1/shop/perfcase/runs?token="+tok, tok, nil)
	e.do("GET", "/v1/shop/perfcase/runs", tok+"x", nil)
	e.do("GET", "/v1/shop/perfcase/runs/"+strings.ToUpper(tok)+"/report", tok, nil)
	log := e.log.String()
	if strings.Contains(strings.ToLower(log), tok[len(TokenPrefix):len(TokenPrefix)+12]) {
		t.Errorf("the token is in the log:\n%s", log)
	}
	if !contains(log, "POST /v1/shop/perfcase/reports 201", "token 1 (shop)", "GET /v1/[token]/perfcase/runs 403") {
		t.Errorf("log:\n%s", log)
	}
}

// With --public-read, reads need no token and writes still do.
func TestPublicRead(t *testing.T) {
	e := newEnv(t, "sqlite", func(c *Config) { c.PublicRead = true })
	write := e.token("shop", store.ScopeWrite)
	report := fixture(t, "shop.json")
	if status, _ := e.upload("shop", "", report); status != 401 {
		t.Errorf("an upload without a token: %d", status)
	}
	e.upload("shop", write, report)
	if status, body, _ := e.do("GET", "/v1/shop/perfcase/runs", "", nil); status != 200 || !strings.Contains(string(body), runIDOf(t, report)) {
		t.Errorf("a public read: %d %s", status, body)
	}
	if status, body, _ := e.do("GET", "/v1/nope/perfcase/runs", "", nil); status != 404 || !strings.Contains(string(body), `no project \"nope\"`) {
		t.Errorf("a public read of no project: %d %s", status, body)
	}
	if status, _, _ := e.do("GET", "/v1/shop/perfcase/runs", "pct_wrong", nil); status != 401 {
		t.Errorf("a wrong token is refused even where none is needed: %d", status)
	}
}
