package importers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"github.com/perfcase/perfcase/internal/jsonpos"
	"github.com/perfcase/perfcase/scenario"
)

// Converted is a document converted to a scenario, with what the YAML
// that perfcase import writes says about it.
type Converted struct {
	scenario.Imported
	// Comments are written above the YAML of the File node they key: a
	// *scenario.Extract, a *scenario.Step or a *scenario.Variable.
	Comments map[any]string
	// Header lines open the YAML, as comments.
	Header []string
}

// A Converter is an Importer that also gives the comments of its
// conversion.
type Converter interface {
	scenario.Importer
	Convert(name string, src []byte) *Converted
}

// posKey names a value of a converted File as scenario.Source does: the
// node that holds it and its YAML key.
type posKey struct {
	owner any
	key   string
}

// source places the values of a converted File in the document.
type source struct {
	at     map[posKey]scenario.Spot
	pathAt func(scenario.Pos) (string, bool)
}

func (s *source) At(owner any, key string) (scenario.Spot, bool) {
	sp, ok := s.at[posKey{owner, key}]
	return sp, ok
}

func (s *source) PathAt(p scenario.Pos) (string, bool) {
	if s.pathAt == nil {
		return "", false
	}
	return s.pathAt(p)
}

func (s *source) mark(owner any, key string, sp scenario.Spot) {
	if sp.Val.Line > 0 {
		s.at[posKey{owner, key}] = sp
	}
}

// jsonConv is what a conversion of a JSON document (a HAR, a Postman
// collection) keeps: errors and notes name a JSON path of the document,
// placed at its line and column through idx.
type jsonConv struct {
	name string
	idx  *jsonpos.Index
	out  *Converted
	src  *source
}

func newJSONConv(name string, src []byte) jsonConv {
	idx := jsonpos.Read(name, src)
	c := jsonConv{name: name, idx: idx, out: &Converted{Comments: map[any]string{}}}
	c.src = &source{at: map[posKey]scenario.Spot{}, pathAt: func(p scenario.Pos) (string, bool) {
		path, ok := idx.PathAt(p)
		return jsonpos.Display(path), ok
	}}
	c.out.Source = c.src
	return c
}

func (c *jsonConv) errorf(p, hint, format string, args ...any) {
	c.out.Errors = append(c.out.Errors, &scenario.Error{Pos: c.idx.Pos(p), Path: jsonpos.Display(p), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (c *jsonConv) notef(p, hint, format string, args ...any) {
	c.out.Notes = append(c.out.Notes, &scenario.Error{Pos: c.idx.Pos(p), Path: jsonpos.Display(p), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// jsonError reports a document that did not decode: notJSON is the hint
// for one that is not JSON at all, wrongType for a field of another type
// than its format gives.
func (c *jsonConv) jsonError(src []byte, err error, notJSON, wrongType string) {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		c.out.Errors = append(c.out.Errors, &scenario.Error{Pos: jsonpos.NewCursor(c.name, src).Pos(max(se.Offset-1, 0)), Msg: fmt.Sprintf("invalid JSON: %v", se), Hint: notJSON})
	case errors.As(err, &te):
		path, want := typeError(c.idx, te)
		c.errorf(path, wrongType, "expected %s, got %s", want, te.Value)
	default:
		c.errorf("", "", "%v", err)
	}
}

// enterKey reads dec's next value, which must be an object, up to the
// value of key, without decoding the values before it: detection reads
// only as far as it must. False when the value is not an object or has
// no such key.
func enterKey(dec *json.Decoder, key string) bool {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		if k == key {
			return true
		}
		if !jsonpos.Skip(dec, nil) {
			return false
		}
	}
	return false
}

// lit writes recorded text as a template that renders to the same text.
func lit(s string) string { return strings.ReplaceAll(s, "${", "$${") }

// bases names the origins (scheme://host:port) of a document's URLs as
// variables, base, base_2..., in the order they first appear, so that
// one --set retargets the scenario.
type bases struct {
	names map[string]string
	order []string
}

func (b *bases) name(origin string) string {
	if n, ok := b.names[origin]; ok {
		return n
	}
	if b.names == nil {
		b.names = map[string]string{}
	}
	n := "base"
	if len(b.order) > 0 {
		n = fmt.Sprintf("base_%d", len(b.order)+1)
	}
	b.names[origin] = n
	b.order = append(b.order, origin)
	return n
}

// template writes an absolute URL as ${base} and the rest of it.
func (b *bases) template(raw string) string {
	origin, rest, ok := splitOrigin(raw)
	if !ok {
		return lit(raw)
	}
	return "${" + b.name(origin) + "}" + lit(rest)
}

// replaceOrigins writes each known origin in a header value (Origin,
// Referer) as its variable.
func (b *bases) replaceOrigins(v string) string {
	v = lit(v)
	for _, o := range b.order {
		if v == o || strings.HasPrefix(v, o+"/") || strings.HasPrefix(v, o+"?") {
			return "${" + b.names[o] + "}" + v[len(o):]
		}
	}
	return v
}

func (b *bases) variables() []*scenario.Variable {
	var out []*scenario.Variable
	for _, o := range b.order {
		out = append(out, &scenario.Variable{Name: b.names[o], Type: scenario.VarText, Value: o, Delimiter: ','})
	}
	return out
}

// splitOrigin cuts an http(s) URL after its host and port.
func splitOrigin(raw string) (origin, rest string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", false
	}
	origin = u.Scheme + "://" + u.Host
	if !strings.HasPrefix(strings.ToLower(raw), strings.ToLower(origin)) {
		return "", "", false
	}
	return raw[:len(origin)], raw[len(origin):], true
}

// noiseHeaders are request headers a recording carries and a scenario
// must not send as written: the browser's own hints, what the client
// derives (Host, Content-Length), the transport's business, the browser
// cache's state, and compression, which would hand checks and
// extraction compressed bodies.
var noiseHeaders = map[string]string{
	"host": "derived from the URL", "content-length": "computed from the body",
	"connection": "perfcase keeps connections alive itself", "keep-alive": "perfcase keeps connections alive itself",
	"proxy-connection": "hop-by-hop", "transfer-encoding": "hop-by-hop", "te": "hop-by-hop", "upgrade": "hop-by-hop",
	"accept-encoding":   "a compressed reply would reach checks and extraction compressed",
	"user-agent":        "perfcase sends its own, so the target can tell load from users",
	"if-none-match":     "the browser cache's state: the replay has no cache",
	"if-modified-since": "the browser cache's state: the replay has no cache",
	"cache-control":     "the browser cache's state: the replay has no cache",
	"pragma":            "the browser cache's state: the replay has no cache",
	"priority":          "a browser scheduling hint", "purpose": "a browser prefetch hint", "sec-purpose": "a browser prefetch hint",
	"upgrade-insecure-requests": "a browser hint", "dnt": "a browser privacy setting", "sec-gpc": "a browser privacy setting",
	"x-client-data": "a browser experiment id",
}

// noise says why a request header is left out, or "" to keep it.
func noise(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasPrefix(n, ":"):
		return "an HTTP/2 pseudo-header, derived from the URL"
	case strings.HasPrefix(n, "sec-ch-") || strings.HasPrefix(n, "sec-fetch-"):
		return "a browser hint"
	}
	return noiseHeaders[n]
}

// formPairs splits an application/x-www-form-urlencoded body into its
// pairs in order; false when it is not one, or when it holds ${, which a
// form's names would not keep.
func formPairs(body string) ([]scenario.KV, bool) {
	if body == "" || strings.Contains(body, "${") {
		return nil, false
	}
	var out []scenario.KV
	for part := range strings.SplitSeq(body, "&") {
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || dk == "" {
			return nil, false
		}
		out = append(out, scenario.KV{Key: dk, Value: lit(dv)})
	}
	return out, true
}

// mediaType is a Content-Type without its parameters, lower case.
func mediaType(ct string) string {
	t, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

func isJSONType(ct string) bool {
	t := mediaType(ct)
	return t == "application/json" || strings.HasSuffix(t, "+json")
}

// uniqueName gives each name once: name, name_2, name_3...
type uniqueNames map[string]bool

func (u uniqueNames) take(name string) string {
	n := name
	for i := 2; u[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	u[n] = true
	return n
}

// identifier turns a key, a header or a field name into a variable name:
// letters, digits and _, in the case they were written.
func identifier(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	n := strings.Trim(b.String(), "_")
	if n == "" || n[0] >= '0' && n[0] <= '9' {
		n = "v_" + n
	}
	return strings.TrimSuffix(n, "_")
}

// typeError names the place and the type a JSON decoding error is about.
func typeError(idx *jsonpos.Index, te *json.UnmarshalTypeError) (path, want string) {
	path = idx.PathAtOffset(te.Offset)
	if _, ok := idx.At(te.Field); ok && te.Field != "" {
		path = te.Field
	}
	switch te.Type.Kind() {
	case reflect.Slice, reflect.Array:
		want = "a list"
	case reflect.Struct, reflect.Map:
		want = "an object"
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want = "true or false"
	default:
		want = "a number"
	}
	return path, want
}
