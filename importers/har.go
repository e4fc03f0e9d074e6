package importers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/perfcase/perfcase/internal/jsonpos"
	"github.com/perfcase/perfcase/scenario"
)

// HAR reads HAR 1.2, the HTTP Archive a browser saves ("Save all as
// HAR"): the requests in the order they started, grouped into one
// transaction per page or navigation, think times from the gaps between
// them, static assets and browser-noise headers left out, and values a
// response returned that a later request sends turned into extractions
// (see correlate). KeepStatic keeps the static assets.
type HAR struct {
	KeepStatic bool
}

func (HAR) Format() string { return "HAR" }

// Detect claims a JSON object whose log holds entries: HAR's shape, which
// no perfcase scenario has.
func (HAR) Detect(src []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(src))
	return enterKey(dec, "log") && enterKey(dec, "entries")
}

func (h HAR) Import(name string, src []byte) *scenario.Imported {
	return &h.Convert(name, src).Imported
}

type harDoc struct {
	Log struct {
		Creator harCreator  `json:"creator"`
		Browser *harCreator `json:"browser"`
		Pages   []harPage   `json:"pages"`
		Entries []harEntry  `json:"entries"`
	} `json:"log"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harPage struct {
	ID              string `json:"id"`
	Title           string `json:"title"`
	StartedDateTime string `json:"startedDateTime"`
}

type harEntry struct {
	PageRef         string      `json:"pageref"`
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	ResourceType    string      `json:"_resourceType"`
}

type harRequest struct {
	Method   string   `json:"method"`
	URL      string   `json:"url"`
	Headers  []harNV  `json:"headers"`
	PostData *harPost `json:"postData"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harCookie struct {
	Name string `json:"name"`
}

type harPost struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Params   []struct {
		Name        string `json:"name"`
		Value       string `json:"value"`
		FileName    string `json:"fileName"`
		ContentType string `json:"contentType"`
	} `json:"params"`
}

type harResponse struct {
	Status  int         `json:"status"`
	Headers []harNV     `json:"headers"`
	Cookies []harCookie `json:"cookies"`
	Content struct {
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
		Encoding string `json:"encoding"`
	} `json:"content"`
	RedirectURL string `json:"redirectURL"`
}

// harConv is one HAR conversion under way.
type harConv struct {
	HAR
	jsonConv
	bases bases
}

// entry is a HAR entry on its way to a step.
type entry struct {
	*harEntry
	n       int // its index in log.entries
	path    string
	start   time.Time
	end     time.Time
	static  bool
	step    *scenario.Step
	req     *scenario.Request
	nav     bool // a top-level navigation: a new page is loaded
	content string
}

const minThink = 100 * time.Millisecond

func (h HAR) Convert(name string, src []byte) *Converted {
	c := &harConv{HAR: h, jsonConv: newJSONConv(name, src)}
	var doc harDoc
	if err := json.Unmarshal(src, &doc); err != nil {
		c.jsonError(src, err, "save the HAR again; a HAR is JSON", "HAR 1.2 gives this field another type; save the recording again")
		return c.out
	}
	if _, ok := c.idx.At("log.entries"); !ok || doc.Log.Entries == nil {
		c.errorf("log", "a HAR's log holds entries: save the recording again with the browser's \"Save all as HAR\"", "log.entries is missing")
		return c.out
	}
	entries := c.entries(&doc)
	if len(c.out.Errors) > 0 {
		return c.out
	}
	var kept []*entry
	static := 0
	// set names the cookies responses have set so far: the VU's jar
	// sends those.
	set := map[string]bool{}
	for _, e := range entries {
		switch {
		case e.static && !c.KeepStatic:
			static++
		case c.request(e, set):
			kept = append(kept, e)
		}
		for _, ck := range e.Response.Cookies {
			set[ck.Name] = true
		}
		for _, h := range e.Response.Headers {
			if strings.EqualFold(h.Name, "Set-Cookie") {
				name, _, _ := strings.Cut(h.Value, "=")
				set[strings.TrimSpace(name)] = true
			}
		}
	}
	if len(kept) == 0 {
		c.errorf("log.entries", "record the pages again; --keep-static keeps static assets", "no request of the recording can be replayed")
		return c.out
	}
	correlate(c, entries, kept)
	f := &scenario.File{Path: name, Name: scenarioName(name)}
	c.src.mark(f, "", spot(c.idx, "log"))
	cs := &scenario.Case{Name: "recording", LogPolicy: "request",
		Stages: []*scenario.Stage{{Name: "replay", Mode: scenario.ModeConcurrency, VUs: 1, StartVUs: 1, Count: 1}}}
	c.src.mark(cs, "", spot(c.idx, "log.entries"))
	c.group(&doc, entries, kept, f, cs)
	f.Variables = c.bases.variables()
	f.Cases = []*scenario.Case{cs}
	c.out.File = f
	creator := doc.Log.Creator.Name
	if b := doc.Log.Browser; b != nil && b.Name != "" {
		creator += ", " + b.Name + " " + b.Version
	}
	c.out.Header = append(c.out.Header,
		fmt.Sprintf("Imported from the HAR %s (%s): %d of its %d requests, one pass of them by one VU.", path.Base(name), creator, len(kept), len(entries)))
	if static > 0 {
		c.out.Header = append(c.out.Header, fmt.Sprintf("%d static assets (style sheets, scripts, images, fonts, media) are left out; --keep-static keeps them.", static))
	}
	c.out.Header = append(c.out.Header,
		"Browser-noise headers, Accept-Encoding, User-Agent and the cookies the VU's jar sends are left out (docs/importers.md).",
		"Set the load in stages:, and the target with --set base=URL.")
	return c.out
}

// scenarioName names the scenario after its file.
func scenarioName(file string) string {
	b := path.Base(strings.ReplaceAll(file, "\\", "/"))
	if b == "<stdin>" || b == "." || b == "/" {
		return "imported"
	}
	return strings.TrimSuffix(b, path.Ext(b))
}

func spot(idx *jsonpos.Index, p string) scenario.Spot {
	sp, ok := idx.Nearest(p)
	if !ok {
		return scenario.Spot{}
	}
	return scenario.Spot{Key: sp.Key, Val: sp.Val, Quoted: sp.Quoted}
}

// entries reads the entries in the order they started.
func (c *harConv) entries(doc *harDoc) []*entry {
	var out []*entry
	for i := range doc.Log.Entries {
		he := &doc.Log.Entries[i]
		e := &entry{harEntry: he, n: i, path: fmt.Sprintf("log.entries[%d]", i)}
		t, err := time.Parse(time.RFC3339Nano, he.StartedDateTime)
		if err != nil {
			c.errorf(e.path+".startedDateTime", "HAR 1.2 dates are ISO 8601, e.g. 2024-05-01T10:00:00.123Z", "%q is not a date and time", he.StartedDateTime)
		}
		if he.Request.URL == "" || he.Request.Method == "" {
			c.errorf(e.path+".request", "every entry's request has a method and a url", "the request has no method or url")
		}
		e.start = t
		e.end = t.Add(time.Duration(max(he.Time, 0) * float64(time.Millisecond)))
		e.static = isStatic(he)
		e.content = he.Response.Content.Text
		if he.Response.Content.Encoding != "" {
			// A base64 body is binary to this importer: nothing in it is
			// searched for values to correlate.
			e.content = ""
		}
		e.nav = he.ResourceType == "document" || strings.EqualFold(headerValue(he.Request.Headers, "Sec-Fetch-Dest"), "document")
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

func headerValue(list []harNV, name string) string {
	for _, h := range list {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

var staticTypes = []string{"stylesheet", "script", "image", "font", "media", "manifest", "texttrack"}

var staticExt = []string{".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp",
	".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp4", ".webm", ".mp3", ".wav", ".ogg"}

// isStatic tells a static asset: by the browser's resource type, else by
// the response's media type, else by the URL's extension.
func isStatic(e *harEntry) bool {
	if e.ResourceType != "" {
		return slices.Contains(staticTypes, e.ResourceType)
	}
	mt := mediaType(e.Response.Content.MimeType)
	for _, p := range []string{"text/css", "image/", "font/", "audio/", "video/", "application/font"} {
		if strings.HasPrefix(mt, p) {
			return true
		}
	}
	if strings.Contains(mt, "javascript") || strings.Contains(mt, "ecmascript") {
		return true
	}
	if u, err := url.Parse(e.Request.URL); err == nil {
		return slices.Contains(staticExt, strings.ToLower(path.Ext(u.Path)))
	}
	return false
}

// request builds the step of an entry; false, with a note, when the
// entry cannot be replayed.
func (c *harConv) request(e *entry, set map[string]bool) bool {
	hr := &e.Request
	if _, _, ok := splitOrigin(hr.URL); !ok {
		c.notef(e.path+".request.url", "perfcase replays http:// and https:// requests", "%s %s is not converted", hr.Method, shorten(hr.URL))
		return false
	}
	if e.Response.Status <= 0 {
		c.notef(e.path+".response.status", "the browser got no response (blocked, cancelled or failed); it is left out", "%s %s is not converted", hr.Method, shorten(hr.URL))
		return false
	}
	h := &scenario.HTTPRequest{Method: strings.ToUpper(hr.Method), URL: c.bases.template(hr.URL), TLSVerify: true}
	r := &scenario.Request{Protocol: scenario.HTTP, HTTP: h}
	s := &scenario.Step{Kind: scenario.StepRequest, Request: r}
	if h.Method == "GET" {
		h.Method = ""
	}
	c.src.mark(s, "", spot(c.idx, e.path))
	c.src.mark(r, "", spot(c.idx, e.path+".request"))
	c.src.mark(r, "method", spot(c.idx, e.path+".request.method"))
	c.src.mark(r, "url", spot(c.idx, e.path+".request.url"))
	c.src.mark(r, "headers", spot(c.idx, e.path+".request.headers"))
	for i, hv := range hr.Headers {
		hp := fmt.Sprintf("%s.request.headers[%d]", e.path, i)
		value := hv.Value
		if strings.EqualFold(hv.Name, "Cookie") {
			// The VU's jar sends what responses set; what none set (a
			// script's document.cookie, or a cookie from before the
			// recording) is sent as written.
			value = unsetCookies(value, set)
		} else if noise(hv.Name) != "" {
			continue
		}
		if value == "" || bodyHeader(hv.Name, hr.PostData) {
			continue
		}
		h.Headers = append(h.Headers, scenario.KV{Key: hv.Name, Value: c.bases.replaceOrigins(value)})
		c.src.mark(&h.Headers[len(h.Headers)-1], scenario.NameKey, spot(c.idx, hp+".name"))
		c.src.mark(&h.Headers[len(h.Headers)-1], "", spot(c.idx, hp+".value"))
	}
	if pd := hr.PostData; pd != nil {
		c.body(e, h, pd)
		c.src.mark(r, "body", spot(c.idx, e.path+".request.postData.text"))
		c.src.mark(r, "json", spot(c.idx, e.path+".request.postData.text"))
		c.src.mark(r, "form", spot(c.idx, e.path+".request.postData"))
		c.src.mark(r, "multipart", spot(c.idx, e.path+".request.postData.params"))
	}
	if st := e.Response.Status; st >= 300 && st < 400 && st != 304 {
		// The browser recorded the redirect's target as the next entry:
		// replaying it as its own step keeps the recording's order.
		h.MaxRedirects = -1
		r.Checks = []*scenario.Check{{Subject: "status", Op: "equals", Value: fmt.Sprint(st)}}
	} else if st >= 400 {
		r.Checks = []*scenario.Check{{Subject: "status", Op: "equals", Value: fmt.Sprint(st)}}
	}
	c.src.mark(r, "check", spot(c.idx, e.path+".response.status"))
	e.step, e.req = s, r
	return true
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// bodyHeader reports a Content-Type that the body key sends itself.
func bodyHeader(name string, pd *harPost) bool {
	if pd == nil || !strings.EqualFold(name, "Content-Type") {
		return false
	}
	mt := mediaType(pd.MimeType)
	if mt == "application/x-www-form-urlencoded" {
		_, isForm := formPairs(pd.Text)
		return isForm
	}
	return mt == "multipart/form-data" && len(pd.Params) > 0
}

func unsetCookies(header string, set map[string]bool) string {
	var keep []string
	for part := range strings.SplitSeq(header, ";") {
		part = strings.TrimSpace(part)
		name, _, _ := strings.Cut(part, "=")
		if part != "" && !set[name] {
			keep = append(keep, part)
		}
	}
	return strings.Join(keep, "; ")
}

func (c *harConv) body(e *entry, h *scenario.HTTPRequest, pd *harPost) {
	mt := mediaType(pd.MimeType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		if pairs, ok := formPairs(pd.Text); ok {
			h.BodyKind, h.Form = scenario.BodyForm, pairs
			return
		}
	case mt == "multipart/form-data" && len(pd.Params) > 0:
		h.BodyKind = scenario.BodyMultipart
		for i, p := range pd.Params {
			part := scenario.Part{Name: p.Name, Value: lit(p.Value), ContentType: p.ContentType}
			if p.FileName != "" {
				part.Value, part.File = "", p.FileName
				c.notef(fmt.Sprintf("%s.request.postData.params[%d]", e.path, i), "put the file next to the scenario, or change the path", "the file %q of part %q is not in the HAR", p.FileName, p.Name)
			}
			h.Parts = append(h.Parts, part)
		}
		return
	case isJSONType(mt) && json.Valid([]byte(pd.Text)) && !strings.Contains(pd.Text, "${"):
		h.BodyKind, h.Body = scenario.BodyJSON, compactJSON(pd.Text)
		return
	}
	if pd.Text != "" {
		h.BodyKind, h.Body = scenario.BodyRaw, lit(pd.Text)
		if mediaType(headerValue(e.Request.Headers, "Content-Type")) == "" && pd.MimeType != "" {
			h.Headers = append(h.Headers, scenario.KV{Key: "Content-Type", Value: pd.MimeType})
		}
	}
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// group puts the steps into transactions, one per page or, when a page
// holds several navigations (a recording of one tab), per navigation,
// named by the title of the page it lands on; think times go between
// them.
func (c *harConv) group(doc *harDoc, all, kept []*entry, f *scenario.File, cs *scenario.Case) {
	titles := map[string]string{}
	for _, p := range doc.Log.Pages {
		titles[p.ID] = p.Title
	}
	type group struct {
		page  string
		steps []*scenario.Step
		title string
		first *entry
		ref   *scenario.Step // the case's step that runs it
	}
	var groups []*group
	var cur *group
	var prevNav *entry
	grouped := len(doc.Log.Pages) > 0
	for _, e := range kept {
		grouped = grouped || e.nav
	}
	// busyUntil is when the browser last had a request in flight: a gap
	// after it is the user's.
	var busyUntil time.Time
	ai := 0
	for _, e := range kept {
		for ai < len(all) && all[ai] != e {
			busyUntil = later(busyUntil, all[ai].end)
			ai++
		}
		ai++
		newGroup := cur == nil || e.PageRef != cur.page
		if e.nav && !newGroup && !redirectsTo(prevNav, e) {
			newGroup = true
		}
		if e.nav {
			prevNav = e
		}
		var think *scenario.Step
		if !busyUntil.IsZero() {
			if gap := e.start.Sub(busyUntil).Round(10 * time.Millisecond); gap >= minThink {
				think = &scenario.Step{Kind: scenario.StepThink, Think: &scenario.Think{Min: gap}}
				c.src.mark(think, "", spot(c.idx, e.path+".startedDateTime"))
			}
		}
		busyUntil = later(busyUntil, e.end)
		if newGroup && grouped {
			if think != nil {
				cs.Steps = append(cs.Steps, think)
			}
			cur = &group{page: e.PageRef, first: e, title: titles[e.PageRef], ref: &scenario.Step{Kind: scenario.StepTransaction}}
			c.src.mark(cur.ref, "", spot(c.idx, e.path))
			cs.Steps = append(cs.Steps, cur.ref)
			groups = append(groups, cur)
		} else if think != nil {
			if cur == nil {
				cs.Steps = append(cs.Steps, think)
			} else {
				cur.steps = append(cur.steps, think)
			}
		}
		if cur == nil {
			cs.Steps = append(cs.Steps, e.step)
			continue
		}
		cur.steps = append(cur.steps, e.step)
		if e.nav && strings.HasPrefix(mediaType(e.Response.Content.MimeType), "text/html") {
			if t := htmlTitle(e.content); t != "" {
				cur.title = t
			}
		}
	}
	names := uniqueNames{}
	for _, g := range groups {
		name := g.title
		if name == "" {
			u, _ := url.Parse(g.first.Request.URL)
			name = strings.ToUpper(g.first.Request.Method) + " " + u.Path
		}
		tx := &scenario.Transaction{Name: names.take(name), Steps: g.steps}
		c.src.mark(tx, "", spot(c.idx, g.first.path))
		f.Transactions = append(f.Transactions, tx)
		g.ref.Transaction = tx.Name
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// redirectsTo reports whether e is where the navigation prev redirected.
func redirectsTo(prev, e *entry) bool {
	if prev == nil || prev.Response.Status < 300 || prev.Response.Status >= 400 {
		return false
	}
	loc := prev.Response.RedirectURL
	if loc == "" {
		loc = headerValue(prev.Response.Headers, "Location")
	}
	base, err1 := url.Parse(prev.Request.URL)
	ref, err2 := url.Parse(loc)
	return err1 == nil && err2 == nil && base.ResolveReference(ref).String() == e.Request.URL
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

func htmlTitle(body string) string {
	m := titleRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	t := []rune(strings.Join(strings.Fields(html.UnescapeString(m[1])), " "))
	return string(t[:min(len(t), 60)])
}
