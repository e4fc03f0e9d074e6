package perftest

import (
	"bytes"
	"encoding/json"

	"github.com/perfcase/perfcase/internal/jsonpos"
)

// ptTopKeys are keys a PerfTest document has at its top and a YAML
// scenario never has: a CreateCase body's, a QueryCase response's.
var ptTopKeys = map[string]bool{
	"case_type": true, "status": true, "sort": true, "setup_contents": true, "contents": true, "stages": true,
	"for_loop_params": true, "increase_setting": true, "user_replicas": true, "collect_log_policy": true,
	"directory_id": true, "temp_id": true, "case_id": true, "link_app_list": true, "case_info": true,
	"perfcase": true, "test_case": true,
}

// ptCaseKeys are keys of a CreateCase body that a YAML case never has.
var ptCaseKeys = map[string]bool{
	"case_type": true, "status": true, "sort": true, "setup_contents": true, "contents": true,
	"for_loop_params": true, "increase_setting": true, "collect_log_policy": true, "directory_id": true,
	"temp_id": true, "case_id": true, "link_app_list": true, "case_info": true, "perfcase": true,
}

// isPerfTestJSON tells a PerfTest document from a YAML scenario, which may
// be written in JSON syntax too: the document is a JSON object whose keys
// only PerfTest has (a CreateCase body, a QueryCase response), or
// perfcase's wrapper, whose variables and transactions are lists (YAML's
// are mappings) or whose cases are CreateCase bodies. It reads tokens up to
// the first syntax error, so that a broken PerfTest case is still reported
// as broken JSON, with the JSON's line and column.
func isPerfTestJSON(src []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(src))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key, _ := tok.(string)
		switch {
		case ptTopKeys[key]:
			return true
		case key == "variables" || key == "transactions":
			tok, err := dec.Token()
			if err != nil {
				return false
			}
			if tok == json.Delim('[') {
				return true
			}
			if !jsonpos.Skip(dec, tok) {
				return false
			}
		case key == "cases":
			if found, ok := casesArePerfTest(dec); found || !ok {
				return found
			}
		default:
			if !jsonpos.Skip(dec, nil) {
				return false
			}
		}
	}
	return false
}

// casesArePerfTest reads a cases list and reports whether one of its cases
// has a key only a CreateCase body has; ok is false on a syntax error.
func casesArePerfTest(dec *json.Decoder) (found, ok bool) {
	tok, err := dec.Token()
	if err != nil {
		return false, false
	}
	if tok != json.Delim('[') {
		return false, jsonpos.Skip(dec, tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false, false
		}
		if tok != json.Delim('{') {
			if !jsonpos.Skip(dec, tok) {
				return false, false
			}
			continue
		}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return false, false
			}
			if k, _ := key.(string); ptCaseKeys[k] {
				return true, true
			}
			if !jsonpos.Skip(dec, nil) {
				return false, false
			}
		}
		if _, err := dec.Token(); err != nil {
			return false, false
		}
	}
	_, err = dec.Token()
	return false, err == nil
}
