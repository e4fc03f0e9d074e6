package perftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/perfcase/perfcase/scenario"
)

// jsonSpot is where one value of a JSON document is written.
type jsonSpot struct {
	path   string       // e.g. stages[0].ramp_up; "" for the document itself
	name   string       // the value's key in its object; "" in a list
	key    scenario.Pos // the key's opening quote; zero in a list or at the top
	val    scenario.Pos // the value's first character
	quoted bool         // the value is a string: its text starts one column after val
	end    int64        // the offset just past the value's first token
}

// jsonIndex knows, for every value of a JSON document, its path and where
// it is written, so that errors about a PerfTest case point into the JSON.
type jsonIndex struct {
	file   string
	spots  []jsonSpot // in document order
	byPath map[string]int
}

// indexJSON reads data token by token. It stops at the first syntax error,
// keeping what it read; encoding/json reports the error itself.
func indexJSON(file string, data []byte) *jsonIndex {
	ix := &jsonIndex{file: file, byPath: map[string]int{}}
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
	cur := newCursor(file, data)
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
		at := cur.pos(start)
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			next()
			continue
		}
		sp := jsonSpot{val: at, end: end}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.obj && !top.hasKey {
				top.key, top.keyPos, top.hasKey = tok.(string), at, true
				continue
			}
			if top.obj {
				sp.name, sp.key = top.key, top.keyPos
			}
		}
		_, sp.quoted = tok.(string)
		sp.path = render()
		if _, dup := ix.byPath[sp.path]; !dup {
			ix.byPath[sp.path] = len(ix.spots)
		}
		ix.spots = append(ix.spots, sp)
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{obj: d == '{'})
		} else {
			next()
		}
	}
}

// spot is the spot of path or, when the document has no such value (a
// field left out), of the nearest enclosing value it has.
func (ix *jsonIndex) spot(path string) (jsonSpot, bool) {
	for {
		if i, ok := ix.byPath[path]; ok {
			return ix.spots[i], true
		}
		if path == "" {
			return jsonSpot{}, false
		}
		path = parentPath(path)
	}
}

// has reports whether the document writes a value at path.
func (ix *jsonIndex) has(path string) bool {
	_, ok := ix.byPath[path]
	return ok
}

// pos is where an error about path points: its key, or the value when it
// has no key.
func (ix *jsonIndex) pos(path string) scenario.Pos {
	sp, ok := ix.spot(path)
	switch {
	case !ok:
		return scenario.Pos{File: ix.file}
	case sp.key.Line > 0:
		return sp.key
	}
	return sp.val
}

// pathAt is the path of the value written at p or, inside a value (a
// column in a string), of the last value that starts before p.
func (ix *jsonIndex) pathAt(p scenario.Pos) (string, bool) {
	before := func(a, b scenario.Pos) bool { return a.Line < b.Line || a.Line == b.Line && a.Col <= b.Col }
	i := sort.Search(len(ix.spots), func(i int) bool { return !before(ix.spots[i].val, p) }) - 1
	// A key starts before its value: an error at the key is the value's.
	if i+1 < len(ix.spots) && ix.spots[i+1].key == p {
		i++
	}
	if i < 0 {
		return "", false
	}
	return ix.spots[i].path, true
}

// parentPath drops the last key or index of a path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// displayPath writes a path the JSONPath way: $ for the document,
// $.stages[0].ramp_up for a value in it.
func displayPath(path string) string {
	switch {
	case path == "":
		return "$"
	case path[0] == '[':
		return "$" + path
	}
	return "$." + path
}

// cursor turns increasing byte offsets into line and column (counted in
// characters, as YAML's are) in one pass over the data.
type cursor struct {
	file      string
	data      []byte
	off       int64
	line, col int
}

func newCursor(file string, data []byte) *cursor {
	return &cursor{file: file, data: data, line: 1, col: 1}
}

func (c *cursor) pos(off int64) scenario.Pos {
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
