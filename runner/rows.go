package runner

import (
	"sync/atomic"

	"github.com/perfcase/perfcase/scenario"
)

// rowsState is what a case knows of its file variables that stop at their
// end (on_end: stop): a VU that needs a row when none is left stops, and
// the case ends once every VU it started has stopped.
type rowsState struct {
	// first names the first variable found without a row left.
	first atomic.Pointer[string]
	// shared is set once a case-share variable has no row left: a VU
	// started now would stop before its first pass, so none is started.
	shared atomic.Bool
	// stopped counts the VUs that stopped for want of a row.
	stopped atomic.Int64
}

// outOfRows notes that a read of slot i found no row left.
func (c *caseRun) outOfRows(i int) {
	d := c.globals.slots[i].Global
	c.rows.first.CompareAndSwap(nil, &d.Name)
	if d.Share == scenario.ShareCase {
		c.rows.shared.Store(true)
	}
}

// stopForRows ends VU v, which needed a row when none was left, before the
// pass it was about to start. What the schedule handed it goes to another
// VU: a count stage's pass back to the pool, a rate stage's pass (still
// timed from when it fell due) to the next VU free to take it, or, when
// none is left to take it, to the stage's missed starts.
func (c *caseRun) stopForRows(v *vu) {
	switch {
	case v.open != nil:
		r, k := v.open, v.openPass
		c.passEnded(v, false)
		r.giveBack(k)
	case v.claim != nil:
		v.claim.tokens.Add(1)
		c.passEnded(v, false)
	}
	v.left.Store(true)
	// A rate stage that began while this VU was on its way here counted
	// it among the VUs that will claim a pass; it will not.
	if sp := c.cur.Load(); sp.open != nil && v.seen != sp.open && int64(v.id) < sp.limit {
		sp.open.fresh.Add(-1)
	}
	c.rows.stopped.Add(1)
}

// rowsUsedUp reports that every VU the case started has stopped for want
// of a row: the case is over, whatever its stages had left.
func (c *caseRun) rowsUsedUp() bool {
	n := c.rows.stopped.Load()
	return n > 0 && n == c.spawned.Load()
}
