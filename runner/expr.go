package runner

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/expr-lang/expr/vm"
	"github.com/theory/jsonpath"

	"github.com/perfcase/perfcase/scenario"
)

// statusBoxes holds every status code already boxed, so handing one to an
// expression allocates nothing.
var statusBoxes = func() []any {
	b := make([]any, 1000)
	for i := range b {
		b[i] = i
	}
	return b
}()

// exprState is a VU's environment for expressions. It is built on the
// first evaluation and then updated in place: before each run only the
// variables the program reads, and only when they changed, are refreshed.
type exprState struct {
	env    map[string]any
	envVer []uint32 // the slot version each env entry holds
	vm     vm.VM
	paths  map[string]*jsonpath.Path
}

func (v *vu) ensureEnv() {
	if v.ex.env != nil {
		return
	}
	slots := v.c.globals.slots
	env := make(map[string]any, len(slots)+6)
	for _, s := range slots {
		env[s.Name] = ""
	}
	env["status"], env["body"], env["rt"], env["url"] = 0, "", 0.0, ""
	env["header"] = func(name string) string { return string(v.header(name)) }
	env["jsonpath"] = func(path string) any { return v.jsonpathValue(path) }
	env["cookie"] = func(name string) string { return v.jar.Get(name) }
	v.ex.env = env
	v.ex.envVer = make([]uint32, len(slots))
	for i := range v.ex.envVer {
		v.ex.envVer[i] = ^uint32(0)
	}
}

// eval runs p; withResponse makes the current response's values visible.
func (v *vu) eval(p *scenario.Program, withResponse bool) (any, error) {
	v.ensureEnv()
	env := v.ex.env
	for _, i := range p.Slots {
		if v.ex.envVer[i] == v.ver[i] {
			continue
		}
		v.ex.envVer[i] = v.ver[i]
		s := v.c.globals.slots[i]
		switch s.Builtin {
		case scenario.BuiltinVU:
			env[s.Name] = v.gid + 1
			continue
		case scenario.BuiltinIter:
			env[s.Name] = int(v.iter)
			continue
		}
		if s.Global != nil && s.Global.Type == scenario.VarFile {
			row := map[string]string{}
			if len(s.Global.Rows) > 0 {
				for c, name := range s.Global.Columns {
					row[name] = s.Global.Rows[v.idx[i]][c]
				}
			}
			env[s.Name] = row
			continue
		}
		env[s.Name] = string(v.AppendValue(nil, i, -1))
	}
	if withResponse && p.Uses != 0 {
		if p.Uses&scenario.UsesStatus != 0 {
			env["status"] = statusBoxes[min(max(v.status, 0), 999)]
		}
		if p.Uses&scenario.UsesBody != 0 {
			// The body is lent, not copied: the string is read only while
			// this program runs, and refreshed before any other reads it.
			env["body"] = unsafe.String(unsafe.SliceData(v.body), len(v.body))
		}
		if p.Uses&scenario.UsesRT != 0 {
			env["rt"] = float64(v.rt.Microseconds()) / 1000
		}
		if p.Uses&scenario.UsesURL != 0 {
			env["url"] = string(v.url)
		}
	}
	return v.ex.vm.Run(p.P, env)
}

// evalBool runs a condition.
func (v *vu) evalBool(p *scenario.Program, withResponse bool) (bool, error) {
	out, err := v.eval(p, withResponse)
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

// jsonDoc parses the current response body once, however many checks and
// extractions read it.
func (v *vu) jsonDoc() (any, bool) {
	if !v.docParsed {
		v.docParsed = true
		v.doc = nil
		v.docOK = json.Unmarshal(v.body, &v.doc) == nil
	}
	return v.doc, v.docOK
}

func (v *vu) jsonpathValue(path string) any {
	p, ok := v.ex.paths[path]
	if !ok {
		var err error
		p, err = jsonpath.Parse(path)
		if err != nil {
			panic(fmt.Sprintf("jsonpath %q: %v", path, err))
		}
		if v.ex.paths == nil {
			v.ex.paths = map[string]*jsonpath.Path{}
		}
		v.ex.paths[path] = p
	}
	doc, ok := v.jsonDoc()
	if !ok {
		return nil
	}
	nodes := p.Select(doc)
	if len(nodes) == 0 {
		return nil
	}
	return nodes[0]
}

// appendResult formats a data instruction's value.
func appendResult(dst []byte, out any, round string, scale int) []byte {
	if round == scenario.RoundNone && scale > 0 {
		round = "half_up"
	}
	var f float64
	switch x := out.(type) {
	case string:
		return append(dst, x...)
	case int:
		if round == "" {
			return strconv.AppendInt(dst, int64(x), 10)
		}
		f = float64(x)
	case int64:
		if round == "" {
			return strconv.AppendInt(dst, x, 10)
		}
		f = float64(x)
	case float64:
		f = x
	case bool:
		return strconv.AppendBool(dst, x)
	case nil:
		return dst
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Append(dst, x)
		}
		return append(dst, b...)
	}
	return append(dst, scenario.Round(f, round, scale)...)
}

// appendJSONValue formats a value selected from a JSON document as text:
// strings as they are, everything else as JSON.
func appendJSONValue(dst []byte, x any) []byte {
	switch t := x.(type) {
	case string:
		return append(dst, t...)
	case nil:
		return append(dst, "null"...)
	case float64:
		return strconv.AppendFloat(dst, t, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(dst, t)
	}
	b, _ := json.Marshal(x)
	return append(dst, b...)
}
