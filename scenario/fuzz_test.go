package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser and compiler: they must
// return a result or an ErrorList, never panic or hang. Data files are
// never read, so the fuzzer cannot touch the disk.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"../examples/*.yaml", "testdata/invalid/*.yaml", "testdata/valid/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if src, err := os.ReadFile(p); err == nil {
				f.Add(src)
			}
		}
	}
	f.Add([]byte("name: x\ncases: [{name: c, steps: [{think: 1s}], stages: [{concurrency: 1, duration: 1s}]}]"))
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("x: &x {<<: *x}"))
	opts := Options{
		LookupEnv: func(string) (string, bool) { return "v", true },
		ReadFile:  func(string) ([]byte, error) { return nil, errors.New("no files while fuzzing") },
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.yaml", src)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Parse error is not a non-empty ErrorList: %T %v", err, err)
			}
			for _, e := range list {
				if e.Pos.File != "fuzz.yaml" && !strings.HasPrefix(e.Pos.File, "--") {
					t.Fatalf("error without the file name: %v", e)
				}
			}
		}
		// Load compiles partial trees too, so Compile must survive them.
		if _, err := Compile(file, opts); err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Compile error is not a non-empty ErrorList: %T %v", err, err)
			}
			for _, e := range list {
				if e.Pos.File != "fuzz.yaml" && !strings.HasPrefix(e.Pos.File, "--") {
					t.Fatalf("compile error without the file name: %v", e)
				}
			}
		}
	})
}

// FuzzTemplate checks that the ${...} splitter never panics and that a
// template without references renders to its own text.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"", "plain", "${a}", "$${a}", "${", "${md5(a)}", "${now('yyyy', -5)}", "${a.b}", "x${upper(lower('Q'))}y", "${random_int(1,", "${'unterminated}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := parseTemplate(src, fuzzResolver{})
		if err != nil {
			return
		}
		out := tpl.Append(nil, fuzzScope{}, NewFuncEnv(1))
		if !strings.Contains(src, "${") && string(out) != src {
			t.Fatalf("template %q without references rendered %q", src, out)
		}
	})
}

type fuzzResolver struct{}

func (fuzzResolver) resolve(name, field string) (int, int, string, bool, error) {
	if name == "a" {
		return 0, -1, "", false, nil
	}
	return 0, 0, "", false, errors.New("unknown")
}

type fuzzScope struct{}

func (fuzzScope) AppendValue(dst []byte, _, _ int) []byte { return append(dst, "value"...) }
