package testsupport

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
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

func TestDiff(t *testing.T) {
	type pos struct{ Line int }
	type node struct {
		At   pos
		Name string
		Kids []*node
	}
	a := &node{At: pos{1}, Name: "a", Kids: []*node{{Name: "b"}}}
	tests := []struct {
		what string
		b    *node
		want string
	}{
		{"positions aside", &node{At: pos{9}, Name: "a", Kids: []*node{{At: pos{3}, Name: "b"}}}, ""},
		{"another name deep down", &node{Name: "a", Kids: []*node{{Name: "c"}}}, `.Kids[0].Name: got "b", want "c"`},
		{"a missing kid", &node{Name: "a"}, ".Kids: got 1 items, want 0"},
	}
	for _, tt := range tests {
		if got := Diff(a, tt.b, reflect.TypeFor[pos]()); got != tt.want {
			t.Errorf("%s: Diff = %q, want %q", tt.what, got, tt.want)
		}
	}
	if got := Diff(&node{Kids: []*node{}}, &node{}); got != "" {
		t.Errorf("an empty list against nil: Diff = %q, want none", got)
	}
}

const postgresChild = "PERFCASE_TEST_POSTGRES_CHILD"

// Without a cluster, a test asking for a database is skipped, and fails
// under CI; with one, it gets a database of its own that it can write.
func TestPostgres(t *testing.T) {
	if os.Getenv(postgresChild) != "" {
		Postgres(t)
		t.Fatal("Postgres returned without a cluster")
	}
	for _, c := range []struct {
		ci   string
		ok   bool
		want string
	}{
		{"", true, "--- SKIP: TestPostgres"},
		{"true", false, "--- FAIL: TestPostgres"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPostgres$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), postgresChild+"=1", "CI="+c.ci, PostgresEnv+"=")
		out, err := cmd.CombinedOutput()
		if (err == nil) != c.ok || !strings.Contains(string(out), c.want) || !strings.Contains(string(out), "no PostgreSQL: set "+PostgresEnv) {
			t.Errorf("CI=%q: %v\n%s\nwant %q", c.ci, err, out, c.want)
		}
	}
	if os.Getenv(PostgresEnv) == "" {
		return
	}
	db, err := sql.Open("pgx", Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (x INT); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("the test's database: %v", err)
	}
}
