// Package jsonpos places the values of a JSON document: for every value,
// its path (stages[0].ramp_up) and the line and column of its key and of
// its first character. Importers of JSON formats (PerfTest case JSON,
// HAR, Postman collections) use it so that errors about a value point into
// the document, as errors in a YAML scenario point into the YAML.
package jsonpos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/perfcase/perfcase/scenario"
)

// Spot is where one value of a JSON document is written.
type Spot struct {
	Path   string       // e.g. stages[0].ramp_up; "" for the document itself
	Name   string       // the value's key in its object; "" in a list
	Key    scenario.Pos // the key's opening quote; zero in a list or at the top
	Val    scenario.Pos // the value's first character
	Quoted bool         // the value is a string: its text starts one column after Val
	End    int64        // the offset just past the value's first token
}

// Index knows, for every value of a JSON document, its path and where it
// is written. It is read-only once built, safe for concurrent use.
type Index struct {
	file   string
	spots  []Spot // in document order
	byPath map[string]int
}

// Read indexes data token by token. It stops at the first syntax error,
// keeping what it read; encoding/json reports the error itself.
func Read(file string, data []byte) *Index {
	ix := &Index{file: file, byPath: map[string]int{}}
	type frame struct {
		obj    bool
		key    string
		keyPos scenario.Pos
		idx    int
		hasKey bool
	}
	var stack []*frame
	render := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.obj {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				fmt.Fprintf(&b, "[%d]", f.idx)
			}
		}
		return b.String()
	}
	next := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.obj {
			top.hasKey = false
		} else {
			top.idx++
		}
	}
	cur := NewCursor(file, data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var prev int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return ix
		}
		end := dec.InputOffset()
		// Between two tokens there is only white space, ':' and ','.
		start := prev
		for start < end && strings.IndexByte(" \t\r\n:,", data[start]) >= 0 {
			start++
		}
		prev = end
		at := cur.Pos(start)
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			next()
			continue
		}
		sp := Spot{Val: at, End: end}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.obj && !top.hasKey {
				top.key, top.keyPos, top.hasKey = tok.(string), at, true
				continue
			}
			if top.obj {
				sp.Name, sp.Key = top.key, top.keyPos
			}
		}
		_, sp.Quoted = tok.(string)
		sp.Path = render()
		if _, dup := ix.byPath[sp.Path]; !dup {
			ix.byPath[sp.Path] = len(ix.spots)
		}
		ix.spots = append(ix.spots, sp)
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{obj: d == '{'})
		} else {
			next()
		}
	}
}

// At is the spot of the value at path, if the document writes one.
func (ix *Index) At(path string) (Spot, bool) {
	i, ok := ix.byPath[path]
	if !ok {
		return Spot{}, false
	}
	return ix.spots[i], true
}

// Nearest is the spot of path or, when the document has no such value (a
// field left out), of the nearest enclosing value it has.
func (ix *Index) Nearest(path string) (Spot, bool) {
	for {
		if sp, ok := ix.At(path); ok {
			return sp, true
		}
		if path == "" {
			return Spot{}, false
		}
		path = Parent(path)
	}
}

// Pos is where an error about path points: its key, or the value when it
// has no key.
func (ix *Index) Pos(path string) scenario.Pos {
	sp, ok := ix.Nearest(path)
	switch {
	case !ok:
		return scenario.Pos{File: ix.file}
	case sp.Key.Line > 0:
		return sp.Key
	}
	return sp.Val
}

// PathAt is the path of the value written at p or, inside a value (a
// column in a string), of the last value that starts before p.
func (ix *Index) PathAt(p scenario.Pos) (string, bool) {
	before := func(a, b scenario.Pos) bool { return a.Line < b.Line || a.Line == b.Line && a.Col <= b.Col }
	i := sort.Search(len(ix.spots), func(i int) bool { return !before(ix.spots[i].Val, p) }) - 1
	// A key starts before its value: an error at the key is the value's.
	if i+1 < len(ix.spots) && ix.spots[i+1].Key == p {
		i++
	}
	if i < 0 {
		return "", false
	}
	return ix.spots[i].Path, true
}

// PathAtOffset is the path of the value a decoding error at off is about:
// encoding/json reports the offset past a scalar, or past the opening
// bracket of a container.
func (ix *Index) PathAtOffset(off int64) string {
	for _, sp := range ix.spots {
		if sp.End >= off {
			return sp.Path
		}
	}
	return ""
}

// KeyPath is the path of the first value under key name, or name when no
// value has that key.
func (ix *Index) KeyPath(name string) string {
	for _, sp := range ix.spots {
		if sp.Name == name {
			return sp.Path
		}
	}
	return name
}

// Parent drops the last key or index of a path.
func Parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// Display writes a path the JSONPath way: $ for the document,
// $.stages[0].ramp_up for a value in it.
func Display(path string) string {
	switch {
	case path == "":
		return "$"
	case path[0] == '[':
		return "$" + path
	}
	return "$." + path
}

// Cursor turns increasing byte offsets into line and column (counted in
// characters, as YAML's are) in one pass over the data.
type Cursor struct {
	file      string
	data      []byte
	off       int64
	line, col int
}

// NewCursor starts a Cursor at the first byte of data.
func NewCursor(file string, data []byte) *Cursor {
	return &Cursor{file: file, data: data, line: 1, col: 1}
}

// Pos is the position of the byte at off, which must not be before the
// offset asked last.
func (c *Cursor) Pos(off int64) scenario.Pos {
	off = min(off, int64(len(c.data)))
	for c.off < off {
		r, n := utf8.DecodeRune(c.data[c.off:])
		c.off += int64(n)
		if r == '\n' {
			c.line, c.col = c.line+1, 1
		} else {
			c.col++
		}
	}
	return scenario.Pos{File: c.file, Line: c.line, Col: c.col}
}

// Skip reads past one value of dec, whose first token is first (nil: not
// read yet); it reports false on a syntax error. Format detection uses it
// to look at a document's keys without decoding their values.
func Skip(dec *json.Decoder, first json.Token) bool {
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
