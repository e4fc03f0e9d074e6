package perftest

import (
	"bytes"
	"encoding/json"
)

// This file holds the JSON types of the CodeArts PerfTest report API
// (reference §4.6): ShowReport's ReportInfo (4.6.1), the AW chart (4.6.3),
// the case detail (4.6.4) and the task's case list (4.6.5). Field names are
// the tables' spellings, not the response examples': the examples misspell
// a few names (see exampleSpellings), so decoding accepts both and encoding
// writes the tables' names only.
//
// Every scalar field is a pointer and every field is written, null
// included: the API writes nulls rather than omitting keys, and a pointer
// keeps a null apart from a zero through a decode and re-encode. Numbers
// follow the tables' types, except that CaseReportDetail's measurements
// are float64 although table 4-258 types many of them Integer: its own
// example and table 4-234 carry fractions in the same fields (successRate
// 99.95, avgRecBytes 10472.43), and perfcase reports milliseconds with
// microsecond precision. Its codes (datumType, round, stage, status,
// result, taskStatus) stay integers.

// Response is the report API's envelope around a result.
type Response[T any] struct {
	Code    string `json:"code"`    // "SVCSTG.CPTS.0000000" on success
	Message string `json:"message"` // "success"
	Extend  any    `json:"extend"`  // null in every example
	Result  T      `json:"result"`
}

// ReportInfo is ShowReport's result (table 4-226): one task run's charts,
// statistics table and summary.
type ReportInfo struct {
	Brokens      *ReportbrokensInfo `json:"brokens"`
	Details      *ReportdetailsInfo `json:"details"`
	Outline      *ReportoutlineInfo `json:"outline"`
	Rtproportion *string            `json:"rtproportion"`
	TaskInfo     *ReportTaskInfo    `json:"taskInfo"`
	// RespTimeRange maps each range of metrics.RangeNames to
	// "percent%(count)", e.g. "0~50ms": "100.0%(2472)".
	RespTimeRange map[string]string `json:"respTimeRange"`
}

// ReportbrokensInfo holds the per-second series ("broken lines") of
// table 4-227; every array has one entry per entry of CommonTimeStamps.
type ReportbrokensInfo struct {
	BrandBrokens     *BrandBrokens    `json:"brand_brokens"`
	CommonTimeStamps []string         `json:"commonTimeStamps"`
	RespcodeBrokens  *RespcodeBrokens `json:"respcode_brokens"`
	TpsBrokens       *TpsBrokens      `json:"tps_brokens"`
	VusersBrokens    *VusersBrokens   `json:"vusers_brokens"`
	// Table 4-226 has no streaming series; the AW chart's (4-247) are
	// spelled so. perfcase writes them here, on the run's timeline, and
	// null when no case streams.
	RtmpBrokenS           *RtmpBrokens           `json:"rtmp_broken_s"`
	StreamingErrorBrokenS *StreamingErrorBrokens `json:"streaming_error_broken_s"`
}

// UnmarshalJSON accepts the example's "vusers_broken" for "vusers_brokens".
func (b *ReportbrokensInfo) UnmarshalJSON(data []byte) error {
	type plain ReportbrokensInfo
	return unmarshalRespelled(data, (*plain)(b))
}

// BrandBrokens is bandwidth per second (table 4-228): bytes received and
// sent.
type BrandBrokens struct {
	RecBytes  []float64 `json:"recBytes"`
	SentBytes []float64 `json:"sentBytes"`
}

// RespcodeBrokens is the outcome of samples per second (table 4-229);
// Error counts every failure, whatever its bucket.
type RespcodeBrokens struct {
	CheckPointFailed []float64 `json:"checkPointFailed"`
	Error            []float64 `json:"error"`
	OthersFailed     []float64 `json:"othersFailed"`
	ParsedFailed     []float64 `json:"parsedFailed"`
	RefusedFailed    []float64 `json:"refusedFailed"`
	Success          []float64 `json:"success"`
	Timeout          []float64 `json:"timeout"`
}

// TpsBrokens is throughput and average response time per second
// (table 4-230).
type TpsBrokens struct {
	Average []float64 `json:"average"`
	TPS     []float64 `json:"tps"`
}

// VusersBrokens is the number of virtual users per second (table 4-231).
type VusersBrokens struct {
	Vusers []float64 `json:"vusers"`
}

// ReportdetailsInfo is one page of the statistics table (table 4-232).
type ReportdetailsInfo struct {
	Data      []ReportdetailItemInfo `json:"data"`
	PageIndex int                    `json:"pageIndex"`
	PageSize  int                    `json:"pageSize"`
	Total     int                    `json:"total"`
}

// ReportdetailItemInfo is one case's rows of the statistics table
// (table 4-233). The table types CustomTransactions "Array of strings",
// but the same list in table 4-257 holds row objects, and a transaction's
// statistics are a row like any other, so it holds DetailDataInfo here.
type ReportdetailItemInfo struct {
	CustomTransactions []DetailDataInfo `json:"customTransactions"`
	DetailDatas        []DetailDataInfo `json:"detailDatas"`
	Performance        *PerformanceInfo `json:"performance"`
}

// UnmarshalJSON accepts the example's "detailDats" for "detailDatas".
func (d *ReportdetailItemInfo) UnmarshalJSON(data []byte) error {
	type plain ReportdetailItemInfo
	return unmarshalRespelled(data, (*plain)(d))
}

// DetailDataInfo is one request's (AW's) or transaction's row of the
// statistics table (table 4-234). It is PerformanceInfo without tp999 and
// tp9999, which is why the two are separate types.
type DetailDataInfo struct {
	AverageRespTime          *float64 `json:"averageRespTime"`
	AvgRecBytes              *float64 `json:"avgRecBytes"`
	AvgSentBytes             *float64 `json:"avgSentBytes"`
	AvgTranRespTime          *float64 `json:"avgTranRespTime"`
	CaseURI                  *string  `json:"caseUri"`
	CreateTime               *string  `json:"createTime"`
	CurrentThreadNum         *float64 `json:"currentThreadNum"`
	DetailID                 *string  `json:"detailId"`
	EndTime                  *string  `json:"endTime"`
	ErrorCount               *float64 `json:"errorCount"`
	ErrorEventsCount         *float64 `json:"errorEventsCount"`
	FailedAssert             *float64 `json:"failedAssert"`
	FailedOthers             *float64 `json:"failedOthers"`
	FailedParsed             *float64 `json:"failedParsed"`
	FailedRefused            *float64 `json:"failedRefused"`
	FailedTimeout            *float64 `json:"failedTimeout"`
	ID                       *string  `json:"id"`
	IsAW                     *bool    `json:"isAW"`
	Max                      *float64 `json:"max"`
	MaxRecBytes              *float64 `json:"maxRecBytes"`
	MaxRespTime              *float64 `json:"maxRespTime"`
	MaxSentBytes             *float64 `json:"maxSentBytes"`
	MaxTranRespTime          *float64 `json:"maxTranRespTime"`
	Min                      *float64 `json:"min"`
	MinNetworkTraffic        *float64 `json:"minNetworkTraffic"`
	Name                     *string  `json:"name"`
	Requests                 *float64 `json:"requests"`
	Result                   *float64 `json:"result"`
	StartTime                *string  `json:"startTime"`
	Status                   *float64 `json:"status"`
	SuccessCount             *float64 `json:"successCount"`
	SuccessRate              *float64 `json:"successRate"`
	Sum1xx                   *float64 `json:"sum1xx"`
	Sum2xx                   *float64 `json:"sum2xx"`
	Sum3xx                   *float64 `json:"sum3xx"`
	Sum4xx                   *float64 `json:"sum4xx"`
	Sum5xx                   *float64 `json:"sum5xx"`
	TaskID                   *string  `json:"taskId"`
	TaskProjectID            *string  `json:"taskProjectId"`
	TaskStatus               *float64 `json:"taskStatus"`
	TestCaseURI              *string  `json:"testCaseUri"`
	Tp50                     *float64 `json:"tp50"`
	Tp75                     *float64 `json:"tp75"`
	Tp90                     *float64 `json:"tp90"`
	Tp95                     *float64 `json:"tp95"`
	Tp99                     *float64 `json:"tp99"`
	TPS                      *float64 `json:"tps"`
	TranTPS                  *float64 `json:"tranTPS"`
	TransactionID            *string  `json:"transactionId"`
	TransactionSuccess       *float64 `json:"transactionSuccess"`
	TransactionalSuccessRate *float64 `json:"transactionalSuccessRate"`
	TransactionalTPS         *float64 `json:"transactionalTPS"`
	TransactionalTPSSuccess  *float64 `json:"transactionalTPSSuccess"`
	Transactions             *float64 `json:"transactions"`
	UpdateTime               *string  `json:"updateTime"`
	Vum                      *float64 `json:"vum"`
	AvgNetworkTraffic        *float64 `json:"avgNetworkTraffic"`
	MaxNetworkTraffic        *float64 `json:"maxNetworkTraffic"`
}

// UnmarshalJSON accepts the example's "transactionalTps" and
// "transactionalTpsSuccess".
func (d *DetailDataInfo) UnmarshalJSON(data []byte) error {
	type plain DetailDataInfo
	return unmarshalRespelled(data, (*plain)(d))
}

// PerformanceInfo is a case's row of the statistics table (table 4-235).
type PerformanceInfo struct {
	AverageRespTime          *float64 `json:"averageRespTime"`
	AvgNetworkTraffic        *float64 `json:"avgNetworkTraffic"`
	AvgRecBytes              *float64 `json:"avgRecBytes"`
	AvgSentBytes             *float64 `json:"avgSentBytes"`
	AvgTranRespTime          *float64 `json:"avgTranRespTime"`
	CaseURI                  *string  `json:"caseUri"`
	CreateTime               *string  `json:"createTime"`
	CurrentThreadNum         *float64 `json:"currentThreadNum"`
	DetailID                 *string  `json:"detailId"`
	EndTime                  *string  `json:"endTime"`
	ErrorCount               *float64 `json:"errorCount"`
	ErrorEventsCount         *float64 `json:"errorEventsCount"`
	FailedAssert             *float64 `json:"failedAssert"`
	FailedOthers             *float64 `json:"failedOthers"`
	FailedParsed             *float64 `json:"failedParsed"`
	FailedRefused            *float64 `json:"failedRefused"`
	FailedTimeout            *float64 `json:"failedTimeout"`
	ID                       *string  `json:"id"`
	IsAW                     *bool    `json:"isAW"`
	Max                      *float64 `json:"max"`
	MaxNetworkTraffic        *float64 `json:"maxNetworkTraffic"`
	MaxRecBytes              *float64 `json:"maxRecBytes"`
	MaxRespTime              *float64 `json:"maxRespTime"`
	MaxSentBytes             *float64 `json:"maxSentBytes"`
	MaxTranRespTime          *float64 `json:"maxTranRespTime"`
	Min                      *float64 `json:"min"`
	MinNetworkTraffic        *float64 `json:"minNetworkTraffic"`
	Name                     *string  `json:"name"`
	Requests                 *float64 `json:"requests"`
	Result                   *float64 `json:"result"`
	StartTime                *string  `json:"startTime"`
	Status                   *float64 `json:"status"`
	SuccessCount             *float64 `json:"successCount"`
	SuccessRate              *float64 `json:"successRate"`
	Sum1xx                   *float64 `json:"sum1xx"`
	Sum2xx                   *float64 `json:"sum2xx"`
	Sum3xx                   *float64 `json:"sum3xx"`
	Sum4xx                   *float64 `json:"sum4xx"`
	Sum5xx                   *float64 `json:"sum5xx"`
	TaskID                   *string  `json:"taskId"`
	TaskProjectID            *string  `json:"taskProjectId"`
	TaskStatus               *float64 `json:"taskStatus"`
	TestCaseURI              *string  `json:"testCaseUri"`
	Tp50                     *float64 `json:"tp50"`
	Tp75                     *float64 `json:"tp75"`
	Tp90                     *float64 `json:"tp90"`
	Tp95                     *float64 `json:"tp95"`
	Tp99                     *float64 `json:"tp99"`
	Tp999                    *float64 `json:"tp999"`
	Tp9999                   *float64 `json:"tp9999"`
	TPS                      *float64 `json:"tps"`
	TranTPS                  *float64 `json:"tranTPS"`
	TransactionID            *string  `json:"transactionId"`
	TransactionSuccess       *float64 `json:"transactionSuccess"`
	TransactionalSuccessRate *float64 `json:"transactionalSuccessRate"`
	TransactionalTPS         *float64 `json:"transactionalTPS"`
	TransactionalTPSSuccess  *float64 `json:"transactionalTPSSuccess"`
	Transactions             *float64 `json:"transactions"`
	UpdateTime               *string  `json:"updateTime"`
	Vum                      *float64 `json:"vum"`
}

// UnmarshalJSON accepts the example's "transactionalTps" and
// "transactionalTpsSuccess".
func (p *PerformanceInfo) UnmarshalJSON(data []byte) error {
	type plain PerformanceInfo
	return unmarshalRespelled(data, (*plain)(p))
}

// ReportoutlineInfo is the run's summary (table 4-236).
type ReportoutlineInfo struct {
	AvgResponseTime     *float64 `json:"avgResponseTime"`
	BranchID            *string  `json:"branchId"`
	BranchName          *string  `json:"branchName"`
	CaseRetry           *float64 `json:"caseRetry"`
	CompleteNum         *float64 `json:"completeNum"`
	Duration            *float64 `json:"duration"`
	EndTime             *string  `json:"endTime"`
	ExecutedNum         *float64 `json:"executedNum"`
	IterationURI        *string  `json:"iterationUri"`
	KPICaseCount        *float64 `json:"kpiCaseCount"`
	KPICaseExecuteCount *float64 `json:"kpiCaseExecuteCount"`
	KPICasePassCount    *float64 `json:"kpiCasePassCount"`
	MaxUsers            *float64 `json:"maxUsers"`
	PassNum             *float64 `json:"passNum"`
	Stage               *float64 `json:"stage"`
	StageName           *string  `json:"stageName"`
	StartTime           *string  `json:"startTime"`
	SuccessRate         *float64 `json:"successRate"`
	TaskStatus          *float64 `json:"taskStatus"`
	TotalNum            *float64 `json:"totalNum"`
	TPS                 *float64 `json:"tps"`
	VersionURI          *string  `json:"versionUri"`
	ProjectID           *string  `json:"projectId"`
	ServiceID           *string  `json:"serviceId"`
	ProgressState       *string  `json:"progressState"`
	CreateBy            *string  `json:"createBy"`
	StatusValue         *string  `json:"statusValue"`
}

// UnmarshalJSON accepts the example's "servicelId" for "serviceId".
func (o *ReportoutlineInfo) UnmarshalJSON(data []byte) error {
	type plain ReportoutlineInfo
	return unmarshalRespelled(data, (*plain)(o))
}

// ReportTaskInfo is the task's billing figure (table 4-237).
type ReportTaskInfo struct {
	Vum *float64 `json:"vum"` // VU-minutes
}

// TaskCaseAwChartResult is one request's (AW's) charts (table 4-246).
type TaskCaseAwChartResult struct {
	BrokenList    *BrokenList       `json:"broken_list"`
	ErrMessage    *string           `json:"err_message"`
	RespTimeRange map[string]string `json:"resp_time_range"`
}

// BrokenList is the AW chart's per-second series (table 4-247). Its names
// differ from ReportbrokensInfo's ("brand_broken_s"); the table spells
// them so.
type BrokenList struct {
	BrandBrokenS          *BrandBrokens          `json:"brand_broken_s"`
	CommonTimeStamps      []string               `json:"commonTimeStamps"`
	PerformanceLoad       any                    `json:"performance_load"` // peak probing; the table gives no shape
	RespcodeBrokenS       *RespcodeBrokens       `json:"respcode_broken_s"`
	RtmpBrokenS           *RtmpBrokens           `json:"rtmp_broken_s"`
	StreamingErrorBrokenS *StreamingErrorBrokens `json:"streaming_error_broken_s"`
	TpsBrokenS            *TpsBrokens            `json:"tps_broken_s"`
	VusersBrokenS         *VusersBrokens         `json:"vusers_broken_s"`
}

// RtmpBrokens is RTMP traffic per second (table 4-250).
type RtmpBrokens struct {
	AudioRecBytes       []float64 `json:"audioRecBytes"`
	AudioSentBytes      []float64 `json:"audioSentBytes"`
	RtmpReceivedPackets []float64 `json:"rtmpReceivedPackets"`
	RtmpSentPackets     []float64 `json:"rtmpSentPackets"`
	VideoRecBytes       []float64 `json:"videoRecBytes"`
	VideoSentBytes      []float64 `json:"videoSentBytes"`
}

// StreamingErrorBrokens is streaming-media failures per second
// (table 4-251).
type StreamingErrorBrokens struct {
	CreateStreamFailed []float64 `json:"createStreamFailed"`
	HandShakeFailed    []float64 `json:"handShakeFailed"`
	ParseFileFailed    []float64 `json:"parseFileFailed"`
	ParseFlvFileFailed []float64 `json:"parseFlvFileFailed"`
	PlayFailed         []float64 `json:"playFailed"`
	PublishFailed      []float64 `json:"publishFailed"`
	RetryFailed        []float64 `json:"retryFailed"`
	RtmpConnectFailed  []float64 `json:"rtmpConnectFailed"`
	TCPConnectFailed   []float64 `json:"tcpConnectFailed"`
}

// CaseReportDetailResult is one case's detail (table 4-256).
type CaseReportDetailResult struct {
	Detail     *CaseReportDetails `json:"detail"`
	ErrMessage *string            `json:"err_message"`
}

// CaseReportDetails is one case's rows (table 4-257): its passes, its
// requests (AWs) and its transactions.
type CaseReportDetails struct {
	CustomTransactions []CaseReportDetail `json:"customTransactions"`
	DetailDatas        []CaseReportDetail `json:"detailDatas"`
	Performance        *CaseReportDetail  `json:"performance"`
}

// CaseReportDetail is one row of a case's detail (table 4-258): the
// statistics of a case, request or transaction and, for each KPI the
// service can judge, its threshold (…CheckPoint) and verdict (…CheckRes).
// The fields are the table's, in its order.
type CaseReportDetail struct {
	MaxSuccessRateCheckPoint  *float64              `json:"MaxSuccessRateCheckPoint"`
	Alias                     *string               `json:"alias"`
	AverageRespTime           *float64              `json:"averageRespTime"`
	AverageRespTimeCheckPoint *float64              `json:"averageRespTimeCheckPoint"`
	AverageRespTimeCheckRes   *bool                 `json:"averageRespTimeCheckRes"`
	AvgNetworkTraffic         *float64              `json:"avgNetworkTraffic"`
	AvgRecBytes               *float64              `json:"avgRecBytes"`
	AvgRecBytesCheckPoint     *float64              `json:"avgRecBytesCheckPoint"`
	AvgRecBytesCheckRes       *bool                 `json:"avgRecBytesCheckRes"`
	AvgSentBytes              *float64              `json:"avgSentBytes"`
	AvgSentBytesCheckPoint    *float64              `json:"avgSentBytesCheckPoint"`
	AvgSentBytesCheckRes      *bool                 `json:"avgSentBytesCheckRes"`
	AvgTranRespTime           *float64              `json:"avgTranRespTime"`
	AvgTranRespTimeCheckPoint *float64              `json:"avgTranRespTimeCheckPoint"`
	AvgTranRespTimeCheckRes   *bool                 `json:"avgTranRespTimeCheckRes"`
	AwID                      *string               `json:"awId"`
	CaseURI                   *string               `json:"caseUri"`
	CheckpointResult          *bool                 `json:"checkpointResult"`
	CPUUsage                  *float64              `json:"cpuUsage"`
	CPUUsageAvg               *float64              `json:"cpuUsageAvg"`
	CPUUsageAvgCheckPoint     *float64              `json:"cpuUsageAvgCheckPoint"`
	CPUUsageAvgCheckRes       *bool                 `json:"cpuUsageAvgCheckRes"`
	CPUUsageCheckPoint        *float64              `json:"cpuUsageCheckPoint"`
	CPUUsageCheckRes          *bool                 `json:"cpuUsageCheckRes"`
	CreateTime                *string               `json:"createTime"`
	CurrentThreadNum          *float64              `json:"currentThreadNum"`
	DatumType                 *int                  `json:"datumType"`
	DCSLatencyAvg             *float64              `json:"dcsLatencyAvg"`
	DCSLatencyAvgCheckPoint   *float64              `json:"dcsLatencyAvgCheckPoint"`
	DCSLatencyAvgCheckRes     *bool                 `json:"dcsLatencyAvgCheckRes"`
	DCSLatencyMax             *float64              `json:"dcsLatencyMax"`
	DCSLatencyMaxCheckPoint   *float64              `json:"dcsLatencyMaxCheckPoint"`
	DCSLatencyMaxCheckRes     *bool                 `json:"dcsLatencyMaxCheckRes"`
	DCSLatencyMin             *float64              `json:"dcsLatencyMin"`
	DCSLatencyMinCheckPoint   *float64              `json:"dcsLatencyMinCheckPoint"`
	DCSLatencyMinCheckRes     *bool                 `json:"dcsLatencyMinCheckRes"`
	DetailID                  *string               `json:"detailId"`
	DiskRead                  *float64              `json:"diskRead"`
	DiskReadAvg               *float64              `json:"diskReadAvg"`
	DiskReadAvgCheckPoint     *float64              `json:"diskReadAvgCheckPoint"`
	DiskReadAvgCheckRes       *bool                 `json:"diskReadAvgCheckRes"`
	DiskReadCheckPoint        *float64              `json:"diskReadCheckPoint"`
	DiskReadCheckRes          *bool                 `json:"diskReadCheckRes"`
	DiskUsage                 *float64              `json:"diskUsage"`
	DiskUsageAvg              *float64              `json:"diskUsageAvg"`
	DiskUsageAvgCheckPoint    *float64              `json:"diskUsageAvgCheckPoint"`
	DiskUsageAvgCheckRes      *bool                 `json:"diskUsageAvgCheckRes"`
	DiskUsageCheckPoint       *float64              `json:"diskUsageCheckPoint"`
	DiskUsageCheckRes         *bool                 `json:"diskUsageCheckRes"`
	DiskWrite                 *float64              `json:"diskWrite"`
	DiskWriteAvg              *float64              `json:"diskWriteAvg"`
	DiskWriteAvgCheckPoint    *float64              `json:"diskWriteAvgCheckPoint"`
	DiskWriteAvgCheckRes      *bool                 `json:"diskWriteAvgCheckRes"`
	DiskWriteCheckPoint       *float64              `json:"diskWriteCheckPoint"`
	DiskWriteCheckRes         *bool                 `json:"diskWriteCheckRes"`
	Duration                  *float64              `json:"duration"`
	EndTime                   *string               `json:"endTime"`
	ErrorCount                *float64              `json:"errorCount"`
	ErrorEventsCount          *float64              `json:"errorEventsCount"`
	FailedAssert              *float64              `json:"failedAssert"`
	FailedOthers              *float64              `json:"failedOthers"`
	FailedParsed              *float64              `json:"failedParsed"`
	FailedReason              *string               `json:"failedReason"`
	FailedRefused             *float64              `json:"failedRefused"`
	FailedTimeout             *float64              `json:"failedTimeout"`
	ID                        *string               `json:"id"`
	IsAW                      *bool                 `json:"isAW"`
	IterationURI              *string               `json:"iterationUri"`
	KPIMonitor                *string               `json:"kpiMonitor"`
	Max                       *float64              `json:"max"`
	MaxAvgTime                *float64              `json:"maxAvgTime"`
	MaxAvgTimeCheckPoint      *float64              `json:"maxAvgTimeCheckPoint"`
	MaxAvgTimeCheckRes        *bool                 `json:"maxAvgTimeCheckRes"`
	MaxNetworkTraffic         *float64              `json:"maxNetworkTraffic"`
	MaxRecBytes               *float64              `json:"maxRecBytes"`
	MaxRecBytesCheckPoint     *float64              `json:"maxRecBytesCheckPoint"`
	MaxRecBytesCheckRes       *bool                 `json:"maxRecBytesCheckRes"`
	MaxRespTime               *float64              `json:"maxRespTime"`
	MaxRespTimeCheckPoint     *float64              `json:"maxRespTimeCheckPoint"`
	MaxRespTimeCheckRes       *bool                 `json:"maxRespTimeCheckRes"`
	MaxRPS                    *float64              `json:"maxRps"`
	MaxSentBytes              *float64              `json:"maxSentBytes"`
	MaxSentBytesCheckPoint    *float64              `json:"maxSentBytesCheckPoint"`
	MaxSentBytesCheckRes      *bool                 `json:"maxSentBytesCheckRes"`
	MaxSuccessRate            *float64              `json:"maxSuccessRate"`
	MaxSuccessRateCheckRes    *bool                 `json:"maxSuccessRateCheckRes"`
	MaxThreadNum              *float64              `json:"maxThreadNum"`
	MaxThreadNumCheckPoint    *float64              `json:"maxThreadNumCheckPoint"`
	MaxThreadNumCheckRes      *bool                 `json:"maxThreadNumCheckRes"`
	MaxTPS                    *float64              `json:"maxTps"`
	MaxTPSCheckPoint          *float64              `json:"maxTpsCheckPoint"`
	MaxTPSCheckRes            *bool                 `json:"maxTpsCheckRes"`
	MaxTranRespTime           *float64              `json:"maxTranRespTime"`
	MaxTranRespTimeCheckPoint *float64              `json:"maxTranRespTimeCheckPoint"`
	MaxTranRespTimeCheckRes   *bool                 `json:"maxTranRespTimeCheckRes"`
	MemoryUsage               *float64              `json:"memoryUsage"`
	MemoryUsageAvg            *float64              `json:"memoryUsageAvg"`
	MemoryUsageAvgCheckPoint  *float64              `json:"memoryUsageAvgCheckPoint"`
	MemoryUsageAvgCheckRes    *bool                 `json:"memoryUsageAvgCheckRes"`
	MemoryUsageCheckPoint     *float64              `json:"memoryUsageCheckPoint"`
	MemoryUsageCheckRes       *bool                 `json:"memoryUsageCheckRes"`
	Min                       *float64              `json:"min"`
	MinNetworkTraffic         *float64              `json:"minNetworkTraffic"`
	Mode                      *string               `json:"mode"`
	MonitorPeakTime           *float64              `json:"monitorPeakTime"`
	MonitorPeakTimeCheckPoint *float64              `json:"monitorPeakTimeCheckPoint"`
	MonitorPeakTimeCheckRes   *bool                 `json:"monitorPeakTimeCheckRes"`
	MonitorResult             *float64              `json:"monitorResult"`
	MonitorResultCheckPoint   *float64              `json:"monitorResultCheckPoint"`
	MonitorResultCheckRes     *bool                 `json:"monitorResultCheckRes"`
	Name                      *string               `json:"name"`
	NetworkRead               *float64              `json:"networkRead"`
	NetworkReadAvg            *float64              `json:"networkReadAvg"`
	NetworkReadAvgCheckPoint  *float64              `json:"networkReadAvgCheckPoint"`
	NetworkReadAvgCheckRes    *bool                 `json:"networkReadAvgCheckRes"`
	NetworkReadCheckPoint     *float64              `json:"networkReadCheckPoint"`
	NetworkReadCheckRes       *bool                 `json:"networkReadCheckRes"`
	NetworkWrite              *float64              `json:"networkWrite"`
	NetworkWriteAvg           *float64              `json:"networkWriteAvg"`
	NetworkWriteAvgCheckPoint *float64              `json:"networkWriteAvgCheckPoint"`
	NetworkWriteAvgCheckRes   *bool                 `json:"networkWriteAvgCheckRes"`
	NetworkWriteCheckPoint    *float64              `json:"networkWriteCheckPoint"`
	NetworkWriteCheckRes      *bool                 `json:"networkWriteCheckRes"`
	PeakLoadStatus            *float64              `json:"peakLoadStatus"`
	PeakLoadStatusCheckPoint  *float64              `json:"peakLoadStatusCheckPoint"`
	PeakLoadStatusCheckRes    *bool                 `json:"peakLoadStatusCheckRes"`
	PeakMetric                *PeakMetric           `json:"peakMetric"`
	ProjectID                 *string               `json:"projectId"`
	Protocols                 []string              `json:"protocols"`
	Requests                  *float64              `json:"requests"`
	Result                    *int                  `json:"result"`
	ResultLog                 *string               `json:"resultLog"`
	Round                     *int                  `json:"round"`
	SaveAllData               *bool                 `json:"saveAllData"`
	ServiceID                 *string               `json:"serviceId"`
	Stage                     *int                  `json:"stage"`
	StartTime                 *string               `json:"startTime"`
	Status                    *int                  `json:"status"`
	StreamingMediaVo          *StreamingMediaReport `json:"streamingMediaVo"`
	SuccessCount              *float64              `json:"successCount"`
	SuccessRate               *float64              `json:"successRate"`
	SuccessRateCheckPoint     *float64              `json:"successRateCheckPoint"`
	SuccessRateCheckRes       *bool                 `json:"successRateCheckRes"`
	Sum1xx                    *float64              `json:"sum1xx"`
	Sum2xx                    *float64              `json:"sum2xx"`
	Sum3xx                    *float64              `json:"sum3xx"`
	Sum4xx                    *float64              `json:"sum4xx"`
	Sum5xx                    *float64              `json:"sum5xx"`
	TaskID                    *string               `json:"taskId"`
	TaskName                  *string               `json:"taskName"`
	TaskProjectID             *string               `json:"taskProjectId"`
	TaskStatus                *int                  `json:"taskStatus"`
	TestCaseURI               *string               `json:"testCaseUri"`
	Tp50                      *float64              `json:"tp50"`
	Tp50CheckPoint            *float64              `json:"tp50CheckPoint"`
	Tp50CheckRes              *bool                 `json:"tp50CheckRes"`
	Tp75                      *float64              `json:"tp75"`
	Tp75CheckPoint            *float64              `json:"tp75CheckPoint"`
	Tp75CheckRes              *bool                 `json:"tp75CheckRes"`
	Tp85                      *float64              `json:"tp85"`
	Tp85CheckPoint            *float64              `json:"tp85CheckPoint"`
	Tp85CheckRes              *bool                 `json:"tp85CheckRes"`
	Tp90                      *float64              `json:"tp90"`
	Tp90CheckPoint            *float64              `json:"tp90CheckPoint"`
	Tp90CheckRes              *bool                 `json:"tp90CheckRes"`
	Tp95                      *float64              `json:"tp95"`
	Tp95CheckPoint            *float64              `json:"tp95CheckPoint"`
	Tp95CheckRes              *bool                 `json:"tp95CheckRes"`
	Tp99                      *float64              `json:"tp99"`
	Tp999                     *float64              `json:"tp999"`
	Tp9999                    *float64              `json:"tp9999"`
	Tp9999CheckPoint          *float64              `json:"tp9999CheckPoint"`
	Tp9999CheckRes            *bool                 `json:"tp9999CheckRes"`
	Tp999CheckPoint           *float64              `json:"tp999CheckPoint"`
	Tp999CheckRes             *bool                 `json:"tp999CheckRes"`
	Tp99CheckPoint            *float64              `json:"tp99CheckPoint"`
	Tp99CheckRes              *bool                 `json:"tp99CheckRes"`
	TPS                       *float64              `json:"tps"`
	TPSCheckPoint             *float64              `json:"tpsCheckPoint"`
	TPSCheckRes               *bool                 `json:"tpsCheckRes"`
	TranTPS                   *float64              `json:"tranTPS"`
	TranTPSCheckPoint         *float64              `json:"tranTPSCheckPoint"`
	TranTPSCheckRes           *bool                 `json:"tranTPSCheckRes"`
	TransactionID             *string               `json:"transactionId"`
	TransactionSuccess        *float64              `json:"transactionSuccess"`
	Transactions              *float64              `json:"transactions"`
	TransactionsCheckPoint    *float64              `json:"transactionsCheckPoint"`
	TransactionsCheckRes      *bool                 `json:"transactionsCheckRes"`
	UpdateTime                *string               `json:"updateTime"`
	URL                       *string               `json:"url"`
	UserConcur                *float64              `json:"userConcur"`
	VersionURI                *string               `json:"versionUri"`
}

// UnmarshalJSON accepts the example's "serviceld" for "serviceId".
func (d *CaseReportDetail) UnmarshalJSON(data []byte) error {
	type plain CaseReportDetail
	return unmarshalRespelled(data, (*plain)(d))
}

// PeakMetric is the peak a probing stage found (table 4-259).
type PeakMetric struct {
	VUser       *int64   `json:"vuser"`
	RPS         *float64 `json:"rps"`
	AvgRT       *float64 `json:"avgRT"`
	SuccessRate *float64 `json:"successRate"`
	PeakTime    *string  `json:"peakTime"`
}

// StreamingMediaReport is a streaming-media case's figures (table 4-260).
type StreamingMediaReport struct {
	StreamingPlayTimes       *int64   `json:"streamingPlayTimes"`
	StreamingErrorTimes      *int64   `json:"streamingErrorTimes"`
	StreamingSuccessRate     *float64 `json:"streamingSuccessRate"`
	SentPacketsPerSecond     *float64 `json:"sentPacketsPerSecond"`
	ReceivedPacketsPerSecond *float64 `json:"receivedPacketsPerSecond"`
	RecvPackets              *float64 `json:"recvPackets"`
	SendPackets              *float64 `json:"sendPackets"`
	AudioSentBytes           *float64 `json:"audioSentBytes"`
	AudioRecBytes            *float64 `json:"audioRecBytes"`
	VideoSentBytes           *float64 `json:"videoSentBytes"`
	VideoRecBytes            *float64 `json:"videoRecBytes"`
	SumRecvKeyFrameDelay     *float64 `json:"sumRecvKeyFrameDelay"`
	AvgRecvKeyFrameDelay     *float64 `json:"avgRecvKeyFrameDelay"`
	MinRecvKeyFrameDelay     *float64 `json:"minRecvKeyFrameDelay"`
	MaxRecvKeyFrameDelay     *float64 `json:"maxRecvKeyFrameDelay"`
	SumSendKeyFrameDelay     *float64 `json:"sumSendKeyFrameDelay"`
	AvgSendKeyFrameDelay     *float64 `json:"avgSendKeyFrameDelay"`
	MinSendKeyFrameDelay     *float64 `json:"minSendKeyFrameDelay"`
	MaxSendKeyFrameDelay     *float64 `json:"maxSendKeyFrameDelay"`
	KeyFrameSendCnt          *float64 `json:"keyFrameSendCnt"`
	KeyFrameReceiveCnt       *float64 `json:"keyFrameReceiveCnt"`
	TCPConnectFailed         *float64 `json:"tcpConnectFailed"`
	HandShakeFailed          *float64 `json:"handShakeFailed"`
	RTMPConnectFailed        *float64 `json:"rtmpConnectFailed"`
	CreateStreamFailed       *float64 `json:"createStreamFailed"`
	PlayFailed               *float64 `json:"playFailed"`
	PublishFailed            *float64 `json:"publishFailed"`
	RetryFailed              *float64 `json:"retryFailed"`
	ParseFileFailed          *float64 `json:"parseFileFailed"`
	IllegalURLFailed         *float64 `json:"illegalUrlFailed"`
	IllegalFlvHeaderFailed   *float64 `json:"illegalFlvHeaderFailed"`
	HTTPTimeoutFailed        *float64 `json:"httpTimeoutFailed"`
	ParseFlvFileFailed       *float64 `json:"parseFlvFileFailed"`
	UnknownFailed            *float64 `json:"unknownFailed"`
}

// CaseReportSummary is the task report's list of cases (table 4-263).
type CaseReportSummary struct {
	CaseAwInfoList []CaseAwInfo `json:"case_aw_info_list"`
	ErrMessage     *string      `json:"err_message"`
}

// CaseAwInfo is one case of the list with its requests (AWs) and
// transactions (table 4-264).
type CaseAwInfo struct {
	Aw              []AwInfoDTO  `json:"aw"`
	AwList          []DetailItem `json:"awList"`
	CaseAwID        *string      `json:"caseAwId"`
	CaseURI         *string      `json:"caseUri"`
	CaseURII        *string      `json:"case_uri_i"`
	DatumType       *int         `json:"datumType"`
	ID              *string      `json:"id"`
	Name            *string      `json:"name"`
	TaskExecID      *string      `json:"taskExecId"`
	TaskID          *string      `json:"taskId"`
	TestcaseID      *string      `json:"testcaseId"`
	TransactionList []DetailItem `json:"transactionList"`
}

// AwInfoDTO names one request (AW) of a case (table 4-265).
type AwInfoDTO struct {
	Name      *string `json:"name"`
	ID        *string `json:"id"`
	DatumType *int    `json:"datumType"`
}

// DetailItem names one request or transaction of a case (table 4-266).
type DetailItem struct {
	CaseAwID      *string      `json:"caseAwId"`
	DatumType     *int         `json:"datumType"`
	Name          *string      `json:"name"`
	TransactionID *string      `json:"transactionId"`
	AwList        []DetailItem `json:"awList"`
}

// The datumType codes. The 4.6.4 and 4.6.5 examples give 0 for a request
// (AW) and 1 for a case; no example shows a transaction, so perfcase
// chooses 2.
const (
	DatumAW          = 0
	DatumCase        = 1
	DatumTransaction = 2
)

// exampleSpellings maps the names the reference's response examples use
// to the names its tables give. The tables are the contract; the examples
// are what a real service was seen to send, so both must decode.
var exampleSpellings = map[string]string{
	"detailDats":              "detailDatas",             // 4.6.1 ReportdetailItemInfo
	"vusers_broken":           "vusers_brokens",          // 4.6.1 ReportbrokensInfo
	"transactionalTps":        "transactionalTPS",        // 4.6.1 DetailDataInfo, PerformanceInfo
	"transactionalTpsSuccess": "transactionalTPSSuccess", // 4.6.1 DetailDataInfo, PerformanceInfo
	"servicelId":              "serviceId",               // 4.6.1 ReportoutlineInfo
	"serviceld":               "serviceId",               // 4.6.4 CaseReportDetail
}

// unmarshalRespelled decodes one JSON object into v after renaming the
// examples' spellings to the tables'. v must be a pointer to a type
// without this UnmarshalJSON, or decoding would recurse. When an object
// carries both spellings of a name, the table's wins.
func unmarshalRespelled(data []byte, v any) error {
	// Most documents (every report perfcase writes) carry no example
	// spelling: they are decoded once, not through a map first, which
	// halves the cost of reading a report.
	if !hasExampleSpelling(data) {
		return json.Unmarshal(data, v)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	renamed := false
	for from, to := range exampleSpellings {
		raw, ok := fields[from]
		if !ok {
			continue
		}
		if _, ok := fields[to]; !ok {
			fields[to] = raw
		}
		delete(fields, from)
		renamed = true
	}
	if renamed {
		var err error
		if data, err = json.Marshal(fields); err != nil {
			return err
		}
	}
	return json.Unmarshal(data, v)
}

// hasExampleSpelling reports whether data may hold a key spelled as an
// example spells it: it holds one of those names in quotes, as a key or
// (harmlessly) a value.
func hasExampleSpelling(data []byte) bool {
	for from := range exampleSpellings {
		if bytes.Contains(data, []byte(`"`+from+`"`)) {
			return true
		}
	}
	return false
}
