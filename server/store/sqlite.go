package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	// The database/sql driver "sqlite", in pure Go: no C compiler, one
	// static binary.
	_ "modernc.org/sqlite"
)

// SQLiteFile is the database's file name in the data folder.
const SQLiteFile = "perfcase.db"

// busyTimeoutMS is how long a connection waits for another's lock before
// it fails: the writer holds it for one upload's transaction, a few
// milliseconds, and readers never block in WAL mode.
const busyTimeoutMS = 10000

var sqliteDialect = &dialect{
	name:  "sqlite",
	types: strings.NewReplacer("%ID%", "INTEGER PRIMARY KEY AUTOINCREMENT", "%BLOB%", "BLOB", "%REAL%", "REAL"),
	// The migration's IMMEDIATE transaction already holds the write lock.
	lockMigrations: func(context.Context, *sql.Tx) error { return nil },
}

// OpenSQLite opens (creating it when needed) the store in the data folder
// dir, and brings its schema up to date.
//
// The database is in WAL mode, so that readers never wait for the
// writer, with synchronous=FULL, so that a write answered is on disk
// (WAL's NORMAL may lose the last writes on a power cut), foreign keys
// on, and a busy timeout. All writes go through one connection: SQLite
// allows one writer at a time, and queueing in the pool is cheaper and
// fairer than retrying on SQLITE_BUSY.
func OpenSQLite(ctx context.Context, dir string) (Store, error) {
	return openSQLite(ctx, dir, SchemaVersion)
}

func openSQLite(ctx context.Context, dir string, version int) (*sqlStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	path := filepath.Join(dir, SQLiteFile)
	common := fmt.Sprintf("_busy_timeout=%d&_journal_mode=WAL&_synchronous=FULL&_foreign_keys=1", busyTimeoutMS)
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + common
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", dsn+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s := &sqlStore{d: sqliteDialect, w: w, r: r}
	s.prepare()
	if err := w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// The file holds every report; the folder is 0700 and so is it.
	if err := os.Chmod(path, 0o600); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.migrate(ctx, version); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
