package metrics

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// ringSize is how many seconds a shard keeps per series before the
	// clock harvests them. Second k's slot is next written in second k+4,
	// and the clock harvests k about 100ms into k+1: it may run nearly
	// three seconds late before two seconds share a slot (which blurs the
	// per-second series, never the totals).
	ringSize = 4
	// harvestDelay is how long after a second ends its slot is taken,
	// leaving samples that ended just before the boundary time to be
	// recorded.
	harvestDelay = 50 * time.Millisecond
	// maxErrors is how many distinct failure messages a series keeps.
	maxErrors = 8
	// otherMessages stands for the messages not kept in Stats.Errors.
	otherMessages = "... other messages"
)

// A Recorder measures the series of one case. VUs record samples into
// shards without locks or allocations; the run's clock harvests completed
// seconds with Tick; Finish merges the shards into Stats.
//
// Each sample is added to exactly one ring slot, and every slot is taken
// with an atomic swap, by the Tick that harvests its second or, for what
// landed after that (a sample that completed in second k but was recorded
// after k was harvested), by Finish, which sweeps every slot into the last
// second. So the ring never loses a sample, and the totals of Stats are
// the sums of its Seconds: Record does not also keep cumulative counters,
// which made it about 50% slower. A late sample counts in a later
// second than it completed in, and may split across two seconds (its
// outcome in one, its response time in the next) when it lands during a
// harvest; the totals stay exact.
//
// Every harvested second goes to the function given to OnHarvest, and is
// kept as one 64-byte Second per series, plus one for the case's requests
// taken together, each with its coarse histogram in compact form
// (CoarseLog: 8 bytes and some 2 per bucket counted): that is all a
// Recorder keeps per second of a run. The
// shards cost series × shards × (8 KB of ring and the histogram pages the
// series' response times fill, 36 KB for a typical spread, at most
// 184 KB), whatever the run's length (TestSeriesMemory).
type Recorder struct {
	series []SeriesInfo
	start  time.Time
	shards []*Shard
	errs   []errorLog

	mu        sync.Mutex // guards the harvest: Tick and Finish
	harvested int        // seconds harvested so far
	logs      []secondLog
	reqLog    secondLog   // the case's requests taken together
	hlogs     []CoarseLog // per series, each second's coarse histogram
	reqHLog   CoarseLog
	maxRT     []time.Duration // per series, the longest response time harvested
	lastVUs   int             // the VU count of the latest Tick
	maxVUs    int
	onHarvest func(*Harvest)
	// The harvest's scratch, lent to onHarvest each second.
	h       Harvest
	hists   []Coarse
	reqHist Coarse

	extras    []ExtraInfo
	extraSecs [][]ExtraSecond // per extra metric, one per harvested second
}

// Harvest is one second of a case as the Recorder harvested it: what the
// run's clock hands to SLA rules, probes and outputs. Its slices and
// histograms are the Recorder's, overwritten by the next harvest: a
// function that keeps something copies it (a Second is a value; a Coarse
// is 3.8 KB, to be kept sparse or summarised).
type Harvest struct {
	// Index is the second's place in the case: [start+Index s,
	// start+(Index+1) s).
	Index int
	VUs   int
	// Info names the series; Series and Hists are the second of each, in
	// the order given to NewRecorder.
	Info   []SeriesInfo
	Series []Second
	Hists  []Coarse
	// Requests is the case's requests taken together (its report row),
	// its P99 from their merged histograms, RequestsHist.
	Requests     Second
	RequestsHist *Coarse
	// ExtraInfo names the case's extra metrics, and Extras is the second
	// of each, in the order given to NewRecorder.
	ExtraInfo []ExtraInfo
	Extras    []ExtraSecond
}

// A Shard is where some of a case's VUs record; several VUs share one, so
// everything in it is updated atomically.
type Shard struct {
	start  time.Time
	cells  []cell      // per series
	extras []extraCell // per extra metric
	kinds  []ExtraKind // per extra metric
}

// cell is one series of one shard. Its histogram is in pages allocated
// the first time a value falls in them: a series' response times fill a
// few of the 92 pages, and a shard that never sees a series (1,000
// request names over 16 shards) keeps none, where a whole histogram
// cost 184 KB per series and shard. A page is never freed, so the hot
// path pays one pointer load and, once per page, an allocation.
type cell struct {
	ring             [ringSize]slot
	status           [6]atomic.Int64
	minRT            atomic.Int64
	maxSent, maxRecv atomic.Int64
	connects         atomic.Int64 // connections the samples opened
	connectTime      atomic.Int64 // ns spent opening them
	hist             [histPages]atomic.Pointer[histPage]
}

// A histogram page is histPageLen consecutive counts of the histogram.
const (
	histPageMag = 8
	histPageLen = 1 << histPageMag
	histPages   = histLen / histPageLen
)

type histPage [histPageLen]atomic.Int64

// count adds one to histogram index i, allocating its page if no sample
// has fallen in it yet; two VUs that race for a new page keep one.
func (c *cell) count(i int) {
	p := c.hist[i>>histPageMag].Load()
	if p == nil {
		p = c.newPage(i >> histPageMag)
	}
	p[i&(histPageLen-1)].Add(1)
}

func (c *cell) newPage(k int) *histPage {
	p := new(histPage)
	if c.hist[k].CompareAndSwap(nil, p) {
		return p
	}
	return c.hist[k].Load()
}

// slot is one second of one series in a shard. It has no count: the
// count is the sum of the outcomes, which saves an atomic add per sample.
// Its coarse counts are 32-bit, half the memory: a slot is emptied every
// second, and no shard records 2³¹ samples of a series in one.
type slot struct {
	outcomes          [NumOutcomes]atomic.Int64
	rtSum, sent, recv atomic.Int64
	maxRT             atomic.Int64            // ns; the harvest keeps the run's maximum too
	coarse            [CoarseLen]atomic.Int32 // response times, for the second's percentiles
}

// NewRecorder returns a Recorder for the given series and extra metrics;
// samples go to one of shards shards (at least 1). start is the case's
// start: second k of the run is [start+k s, start+(k+1) s).
func NewRecorder(series []SeriesInfo, shards int, start time.Time, extras ...ExtraInfo) *Recorder {
	r := &Recorder{
		series:    slices.Clone(series),
		start:     start,
		shards:    make([]*Shard, max(shards, 1)),
		errs:      make([]errorLog, len(series)),
		logs:      make([]secondLog, len(series)),
		hlogs:     make([]CoarseLog, len(series)),
		maxRT:     make([]time.Duration, len(series)),
		hists:     make([]Coarse, len(series)),
		extras:    slices.Clone(extras),
		extraSecs: make([][]ExtraSecond, len(extras)),
	}
	kinds := make([]ExtraKind, len(extras))
	for i, x := range extras {
		kinds[i] = x.Kind
	}
	r.h = Harvest{Info: r.series, Series: make([]Second, len(series)), Hists: r.hists, RequestsHist: &r.reqHist, ExtraInfo: r.extras}
	for i := range r.shards {
		s := &Shard{start: start, cells: make([]cell, len(series)), extras: newExtraCells(kinds), kinds: kinds}
		for j := range s.cells {
			s.cells[j].minRT.Store(math.MaxInt64)
		}
		r.shards[i] = s
	}
	return r
}

// Shard returns shard i modulo the number of shards, i >= 0. A VU should
// look its shard up once and keep it.
func (r *Recorder) Shard(i int) *Shard { return r.shards[i%len(r.shards)] }

// Record adds one sample of a series (an index into the series given to
// NewRecorder). end is when the sample completed: it decides the second
// the sample counts in. Record neither locks nor allocates, and is safe
// for concurrent use; smp.Outcome must be below NumOutcomes.
func (s *Shard) Record(series int, end time.Time, smp Sample) {
	c := &s.cells[series]
	sec := max(end.Sub(s.start)/time.Second, 0)
	sl := &c.ring[uint64(sec)%ringSize]
	sl.outcomes[smp.Outcome].Add(1)
	sl.rtSum.Add(int64(smp.RT))
	sl.sent.Add(smp.Sent)
	sl.recv.Add(smp.Recv)
	us := histMicros(smp.RT)
	sl.coarse[CoarseBucket(us)].Add(1)
	storeMax(&sl.maxRT, int64(smp.RT))
	if smp.Status >= 100 && smp.Status < 600 {
		c.status[smp.Status/100].Add(1)
	}
	storeMin(&c.minRT, int64(smp.RT))
	storeMax(&c.maxSent, smp.Sent)
	storeMax(&c.maxRecv, smp.Recv)
	if smp.Connect > 0 {
		c.connects.Add(1)
		c.connectTime.Add(int64(smp.Connect))
	}
	c.count(histIndex(us))
}

// empty says no sample has counted its outcome in the slot.
func (sl *slot) empty() bool {
	for o := range sl.outcomes {
		if sl.outcomes[o].Load() != 0 {
			return false
		}
	}
	return true
}

// storeMin lowers a to v if v is smaller. Only a new minimum, rare once a
// run has warmed up, pays for a compare-and-swap.
func storeMin(a *atomic.Int64, v int64) {
	for old := a.Load(); v < old; old = a.Load() {
		if a.CompareAndSwap(old, v) {
			return
		}
	}
}

// storeMax raises a to v if v is larger, as storeMin.
func storeMax(a *atomic.Int64, v int64) {
	for old := a.Load(); v > old; old = a.Load() {
		if a.CompareAndSwap(old, v) {
			return
		}
	}
}

// Error keeps a failure message of a series. The first maxErrors distinct
// (outcome, message) pairs are kept with their counts; failures with
// other messages are counted per outcome, and end Stats.Errors as entries
// "... other messages". Counting a message already kept, or one that can
// no longer be, neither locks nor allocates; Error is safe for concurrent
// use.
func (r *Recorder) Error(series int, o Outcome, msg string) { r.errs[series].add(o, msg) }

// OnHarvest makes fn receive every second the Recorder harvests, by Tick
// and by Finish, in order, each once. fn runs while the Recorder holds its
// lock, so it must not call the Recorder, and the clock waits for it. Set
// it before the first Tick.
func (r *Recorder) OnHarvest(fn func(*Harvest)) { r.onHarvest = fn }

// Tick harvests every second that ended at least harvestDelay before now
// and was not harvested yet, noting vus as the VU count of each. Only the
// run's clock calls it, about 100ms after each second boundary.
func (r *Recorder) Tick(now time.Time, vus int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastVUs = vus
	ended := int((now.Sub(r.start) - harvestDelay) / time.Second)
	for r.harvested < ended {
		r.harvest(vus, false)
	}
}

// Finish harvests the seconds Tick has not, up to and including the
// partial last one, and merges the shards. Call it once, after every
// Record has returned; the seconds it harvests get the VU count of the
// latest Tick, so a case that may end within its first second should Tick
// once before its VUs stop. The Recorder is not used afterwards.
//
// The last second also takes the samples recorded after their own second
// was harvested. When end is before what a Tick harvested (a Tick past
// the end), they join the last second harvested, whose copy given to
// OnHarvest's function lacks them.
func (r *Recorder) Finish(name string, end time.Time) *CaseStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := max(int((end.Sub(r.start)+time.Second-1)/time.Second), r.harvested, 1)
	if r.harvested == n {
		req := r.reqLog.last()
		var late Coarse
		for i := range r.series {
			clear(late[:])
			for k := range ringSize {
				s := r.take(i, k, &late, true)
				r.logs[i].last().add(s)
				if r.series[i].Kind == KindRequest {
					req.add(s)
				}
			}
			hist, last := &r.hists[i], r.logs[i].last()
			hist.Merge(&late)
			last.P99 = micros(hist.Quantile(int64(last.Count), 0.99))
			r.hlogs[i].setLast(hist)
			if r.series[i].Kind == KindRequest {
				r.reqHist.Merge(&late)
			}
		}
		req.P99 = micros(r.reqHist.Quantile(int64(req.Count), 0.99))
		r.reqHLog.setLast(&r.reqHist)
	}
	for r.harvested < n {
		r.harvest(r.lastVUs, r.harvested == n-1)
	}
	cs := &CaseStats{
		Name:   name,
		Start:  r.start,
		End:    end,
		Series: make([]*Stats, len(r.series)),
		MaxVUs: r.maxVUs,
		Extras: r.finishExtras(n),
	}
	counts := make([]int64, histLen)
	var reqs []*Stats
	for i := range r.series {
		clear(counts)
		cs.Series[i] = r.stats(i, counts)
		if cs.Series[i].Kind == KindRequest {
			reqs = append(reqs, cs.Series[i])
		}
	}
	cs.Requests = mergeTotals(name, KindCase, reqs)
	// A merged second's tp99 cannot come from its parts' tp99s; the
	// recorder took it from the requests' counts when it harvested.
	cs.Requests.Seconds = r.reqLog.all()
	// Copies, not pointers into the Recorder, which would keep its
	// shards alive as long as the finished case.
	cs.Requests.SecondHists = &CoarseLog{chunks: r.reqHLog.chunks, ends: r.reqHLog.ends}
	return cs
}

// harvest takes the next second of every series out of the ring, keeps
// it and hands it on; sweep also takes every other slot, for the last
// second of a case.
func (r *Recorder) harvest(vus int, sweep bool) {
	k := r.harvested % ringSize
	h := &r.h
	h.Index, h.VUs = r.harvested, vus
	clear(r.reqHist[:])
	req := Second{VUs: uint32(vus)}
	for i := range r.series {
		hist := &r.hists[i]
		clear(hist[:])
		s := r.take(i, k, hist, sweep)
		for j := range ringSize {
			if sweep && j != k { // the late samples of earlier seconds
				s.add(r.take(i, j, hist, true))
			}
		}
		s.P99 = micros(hist.Quantile(int64(s.Count), 0.99))
		s.VUs = uint32(vus)
		if r.series[i].Kind == KindRequest {
			req.add(s)
			r.reqHist.Merge(hist)
		}
		r.logs[i].append(s)
		r.hlogs[i].Append(hist)
		h.Series[i] = s
	}
	req.P99 = micros(r.reqHist.Quantile(int64(req.Count), 0.99))
	r.reqLog.append(req)
	r.reqHLog.Append(&r.reqHist)
	h.Requests = req
	r.harvestExtras(k)
	h.Extras = h.Extras[:0]
	for i := range r.extraSecs {
		h.Extras = append(h.Extras, r.extraSecs[i][len(r.extraSecs[i])-1])
	}
	r.harvested++
	r.maxVUs = max(r.maxVUs, vus)
	if r.onHarvest != nil {
		r.onHarvest(h)
	}
}

// take empties ring slot k of a series in every shard and returns the
// sum, adding its response times to hist and its longest to the series'
// maximum. Unless all, it passes over a slot no sample has counted its
// outcome in yet: with many series over many shards most slots are
// empty, and reading one costs a cache line instead of 2 KB. What a
// sample in progress already added to such a slot stays there for a
// later take; Finish takes all.
func (r *Recorder) take(series, k int, hist *Coarse, all bool) Second {
	var s Second
	var maxRT int64
	for _, sh := range r.shards {
		sl := &sh.cells[series].ring[k]
		if !all && sl.empty() {
			continue
		}
		for j := range sl.coarse {
			if n := sl.coarse[j].Load(); n != 0 {
				hist[j] += int64(sl.coarse[j].Swap(0))
			}
		}
		for o := range sl.outcomes {
			s.Outcomes[o] += uint32(sl.outcomes[o].Swap(0))
		}
		s.RTSum += time.Duration(sl.rtSum.Swap(0))
		s.Sent += sl.sent.Swap(0)
		s.Recv += sl.recv.Swap(0)
		maxRT = max(maxRT, sl.maxRT.Swap(0))
	}
	for _, n := range s.Outcomes {
		s.Count += n
	}
	s.Max = micros(time.Duration(maxRT))
	r.maxRT[series] = max(r.maxRT[series], time.Duration(maxRT))
	return s
}

// add sums t into s. The tp99 of a sum is not a sum: s keeps the larger
// of the two, an upper bound, unless the caller sets it from counts.
func (s *Second) add(t Second) {
	s.P99 = max(s.P99, t.P99)
	s.Max = max(s.Max, t.Max)
	s.VUs = max(s.VUs, t.VUs)
	s.Count += t.Count
	for o, n := range t.Outcomes {
		s.Outcomes[o] += n
	}
	s.RTSum += t.RTSum
	s.Sent += t.Sent
	s.Recv += t.Recv
}

// stats merges series i over the shards, summing its histogram into
// counts, which must be zero.
func (r *Recorder) stats(i int, counts []int64) *Stats {
	st := &Stats{
		Name:        r.series[i].Name,
		Kind:        r.series[i].Kind,
		Seconds:     r.logs[i].all(),
		SecondHists: &CoarseLog{chunks: r.hlogs[i].chunks, ends: r.hlogs[i].ends},
		Errors:      r.errs[i].counts(),
		Min:         math.MaxInt64,
		Max:         r.maxRT[i],
	}
	var total Counts
	for k := range st.Seconds {
		total.Add(&st.Seconds[k])
	}
	st.Count, st.Outcomes, st.Sent, st.Recv = total.Count, total.Outcomes, total.Sent, total.Recv
	for _, sh := range r.shards {
		c := &sh.cells[i]
		for k := range c.status {
			st.Status[k] += c.status[k].Load()
		}
		st.Min = min(st.Min, time.Duration(c.minRT.Load()))
		st.MaxSent = max(st.MaxSent, c.maxSent.Load())
		st.MaxRecv = max(st.MaxRecv, c.maxRecv.Load())
		st.Connects += c.connects.Load()
		st.ConnectTime += time.Duration(c.connectTime.Load())
		for k := range c.hist {
			if p := c.hist[k].Load(); p != nil {
				for j := range p {
					counts[k<<histPageMag+j] += p[j].Load()
				}
			}
		}
	}
	if st.Count == 0 {
		st.Min = 0
		return st
	}
	st.Mean = total.RTSum / time.Duration(st.Count)
	st.Hist = newHist(counts)
	st.Ranges = histRanges(counts)
	return st
}

// secondLog is one series' harvested seconds, in blocks of blockLen, so
// that a long run keeps 64 bytes per second and never a slice grown past
// its length.
type secondLog struct {
	blocks []*[blockLen]Second
	n      int
}

// blockLen is the seconds of one block: 4 KB.
const blockLen = 64

func (l *secondLog) append(s Second) {
	if l.n%blockLen == 0 {
		l.blocks = append(l.blocks, new([blockLen]Second))
	}
	l.blocks[l.n/blockLen][l.n%blockLen] = s
	l.n++
}

func (l *secondLog) last() *Second { return &l.blocks[(l.n-1)/blockLen][(l.n-1)%blockLen] }

// all returns the seconds as one slice of their number, and drops the
// blocks.
func (l *secondLog) all() []Second {
	out := make([]Second, 0, l.n)
	for _, b := range l.blocks {
		out = append(out, b[:min(blockLen, l.n-len(out))]...)
	}
	l.blocks = nil
	return out
}

// errorLog keeps the failure messages of one series. The kept entries are
// an immutable slice swapped in whole, so that counting a kept message
// only loads a pointer and adds to an entry's count.
type errorLog struct {
	kept   atomic.Pointer[[]*errEntry]
	mu     sync.Mutex                // serialises adding an entry
	others [NumOutcomes]atomic.Int64 // failures whose message was not kept
}

type errEntry struct {
	outcome Outcome
	msg     string
	count   atomic.Int64
}

func (l *errorLog) load() []*errEntry {
	if p := l.kept.Load(); p != nil {
		return *p
	}
	return nil
}

func (l *errorLog) add(o Outcome, msg string) {
	if l.count(o, msg) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count(o, msg) { // kept meanwhile, or the log filled up
		return
	}
	e := &errEntry{outcome: o, msg: msg}
	e.count.Store(1)
	kept := append(slices.Clip(l.load()), e)
	l.kept.Store(&kept)
}

// count counts a failure whose message is kept, or can no longer be, and
// reports whether it did: false means the message is new and has room.
func (l *errorLog) count(o Outcome, msg string) bool {
	kept := l.load()
	for _, e := range kept {
		if e.outcome == o && e.msg == msg {
			e.count.Add(1)
			return true
		}
	}
	if len(kept) == maxErrors {
		l.others[o].Add(1)
		return true
	}
	return false
}

// counts returns the kept messages, most frequent first (first kept first
// among equals), then for each outcome with failures whose message was not
// kept, one entry "... other messages" counting them.
func (l *errorLog) counts() []ErrorCount {
	var out []ErrorCount
	for _, e := range l.load() {
		out = append(out, ErrorCount{Outcome: e.outcome, Message: e.msg, Count: e.count.Load()})
	}
	slices.SortStableFunc(out, func(a, b ErrorCount) int { return cmp.Compare(b.Count, a.Count) })
	for o := range l.others {
		if n := l.others[o].Load(); n > 0 {
			out = append(out, ErrorCount{Outcome: Outcome(o), Message: otherMessages, Count: n})
		}
	}
	return out
}
