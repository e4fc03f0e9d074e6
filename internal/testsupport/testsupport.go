// Package testsupport holds what the tests of several packages share:
// finding the real third-party peers some tests talk to (socat, Chromium,
// xmllint, a PostgreSQL cluster with a database per test) and starting
// the servers among them (mosquitto, nginx with its RTMP module,
// Prometheus), a TCP proxy that drops its clients on demand, running a
// test as an unprivileged user, comparing trees, finding test files and
// writing temporary ones. Only tests import it.
package testsupport

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// CI reports whether the tests run under CI (CI=true, as GitHub Actions,
// GitLab and .ci/run set it), where a missing peer is a failure: a gate
// that skips what it cannot run proves nothing.
func CI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// Peer returns the path of the first of names found on PATH. When none
// is, the test is skipped with one line naming the peer and the Debian
// package that has it, or, under CI, fails with that line.
func Peer(t testing.TB, pkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed (Debian package %s; .ci/run installs it)", names[0], pkg)
	if CI() {
		t.Fatal(msg + ": under CI a missing peer fails the test")
	}
	t.Skip(msg)
	return ""
}

// nobody is the user a root test runs its unprivileged part as.
const nobody = 65534

// childEnv marks the copy of a test that Unprivileged started, so that it
// never starts another.
const childEnv = "PERFCASE_TEST_UNPRIVILEGED"

// Unprivileged reports whether the calling test should run its body now.
// Permission checks mean nothing to root, so a test about them must run
// as an ordinary user: when the process is not root, Unprivileged returns
// true; when it is, it runs the same test again in a copy of the test
// binary as user nobody (65534), passes on that run's failure, and
// returns false. The body must not depend on files only root can read.
func Unprivileged(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return true
	}
	if os.Getenv(childEnv) != "" {
		t.Fatal("the unprivileged copy of the test still runs as root")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The copy lives where nobody may read and run it: the test's own
	// temporary directories are root's alone.
	dir, err := os.MkdirTemp("", "perfcase-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, filepath.Base(exe))
	if err := copyFile(exe, bin); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(bin, "-test.run="+strings.Join(parts, "/"), "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"=1", "TMPDIR="+os.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Errorf("the test as user nobody failed: %v\n%s", err, out)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Errorf("the test did not pass as user nobody:\n%s", out)
	default:
		t.Logf("ran as user nobody (uid %d)", nobody)
	}
	return false
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
