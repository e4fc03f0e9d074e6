package importers

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// Correlation. A value that a response returned and a later request
// sends is, in a recording, almost always a value the server handed out
// for that session: a CSRF token, an API key, an order id. Replayed as
// recorded it would be stale, so it becomes an extraction on the response
// and a ${variable} in every request that sends it.
//
// Values are compared as runs of letters, digits and - . _ ~ (the
// characters of ids, hex, UUIDs, base64url and JWTs): a run of a request
// (in its URL, a header, a form field or the body) matches a value
// exactly. A value counts only when it looks made up rather than written:
// at least 4 characters and not a plain word; and only when no request
// sent it before a response revealed it (then the client knew it: a user
// name, a constant). The first response that revealed it, and finished
// before the request started, is its source.

// candidate is a value a response reveals and how to extract it.
type candidate struct {
	value string
	name  string // the variable's name, before it is made unique
	where string // where the response has it, for the comment
	ext   scenario.Extract
}

// origin is a value found in a response, once a request uses it.
type origin struct {
	from *entry
	cand candidate
	ext  *scenario.Extract // nil until a request uses the value
	uses []string
}

func isTokenChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~'
}

// runs are the maximal runs of token characters in s.
func runs(s string, yield func(start, end int)) {
	for i := 0; i < len(s); {
		if !isTokenChar(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isTokenChar(s[j]) {
			j++
		}
		yield(i, j)
		i = j
	}
}

func isRun(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// madeUp tells a value a server made up from one a person or a program
// wrote: 4 to 4096 characters, not a plain word.
func madeUp(s string) bool {
	if len(s) < 4 || len(s) > 4096 || !isRun(s) {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return true
		}
	}
	return false
}

func correlate(c *harConv, all, kept []*entry) {
	isKept := map[*entry]bool{}
	for _, e := range kept {
		isKept[e] = true
	}
	sent := map[string]bool{}
	found := map[string]*origin{}
	var used []*origin
	names := uniqueNames{}
	for _, n := range c.bases.names {
		names[n] = true
	}
	for _, e := range all {
		if isKept[e] {
			for _, sl := range slots(e.req.HTTP) {
				var repl []struct {
					start, end int
					o          *origin
				}
				runs(*sl.text, func(i, j int) {
					o := found[(*sl.text)[i:j]]
					// startedDateTime counts whole milliseconds; a redirect
					// is followed the moment its response ends.
					if o == nil || o.from.end.After(e.start.Add(time.Millisecond)) && !redirectsTo(o.from, e) {
						return
					}
					repl = append(repl, struct {
						start, end int
						o          *origin
					}{i, j, o})
				})
				for k := len(repl) - 1; k >= 0; k-- {
					r := repl[k]
					if r.o.ext == nil {
						ext := r.o.cand.ext
						ext.Var = names.take(r.o.cand.name)
						r.o.ext = &ext
						r.o.from.req.Extract = append(r.o.from.req.Extract, r.o.ext)
						used = append(used, r.o)
					}
					*sl.text = (*sl.text)[:r.start] + "${" + r.o.ext.Var + "}" + (*sl.text)[r.end:]
					use := fmt.Sprintf("log.entries[%d] (%s %s, %s)", e.n, e.Request.Method, pathOf(e.Request.URL), sl.what)
					if !slices.Contains(r.o.uses, use) {
						r.o.uses = append(r.o.uses, use)
					}
				}
			}
			fixJSONBody(e)
		}
		for _, t := range sentTexts(e) {
			runs(t, func(i, j int) { sent[t[i:j]] = true })
		}
		if !isKept[e] {
			continue
		}
		for _, cand := range candidates(e) {
			if !sent[cand.value] && found[cand.value] == nil {
				found[cand.value] = &origin{from: e, cand: cand}
			}
		}
	}
	for _, o := range used {
		c.out.Comments[o.ext] = fmt.Sprintf("%s: %s of this response (log.entries[%d]); sent by %s", o.ext.Var, o.cand.where, o.from.n, strings.Join(o.uses, ", "))
	}
}

func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Path != "" {
		return u.Path
	}
	return raw
}

// slot is a text a request sends that may hold a correlated value.
type slot struct {
	text *string
	what string
}

func slots(h *scenario.HTTPRequest) []slot {
	out := []slot{{&h.URL, "the URL"}}
	for i := range h.Headers {
		out = append(out, slot{&h.Headers[i].Value, "header " + h.Headers[i].Key})
	}
	for i := range h.Form {
		out = append(out, slot{&h.Form[i].Value, "form field " + h.Form[i].Key})
	}
	for i := range h.Parts {
		out = append(out, slot{&h.Parts[i].Value, "part " + h.Parts[i].Name})
	}
	if h.BodyKind == scenario.BodyRaw || h.BodyKind == scenario.BodyJSON {
		out = append(out, slot{&h.Body, "the body"})
	}
	return out
}

// fixJSONBody sends a JSON body whose number or literal became a
// ${variable} as raw text: json: holds JSON, and ${...} in place of a
// number is not JSON.
func fixJSONBody(e *entry) {
	h := e.req.HTTP
	if h.BodyKind != scenario.BodyJSON || json.Valid([]byte(h.Body)) {
		return
	}
	h.BodyKind = scenario.BodyRaw
	h.Headers = append(h.Headers, scenario.KV{Key: "Content-Type", Value: e.Request.PostData.MimeType})
}

// sentTexts are the texts of e's request as the browser sent them.
func sentTexts(e *entry) []string {
	out := []string{e.Request.URL}
	for _, h := range e.Request.Headers {
		out = append(out, h.Value)
	}
	if pd := e.Request.PostData; pd != nil {
		out = append(out, pd.Text)
		for _, p := range pd.Params {
			out = append(out, p.Value)
		}
	}
	if u, err := url.QueryUnescape(e.Request.URL); err == nil {
		out = append(out, u)
	}
	return out
}

// candidates are the values e's response reveals, each with a rule that
// extracts it from that response: JSON fields, HTML inputs and meta tags,
// headers, and the parts of a redirect's Location.
func candidates(e *entry) []candidate {
	var out []candidate
	body := e.content
	switch mt := mediaType(e.Response.Content.MimeType); {
	case isJSONType(mt) || looksJSON(body):
		out = jsonCandidates(body, out)
	case strings.Contains(mt, "html"):
		out = htmlCandidates(body, out)
	}
	for _, h := range e.Response.Headers {
		name := strings.ToLower(h.Name)
		v := strings.TrimSpace(h.Value)
		switch {
		case name == "location" && e.Response.Status >= 300 && e.Response.Status < 400:
			out = locationCandidates(h.Name, v, out)
		case skipResponseHeader[name] || strings.HasPrefix(name, "access-control-") || strings.HasPrefix(name, "content-"):
		case madeUp(v):
			out = append(out, candidate{value: v, name: identifier(strings.ToLower(h.Name)), where: "the header " + h.Name,
				ext: scenario.Extract{From: "header", Header: h.Name, Match: 1}})
		}
	}
	return out
}

// looksJSON tells a JSON object or array sent with another media type.
func looksJSON(body string) bool {
	t := strings.TrimSpace(body)
	return t != "" && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t))
}

// skipResponseHeader are headers whose values no request sends back as
// they are: the cookie jar's, caching's and the transport's.
var skipResponseHeader = map[string]bool{
	"set-cookie": true, "date": true, "expires": true, "last-modified": true, "etag": true, "server": true,
	"vary": true, "cache-control": true, "connection": true, "keep-alive": true, "transfer-encoding": true,
	"age": true, "accept-ranges": true, "strict-transport-security": true, "x-content-type-options": true,
	"x-frame-options": true, "alt-svc": true, "report-to": true, "nel": true, "referrer-policy": true,
	"x-xss-protection": true, "via": true, "pragma": true, "location": true,
}

// jsonCandidates walks a JSON body in document order: every string or
// number field is a candidate, extracted by its JSONPath.
func jsonCandidates(body string, out []candidate) []candidate {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var walk func(path, name string) bool
	walk = func(path, name string) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' {
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return false
					}
					key, _ := k.(string)
					if !walk(path+jsonPathKey(key), key) {
						return false
					}
				}
			} else {
				for i := 0; dec.More(); i++ {
					if !walk(fmt.Sprintf("%s[%d]", path, i), name) {
						return false
					}
				}
			}
			_, err := dec.Token()
			return err == nil
		case string, json.Number:
			v := fmt.Sprint(t)
			if madeUp(v) {
				n := identifier(name)
				if name == "" {
					n = "value"
				}
				out = append(out, candidate{value: v, name: n, where: "the JSON field " + path,
					ext: scenario.Extract{From: "body", JSONPath: path, Match: 1}})
			}
		}
		return true
	}
	walk("$", "")
	return out
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func jsonPathKey(k string) string {
	if plainKey.MatchString(k) {
		return "." + k
	}
	return "['" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(k) + "']"
}

var (
	htmlTag  = regexp.MustCompile(`(?is)<(input|meta)\b[^>]*>`)
	htmlAttr = regexp.MustCompile(`([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*')`)
)

// htmlCandidates are the values of named inputs (a CSRF token's hidden
// field) and of meta tags (a csrf-token meta), each extracted by the text
// around it: left is the tag up to the value's quote, right the quote.
func htmlCandidates(body string, out []candidate) []candidate {
	for _, tag := range htmlTag.FindAllStringSubmatchIndex(body, -1) {
		kind := strings.ToLower(body[tag[2]:tag[3]])
		text := body[tag[0]:tag[1]]
		var name string
		valStart, valEnd := -1, -1
		for _, a := range htmlAttr.FindAllStringSubmatchIndex(text, -1) {
			attr := strings.ToLower(text[a[2]:a[3]])
			v := text[a[4]+1 : a[5]-1]
			switch {
			case attr == "name" || kind == "meta" && attr == "property":
				name = v
			case kind == "input" && attr == "value" || kind == "meta" && attr == "content":
				valStart, valEnd = tag[0]+a[4]+1, tag[0]+a[5]-1
			}
		}
		if name == "" || valStart < 0 {
			continue
		}
		v := body[valStart:valEnd]
		left, right := body[tag[0]:valStart], body[valEnd:valEnd+1]
		// The rule must find this very value: the first left in the body
		// is this tag's, and the value holds no right.
		if !madeUp(v) || html.UnescapeString(v) != v || strings.Index(body, left) != tag[0] {
			continue
		}
		where := fmt.Sprintf("the %s %q", kind, name)
		if kind == "input" {
			where = fmt.Sprintf("the HTML input %q", name)
		}
		out = append(out, candidate{value: v, name: identifier(name), where: where,
			ext: scenario.Extract{From: "body", Left: left, Right: right, Match: 1}})
	}
	return out
}

// locationCandidates are the made-up path segments and query values of
// a redirect's Location, each extracted by a regex on the header.
func locationCandidates(header, loc string, out []candidate) []candidate {
	u, err := url.Parse(loc)
	if err != nil {
		return out
	}
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		if !madeUp(seg) {
			continue
		}
		prefix := strings.Join(segs[:i], "/") + "/"
		name := "location_id"
		if i > 0 && segs[i-1] != "" {
			name = identifier(segs[i-1]) + "_id"
		}
		re := regexp.QuoteMeta(prefix) + `([^/?#]+)`
		out = append(out, candidate{value: seg, name: name, where: fmt.Sprintf("the %s header's path segment %d", header, i),
			ext: scenario.Extract{From: "header", Header: header, Regex: re, Match: 1, Group: 1}})
	}
	for part := range strings.SplitSeq(u.RawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		if !madeUp(v) {
			continue
		}
		re := `[?&]` + regexp.QuoteMeta(k) + `=([^&#]*)`
		out = append(out, candidate{value: v, name: identifier(k), where: fmt.Sprintf("the %s header's query parameter %s", header, k),
			ext: scenario.Extract{From: "header", Header: header, Regex: re, Match: 1, Group: 1}})
	}
	return out
}
