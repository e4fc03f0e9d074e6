package scenario

import (
	"bytes"
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

// Loaded is a scenario as every command sees it.
type Loaded struct {
	// Name names the scenario in messages: the file name, or <stdin>.
	Name string
	// Format is the language it is written in: "YAML", or the Format of
	// the Importer that read it.
	Format string
	// File is the typed tree: what the YAML says, partial when it has
	// errors; or what an imported document says, converted, nil when the
	// document cannot be converted.
	File *File
	// Plan is the compiled scenario; nil with Options.ParseOnly, or when
	// Open returns an error.
	Plan *Plan
	// Notes list the values of an imported document that perfcase read
	// and ignored (a PerfTest stage's fields its pressure mode does not
	// use): worth a look, never an error.
	Notes ErrorList
}

// Open is how every command loads a scenario: it reads the file name,
// or standard input for "-", within Options.MaxFileSize; hands it to the
// first of Options.Importers that claims it, or else reads it as YAML;
// parses; and, unless Options.ParseOnly, compiles. An imported document
// is converted to the tree a YAML scenario is parsed into, placed in the
// document, and goes through the very same checks, so its errors name the
// document's line, column and path (see Importer).
//
// The error, if any, is an ErrorList of every problem found. The Loaded
// is nil only when the file could not be read.
func Open(name string, opts Options) (*Loaded, error) {
	src, label, err := readScenario(name, opts)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Name: label, Format: "YAML"}
	if imp := importerFor(src, opts); imp != nil {
		l.Format = imp.Format()
		return l, l.imported(imp, src, opts)
	}
	return l, l.yaml(src, opts)
}

// importerFor is the importer that reads src: Options.As, or the first
// of Options.Importers that claims it; nil for YAML.
func importerFor(src []byte, opts Options) Importer {
	if opts.As != nil {
		return opts.As
	}
	for _, imp := range opts.Importers {
		if imp.Detect(src) {
			return imp
		}
	}
	return nil
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

// imported converts a document, writes it as the tree a YAML scenario
// parses into, with every node where its value was written, and reads
// that tree as a YAML file is read. What only the document's format can
// get wrong stops there.
func (l *Loaded) imported(imp Importer, src []byte, opts Options) error {
	in := imp.Import(l.Name, src)
	in.Notes.Sort()
	l.Notes = in.Notes
	if len(in.Errors) > 0 {
		in.Errors.Sort()
		in.Errors.attachSource(l.Name, src)
		return in.Errors
	}
	l.File = in.File
	f, errs := walkImported(l.Name, in)
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
			addPaths(in.Source, l.Name, plan.Warnings)
		}
	}
	errs = errs.normalize()
	errs.attachSource(l.Name, src)
	addPaths(in.Source, l.Name, errs)
	return errs.Err()
}

// walkImported reads an imported File as a YAML file is read: through
// the tree FormatYAML would encode, each node placed where in.Source says.
// The File is nil when the tree cannot be written, a bug the error names.
func walkImported(name string, in *Imported) (*File, ErrorList) {
	fm := &formatter{at: in.Source}
	root := fm.file(in.File)
	if fm.err != nil {
		return nil, ErrorList{fm.err.(*Error)}
	}
	if root.Line == 0 {
		root.Line, root.Column = 1, 1
	}
	inherit(root, root)
	w := &walker{file: name}
	f := &File{Path: name, Pos: Pos{File: name, Line: root.Line, Col: root.Column}}
	w.root(root, f)
	return f, w.errs
}

// addPaths names, in each error placed in the imported document, the
// path of the value it points at.
func addPaths(src Source, file string, list ErrorList) {
	if src == nil {
		return
	}
	for _, e := range list {
		if e.Path != "" || e.Pos.File != file || e.Pos.Line == 0 {
			continue
		}
		if p, ok := src.PathAt(e.Pos); ok {
			e.Path = p
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

// ReadDataFile reads a file a scenario names: a regular file of at most
// limit bytes. It is opened without blocking, so that a named pipe is
// refused at once instead of waiting for a writer, and a device such as
// /dev/zero is refused before it is read.
func ReadDataFile(path string, limit int64) ([]byte, error) {
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
