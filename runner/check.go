package runner

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// judge applies a request's checks, then its extractions, to the current
// response. The first failure decides the bucket: a failed check is
// failed_assert; an extraction that found nothing and has no default is
// failed_parsed; an extracted value other than the one expected is
// failed_assert.
func (v *vu) judge(n *scenario.RequestNode) (metrics.Outcome, string) {
	out, msg := v.checks(n)
	for i := range n.Extract {
		o, m := v.extract(&n.Extract[i])
		if out == metrics.Success && o != metrics.Success {
			out, msg = o, m
		}
	}
	return out, msg
}

func (v *vu) checks(n *scenario.RequestNode) (metrics.Outcome, string) {
	if len(n.Checks) == 0 {
		// Without a check, a response with a status (HTTP's) succeeds on
		// 2xx; one without (other protocols) on arriving.
		if v.status == 0 || v.status >= 200 && v.status <= 299 {
			return metrics.Success, ""
		}
		return metrics.CheckFailed, "status " + strconv.Itoa(v.status) + " (expected 2xx: the request has no check)"
	}
	var firstMsg string
	for i := range n.Checks {
		ok, why := v.check(&n.Checks[i])
		if ok && n.CheckAny {
			return metrics.Success, ""
		}
		if !ok {
			if firstMsg == "" {
				firstMsg = why
			}
			if !n.CheckAny {
				return metrics.CheckFailed, firstMsg
			}
		}
	}
	if n.CheckAny {
		return metrics.CheckFailed, firstMsg
	}
	return metrics.Success, ""
}

// check evaluates one checkpoint; why says what failed, without the body
// (which may be large or hold a secret).
func (v *vu) check(c *scenario.CheckSpec) (bool, string) {
	if c.Program != nil {
		ok, err := v.evalBool(c.Program, true)
		if err != nil {
			return false, fmt.Sprintf("check %q: %s", c.Src, err)
		}
		if !ok {
			return false, v.failed(c)
		}
		return true, ""
	}
	var ok bool
	switch c.Subject {
	case "status":
		ok = v.statusHolds(c)
	case "rt":
		ok = compareNum(float64(v.rt.Microseconds())/1000, c.Op, c.Num)
	case "header":
		val := v.header(c.Arg)
		present := val != nil
		ok = textHolds(val, present, c)
	case "jsonpath":
		doc, parsed := v.jsonDoc()
		present := false
		var val []byte
		if parsed {
			if nodes := c.Path.Select(doc); len(nodes) > 0 {
				present = true
				val = appendJSONValue(v.buf[:0], nodes[0])
				v.buf = val
			}
		}
		ok = textHolds(val, present, c)
	default: // body, payload
		ok = textHolds(v.body, true, c)
	}
	if !ok {
		return false, v.failed(c)
	}
	return true, ""
}

func (v *vu) failed(c *scenario.CheckSpec) string {
	return fmt.Sprintf("check %q failed (status %d)", c.Src, v.status)
}

func (v *vu) statusHolds(c *scenario.CheckSpec) bool {
	in := false
	for _, r := range c.Codes {
		if v.status >= r[0] && v.status <= r[1] {
			in = true
			break
		}
	}
	switch c.Op {
	case "not_equals":
		return !in
	case "lt", "le", "gt", "ge":
		return compareNum(float64(v.status), c.Op, c.Num)
	}
	return in
}

// textHolds applies a text operator to a value; present is false for a
// header or path that is absent.
func textHolds(val []byte, present bool, c *scenario.CheckSpec) bool {
	switch c.Op {
	case "exists":
		return present == (c.Value != "false")
	case "not_exists":
		return !present
	}
	if !present {
		return c.Op == "not_equals" || c.Op == "not_contains"
	}
	switch c.Op {
	case "equals":
		return string(val) == c.Value
	case "not_equals":
		return string(val) != c.Value
	case "contains":
		return bytes.Contains(val, []byte(c.Value))
	case "not_contains":
		return !bytes.Contains(val, []byte(c.Value))
	case "matches":
		return c.Re.Match(val)
	case "in":
		for _, s := range c.Values {
			if string(val) == s {
				return true
			}
		}
		return false
	case "lt", "le", "gt", "ge":
		f, err := strconv.ParseFloat(string(val), 64)
		return err == nil && compareNum(f, c.Op, c.Num)
	}
	return false
}

func compareNum(x float64, op string, y float64) bool {
	switch op {
	case "lt":
		return x < y
	case "le":
		return x <= y
	case "gt":
		return x > y
	case "ge":
		return x >= y
	}
	return false
}

// extract takes one value from the response into a VU variable.
func (v *vu) extract(e *scenario.ExtractSpec) (metrics.Outcome, string) {
	var src []byte
	switch e.From {
	case "header":
		src = v.header(e.Header)
	case "url":
		src = v.url
	case "status":
		src = strconv.AppendInt(v.buf[:0], int64(v.status), 10)
		v.buf = src
	default:
		src = v.body
	}
	val, found := v.pick(e, src)
	if !found {
		if e.Default == nil {
			return metrics.ParseFailed, fmt.Sprintf("extract %s: nothing found", e.Var)
		}
		val = []byte(*e.Default)
	}
	if e.Expect != nil && string(val) != *e.Expect {
		return metrics.CheckFailed, fmt.Sprintf("extract %s: value is not the expected %q", e.Var, *e.Expect)
	}
	v.set(e.Slot, val)
	return metrics.Success, ""
}

func (v *vu) pick(e *scenario.ExtractSpec, src []byte) ([]byte, bool) {
	switch {
	case e.Path != nil:
		doc, ok := v.jsonDoc()
		if !ok {
			return nil, false
		}
		nodes := e.Path.Select(doc)
		if len(nodes) == 0 {
			return nil, false
		}
		v.buf = appendJSONValue(v.buf[:0], nodes[0])
		return v.buf, true
	case e.Re != nil:
		want := e.Match
		if want == 0 {
			want = 1
		}
		limit := want
		if want < 0 {
			limit = -1
		}
		all := e.Re.FindAllSubmatchIndex(src, limit)
		if len(all) == 0 || want > len(all) {
			return nil, false
		}
		var m []int
		if want < 0 {
			m = all[v.fe.Rand.IntN(len(all))]
		} else {
			m = all[want-1]
		}
		if m[2*e.Group] < 0 {
			return nil, false
		}
		return src[m[2*e.Group]:m[2*e.Group+1]], true
	case e.Left != "" || e.Right != "":
		start := 0
		if e.Left != "" {
			i := bytes.Index(src, []byte(e.Left))
			if i < 0 {
				return nil, false
			}
			start = i + len(e.Left)
		}
		rest := src[start:]
		if e.Right != "" {
			j := bytes.Index(rest, []byte(e.Right))
			if j < 0 {
				return nil, false
			}
			rest = rest[:j]
		}
		return rest, true
	}
	return src, src != nil
}
