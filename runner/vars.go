package runner

import (
	"strconv"
	"sync/atomic"

	"github.com/perfcase/perfcase/internal/redact"
	"github.com/perfcase/perfcase/scenario"
)

// globals is a case's shared state for its global variables: one cursor
// per slot for sequential reads in case-share mode.
type globals struct {
	slots   []scenario.Slot
	cursors []atomic.Int64
	// read lists the slots a pass reads anew; once those a VU reads once.
	read, once []int
	// sensitive lists the slots whose values must not reach a report.
	sensitive []int
	// iterSlot is the slot of __ITER, -1 when the plan has none.
	iterSlot int
}

func newGlobals(slots []scenario.Slot) *globals {
	g := &globals{slots: slots, cursors: make([]atomic.Int64, len(slots)), iterSlot: -1}
	for i, s := range slots {
		if s.Builtin == scenario.BuiltinIter {
			g.iterSlot = i
		}
		if s.Global != nil && s.Global.Sensitive {
			g.sensitive = append(g.sensitive, i)
		}
		if s.Global == nil || s.Global.Type == scenario.VarText || s.Global.Len() == 0 || !s.Used {
			continue
		}
		if s.Global.Once {
			g.once = append(g.once, i)
		} else {
			g.read = append(g.read, i)
		}
	}
	return g
}

// next picks the value index a VU reads for slot i. Case-share sequential
// reads take the shared cursor's next value, so each value goes to exactly
// one read per lap however many VUs read at once. ok is false when the
// variable stops at its end and no value is left for this read.
func (g *globals) next(v *vu, i int) (k int64, ok bool) {
	d := g.slots[i].Global
	n := d.Len()
	switch {
	case d.Mode == scenario.Random:
		return v.fe.Rand.Int64N(n), true
	case d.Share == scenario.ShareCase:
		// A part of a split run takes the whole run's reads numbered
		// j mod N = I, so each value goes to exactly one read across the
		// parts, as it would in one process.
		k = v.c.seg.Global(g.cursors[i].Add(1) - 1)
	default:
		k = v.own[i]
		v.own[i]++
	}
	if d.StopAtEnd && k >= n {
		return 0, false
	}
	return k % n, true
}

// readGlobals gives the VU fresh values of its global variables for a
// pass; first also reads those read once per VU. It reports false when a
// variable that stops at its end had no value left: the VU must stop.
func (v *vu) readGlobals(first bool) bool {
	g := v.c.globals
	for _, i := range g.read {
		if !v.readGlobal(i) {
			return false
		}
	}
	if first {
		for _, i := range g.once {
			if !v.readGlobal(i) {
				return false
			}
		}
	}
	return true
}

func (v *vu) readGlobal(i int) bool {
	k, ok := v.c.globals.next(v, i)
	if !ok {
		v.c.outOfRows(i)
		return false
	}
	v.idx[i] = k
	v.ver[i]++
	return true
}

// AppendValue implements scenario.Scope.
func (v *vu) AppendValue(dst []byte, slot, field int) []byte {
	s := &v.c.globals.slots[slot]
	d := s.Global
	if d == nil {
		switch s.Builtin {
		case scenario.BuiltinVU:
			return strconv.AppendInt(dst, int64(v.gid)+1, 10)
		case scenario.BuiltinIter:
			return strconv.AppendInt(dst, v.iter, 10)
		}
		return append(dst, v.vals[slot]...)
	}
	switch d.Type {
	case scenario.VarInteger:
		return strconv.AppendInt(dst, d.Min+v.idx[slot], 10)
	case scenario.VarFile:
		if len(d.Rows) == 0 {
			return dst
		}
		row := d.Rows[v.idx[slot]]
		if field < 0 {
			field = 0
		}
		if field < len(row) {
			return append(dst, row[field]...)
		}
		return dst
	case scenario.VarText:
		if len(d.Values) > 0 {
			return append(dst, d.Values[0]...)
		}
		return dst
	}
	if len(d.Values) == 0 {
		return dst
	}
	return append(dst, d.Values[v.idx[slot]]...)
}

// nextIter moves the VU on to its next pass number.
func (v *vu) nextIter() {
	v.iter++
	if i := v.c.globals.iterSlot; i >= 0 {
		v.ver[i]++
	}
}

// set stores a local variable's new value.
func (v *vu) set(slot int, val []byte) {
	v.vals[slot] = append(v.vals[slot][:0], val...)
	v.ver[slot]++
}

// redact hides the values of the VU's sensitive variables in a message
// bound for the report (see internal/redact): a DNS error quotes a host,
// an expression's error the values it failed on. The set of secrets is
// rebuilt only when a message comes after one of those values changed, so
// requests that succeed pay nothing and failures pay only for a search.
func (v *vu) redact(msg string) string {
	g := v.c.globals
	if len(g.sensitive) == 0 || msg == "" {
		return msg
	}
	stale := v.secretVer == nil
	if stale {
		v.secretVer = make([]uint32, len(g.sensitive))
	}
	for k, i := range g.sensitive {
		if v.secretVer[k] != v.ver[i] {
			v.secretVer[k], stale = v.ver[i], true
		}
	}
	if stale {
		var values []string
		for _, i := range g.sensitive {
			fields := 1
			if d := g.slots[i].Global; d.Type == scenario.VarFile {
				fields = len(d.Columns)
			}
			for f := range fields {
				values = append(values, string(v.AppendValue(nil, i, f)))
			}
		}
		v.secrets = redact.New(values...)
	}
	return v.secrets.String(msg)
}
