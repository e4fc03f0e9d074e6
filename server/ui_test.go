package server

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/server/store"
)

// browser is a client with a cookie jar that does not follow redirects,
// so that each one is seen.
type browser struct {
	t testing.TB
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// post submits a form as a page of the service does (Origin: the
// service) unless origin says otherwise.
func (b *browser) post(path string, form url.Values, origin string) (int, string, http.Header) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin == "" {
		origin = b.e.srv.URL
	}
	req.Header.Set("Origin", origin)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) login(token string) {
	b.t.Helper()
	status, body, h := b.post("/ui/login", url.Values{"token": {token}}, "")
	if status != http.StatusSeeOther {
		b.t.Fatalf("login: %d %s", status, body)
	}
	c := h.Get("Set-Cookie")
	if !contains(c, cookieName+"=", "HttpOnly", "SameSite=Strict", "Path=/") {
		b.t.Errorf("the login's cookie: %s", c)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// uiEnv is a service holding three runs of shop, the last slower, with
// labels and CI metadata.
func uiEnv(t *testing.T, edit func(*Config)) (*env, string) {
	e := newEnv(t, "sqlite", edit)
	write := e.token("shop", store.ScopeWrite)
	base := fixture(t, "shop.json")
	ci := `"ci": {"system": "github", "commit": "9f3c2a1e", "branch": "main", "pipeline_url": "https://github.com/shop/shop/actions/runs/77"}`
	for i, r := range [][]byte{
		withLabels(withRun(t, base, uuidN(1), 0), `{"env": "prod"}`),
		withLabels(withRun(t, base, uuidN(2), time.Hour), `{"env": "staging"}`),
		withLabels(withTP99(t, withRun(t, base, uuidN(3), 2*time.Hour), 2), `{"env": "prod"}`),
	} {
		r = regexp.MustCompile(`"ci": \{[^}]*\}`).ReplaceAll(r, []byte(ci))
		if status, body := e.upload("shop", write, r); status != 201 {
			t.Fatalf("upload %d: %d %s", i, status, body)
		}
	}
	return e, write
}

// The pages, logged in with a read token: the scenarios with their
// latest verdict, a scenario's runs with their figures and labels
// (filterable), a run with its cases and its full HTML report, a trend
// with the baseline, a comparison with its regressions highlighted.
func TestUIPages(t *testing.T) {
	e, write := uiEnv(t, nil)
	b := e.browser()
	status, _, h := b.get("/ui/shop/")
	if status != http.StatusSeeOther || h.Get("Location") != "/ui/login?next=%2Fui%2Fshop%2F" {
		t.Fatalf("a page without a login: %d %s", status, h.Get("Location"))
	}
	if status, body, _ := b.post("/ui/login", url.Values{"token": {"pct_nope"}}, ""); status != 401 || !strings.Contains(body, "not one of this service") {
		t.Errorf("a wrong token at the login: %d", status)
	}
	b.login(e.token("shop", store.ScopeRead))
	p, _ := e.st.Project(context.Background(), "shop")
	run3, _ := e.st.RunByUUID(context.Background(), p.ID, uuidN(3))
	task := fmt.Sprintf("/ui/shop/tasks/%d/", run3.TaskID)

	status, _, h = b.get("/ui/")
	if status != http.StatusSeeOther || h.Get("Location") != "/ui/shop/" {
		t.Errorf("the start page of a login: %d %s", status, h.Get("Location"))
	}
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/ui/shop/", []string{`<a href="` + task + `">shop</a>`, `<span class="badge pass">passed</span>`, "/ui/shop/runs/" + uuidN(3) + "/"}},
		{task, []string{uuidN(1), uuidN(2), uuidN(3), `<a class="label" href="?labels=env%3dprod">env=prod</a>`, "<code>9f3c2a1e</code> main", "trend?case=browse&kind=request&name=item"}},
		{task + "?labels=env=staging", []string{uuidN(2)}},
		{"/ui/shop/runs/" + uuidN(3) + "/", []string{"run " + uuidN(3), "commit <code>9f3c2a1e</code>", `href="https://github.com/shop/shop/actions/runs/77"`,
			`src="/ui/shop/runs/` + uuidN(3) + `/report.html" sandbox="allow-scripts"`, "Mark as the baseline", "<td>browse</td>", `name="csrf"`,
			task + "trend?case=browse&kind=request&name=item"}},
		{task + "trend?case=browse&kind=request&name=item", []string{`id="trend-data"`, "Trend of request item of case browse", `data-metric="tp99"`,
			`<a href="?case=browse&kind=request&name=item">item</a>`}},
		{"/ui/shop/compare?base=" + uuidN(1) + "&new=" + uuidN(3), []string{`regression (limit tp99 +10%)`, `<tr class="regression`, "regressions past the limits"}},
		{"/ui/shop/compare?base=" + uuidN(1) + "&new=" + uuidN(2), []string{"No regression"}},
	} {
		status, body, h := b.get(c.path)
		body = html.UnescapeString(body)
		if status != 200 || h.Get("Content-Security-Policy") != uiCSP {
			t.Errorf("GET %s: %d, CSP %q", c.path, status, h.Get("Content-Security-Policy"))
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", c.path, w)
			}
		}
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
			if !strings.Contains(tag, " src=") && !strings.Contains(tag, `type="application/json"`) {
				t.Errorf("GET %s has an inline script, which its CSP forbids: %s", c.path, tag)
			}
		}
		if regexp.MustCompile(`<style|\sstyle="|\son[a-z]+="`).MatchString(body) {
			t.Errorf("GET %s has an inline style or handler, which its CSP forbids", c.path)
		}
		if strings.Contains(body, write) {
			t.Errorf("GET %s shows a token", c.path)
		}
	}
	if _, body, _ := b.get(task + "?labels=env=staging"); strings.Contains(body, uuidN(1)) || strings.Contains(body, uuidN(3)) {
		t.Error("the label filter shows runs without the label")
	}
	status, body, h := b.get("/ui/shop/runs/" + uuidN(3) + "/report.html")
	if status != 200 || h.Get("Content-Security-Policy") != reportCSP || !strings.Contains(body, `<meta name="generator" content="perfcase">`) || !strings.Contains(body, "browse") {
		t.Errorf("the framed report: %d %q", status, h.Get("Content-Security-Policy"))
	}
	if status, body, _ := b.get("/ui/shop/runs/" + uuidN(3) + "/report.json"); status != 200 || !strings.Contains(body, `"run_id": "`+uuidN(3)+`"`) {
		t.Errorf("the report JSON from the run page: %d", status)
	}
	for _, a := range []string{"uPlot.js", "uPlot.css", "ui.js", "ui.css"} {
		if status, body, _ := b.get("/assets/" + a); status != 200 || len(body) < 500 {
			t.Errorf("asset %s: %d, %d bytes", a, status, len(body))
		}
	}
	// The pages of a scenario find it as the API does: a task id that is
	// not an id, or not the project's, is a 404 page naming it.
	for _, c := range []struct{ path, want string }{
		{"/ui/shop/tasks/x/", `task_id "x" is not an id`},
		{"/ui/shop/tasks/999/", `no scenario (task) 999 in project "shop"`},
		{"/ui/shop/tasks/999/trend?case=browse", `no scenario (task) 999 in project "shop"`},
	} {
		if status, body, _ := b.get(c.path); status != 404 || !strings.Contains(html.UnescapeString(body), c.want) {
			t.Errorf("GET %s: %d, want 404 and %q", c.path, status, c.want)
		}
	}
	// A project the login is not for, and a read login marking a
	// baseline: refused, nothing changed.
	if status, _, _ := b.get("/ui/other/"); status != 403 {
		t.Errorf("another project's page: %d", status)
	}
	_, page, _ := b.get("/ui/shop/runs/" + uuidN(3) + "/")
	csrf := csrfField.FindStringSubmatch(page)[1]
	if status, _, _ := b.post(task+"baseline", url.Values{"csrf": {csrf}, "run_id": {uuidN(3)}}, ""); status != 403 {
		t.Errorf("a read login marking a baseline: %d", status)
	}
}

// Forms change state only from this service's pages, with the login's
// CSRF token, and with the scope they need; a cookie alone never
// authorises an API call that writes.
func TestUIForms(t *testing.T) {
	e, write := uiEnv(t, nil)
	b := e.browser()
	b.login(write)
	p, _ := e.st.Project(context.Background(), "shop")
	run1, _ := e.st.RunByUUID(context.Background(), p.ID, uuidN(1))
	task := fmt.Sprintf("/ui/shop/tasks/%d/", run1.TaskID)
	_, page, _ := b.get("/ui/shop/runs/" + uuidN(1) + "/")
	csrf := csrfField.FindStringSubmatch(page)[1]
	mark := url.Values{"csrf": {csrf}, "run_id": {uuidN(1)}}
	for _, c := range []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"no CSRF token", url.Values{"run_id": {uuidN(1)}}, ""},
		{"another login's CSRF token", url.Values{"csrf": {e.s.csrf("pct_other")}, "run_id": {uuidN(1)}}, ""},
		{"from another site", mark, "https://evil.example.com"},
	} {
		if status, _, _ := b.post(task+"baseline", c.form, c.origin); status != 403 {
			t.Errorf("%s: %d, want 403", c.name, status)
		}
	}
	if tk, _ := e.st.Task(context.Background(), p.ID, run1.TaskID); tk.BaselineID != 0 {
		t.Fatal("a refused form marked the baseline")
	}
	unknown := url.Values{"csrf": {csrf}, "run_id": {"nope"}}
	if status, body, _ := b.post(task+"baseline", unknown, ""); status != 404 || !strings.Contains(html.UnescapeString(body), `no run "nope" of scenario "shop"`) {
		t.Errorf("marking an unknown run: %d", status)
	}
	status, _, h := b.post(task+"baseline", mark, "")
	if tk, _ := e.st.Task(context.Background(), p.ID, run1.TaskID); status != http.StatusSeeOther || tk.BaselineID != run1.ID || h.Get("Location") != "/ui/shop/runs/"+uuidN(1)+"/" {
		t.Errorf("marking the baseline: %d, baseline %d", status, tk.BaselineID)
	}
	_, body, _ := b.get(task + "trend?case=browse")
	if !strings.Contains(body, `"baseline":0`) || !strings.Contains(body, `<span class="tag">baseline</span>`) {
		t.Errorf("the trend does not draw the baseline")
	}
	if _, body, _ := b.get("/ui/shop/compare?new=" + uuidN(3)); !strings.Contains(body, uuidN(1)) || !strings.Contains(body, "regression") {
		t.Error("a comparison without base does not take the baseline")
	}
	// Deleting needs admin.
	del := url.Values{"csrf": {csrf}}
	if status, _, _ := b.post("/ui/shop/runs/"+uuidN(2)+"/delete", del, ""); status != 403 {
		t.Errorf("a write login deleting: %d", status)
	}
	admin := e.browser()
	admin.login(e.token("shop", store.ScopeAdmin))
	_, page, _ = admin.get("/ui/shop/runs/" + uuidN(2) + "/")
	acsrf := csrfField.FindStringSubmatch(page)[1]
	if status, _, _ := admin.post("/ui/shop/runs/"+uuidN(2)+"/delete", url.Values{"csrf": {acsrf}}, ""); status != http.StatusSeeOther || e.runCount("shop") != 2 {
		t.Errorf("an admin deleting: %d, %d runs left", status, e.runCount("shop"))
	}
	if !strings.Contains(e.log.String(), "run "+uuidN(2)+" (shop) of project shop deleted") {
		t.Errorf("the deletion is not in the log:\n%s", e.log.String())
	}
	if status, _, _ := admin.post("/ui/shop/runs/"+uuidN(2)+"/delete", url.Values{"csrf": {acsrf}}, ""); status != 404 {
		t.Errorf("deleting twice: %d", status)
	}
	// The cookie is the UI's: it does not authorise an API write.
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/shop/perfcase/reports", bytes.NewReader(fixture(t, "big.json")))
	for _, c := range b.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("an API upload with the UI's cookie: %d", resp.StatusCode)
	}
	// Logging out clears the cookie.
	if status, _, h := b.post("/ui/logout", url.Values{"csrf": {csrf}}, ""); status != http.StatusSeeOther || !strings.Contains(h.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: %d %s", status, h.Get("Set-Cookie"))
	}
	if status, _, _ := b.get("/ui/shop/"); status != http.StatusSeeOther {
		t.Errorf("after logging out: %d", status)
	}
}

// The pages in a real browser (headless Chromium, on a service with
// public reads): the scenario list, a scenario's runs, a run with its
// framed report, a trend and a comparison render without a script error,
// the trend's four charts drawn; screenshots are kept.
func TestUIInBrowser(t *testing.T) {
	bin := testsupport.Chromium(t)
	e, _ := uiEnv(t, func(c *Config) { c.PublicRead = true })
	p, _ := e.st.Project(context.Background(), "shop")
	run1, _ := e.st.RunByUUID(context.Background(), p.ID, uuidN(1))
	e.st.SetBaseline(context.Background(), run1.TaskID, run1.ID)
	task := fmt.Sprintf("/ui/shop/tasks/%d/", run1.TaskID)
	dir := testsupport.Artifacts(t)
	for _, c := range []struct {
		name, path string
		charts     string
	}{
		{"serve-scenarios", "/ui/shop/", "0"},
		{"serve-runs", task, "0"},
		{"serve-run", "/ui/shop/runs/" + uuidN(3) + "/", "0"},
		{"serve-report", "/ui/shop/runs/" + uuidN(3) + "/report.html", "6"},
		{"serve-trend", task + "trend?case=browse&kind=request&name=item", "4"},
		{"serve-compare", "/ui/shop/compare?new=" + uuidN(3), "0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dom := testsupport.Headless(t, bin, "--virtual-time-budget=5000", "--dump-dom", e.srv.URL+c.path)
			html := regexp.MustCompile(`<html[^>]*>`).FindString(dom)
			if m := regexp.MustCompile(`data-error="([^"]*)"`).FindStringSubmatch(html); m != nil {
				t.Fatalf("a script error: %s", m[1])
			}
			if !strings.Contains(html, `data-rendered="ok"`) || !strings.Contains(html, `data-charts="`+c.charts+`"`) {
				t.Fatalf("the page did not finish rendering: %s", html)
			}
			if n := strings.Count(dom, `<div class="uplot`); c.charts != "0" && fmt.Sprint(n) != c.charts {
				t.Errorf("%d uPlot charts in the DOM, want %s", n, c.charts)
			}
			png := filepath.Join(dir, c.name+".png")
			testsupport.Headless(t, bin, "--virtual-time-budget=5000", "--window-size=1400,1800", "--screenshot="+png, e.srv.URL+c.path)
			if st, err := os.Stat(png); err != nil || st.Size() < 10000 {
				t.Fatalf("no screenshot at %s: %v", png, err)
			}
			t.Logf("screenshot: %s", png)
		})
	}
}
