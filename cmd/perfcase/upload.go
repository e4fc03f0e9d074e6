package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/upload"
)

const uploadUsage = `usage: perfcase upload [flags] FILE

Sends a report JSON that 'perfcase run --out' wrote to a report service:
POST {endpoint}/v1/{project}/perfcase/reports, the file as it is, the token
in the X-Auth-Token header, and the run's id (perfcase.run_id) as the
Idempotency-Key, so that a retry or a second upload of the same report is
one run to the service (it answers 409: "already uploaded"). Network
errors, 429 and 5xx answers are retried with backoff (--attempts tries
within --timeout, honouring Retry-After); any other answer is final. The
file is only read, never changed.

The token comes from --token-file FILE, the environment variable
PERFCASE_TOKEN, or --token. Use the file or the variable: a --token value
can be read by any user of the machine (ps shows a process's command line
for as long as it runs) and stays in the shell history. The token never
appears in a message. The endpoint must be https://, or http:// to a
loopback host (127.0.0.1, ::1, localhost), unless --insecure.

With --testplan-endpoint, each case's pass/fail also goes to a CodeArts
TestPlan project as a custom test service's executions (TestPlan API
§4.4.1 and §4.4.2): --testplan-case maps a case to its test case, and
cases without one are not pushed. --endpoint may then be left out.

Example:
  export PERFCASE_TOKEN=...            # not on the command line
  perfcase upload --endpoint https://reports.example.com --project shop report.json
  perfcase run --out report.json --upload --endpoint https://reports.example.com --project shop s.yaml

Exit status: 0 uploaded (or the service already had the run), 2 the
command line, the file or the endpoint is invalid (nothing was sent),
3 the upload failed or was refused.

Flags:
`

func runUpload(e *env, args []string) error {
	fs := newFlagSet(e, "upload", uploadUsage)
	f := &uploadFlags{}
	f.add(fs.FlagSet)
	fs.IntVar(&f.attempts, "attempts", upload.DefaultAttempts, "send at most `n` requests per call, retries included")
	fs.DurationVar(&f.timeout, "timeout", upload.DefaultMaxTime, "give up on a call after this long, retries and waits included")
	file, done, err := fs.oneFile(args, "name one report file, e.g. perfcase upload --endpoint URL --project ID report.json")
	if done || err != nil {
		return err
	}
	job, err := f.job(e, e.stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs, stopSignals := e.notifySignals()
	defer stopSignals()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	return job.do(ctx, e.stdout, file, "")
}

// uploadFlags are the flags of 'perfcase upload', which 'perfcase run
// --upload' shares.
type uploadFlags struct {
	endpoint, project, token, tokenFile string
	insecure                            bool
	attempts                            int
	timeout                             time.Duration

	tpEndpoint, tpProject, planID string
	tpService                     int
	tpCases                       caseFlags
}

func (f *uploadFlags) add(fs *flag.FlagSet) {
	f.tpCases = caseFlags{}
	fs.StringVar(&f.endpoint, "endpoint", "", "the report service's base `URL` (https://, or http:// to a loopback host)")
	fs.StringVar(&f.project, "project", "", "the `id` of the project the run goes to")
	fs.StringVar(&f.token, "token", "", "the `token` sent as X-Auth-Token; unsafe: other users see it in ps, and the shell history keeps it (use --token-file or PERFCASE_TOKEN)")
	fs.StringVar(&f.tokenFile, "token-file", "", "read the token from `file` (its first line); the safe way, with the PERFCASE_TOKEN environment variable")
	fs.BoolVar(&f.insecure, "insecure", false, "allow an http:// endpoint that is not loopback: the token travels in clear")
	fs.StringVar(&f.tpEndpoint, "testplan-endpoint", "", "also push each case's pass/fail to CodeArts TestPlan at `URL`")
	fs.StringVar(&f.tpProject, "testplan-project", "", "TestPlan's project `id` (default: --project)")
	fs.IntVar(&f.tpService, "testplan-service", 0, "the custom test service's `id` (service_id) in TestPlan")
	fs.Var(f.tpCases, "testplan-case", "push case `name=TESTCASE_ID` to that TestPlan test case (repeatable; a case without one is not pushed)")
	fs.StringVar(&f.planID, "plan-id", "", "register the TestPlan executions in the plan with this `id`")
}

// onlyAccess reports whether the flags given are only those that reach a
// project: --project and the token's, which --baseline uses too.
func (f *uploadFlags) onlyAccess() bool {
	g := *f
	g.project, g.token, g.tokenFile, g.insecure = "", "", "", false
	return !g.set()
}

// set reports whether any flag of the upload was given.
func (f *uploadFlags) set() bool {
	return f.endpoint != "" || f.project != "" || f.token != "" || f.tokenFile != "" || f.insecure || f.tpEndpoint != "" ||
		f.tpProject != "" || f.tpService != 0 || len(f.tpCases) > 0 || f.planID != ""
}

// job checks the flags and builds the clients; its errors are usage
// errors, found before anything is sent. Retries are logged to log.
func (f *uploadFlags) job(e *env, log io.Writer) (*uploadJob, error) {
	token, err := f.readToken(e)
	if err != nil {
		return nil, err
	}
	if f.endpoint == "" && f.tpEndpoint == "" {
		return nil, usageError("give --endpoint, the report service's URL (or --testplan-endpoint to push to TestPlan only)")
	}
	if f.tpEndpoint == "" && (f.tpProject != "" || f.tpService != 0 || len(f.tpCases) > 0 || f.planID != "") {
		return nil, usageError("--testplan-case, --testplan-service, --testplan-project and --plan-id need --testplan-endpoint")
	}
	client := func(endpoint, project string) upload.Client {
		return upload.Client{Endpoint: endpoint, Project: project, Token: token, Insecure: f.insecure,
			Attempts: f.attempts, MaxTime: f.timeout, Log: log}
	}
	job := &uploadJob{}
	if f.endpoint != "" {
		if f.project == "" {
			return nil, usageError("--endpoint needs --project, the id of the project the run goes to")
		}
		c := client(f.endpoint, f.project)
		if err := c.Check(); err != nil {
			return nil, usageError("%v", err)
		}
		job.client = &c
	}
	if f.tpEndpoint != "" {
		project := f.tpProject
		if project == "" {
			project = f.project
		}
		if project == "" {
			return nil, usageError("--testplan-endpoint needs --testplan-project (or --project), TestPlan's project id")
		}
		p := &upload.TestPlan{Client: client(f.tpEndpoint, project), ServiceID: f.tpService, PlanID: f.planID, Cases: f.tpCases}
		if err := p.Check(); err != nil {
			return nil, usageError("TestPlan: %v", err)
		}
		job.plan = p
	}
	return job, nil
}

// maxTokenFile bounds what --token-file reads: a token is a line, and a
// path given by mistake (a log, a device) must not be read whole.
const maxTokenFile = 64 << 10

// readToken returns the token from --token-file, --token or
// PERFCASE_TOKEN, in that order; giving both flags is a mistake.
func (f *uploadFlags) readToken(e *env) (string, error) {
	switch {
	case f.tokenFile != "" && f.token != "":
		return "", usageError("give --token-file or --token, not both")
	case f.token != "":
		return f.token, nil
	case f.tokenFile == "":
		v, _ := e.lookupEnv("PERFCASE_TOKEN")
		return strings.TrimSpace(v), nil
	}
	file, err := os.Open(f.tokenFile)
	if err != nil {
		return "", usageError("--token-file: cannot read %s: %v", f.tokenFile, pathErr(err))
	}
	defer file.Close()
	if st, err := file.Stat(); err != nil || !st.Mode().IsRegular() && st.Mode()&os.ModeNamedPipe == 0 {
		return "", usageError("--token-file: %s is not a file", f.tokenFile)
	}
	data, err := io.ReadAll(io.LimitReader(file, maxTokenFile+1))
	if err != nil {
		return "", usageError("--token-file: cannot read %s: %v", f.tokenFile, pathErr(err))
	}
	if len(data) > maxTokenFile {
		return "", usageError("--token-file: %s is over %d KiB; it should hold the token on one line", f.tokenFile, maxTokenFile>>10)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	token := strings.TrimSpace(line)
	if token == "" {
		return "", usageError("--token-file: %s holds no token on its first line", f.tokenFile)
	}
	return token, nil
}

// uploadJob is what one upload does: the report service, TestPlan, or
// both.
type uploadJob struct {
	client *upload.Client   // nil: no report service
	plan   *upload.TestPlan // nil: no TestPlan
}

// do uploads file, writing what happened to out. The file is only read.
// When runID is set, the file must hold that run: a report that could not
// be written leaves an older file behind, which must not go in its place.
func (j *uploadJob) do(ctx context.Context, out io.Writer, file, runID string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return &exitError{code: exitInvalid, err: fmt.Errorf("cannot read %s: %v", file, pathErr(err))}
	}
	run, err := upload.ReadRun(data)
	if err != nil {
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s: %v; nothing was sent", file, err)}
	}
	if runID != "" && run.ID != runID {
		return &exitError{code: exitAborted, err: fmt.Errorf("%s holds run %s, not this run (%s): its report was not written; nothing was sent", file, run.ID, runID)}
	}
	var errs []error
	if j.client != nil {
		res, err := j.client.Upload(ctx, data)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s was not uploaded: %v", file, err))
		case res.Already:
			fmt.Fprintf(out, "perfcase: run %s (%s) was already uploaded to %s; nothing more was stored\n", run.ID, run.Scenario, res.URL)
		default:
			where := res.URL
			if res.Location != "" {
				where += " (" + res.Location + ")"
			}
			fmt.Fprintf(out, "perfcase: uploaded run %s (%s) to %s\n", run.ID, run.Scenario, where)
		}
	}
	if j.plan != nil {
		res, err := j.plan.Push(ctx, data)
		if err != nil {
			errs = append(errs, fmt.Errorf("the verdicts of %s were not pushed to TestPlan: %v", file, err))
		} else {
			fmt.Fprintf(out, "perfcase: pushed %d cases of run %s to TestPlan:", len(res.Pushed), run.ID)
			for _, p := range res.Pushed {
				fmt.Fprintf(out, " %s=%s", p.Case, verdictName(p.ResultID))
			}
			if len(res.Skipped) > 0 {
				fmt.Fprintf(out, "; not pushed (no --testplan-case): %s", strings.Join(res.Skipped, ", "))
			}
			fmt.Fprintln(out)
		}
	}
	if len(errs) > 0 {
		return &exitError{code: exitAborted, err: fmt.Errorf("%w; the file is unchanged: 'perfcase upload' can send it again, and a repeat stores nothing twice", errors.Join(errs...))}
	}
	return nil
}

func verdictName(resultID string) string {
	switch resultID {
	case upload.ResultPassed:
		return "passed"
	case upload.ResultFailed:
		return "failed"
	case upload.ResultStopped:
		return "stopped"
	}
	return resultID
}

// caseFlags collects repeated --testplan-case name=TESTCASE_ID flags.
type caseFlags map[string]string

func (c caseFlags) String() string {
	names := make([]string, 0, len(c))
	for n, id := range c {
		names = append(names, n+"="+id)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func (c caseFlags) Set(v string) error {
	name, id, ok := strings.Cut(v, "=")
	if !ok || name == "" || id == "" {
		return fmt.Errorf("--testplan-case wants name=TESTCASE_ID, got %q", v)
	}
	c[name] = id
	return nil
}

// runUploadOutput is the output of 'perfcase run --upload': the upload flags,
// checked before the run, and the upload once the report is written.
type runUploadOutput struct {
	uploadFlags
	// forBaseline: --baseline names the report service, whose project
	// and token these flags give without --upload.
	forBaseline bool
}

// uploadFailed is an upload that failed after the run: the report is on
// disk, and 'perfcase upload' can send it again.
type uploadFailed struct{ err error }

func (u *uploadFailed) Error() string { return u.err.Error() }
func (u *uploadFailed) Unwrap() error { return u.err }

// output checks the upload before the run: a mistake in its flags is
// found before a long run, not after. --out is required: the report is
// on disk before it travels, so an upload that fails loses nothing.
func (u *runUploadOutput) output(c *outputContext, on string) (output.Output, error) {
	if on != "true" {
		if u.set() && !(u.forBaseline && u.onlyAccess()) {
			return nil, usageError("--endpoint, --project and the other upload flags need --upload")
		}
		return nil, nil
	}
	file := c.value("out")
	if file == "" {
		return nil, usageError("--upload needs --out FILE: the report is written before it is uploaded, so it is never lost")
	}
	job, err := u.job(c.e, c.e.stderr)
	if err != nil {
		return nil, err
	}
	return output.EndFunc(func(f *output.Finished) error {
		// When the run was not interrupted, Ctrl-C cancels the upload
		// through the run's context; when it was, a second Ctrl-C does.
		ctx := c.ctx
		if ctx.Err() != nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-c.abort:
				cancel()
			case <-ctx.Done():
			}
		}()
		// The file must hold this run: a report that could not be
		// written leaves an older file behind, which must not go in its
		// place.
		if err := job.do(ctx, c.e.stderr, file, f.Run.ID); err != nil {
			return &uploadFailed{err}
		}
		return nil
	}), nil
}
