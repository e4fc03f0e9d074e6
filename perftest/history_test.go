package perftest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// The 4.6.2 example decodes into HistoryRunList and comes back whole, and
// the types' names are tables 4-240 to 4-242's.
func TestHistoryRunList(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "history-run-list-4.6.2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var orig any
	if err := json.Unmarshal(data, &orig); err != nil {
		t.Fatal(err)
	}
	var l HistoryRunList
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(again, &got); err != nil {
		t.Fatal(err)
	}
	covers(t, "$", orig, got)
	for _, tt := range []struct {
		table string
		typ   any
		want  []string
	}{
		{"4-240", HistoryRunList{}, []string{"code", "message", "log_list"}},
		{"4-241 HistoryRunInfo", HistoryRunInfo{}, []string{"name", "run_id", "run_type", "start_time", "end_time", "continue_time", "temp_names", "parallel"}},
		{"4-242 TempName", TempName{}, []string{"name"}},
	} {
		if got := jsonNames(reflect.TypeOf(tt.typ)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: fields %v, want %v", tt.table, got, tt.want)
		}
	}
}
