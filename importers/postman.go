package importers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/perfcase/perfcase/scenario"
)

// Postman reads a Postman collection v2.1: each folder becomes a
// transaction, the collection's variables (and Env's, which win, as in
// Postman) become variables, basic, bearer and API-key auth become
// headers, {{name}} becomes ${name}, and a test script's
// pm.environment.set of a JSON field or a header, or
// pm.response.to.have.status, becomes an extraction or a check. Every
// other script line, and every other setting perfcase has no use for,
// is noted as not converted.
type Postman struct {
	// Env is a Postman environment file's content, read from EnvName.
	Env     []byte
	EnvName string
}

func (Postman) Format() string { return "Postman collection" }

var postmanSchema = regexp.MustCompile(`^https?://schema\.(get)?postman\.com/json/collection/`)

// Detect claims a JSON object whose info.schema is a Postman collection
// schema's URL, of any version, so that an old one is refused clearly.
func (Postman) Detect(src []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(src))
	if !enterKey(dec, "info") {
		return false
	}
	var info struct {
		Schema string `json:"schema"`
	}
	return dec.Decode(&info) == nil && postmanSchema.MatchString(info.Schema)
}

func (p Postman) Import(name string, src []byte) *scenario.Imported {
	return &p.Convert(name, src).Imported
}

type pmCollection struct {
	Info struct {
		Name   string `json:"name"`
		Schema string `json:"schema"`
	} `json:"info"`
	Item     []pmItem  `json:"item"`
	Variable []pmVar   `json:"variable"`
	Auth     *pmAuth   `json:"auth"`
	Event    []pmEvent `json:"event"`
}

type pmItem struct {
	Name    string     `json:"name"`
	Item    []pmItem   `json:"item"`
	Request *pmRequest `json:"request"`
	Event   []pmEvent  `json:"event"`
	Auth    *pmAuth    `json:"auth"`
}

type pmRequest struct {
	Method string          `json:"method"`
	Header []pmKV          `json:"header"`
	Body   *pmBody         `json:"body"`
	URL    json.RawMessage `json:"url"`
	Auth   *pmAuth         `json:"auth"`
}

type pmKV struct {
	Key      string `json:"key"`
	Value    any    `json:"value"`
	Disabled bool   `json:"disabled"`
	Type     string `json:"type"`
	Src      any    `json:"src"`
}

func (kv pmKV) text() string {
	switch v := kv.Value.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

type pmURL struct {
	Raw      string `json:"raw"`
	Variable []pmKV `json:"variable"`
}

type pmBody struct {
	Mode       string `json:"mode"`
	Raw        string `json:"raw"`
	Urlencoded []pmKV `json:"urlencoded"`
	Formdata   []pmKV `json:"formdata"`
	Disabled   bool   `json:"disabled"`
	Options    struct {
		Raw struct {
			Language string `json:"language"`
		} `json:"raw"`
	} `json:"options"`
}

type pmAuth struct {
	Type   string `json:"type"`
	Basic  []pmKV `json:"basic"`
	Bearer []pmKV `json:"bearer"`
	APIKey []pmKV `json:"apikey"`
}

type pmEvent struct {
	Listen   string `json:"listen"`
	Disabled bool   `json:"disabled"`
	Script   struct {
		Exec json.RawMessage `json:"exec"`
	} `json:"script"`
}

type pmVar struct {
	Key      string `json:"key"`
	Value    any    `json:"value"`
	Disabled bool   `json:"disabled"`
	Enabled  *bool  `json:"enabled"`
	Type     string `json:"type"`
}

type pmConv struct {
	jsonConv
	vars  map[string]string // Postman name -> perfcase name
	taken uniqueNames
	txs   uniqueNames
	file  *scenario.File
}

func (p Postman) Convert(name string, src []byte) *Converted {
	c := &pmConv{jsonConv: newJSONConv(name, src), vars: map[string]string{}, taken: uniqueNames{}, txs: uniqueNames{}}
	var col pmCollection
	if err := json.Unmarshal(src, &col); err != nil {
		c.jsonError(src, err, "export the collection again; it is JSON", "a v2.1 collection gives this field another type")
		return c.out
	}
	if !strings.Contains(col.Info.Schema, "/v2.1") {
		c.errorf("info.schema", "export the collection as Collection v2.1 (Postman: Export, Collection v2.1)", "%s is not a v2.1 collection", col.Info.Schema)
		return c.out
	}
	f := &scenario.File{Path: name, Name: col.Info.Name}
	if f.Name == "" {
		f.Name = scenarioName(name)
	}
	c.file = f
	c.src.mark(f, "", spot(c.idx, "info"))
	c.src.mark(f, "name", spot(c.idx, "info.name"))
	values := map[string]*scenario.Variable{}
	var order []string
	for i, v := range col.Variable {
		if v.Disabled {
			continue
		}
		c.variable(v, fmt.Sprintf("variable[%d]", i), values, &order)
	}
	if len(p.Env) > 0 {
		c.env(p, values, &order)
	}
	cs := &scenario.Case{Name: f.Name, LogPolicy: "request",
		Stages: []*scenario.Stage{{Name: "replay", Mode: scenario.ModeConcurrency, VUs: 1, StartVUs: 1, Count: 1}}}
	c.src.mark(cs, "", spot(c.idx, "item"))
	c.scripts(col.Event, "event", "the collection")
	cs.Steps = c.items(col.Item, "item", col.Auth)
	for _, n := range order {
		f.Variables = append(f.Variables, values[n])
	}
	f.Cases = []*scenario.Case{cs}
	if len(c.out.Errors) > 0 {
		return c.out
	}
	c.out.File = f
	c.out.Header = []string{
		fmt.Sprintf("Imported from the Postman collection %s, one pass of its requests by one VU.", path.Base(name)),
		"Scripts are converted only where docs/importers.md says; every other line is listed as a note.",
		"Set the load in stages:.",
	}
	return c.out
}

// varName is the perfcase name of a Postman variable: letters, digits
// and _, the same for every use.
func (c *pmConv) varName(pm string) string {
	if n, ok := c.vars[pm]; ok {
		return n
	}
	n := c.taken.take(identifier(pm))
	c.vars[pm] = n
	return n
}

func (c *pmConv) variable(v pmVar, p string, values map[string]*scenario.Variable, order *[]string) {
	n := c.varName(v.Key)
	text := pmKV{Value: v.Value}.text()
	if strings.Contains(text, "{{") {
		c.notef(p+".value", "write the value out; a variable's value is not a template", "variable %q refers to another variable; kept as written", v.Key)
	}
	vr := &scenario.Variable{Name: n, Type: scenario.VarText, Value: text, Delimiter: ',', Sensitive: v.Type == "secret"}
	c.src.mark(vr, "", spot(c.idx, p))
	c.src.mark(vr, scenario.NameKey, spot(c.idx, p+".key"))
	c.src.mark(vr, "value", spot(c.idx, p+".value"))
	if _, seen := values[n]; !seen {
		*order = append(*order, n)
	}
	values[n] = vr
	if n != v.Key {
		c.out.Comments[vr] = fmt.Sprintf("Postman's {{%s}}", v.Key)
	}
}

// env reads the environment file; its values win over the collection's.
func (c *pmConv) env(p Postman, values map[string]*scenario.Variable, order *[]string) {
	var env struct {
		Values []pmVar `json:"values"`
	}
	if err := json.Unmarshal(p.Env, &env); err != nil {
		c.out.Errors = append(c.out.Errors, &scenario.Error{Pos: scenario.Pos{File: p.EnvName, Line: 1, Col: 1}, Msg: fmt.Sprintf("the environment is not a Postman environment: %v", err), Hint: "export it from Postman: Environments, Export"})
		return
	}
	for _, v := range env.Values {
		if v.Enabled != nil && !*v.Enabled {
			continue
		}
		c.variable(v, "", values, order)
		vr := values[c.varName(v.Key)]
		delete(c.src.at, posKey{vr, ""})
		delete(c.src.at, posKey{vr, scenario.NameKey})
		delete(c.src.at, posKey{vr, "value"})
		c.out.Comments[vr] = strings.TrimPrefix(c.out.Comments[vr]+"; from the environment "+path.Base(p.EnvName), "; ")
	}
}

var pmRef = regexp.MustCompile(`\{\{\s*([^{}]+?)\s*\}\}`)

// dynamic are Postman's built-in {{$...}} variables perfcase has a
// function for.
var dynamic = map[string]string{
	"$guid": "${uuid()}", "$randomUUID": "${uuid()}", "$timestamp": "${timestamp()}", "$randomInt": "${random_int(0, 1000)}",
}

// tmpl writes Postman text with {{name}} as a perfcase template.
func (c *pmConv) tmpl(s, p string) string {
	var b strings.Builder
	last := 0
	for _, m := range pmRef.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(lit(s[last:m[0]]))
		ref := s[m[2]:m[3]]
		switch d, ok := dynamic[ref]; {
		case ok:
			b.WriteString(d)
		case strings.HasPrefix(ref, "$"):
			c.notef(p, "write a value, or one of perfcase's functions (docs/language.md)", "Postman's dynamic variable {{%s}} is not converted; it is sent as written", ref)
			b.WriteString(lit(s[m[0]:m[1]]))
		default:
			b.WriteString("${" + c.varName(ref) + "}")
		}
		last = m[1]
	}
	b.WriteString(lit(s[last:]))
	return b.String()
}

// items converts a list of items: a request is a step, a folder a
// transaction and the step that runs it.
func (c *pmConv) items(list []pmItem, p string, auth *pmAuth) []*scenario.Step {
	var out []*scenario.Step
	for i := range list {
		it := &list[i]
		ip := fmt.Sprintf("%s[%d]", p, i)
		itemAuth := auth
		if it.Auth != nil && it.Auth.Type != "inherit" {
			itemAuth = it.Auth
		}
		switch {
		case it.Request != nil:
			if s := c.request(it, ip, itemAuth); s != nil {
				out = append(out, s)
			}
		case it.Item != nil:
			c.scripts(it.Event, ip+".event", "the folder "+it.Name)
			tx := &scenario.Transaction{Name: c.txs.take(it.Name), Steps: c.items(it.Item, ip+".item", itemAuth)}
			if len(tx.Steps) == 0 {
				c.notef(ip, "add requests to the folder", "the folder %q has no request; it is left out", it.Name)
				continue
			}
			c.src.mark(tx, "", spot(c.idx, ip))
			c.src.mark(tx, scenario.NameKey, spot(c.idx, ip+".name"))
			c.file.Transactions = append(c.file.Transactions, tx)
			s := &scenario.Step{Kind: scenario.StepTransaction, Transaction: tx.Name}
			c.src.mark(s, "", spot(c.idx, ip))
			out = append(out, s)
		default:
			c.notef(ip, "", "the item %q is neither a request nor a folder; it is left out", it.Name)
		}
	}
	return out
}

func (c *pmConv) request(it *pmItem, p string, auth *pmAuth) *scenario.Step {
	pr := it.Request
	raw, urlVars := "", []pmKV(nil)
	var asString string
	var u pmURL
	switch {
	case len(pr.URL) == 0:
	case json.Unmarshal(pr.URL, &asString) == nil:
		raw = asString
	case json.Unmarshal(pr.URL, &u) == nil:
		raw, urlVars = u.Raw, u.Variable
	default:
		c.errorf(p+".request.url", "give a string, or an object with raw as Postman exports it", "the url cannot be read: it is %s", strings.TrimSpace(string(pr.URL)))
		return nil
	}
	if raw == "" {
		c.errorf(p+".request.url", "give the request a URL", "the request %q has no URL", it.Name)
		return nil
	}
	// Path variables (:id) take the values the collection gives them.
	for _, v := range urlVars {
		raw = regexp.MustCompile(`/:`+regexp.QuoteMeta(v.Key)+`(/|\?|#|$)`).ReplaceAllString(raw, "/"+strings.ReplaceAll(v.text(), "$", "$$")+"$1")
	}
	if !strings.Contains(raw, "://") && !strings.HasPrefix(raw, "{{") {
		raw = "http://" + raw
	}
	h := &scenario.HTTPRequest{Method: strings.ToUpper(pr.Method), URL: c.tmpl(raw, p+".request.url"), TLSVerify: true}
	if h.Method == "GET" {
		h.Method = ""
	}
	r := &scenario.Request{Protocol: scenario.HTTP, HTTP: h, Name: it.Name}
	s := &scenario.Step{Kind: scenario.StepRequest, Request: r}
	c.src.mark(s, "", spot(c.idx, p))
	c.src.mark(r, "", spot(c.idx, p+".request"))
	c.src.mark(r, "name", spot(c.idx, p+".name"))
	c.src.mark(r, "method", spot(c.idx, p+".request.method"))
	c.src.mark(r, "url", spot(c.idx, p+".request.url"))
	c.src.mark(r, "headers", spot(c.idx, p+".request.header"))
	for i, hv := range pr.Header {
		if hv.Disabled {
			continue
		}
		hp := fmt.Sprintf("%s.request.header[%d]", p, i)
		h.Headers = append(h.Headers, scenario.KV{Key: hv.Key, Value: c.tmpl(hv.text(), hp+".value")})
		c.src.mark(&h.Headers[len(h.Headers)-1], scenario.NameKey, spot(c.idx, hp+".key"))
		c.src.mark(&h.Headers[len(h.Headers)-1], "", spot(c.idx, hp+".value"))
	}
	if pr.Auth != nil && pr.Auth.Type != "inherit" {
		auth = pr.Auth
	}
	c.auth(h, auth, p)
	if b := pr.Body; b != nil && !b.Disabled {
		c.body(h, b, p+".request.body")
		for _, k := range []string{"body", "json", "form", "multipart"} {
			c.src.mark(r, k, spot(c.idx, p+".request.body"))
		}
	}
	c.tests(it, r, p)
	return s
}

func (c *pmConv) auth(h *scenario.HTTPRequest, a *pmAuth, p string) {
	if a == nil {
		return
	}
	get := func(list []pmKV, key string) string {
		for _, kv := range list {
			if kv.Key == key {
				return kv.text()
			}
		}
		return ""
	}
	switch a.Type {
	case "", "noauth":
	case "basic":
		user, pass := get(a.Basic, "username"), get(a.Basic, "password")
		if strings.Contains(user+pass, "{{") {
			c.notef(p+".request", "write the header Authorization: Basic <base64 of user:password>", "basic auth from variables is not converted")
			return
		}
		h.Headers = append(h.Headers, scenario.KV{Key: "Authorization", Value: "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))})
	case "bearer":
		h.Headers = append(h.Headers, scenario.KV{Key: "Authorization", Value: "Bearer " + c.tmpl(get(a.Bearer, "token"), p+".request")})
	case "apikey":
		key, value := get(a.APIKey, "key"), c.tmpl(get(a.APIKey, "value"), p+".request")
		if get(a.APIKey, "in") == "query" {
			h.Query = append(h.Query, scenario.KV{Key: key, Value: value})
		} else {
			h.Headers = append(h.Headers, scenario.KV{Key: key, Value: value})
		}
	default:
		c.notef(p+".request", "write the header the auth sends", "%s auth is not converted", a.Type)
	}
}

func (c *pmConv) body(h *scenario.HTTPRequest, b *pmBody, p string) {
	switch b.Mode {
	case "raw":
		text := c.tmpl(b.Raw, p+".raw")
		isJSON := b.Options.Raw.Language == "json" || isJSONType(headerOf(h.Headers, "Content-Type"))
		if isJSON && json.Valid([]byte(text)) {
			h.BodyKind, h.Body = scenario.BodyJSON, compactJSON(text)
		} else if text != "" {
			h.BodyKind, h.Body = scenario.BodyRaw, text
			if isJSON && headerOf(h.Headers, "Content-Type") == "" {
				h.Headers = append(h.Headers, scenario.KV{Key: "Content-Type", Value: "application/json"})
			}
		}
	case "urlencoded":
		h.BodyKind = scenario.BodyForm
		for i, kv := range b.Urlencoded {
			if !kv.Disabled {
				h.Form = append(h.Form, scenario.KV{Key: kv.Key, Value: c.tmpl(kv.text(), fmt.Sprintf("%s.urlencoded[%d]", p, i))})
			}
		}
		h.Headers = dropHeader(h.Headers, "Content-Type")
	case "formdata":
		h.BodyKind = scenario.BodyMultipart
		for i, kv := range b.Formdata {
			if kv.Disabled {
				continue
			}
			part := scenario.Part{Name: kv.Key}
			if kv.Type == "file" {
				src, _ := kv.Src.(string)
				if src == "" {
					c.notef(fmt.Sprintf("%s.formdata[%d]", p, i), "name the file in the collection", "the file part %q has no file; it is left out", kv.Key)
					continue
				}
				part.File = src
			} else {
				part.Value = c.tmpl(kv.text(), fmt.Sprintf("%s.formdata[%d]", p, i))
			}
			h.Parts = append(h.Parts, part)
		}
		h.Headers = dropHeader(h.Headers, "Content-Type")
		if len(h.Parts) == 0 {
			h.BodyKind = scenario.BodyNone
		}
	case "":
	default:
		c.notef(p+".mode", "write the body as raw", "a %s body is not converted", b.Mode)
	}
}

func headerOf(list []scenario.KV, name string) string {
	for _, kv := range list {
		if strings.EqualFold(kv.Key, name) {
			return kv.Value
		}
	}
	return ""
}

// scriptLines are a script's lines: exec is a string or a list of them.
func scriptLines(exec json.RawMessage) []string {
	var list []string
	if json.Unmarshal(exec, &list) != nil {
		var one string
		json.Unmarshal(exec, &one)
		list = []string{one}
	}
	var out []string
	for _, l := range list {
		out = append(out, strings.Split(l, "\n")...)
	}
	return out
}

// scripts notes the scripts perfcase does not run: pre-request scripts,
// and those of a folder or the collection.
func (c *pmConv) scripts(events []pmEvent, p, owner string) {
	for i, ev := range events {
		if ev.Disabled || !hasCode(scriptLines(ev.Script.Exec)) {
			continue
		}
		c.notef(fmt.Sprintf("%s[%d]", p, i), "do what it does with set: steps, checks and extractions", "the %s script of %s is not converted", ev.Listen, owner)
	}
}

func hasCode(lines []string) bool {
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "//") {
			return true
		}
	}
	return false
}

var (
	pmSet     = regexp.MustCompile(`^pm\.(?:environment|collectionVariables|globals|variables)\.set\(\s*(["'])([^"']+)["']\s*,\s*(.+?)\s*\)\s*;?$`)
	pmAlias   = regexp.MustCompile(`^(?:var|let|const)\s+(\w+)\s*=\s*pm\.response\.json\(\)\s*;?$`)
	pmStatus  = regexp.MustCompile(`^pm\.response\.to\.have\.status\(\s*(\d{3})\s*\)\s*;?$`)
	pmTest    = regexp.MustCompile(`^pm\.test\(\s*(["']).*["']\s*,\s*(?:function\s*\(\s*\)|\(\s*\)\s*=>)\s*\{$`)
	pmClose   = regexp.MustCompile(`^\}\s*\)?\s*;?$`)
	pmHeader  = regexp.MustCompile(`^pm\.response\.headers\.get\(\s*["']([^"']+)["']\s*\)$`)
	pmJSONAcc = regexp.MustCompile(`^(?:\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[["']([^"']*)["']\])`)
)

// tests converts a request's test script where it is that simple: the
// status it expects, and variables set to a JSON field or a header of
// the response.
func (c *pmConv) tests(it *pmItem, r *scenario.Request, p string) {
	for i, ev := range it.Event {
		ep := fmt.Sprintf("%s.event[%d]", p, i)
		if ev.Disabled {
			continue
		}
		lines := scriptLines(ev.Script.Exec)
		if ev.Listen != "test" {
			if hasCode(lines) {
				c.notef(ep, "do what it does with set: steps before the request", "the %s script of %q is not converted", ev.Listen, it.Name)
			}
			continue
		}
		aliases := map[string]bool{}
		for k, line := range lines {
			t := strings.TrimSpace(line)
			lp := fmt.Sprintf("%s.script.exec[%d]", ep, k)
			if m := pmAlias.FindStringSubmatch(t); m != nil {
				aliases[m[1]] = true
				continue
			}
			if t == "" || strings.HasPrefix(t, "//") || pmTest.MatchString(t) || pmClose.MatchString(t) {
				continue
			}
			if m := pmStatus.FindStringSubmatch(t); m != nil {
				r.Checks = append(r.Checks, &scenario.Check{Subject: "status", Op: "equals", Value: m[1]})
				continue
			}
			if m := pmSet.FindStringSubmatch(t); m != nil {
				if ext := extraction(m[3], aliases); ext != nil {
					ext.Var = c.varName(m[2])
					r.Extract = append(r.Extract, ext)
					c.out.Comments[ext] = fmt.Sprintf("from the test script: %s", t)
					continue
				}
			}
			c.notef(lp, "do what it does with checks and extractions (docs/language.md)", "test script line of %q not converted: %s", it.Name, t)
		}
	}
}

// extraction reads pm.response.json().a.b[0], an alias of
// pm.response.json() with such a path, or pm.response.headers.get("X").
func extraction(expr string, aliases map[string]bool) *scenario.Extract {
	if m := pmHeader.FindStringSubmatch(expr); m != nil {
		return &scenario.Extract{From: "header", Header: m[1], Match: 1}
	}
	rest, ok := strings.CutPrefix(expr, "pm.response.json()")
	if !ok {
		i := strings.IndexAny(expr, ".[")
		if i <= 0 || !aliases[expr[:i]] {
			return nil
		}
		rest = expr[i:]
	}
	p := "$"
	for rest != "" {
		m := pmJSONAcc.FindStringSubmatch(rest)
		if m == nil {
			return nil
		}
		switch {
		case m[1] != "":
			p += jsonPathKey(m[1])
		case m[2] != "":
			p += "[" + m[2] + "]"
		default:
			p += jsonPathKey(m[3])
		}
		rest = rest[len(m[0]):]
	}
	if p == "$" {
		return nil
	}
	return &scenario.Extract{From: "body", JSONPath: p, Match: 1}
}
