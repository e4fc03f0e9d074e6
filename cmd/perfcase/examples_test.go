package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/target"
)

// runnableExamples are the examples today's run engine runs; the others
// use what later work brings, and run refuses them (TestExamplesRefused).
var runnableExamples = []string{"quickstart.yaml", "shop.yaml", "data.yaml"}

// TestExamplesRun runs the runnable examples end to end against the demo
// target, with their stages shortened to a few seconds: every KPI they
// state must hold, and every request they make must succeed.
func TestExamplesRun(t *testing.T) {
	srv, err := target.Start(target.Options{HTTP: "127.0.0.1:0", TCP: "127.0.0.1:0", UDP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	copyDir(t, "../../examples", dir)
	short := regexp.MustCompile(`ramp_up: \w+, duration: \w+|duration: \w+\}`)
	for _, name := range runnableExamples {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fast := short.ReplaceAllStringFunc(string(src), func(m string) string {
				if strings.HasPrefix(m, "ramp_up") {
					return "ramp_up: 1s, duration: 2s"
				}
				return "duration: 2s}"
			})
			if fast == string(src) {
				t.Fatalf("%s: no stage duration to shorten", name)
			}
			if err := os.WriteFile(path, []byte(fast), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCmd(t, "run", "--quiet", "--set", "base=http://"+srv.HTTPAddr(), path)
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if strings.Contains(out, "errors\n") {
				t.Errorf("a request failed:\n%s", out)
			}
		})
	}
}

// TestExamplesRefused: the examples that use what the engine cannot do
// yet are refused before anything runs, with the line of each such step.
func TestExamplesRefused(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	for _, f := range files {
		if contains(runnableExamples, filepath.Base(f)) {
			continue
		}
		code, _, errOut := runCmd(t, "run", "--quiet", f)
		if code != exitInvalid || !strings.Contains(errOut, "not supported by the run engine yet") || !strings.Contains(errOut, filepath.Base(f)+":") {
			t.Errorf("%s: exit %d\n%s", f, code, errOut)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
