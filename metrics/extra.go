package metrics

import (
	"math"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Extra metrics are what a protocol measures beyond the request tables: a
// streaming play counts packets, key frames and stalls, an MQTT receive
// counts messages per QoS. A case declares, before it runs, the extras of
// the protocols it uses (NewRecorder's extras), and from then on names
// each by its index in that list: recording one is an atomic add on the
// VU's shard, like a sample, with no name, lock or allocation. A case
// whose protocols declare none pays nothing.
//
// A scenario's own measurements are extra metrics too, declared by the
// case after its protocols': its custom metrics (metric: steps, Custom
// set: counters, gauges and trends of values in thousandths) and its soft
// checks (Rate: how many of a request's responses a check held for).
// Recording one (Shard.Add) is the same atomic add, with no allocation.

// ExtraKind says how an extra metric's observations add up.
type ExtraKind uint8

const (
	// Counter adds its observations up: packets, bytes, stalls.
	Counter ExtraKind = iota
	// Distribution keeps how many values were observed, their sum, the
	// least and the greatest: a key-frame delay, a play's startup time.
	Distribution
	// Histogram is a Distribution of durations (ns, UnitDuration) that
	// also counts its values in a coarse histogram over the whole case,
	// which gives percentiles to within 1/32: a message's end-to-end
	// latency. An exchange reports each value (Observations.AddValue).
	Histogram
	// Gauge is a Distribution that also keeps the last value observed:
	// what a metric: step with gauge: measured last.
	Gauge
	// Trend is a Distribution whose values are also counted in a
	// histogram, for percentiles: what a metric: step with trend:
	// measures. Its histogram is that of response times, read in the
	// metric's unit: values from 0 to 3,600,000 (a negative one counts as
	// 0, a larger one as the largest) to 3 significant digits.
	Trend
	// Rate counts observations (N) and how many of them held (Sum, each
	// observation 0 or 1): a soft check's evaluations and passes.
	Rate
)

var extraKindNames = [...]string{"counter", "distribution", "histogram", "gauge", "trend", "rate"}

// String is the kind's name: counter, distribution, histogram, gauge,
// trend, rate.
func (k ExtraKind) String() string {
	if int(k) < len(extraKindNames) {
		return extraKindNames[k]
	}
	return "unknown"
}

// ranged says a kind keeps its least and greatest value.
func (k ExtraKind) ranged() bool { return k != Counter && k != Rate }

// ExtraInfo declares one extra metric.
type ExtraInfo struct {
	Name string // unique in a case, e.g. "mqtt_messages_qos1"
	Kind ExtraKind
	Unit Unit
	// Custom marks a metric the scenario defines with metric: steps;
	// false for a protocol's.
	Custom bool
	// Series is the request a soft check (Kind Rate) judges, whose
	// source Name is; "" for other metrics.
	Series string
}

// Observation is what one exchange adds to an extra metric: N values
// whose sum is Sum, the least Min and the greatest Max. A counter reads
// only Sum.
type Observation struct {
	Metric           int // the metric's index in its protocol's declared list
	N, Sum, Min, Max int64
}

// MaxObservations bounds the extra metrics one exchange reports: a driver
// declares at most this many.
const MaxObservations = 32

// Observations are the extra metrics of one exchange, one entry per
// metric. A driver's session keeps one and refills it on every exchange,
// so that reporting them allocates nothing. The zero value is empty; it
// is not safe for concurrent use.
type Observations struct {
	n    int
	list [MaxObservations]Observation
	// hist counts the exchange's values of histogram metrics by coarse
	// bucket; it keeps its capacity across exchanges, so that a session
	// past its first exchanges adds values without allocating.
	hist []histCount
}

// histCount is how many of an exchange's values of a histogram metric
// fell into one coarse bucket.
type histCount struct {
	metric, bucket int32
	n              int64
}

// Reset empties o.
func (o *Observations) Reset() {
	o.n = 0
	o.hist = o.hist[:0]
}

// All is what o holds; valid until o changes.
func (o *Observations) All() []Observation { return o.list[:o.n] }

// Add observes v of metric: v more of a counter, or one value of a
// distribution.
func (o *Observations) Add(metric int, v int64) { o.AddMany(metric, 1, v, v, v) }

// AddValue observes one value of a histogram metric: a duration in ns.
func (o *Observations) AddValue(metric int, v int64) {
	o.Add(metric, v)
	b := int32(CoarseBucket(v / 1000))
	for i := range o.hist {
		if h := &o.hist[i]; h.metric == int32(metric) && h.bucket == b {
			h.n++
			return
		}
	}
	o.hist = append(o.hist, histCount{metric: int32(metric), bucket: b, n: 1})
}

// AddMany observes n values of metric whose sum is sum, the least lo and
// the greatest hi: what a driver that aggregates as it goes (the key-frame
// delays of a whole play) reports at once. It panics when an exchange
// names more than MaxObservations metrics.
func (o *Observations) AddMany(metric int, n, sum, lo, hi int64) {
	for i := range o.list[:o.n] {
		if x := &o.list[i]; x.Metric == metric {
			x.N += n
			x.Sum += sum
			x.Min, x.Max = min(x.Min, lo), max(x.Max, hi)
			return
		}
	}
	if o.n == len(o.list) {
		panic("metrics: an exchange observed more than MaxObservations extra metrics")
	}
	o.list[o.n] = Observation{Metric: metric, N: n, Sum: sum, Min: lo, Max: hi}
	o.n++
}

// extraCell is one extra metric of one shard.
type extraCell struct {
	ring     [ringSize]extraSlot
	min, max atomic.Int64 // ranged kinds only
	// last and lastAt are a gauge's last value and when it was observed
	// (ns from the case's start). Of values observed at the same instant
	// by VUs of the same shard, either may be kept.
	last, lastAt atomic.Int64
	// hist counts a histogram metric's values by coarse bucket (µs), or a
	// trend's laid out as hist.go's, over the whole case; nil for the
	// other kinds.
	hist []atomic.Int64
}

type extraSlot struct{ n, sum atomic.Int64 }

// Observe records an exchange's observations, made by a protocol whose
// first extra metric is at index base in the case's list; end is when the
// exchange completed. Like Record, it neither locks nor allocates and is
// safe for concurrent use.
func (s *Shard) Observe(base int, end time.Time, obs *Observations) {
	sec := uint64(max(end.Sub(s.start)/time.Second, 0)) % ringSize
	for _, o := range obs.All() {
		c := &s.extras[base+o.Metric]
		sl := &c.ring[sec]
		sl.n.Add(o.N)
		sl.sum.Add(o.Sum)
		if s.kinds[base+o.Metric].ranged() && o.N > 0 {
			storeMin(&c.min, o.Min)
			storeMax(&c.max, o.Max)
		}
	}
	for _, h := range obs.hist {
		s.extras[base+int(h.metric)].hist[h.bucket].Add(h.n)
	}
}

// Add records one value of extra metric i (its index in the case's list)
// observed at end: a counter's increment, a gauge's or a trend's value,
// a rate's 1 (held) or 0. Like Record, it neither locks nor allocates and
// is safe for concurrent use.
func (s *Shard) Add(i int, end time.Time, v int64) {
	at := max(end.Sub(s.start), 0)
	c := &s.extras[i]
	sl := &c.ring[uint64(at/time.Second)%ringSize]
	sl.n.Add(1)
	sl.sum.Add(v)
	k := s.kinds[i]
	if !k.ranged() {
		return
	}
	storeMin(&c.min, v)
	storeMax(&c.max, v)
	switch k {
	case Gauge:
		c.last.Store(v)
		c.lastAt.Store(int64(at))
	case Trend:
		c.hist[histIndex(min(max(v, 0), histHighest))].Add(1)
	}
}

func newExtraCells(kinds []ExtraKind) []extraCell {
	cells := make([]extraCell, len(kinds))
	for i := range cells {
		cells[i].min.Store(math.MaxInt64)
		cells[i].max.Store(math.MinInt64)
		cells[i].lastAt.Store(-1)
		switch kinds[i] {
		case Histogram:
			cells[i].hist = make([]atomic.Int64, CoarseLen)
		case Trend:
			cells[i].hist = make([]atomic.Int64, histLen)
		}
	}
	return cells
}

// ExtraSecond is what an extra metric got in one second of the run.
type ExtraSecond struct{ N, Sum int64 }

// ExtraStats is an extra metric over a whole case.
type ExtraStats struct {
	ExtraInfo
	N, Sum int64
	// Min and Max are a distribution's, histogram's, gauge's or trend's
	// least and greatest values; 0 for a counter or a rate, and when
	// nothing was observed.
	Min, Max int64
	// Last is a gauge's last value; 0 for other kinds, and when nothing
	// was observed.
	Last int64
	// Hist counts a histogram metric's values by coarse bucket; nil for
	// the other kinds.
	Hist *Coarse
	// TrendHist holds a trend's values (nil for other kinds, and when
	// nothing was observed), as Stats.Hist holds response times.
	TrendHist *hdrhistogram.Histogram
	// Seconds is the per-second series, aligned with Stats.Seconds.
	Seconds []ExtraSecond
}

// Quantile is the q-th quantile (0..1) of a histogram metric's values,
// within 1/32 (the middle of its coarse bucket, never past the greatest
// value); 0 for the other kinds and when nothing was observed.
func (x *ExtraStats) Quantile(q float64) time.Duration {
	if x.Hist == nil || x.N == 0 {
		return 0
	}
	return min(x.Hist.Quantile(x.N, q), time.Duration(x.Max))
}

// Percentile is the q-th percentile (0-100) of a trend's values, never
// above the greatest; 0 for other kinds and when nothing was observed.
func (x *ExtraStats) Percentile(q float64) int64 {
	if x.TrendHist == nil {
		return 0
	}
	return min(x.TrendHist.ValueAtQuantile(q), x.Max)
}

// Extra is the case's extra metric named name, or nil.
func (c *CaseStats) Extra(name string) *ExtraStats {
	for _, x := range c.Extras {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// takeExtra empties ring slot k of extra metric i in every shard.
func (r *Recorder) takeExtra(i, k int) ExtraSecond {
	var x ExtraSecond
	for _, sh := range r.shards {
		sl := &sh.extras[i].ring[k]
		x.N += sl.n.Swap(0)
		x.Sum += sl.sum.Swap(0)
	}
	return x
}

// harvestExtras appends ring slot k, the next second, of every extra
// metric.
func (r *Recorder) harvestExtras(k int) {
	for i := range r.extraSecs {
		r.extraSecs[i] = append(r.extraSecs[i], r.takeExtra(i, k))
	}
}

// finishExtras sweeps what landed after its second was harvested into the
// last of n seconds, and totals each extra metric.
func (r *Recorder) finishExtras(n int) []*ExtraStats {
	if len(r.extras) == 0 {
		return nil
	}
	out := make([]*ExtraStats, len(r.extras))
	for i, info := range r.extras {
		last := &r.extraSecs[i][n-1]
		for k := range ringSize {
			x := r.takeExtra(i, k)
			last.N += x.N
			last.Sum += x.Sum
		}
		st := &ExtraStats{ExtraInfo: info, Seconds: r.extraSecs[i], Min: math.MaxInt64, Max: math.MinInt64}
		for _, s := range st.Seconds {
			st.N += s.N
			st.Sum += s.Sum
		}
		lastAt := int64(-1)
		var counts []int64
		if info.Kind == Trend {
			counts = make([]int64, histLen)
		}
		for _, sh := range r.shards {
			c := &sh.extras[i]
			st.Min = min(st.Min, c.min.Load())
			st.Max = max(st.Max, c.max.Load())
			if at := c.lastAt.Load(); at > lastAt {
				lastAt, st.Last = at, c.last.Load()
			}
			switch info.Kind {
			case Histogram:
				if st.Hist == nil {
					st.Hist = new(Coarse)
				}
				for b := range c.hist {
					st.Hist[b] += c.hist[b].Load()
				}
			case Trend:
				for k := range c.hist {
					counts[k] += c.hist[k].Load()
				}
			}
		}
		if !info.Kind.ranged() || st.N == 0 {
			st.Min, st.Max = 0, 0
		}
		if info.Kind == Trend && st.N > 0 {
			st.TrendHist = newHist(counts)
		}
		out[i] = st
	}
	return out
}
