package scenario

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxAliasExpansions bounds how many times aliases may be followed, so a
// "billion laughs" file fails with an error instead of exhausting memory.
const maxAliasExpansions = 10000

// walker turns yaml.Nodes into typed values, collecting every error with
// its position rather than stopping at the first one.
type walker struct {
	file    string
	errs    ErrorList
	aliases int
}

func (w *walker) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: w.file}
	}
	return Pos{File: w.file, Line: n.Line, Col: n.Column}
}

// valuePos is where a scalar's text starts: one column after the quote of
// a quoted scalar, so errors inside templates point at the right column.
//
// A block scalar (| or >) starts on the line after its indicator; its
// column is left unknown (0), since the text's indentation is not kept.
func (w *walker) valuePos(n *yaml.Node) Pos {
	p := w.pos(n)
	switch {
	case n == nil:
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		p.Col++
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		p.Line++
		p.Col = 0
	}
	return p
}

func (w *walker) errorf(n *yaml.Node, hint, format string, args ...any) {
	w.errs.add(w.pos(n), hint, format, args...)
}

// causef reports a value that cannot be read as what it should be; see
// Error.cause.
func (w *walker) causef(n *yaml.Node, hint, format string, args ...any) {
	w.errorf(n, hint, format, args...)
	w.errs[len(w.errs)-1].cause = true
}

// resolve follows aliases. Only aliases to mappings and lists count
// against the budget: they are what multiplies work. Past the budget it
// returns a null node at the alias, so callers never see nil for a node
// that exists.
func (w *walker) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		target := n.Alias
		if target != nil && (target.Kind == yaml.MappingNode || target.Kind == yaml.SequenceNode) {
			w.aliases++
			if w.aliases == maxAliasExpansions+1 {
				w.errorf(n, "flatten the file or use fewer anchors", "too many alias expansions (more than %d)", maxAliasExpansions)
			}
			if w.aliases > maxAliasExpansions {
				return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
			}
		}
		if target == nil {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		}
		n = target
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "a document"
}

// mapping is a YAML mapping whose keys were checked against a list of
// allowed names.
type mapping struct {
	w     *walker
	node  *yaml.Node
	vals  map[string]*yaml.Node
	keys  map[string]*yaml.Node
	order []string
	// anyKey accepts every key: the mapping is keyed by names the user
	// chooses (variables, headers, extractions).
	anyKey bool
}

// asMapping checks that n is a mapping with only allowed keys (each key
// once). It reports problems and returns nil if n is not a mapping.
func (w *walker) asMapping(n *yaml.Node, what string, allowed ...string) *mapping {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		w.errorf(n, "write key: value pairs, indented under it or in {braces}", "%s must be a mapping, got %s", what, kindName(n))
		return nil
	}
	m := &mapping{w: w, node: n, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	m.collect(n, what, allowed, true)
	return m
}

// namedMapping reads a mapping keyed by user-chosen names (variables,
// headers, extractions, JSON objects): any key is accepted, merge keys
// apply, and a name given twice is an error. It returns nil, after
// reporting, if n is not a mapping.
func (w *walker) namedMapping(n *yaml.Node, what, hint string) *mapping {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		w.errorf(n, hint, "%s must be a mapping, got %s", what, kindName(n))
		return nil
	}
	m := &mapping{w: w, node: n, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}, anyKey: true}
	m.collect(n, what, nil, true)
	return m
}

func (m *mapping) collect(n *yaml.Node, what string, allowed []string, top bool) {
	w := m.w
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			w.errorf(k, "", "%s: keys must be plain names", what)
			continue
		}
		if k.Value == "<<" && k.Tag == "!!merge" {
			// A merge key: explicit keys win, so merged keys are added only
			// when absent.
			src := w.resolve(v)
			if src == nil {
				continue
			}
			var srcs []*yaml.Node
			if src.Kind == yaml.SequenceNode {
				for _, s := range src.Content {
					srcs = append(srcs, w.resolve(s))
				}
			} else {
				srcs = append(srcs, src)
			}
			for _, s := range srcs {
				if s == nil || s.Kind != yaml.MappingNode {
					w.errorf(v, "", "%s: << must merge a mapping", what)
					continue
				}
				sub := &mapping{w: w, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}, anyKey: m.anyKey}
				sub.collect(s, what, allowed, false)
				for _, key := range sub.order {
					if _, ok := m.vals[key]; !ok {
						m.vals[key], m.keys[key] = sub.vals[key], sub.keys[key]
						m.order = append(m.order, key)
					}
				}
			}
			continue
		}
		if top && what == "the scenario" && strings.HasPrefix(k.Value, "x-") {
			// Extension keys, as in Compose files: a place for anchors
			// that other parts of the file merge with <<.
			continue
		}
		if !m.anyKey && !contains(allowed, k.Value) {
			expected := strings.Join(allowed, ", ")
			if what == "step" {
				// The modifiers are listed where they apply; here the kinds
				// are what a reader needs.
				expected = strings.Join(stepKindKeys, ", ") + ", or a modifier such as check or extract"
			}
			w.errorf(k, didYouMean(k.Value, allowed), "unknown key %q in %s (expected one of: %s)", k.Value, what, expected)
			continue
		}
		if _, dup := m.vals[k.Value]; dup && top {
			w.errorf(k, "remove one of them", "%q appears twice in %s", k.Value, what)
			continue
		}
		m.vals[k.Value], m.keys[k.Value] = v, k
		m.order = append(m.order, k.Value)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (m *mapping) has(key string) bool {
	if m == nil {
		return false
	}
	_, ok := m.vals[key]
	return ok
}

// get returns the value node of key, following aliases, or nil.
func (m *mapping) get(key string) *yaml.Node {
	if m == nil {
		return nil
	}
	v, ok := m.vals[key]
	if !ok {
		return nil
	}
	return m.w.resolve(v)
}

// keyPos is the position of key, or of the mapping when key is absent.
func (m *mapping) keyPos(key string) Pos {
	if k, ok := m.keys[key]; ok {
		return m.w.pos(k)
	}
	return m.w.pos(m.node)
}

// present returns which of keys are set, in the order given.
func (m *mapping) present(keys ...string) []string {
	var out []string
	for _, k := range keys {
		if m.has(k) {
			out = append(out, k)
		}
	}
	return out
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func (w *walker) scalar(n *yaml.Node, what string) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		w.causef(n, "quote the value if it contains \": \" or starts with [ or {", "%s must be a single value, got %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (w *walker) str(n *yaml.Node, what string) string {
	s, _ := w.scalar(n, what)
	return s
}

func (w *walker) boolean(n *yaml.Node, what string) bool {
	s, ok := w.scalar(n, what)
	if !ok {
		return false
	}
	switch n.Tag {
	case "!!bool":
		return s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "on"
	}
	w.causef(n, "write true or false", "%s must be true or false, got %q", what, s)
	return false
}

func (w *walker) integer(n *yaml.Node, what string) int64 {
	s, ok := w.scalar(n, what)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
	if err != nil {
		w.causef(n, "write digits only, e.g. 10", "%s must be a whole number, got %q", what, s)
		return 0
	}
	return v
}

// nonNegInt reads an int that must be >= 0 and fit in an int32, so counts
// can never overflow later arithmetic.
func (w *walker) nonNegInt(n *yaml.Node, what string) int {
	v := w.integer(n, what)
	if v < 0 || v > math.MaxInt32 {
		w.causef(n, "", "%s must be between 0 and %d, got %d", what, math.MaxInt32, v)
		return 0
	}
	return int(v)
}

func (w *walker) number(n *yaml.Node, what string) float64 {
	s, ok := w.scalar(n, what)
	if !ok {
		return 0
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		w.causef(n, "e.g. 10 or 12.5", "%s must be a number, got %q", what, s)
		return 0
	}
	return v
}

// duration reads a Go duration with a unit ("500ms", "2m30s"). A bare
// number is an error: its unit would be a guess.
func (w *walker) duration(n *yaml.Node, what string) time.Duration {
	s, ok := w.scalar(n, what)
	if !ok {
		return 0
	}
	d, err := parseDuration(s)
	if err != nil {
		hint := "write a number with a unit: ms, s, m or h, e.g. 500ms or 2m30s"
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			hint = fmt.Sprintf("add a unit, e.g. %ss or %sms", s, s)
		}
		w.causef(n, hint, "%s: %q is not a duration", what, s)
		return 0
	}
	if d < 0 {
		w.causef(n, "", "%s must not be negative", what)
		return 0
	}
	return d
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil && strings.HasSuffix(s, "d") {
		// Days, for soak tests: "2d" is 48h.
		if n, nerr := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64); nerr == nil && n >= 0 && n < 1e5 {
			return time.Duration(n * float64(24*time.Hour)), nil
		}
	}
	return d, err
}

// strList reads a list of scalars; a single scalar is taken as a list of one.
func (w *walker) strList(n *yaml.Node, what string) []string {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		w.causef(n, "write [a, b] or one \"- item\" per line", "%s must be a list, got %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if s, ok := w.scalar(w.resolve(c), what+" item"); ok {
			out = append(out, s)
		}
	}
	return out
}

// seq returns the items of a list, or reports an error.
func (w *walker) seq(n *yaml.Node, what string) []*yaml.Node {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		w.errorf(n, "write [a, b] or one \"- item\" per line", "%s must be a list, got %s", what, kindName(n))
		return nil
	}
	return n.Content
}

// kvs reads a mapping of names to scalar values in file order, or a list of
// {key, value} pairs (the PerfTest shape), which allows repeated keys.
func (w *walker) kvs(n *yaml.Node, what string) []KV {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	var out []KV
	switch n.Kind {
	case yaml.MappingNode:
		m := w.namedMapping(n, what, "")
		for _, key := range m.order {
			v := m.get(key)
			val := ""
			if !isNull(v) {
				val, _ = w.scalar(v, fmt.Sprintf("%s %q", what, key))
			}
			out = append(out, KV{Pos: w.valuePos(v), Key: key, Value: val})
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			m := w.asMapping(item, what+" item", "key", "value")
			if m == nil {
				continue
			}
			if !m.has("key") {
				w.errorf(item, "", "%s item needs a key", what)
				continue
			}
			kv := KV{Pos: w.pos(item), Key: w.str(m.get("key"), "key")}
			if v := m.get("value"); v != nil && !isNull(v) {
				kv.Value, kv.Pos = w.str(v, "value"), w.valuePos(v)
			}
			out = append(out, kv)
		}
	default:
		w.errorf(n, "", "%s must be a mapping of names to values, got %s", what, kindName(n))
	}
	return out
}

// sortedKeys is used where a stable, readable order of a map is needed.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// emptyList reports whether n is an empty list or null: an empty steps:
// or stages: is a mistake of its own, while a list whose items all failed
// to parse has been reported already.
func (w *walker) emptyList(n *yaml.Node) bool {
	n = w.resolve(n)
	return n != nil && (isNull(n) || n.Kind == yaml.SequenceNode && len(n.Content) == 0)
}
