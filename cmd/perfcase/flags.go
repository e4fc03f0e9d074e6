package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/perfcase/perfcase/scenario"
)

// setFlags collects repeated --set name=value flags.
type setFlags map[string]string

func (s setFlags) String() string { return "" }

func (s setFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("--set wants name=value, got %q", v)
	}
	s[name] = value
	return nil
}

// flagSet is a command's flags and its help text. Asked for, the help
// goes to standard output; a mistake gets one line on standard error
// saying what is wrong and where the help is, not the whole help.
type flagSet struct {
	*flag.FlagSet
	e     *env
	usage string
}

func newFlagSet(e *env, name, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package prints its errors and calls Usage on them and on
	// -h alike; parse reports both itself.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, e: e, usage: usage}
}

// mistake is a usage error with a pointer to the command's help.
func (fs *flagSet) mistake(format string, args ...any) error {
	return usageError("%s (see 'perfcase %s --help')", fmt.Sprintf(format, args...), fs.Name())
}

// parse parses args; -h prints the help and is not an error (exit 0),
// other mistakes are usage errors (exit 2). done is true when the
// command has nothing more to do.
func (fs *flagSet) parse(args []string) (done bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.printHelp()
			return true, nil
		}
		return true, fs.mistake("%v", err)
	}
	return false, nil
}

// parseArgs parses flags that may come before or after the other
// arguments, as in "perfcase import case.json -o case.yaml"; flag.FlagSet
// alone stops at the first one.
func (fs *flagSet) parseArgs(args []string) (rest []string, done bool, err error) {
	for {
		if done, err := fs.parse(args); done || err != nil {
			return nil, done, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, false, nil
		}
		rest, args = append(rest, args[0]), args[1:]
	}
}

// printHelp prints the command's usage and flags to standard output:
// asked for, help is the output, not an error.
func (fs *flagSet) printHelp() {
	fmt.Fprint(fs.e.stdout, fs.usage)
	fs.SetOutput(fs.e.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// oneFile parses the command line of a command that takes one file and
// flags in any order. done is true when help was printed and the command
// has nothing more to do.
func (fs *flagSet) oneFile(args []string, missing string) (file string, done bool, err error) {
	files, done, err := fs.parseArgs(args)
	if done || err != nil {
		return "", true, err
	}
	if len(files) != 1 {
		return "", true, fs.mistake("%s", missing)
	}
	return files[0], false, nil
}

// addSegmentFlag is --segment, which run and validate take alike.
func addSegmentFlag(fs *flag.FlagSet) *string {
	return fs.String("segment", "", "run part `I/N` of a run split over N processes (I from 0; I alone takes N from user_replicas); see docs/scale-out.md")
}

// segmentOf reads --segment for plan and checks that the plan can be
// split so. The error is a plain one for a malformed value, and a
// scenario.ErrorList (file:line:col) of what a split run cannot do. The
// zero Segment is the whole run.
func segmentOf(value string, plan *scenario.Plan) (scenario.Segment, error) {
	if value == "" {
		return scenario.Segment{}, nil
	}
	seg, err := scenario.ParseSegment(value, plan)
	if err != nil {
		return seg, err
	}
	return seg, plan.CheckSegment(seg.Count).Err()
}
