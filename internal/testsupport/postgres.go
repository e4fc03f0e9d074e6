package testsupport

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	// The database/sql driver "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// PostgresEnv names the variable holding the DSN of a PostgreSQL cluster
// the tests may create databases in (its user must have CREATEDB).
// .ci/run sets it to the throwaway cluster .ci/postgres starts.
const PostgresEnv = "PERFCASE_TEST_POSTGRES"

// script is .ci/postgres, found from this file's folder so that any
// package's tests can run it.
func script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", ".ci", "postgres")
}

// cluster is the PostgreSQL cluster PostgresMain started for this test
// process, on the first test that asked for a database.
var cluster struct {
	managed bool // PostgresMain runs the tests, and stops what starts
	once    sync.Once
	dir     string
	dsn     string
	err     error
}

// PostgresMain runs a package's tests (m.Run) so that Postgres finds a
// PostgreSQL cluster: the one PostgresEnv names, else, when PostgreSQL is
// installed, one it starts with .ci/postgres when a test first asks for a
// database, and stops after the tests. A test process that asks for none
// (a fuzz worker, a -run that selects no store test) starts none. Call it
// from TestMain: os.Exit(testsupport.PostgresMain(m)).
func PostgresMain(m *testing.M) int {
	cluster.managed = true
	code := m.Run()
	if cluster.dir != "" {
		exec.Command(script(), "stop", filepath.Join(cluster.dir, "cluster")).Run()
		os.RemoveAll(cluster.dir)
	}
	return code
}

// startCluster starts this process's cluster.
func startCluster() {
	// The cluster's folder must be reachable by the postgres user when
	// the tests run as root, so it is not under a private temp folder.
	parent, err := os.MkdirTemp("", "perfcase-pg-")
	if err != nil {
		cluster.err = err
		return
	}
	os.Chmod(parent, 0o755)
	out, err := exec.Command(script(), "start", filepath.Join(parent, "cluster")).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			err = fmt.Errorf("%s start: %v\n%s", script(), err, ee.Stderr)
		}
		os.RemoveAll(parent)
		cluster.err = err
		return
	}
	cluster.dir, cluster.dsn = parent, strings.TrimSpace(string(out))
}

func postgresInstalled() bool {
	if _, err := exec.LookPath("initdb"); err == nil {
		return true
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	return len(m) > 0
}

// Postgres returns the DSN of a new, empty database for this test alone,
// dropped when the test ends. Without a cluster (see PostgresMain) the
// test is skipped, or fails under CI: a store test that cannot reach its
// database proves nothing.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" && cluster.managed && postgresInstalled() {
		cluster.once.Do(startCluster)
		if cluster.err != nil {
			t.Fatalf("starting PostgreSQL: %v", cluster.err)
		}
		admin = cluster.dsn
	}
	if admin == "" {
		msg := "no PostgreSQL: set " + PostgresEnv + " to a cluster's DSN, or install PostgreSQL (Debian package postgresql; .ci/run installs it) so that the tests start one"
		if CI() {
			t.Fatal(msg + ": under CI a missing database fails the test")
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Fatalf("PostgreSQL at %s: %v", PostgresEnv, err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "perfcase_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping the test database: %v", err)
		}
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}
