package reporters

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/perftest"
)

// WriteJSON writes the finished run's report JSON indented, its fields
// in the order of the Go types, so the same run always gives the same
// bytes; an array of numbers or strings is on one line.
func WriteJSON(w io.Writer, f *output.Finished) error {
	var compact, out bytes.Buffer
	enc := json.NewEncoder(&compact)
	// Keep ">5s" and error messages readable instead of \u003e.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f.Report); err != nil {
		return err
	}
	out.Grow(compact.Len() + compact.Len()/4)
	indentJSON(&out, compact.Bytes())
	_, err := w.Write(out.Bytes())
	return err
}

// Finish is a finished run as every output takes it: the run, and its
// report JSON built once for all that render or send it.
func Finish(run *metrics.Run) *output.Finished {
	return &output.Finished{Run: run, Report: PerfTestReport(run)}
}

// FinishSegment is Finish for part of a split run: its report says which
// part it is (perfcase.segment).
func FinishSegment(run *metrics.Run, seg *output.PerfcaseSegment) *output.Finished {
	f := Finish(run)
	f.Report.Result.Perfcase.Segment = seg
	return f
}

// successCode is the report API's code for a successful response.
const successCode = "SVCSTG.CPTS.0000000"

// timeLayout is RFC 3339 with a numeric offset even in UTC, as the
// reference's examples write times ("2022-09-16T19:18:16+08:00").
const timeLayout = "2006-01-02T15:04:05-07:00"

// PerfTestReport renders a finished run, judged, as the report JSON
// perfcase writes with --out.
func PerfTestReport(run *metrics.Run) *output.Report {
	views := make([]*caseView, len(run.Cases))
	for i, c := range run.Cases {
		views[i] = newCaseView(c, &run.Verdict.Cases[i])
	}
	tl := newTimeline(run, views)
	res := output.RunResult{
		ReportInfo: perftest.ReportInfo{
			Brokens:       tl.brokens(),
			Details:       &perftest.ReportdetailsInfo{Data: []perftest.ReportdetailItemInfo{}, PageIndex: 1, PageSize: len(views), Total: len(views)},
			Outline:       outline(run, views, tl),
			RespTimeRange: respTimeRange(views),
		},
		CaseAwInfoList: []perftest.CaseAwInfo{},
		Cases:          []perftest.CaseReportDetailResult{},
		Perfcase:       perfcaseInfo(run),
	}
	var vum float64
	for _, v := range views {
		detail := v.detail()
		res.Cases = append(res.Cases, perftest.CaseReportDetailResult{Detail: detail})
		res.Details.Data = append(res.Details.Data, v.tableRows(detail))
		res.CaseAwInfoList = append(res.CaseAwInfoList, v.awInfo())
		vum += v.vum
	}
	res.TaskInfo = &perftest.ReportTaskInfo{Vum: num(round(vum, 2))}
	res.Perfcase.Curves = newCurves(views)
	return &output.Report{Code: successCode, Message: "success", Result: res}
}

// caseView is one case with its series sorted by kind.
type caseView struct {
	c        *metrics.CaseResult
	verdict  *metrics.CaseVerdict
	requests []*metrics.Stats
	txs      []*metrics.Stats
	// pass is the case's passes; an empty series when the recorder had
	// none, so a case without samples still renders.
	pass *metrics.Stats
	// reqs is the case's requests merged: the case's row.
	reqs *metrics.Stats
	secs float64 // the case's duration
	vum  float64 // VU-minutes
	// reqSeconds sums the request series second by second: the case's
	// traffic on the wire.
	reqSeconds []metrics.Counts
}

func newCaseView(c *metrics.CaseResult, verdict *metrics.CaseVerdict) *caseView {
	v := &caseView{c: c, verdict: verdict, pass: &metrics.Stats{Name: c.Stats.Name, Kind: metrics.KindCase}}
	for _, s := range c.Stats.Series {
		switch s.Kind {
		case metrics.KindRequest:
			v.requests = append(v.requests, s)
			v.reqSeconds = addSeconds(v.reqSeconds, 0, s.Seconds)
		case metrics.KindTransaction:
			v.txs = append(v.txs, s)
		case metrics.KindCase:
			v.pass = s
		}
	}
	v.reqs = c.Stats.Requests
	if v.reqs == nil {
		v.reqs = metrics.Merge(c.Stats.Name, metrics.KindCase, v.requests...)
	}
	v.secs = c.Stats.Duration().Seconds()
	var vuSeconds int
	for _, s := range v.reqs.Seconds {
		vuSeconds += int(s.VUs)
	}
	v.vum = float64(vuSeconds) / 60
	return v
}

// detail renders the case as 4.6.4's CaseReportDetails, KPIs judged.
func (v *caseView) detail() *perftest.CaseReportDetails {
	d := &perftest.CaseReportDetails{
		CustomTransactions: make([]perftest.CaseReportDetail, len(v.txs)),
		DetailDatas:        make([]perftest.CaseReportDetail, len(v.requests)),
	}
	for i, s := range v.requests {
		d.DetailDatas[i] = v.row(s, perftest.DatumAW, addSeconds(nil, 0, s.Seconds))
	}
	for i, s := range v.txs {
		d.CustomTransactions[i] = v.row(s, perftest.DatumTransaction, addSeconds(nil, 0, s.Seconds))
	}
	// The case's row is its requests taken together, as PerfTest's own
	// examples show (a two-request case: requests 2884, transactions
	// 1442); its transaction fields are the passes.
	perf := v.row(v.reqs, perftest.DatumCase, v.reqSeconds)
	perf.Name = str(v.c.Stats.Name)
	p := v.pass
	perf.Transactions = count(p.Count)
	perf.TransactionSuccess = count(p.Outcomes[metrics.Success])
	perf.TranTPS = ratio(float64(p.Count), v.secs, 2)
	perf.AvgTranRespTime = ms(p.Mean)
	perf.MaxTranRespTime = ms(p.Max)
	if pk := v.c.Peak; pk != nil {
		vus := int64(pk.VUs)
		perf.PeakMetric = &perftest.PeakMetric{VUser: &vus, RPS: num(round(pk.RPS, 2)), AvgRT: num(round(pk.AvgRT, 3)),
			SuccessRate: num(round(pk.SuccessRate, 2)), PeakTime: timestamp(pk.Time)}
	}
	perf.StreamingMediaVo = streamingVo(v.c.Stats, v.secs)
	d.Performance = &perf
	for _, k := range v.c.KPIs {
		for _, r := range kpiRows(d, k.Series) {
			judge(r, k)
		}
	}
	return d
}

// row renders one series as a row of datum type dt; wire is the per-second traffic its bandwidth
// fields are computed from.
func (v *caseView) row(s *metrics.Stats, dt int, wire []metrics.Counts) perftest.CaseReportDetail {
	cs := v.c.Stats
	rps, tps := maxCount(wire), maxCount(addSeconds(nil, 0, s.Seconds))
	netAvg, netMax, netMin := traffic(wire, v.secs)
	d := perftest.CaseReportDetail{
		AverageRespTime:   ms(s.Mean),
		AvgNetworkTraffic: netAvg,
		AvgRecBytes:       ratio(float64(s.Recv), float64(s.Count), 2),
		AvgSentBytes:      ratio(float64(s.Sent), float64(s.Count), 2),
		CheckpointResult:  boolp(true),
		CurrentThreadNum:  count(int64(cs.MaxVUs)),
		DatumType:         datum(dt),
		Duration:          num(round(v.secs, 3)),
		EndTime:           timestamp(cs.End),
		ErrorCount:        count(s.Failures()),
		FailedAssert:      count(s.Outcomes[metrics.CheckFailed]),
		FailedOthers:      count(s.Outcomes[metrics.Other]),
		FailedParsed:      count(s.Outcomes[metrics.ParseFailed]),
		FailedRefused:     count(s.Outcomes[metrics.Refused]),
		FailedTimeout:     count(s.Outcomes[metrics.Timeout]),
		IsAW:              boolp(dt == perftest.DatumAW),
		Max:               ms(s.Max),
		MaxNetworkTraffic: netMax,
		MaxRecBytes:       count(s.MaxRecv),
		MaxRespTime:       ms(s.Max),
		MaxRPS:            count(rps),
		MaxSentBytes:      count(s.MaxSent),
		MaxTPS:            count(tps),
		Min:               ms(s.Min),
		MinNetworkTraffic: netMin,
		Mode:              str(v.c.Mode),
		Name:              str(s.Name),
		// perfcase keeps no protocol per series; the case's list is
		// right for every row of a single-protocol case.
		Protocols:    v.c.Protocols,
		Requests:     count(s.Count),
		StartTime:    timestamp(cs.Start),
		SuccessCount: count(s.Outcomes[metrics.Success]),
		SuccessRate:  ratio(100*float64(s.Outcomes[metrics.Success]), float64(s.Count), 2),
		Sum1xx:       count(s.Status[1]),
		Sum2xx:       count(s.Status[2]),
		Sum3xx:       count(s.Status[3]),
		Sum4xx:       count(s.Status[4]),
		Sum5xx:       count(s.Status[5]),
		Tp50:         ms(s.Percentile(50)),
		Tp75:         ms(s.Percentile(75)),
		Tp85:         ms(s.Percentile(85)),
		Tp90:         ms(s.Percentile(90)),
		Tp95:         ms(s.Percentile(95)),
		Tp99:         ms(s.Percentile(99)),
		Tp999:        ms(s.Percentile(99.9)),
		Tp9999:       ms(s.Percentile(99.99)),
		TPS:          ratio(float64(s.Count), v.secs, 2),
		UserConcur:   count(int64(cs.MaxVUs)),
	}
	if dt != perftest.DatumAW {
		// A pass and a named transaction are both transactions: their own
		// count and times are the transaction fields.
		d.Transactions = d.Requests
		d.TransactionSuccess = d.SuccessCount
		d.TranTPS = d.TPS
		d.AvgTranRespTime = d.AverageRespTime
		d.MaxTranRespTime = d.Max
	}
	return d
}

// kpiRows returns the rows a KPI on series applies to: the case's own row
// for "", else every request and transaction of that name. A KPI naming no
// row lands on the case's row, so that its verdict is never lost.
func kpiRows(d *perftest.CaseReportDetails, series string) []*perftest.CaseReportDetail {
	var rows []*perftest.CaseReportDetail
	if series != "" {
		for _, list := range [][]perftest.CaseReportDetail{d.DetailDatas, d.CustomTransactions} {
			for i := range list {
				if *list[i].Name == series {
					rows = append(rows, &list[i])
				}
			}
		}
	}
	if len(rows) == 0 {
		rows = append(rows, d.Performance)
	}
	return rows
}

// judge records a KPI's verdict on a row. Several KPIs on one field share
// its …CheckRes (all must hold) and the first one's threshold.
func judge(d *perftest.CaseReportDetail, k metrics.KPIResult) {
	d.CheckpointResult = boolp(*d.CheckpointResult && k.Pass)
	point, res := checkFields(d, k.Metric)
	if point == nil {
		return
	}
	if *point == nil {
		*point = num(k.Threshold)
	}
	*res = boolp(k.Pass && (*res == nil || **res))
}

// checkFields returns the …CheckPoint and …CheckRes fields of a KPI
// metric, or nils for a metric the API has no field for. The thresholds
// need no conversion: scenario's KPI units (ms, %, /s, bytes, counts) are
// the report's.
func checkFields(d *perftest.CaseReportDetail, metric string) (**float64, **bool) {
	switch metric {
	case "avg_rt":
		return &d.AverageRespTimeCheckPoint, &d.AverageRespTimeCheckRes
	case "max_rt":
		return &d.MaxRespTimeCheckPoint, &d.MaxRespTimeCheckRes
	case "tp50":
		return &d.Tp50CheckPoint, &d.Tp50CheckRes
	case "tp75":
		return &d.Tp75CheckPoint, &d.Tp75CheckRes
	case "tp85":
		return &d.Tp85CheckPoint, &d.Tp85CheckRes
	case "tp90":
		return &d.Tp90CheckPoint, &d.Tp90CheckRes
	case "tp95":
		return &d.Tp95CheckPoint, &d.Tp95CheckRes
	case "tp99":
		return &d.Tp99CheckPoint, &d.Tp99CheckRes
	case "tp99.9":
		return &d.Tp999CheckPoint, &d.Tp999CheckRes
	case "tp99.99":
		return &d.Tp9999CheckPoint, &d.Tp9999CheckRes
	case "tps":
		// On the case's row tps counts passes, its tranTPS; elsewhere a
		// row's tps is its own rate.
		if d.DatumType != nil && *d.DatumType == perftest.DatumCase {
			return &d.TranTPSCheckPoint, &d.TranTPSCheckRes
		}
		return &d.TPSCheckPoint, &d.TPSCheckRes
	case "rps":
		return &d.TPSCheckPoint, &d.TPSCheckRes
	case "success_rate":
		return &d.SuccessRateCheckPoint, &d.SuccessRateCheckRes
	case "transactions":
		return &d.TransactionsCheckPoint, &d.TransactionsCheckRes
	case "avg_recv_bytes":
		return &d.AvgRecBytesCheckPoint, &d.AvgRecBytesCheckRes
	case "avg_sent_bytes":
		return &d.AvgSentBytesCheckPoint, &d.AvgSentBytesCheckRes
	case "max_recv_bytes":
		return &d.MaxRecBytesCheckPoint, &d.MaxRecBytesCheckRes
	case "max_sent_bytes":
		return &d.MaxSentBytesCheckPoint, &d.MaxSentBytesCheckRes
	}
	return nil, nil
}

// tableRows spells the case's rows as 4.6.1's statistics table.
func (v *caseView) tableRows(d *perftest.CaseReportDetails) perftest.ReportdetailItemInfo {
	item := perftest.ReportdetailItemInfo{
		CustomTransactions: make([]perftest.DetailDataInfo, len(d.CustomTransactions)),
		DetailDatas:        make([]perftest.DetailDataInfo, len(d.DetailDatas)),
		Performance:        v.performanceInfo(d.Performance),
	}
	for i := range d.DetailDatas {
		item.DetailDatas[i] = v.detailDataInfo(&d.DetailDatas[i])
	}
	for i := range d.CustomTransactions {
		t := v.detailDataInfo(&d.CustomTransactions[i])
		t.TransactionalTPS = t.TPS
		t.TransactionalTPSSuccess = ratio(*t.SuccessCount, v.secs, 2)
		item.CustomTransactions[i] = t
	}
	return item
}

// detailDataInfo copies a row into table 4-234's fields.
func (v *caseView) detailDataInfo(d *perftest.CaseReportDetail) perftest.DetailDataInfo {
	return perftest.DetailDataInfo{
		AverageRespTime:          d.AverageRespTime,
		AvgRecBytes:              d.AvgRecBytes,
		AvgSentBytes:             d.AvgSentBytes,
		AvgTranRespTime:          d.AvgTranRespTime,
		CurrentThreadNum:         d.CurrentThreadNum,
		EndTime:                  d.EndTime,
		ErrorCount:               d.ErrorCount,
		FailedAssert:             d.FailedAssert,
		FailedOthers:             d.FailedOthers,
		FailedParsed:             d.FailedParsed,
		FailedRefused:            d.FailedRefused,
		FailedTimeout:            d.FailedTimeout,
		IsAW:                     d.IsAW,
		Max:                      d.Max,
		MaxRecBytes:              d.MaxRecBytes,
		MaxRespTime:              d.MaxRespTime,
		MaxSentBytes:             d.MaxSentBytes,
		MaxTranRespTime:          d.MaxTranRespTime,
		Min:                      d.Min,
		MinNetworkTraffic:        d.MinNetworkTraffic,
		Name:                     d.Name,
		Requests:                 d.Requests,
		StartTime:                d.StartTime,
		SuccessCount:             d.SuccessCount,
		SuccessRate:              d.SuccessRate,
		Sum1xx:                   d.Sum1xx,
		Sum2xx:                   d.Sum2xx,
		Sum3xx:                   d.Sum3xx,
		Sum4xx:                   d.Sum4xx,
		Sum5xx:                   d.Sum5xx,
		Tp50:                     d.Tp50,
		Tp75:                     d.Tp75,
		Tp90:                     d.Tp90,
		Tp95:                     d.Tp95,
		Tp99:                     d.Tp99,
		TPS:                      d.TPS,
		TranTPS:                  d.TranTPS,
		TransactionSuccess:       d.TransactionSuccess,
		TransactionalSuccessRate: transactionalSuccessRate(d),
		Transactions:             d.Transactions,
		Vum:                      num(round(v.vum, 2)),
		AvgNetworkTraffic:        d.AvgNetworkTraffic,
		MaxNetworkTraffic:        d.MaxNetworkTraffic,
	}
}

// performanceInfo copies the case's row into table 4-235's fields.
func (v *caseView) performanceInfo(d *perftest.CaseReportDetail) *perftest.PerformanceInfo {
	return &perftest.PerformanceInfo{
		AverageRespTime:          d.AverageRespTime,
		AvgNetworkTraffic:        d.AvgNetworkTraffic,
		AvgRecBytes:              d.AvgRecBytes,
		AvgSentBytes:             d.AvgSentBytes,
		AvgTranRespTime:          d.AvgTranRespTime,
		CurrentThreadNum:         d.CurrentThreadNum,
		EndTime:                  d.EndTime,
		ErrorCount:               d.ErrorCount,
		FailedAssert:             d.FailedAssert,
		FailedOthers:             d.FailedOthers,
		FailedParsed:             d.FailedParsed,
		FailedRefused:            d.FailedRefused,
		FailedTimeout:            d.FailedTimeout,
		IsAW:                     d.IsAW,
		Max:                      d.Max,
		MaxNetworkTraffic:        d.MaxNetworkTraffic,
		MaxRecBytes:              d.MaxRecBytes,
		MaxRespTime:              d.MaxRespTime,
		MaxSentBytes:             d.MaxSentBytes,
		MaxTranRespTime:          d.MaxTranRespTime,
		Min:                      d.Min,
		MinNetworkTraffic:        d.MinNetworkTraffic,
		Name:                     d.Name,
		Requests:                 d.Requests,
		StartTime:                d.StartTime,
		SuccessCount:             d.SuccessCount,
		SuccessRate:              d.SuccessRate,
		Sum1xx:                   d.Sum1xx,
		Sum2xx:                   d.Sum2xx,
		Sum3xx:                   d.Sum3xx,
		Sum4xx:                   d.Sum4xx,
		Sum5xx:                   d.Sum5xx,
		Tp50:                     d.Tp50,
		Tp75:                     d.Tp75,
		Tp90:                     d.Tp90,
		Tp95:                     d.Tp95,
		Tp99:                     d.Tp99,
		Tp999:                    d.Tp999,
		Tp9999:                   d.Tp9999,
		TPS:                      d.TPS,
		TranTPS:                  d.TranTPS,
		TransactionSuccess:       d.TransactionSuccess,
		TransactionalSuccessRate: transactionalSuccessRate(d),
		Transactions:             d.Transactions,
		Vum:                      num(round(v.vum, 2)),
	}
}

// transactionalSuccessRate is the percentage of a row's transactions that
// succeeded; null for a request, which has none.
func transactionalSuccessRate(d *perftest.CaseReportDetail) *float64 {
	if d.Transactions == nil {
		return nil
	}
	return ratio(100*(*d.TransactionSuccess), *d.Transactions, 2)
}

// awInfo lists the case's requests and transactions in 4.6.5's shape.
func (v *caseView) awInfo() perftest.CaseAwInfo {
	info := perftest.CaseAwInfo{
		Aw:              make([]perftest.AwInfoDTO, len(v.requests)),
		AwList:          make([]perftest.DetailItem, len(v.requests)),
		DatumType:       datum(perftest.DatumCase),
		Name:            str(v.c.Stats.Name),
		TransactionList: make([]perftest.DetailItem, len(v.txs)),
	}
	for i, s := range v.requests {
		info.Aw[i] = perftest.AwInfoDTO{Name: str(s.Name), DatumType: datum(perftest.DatumAW)}
		info.AwList[i] = perftest.DetailItem{Name: str(s.Name), DatumType: datum(perftest.DatumAW)}
	}
	for i, s := range v.txs {
		info.TransactionList[i] = perftest.DetailItem{Name: str(s.Name), DatumType: datum(perftest.DatumTransaction)}
	}
	return info
}

// timeline is the run second by second: every case's seconds placed at
// their offset from the run's start and summed.
type timeline struct {
	start time.Time
	wire  []metrics.Counts // the cases' requests
	vus   []int
	// stream is the streaming cases' traffic and failures; streams says
	// a case streams at all.
	stream  []streamSecond
	streams bool
}

func newTimeline(run *metrics.Run, views []*caseView) *timeline {
	tl := &timeline{start: run.Start}
	for _, v := range views {
		// A case's second k is [Start+k s, Start+(k+1) s), so a case that
		// started later than the run (serial cases) shifts right.
		off := max(int(v.c.Stats.Start.Sub(run.Start)/time.Second), 0)
		for len(tl.wire) < off+len(v.reqSeconds) {
			tl.wire = append(tl.wire, metrics.Counts{})
		}
		for k := range v.reqSeconds {
			tl.wire[off+k].Merge(&v.reqSeconds[k])
		}
		for k, s := range v.reqs.Seconds {
			for len(tl.vus) <= off+k {
				tl.vus = append(tl.vus, 0)
			}
			tl.vus[off+k] += int(s.VUs)
		}
		if streams(v.c.Stats) {
			tl.streams = true
			tl.stream = addStreamSeconds(tl.stream, off, v.c.Stats)
		}
	}
	return tl
}

// length is the number of seconds the run's series cover.
func (tl *timeline) length() int { return max(len(tl.wire), len(tl.vus)) }

// brokens renders the timeline as 4.6.1's per-second series.
func (tl *timeline) brokens() *perftest.ReportbrokensInfo {
	n := tl.length()
	b := &perftest.ReportbrokensInfo{
		BrandBrokens:     &perftest.BrandBrokens{RecBytes: make([]float64, n), SentBytes: make([]float64, n)},
		CommonTimeStamps: make([]string, n),
		RespcodeBrokens: &perftest.RespcodeBrokens{
			CheckPointFailed: make([]float64, n), Error: make([]float64, n), OthersFailed: make([]float64, n),
			ParsedFailed: make([]float64, n), RefusedFailed: make([]float64, n), Success: make([]float64, n),
			Timeout: make([]float64, n),
		},
		TpsBrokens:    &perftest.TpsBrokens{Average: make([]float64, n), TPS: make([]float64, n)},
		VusersBrokens: &perftest.VusersBrokens{Vusers: make([]float64, n)},
	}
	if tl.streams {
		b.RtmpBrokenS, b.StreamingErrorBrokenS = streamBrokens(tl.stream, n)
	}
	for k := range n {
		b.CommonTimeStamps[k] = strconv.FormatInt(tl.start.Add(time.Duration(k)*time.Second).UnixMilli(), 10)
		if k < len(tl.wire) {
			b.BrandBrokens.RecBytes[k] = float64(tl.wire[k].Recv)
			b.BrandBrokens.SentBytes[k] = float64(tl.wire[k].Sent)
		}
		if k < len(tl.vus) {
			b.VusersBrokens.Vusers[k] = float64(tl.vus[k])
		}
		if k >= len(tl.wire) {
			continue
		}
		s := tl.wire[k]
		rc := b.RespcodeBrokens
		rc.Success[k] = float64(s.Outcomes[metrics.Success])
		rc.CheckPointFailed[k] = float64(s.Outcomes[metrics.CheckFailed])
		rc.ParsedFailed[k] = float64(s.Outcomes[metrics.ParseFailed])
		rc.RefusedFailed[k] = float64(s.Outcomes[metrics.Refused])
		rc.Timeout[k] = float64(s.Outcomes[metrics.Timeout])
		rc.OthersFailed[k] = float64(s.Outcomes[metrics.Other])
		rc.Error[k] = float64(s.Count - s.Outcomes[metrics.Success])
		b.TpsBrokens.TPS[k] = float64(s.Count)
		if s.Count > 0 {
			b.TpsBrokens.Average[k] = *ms(s.RTSum / time.Duration(s.Count))
		}
	}
	return b
}

// outline renders 4.6.1's summary of the whole run from the cases'
// requests, like the case rows.
func outline(run *metrics.Run, views []*caseView, tl *timeline) *perftest.ReportoutlineInfo {
	var reqs, ok, kpiCases, kpiPassed, passed int64
	var rt float64 // ns, summed over requests
	for _, v := range views {
		reqs += v.reqs.Count
		ok += v.reqs.Outcomes[metrics.Success]
		rt += float64(v.reqs.Mean) * float64(v.reqs.Count)
		if !v.verdict.Failed {
			passed++
		}
		if len(v.c.KPIs) > 0 {
			kpiCases++
			if !v.verdict.Failed {
				kpiPassed++
			}
		}
	}
	maxUsers := 0
	for _, n := range tl.vus {
		maxUsers = max(maxUsers, n)
	}
	// perfcase cannot tell which cases of an unfinished run reached the
	// end of their last stage, so none counts as complete.
	var complete int64
	if run.Status == metrics.Completed {
		complete = int64(len(views))
	}
	secs := run.End.Sub(run.Start).Seconds()
	cases := int64(len(views))
	return &perftest.ReportoutlineInfo{
		AvgResponseTime:     ratio(rt/float64(time.Millisecond), float64(reqs), 3),
		CompleteNum:         count(complete),
		Duration:            num(round(secs, 3)),
		EndTime:             timestamp(run.End),
		ExecutedNum:         count(cases),
		KPICaseCount:        count(kpiCases),
		KPICaseExecuteCount: count(kpiCases),
		KPICasePassCount:    count(kpiPassed),
		MaxUsers:            count(int64(maxUsers)),
		PassNum:             count(passed),
		StartTime:           timestamp(run.Start),
		SuccessRate:         ratio(100*float64(ok), float64(reqs), 2),
		TotalNum:            count(cases),
		TPS:                 ratio(float64(reqs), secs, 2),
	}
}

// respTimeRange renders the run's requests by response-time range as
// "percent%(count)", the percentage with one decimal.
func respTimeRange(views []*caseView) map[string]string {
	counts := make([]int64, len(metrics.RangeNames))
	for _, v := range views {
		for i, n := range v.reqs.Ranges {
			counts[i] += n
		}
	}
	return output.RespTimeRange(counts)
}

// perfcaseInfo collects what the API has no place for.
// orCase is a case's role in the report: its Role, or "case".
func orCase(role string) string {
	if role == "" {
		return "case"
	}
	return role
}

// customMetric renders a custom metric over a case that ran for d; each
// stat is the KPI grammar's (metrics.CustomKPI), so the report shows what
// a KPI on it judged.
func customMetric(caseName string, x *metrics.ExtraStats, d time.Duration) output.PerfcaseMetric {
	m := output.PerfcaseMetric{Case: caseName, Name: x.Name, Type: x.Kind.String(), Count: x.N, PerSecond: []*float64{}}
	stat := func(name string) *float64 {
		k, ok := metrics.CustomKPI(x.ExtraInfo, name)
		if !ok || x.N == 0 && name != "total" && name != "rate" {
			return nil
		}
		return num(round(k.OnExtra(x, d), 3))
	}
	m.Total, m.Rate, m.Value = stat("total"), stat("rate"), stat("value")
	m.Min, m.Max, m.Avg = stat("min"), stat("max"), stat("avg")
	m.TP50, m.TP90, m.TP95, m.TP99 = stat("tp50"), stat("tp90"), stat("tp95"), stat("tp99")
	for _, sec := range x.Seconds {
		switch {
		case x.Kind == metrics.Counter:
			m.PerSecond = append(m.PerSecond, num(x.Unit.Value(sec.Sum)))
		case sec.N == 0:
			m.PerSecond = append(m.PerSecond, nil)
		default:
			m.PerSecond = append(m.PerSecond, num(round(x.Unit.Value(sec.Sum)/float64(sec.N), 3)))
		}
	}
	return m
}

func perfcaseInfo(run *metrics.Run) output.PerfcaseInfo {
	p := output.PerfcaseInfo{
		RunID:    run.ID,
		Scenario: run.Name,
		File:     run.Source,
		Status:   statusName(run.Status),
		Reason:   run.Reason,
		Passed:   run.Verdict.Passed,
		Verdict:  run.Verdict.State.String(),
		ExitCode: run.Verdict.ExitCode(),
		KPIs:     []output.PerfcaseKPI{},
		Errors:   []output.PerfcaseError{},
		Stages:   []output.PerfcaseStage{},

		Cases:         []output.PerfcaseCase{},
		ProbeSteps:    []output.PerfcaseProbeStep{},
		ManualChanges: []output.PerfcaseChange{},
		SLATriggers:   []output.PerfcaseSLATrigger{},
		Rendezvous:    []output.PerfcaseRendezvous{},
		Connections:   []output.PerfcaseConnections{},
		Labels:        map[string]string{},
		CI:            output.PerfcaseCI(run.CI),
		Metrics:       []output.PerfcaseMetric{},
		SoftChecks:    []output.PerfcaseSoftCheck{},
	}
	maps.Copy(p.Labels, run.Labels)
	for i, c := range run.Cases {
		name := c.Stats.Name
		for _, k := range c.KPIs {
			p.KPIs = append(p.KPIs, output.PerfcaseKPI{Case: name, KPI: k.Source, Series: k.Series, Metric: k.Metric, Op: k.Op,
				Threshold: num(k.Threshold), Observed: num(k.Observed), Pass: k.Pass})
		}
		for _, s := range c.Stats.Series {
			for _, e := range s.Errors {
				p.Errors = append(p.Errors, output.PerfcaseError{Case: name, Series: s.Name, Kind: kindName(s.Kind),
					Outcome: e.Outcome.String(), Message: e.Message, Count: e.Count})
			}
		}
		for _, s := range c.Stats.Series {
			if s.Kind == metrics.KindRequest && s.Connects > 0 {
				p.Connections = append(p.Connections, output.PerfcaseConnections{Case: name, Series: s.Name, Opened: s.Connects,
					AvgConnectMS: ratio(float64(s.ConnectTime)/float64(time.Millisecond), float64(s.Connects), 3)})
			}
		}
		for _, x := range c.Stats.Extras {
			switch {
			case x.Custom:
				p.Metrics = append(p.Metrics, customMetric(name, x, c.Stats.Duration()))
			case x.Kind == metrics.Rate:
				p.SoftChecks = append(p.SoftChecks, output.PerfcaseSoftCheck{Case: name, Series: x.Series, Check: x.Name,
					Passed: x.Sum, Failed: x.N - x.Sum})
			}
		}
		for _, st := range c.Stages {
			p.Stages = append(p.Stages, output.PerfcaseStage{Case: name, Name: st.Name, Mode: st.Mode,
				Start: *timestamp(st.Start), End: *timestamp(st.End)})
		}
		pc := output.PerfcaseCase{Case: name, Role: orCase(c.Role), Verdict: caseVerdict(&run.Verdict.Cases[i]), LatencyFrom: latencyFrom(c),
			MissedStarts: c.Missed, TP99PerSecond: []*float64{}, Streaming: perfcaseStreaming(c.Stats), MQTT: perfcaseMQTT(c.Stats)}
		if c.RowsOut != "" {
			pc.RowsOut = &c.RowsOut
		}
		if r := c.Stats.Requests; r != nil {
			for _, sec := range r.Seconds {
				if sec.Count == 0 {
					pc.TP99PerSecond = append(pc.TP99PerSecond, nil)
				} else {
					pc.TP99PerSecond = append(pc.TP99PerSecond, ms(sec.P99.Duration()))
				}
			}
		}
		if pk := c.Peak; pk != nil {
			pc.Peak = &output.PerfcasePeak{Stage: pk.Stage, Time: *timestamp(pk.Time), VUs: pk.VUs,
				RPS: num(round(pk.RPS, 2)), TPS: num(round(pk.TPS, 2)), AvgRT: num(round(pk.AvgRT, 3)),
				SuccessRate: num(round(pk.SuccessRate, 2)), Reason: pk.Reason}
		}
		p.Cases = append(p.Cases, pc)
		for _, st := range c.Steps {
			p.ProbeSteps = append(p.ProbeSteps, output.PerfcaseProbeStep{Case: name, Stage: st.Stage,
				Start: *timestamp(st.Start), End: *timestamp(st.End), VUs: st.VUs,
				RPS: num(round(st.RPS, 2)), AvgRT: num(round(st.AvgRT, 3)), SuccessRate: num(round(st.SuccessRate, 2)),
				Good: st.Good, Reason: st.Reason})
		}
		for _, ch := range c.Changes {
			p.ManualChanges = append(p.ManualChanges, output.PerfcaseChange{Case: name, Time: *timestamp(ch.Time),
				Stage: ch.Stage, Target: ch.Target, By: ch.By})
		}
		for _, tr := range c.SLA {
			p.SLATriggers = append(p.SLATriggers, output.PerfcaseSLATrigger{Case: name, Time: *timestamp(tr.Time),
				Rule: tr.Rule, KPI: tr.KPI, Requests: append([]string{}, tr.Requests...),
				Observed: num(tr.Observed), Stopped: tr.Stopped})
		}
		for _, r := range rendezvousByName(c) {
			p.Rendezvous = append(p.Rendezvous, output.PerfcaseRendezvous{Case: name, Name: r.Name,
				Releases: r.Releases, Timeouts: r.Timeouts})
		}
	}
	return p
}

// caseVerdict is a case's verdict as the report spells it.
func caseVerdict(v *metrics.CaseVerdict) string {
	switch {
	case v.Failed:
		return "failed"
	case v.Unusable:
		return "unusable"
	}
	return "passed"
}

// latencyFrom is where the case's response times start; "send" when the
// runner did not say, as every closed model times.
func latencyFrom(c *metrics.CaseResult) string {
	if c.LatencyFrom == "" {
		return "send"
	}
	return c.LatencyFrom
}

// rendezvousByName is the case's rendezvous points sorted by name, so that
// the report does not depend on the order the runner collected them in.
func rendezvousByName(c *metrics.CaseResult) []metrics.RendezvousResult {
	return slices.SortedStableFunc(slices.Values(c.Rendezvous), func(a, b metrics.RendezvousResult) int {
		return strings.Compare(a.Name, b.Name)
	})
}

func statusName(s metrics.Status) string {
	switch s {
	case metrics.Completed:
		return "completed"
	case metrics.Interrupted:
		return "interrupted"
	case metrics.Aborted:
		return "aborted"
	case metrics.StoppedBySLA:
		return "stopped_by_sla"
	}
	return "unknown"
}

func kindName(k metrics.Kind) string {
	switch k {
	case metrics.KindRequest:
		return "request"
	case metrics.KindTransaction:
		return "transaction"
	case metrics.KindCase:
		return "case"
	}
	return "unknown"
}

// addSeconds adds src into dst starting at dst[off], growing dst as needed.
func addSeconds(dst []metrics.Counts, off int, src []metrics.Second) []metrics.Counts {
	for len(dst) < off+len(src) {
		dst = append(dst, metrics.Counts{})
	}
	for k := range src {
		dst[off+k].Add(&src[k])
	}
	return dst
}

// maxCount is the largest count of any one second.
func maxCount(secs []metrics.Counts) int64 {
	var m int64
	for _, s := range secs {
		m = max(m, s.Count)
	}
	return m
}

// traffic returns the average over secs seconds, the highest and the
// lowest second of bytes sent plus received, in KB/s (1 KB = 1000 bytes,
// as the 4.6.4 example's avgNetworkTraffic works out).
func traffic(wire []metrics.Counts, secs float64) (avg, hi, lo *float64) {
	if len(wire) == 0 {
		return nil, nil, nil
	}
	var sum int64
	maxB, minB := int64(math.MinInt64), int64(math.MaxInt64)
	for _, s := range wire {
		b := s.Sent + s.Recv
		sum += b
		maxB, minB = max(maxB, b), min(minB, b)
	}
	return ratio(float64(sum)/1000, secs, 3), num(float64(maxB) / 1000), num(float64(minB) / 1000)
}

// ms is a duration in milliseconds, to the microsecond.
func ms(d time.Duration) *float64 { return num(millis3(d)) }

// ratio is a/b rounded to places decimals; null when b is 0, where the
// ratio means nothing.
func ratio(a, b float64, places int) *float64 {
	if b == 0 {
		return nil
	}
	return num(round(a/b, places))
}

func round(x float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(x*p) / p
}

// num boxes a number; null when it is not finite, which JSON cannot hold.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func count(n int64) *float64 { return num(float64(n)) }

func str(s string) *string { return &s }

func boolp(b bool) *bool { return &b }

func datum(d int) *int { return &d }

func timestamp(t time.Time) *string { return str(t.Format(timeLayout)) }
