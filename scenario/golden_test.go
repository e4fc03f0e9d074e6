package scenario

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// TestInvalidGolden compiles every testdata/invalid/*.yaml and compares
// the full error output with its .golden file. Run with -update after an
// intended change of wording, and read the diff.
func TestInvalidGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid scenarios found: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := Load(path, Options{LookupEnv: func(string) (string, bool) { return "", false }})
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want errors", path)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("missing golden file (run go test ./scenario -run TestInvalidGolden -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("errors for %s changed.\n--- got ---\n%s--- want ---\n%s", path, got, want)
			}
		})
	}
}
