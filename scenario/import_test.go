package scenario

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lineFormat is a format made up for these tests, to prove the Importer
// seam without PerfTest: a first line "#lines", then "key=value" lines
// (url, vus, seconds) that make one case of one GET and one concurrency
// stage.
type lineFormat struct{ name string }

func (f lineFormat) Format() string { return f.name }

func (lineFormat) Detect(src []byte) bool { return strings.HasPrefix(string(src), "#lines\n") }

func (lineFormat) Import(name string, src []byte) *Imported {
	st := &Stage{Mode: ModeConcurrency, Duration: time.Second}
	req := &Request{Protocol: HTTP, HTTP: &HTTPRequest{TLSVerify: true}}
	c := &Case{Name: "c", LogPolicy: "request", Steps: []*Step{{Kind: StepRequest, Request: req}}, Stages: []*Stage{st}}
	in := &Imported{}
	place := lineSource{at: map[lineKey]Spot{}, keys: map[int]string{}}
	for i, line := range strings.Split(string(src), "\n")[1:] {
		if line == "" {
			continue
		}
		n := i + 2
		key, val, _ := strings.Cut(line, "=")
		at := Spot{Key: Pos{File: name, Line: n, Col: 1}, Val: Pos{File: name, Line: n, Col: len(key) + 2}}
		place.keys[n] = key
		switch key {
		case "url":
			req.HTTP.URL = val
			place.at[lineKey{req, "http"}] = at
		case "vus":
			st.VUs, _ = strconv.Atoi(val)
			st.StartVUs = st.VUs
			place.at[lineKey{st, "concurrency"}] = at
		default:
			in.Errors = append(in.Errors, &Error{Pos: at.Key, Msg: fmt.Sprintf("unknown key %q", key)})
		}
	}
	in.File, in.Source = &File{Path: name, Name: "lines", Cases: []*Case{c}}, place
	return in
}

type lineKey struct {
	owner any
	key   string
}

type lineSource struct {
	at   map[lineKey]Spot
	keys map[int]string // line → key
}

func (s lineSource) At(owner any, key string) (Spot, bool) {
	sp, ok := s.at[lineKey{owner, key}]
	return sp, ok
}

func (s lineSource) PathAt(p Pos) (string, bool) {
	k, ok := s.keys[p.Line]
	return "line " + k, ok
}

// A format is one Importer in Options.Importers: Open hands it the files
// it claims, in order, and puts what it converts through every check of
// YAML, with errors placed where the importer says the values were.
func TestOpenImporters(t *testing.T) {
	good := "#lines\nurl=http://127.0.0.1:1/\nvus=3\n"
	first, second := lineFormat{"first"}, lineFormat{"second"}
	open := func(body string, opts Options) (*Loaded, error) {
		opts.LookupEnv = noEnv
		return Open("-", withStdin(opts, body))
	}

	l, err := open(good, Options{Importers: []Importer{first, second}})
	if err != nil || l.Format != "first" || l.Plan == nil || l.Plan.Cases[0].Stages[0].VUs != 3 {
		t.Fatalf("Open = %+v, %v; want the first importer's plan of 3 VUs", l, err)
	}
	if l, _ := open(good, Options{Importers: []Importer{first}, As: second}); l.Format != "second" {
		t.Errorf("As: read as %q, want second", l.Format)
	}
	if _, err := open(good, Options{}); err == nil {
		t.Errorf("no importers: the document was read, want it read as YAML and refused")
	}

	// The compiler's check of the VU count lands on the vus line, named
	// by the importer's path.
	_, err = open("#lines\nurl=http://127.0.0.1:1/\nvus=0\n", Options{Importers: []Importer{first}})
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("vus=0: got %v, want one error", err)
	}
	if e := list[0]; e.Pos.String() != "<stdin>:3:5" || e.Path != "line vus" || e.Msg != "concurrency must be at least 1" || e.Source != "vus=0" {
		t.Errorf("vus=0: got %s %q %q (source %q), want <stdin>:3:5 \"line vus\" \"concurrency must be at least 1\" (source \"vus=0\")", e.Pos, e.Path, e.Msg, e.Source)
	}

	// The format's own errors stop there, with their source line.
	_, err = open("#lines\nurl=http://h/${nope}\nspeed=9\n", Options{Importers: []Importer{first}})
	if !errors.As(err, &list) || len(list) != 1 || list[0].Msg != `unknown key "speed"` || list[0].Source != "speed=9" {
		t.Errorf("an unknown key: got %v, want only the importer's error (not the template's), with its line", err)
	}
}

func withStdin(opts Options, body string) Options {
	opts.Stdin = strings.NewReader(body)
	return opts
}
