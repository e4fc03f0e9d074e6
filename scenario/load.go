package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Size limits on what a scenario reads. A scenario is read whole before it
// is checked, and data files before the run: the limits keep a mistaken
// path (a log file, /dev/zero) from exhausting memory.
const (
	DefaultMaxFileSize = 16 << 20  // a scenario file, YAML or JSON
	MaxPartFileSize    = 64 << 20  // a file sent as a multipart part
	MaxDataFileSize    = 256 << 20 // a CSV file of a file variable
)

// Format is the language a scenario is written in.
type Format int

const (
	YAML         Format = iota // perfcase's scenario language
	PerfTestJSON               // a PerfTest case JSON (docs/perftest-json.md)
)

func (f Format) String() string { return [...]string{"YAML", "PerfTest case JSON"}[f] }

// Loaded is a scenario as every command sees it.
type Loaded struct {
	// Name names the scenario in messages: the file name, or <stdin>.
	Name   string
	Format Format
	// File is the typed tree: what the YAML says, partial when it has
	// errors; or what the PerfTest JSON says, converted (positions zero),
	// nil when the JSON cannot be converted.
	File *File
	// Plan is the compiled scenario; nil with Options.ParseOnly, or when
	// Open returns an error.
	Plan *Plan
	// Notes list the values of a PerfTest case that perfcase read and
	// ignored (stage fields the stage's pressure mode does not use): worth
	// a look, never an error.
	Notes ErrorList
}

// Open is how every command loads a scenario: it reads the file name,
// or standard input for "-", within Options.MaxFileSize; tells PerfTest
// case JSON from YAML by content (see isPerfTestJSON); parses; and, unless
// Options.ParseOnly, compiles. A PerfTest case is converted to the tree a YAML scenario is
// parsed into, placed in the JSON, and goes through the very same checks,
// so its errors name the JSON's line, column and JSONPath.
//
// The error, if any, is an ErrorList of every problem found. The Loaded
// is nil only when the file could not be read.
func Open(name string, opts Options) (*Loaded, error) {
	src, label, err := readScenario(name, opts)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Name: label}
	if opts.AsPerfTest || isPerfTestJSON(src) {
		l.Format = PerfTestJSON
		return l, l.perfTest(src, opts)
	}
	return l, l.yaml(src, opts)
}

func (l *Loaded) yaml(src []byte, opts Options) error {
	f, perr := Parse(l.Name, src)
	l.File = f
	if opts.ParseOnly {
		return perr
	}
	if perr == nil {
		l.Plan, perr = compile(f, opts, src)
		return perr
	}
	// The partial tree is compiled too, so that one run reports every
	// problem: undefined names as well as misspelt keys.
	var list ErrorList
	if !errors.As(perr, &list) || len(f.Cases) == 0 && len(f.Transactions) == 0 {
		return perr
	}
	_, cerr := compile(f, opts, src)
	var more ErrorList
	if errors.As(cerr, &more) {
		list = append(list, more...)
	}
	return list.normalize()
}

// perfTest converts a PerfTest document, writes it as the tree a YAML
// scenario parses into, with every node at the JSON it came from, and
// reads that tree as a YAML file is read. What only the JSON can get wrong
// (an unknown code, a field of the wrong type) stops there: what the
// checks would say about a value that could not be converted is noise.
func (l *Loaded) perfTest(src []byte, opts Options) error {
	im := importJSON(l.Name, src)
	l.Notes = im.notes
	if len(im.errs) > 0 {
		return im.errs
	}
	l.File = im.out
	f, errs := im.walk()
	if f == nil {
		return errs
	}
	if !opts.ParseOnly && (len(errs) == 0 || len(f.Cases) > 0 || len(f.Transactions) > 0) {
		plan, cerr := compile(f, opts, src)
		var more ErrorList
		if errors.As(cerr, &more) {
			errs = append(errs, more...)
		}
		if len(errs) == 0 {
			l.Plan = plan
			im.addPaths(plan.Warnings)
		}
	}
	errs = errs.normalize()
	errs.attachSource(l.Name, src)
	im.addPaths(errs)
	return errs.Err()
}

// walk reads the imported File as a YAML file is read: through the tree
// FormatYAML would encode, each node placed at the JSON it came from. The
// File is nil when the tree cannot be written, a bug the error names.
func (im *importer) walk() (*File, ErrorList) {
	fm := &formatter{at: im.at}
	root := fm.file(im.out)
	if fm.err != nil {
		return nil, ErrorList{fm.err.(*Error)}
	}
	if root.Line == 0 {
		root.Line, root.Column = 1, 1
	}
	inherit(root, root)
	w := &walker{file: im.file}
	f := &File{Path: im.file, Pos: Pos{File: im.file, Line: root.Line, Col: root.Column}}
	w.root(root, f)
	return f, w.errs
}

// addPaths names, in each error placed in the JSON, the JSONPath of the
// value it points at.
func (im *importer) addPaths(list ErrorList) {
	for _, e := range list {
		if e.Path != "" || e.Pos.File != im.file || e.Pos.Line == 0 {
			continue
		}
		if p, ok := im.idx.pathAt(e.Pos); ok {
			e.Path = displayPath(p)
		}
	}
}

// readScenario reads a scenario file, or standard input for "-", refusing
// more than the size limit before anything parses it.
func readScenario(name string, opts Options) ([]byte, string, error) {
	limit := opts.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	fail := func(label, hint, format string, args ...any) ([]byte, string, error) {
		return nil, label, ErrorList{{Pos: Pos{File: label}, Msg: fmt.Sprintf(format, args...), Hint: hint}}
	}
	tooBig := "split it, or raise the limit (perfcase: --max-file-size)"
	var r io.Reader
	label := name
	if name == "-" {
		label = "<stdin>"
		r = opts.Stdin
		if r == nil {
			r = os.Stdin
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fail(label, "check the path", "cannot read scenario: %v", errUnwrapPath(err))
		}
		defer f.Close()
		st, err := f.Stat()
		switch {
		case err != nil:
			return fail(label, "check the path", "cannot read scenario: %v", errUnwrapPath(err))
		case st.IsDir():
			return fail(label, "name a scenario file", "cannot read scenario: it is a directory")
		case st.Mode().IsRegular() && st.Size() > limit:
			return fail(label, tooBig, "the scenario is %s, over the %s limit", byteSize(st.Size()), byteSize(limit))
		}
		r = f
	}
	// A pipe or standard input has no size to look at: read one byte past
	// the limit to know.
	src, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return fail(label, "", "cannot read scenario: %v", errUnwrapPath(err))
	}
	if int64(len(src)) > limit {
		return fail(label, tooBig, "the scenario is over the %s limit", byteSize(limit))
	}
	return bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")), label, nil
}

// byteSize writes a size the way the limits are given: 16 MiB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// fileLimitError is a data file perfcase refuses to read.
type fileLimitError struct{ msg, hint string }

func (e *fileLimitError) Error() string { return e.msg }

// readDataFile reads a file a scenario names: a regular file of at most
// limit bytes. It is opened without blocking, so that a named pipe is
// refused at once instead of waiting for a writer, and a device such as
// /dev/zero is refused before it is read.
func readDataFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fileLimitError{fmt.Sprintf("it is %s, not a regular file", fileKind(st.Mode())), "name a regular file: data files are read whole before the run"}
	}
	tooBig := &fileLimitError{fmt.Sprintf("it is %s, over the %s limit", byteSize(st.Size()), byteSize(limit)), "use a smaller file; the limits are in docs/language.md"}
	if st.Size() > limit {
		return nil, tooBig
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		// It grew while being read.
		return nil, tooBig
	}
	return data, nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// ptTopKeys are keys a PerfTest document has at its top and a YAML
// scenario never has: a CreateCase body's, a QueryCase response's.
var ptTopKeys = map[string]bool{
	"case_type": true, "status": true, "sort": true, "setup_contents": true, "contents": true, "stages": true,
	"for_loop_params": true, "increase_setting": true, "user_replicas": true, "collect_log_policy": true,
	"directory_id": true, "temp_id": true, "case_id": true, "link_app_list": true, "case_info": true,
	"perfcase": true, "test_case": true,
}

// ptCaseKeys are keys of a CreateCase body that a YAML case never has.
var ptCaseKeys = map[string]bool{
	"case_type": true, "status": true, "sort": true, "setup_contents": true, "contents": true,
	"for_loop_params": true, "increase_setting": true, "collect_log_policy": true, "directory_id": true,
	"temp_id": true, "case_id": true, "link_app_list": true, "case_info": true, "perfcase": true,
}

// isPerfTestJSON tells a PerfTest document from a YAML scenario, which may
// be written in JSON syntax too: the document is a JSON object whose keys
// only PerfTest has (a CreateCase body, a QueryCase response), or
// perfcase's wrapper, whose variables and transactions are lists (YAML's
// are mappings) or whose cases are CreateCase bodies. It reads tokens up to
// the first syntax error, so that a broken PerfTest case is still reported
// as broken JSON, with the JSON's line and column.
func isPerfTestJSON(src []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(src))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key, _ := tok.(string)
		switch {
		case ptTopKeys[key]:
			return true
		case key == "variables" || key == "transactions":
			tok, err := dec.Token()
			if err != nil {
				return false
			}
			if tok == json.Delim('[') {
				return true
			}
			if !skipJSON(dec, tok) {
				return false
			}
		case key == "cases":
			if found, ok := casesArePerfTest(dec); found || !ok {
				return found
			}
		default:
			if !skipJSON(dec, nil) {
				return false
			}
		}
	}
	return false
}

// casesArePerfTest reads a cases list and reports whether one of its cases
// has a key only a CreateCase body has; ok is false on a syntax error.
func casesArePerfTest(dec *json.Decoder) (found, ok bool) {
	tok, err := dec.Token()
	if err != nil {
		return false, false
	}
	if tok != json.Delim('[') {
		return false, skipJSON(dec, tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false, false
		}
		if tok != json.Delim('{') {
			if !skipJSON(dec, tok) {
				return false, false
			}
			continue
		}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return false, false
			}
			if k, _ := key.(string); ptCaseKeys[k] {
				return true, true
			}
			if !skipJSON(dec, nil) {
				return false, false
			}
		}
		if _, err := dec.Token(); err != nil {
			return false, false
		}
	}
	_, err = dec.Token()
	return false, err == nil
}

// skipJSON reads past one value, whose first token is first (nil: not
// read yet); it reports false on a syntax error.
func skipJSON(dec *json.Decoder, first json.Token) bool {
	if first == nil {
		var err error
		if first, err = dec.Token(); err != nil {
			return false
		}
	}
	depth := 0
	if d, ok := first.(json.Delim); ok && (d == '{' || d == '[') {
		depth = 1
	}
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return true
}
