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
