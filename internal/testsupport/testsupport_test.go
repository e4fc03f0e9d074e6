package testsupport

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const peerChild = "PERFCASE_TEST_PEER_CHILD"

// A missing peer skips the test with one line naming it, and fails it
// under CI; a present one is found on PATH.
func TestPeer(t *testing.T) {
	if os.Getenv(peerChild) != "" {
		Peer(t, "no-such-package", "perfcase-no-such-peer")
		t.Fatal("Peer returned for a missing peer")
	}
	// The first name on PATH is found: this test binary, here.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Dir(exe))
	if p := Peer(t, "none", "perfcase-no-such-peer", filepath.Base(exe)); p != exe {
		t.Fatalf("Peer = %q, want %q", p, exe)
	}
	msg := "perfcase-no-such-peer is not installed (Debian package no-such-package; .ci/run installs it)"
	for _, c := range []struct {
		ci         string
		ok         bool
		want, line string
	}{
		{"", true, "--- SKIP: TestPeer", msg},
		{"false", true, "--- SKIP: TestPeer", msg},
		{"true", false, "--- FAIL: TestPeer", msg + ": under CI a missing peer fails the test"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPeer$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), peerChild+"=1", "CI="+c.ci)
		out, err := cmd.CombinedOutput()
		if (err == nil) != c.ok || !strings.Contains(string(out), c.want) || !strings.Contains(string(out), c.line+"\n") {
			t.Errorf("CI=%q: %v\n%s\nwant %q and the line %q", c.ci, err, out, c.want, c.line)
		}
	}
}
