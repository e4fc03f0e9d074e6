package jsonpos

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/perfcase/perfcase/scenario"
)

const doc = `{
  "a": {"b": [10, "x"]},
  "é": true
}`

func TestIndex(t *testing.T) {
	ix := Read("d.json", []byte(doc))
	for _, tc := range []struct {
		path      string
		key, val  scenario.Pos
		quoted    bool
		displayed string
	}{
		{"a", scenario.Pos{File: "d.json", Line: 2, Col: 3}, scenario.Pos{File: "d.json", Line: 2, Col: 8}, false, "$.a"},
		{"a.b[1]", scenario.Pos{}, scenario.Pos{File: "d.json", Line: 2, Col: 19}, true, "$.a.b[1]"},
		{"é", scenario.Pos{File: "d.json", Line: 3, Col: 3}, scenario.Pos{File: "d.json", Line: 3, Col: 8}, false, "$.é"},
	} {
		sp, ok := ix.At(tc.path)
		if !ok || sp.Key != tc.key || sp.Val != tc.val || sp.Quoted != tc.quoted || Display(sp.Path) != tc.displayed {
			t.Errorf("At(%q) = %+v, %v", tc.path, sp, ok)
		}
		if p, ok := ix.PathAt(tc.val); !ok || p != tc.path {
			t.Errorf("PathAt(%v) = %q, want %q", tc.val, p, tc.path)
		}
	}
	// A value left out takes the place of what holds it.
	if p := ix.Pos("a.b[5].c"); p != (scenario.Pos{File: "d.json", Line: 2, Col: 9}) {
		t.Errorf("Pos of a missing value = %v, want a.b's key", p)
	}
	if _, ok := ix.At("a.c"); ok {
		t.Error("At found a value the document does not have")
	}
	if Parent("a.b[1]") != "a.b" || Parent("a") != "" || Display("") != "$" || Display("[0]") != "$[0]" {
		t.Error("Parent or Display")
	}
}

func TestSkip(t *testing.T) {
	dec := json.NewDecoder(bytes.NewReader([]byte(`{"x": {"y": [1, {"z": 2}]}, "w": 3}`)))
	dec.Token()
	dec.Token()
	if !Skip(dec, nil) {
		t.Fatal("Skip failed on a valid value")
	}
	if k, _ := dec.Token(); k != "w" {
		t.Errorf("after Skip the next token is %v, want the key w", k)
	}
	bad := json.NewDecoder(bytes.NewReader([]byte(`[1, }`)))
	if Skip(bad, nil) {
		t.Error("Skip accepted broken JSON")
	}
}
