package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/perfcase/perfcase/runner"
	"github.com/perfcase/perfcase/scenario"
)

// controlDefault is where a run with manual stages listens for changes of
// its load, and where 'perfcase scale' sends them.
const controlDefault = "127.0.0.1:6565"

// hasManual reports whether a stage of an enabled case may be regulated by
// hand, so the run needs a control endpoint.
func hasManual(plan *scenario.Plan) bool {
	for _, cp := range plan.Cases {
		if cp.Disabled {
			continue
		}
		for _, st := range cp.Stages {
			if st.Manual {
				return true
			}
		}
	}
	return false
}

// startControl serves the control endpoint of a run on a loopback address:
//
//	GET  /status  the running cases, a JSON array of runner.CaseStatus
//	POST /scale   {"case": "name", "target": 50} sets the target of a
//	              case's manual stage; "case" may be left out when one
//	              case runs. 200 with the new status, or an error
//	              {"error": "..."}: 400 a bad request, 404 no such case
//	              runs, 409 its stage is not manual.
//
// It answers only requests addressed to a loopback host, and POST only
// with a JSON body, so that a web page in a browser on the same machine
// can neither read the status nor change the load. stop closes it.
func startControl(addr string, ctl *runner.Control) (actualAddr string, stop func(), err error) {
	if err := checkControlAddr(addr); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return "", nil, fmt.Errorf("--control address %s is already in use (another perfcase run with a manual stage?); choose another port, e.g. --control 127.0.0.1:0 picks a free one", addr)
		}
		return "", nil, fmt.Errorf("--control: cannot listen on %s: %v", addr, err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		ln.Close()
		return "", nil, fmt.Errorf("--control address %q resolved to %s, which is not a loopback address", addr, ln.Addr())
	}
	srv := &http.Server{
		Handler:           controlHandler(ctl),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-served
	}
	return ln.Addr().String(), stop, nil
}

// checkControlAddr refuses, before anything is bound, an address whose
// host is not a loopback IP or localhost: the endpoint changes the load
// and must not be reachable from other machines. An empty host would mean
// every interface.
func checkControlAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return fmt.Errorf("--control address %q: want host:port, e.g. %s", addr, controlDefault)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--control address %q: not a loopback address; the control endpoint listens only on 127.0.0.1, ::1 or localhost", addr)
	}
	return nil
}

// scaleRequest is the body of POST /scale.
type scaleRequest struct {
	Case   string   `json:"case"`
	Target *float64 `json:"target"`
}

type controlError struct {
	Error string `json:"error"`
}

func controlHandler(ctl *runner.Control) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeControlError(w, http.StatusMethodNotAllowed, "use GET /status")
			return
		}
		writeControlJSON(w, http.StatusOK, ctl.Status())
	})
	mux.HandleFunc("/scale", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeControlError(w, http.StatusMethodNotAllowed, `use POST /scale with {"case": "name", "target": 50}`)
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			writeControlError(w, http.StatusUnsupportedMediaType, `send the body as JSON with Content-Type: application/json, e.g. curl --json '{"target": 50}'`)
			return
		}
		code, st, err := scale(ctl, http.MaxBytesReader(w, r.Body, 64<<10), "control "+r.RemoteAddr)
		if err != nil {
			writeControlError(w, code, err.Error())
			return
		}
		writeControlJSON(w, http.StatusOK, st)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeControlError(w, http.StatusNotFound, "unknown path "+r.URL.Path+": use GET /status or POST /scale")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A page on a foreign site may resolve its own name to 127.0.0.1
		// (DNS rebinding); its requests carry that name as the host.
		if !loopbackHost(r.Host) {
			writeControlError(w, http.StatusForbidden, "the control endpoint answers only requests to 127.0.0.1, ::1 or localhost")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.Trim(hostport, "[]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// scale applies a POST /scale body and returns the HTTP status to answer.
func scale(ctl *runner.Control, body io.Reader, by string) (int, runner.CaseStatus, error) {
	var req scaleRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return http.StatusBadRequest, runner.CaseStatus{}, fmt.Errorf(`the body is not {"case": "name", "target": 50}: %v`, err)
	}
	if req.Target == nil {
		return http.StatusBadRequest, runner.CaseStatus{}, errors.New(`give a target: {"target": 50}`)
	}
	target := *req.Target
	if target < 0 {
		return http.StatusBadRequest, runner.CaseStatus{}, fmt.Errorf("the target must be a number ≥ 0, got %v", target)
	}
	running := ctl.Status()
	if cur, ok := findCase(running, req.Case); ok && cur.Manual && !cur.Rate && target != math.Trunc(target) {
		return http.StatusBadRequest, runner.CaseStatus{}, fmt.Errorf("case %s, stage %s: the target is a number of VUs, a whole number, got %v", cur.Case, cur.Stage, target)
	}
	st, err := ctl.Set(req.Case, target, by)
	if err == nil {
		return http.StatusOK, st, nil
	}
	// Set's errors carry no kind; tell them apart by what runs now.
	running = ctl.Status()
	names := make([]string, len(running))
	for i, s := range running {
		names[i] = s.Case
	}
	switch _, found := findCase(running, req.Case); {
	case len(running) == 0:
		return http.StatusNotFound, runner.CaseStatus{}, errors.New("no case is running right now")
	case req.Case == "" && len(running) > 1:
		return http.StatusBadRequest, runner.CaseStatus{}, fmt.Errorf("%d cases run; name one (--case, or \"case\" in the JSON): %s", len(running), strings.Join(names, ", "))
	case !found:
		return http.StatusNotFound, runner.CaseStatus{}, fmt.Errorf("no case %q is running; running: %s", req.Case, strings.Join(names, ", "))
	}
	return http.StatusConflict, runner.CaseStatus{}, err
}

// findCase finds a running case by name; an empty name is the only case.
func findCase(running []runner.CaseStatus, name string) (runner.CaseStatus, bool) {
	if name == "" {
		if len(running) == 1 {
			return running[0], true
		}
		return runner.CaseStatus{}, false
	}
	for _, s := range running {
		if s.Case == name {
			return s, true
		}
	}
	return runner.CaseStatus{}, false
}

func writeControlJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeControlError(w http.ResponseWriter, code int, msg string) {
	writeControlJSON(w, code, controlError{msg})
}

// formatStatus renders a case's status as one line; live adds the VUs
// running and whether the stage takes changes.
func formatStatus(s runner.CaseStatus, live bool) string {
	unit := "VUs"
	if s.Rate {
		unit = "passes/s"
	}
	line := fmt.Sprintf("case %s, stage %s: target %s %s", s.Case, s.Stage, strconv.FormatFloat(s.Target, 'f', -1, 64), unit)
	if live {
		line += fmt.Sprintf(", %d VUs running", s.VUs)
		if !s.Manual {
			line += " (not manual: 'perfcase scale' cannot change it)"
		}
	}
	return line
}

const scaleUsage = `usage: perfcase scale [--control ADDR] [--case NAME] [TARGET]

Changes the load of a running stage marked manual: true. TARGET is the
number of VUs of a concurrency stage, or the passes per second of a tps
stage; it holds until the stage ends, and every change is logged with its
time in the run's report. Without TARGET, prints what the running cases
do. 'perfcase run' listens on --control (loopback only) while a scenario
with a manual stage runs and prints the address it uses.

The endpoint is plain HTTP: GET /status lists the running cases as JSON;
POST /scale with a JSON body {"case": "name", "target": 50} changes one
("case" may be left out when one case runs).

Example:
  perfcase run examples/shapes.yaml &    # has manual stages
  perfcase scale 50                      # 50 VUs from now on
  perfcase scale --case checkout 20
  perfcase scale                         # what runs now
  curl http://127.0.0.1:6565/status

Exit status: 0 done, 2 a bad command line or a change the run refused
(no such case, the stage is not manual), 3 no run is listening.

Flags:
`

func runScale(e *env, args []string) error {
	fs := newFlagSet(e, "scale", scaleUsage)
	addr := fs.String("control", controlDefault, "`address` of the run's control endpoint")
	name := fs.String("case", "", "the case to change, when several run")
	rest, done, err := fs.parseArgs(args)
	if done || err != nil {
		return err
	}
	if len(rest) > 1 {
		return fs.mistake("give one TARGET, got %d: %s", len(rest), strings.Join(rest, " "))
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return fs.mistake("--control address %q: want host:port, e.g. %s", *addr, controlDefault)
	}
	// One request per command: no proxy, no connection kept for later.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	base := "http://" + *addr
	if len(rest) == 0 {
		var running []runner.CaseStatus
		if err := controlCall(client, *addr, http.MethodGet, base+"/status", nil, &running); err != nil {
			return err
		}
		if len(running) == 0 {
			fmt.Fprintln(e.stdout, "no case is running right now")
		}
		for _, s := range running {
			fmt.Fprintln(e.stdout, formatStatus(s, true))
		}
		return nil
	}
	target, err := strconv.ParseFloat(rest[0], 64)
	if err != nil || target < 0 || math.IsInf(target, 0) || math.IsNaN(target) {
		return fs.mistake("TARGET must be a number ≥ 0 (VUs, or passes per second), got %q", rest[0])
	}
	body, _ := json.Marshal(scaleRequest{Case: *name, Target: &target})
	var st runner.CaseStatus
	if err := controlCall(client, *addr, http.MethodPost, base+"/scale", body, &st); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, formatStatus(st, false))
	return nil
}

// controlCall sends one request to a run's control endpoint and decodes a
// 200 answer into out; the error carries the exit status.
func controlCall(client *http.Client, addr, method, url string, body []byte, out any) error {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return usageError("--control address %q: %v", addr, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return &exitError{code: exitAborted, err: fmt.Errorf("no perfcase run is listening on %s (start one with a manual stage)", addr)}
		}
		return &exitError{code: exitAborted, err: fmt.Errorf("cannot reach the run on %s: %v", addr, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &exitError{code: exitAborted, err: fmt.Errorf("reading the answer of %s: %v", addr, err)}
	}
	notControl := &exitError{code: exitAborted, err: fmt.Errorf("%s answered %s, not as a perfcase control endpoint; check --control", addr, resp.Status)}
	if resp.StatusCode != http.StatusOK {
		var ce controlError
		if json.Unmarshal(data, &ce) != nil || ce.Error == "" {
			return notControl
		}
		code := exitAborted
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			code = exitInvalid
		}
		return &exitError{code: code, err: errors.New(ce.Error)}
	}
	if json.Unmarshal(data, out) != nil {
		return notControl
	}
	return nil
}
