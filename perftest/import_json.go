package perftest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/internal/jsonpos"
	"github.com/perfcase/perfcase/scenario"
)

// This file reads the JSON itself: paths, typed decoding, and errors that
// name the line, column and JSONPath of what could not be read.

func joinPath(base, key string) string {
	switch {
	case base == "":
		return key
	case key == "":
		return base
	}
	return base + "." + key
}

func indexPath(base string, i int) string { return fmt.Sprintf("%s[%d]", base, i) }

func isJSONNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// isEmptyJSON reports whether raw is missing, null, [] or {}: the PerfTest
// UI writes "conditions": [ ] on every card.
func isEmptyJSON(raw json.RawMessage) bool {
	var v any
	if isJSONNull(raw) || json.Unmarshal(raw, &v) != nil {
		return isJSONNull(raw)
	}
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// decode unmarshals raw into v. PerfTest's own objects are read leniently,
// since real payloads carry fields the reference does not list; shapes
// perfcase defines are strict, so that a misspelt key is an error.
func (im *importer) decode(raw json.RawMessage, path string, v any, strict bool) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		im.jsonError(raw, path, err, v)
		return false
	}
	return true
}

func (im *importer) jsonError(data []byte, base string, err error, target any) {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		hint := "check the commas and brackets here; examples copied from the PerfTest reference often keep trailing commas from page breaks"
		if se.Offset <= 1 {
			hint = "give a PerfTest case JSON; perfcase export writes one from a YAML scenario"
		}
		// Offset counts the byte that broke the syntax.
		im.errs = append(im.errs, &scenario.Error{Pos: jsonpos.NewCursor(im.file, data).Pos(max(se.Offset-1, 0)), Msg: fmt.Sprintf("invalid JSON: %v", se), Hint: hint})
	case errors.As(err, &te):
		path := joinPath(base, jsonpos.Read("", data).PathAtOffset(te.Offset))
		if base == "" && path == "" {
			im.errorf("", "give a CreateCase body {\"name\": ..., \"contents\": [...], \"stages\": [...]} or perfcase's wrapper {\"name\": ..., \"cases\": [...]}", "the document must be a JSON object, got %s", te.Value)
			return
		}
		im.errorf(path, "", "expected %s, got %s", jsonTypeName(te.Type), te.Value)
	default:
		if name, ok := unknownField(err); ok {
			fields := jsonFieldNames(target)
			im.errorf(joinPath(base, jsonpos.Read("", data).KeyPath(name)), scenario.DidYouMeanOr(name, fields, "known fields: "+strings.Join(fields, ", ")), "unknown field %q", name)
			return
		}
		if errors.Is(err, io.EOF) {
			im.errorf(base, "give the object", "the value is missing")
			return
		}
		im.errorf(base, "", "%v", err)
	}
}

func unknownField(err error) (string, bool) {
	rest, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	name, uerr := strconv.Unquote(rest)
	return name, uerr == nil
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// jsonFieldNames lists the JSON names of v's fields and of the structs
// nested in it, for "did you mean" hints.
func jsonFieldNames(v any) []string {
	seen := map[reflect.Type]bool{}
	set := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				set[name] = true
			}
			walk(t.Field(i).Type)
		}
	}
	if v != nil {
		walk(reflect.TypeOf(v))
	}
	return slices.Sorted(maps.Keys(set))
}

// jsonScalarText is the text of a JSON string, number or boolean.
func jsonScalarText(raw json.RawMessage) (string, bool) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "", false
	case s[0] == '"':
		var out string
		return out, json.Unmarshal(raw, &out) == nil
	case s == "true" || s == "false":
		return s, true
	case s[0] == '-' || s[0] >= '0' && s[0] <= '9':
		return s, json.Valid([]byte(s))
	}
	return "", false
}

func (im *importer) millis(path string, ms int64) time.Duration {
	if ms < 0 {
		im.errorf(path, "give milliseconds, 0 or more", "must not be negative, got %d", ms)
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

func (im *importer) seconds(path string, s int64) time.Duration {
	if s < 0 {
		im.errorf(path, "give seconds, 0 or more", "must not be negative, got %d", s)
		return 0
	}
	return time.Duration(s) * time.Second
}

// document converts the whole document; casePath gives the JSON path of a
