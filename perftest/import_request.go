package perftest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/perfcase/perfcase/scenario"
)

// This file converts a request card: its packet (HTTP, TCP/UDP,
// WebSocket; streaming and MQTT in media.go), think times, checkpoints
// and extractions.

// requestCard converts a request card's items in order: a checkpoint or an
// extraction belongs to the packet before it.
func (im *importer) requestCard(c *Contents, path string) []*scenario.Step {
	if len(c.Content) == 0 {
		im.errorf(path+".content", "add a request packet (content_type 2), or remove the card", "the request card is empty")
		return nil
	}
	var steps []*scenario.Step
	var cur *scenario.Request
	var curStep *scenario.Step
	checked, sawPacket := false, false
	for k, it := range c.Content {
		ip := indexPath(path+".content", k)
		if isJSONNull(it.Content) {
			im.errorf(ip+".content", "give the item's content, or remove the item", "the %s is empty", contentTypes[it.ContentType])
			continue
		}
		switch it.ContentType {
		case 1:
			if t := im.think(it.Content, ip+".content"); t != nil {
				s := &scenario.Step{Kind: scenario.StepThink, Think: t}
				im.mark(s, "", ip)
				im.mark(s, "think", ip+".content")
				im.mark(s, "think", ip+".content.t")
				steps = append(steps, s)
			}
		case 2:
			cur, checked, sawPacket = im.packet(it.Content, ip+".content"), false, true
			if cur != nil {
				cur.ContinueOnFailure = c.IsContinue
				curStep = &scenario.Step{Kind: scenario.StepRequest, Request: cur}
				im.mark(curStep, "", ip)
				im.mark(curStep, cur.Protocol.String(), ip+".content")
				im.mark(curStep, "kpis", ip+".content.perfcase.kpis")
				im.mark(curStep, "continue_on_failure", path+".is_continue")
				steps = append(steps, curStep)
			}
		case 3, 4:
			if cur == nil {
				if !sawPacket {
					im.errorf(ip, "put the request packet (content_type 2) before it in the card", "a %s with no request before it", contentTypes[it.ContentType])
				}
				continue
			}
			if cur.Stream != nil {
				im.errorf(ip, "remove it: a play is judged by its own outcome", "%s requests have no %s", cur.Protocol.Title(), contentTypes[it.ContentType])
				continue
			}
			if it.ContentType == 4 {
				if e := im.extraction(it.Content, ip+".content"); e != nil {
					if len(cur.Extract) == 0 {
						im.mark(curStep, "extract", ip+".content")
					}
					cur.Extract = append(cur.Extract, e)
				}
				continue
			}
			if checked {
				im.errorf(ip, "merge the checks into one checkpoint item", "the request already has a checkpoint")
			}
			checked = true
			im.checkpoint(it.Content, ip+".content", cur, curStep)
			if (cur.Protocol == scenario.WebSocket || cur.Protocol == scenario.MQTT) && (cur.Retry != scenario.Retry{}) {
				im.errorf(ip+".content", "remove retry_count and retry_interval", "%s requests have no retry", cur.Protocol.Title())
			}
		default:
			im.unknownCode(ip+".content_type", it.ContentType, contentTypes)
		}
	}
	return steps
}

func (im *importer) think(raw json.RawMessage, path string) *scenario.Think {
	var t Think
	if !im.decode(raw, path, &t, true) {
		return nil
	}
	switch {
	case t.T != nil && t.Min == nil && t.Max == nil:
		return &scenario.Think{Min: im.millis(path+".t", *t.T)}
	case t.T == nil && t.Min != nil && t.Max != nil:
		th := &scenario.Think{Min: im.millis(path+".min", *t.Min), Max: im.millis(path+".max", *t.Max)}
		im.mark(th, "", path)
		im.mark(th, "min", path+".min")
		im.mark(th, "max", path+".max")
		return th
	}
	im.errorf(path, "write {\"t\": 1000} for a fixed pause, or {\"min\": 500, \"max\": 1500} for a random one (milliseconds)", "a think time needs t, or min and max")
	return nil
}

// packet converts a request packet. Fields that do not apply to the
// protocol (method on TCP, connect_timeout on UDP, ...) are ignored: the
// PerfTest UI fills them with defaults.
func (im *importer) packet(raw json.RawMessage, path string) *scenario.Request {
	var ci ContentInfo
	if !im.decode(raw, path, &ci, false) {
		return nil
	}
	r := &scenario.Request{Name: ci.Name}
	card := fmt.Sprintf("request %q", ci.Name)
	if ci.ReturnTimeoutParam != "" {
		im.errorf(path+".return_timeout_param", "set return_timeout in milliseconds; perfcase timeouts are fixed durations", "%s: a variable timeout is not supported", card)
	}
	bodies := ci.Bodys
	if len(ci.Bodies) > 0 {
		if len(ci.Bodys) > 0 {
			im.errorf(path+".bodies", "keep bodys (or bodies), not both", "%s: bodys and bodies both given", card)
		}
		bodies = ci.Bodies
	}
	var ext RequestExt
	if !isJSONNull(ci.Perfcase) && !im.decode(ci.Perfcase, path+".perfcase", &ext, true) {
		return nil
	}
	switch ci.ProtocolType {
	case 1, 2:
		r.Protocol, r.HTTP = scenario.HTTP, im.httpPacket(&ci, bodies, &ext, path)
	case 3, 4:
		r.Protocol = scenario.TCP
		if ci.ProtocolType == 4 {
			r.Protocol = scenario.UDP
		}
		r.Socket = im.socketPacket(&ci, r.Protocol, bodies, &ext, path)
	case 9:
		r.Protocol = scenario.WebSocket
		r.WS = im.wsPacket(&ci, bodies, &ext, path)
	case 7, 10:
		r.Protocol, r.Stream = im.streamPacket(&ci, &ext, path)
	case protocolMQTT:
		r.Protocol, r.MQTT = scenario.MQTT, im.mqttPacket(&ci, &ext, path)
	default:
		im.unknownCode(path+".protocol_type", ci.ProtocolType, protocolTypes)
		return nil
	}
	bp := path + ".bodys"
	if len(ci.Bodies) > 0 {
		bp = path + ".bodies"
	}
	im.markRequest(r, path, bp)
	switch {
	case r.Stream != nil:
		im.markStream(r, path)
	case r.MQTT != nil:
		im.markMQTT(r, path)
	}
	if (r.Stream != nil || r.MQTT != nil) && len(bodies) > 0 {
		im.errorf(bp, "remove it", "%s: %s requests send no body", card, r.Protocol.Title())
	}
	allowed := map[scenario.Protocol][]string{
		scenario.HTTP:      {"query", "redirects", "tls_verify", "kpis"},
		scenario.TCP:       {"read", "idle", "close", "kpis"},
		scenario.UDP:       {"read", "idle", "kpis"},
		scenario.WebSocket: {"subprotocols", "tls_verify", "connection", "actions", "kpis"},
		scenario.HLS:       {"tls_verify", "kpis"},
		scenario.FLV:       {"stall_after", "tls_verify", "kpis"},
		scenario.RTMP:      {"publish", "stall_after", "kpis"},
		scenario.MQTT:      {"mqtt", "tls_verify", "kpis"},
	}[r.Protocol]
	for _, name := range setFields(&ext) {
		if !slices.Contains(allowed, name) {
			im.errorf(path+".perfcase."+name, "a "+r.Protocol.String()+" request takes: "+strings.Join(allowed, ", "), "%s: %s does not apply to a %s request", card, name, r.Protocol)
		}
	}
	r.KPIs = im.kpis(ext.KPIs, path+".perfcase.kpis")
	return r
}

// markRequest places a request packet's values, path being the packet's
// ContentInfo and bodies its bodys (or bodies).
func (im *importer) markRequest(r *scenario.Request, path, bodies string) {
	im.mark(r, "", path)
	for key, field := range map[string]string{"name": "name", "method": "method", "url": "url", "address": "url", "version": "http_version",
		"headers": "headers", "query": "perfcase.query", "connect_timeout": "connect_timeout", "timeout": "return_timeout",
		"redirects": "perfcase.redirects", "tls_verify": "perfcase.tls_verify", "subprotocols": "perfcase.subprotocols",
		"connection": "perfcase.connection", "actions": "perfcase.actions", "close": "perfcase.close", "read": "check_end_type"} {
		im.mark(r, key, path+"."+field)
	}
	im.mark(r, "read", path+".perfcase.read")
	for _, key := range []string{"body", "json", "form", "multipart", "payload"} {
		im.mark(r, key, bodies)
	}
	for _, key := range []string{"body", "json", "payload"} {
		im.mark(r, key, bodies+"[0].value")
	}
	im.mark(r, "hex", bodies+"[0].format")
	switch {
	case r.HTTP != nil:
		im.markKVs(r.HTTP.Headers, path+".headers")
		im.markKVs(r.HTTP.Query, path+".perfcase.query")
		im.markKVs(r.HTTP.Form, bodies)
		for i := range r.HTTP.Parts {
			pp := indexPath(bodies, i)
			im.mark(&r.HTTP.Parts[i], "", pp)
			im.mark(&r.HTTP.Parts[i], scenario.NameKey, pp+".key")
			for key, field := range map[string]string{"name": "key", "value": "value", "file": "file", "content_type": "content_type"} {
				im.mark(&r.HTTP.Parts[i], key, pp+"."+field)
			}
		}
	case r.WS != nil:
		im.markKVs(r.WS.Headers, path+".headers")
		for i := range r.WS.Actions {
			ap := indexPath(path+".perfcase.actions", i)
			a := &r.WS.Actions[i]
			for key, field := range map[string]string{"": "", "send": "text", "send_binary": "text", "ping": "text", "close": "code", "receive": "",
				"count": "count", "until": "until", "max": "max", "timeout": "timeout"} {
				im.mark(a, key, joinPath(ap, field))
			}
		}
	}
}

// markKVs places key/value pairs read from a list of {key, value}.
func (im *importer) markKVs(list []scenario.KV, path string) {
	for i := range list {
		ip := indexPath(path, i)
		im.mark(&list[i], scenario.NameKey, ip+".key")
		im.mark(&list[i], "key", ip+".key")
		im.mark(&list[i], "", ip+".value")
		im.mark(&list[i], "value", ip+".value")
	}
}

// setFields lists the JSON names of the non-zero fields of a struct.
func setFields(v any) []string {
	rv := reflect.ValueOf(v).Elem()
	var out []string
	for i := 0; i < rv.NumField(); i++ {
		if !rv.Field(i).IsZero() {
			name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	return out
}

func (im *importer) httpPacket(ci *ContentInfo, bodies []Body, ext *RequestExt, path string) *scenario.HTTPRequest {
	h := &scenario.HTTPRequest{URL: ci.URL, Method: strings.ToUpper(ci.Method), Version: ci.HTTPVersion, TLSVerify: true}
	// The File spells GET and HTTP/1.1 as "", the defaults.
	if h.Method == "GET" {
		h.Method = ""
	}
	if h.Version == "HTTP/1.1" {
		h.Version = ""
	}
	h.Headers = kvsFromPT(ci.Headers)
	h.ConnectTimeout = im.millis(path+".connect_timeout", ci.ConnectTimeout)
	h.Timeout = im.millis(path+".return_timeout", ci.ReturnTimeout)
	bp := path + ".bodys"
	for i, b := range bodies {
		if b.Format != "" && !(b.Format == "json" && ci.BodyType == 0) {
			im.errorf(indexPath(bp, i)+".format", "an HTTP body's format is json (perfcase's json: body) or absent", "unknown format %q", b.Format)
		}
	}
	switch ci.BodyType {
	case 0:
		switch len(bodies) {
		case 0:
		case 1:
			h.BodyKind, h.Body = scenario.BodyRaw, bodies[0].Value
			if bodies[0].Format == "json" {
				// Spelled the way the YAML json: key reads back.
				text, err := scenario.CanonicalJSON(h.Body)
				if err != nil {
					im.errorf(indexPath(bp, 0)+".value", "fix the JSON, or drop \"format\": \"json\" to send it as text", "format json, but the value is not JSON: %v", err)
				}
				h.BodyKind, h.Body = scenario.BodyJSON, text
			}
		default:
			im.errorf(bp, "a raw body is one item: [{\"value\": \"...\"}]", "a raw body (body_type 0) has %d items", len(bodies))
		}
	case 1:
		h.BodyKind = scenario.BodyMultipart
		for _, b := range bodies {
			h.Parts = append(h.Parts, scenario.Part{Name: b.Key, Value: b.Value, File: b.File, ContentType: b.ContentType})
		}
	case 3:
		h.BodyKind = scenario.BodyForm
		for _, b := range bodies {
			h.Form = append(h.Form, scenario.KV{Key: b.Key, Value: b.Value})
		}
	default:
		im.unknownCode(path+".body_type", ci.BodyType, bodyTypes)
	}
	h.Query = kvsFromPT(ext.Query)
	h.MaxRedirects = ext.Redirects
	if ext.Redirects < -1 {
		im.errorf(path+".perfcase.redirects", "give -1 (never follow) or a positive limit", "unknown redirects %d", ext.Redirects)
	}
	if ext.TLSVerify != nil {
		h.TLSVerify = *ext.TLSVerify
	}
	return h
}

func (im *importer) socketPacket(ci *ContentInfo, proto scenario.Protocol, bodies []Body, ext *RequestExt, path string) *scenario.SocketRequest {
	// The parser's defaults: one reply, read until idle (TCP) or one
	// datagram (UDP).
	s := &scenario.SocketRequest{Address: ci.URL, End: scenario.EndIdle, Idle: scenario.DefaultReadIdle}
	if proto == scenario.UDP {
		s.End = scenario.EndDatagram
	} else {
		s.ConnectTimeout = im.millis(path+".connect_timeout", ci.ConnectTimeout)
		s.CloseAfter = ext.Close
	}
	s.Timeout = im.millis(path+".return_timeout", ci.ReturnTimeout)
	switch len(bodies) {
	case 0:
	case 1:
		s.Payload = bodies[0].Value
		switch bodies[0].Format {
		case "", "string":
		case "hex":
			s.Hex = true
		default:
			im.errorf(path+".bodys[0].format", "use string or hex", "unknown format %q", bodies[0].Format)
		}
	default:
		im.errorf(path+".bodys", "a TCP/UDP payload is one item: [{\"value\": \"...\"}]", "has %d items", len(bodies))
	}
	if !isJSONNull(ci.CheckEndType) {
		code, ok := im.jsonInt(ci.CheckEndType, path+".check_end_type")
		switch {
		case !ok:
		case code == 1:
			s.End = scenario.EndLength
			if n, ok := im.jsonInt(ci.CheckEndLength, path+".check_end_length"); ok {
				s.Length = int(n)
			}
		case code == 2:
			s.End = scenario.EndTerminator
			if t, ok := jsonScalarText(ci.CheckEndStr); ok {
				s.Terminator = t
			} else {
				im.errorf(path+".check_end_str", "give the terminator as a string, e.g. \"\\n\"", "check_end_type 2 needs check_end_str")
			}
		default:
			im.unknownCode(path+".check_end_type", int(code), endTypes)
		}
	}
	if ext.Read != "" && s.End != scenario.EndIdle && s.End != scenario.EndDatagram {
		im.errorf(path+".perfcase.read", "keep check_end_type or perfcase.read, not both", "the reply's end is given twice")
	}
	switch ext.Read {
	case "":
		if ext.Idle != nil {
			im.errorf(path+".perfcase.idle", "add \"read\": \"idle\"", "idle applies to read idle")
		}
	case "none":
		s.End = scenario.EndNone
	case "idle":
		if ext.Idle == nil {
			im.errorf(path+".perfcase.idle", "give the idle time in milliseconds, e.g. \"idle\": 200", "read idle needs idle")
			break
		}
		s.End, s.Idle = scenario.EndIdle, im.millis(path+".perfcase.idle", *ext.Idle)
	default:
		im.errorf(path+".perfcase.read", "use none or idle", "unknown read %q", ext.Read)
	}
	if s.End != scenario.EndIdle {
		s.Idle = 0
	}
	return s
}

// jsonInt reads a number, or a string holding one: the reference types
// check_end_length as Object.
func (im *importer) jsonInt(raw json.RawMessage, path string) (int64, bool) {
	s, ok := jsonScalarText(raw)
	n, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil {
		im.errorf(path, "give a whole number", "expected a whole number, got %s", strings.TrimSpace(string(raw)))
		return 0, false
	}
	return n, true
}

func (im *importer) wsPacket(ci *ContentInfo, bodies []Body, ext *RequestExt, path string) *scenario.WSRequest {
	ws := &scenario.WSRequest{URL: ci.URL, Headers: kvsFromPT(ci.Headers), Subprotocols: ext.Subprotocols, TLSVerify: true}
	ws.ConnectTimeout = im.millis(path+".connect_timeout", ci.ConnectTimeout)
	ws.Timeout = im.millis(path+".return_timeout", ci.ReturnTimeout)
	if len(bodies) > 0 {
		im.errorf(path+".bodys", "write the messages as perfcase.actions: [{\"kind\": \"send\", \"text\": \"...\"}]", "a WebSocket request sends its messages through actions")
	}
	if ext.TLSVerify != nil {
		ws.TLSVerify = *ext.TLSVerify
	}
	switch ext.Connection {
	case "", "vu":
	case "iteration":
		ws.PerIteration = true
	default:
		im.errorf(path+".perfcase.connection", "use vu (kept across passes) or iteration (new each pass)", "unknown connection %q", ext.Connection)
	}
	for i, a := range ext.Actions {
		ap := indexPath(path+".perfcase.actions", i)
		act := scenario.WSAction{Kind: a.Kind, Text: a.Text, Binary: a.Binary, Count: a.Count, Max: a.Max, Timeout: im.millis(ap+".timeout", a.Timeout), Code: a.Code}
		if a.Until != nil {
			act.Until = &scenario.Expr{Source: *a.Until}
		}
		switch a.Kind {
		case "send", "ping":
		case "receive":
			if act.Count == 0 && act.Until == nil {
				act.Count = 1
			}
		case "close":
			if act.Code == 0 {
				act.Code = 1000
			}
		default:
			im.errorf(ap+".kind", "use send, receive, ping or close", "unknown kind %q", a.Kind)
		}
		ws.Actions = append(ws.Actions, act)
	}
	return ws
}

func (im *importer) checkpoint(raw json.RawMessage, path string, r *scenario.Request, s *scenario.Step) {
	var cp Checkpoint
	if !im.decode(raw, path, &cp, true) {
		return
	}
	im.mark(s, "check", path+".checks")
	im.mark(s, "check_mode", path+".mode")
	im.mark(s, "retry", path+".retry_count")
	switch strings.ToUpper(cp.Mode) {
	case "", "AND":
	case "OR":
		r.CheckAny = true
	default:
		im.errorf(path+".mode", "use AND (all checks pass) or OR (any check passes)", "unknown mode %q", cp.Mode)
	}
	r.Retry = scenario.Retry{Count: cp.RetryCount, Interval: im.millis(path+".retry_interval", cp.RetryInterval)}
	for i, name := range cp.RetryOn {
		k, ok := scenario.RetryKind(name)
		if !ok {
			im.errorf(indexPath(path+".retry_on", i), "kinds: "+strings.Join(scenario.RetryKinds, ", "), "%q is not a kind of failure", name)
		}
		r.Retry.On |= k
	}
	if cp.RetryOn != nil && len(cp.RetryOn) == 0 {
		im.errorf(path+".retry_on", "list the kinds to retry, or leave retry_on out to retry every failure", "retry_on lists no kind of failure")
	}
	if (r.Retry != scenario.Retry{}) && r.Protocol == scenario.NoProtocol {
		im.errorf(path, "remove retry_count and retry_interval", "a plugin request has no retry")
	}
	r.Checks = im.checks(cp.Checks, path+".checks")
	if len(cp.SoftChecks) > 0 {
		im.mark(s, "soft_check", path+".soft_checks")
		r.SoftChecks = im.checks(cp.SoftChecks, path+".soft_checks")
	}
}

// checks reads a checkpoint's list of checks at path.
func (im *importer) checks(list []Check, path string) []*scenario.Check {
	var out []*scenario.Check
	for i, c := range list {
		cpth := indexPath(path, i)
		value := im.scalarText(c.Value, cpth+".value")
		var values []string
		for k, raw := range c.Values {
			values = append(values, im.scalarText(raw, indexPath(cpth+".values", k)))
		}
		if c.Subject == "expression" {
			if c.Key != "" || c.Operator != "" || len(values) > 0 {
				im.errorf(cpth, "an expression check is {\"subject\": \"expression\", \"value\": \"status == 200\"}", "an expression check takes only value")
			}
			ch := &scenario.Check{Expr: &scenario.Expr{Source: value}}
			im.mark(ch, "", cpth+".value")
			out = append(out, ch)
			continue
		}
		subj, ok := ptSubjectsByName[c.Subject]
		if !ok {
			im.errorf(cpth+".subject", "use one of: response_code, header, body, jsonpath, rt, payload, expression", "unknown subject %q", c.Subject)
			continue
		}
		if (subj == "header" || subj == "jsonpath") != (c.Key != "") {
			im.errorf(cpth+".key", "header and jsonpath checks name the header or the path in key; the others have no key", "key does not fit subject %s", c.Subject)
		}
		if !slices.Contains(scenario.CheckOps, c.Operator) && c.Operator != "not_exists" {
			im.errorf(cpth+".operator", "use one of: "+strings.Join(scenario.CheckOps, ", ")+", not_exists", "unknown operator %q", c.Operator)
		}
		if (c.Operator == "in") != (len(values) > 0) || (c.Operator == "in" || strings.HasSuffix(c.Operator, "exists")) && value != "" {
			im.errorf(cpth, "operator in takes values: [...]; exists and not_exists take nothing; the others take value", "value does not fit operator %s", c.Operator)
		}
		ch := &scenario.Check{Subject: subj, Arg: c.Key, Op: c.Operator, Value: value, Values: values}
		im.mark(ch, "", cpth)
		im.mark(ch, subj, cpth+".subject")
		im.mark(ch, subj, cpth+".key")
		if c.Operator == "equals" && c.Key == "" {
			im.mark(ch, subj, cpth+".value") // written {status: 200}
		}
		im.mark(ch, c.Operator, cpth+".value")
		im.mark(ch, "in", cpth+".values")
		im.mark(ch, "exists", cpth+".operator")
		out = append(out, ch)
	}
	return out
}

// scalarText reads an optional string, number or boolean as text.
func (im *importer) scalarText(raw json.RawMessage, path string) string {
	if isJSONNull(raw) {
		return ""
	}
	s, ok := jsonScalarText(raw)
	if !ok {
		im.errorf(path, "give a string or a number", "expected a value, got %s", strings.TrimSpace(string(raw)))
	}
	return s
}

func (im *importer) extraction(raw json.RawMessage, path string) *scenario.Extract {
	var x Extraction
	if !im.decode(raw, path, &x, true) {
		return nil
	}
	e := &scenario.Extract{Var: x.Name, From: "body", Match: 1, Regex: x.Regexp, Group: x.ExpIndex, Left: x.Left, Right: x.Right, Default: x.Default, Expect: x.ExpectedValue}
	im.mark(e, "", path)
	im.mark(e, scenario.NameKey, path+".name")
	for key, field := range map[string]string{"header": "header", "from": "range", "jsonpath": "json_key", "regex": "regexp", "match": "match_index",
		"group": "exp_index", "left": "left", "right": "right", "default": "default", "expect": "expected_value"} {
		im.mark(e, key, path+"."+field)
	}
	im.mark(e, "jsonpath", path+".jsonpath")
	switch x.Range {
	case "body", "":
	case "header":
		e.From, e.Header = "header", x.Header
	case "url":
		e.From = "url"
	case "response_code":
		e.From = "status"
	case "json":
		switch {
		case x.JSONPath != "" && (x.JSONKey != "" || x.Condition != ""):
			im.errorf(path+".jsonpath", "keep json_key (with condition), or jsonpath", "json_key and jsonpath both given")
		case x.JSONPath != "":
			e.JSONPath = x.JSONPath
		default:
			p, err := perfTestKeyToJSONPath(x.JSONKey, x.Condition)
			if err != nil {
				im.errorf(path+".json_key", "write the key as a.b[0].c, and a condition as a.b[].c = v", "%v", err)
			}
			e.JSONPath = p
		}
		if x.Regexp != "" || x.Left != "" || x.Right != "" {
			im.errorf(path, "a json extraction takes json_key; regexp, left and right apply to the other ranges", "range json with regexp, left or right")
		}
	default:
		im.errorf(path+".range", "use one of: body, header, url, response_code, json", "unknown range %q", x.Range)
	}
	if x.Range != "header" && x.Header != "" {
		im.errorf(path+".header", "use range header", "header applies to range header")
	}
	if x.Range != "json" && (x.JSONKey != "" || x.Condition != "" || x.JSONPath != "") {
		im.errorf(path+".range", "use range json", "json_key, condition and jsonpath apply to range json")
	}
	switch {
	case x.MatchIndex == 0:
	case x.MatchIndex > 0 || x.MatchIndex == -1:
		e.Match = x.MatchIndex
	default:
		im.errorf(path+".match_index", "matches count from 1; -1 picks a random one", "unknown match_index %d", x.MatchIndex)
	}
	if x.ExpIndex < 0 {
		im.errorf(path+".exp_index", "0 is the whole match, n the n-th group", "must not be negative, got %d", x.ExpIndex)
	}
	return e
}
