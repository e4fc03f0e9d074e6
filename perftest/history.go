package perftest

// HistoryRunList is the answer of the task's report list (reference
// §4.6.2, table 4-240). Unlike the other report calls, its list sits
// beside code and message, with no result around it and no extend.
type HistoryRunList struct {
	Code    string           `json:"code"`
	Message string           `json:"message"`
	LogList []HistoryRunInfo `json:"log_list"`
}

// HistoryRunInfo is one run of the task (table 4-241). The table types
// run_id, run_type and continue_time Double; the example writes whole
// numbers.
type HistoryRunInfo struct {
	Name         *string    `json:"name"`
	RunID        *float64   `json:"run_id"`
	RunType      *float64   `json:"run_type"` // 0 a task of the old version, 1 of the new
	StartTime    *string    `json:"start_time"`
	EndTime      *string    `json:"end_time"`
	ContinueTime *float64   `json:"continue_time"` // seconds
	TempNames    []TempName `json:"temp_names"`
	Parallel     *bool      `json:"parallel"`
}

// TempName names a case or transaction of the run (table 4-242).
type TempName struct {
	Name *string `json:"name"`
}
