// Command perfcase runs load tests described in YAML scenario files.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/perfcase/perfcase/runner"
)

// Exit codes are stable and documented in the README.
const (
	exitOK      = 0 // every checkpoint passed
	exitFailed  = 1 // a checkpoint failed: the CI gate
	exitInvalid = 2 // the scenario or the command line is invalid
	exitAborted = 3 // the run could not complete
)

// env is everything a command touches outside itself, so tests can run
// commands in-process with their own streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	// signals, when set, replaces SIGINT and SIGTERM for the run command.
	signals <-chan os.Signal
	// machine, when set, replaces the limits of this process that run
	// checks a plan against.
	machine *runner.Machine
}

// thisMachine is what run checks a plan against.
func (e *env) thisMachine() runner.Machine {
	if e.machine != nil {
		return *e.machine
	}
	return runner.ThisMachine()
}

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is a command-line mistake: exit 2 with the message.
func usageError(format string, args ...any) error {
	return &exitError{code: exitInvalid, err: fmt.Errorf(format, args...)}
}

type command struct {
	summary string
	run     func(e *env, args []string) error
}

var commands = map[string]command{
	"validate": {"check scenario files and summarise them", runValidate},
	"run":      {"run a scenario and report", runRun},
	"demo":     {"run an example against the built-in demo target", runDemo},
	"target":   {"serve the demo target the examples use", runTarget},
	"schema":   {"print the JSON Schema of the scenario language", runSchema},
	"version":  {"print the version", runVersion},
	"import":   {"convert a PerfTest case JSON to a scenario", runImport},
	"export":   {"convert a scenario to PerfTest case JSON", runExport},
	"scale":    {"change the load of a running manual stage", runScale},
	"report":   {"render a report JSON as one self-contained HTML page", runReport},
	"upload":   {"send a report to a report service (and verdicts to TestPlan)", runUpload},
	"serve":    {"serve the report service: stored runs, the report API, a web UI", runServe},
	"compare":  {"compare two reports and fail on a regression", runCompare},
	"k8s":      {"print Kubernetes manifests that split a run over N pods", runK8s},
	"merge":    {"merge the reports of a split run's parts into one run", runMerge},
}

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv}
	os.Exit(run(e, os.Args[1:]))
}

// run dispatches a command line and maps its outcome to an exit code; it is
// the only place that decides exit codes.
func run(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitInvalid
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(e.stdout)
		return exitOK
	case "-version", "--version":
		args[0] = "version"
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "perfcase: unknown command %q; 'perfcase help' lists the commands\n", args[0])
		return exitInvalid
	}
	err := cmd.run(e, args[1:])
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(e.stderr, "perfcase %s: %v\n", args[0], ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(e.stderr, "perfcase %s: %v\n", args[0], err)
	return exitAborted
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "perfcase — load tests from YAML scenarios")
	fmt.Fprintln(w, "\nusage: perfcase <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'perfcase <command> --help' for a command's flags and an example.")
	fmt.Fprintln(w, "Exit codes: 0 passed, 1 a checkpoint failed, 2 invalid input, 3 the run could not complete.")
}

const versionUsage = `usage: perfcase version (or perfcase --version)

Prints the version of perfcase: the module version it was built at
(go install github.com/perfcase/perfcase/cmd/perfcase@v1.2.3), or the
commit of a build from a checkout (with "+dirty" when it had changes),
and the Go version that built it.
`

func runVersion(e *env, args []string) error {
	if helpRequested(args) {
		fmt.Fprint(e.stdout, versionUsage)
		return nil
	}
	if len(args) > 0 {
		return usageError("version takes no arguments, got %q (see 'perfcase version --help')", args[0])
	}
	fmt.Fprintln(e.stdout, versionLine())
	return nil
}

// versionLine says what was built: the module's version when it was
// installed at one, else the VCS commit the go command stamped into a
// build from a checkout; "(devel)" and "unknown" are all Go knows
// otherwise (go run, or a test binary).
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "perfcase unknown (" + runtime.Version() + ")"
	}
	v := bi.Main.Version
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		v = "commit " + rev[:min(len(rev), 12)]
		if dirty {
			v += "+dirty"
		}
		if at != "" {
			v += " of " + at
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return fmt.Sprintf("perfcase %s (%s)", v, bi.GoVersion)
}

// helpRequested reports whether args ask for help; flag.FlagSet handles
// -h itself, this is for commands that print an example too.
func helpRequested(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return true
		}
		if !strings.HasPrefix(a, "-") {
			return false
		}
	}
	return false
}
