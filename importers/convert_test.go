package importers

import (
	"strings"
	"testing"
)

// The JSON importers report a document that does not decode alike, at
// its line and column, each with its own format's hint.
func TestJSONDocumentErrors(t *testing.T) {
	for _, tc := range []struct {
		conv            Converter
		src, want, hint string
	}{
		{HAR{}, "{\"log\": {\n  \"entries\": [,]}}", "x.json:2:15: invalid JSON", "save the HAR again; a HAR is JSON"},
		{HAR{}, `{"log": {"entries": {}}}`, "x.json:1:10: $.log.entries: expected a list, got object",
			"HAR 1.2 gives this field another type; save the recording again"},
		{Postman{}, "{\"info\": {\n  \"name\": }}", "x.json:2:11: invalid JSON", "export the collection again; it is JSON"},
		{Postman{}, `{"info": {"name": 5}, "item": []}`, "x.json:1:11: $.info.name: expected a string, got number",
			"a v2.1 collection gives this field another type"},
	} {
		c := tc.conv.Convert("x.json", []byte(tc.src))
		if len(c.Errors) != 1 || !strings.HasPrefix(c.Errors[0].Error(), tc.want) || c.Errors[0].Hint != tc.hint {
			t.Errorf("%T.Convert(%s) errors %v, want %q with the hint %q", tc.conv, tc.src, c.Errors, tc.want, tc.hint)
		}
	}
}

// Detection walks only as far into the document as it must: HAR to
// log.entries, Postman to info.schema, each past any key before.
func TestDetectKeys(t *testing.T) {
	const v21 = `"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"`
	for _, tc := range []struct {
		src  string
		har  bool
		post bool
	}{
		{`{"a": [1, {"log": {"entries": []}}], "log": {"version": "1.2", "entries": []}}`, true, false},
		{`{"log": {"version": "1.2", "entries": `, true, false}, // claimed, then refused as broken JSON
		{`{"log": {"version": "1.2"}, "entries": []}`, false, false},
		{`{"log": [{"entries": []}]}`, false, false},
		{`[{"log": {"entries": []}}]`, false, false},
		{`{"a": [1, 2,, "log": {"entries": []}}`, false, false},
		{`{"a": {"info": 1}, "info": {"name": "n", "schema": ` + v21 + `}}`, false, true},
		{`{"info": {"schema": "https://example.com/collection.json"}}`, false, false},
		{`{"info": "https://schema.getpostman.com/json/collection/"}`, false, false},
		{`{"item": [], "info": {"schema": ` + v21 + `}, "log": {"entries": []}}`, true, true},
	} {
		if got := (HAR{}).Detect([]byte(tc.src)); got != tc.har {
			t.Errorf("HAR.Detect(%s) = %v, want %v", tc.src, got, tc.har)
		}
		if got := (Postman{}).Detect([]byte(tc.src)); got != tc.post {
			t.Errorf("Postman.Detect(%s) = %v, want %v", tc.src, got, tc.post)
		}
	}
}
