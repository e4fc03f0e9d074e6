package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/compare"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/reporters"
	"github.com/perfcase/perfcase/server/store"
)

// The web UI: server-rendered pages, one stylesheet and one script of
// its own and the HTML report's chart library, all served from this
// binary (nothing from another site, no fonts). Pages only read; every
// change is a POST form carrying a CSRF token, from a page of this
// origin. The token a person logs in with is kept in an HttpOnly,
// SameSite=Strict cookie, which scripts cannot read and other sites'
// requests do not carry.

//go:embed ui
var uiFiles embed.FS

var uiPages = map[string]*template.Template{}

func init() {
	layout := template.Must(template.New("layout.tmpl").Funcs(uiFuncs).ParseFS(uiFiles, "ui/layout.tmpl"))
	for _, p := range []string{"login", "error", "projects", "tasks", "runs", "run", "trend", "compare"} {
		t := template.Must(layout.Clone())
		uiPages[p] = template.Must(t.ParseFS(uiFiles, "ui/"+p+".tmpl"))
	}
}

// uiCSP is the pages' Content Security Policy: their script and styles
// from this origin only, forms posted here only, frames of this origin
// only (the run page frames its HTML report).
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"

// reportCSP is the framed HTML report's: it is one self-contained page
// with inline script and styles, and needs nothing else.
const reportCSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'"

// uiPage is what every page's template gets.
type uiPage struct {
	Title  string
	Crumbs []crumb
	// In is the project the page is of; "" on pages of none.
	In   string
	CSRF string
	Body any
}

type crumb struct{ Name, URL string }

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, p *uiPage) {
	if tok := cookieToken(r); tok != "" {
		p.CSRF = s.csrf(tok)
	}
	var b bytes.Buffer
	if err := uiPages[page].ExecuteTemplate(&b, "layout.tmpl", p); err != nil {
		s.fail(w, r, fmt.Errorf("rendering %s: %w", page, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", uiCSP)
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// uiError renders a refusal or failure as a page; a page that needs a
// token the visitor has not given sends them to the login form instead.
func (s *Server) uiError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.logf("error serving %s %s: %v", r.Method, r.URL.Path, err)
		ae = errInternal
	}
	if ae.status == http.StatusUnauthorized && r.Method == http.MethodGet {
		http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	s.render(w, r, ae.status, "error", &uiPage{Title: http.StatusText(ae.status), Body: struct{ Code, Msg string }{ae.code, ae.msg}})
}

// uiGuard authorizes a page of the path's project.
func (s *Server) uiGuard(w http.ResponseWriter, r *http.Request, need store.Scope) (store.Project, bool) {
	p, err := s.authorize(w, r, r.PathValue("project"), need, true)
	if err != nil {
		s.uiError(w, r, err)
		return store.Project{}, false
	}
	return p, true
}

// csrf is the form token of a login: a MAC of its token under a key of
// this process, so that only a page this service served to that login
// can post its forms.
func (s *Server) csrf(token string) string {
	m := hmac.New(sha256.New, s.csrfKey[:])
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// checkForm refuses a POST that does not come from a page of this
// service: its Origin (or Referer) must be this host, and its CSRF token
// the login's.
func (s *Server) checkForm(w http.ResponseWriter, r *http.Request) error {
	if err := sameOrigin(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	tok := cookieToken(r)
	if tok == "" || !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.csrf(tok))) {
		return newError(http.StatusForbidden, 3, "the form is stale or did not come from this service: reload the page and try again")
	}
	return nil
}

func sameOrigin(r *http.Request) error {
	from := r.Header.Get("Origin")
	if from == "" {
		from = r.Header.Get("Referer")
	}
	u, err := url.Parse(from)
	if from == "" || err != nil || u.Host != r.Host {
		return newError(http.StatusForbidden, 3, "the form did not come from a page of this service")
	}
	return nil
}

func (s *Server) uiRoot(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

func (s *Server) uiAsset(w http.ResponseWriter, r *http.Request) {
	js, css, license := reporters.UPlot()
	var body, typ string
	switch r.PathValue("file") {
	case "uPlot.js":
		body, typ = js, "text/javascript"
	case "uPlot.css":
		body, typ = css, "text/css"
	case "uPlot.LICENSE":
		body, typ = license, "text/plain"
	case "ui.js", "ui.css":
		b, _ := uiFiles.ReadFile("ui/" + r.PathValue("file"))
		body, typ = string(b), map[string]string{".js": "text/javascript", ".css": "text/css"}[path.Ext(r.PathValue("file"))]
	default:
		s.uiError(w, r, newError(http.StatusNotFound, 3, "no such file"))
		return
	}
	w.Header().Set("Content-Type", typ+"; charset=utf-8")
	// Assets change only with the binary.
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write([]byte(body))
}

type loginBody struct {
	Next  string
	Error string
}

func (s *Server) uiLoginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", &uiPage{Title: "Log in", Body: loginBody{Next: safeNext(r.URL.Query().Get("next"))}})
}

// safeNext keeps a redirect after login on this service.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return ""
	}
	return next
}

// uiLogin checks the token typed in and keeps it in the cookie.
func (s *Server) uiLogin(w http.ResponseWriter, r *http.Request) {
	if err := sameOrigin(r); err != nil {
		s.uiError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	secret := strings.TrimSpace(r.PostFormValue("token"))
	next := safeNext(r.PostFormValue("next"))
	addr := "addr " + remoteHost(r)
	if s.limiter.empty(addr) {
		s.uiError(w, r, errRate)
		return
	}
	tok, err := s.store.TokenByHash(r.Context(), hashToken(secret))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.uiError(w, r, err)
			return
		}
		s.limiter.allow(addr)
		s.render(w, r, http.StatusUnauthorized, "login", &uiPage{Title: "Log in", Body: loginBody{Next: next, Error: "That token is not one of this service's, or it was revoked."}})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: secret, Path: "/", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: 12 * 3600})
	if next == "" {
		next = "/ui/" + url.PathEscape(tok.Project) + "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) uiLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.checkForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// uiProjects lists the projects the visitor may read: the token's, or
// every one with public reads.
func (s *Server) uiProjects(w http.ResponseWriter, r *http.Request) {
	var names []string
	if tok := cookieToken(r); tok != "" {
		t, err := s.store.TokenByHash(r.Context(), hashToken(tok))
		if err == nil {
			http.Redirect(w, r, "/ui/"+url.PathEscape(t.Project)+"/", http.StatusSeeOther)
			return
		}
	}
	if !s.cfg.PublicRead {
		http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
		return
	}
	ps, err := s.store.Projects(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	for _, p := range ps {
		names = append(names, p.Name)
	}
	s.render(w, r, http.StatusOK, "projects", &uiPage{Title: "Projects", Body: names})
}

func (s *Server) page(p store.Project, title string, crumbs ...crumb) *uiPage {
	return &uiPage{Title: title, In: p.Name, Crumbs: append([]crumb{{p.Name, projectURL(p.Name)}}, crumbs...)}
}

func projectURL(p string) string { return "/ui/" + url.PathEscape(p) + "/" }
func taskURL(p string, id int64) string {
	return projectURL(p) + "tasks/" + strconv.FormatInt(id, 10) + "/"
}
func runURL(p, id string) string { return projectURL(p) + "runs/" + url.PathEscape(id) + "/" }

// uiTasks is a project's scenarios with their latest run.
func (s *Server) uiTasks(w http.ResponseWriter, r *http.Request) {
	p, ok := s.uiGuard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	ts, err := s.store.Tasks(r.Context(), p.ID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	pg := s.page(p, p.Name)
	pg.Crumbs = nil
	pg.Body = ts
	s.render(w, r, http.StatusOK, "tasks", pg)
}

type runsBody struct {
	Task   store.Task
	Runs   []store.Run
	Labels string // the filter as typed: key=value, …
	Older  string // the next page's URL; "" on the last
	Cases  []store.CaseRun
	Series map[string][]store.Detail // by case: its requests and transactions, for the trend links
}

// uiRuns is a scenario's runs, newest first, filterable by labels
// (?labels=env=prod,build=12), 50 a page.
func (s *Server) uiRuns(w http.ResponseWriter, r *http.Request) {
	p, ok := s.uiGuard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	task, err := s.taskByPath(r, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	q := r.URL.Query()
	b := runsBody{Task: task, Labels: q.Get("labels")}
	rq := store.RunQuery{ProjectID: p.ID, TaskID: task.ID, Labels: map[string]string{}, Limit: 51}
	for item := range strings.SplitSeq(b.Labels, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			s.uiError(w, r, newError(http.StatusBadRequest, 1, "label filter %q is not key=value", item))
			return
		}
		rq.Labels[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if v := q.Get("before"); v != "" {
		if before, err := s.store.RunByUUID(r.Context(), p.ID, v); err == nil {
			rq.Before, rq.BeforeID = before.Start, before.ID
		}
	}
	if b.Runs, err = s.store.Runs(r.Context(), rq); err != nil {
		s.uiError(w, r, err)
		return
	}
	if len(b.Runs) == rq.Limit {
		b.Runs = b.Runs[:rq.Limit-1]
		b.Older = "?" + url.Values{"labels": {b.Labels}, "before": {b.Runs[len(b.Runs)-1].UUID}}.Encode()
	}
	if task.Latest != nil {
		// The trend links list the latest run's cases and series.
		if b.Cases, b.Series, err = s.caseSeries(r.Context(), task.Latest.ID); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	pg := s.page(p, task.Name, crumb{task.Name, ""})
	pg.Body = b
	s.render(w, r, http.StatusOK, "runs", pg)
}

// caseSeries is a run's cases and, by case name, their requests and
// transactions (their details but the case's own row): what a page
// links the trends of.
func (s *Server) caseSeries(ctx context.Context, runID int64) ([]store.CaseRun, map[string][]store.Detail, error) {
	cases, err := s.store.CaseRuns(ctx, runID)
	if err != nil {
		return nil, nil, err
	}
	series := map[string][]store.Detail{}
	for _, c := range cases {
		ds, err := s.store.Details(ctx, c.ID)
		if err != nil {
			return nil, nil, err
		}
		series[c.Name] = ds[1:]
	}
	return cases, series, nil
}

type runBody struct {
	Run      store.Run
	Baseline bool
	HasBase  bool
	Cases    []store.CaseRun
	Series   map[string][]store.Detail
}

// uiRun is a run: its verdict and metadata, its cases, what can be done
// with it, and its full HTML report below.
func (s *Server) uiRun(w http.ResponseWriter, r *http.Request) {
	p, ok := s.uiGuard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	run, err := s.runByPath(r, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	task, err := s.store.Task(r.Context(), p.ID, run.TaskID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	b := runBody{Run: run, Baseline: task.BaselineID == run.ID, HasBase: task.BaselineID != 0}
	if b.Cases, b.Series, err = s.caseSeries(r.Context(), run.ID); err != nil {
		s.uiError(w, r, err)
		return
	}
	pg := s.page(p, run.Scenario+" · "+run.Start.UTC().Format("2006-01-02 15:04"), crumb{task.Name, taskURL(p.Name, task.ID)}, crumb{shortID(run.UUID), ""})
	pg.Body = b
	s.render(w, r, http.StatusOK, "run", pg)
}

// uiReport is a run's full HTML report, rendered by the reporters'
// writer from the stored report. It is framed by the run page, in a
// sandbox: its scripts run in an origin of their own.
func (s *Server) uiReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.uiGuard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	run, err := s.runByPath(r, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data, err := s.runReport(r.Context(), run)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var rep output.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		s.uiError(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := reporters.WriteHTML(&b, &output.Finished{Report: &rep}); err != nil {
		s.uiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", reportCSP)
	w.Write(b.Bytes())
}

// uiReportJSON is a run's report as uploaded, for the UI's link: the API
// call answers the same, but takes its token in a header.
func (s *Server) uiReportJSON(w http.ResponseWriter, r *http.Request) {
	p, ok := s.uiGuard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	run, err := s.runByPath(r, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.writeReport(w, r, run, -1)
}

// uiBaseline marks a run as its scenario's baseline (write scope).
func (s *Server) uiBaseline(w http.ResponseWriter, r *http.Request) {
	if err := s.checkForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	p, ok := s.uiGuard(w, r, store.ScopeWrite)
	if !ok {
		return
	}
	task, err := s.taskByPath(r, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	run, err := s.runOfTask(r, p, task, r.PostFormValue("run_id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.store.SetBaseline(r.Context(), task.ID, run.ID); err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, runURL(p.Name, run.UUID), http.StatusSeeOther)
}

// uiDelete deletes a run (admin scope).
func (s *Server) uiDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.checkForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	p, ok := s.uiGuard(w, r, store.ScopeAdmin)
	if !ok {
		return
	}
	run, err := s.deleteRunByPath(r, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, taskURL(p.Name, run.TaskID), http.StatusSeeOther)
}

type trendBody struct {
	Task   store.Task
	Query  store.TrendQuery
	Series string // what the trend is of, in words
	Points []trendPoint
	Data   template.JS // the chart data, JSON
	Cases  []store.CaseRun
	Others map[string][]store.Detail
}

// uiTrend draws a case's or series' tp99, average, TPS and success rate
// across the scenario's runs (?limit=, 100 by default), the baseline
// drawn across.
func (s *Server) uiTrend(w http.ResponseWriter, r *http.Request) {
	p, ok := s.uiGuard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	task, err := s.taskByPath(r, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	tq, err := trendQuery(r, task.ID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	pts, err := s.store.Trend(r.Context(), tq)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	b := trendBody{Task: task, Query: tq, Series: "case " + tq.Case, Others: map[string][]store.Detail{}}
	if tq.Kind != store.KindCase {
		b.Series = map[int]string{store.KindRequest: "request ", store.KindTransaction: "transaction "}[tq.Kind] + tq.Name + " of case " + tq.Case
	}
	type chartData struct {
		X        []int64    `json:"x"`
		Runs     []string   `json:"runs"`
		TP99     []*float64 `json:"tp99"`
		AvgRT    []*float64 `json:"avg_rt"`
		TPS      []*float64 `json:"tps"`
		Success  []*float64 `json:"success_rate"`
		Baseline int        `json:"baseline"` // index of the baseline's point; -1 when not among them
	}
	cd := chartData{X: []int64{}, Runs: []string{}, TP99: []*float64{}, AvgRT: []*float64{}, TPS: []*float64{}, Success: []*float64{}, Baseline: -1}
	for i, pt := range pts {
		cd.X = append(cd.X, pt.Start.Unix())
		cd.Runs = append(cd.Runs, pt.RunUUID)
		cd.TP99, cd.AvgRT, cd.TPS, cd.Success = append(cd.TP99, pt.TP99), append(cd.AvgRT, pt.AvgRT), append(cd.TPS, pt.TPS), append(cd.Success, pt.SuccessRate)
		if pt.RunID == task.BaselineID {
			cd.Baseline = i
		}
		b.Points = append(b.Points, trendPoint{RunID: pt.RunUUID, Start: pt.Start.UTC().Format("2006-01-02 15:04:05"), Requests: pt.Requests,
			TPS: pt.TPS, AvgRT: pt.AvgRT, TP99: pt.TP99, SuccessRate: pt.SuccessRate, Baseline: pt.RunID == task.BaselineID})
	}
	js, err := json.Marshal(cd)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	b.Data = template.JS(js)
	if task.Latest != nil {
		// The links to the other series are a convenience: the trend is
		// drawn without them when they cannot be read.
		if cases, series, err := s.caseSeries(r.Context(), task.Latest.ID); err == nil {
			b.Cases, b.Others = cases, series
		}
	}
	pg := s.page(p, "Trend of "+b.Series, crumb{task.Name, taskURL(p.Name, task.ID)}, crumb{"trend", ""})
	pg.Body = b
	s.render(w, r, http.StatusOK, "trend", pg)
}

type compareBody struct {
	Result *compare.Result
	Limits string
	Base   store.Run
	New    store.Run
}

// uiCompare puts two runs side by side (?base=RUN&new=RUN; without base,
// the scenario's baseline), every row and metric with both values and
// the change, regressions past the limits (?max_regression=, the
// defaults of perfcase compare) highlighted.
func (s *Server) uiCompare(w http.ResponseWriter, r *http.Request) {
	p, ok := s.uiGuard(w, r, store.ScopeRead)
	if !ok {
		return
	}
	q := r.URL.Query()
	limits, err := compare.ParseLimits(q.Get("max_regression"))
	if err != nil {
		s.uiError(w, r, newError(http.StatusBadRequest, 1, "max_regression: %v", err))
		return
	}
	base, err := s.baseOf(r, p, q.Get("base"), q.Get("new"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	res, err := s.comparison(r, p, base, q.Get("new"), limits)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	b := compareBody{Result: res, Limits: q.Get("max_regression")}
	b.Base, _ = s.store.RunByUUID(r.Context(), p.ID, base)
	b.New, _ = s.store.RunByUUID(r.Context(), p.ID, q.Get("new"))
	task, _ := s.store.Task(r.Context(), p.ID, b.New.TaskID)
	pg := s.page(p, "Compare "+shortID(base)+" and "+shortID(q.Get("new")), crumb{task.Name, taskURL(p.Name, task.ID)}, crumb{"compare", ""})
	pg.Body = b
	s.render(w, r, http.StatusOK, "compare", pg)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// uiFuncs format figures for the pages.
var uiFuncs = template.FuncMap{
	"ms":     func(p *float64) string { return compare.Number(p, "ms") },
	"rate":   func(p *float64) string { return compare.Number(p, "/s") },
	"pct":    func(p *float64) string { return compare.Number(p, "%") },
	"value":  compare.Number,
	"change": compare.ChangeText,
	"limit": func(l any) string {
		if p, ok := l.(*compare.Limit); ok {
			return compare.LimitText(*p)
		}
		return compare.LimitText(l.(compare.Limit))
	},
	"short":    shortID,
	"when":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"duration": func(r store.Run) string { return r.End.Sub(r.Start).Round(time.Second).String() },
	"project":  projectURL,
	"task":     taskURL,
	"run":      runURL,
	"esc":      url.QueryEscape,
	"kind": func(k int) string {
		return map[int]string{store.KindRequest: "request", store.KindTransaction: "transaction"}[k]
	},
	"labels": func(m map[string]string) []string {
		var out []string
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		}) {
			out = append(out, k+"="+m[k])
		}
		return out
	},
	"verdict": func(v any) string {
		r := asRun(v)
		switch {
		case r == nil:
			return "none"
		case r.Partial():
			return "partial"
		case r.Segments > 1:
			return "parts"
		case r.Verdict == "passed":
			return "pass"
		case r.Verdict == "failed":
			return "fail"
		}
		return "warn"
	},
	"verdictText": func(v any) string {
		r := asRun(v)
		switch {
		case r == nil:
			return "no run"
		case r.Segments > 1:
			return fmt.Sprintf("%d of %d parts", r.Parts, r.Segments)
		}
		return r.Verdict
	},
	"regressionClass": func(v compare.Value) string {
		switch {
		case v.Regression:
			return "regression"
		case v.Worse:
			return "worse"
		case v.Change != nil && *v.Change != 0:
			return "better"
		}
		return ""
	},
}

// asRun lets the verdict functions take a run, a pointer to one, or nil
// (a scenario without runs).
func asRun(v any) *store.Run {
	switch r := v.(type) {
	case store.Run:
		return &r
	case *store.Run:
		return r
	}
	return nil
}
