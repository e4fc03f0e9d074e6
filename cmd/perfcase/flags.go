package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
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

func newFlagSet(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprint(e.stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; -h is not an error (exit 0), other mistakes are
// usage errors (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, &exitError{code: exitInvalid, err: errors.New("")}
	}
	return false, nil
}

// parseArgs parses flags that may come before or after the file names, as
// in "perfcase import case.json -o case.yaml"; flag.FlagSet alone stops at
// the first name.
func parseArgs(fs *flag.FlagSet, args []string) (names []string, help bool, err error) {
	for {
		if help, err := parseFlags(fs, args); help || err != nil {
			return nil, help, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return names, false, nil
		}
		names, args = append(names, args[0]), args[1:]
	}
}

// printHelp prints a command's usage and flags to standard output: asked
// for, help is the output, not an error.
func printHelp(e *env, fs *flag.FlagSet, usage string) {
	fmt.Fprint(e.stdout, usage)
	fs.SetOutput(e.stdout)
	fs.PrintDefaults()
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
func oneFile(e *env, fs *flag.FlagSet, usage string, args []string, missing string) (file string, done bool, err error) {
	if helpRequested(args) {
		printHelp(e, fs, usage)
		return "", true, nil
	}
	files, help, err := parseArgs(fs, args)
	if help || err != nil {
		return "", true, err
	}
	if len(files) != 1 {
		fs.Usage()
		return "", true, usageError("%s", missing)
	}
	return files[0], false, nil
}
