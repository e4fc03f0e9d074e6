package reporters

import (
	"bytes"
	"encoding/json"
	"testing"
)

// indentJSON indents as json.Indent does but keeps an array of scalars
// on one line; it only adds whitespace outside strings.
func TestIndentJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a":[1,2,null],"b":{"c":"x,[y]:{z}\"","d":[]},"e":[{"f":["g","h"]},{}],"i":true}`,
			"{\n  \"a\": [1,2,null],\n  \"b\": {\n    \"c\": \"x,[y]:{z}\\\"\",\n    \"d\": []\n  },\n  \"e\": [\n    {\n      \"f\": [\"g\",\"h\"]\n    },\n    {}\n  ],\n  \"i\": true\n}\n"},
		{`[[1],[2]]`, "[\n  [1],\n  [2]\n]\n"},
		{`"s"`, "\"s\"\n"},
		{`{"k":"\\"}`, "{\n  \"k\": \"\\\\\"\n}\n"},
	} {
		var got bytes.Buffer
		indentJSON(&got, []byte(c.in))
		if got.String() != c.want {
			t.Errorf("indentJSON(%s) =\n%s\nwant\n%s", c.in, got.String(), c.want)
		}
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, finished(shopRun())); err != nil {
		t.Fatal(err)
	}
	compact, err := json.Marshal(report(shopRun()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := json.Compact(&again, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	// json.Marshal escapes <, > and &, which the report keeps.
	var want bytes.Buffer
	json.Compact(&want, compact)
	if !bytes.Equal(unescapeHTML(again.Bytes()), unescapeHTML(want.Bytes())) {
		t.Error("the report's indented bytes are not its compact JSON plus whitespace")
	}
}

func unescapeHTML(b []byte) []byte {
	for _, r := range [][2]string{{`\u003c`, "<"}, {`\u003e`, ">"}, {`\u0026`, "&"}} {
		b = bytes.ReplaceAll(b, []byte(r[0]), []byte(r[1]))
	}
	return b
}
