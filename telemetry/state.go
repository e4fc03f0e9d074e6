package telemetry

import (
	"strings"
	"sync"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
)

// state is a run as the live outputs export it: cumulative from the
// run's start, fed by the seconds the run's clock harvests and completed
// by the finished run. It is safe for concurrent use: cases running side
// by side add their seconds while a scrape or a push reads it.
type state struct {
	mu       sync.Mutex
	started  bool
	runID    string
	scenario string
	start    time.Time
	cases    []*caseState
	checks   []checkResult // once the run ended
}

type caseState struct {
	name   string
	series []seriesState
	vus    int
	missed int64
	extras []extraState
}

type seriesState struct {
	info    metrics.SeriesInfo
	counts  metrics.Counts
	buckets [len(boundMicros) + 1]uint64 // per bucket, not cumulative
}

type extraState struct {
	info   metrics.ExtraInfo
	fam    *family
	scale  float64
	n, sum int64
	// last is a gauge's value, in the family's unit, once it has one:
	// while the run goes, the mean of the latest harvested second with
	// values (a second carries no more); then the run's last value.
	last    float64
	hasLast bool
	// quantiles are a trend's, with trendQuantiles, once the run ended.
	quantiles []float64
}

type checkResult struct {
	caseName, series, source string
	pass                     bool
}

func (st *state) begin(s *output.Start) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.started = true
	st.runID, st.scenario, st.start = s.RunID, s.Plan.Name, s.Time
}

// add takes one harvested second of a case. The Second is lent: what is
// kept is copied.
func (st *state) add(s *output.Second) {
	st.mu.Lock()
	defer st.mu.Unlock()
	c := st.caseNamed(s.Case)
	if c.series == nil {
		c.series = make([]seriesState, len(s.Info))
		for i, info := range s.Info {
			c.series[i].info = info
		}
		c.extras = make([]extraState, len(s.ExtraInfo))
		for i, x := range s.ExtraInfo {
			c.extras[i].info = x
			c.extras[i].fam, c.extras[i].scale = extraFamily(x)
		}
	}
	for i := range c.series {
		ss := &c.series[i]
		ss.counts.Add(&s.Series[i])
		for j, n := range s.Hists[i] {
			if n != 0 {
				ss.buckets[bucketOf[j]] += uint64(n)
			}
		}
	}
	for i, x := range s.Extras {
		e := &c.extras[i]
		e.n += x.N
		e.sum += x.Sum
		if e.fam.typ == gauge && x.N > 0 {
			e.last, e.hasLast = float64(x.Sum)/float64(x.N)*e.scale, true
		}
	}
	c.vus = s.VUs
	c.missed = s.Progress.Missed
}

// end completes the state with what only the finished run knows: the
// checkpoints' results, the missed starts counted to the end, and the
// extra metrics' observations that landed after their second was
// harvested. The VUs are 0: the run is over.
func (st *state) end(f *output.Finished) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if f.Run == nil {
		return
	}
	for _, cr := range f.Run.Cases {
		c := st.caseNamed(cr.Stats.Name)
		c.vus = 0
		c.missed = cr.Missed
		for i, x := range cr.Stats.Extras {
			if i >= len(c.extras) {
				break
			}
			e := &c.extras[i]
			e.n, e.sum = x.N, x.Sum
			if x.N == 0 {
				continue
			}
			switch e.fam.typ {
			case gauge:
				e.last, e.hasLast = float64(x.Last)*e.scale, true
			case summary:
				e.quantiles = make([]float64, len(trendQuantiles))
				for j, q := range trendQuantiles {
					e.quantiles[j] = float64(x.Percentile(q*100)) * e.scale
				}
			}
		}
		for _, k := range cr.KPIs {
			st.checks = append(st.checks, checkResult{caseName: cr.Stats.Name, series: k.Series, source: k.Source, pass: k.Pass})
		}
	}
}

func (st *state) caseNamed(name string) *caseState {
	for _, c := range st.cases {
		if c.name == name {
			return c
		}
	}
	c := &caseState{name: name}
	st.cases = append(st.cases, c)
	return c
}

// snapshot is the state at one time, as every exporter reads it.
type snapshot struct {
	runID, scenario string
	start, time     time.Time
	points          []point
}

// point is one series of a family: its label values (in the order of
// the family's labels) and its value, or its histogram.
type point struct {
	fam    *family
	labels []string
	value  float64
	hist   *histPoint
}

type histPoint struct {
	count  uint64
	sum    float64
	counts []uint64 // per bucket, len(fam.bounds)+1, not cumulative
	// quantiles are a summary's values at trendQuantiles; nil until the
	// run ended.
	quantiles []float64
}

// snapshot copies the state, stamped now; nil before the run started.
// Every outcome of every series is there from the first second on,
// zeros included, so that a rate over the run needs no series to appear
// half way.
func (st *state) snapshot(now time.Time) *snapshot {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.started {
		return nil
	}
	s := &snapshot{runID: label(st.runID), scenario: label(st.scenario), start: st.start, time: now}
	add := func(f *family, v float64, labels ...string) {
		s.points = append(s.points, point{fam: f, labels: labels, value: v})
	}
	for _, c := range st.cases {
		cn := label(c.name)
		for i := range c.series {
			ss := &c.series[i]
			fams := seriesFamilies[ss.info.Kind]
			id := []string{cn}
			if ss.info.Kind != metrics.KindCase {
				id = append(id, label(ss.info.Name))
			}
			for o := range metrics.NumOutcomes {
				add(fams.count, float64(ss.counts.Outcomes[o]), append(id[:len(id):len(id)], o.String())...)
			}
			s.points = append(s.points, point{fam: fams.duration, labels: id,
				hist: &histPoint{count: uint64(ss.counts.Count), sum: ss.counts.RTSum.Seconds(), counts: append([]uint64(nil), ss.buckets[:]...)}})
			if ss.info.Kind == metrics.KindRequest {
				add(famSent, float64(ss.counts.Sent), id...)
				add(famReceived, float64(ss.counts.Recv), id...)
			}
		}
		add(famVUs, float64(c.vus), cn)
		add(famMissed, float64(c.missed), cn)
		for _, x := range c.extras {
			switch {
			case x.fam == famSoftChecks:
				// A rate's observations are its check's judgements, its
				// sum those that held.
				id := []string{cn, label(x.info.Series), label(x.info.Name)}
				add(x.fam, float64(x.sum), append(id[:3:3], "passed")...)
				add(x.fam, float64(x.n-x.sum), append(id[:3:3], "failed")...)
			case x.fam.typ == counter:
				add(x.fam, float64(x.sum)*x.scale, cn)
			case x.fam.typ == gauge:
				if x.hasLast {
					add(x.fam, x.last, cn)
				}
			case x.fam.typ == summary:
				s.points = append(s.points, point{fam: x.fam, labels: []string{cn},
					hist: &histPoint{count: uint64(x.n), sum: float64(x.sum) * x.scale, quantiles: x.quantiles}})
			default:
				s.points = append(s.points, point{fam: x.fam, labels: []string{cn},
					hist: &histPoint{count: uint64(x.n), sum: float64(x.sum) * x.scale, counts: []uint64{uint64(x.n)}}})
			}
		}
	}
	for _, k := range st.checks {
		v := 0.0
		if k.pass {
			v = 1
		}
		add(famCheckpoint, v, label(k.caseName), label(k.series), label(k.source))
	}
	return s
}

// label makes s a valid label value: UTF-8, as both protocols require.
func label(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
