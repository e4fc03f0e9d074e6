package testsupport

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Diff returns the first difference between got and want as "path: got
// X, want Y", or "" when they are equal. Values of the ignored types are
// not compared (a tree's positions, say: they are where text was, not what
// it says), nor unexported fields, and an empty slice equals nil, as a
// round trip through a file reads it back.
func Diff(got, want any, ignore ...reflect.Type) string {
	return diff("", reflect.ValueOf(got), reflect.ValueOf(want), ignore)
}

func diff(path string, got, want reflect.Value, ignore []reflect.Type) string {
	if got.Kind() != want.Kind() {
		return fmt.Sprintf("%s: got a %s, want a %s", path, got.Kind(), want.Kind())
	}
	if got.IsValid() && slices.Contains(ignore, got.Type()) {
		return ""
	}
	switch got.Kind() {
	case reflect.Pointer, reflect.Interface:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				return fmt.Sprintf("%s: got %v, want %v", path, show(got), show(want))
			}
			return ""
		}
		// As reflect.DeepEqual: one pointer is equal to itself, even to
		// what holds functions (a KPI's metric definition).
		if got.Kind() == reflect.Pointer && got.Pointer() == want.Pointer() {
			return ""
		}
		return diff(path, got.Elem(), want.Elem(), ignore)
	case reflect.Struct:
		for i := 0; i < got.NumField(); i++ {
			if !got.Type().Field(i).IsExported() {
				continue
			}
			if d := diff(path+"."+got.Type().Field(i).Name, got.Field(i), want.Field(i), ignore); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if got.Len() != want.Len() {
			return fmt.Sprintf("%s: got %d items, want %d", path, got.Len(), want.Len())
		}
		for i := 0; i < got.Len(); i++ {
			if d := diff(fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i), ignore); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(got.Interface(), want.Interface()) {
		return fmt.Sprintf("%s: got %v, want %v", path, show(got), show(want))
	}
	return ""
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
		v = v.Elem()
	}
	return fmt.Sprintf("%#v", v.Interface())
}

// Glob lists the files matching any of the patterns, failing the test
// when there are none: a test over no files proves nothing.
func Glob(t testing.TB, patterns ...string) []string {
	t.Helper()
	var files []string
	for _, pattern := range patterns {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("found no files matching %q", patterns)
	}
	return files
}

// WantErrors fails unless err holds each of the messages, in any order.
func WantErrors(t testing.TB, err error, msgs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %q", msgs)
	}
	for _, m := range msgs {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("errors do not mention %q:\n%v", m, err)
		}
	}
}

// WriteTemp writes body to a file called name in a fresh directory and
// returns its path.
func WriteTemp(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
