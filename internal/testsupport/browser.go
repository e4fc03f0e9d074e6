package testsupport

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Chromium finds a Chromium to test pages in, as Peer does.
func Chromium(t testing.TB) string {
	return Peer(t, "chromium", "chromium", "chromium-browser")
}

// Headless runs Chromium headless with args (a page, a screenshot, a DOM
// dump) and returns its standard output; a browser that fails or hangs
// for two minutes fails the test.
func Headless(t testing.TB, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A profile of its own per run, so parallel runs do not share a lock.
	args = append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}, args...)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// Artifacts is where a browser test leaves its pages and screenshots:
// $PERFCASE_ARTIFACTS (.ci/run sets it), else the test's own folder.
func Artifacts(t testing.TB) string {
	dir := os.Getenv("PERFCASE_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
