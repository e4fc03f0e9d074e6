package perftest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The reference's response examples, decoded into the Go types and
// re-encoded, must keep every field they carry: each key path of the
// original (its example spellings mapped to the tables') is present in the
// re-encoding with an equal value. This is the unknown-field check that
// json.Decoder.DisallowUnknownFields cannot make through the types'
// UnmarshalJSON methods.
func TestReportExamplesRoundTrip(t *testing.T) {
	tests := []struct {
		file string
		into any
	}{
		{"report-4.6.1.json", new(Response[ReportInfo])},
		{"case-detail-4.6.4.json", new(Response[CaseReportDetailResult])},
		{"case-list-4.6.5.json", new(Response[CaseReportSummary])},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var orig any
			if err := json.Unmarshal(data, &orig); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, tt.into); err != nil {
				t.Fatalf("decode: %v", err)
			}
			again, err := json.Marshal(tt.into)
			if err != nil {
				t.Fatal(err)
			}
			var got any
			if err := json.Unmarshal(again, &got); err != nil {
				t.Fatal(err)
			}
			covers(t, "$", orig, got)
			for from := range exampleSpellings {
				if bytes.Contains(again, []byte(`"`+from+`"`)) {
					t.Errorf("re-encoding writes the example spelling %q", from)
				}
			}
		})
	}
}

// covers reports every key path of want that got lacks or holds a
// different value at, mapping want's example spellings to the tables'.
func covers(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %v, want an object", path, got)
			return
		}
		for k, v := range w {
			name := k
			if to, ok := exampleSpellings[k]; ok {
				name = to
			}
			gv, ok := g[name]
			if !ok {
				t.Errorf("%s.%s: missing after the round trip", path, name)
				continue
			}
			covers(t, path+"."+name, v, gv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: got %v, want %d items", path, got, len(w))
			return
		}
		for i := range w {
			covers(t, path+"["+strconv.Itoa(i)+"]", w[i], g[i])
		}
	default:
		if want != got {
			t.Errorf("%s = %v after the round trip, want %v", path, got, want)
		}
	}
}

// The tables' spelling wins when an object carries both.
func TestTableSpellingWins(t *testing.T) {
	var o ReportoutlineInfo
	if err := json.Unmarshal([]byte(`{"servicelId": "old", "serviceId": "new"}`), &o); err != nil {
		t.Fatal(err)
	}
	if o.ServiceID == nil || *o.ServiceID != "new" {
		t.Errorf("serviceId = %v, want new", o.ServiceID)
	}
}

// The types' JSON names are the tables', transcribed here from the
// reference in the tables' order.
func TestFieldsMatchTables(t *testing.T) {
	tests := []struct {
		table string
		typ   any
		want  []string
	}{
		{"4-234 DetailDataInfo", DetailDataInfo{}, table4_234},
		{"4-235 PerformanceInfo", PerformanceInfo{}, table4_235},
		{"4-236 ReportoutlineInfo", ReportoutlineInfo{}, table4_236},
		{"4-258 CaseReportDetail", CaseReportDetail{}, table4_258},
	}
	for _, tt := range tests {
		got := jsonNames(reflect.TypeOf(tt.typ))
		if !slices.Equal(got, tt.want) {
			t.Errorf("table %s: fields\n%v\nwant\n%v", tt.table, got, tt.want)
		}
	}
}

func jsonNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		names = append(names, strings.Split(t.Field(i).Tag.Get("json"), ",")[0])
	}
	return names
}

// table4_258 is CaseReportDetail's field list, table 4-258 of the reference.
var table4_258 = []string{
	"MaxSuccessRateCheckPoint", "alias", "averageRespTime", "averageRespTimeCheckPoint",
	"averageRespTimeCheckRes", "avgNetworkTraffic", "avgRecBytes", "avgRecBytesCheckPoint",
	"avgRecBytesCheckRes", "avgSentBytes", "avgSentBytesCheckPoint", "avgSentBytesCheckRes",
	"avgTranRespTime", "avgTranRespTimeCheckPoint", "avgTranRespTimeCheckRes", "awId", "caseUri",
	"checkpointResult", "cpuUsage", "cpuUsageAvg", "cpuUsageAvgCheckPoint", "cpuUsageAvgCheckRes",
	"cpuUsageCheckPoint", "cpuUsageCheckRes", "createTime", "currentThreadNum", "datumType",
	"dcsLatencyAvg", "dcsLatencyAvgCheckPoint", "dcsLatencyAvgCheckRes", "dcsLatencyMax",
	"dcsLatencyMaxCheckPoint", "dcsLatencyMaxCheckRes", "dcsLatencyMin", "dcsLatencyMinCheckPoint",
	"dcsLatencyMinCheckRes", "detailId", "diskRead", "diskReadAvg", "diskReadAvgCheckPoint",
	"diskReadAvgCheckRes", "diskReadCheckPoint", "diskReadCheckRes", "diskUsage", "diskUsageAvg",
	"diskUsageAvgCheckPoint", "diskUsageAvgCheckRes", "diskUsageCheckPoint", "diskUsageCheckRes",
	"diskWrite", "diskWriteAvg", "diskWriteAvgCheckPoint", "diskWriteAvgCheckRes",
	"diskWriteCheckPoint", "diskWriteCheckRes", "duration", "endTime", "errorCount",
	"errorEventsCount", "failedAssert", "failedOthers", "failedParsed", "failedReason",
	"failedRefused", "failedTimeout", "id", "isAW", "iterationUri", "kpiMonitor", "max", "maxAvgTime",
	"maxAvgTimeCheckPoint", "maxAvgTimeCheckRes", "maxNetworkTraffic", "maxRecBytes",
	"maxRecBytesCheckPoint", "maxRecBytesCheckRes", "maxRespTime", "maxRespTimeCheckPoint",
	"maxRespTimeCheckRes", "maxRps", "maxSentBytes", "maxSentBytesCheckPoint", "maxSentBytesCheckRes",
	"maxSuccessRate", "maxSuccessRateCheckRes", "maxThreadNum", "maxThreadNumCheckPoint",
	"maxThreadNumCheckRes", "maxTps", "maxTpsCheckPoint", "maxTpsCheckRes", "maxTranRespTime",
	"maxTranRespTimeCheckPoint", "maxTranRespTimeCheckRes", "memoryUsage", "memoryUsageAvg",
	"memoryUsageAvgCheckPoint", "memoryUsageAvgCheckRes", "memoryUsageCheckPoint",
	"memoryUsageCheckRes", "min", "minNetworkTraffic", "mode", "monitorPeakTime",
	"monitorPeakTimeCheckPoint", "monitorPeakTimeCheckRes", "monitorResult",
	"monitorResultCheckPoint", "monitorResultCheckRes", "name", "networkRead", "networkReadAvg",
	"networkReadAvgCheckPoint", "networkReadAvgCheckRes", "networkReadCheckPoint",
	"networkReadCheckRes", "networkWrite", "networkWriteAvg", "networkWriteAvgCheckPoint",
	"networkWriteAvgCheckRes", "networkWriteCheckPoint", "networkWriteCheckRes", "peakLoadStatus",
	"peakLoadStatusCheckPoint", "peakLoadStatusCheckRes", "peakMetric", "projectId", "protocols",
	"requests", "result", "resultLog", "round", "saveAllData", "serviceId", "stage", "startTime",
	"status", "streamingMediaVo", "successCount", "successRate", "successRateCheckPoint",
	"successRateCheckRes", "sum1xx", "sum2xx", "sum3xx", "sum4xx", "sum5xx", "taskId", "taskName",
	"taskProjectId", "taskStatus", "testCaseUri", "tp50", "tp50CheckPoint", "tp50CheckRes", "tp75",
	"tp75CheckPoint", "tp75CheckRes", "tp85", "tp85CheckPoint", "tp85CheckRes", "tp90",
	"tp90CheckPoint", "tp90CheckRes", "tp95", "tp95CheckPoint", "tp95CheckRes", "tp99", "tp999",
	"tp9999", "tp9999CheckPoint", "tp9999CheckRes", "tp999CheckPoint", "tp999CheckRes",
	"tp99CheckPoint", "tp99CheckRes", "tps", "tpsCheckPoint", "tpsCheckRes", "tranTPS",
	"tranTPSCheckPoint", "tranTPSCheckRes", "transactionId", "transactionSuccess", "transactions",
	"transactionsCheckPoint", "transactionsCheckRes", "updateTime", "url", "userConcur", "versionUri",
}

// table4_234 is DetailDataInfo's field list.
var table4_234 = []string{
	"averageRespTime", "avgRecBytes", "avgSentBytes", "avgTranRespTime", "caseUri", "createTime",
	"currentThreadNum", "detailId", "endTime", "errorCount", "errorEventsCount", "failedAssert",
	"failedOthers", "failedParsed", "failedRefused", "failedTimeout", "id", "isAW", "max",
	"maxRecBytes", "maxRespTime", "maxSentBytes", "maxTranRespTime", "min", "minNetworkTraffic",
	"name", "requests", "result", "startTime", "status", "successCount", "successRate", "sum1xx",
	"sum2xx", "sum3xx", "sum4xx", "sum5xx", "taskId", "taskProjectId", "taskStatus", "testCaseUri",
	"tp50", "tp75", "tp90", "tp95", "tp99", "tps", "tranTPS", "transactionId", "transactionSuccess",
	"transactionalSuccessRate", "transactionalTPS", "transactionalTPSSuccess", "transactions",
	"updateTime", "vum", "avgNetworkTraffic", "maxNetworkTraffic",
}

// table4_235 is PerformanceInfo's: DetailDataInfo's plus tp999 and tp9999.
var table4_235 = []string{
	"averageRespTime", "avgNetworkTraffic", "avgRecBytes", "avgSentBytes", "avgTranRespTime",
	"caseUri", "createTime", "currentThreadNum", "detailId", "endTime", "errorCount",
	"errorEventsCount", "failedAssert", "failedOthers", "failedParsed", "failedRefused",
	"failedTimeout", "id", "isAW", "max", "maxNetworkTraffic", "maxRecBytes", "maxRespTime",
	"maxSentBytes", "maxTranRespTime", "min", "minNetworkTraffic", "name", "requests", "result",
	"startTime", "status", "successCount", "successRate", "sum1xx", "sum2xx", "sum3xx", "sum4xx",
	"sum5xx", "taskId", "taskProjectId", "taskStatus", "testCaseUri", "tp50", "tp75", "tp90", "tp95",
	"tp99", "tp999", "tp9999", "tps", "tranTPS", "transactionId", "transactionSuccess",
	"transactionalSuccessRate", "transactionalTPS", "transactionalTPSSuccess", "transactions",
	"updateTime", "vum",
}

// table4_236 is ReportoutlineInfo's.
var table4_236 = []string{
	"avgResponseTime", "branchId", "branchName", "caseRetry", "completeNum", "duration", "endTime",
	"executedNum", "iterationUri", "kpiCaseCount", "kpiCaseExecuteCount", "kpiCasePassCount",
	"maxUsers", "passNum", "stage", "stageName", "startTime", "successRate", "taskStatus", "totalNum",
	"tps", "versionUri", "projectId", "serviceId", "progressState", "createBy", "statusValue",
}
