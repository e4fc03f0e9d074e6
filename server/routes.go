package server

import (
	"net/http"
	"strings"
)

// routes lists every endpoint; docs/report-service.md has the table.
func (s *Server) routes() {
	m := s.mux
	// The upload contract (upload/doc.go).
	m.HandleFunc("POST /v1/{project}/perfcase/reports", s.postReport)

	// The reference's report API, read side (§4.6).
	m.HandleFunc("GET /v1/{project}/tasks/history-run-list/{task_id}", s.history)
	m.HandleFunc("GET /v1/{project}/task-run-infos/{task_run_id}/case-run-infos/{case_run_id}/reports", s.reports)
	m.HandleFunc("GET /v2/{project}/task-run-infos/{task_run_id}/case-run-infos/{case_run_id}/detail/{detail_id}/chart", s.chart)
	m.HandleFunc("GET /v2/{project}/task-run-infos/{task_run_id}/case-run-infos/{case_run_id}/detail", s.detail)
	m.HandleFunc("GET /v2/{project}/task-run-infos/{task_run_id}/cases", s.caseList)

	// perfcase's own API.
	m.HandleFunc("GET /v1/{project}/perfcase/tasks", s.tasks)
	m.HandleFunc("GET /v1/{project}/perfcase/runs", s.runs)
	m.HandleFunc("GET /v1/{project}/perfcase/runs/{run_id}/report", s.report)
	m.HandleFunc("DELETE /v1/{project}/perfcase/runs/{run_id}", s.deleteRun)
	m.HandleFunc("PUT /v1/{project}/perfcase/tasks/{task_id}/baseline", s.setBaseline)
	m.HandleFunc("DELETE /v1/{project}/perfcase/tasks/{task_id}/baseline", s.setBaseline)
	m.HandleFunc("GET /v1/{project}/perfcase/baseline", s.baseline)
	m.HandleFunc("GET /v1/{project}/perfcase/compare", s.compareRuns)
	m.HandleFunc("GET /v1/{project}/perfcase/tasks/{task_id}/trend", s.trend)

	// The web UI.
	m.HandleFunc("GET /{$}", s.uiRoot)
	m.HandleFunc("GET /ui/{$}", s.uiProjects)
	m.HandleFunc("GET /ui/login", s.uiLoginForm)
	m.HandleFunc("POST /ui/login", s.uiLogin)
	m.HandleFunc("POST /ui/logout", s.uiLogout)
	m.HandleFunc("GET /assets/{file}", s.uiAsset)
	m.HandleFunc("GET /ui/{project}/{$}", s.uiTasks)
	m.HandleFunc("GET /ui/{project}/tasks/{task_id}/{$}", s.uiRuns)
	m.HandleFunc("GET /ui/{project}/tasks/{task_id}/trend", s.uiTrend)
	m.HandleFunc("POST /ui/{project}/tasks/{task_id}/baseline", s.uiBaseline)
	m.HandleFunc("GET /ui/{project}/runs/{run_id}/{$}", s.uiRun)
	m.HandleFunc("GET /ui/{project}/runs/{run_id}/report.html", s.uiReport)
	m.HandleFunc("GET /ui/{project}/runs/{run_id}/report.json", s.uiReportJSON)
	m.HandleFunc("POST /ui/{project}/runs/{run_id}/delete", s.uiDelete)
	m.HandleFunc("GET /ui/{project}/compare", s.uiCompare)

	m.HandleFunc("/v1/", s.noRoute)
	m.HandleFunc("/v2/", s.noRoute)
}

// noRoute answers an API call that is not one, in the API's error shape:
// 405 naming the methods the path takes, or 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); !strings.HasSuffix(pattern, " /") && pattern != "/v1/" && pattern != "/v2/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, newError(http.StatusMethodNotAllowed, 1, "%s %s: this endpoint takes %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
		return
	}
	writeError(w, newError(http.StatusNotFound, 3, "no such endpoint: %s %s (docs/report-service.md lists them)", r.Method, r.URL.Path))
}
