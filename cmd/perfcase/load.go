package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/perfcase/perfcase/importers"
	"github.com/perfcase/perfcase/perftest"
	"github.com/perfcase/perfcase/scenario"
)

// sizeFlag is a size in bytes, written as digits with an optional KiB,
// MiB or GiB.
type sizeFlag int64

func (s *sizeFlag) String() string {
	if *s > 0 && *s%(1<<20) == 0 {
		return fmt.Sprintf("%dMiB", *s>>20)
	}
	return strconv.FormatInt(int64(*s), 10)
}

func (s *sizeFlag) Set(v string) error {
	num, unit := v, int64(1)
	for suffix, n := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if t, ok := strings.CutSuffix(v, suffix); ok {
			num, unit = strings.TrimSpace(t), n
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > (1<<62)/unit {
		return fmt.Errorf("want a size such as 32MiB, 1GiB or 1048576 (bytes), got %q", v)
	}
	*s = sizeFlag(n * unit)
	return nil
}

// addMaxFileSize adds the flag that bounds the scenario file a command
// reads.
func addMaxFileSize(fs *flag.FlagSet) *sizeFlag {
	s := sizeFlag(scenario.DefaultMaxFileSize)
	fs.Var(&s, "max-file-size", "refuse a scenario file larger than `size` (e.g. 64MiB)")
	return &s
}

// formats are the formats besides perfcase's YAML that every command
// reads, each telling its documents apart by content; a new format is a
// row here.
var formats = []scenario.Importer{perftest.JSON, importers.HAR{}, importers.Postman{}, importers.Curl{}}

// openScenario loads a scenario (a file, or standard input for "-") the
// one way every command does, and prints the notes about what a PerfTest
// case carries and perfcase does not read.
func openScenario(e *env, name string, opts scenario.Options, maxSize *sizeFlag) (*scenario.Loaded, error) {
	opts.Stdin, opts.MaxFileSize = e.stdin, int64(*maxSize)
	if opts.Importers == nil {
		opts.Importers = formats
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = e.lookupEnv
	}
	l, err := scenario.Open(name, opts)
	if l != nil {
		for _, n := range l.Notes {
			fmt.Fprintf(e.stderr, "note: %v\n", n)
		}
	}
	return l, err
}

// scenarioName is how messages name a scenario that may have failed to
// load.
func scenarioName(l *scenario.Loaded, name string) string {
	switch {
	case l != nil:
		return l.Name
	case name == "-":
		return "<stdin>"
	}
	return name
}
