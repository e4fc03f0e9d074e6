package importers

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// Curl reads one or more curl commands, as a browser's "Copy as cURL"
// writes them in bash or Windows cmd syntax (which it tells by the
// quoting). Each command becomes a request step, in order. A flag it does
// not convert is noted, never dropped silently.
type Curl struct{}

func (Curl) Format() string { return "cURL" }

// Detect claims text whose first word is curl, which no YAML scenario is.
func (Curl) Detect(src []byte) bool {
	s := strings.TrimLeft(string(src), " \t\r\n")
	for strings.HasPrefix(s, "#") {
		_, s, _ = strings.Cut(s, "\n")
		s = strings.TrimLeft(s, " \t\r\n")
	}
	return strings.HasPrefix(s, "curl ") || strings.HasPrefix(s, "curl.exe ") || strings.HasPrefix(s, "curl\t")
}

func (cu Curl) Import(name string, src []byte) *scenario.Imported {
	return &cu.Convert(name, src).Imported
}

type curlConv struct {
	out   *Converted
	src   *source
	bases bases
}

func (Curl) Convert(name string, src []byte) *Converted {
	c := &curlConv{out: &Converted{Comments: map[any]string{}}, src: &source{at: map[posKey]scenario.Spot{}}}
	c.out.Source = c.src
	text := string(src)
	lx := &shellLexer{src: text, file: name, cmd: isCmdSyntax(text)}
	cmds, err := lx.commands()
	if err != nil {
		c.out.Errors = append(c.out.Errors, err)
		return c.out
	}
	cs := &scenario.Case{Name: scenarioName(name), LogPolicy: "request",
		Stages: []*scenario.Stage{{Name: "replay", Mode: scenario.ModeConcurrency, VUs: 1, StartVUs: 1, Count: 1}}}
	for _, words := range cmds {
		if s := c.command(words); s != nil {
			cs.Steps = append(cs.Steps, s)
		}
	}
	if len(c.out.Errors) > 0 {
		return c.out
	}
	if len(cs.Steps) == 0 {
		c.out.Errors = append(c.out.Errors, &scenario.Error{Pos: scenario.Pos{File: name, Line: 1, Col: 1}, Msg: "no curl command", Hint: "give one or more commands that start with curl"})
		return c.out
	}
	syntax := "bash"
	if lx.cmd {
		syntax = "Windows cmd"
	}
	c.out.File = &scenario.File{Path: name, Name: scenarioName(name), Variables: c.bases.variables(), Cases: []*scenario.Case{cs}}
	c.out.Header = []string{
		fmt.Sprintf("Imported from %d curl command(s) in %s (%s syntax), one pass of them by one VU.", len(cs.Steps), path.Base(name), syntax),
		"Browser-noise headers, Accept-Encoding and User-Agent are left out (docs/importers.md).",
		"Set the load in stages:, and the target with --set base=URL.",
	}
	return c.out
}

func (c *curlConv) note(w word, hint, format string, args ...any) {
	c.out.Notes = append(c.out.Notes, &scenario.Error{Pos: w.pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (c *curlConv) errorf(w word, hint, format string, args ...any) {
	c.out.Errors = append(c.out.Errors, &scenario.Error{Pos: w.pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// curlFlags are the flags converted, by long name; the value says
// whether the flag takes an argument.
var curlFlags = map[string]bool{
	"request": true, "header": true, "data": true, "data-ascii": true, "data-raw": true, "data-binary": true,
	"data-urlencode": true, "form": true, "form-string": true, "user": true, "cookie": true, "compressed": false,
	"insecure": false, "location": false, "url": true, "get": false, "head": false, "referer": true,
	"user-agent": true, "json": true, "max-time": true, "connect-timeout": true, "http1.1": false, "max-redirs": true,
}

var curlShort = map[byte]string{
	'X': "request", 'H': "header", 'd': "data", 'F': "form", 'u': "user", 'b': "cookie", 'k': "insecure",
	'L': "location", 'G': "get", 'I': "head", 'e': "referer", 'A': "user-agent", 'm': "max-time",
}

// curlValueFlags are flags perfcase does not convert that take a value,
// by long or short name: the value is skipped with them.
var curlValueFlags = map[string]bool{
	"url-query": true, "output": true, "o": true, "write-out": true, "w": true, "proxy": true, "x": true, "resolve": true,
	"connect-to": true, "cacert": true, "cert": true, "E": true, "key": true, "interface": true, "retry": true,
	"retry-delay": true, "retry-max-time": true, "limit-rate": true, "dump-header": true, "D": true, "cookie-jar": true,
	"c": true, "trace": true, "trace-ascii": true, "config": true, "K": true, "range": true, "r": true, "unix-socket": true,
	"proto": true, "proto-redir": true, "upload-file": true, "T": true, "speed-limit": true, "Y": true, "speed-time": true,
	"y": true, "time-cond": true, "z": true, "oauth2-bearer": true, "request-target": true, "variable": true, "expand-url": true,
}

type curlOpt struct {
	name string
	val  word
	at   word
}

// command converts one command's words to a request step.
func (c *curlConv) command(words []word) *scenario.Step {
	if base := strings.TrimSuffix(strings.ToLower(words[0].text), ".exe"); base != "curl" {
		c.errorf(words[0], "give only curl commands, one per line or joined by ; or &", "%q is not a curl command", words[0].text)
		return nil
	}
	var opts []curlOpt
	var urls []word
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case strings.HasPrefix(w.text, "--") && len(w.text) > 2:
			name, val, hasVal := strings.Cut(w.text[2:], "=")
			takes, known := curlFlags[name]
			if !known {
				if curlValueFlags[name] && !hasVal && i+1 < len(words) {
					i++
				}
				c.note(w, "perfcase has no such setting; the request is converted without it", "curl flag --%s is not converted", name)
				continue
			}
			o := curlOpt{name: name, at: w}
			if takes {
				switch {
				case hasVal:
					o.val = word{text: val, pos: w.pos}
				case i+1 < len(words):
					i++
					o.val = words[i]
				default:
					c.errorf(w, "give its value", "--%s needs a value", name)
					continue
				}
			}
			opts = append(opts, o)
		case strings.HasPrefix(w.text, "-") && len(w.text) > 1:
			for k := 1; k < len(w.text); k++ {
				name, known := curlShort[w.text[k]]
				if !known {
					c.note(w, "perfcase has no such setting; the request is converted without it", "curl flag -%c is not converted", w.text[k])
					if curlValueFlags[string(w.text[k])] {
						if k == len(w.text)-1 && i+1 < len(words) {
							i++
						}
						break
					}
					continue
				}
				o := curlOpt{name: name, at: w}
				if curlFlags[name] {
					switch {
					case k+1 < len(w.text):
						o.val = word{text: w.text[k+1:], pos: w.pos}
					case i+1 < len(words):
						i++
						o.val = words[i]
					default:
						c.errorf(w, "give its value", "-%c needs a value", w.text[k])
					}
					k = len(w.text)
				}
				opts = append(opts, o)
			}
		default:
			urls = append(urls, w)
		}
	}
	for _, o := range opts {
		if o.name == "url" {
			urls = append(urls, o.val)
		}
	}
	if len(urls) == 0 {
		c.errorf(words[0], "give the URL", "the curl command has no URL")
		return nil
	}
	for _, u := range urls[1:] {
		c.note(u, "put each URL in its own curl command", "only the first URL of a command is converted; %q is not", u.text)
	}
	return c.build(urls[0], opts)
}

func (c *curlConv) build(u word, opts []curlOpt) *scenario.Step {
	// curl reads [ ] { } as globbing; browsers escape them with \.
	raw := strings.NewReplacer(`\[`, "[", `\]`, "]", `\{`, "{", `\}`, "}").Replace(u.text)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	h := &scenario.HTTPRequest{TLSVerify: true, URL: c.bases.template(raw)}
	r := &scenario.Request{Protocol: scenario.HTTP, HTTP: h}
	s := &scenario.Step{Kind: scenario.StepRequest, Request: r}
	at := scenario.Spot{Val: u.pos}
	c.src.mark(s, "", at)
	c.src.mark(r, "", at)
	c.src.mark(r, "url", at)
	method, get, follow, limit := "", false, false, 0
	var data []string
	var dataAt word
	var ctype string
	addHeader := func(name, value string, w word) {
		if noise(name) != "" {
			return
		}
		if strings.EqualFold(name, "Content-Type") {
			ctype = value
		}
		h.Headers = append(h.Headers, scenario.KV{Key: name, Value: c.bases.replaceOrigins(value)})
		c.src.mark(&h.Headers[len(h.Headers)-1], scenario.NameKey, scenario.Spot{Val: w.pos})
		c.src.mark(&h.Headers[len(h.Headers)-1], "", scenario.Spot{Val: w.pos})
	}
	for _, o := range opts {
		v := o.val.text
		switch o.name {
		case "request":
			method = strings.ToUpper(v)
		case "header":
			name, value, ok := strings.Cut(v, ":")
			switch {
			case strings.HasSuffix(v, ";") && !ok:
				addHeader(strings.TrimSuffix(v, ";"), "", o.val)
			case ok && strings.TrimSpace(value) != "":
				addHeader(strings.TrimSpace(name), strings.TrimSpace(value), o.val)
			default:
				c.note(o.val, "curl removes that header; perfcase sends only the headers written", "header %q without a value is not converted", v)
			}
		case "data", "data-ascii", "data-raw", "data-binary", "json":
			if strings.HasPrefix(v, "@") && o.name != "data-raw" {
				c.note(o.val, "paste the file's content in body:, or use a multipart file", "--%s %s reads a file, which is not converted", o.name, v)
				continue
			}
			data, dataAt = append(data, v), o.val
			if o.name == "json" {
				ctype = "application/json"
				addHeader("Content-Type", ctype, o.val)
				addHeader("Accept", "application/json", o.val)
			}
		case "data-urlencode":
			name, content, hasEq := strings.Cut(v, "=")
			switch {
			case strings.Contains(name, "@") && !hasEq || strings.HasPrefix(v, "@"):
				c.note(o.val, "paste the file's content", "--data-urlencode %s reads a file, which is not converted", v)
				continue
			case !hasEq:
				data = append(data, url.QueryEscape(v))
			case name == "":
				data = append(data, url.QueryEscape(content))
			default:
				data = append(data, name+"="+url.QueryEscape(content))
			}
			dataAt = o.val
		case "form", "form-string":
			c.formPart(h, o)
		case "user":
			addHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(v)), o.val)
		case "cookie":
			if !strings.Contains(v, "=") {
				c.note(o.val, "write the cookies as name=value; name2=value2", "-b %s reads a cookie file, which is not converted", v)
				continue
			}
			addHeader("Cookie", v, o.val)
		case "insecure":
			h.TLSVerify = false
		case "location":
			follow = true
		case "max-redirs":
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				limit = n
			}
		case "get":
			get = true
		case "head":
			method = "HEAD"
		case "referer":
			addHeader("Referer", v, o.val)
		case "user-agent":
			c.note(o.val, "perfcase sends its own User-Agent; add a header if the target needs this one", "-A %q is not converted", v)
		case "max-time", "connect-timeout":
			sec, err := strconv.ParseFloat(v, 64)
			if err != nil || sec <= 0 {
				c.note(o.val, "give seconds, e.g. 2.5", "--%s %q is not converted", o.name, v)
				continue
			}
			d := time.Duration(sec * float64(time.Second))
			if o.name == "max-time" {
				h.Timeout = d
			} else {
				h.ConnectTimeout = d
			}
		case "compressed":
			// The reply is read as it comes: perfcase asks for no
			// compression (Accept-Encoding is left out), so none is
			// undone.
		case "http1.1":
			h.Version = "HTTP/1.1"
		}
	}
	// curl follows no redirect without -L; with it, up to --max-redirs
	// or perfcase's default of 10.
	switch {
	case !follow:
		h.MaxRedirects = -1
	case limit > 0:
		h.MaxRedirects = limit
	}
	body := strings.Join(data, "&")
	switch {
	case get && len(data) > 0:
		sep := "?"
		if strings.Contains(raw, "?") {
			sep = "&"
		}
		h.URL += sep + lit(body)
		data = nil
	case len(data) > 0 && method == "":
		method = "POST"
	case len(h.Parts) > 0 && method == "":
		method = "POST"
	}
	if len(data) > 0 {
		c.src.mark(r, "body", scenario.Spot{Val: dataAt.pos})
		c.src.mark(r, "form", scenario.Spot{Val: dataAt.pos})
		c.src.mark(r, "json", scenario.Spot{Val: dataAt.pos})
		mt := mediaType(ctype)
		pairs, isForm := formPairs(body)
		switch {
		case (mt == "" || mt == "application/x-www-form-urlencoded") && isForm:
			h.BodyKind, h.Form = scenario.BodyForm, pairs
			h.Headers = dropHeader(h.Headers, "Content-Type")
		case isJSONType(mt) && json.Valid([]byte(body)) && !strings.Contains(body, "${"):
			h.BodyKind, h.Body = scenario.BodyJSON, compactJSON(body)
		default:
			h.BodyKind, h.Body = scenario.BodyRaw, lit(body)
			if mt == "" {
				h.Headers = append(h.Headers, scenario.KV{Key: "Content-Type", Value: "application/x-www-form-urlencoded"})
			}
		}
	}
	if len(h.Parts) > 0 {
		h.BodyKind = scenario.BodyMultipart
		h.Headers = dropHeader(h.Headers, "Content-Type")
	}
	if method != "GET" {
		h.Method = method
	}
	return s
}

func dropHeader(list []scenario.KV, name string) []scenario.KV {
	out := list[:0]
	for _, kv := range list {
		if !strings.EqualFold(kv.Key, name) {
			out = append(out, kv)
		}
	}
	return out
}

// formPart converts -F name=value, name=@file and their ;type=.
func (c *curlConv) formPart(h *scenario.HTTPRequest, o curlOpt) {
	name, v, ok := strings.Cut(o.val.text, "=")
	if !ok {
		c.note(o.val, "write -F name=value or -F name=@file", "-F %q is not converted", o.val.text)
		return
	}
	p := scenario.Part{Name: name}
	if o.name == "form" {
		v, p.ContentType, _ = strings.Cut(v, ";type=")
		if f, isFile := strings.CutPrefix(v, "@"); isFile {
			p.File = f
		} else if f, isText := strings.CutPrefix(v, "<"); isText {
			c.note(o.val, "paste the file's content as the part's value", "-F %s=<%s reads a file as text, which is not converted", name, f)
			return
		}
	}
	if p.File == "" {
		p.Value = lit(v)
	}
	h.Parts = append(h.Parts, p)
}
