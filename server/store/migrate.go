package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migrations are the schema's versions, applied in order at open, each
// in its own transaction with its row in schema_migrations. A released
// migration is never edited: a change is a new one. %ID%, %BLOB% and
// %REAL% are spelled by the dialect.
//
// Times are Unix milliseconds (BIGINT) in both databases, so sorting and
// comparing them is the same SQL. Booleans are 0/1 integers for the same
// reason.
var migrations = []string{
	// 1: projects and their tokens.
	`CREATE TABLE projects (
		id %ID%,
		name TEXT NOT NULL UNIQUE,
		created BIGINT NOT NULL
	);
	CREATE TABLE tokens (
		id %ID%,
		project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		scope INTEGER NOT NULL,
		hash %BLOB% NOT NULL UNIQUE,
		prefix TEXT NOT NULL,
		created BIGINT NOT NULL,
		revoked BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX tokens_project ON tokens(project_id)`,

	// 2: scenarios (tasks), runs keyed by run id and segment, their cases
	// and rows, indexed for the lists and trends.
	`CREATE TABLE tasks (
		id %ID%,
		project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		baseline_run_id BIGINT NOT NULL DEFAULT 0,
		UNIQUE (project_id, name)
	);
	CREATE TABLE runs (
		id %ID%,
		project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
		uuid TEXT NOT NULL,
		segments INTEGER NOT NULL,
		parts INTEGER NOT NULL,
		stored BIGINT NOT NULL,
		status TEXT NOT NULL,
		verdict TEXT NOT NULL,
		start_ms BIGINT NOT NULL,
		end_ms BIGINT NOT NULL,
		requests BIGINT NOT NULL,
		errors BIGINT NOT NULL,
		tps %REAL%,
		avg_rt %REAL%,
		tp99 %REAL%,
		success_rate %REAL%,
		case_names TEXT NOT NULL,
		parallel INTEGER NOT NULL,
		labels TEXT NOT NULL,
		ci_system TEXT NOT NULL,
		ci_commit TEXT NOT NULL,
		ci_branch TEXT NOT NULL,
		ci_pipeline TEXT NOT NULL,
		UNIQUE (project_id, uuid)
	);
	CREATE INDEX runs_task_start ON runs(task_id, start_ms DESC, id DESC);
	CREATE INDEX runs_project_start ON runs(project_id, start_ms DESC, id DESC);
	CREATE INDEX runs_end ON runs(end_ms);
	CREATE TABLE run_parts (
		run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		segment INTEGER NOT NULL,
		encoding TEXT NOT NULL,
		size BIGINT NOT NULL,
		report %BLOB% NOT NULL,
		stored BIGINT NOT NULL,
		PRIMARY KEY (run_id, segment)
	);
	CREATE TABLE run_labels (
		run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		value TEXT NOT NULL,
		PRIMARY KEY (run_id, name)
	);
	CREATE INDEX run_labels_pair ON run_labels(name, value, run_id);
	CREATE TABLE case_runs (
		id %ID%,
		run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		idx INTEGER NOT NULL,
		name TEXT NOT NULL,
		passed INTEGER NOT NULL,
		detail_id BIGINT NOT NULL DEFAULT 0,
		requests BIGINT NOT NULL,
		errors BIGINT NOT NULL,
		tps %REAL%,
		avg_rt %REAL%,
		tp99 %REAL%,
		success_rate %REAL%,
		UNIQUE (run_id, idx)
	);
	CREATE TABLE details (
		id %ID%,
		case_run_id BIGINT NOT NULL REFERENCES case_runs(id) ON DELETE CASCADE,
		task_id BIGINT NOT NULL,
		case_name TEXT NOT NULL,
		start_ms BIGINT NOT NULL,
		idx INTEGER NOT NULL,
		kind INTEGER NOT NULL,
		name TEXT NOT NULL,
		requests BIGINT NOT NULL,
		errors BIGINT NOT NULL,
		tps %REAL%,
		avg_rt %REAL%,
		tp99 %REAL%,
		success_rate %REAL%
	);
	CREATE INDEX details_case ON details(case_run_id, idx);
	CREATE INDEX details_trend ON details(task_id, case_name, kind, name, start_ms DESC)`,
}

// SchemaVersion is the schema version this build writes.
var SchemaVersion = len(migrations)

// migrate brings the database to SchemaVersion, applying what is missing,
// and refuses a database a newer perfcase has migrated further: this
// build would not know what its tables mean.
func (s *sqlStore) migrate(ctx context.Context, upTo int) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("creating the migrations table: %w", err)
	}
	for v := 1; v <= upTo; v++ {
		if err := s.migrateOne(ctx, v); err != nil {
			return err
		}
	}
	var newest int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return err
	}
	if newest > SchemaVersion {
		return fmt.Errorf("the database is at schema version %d, newer than this perfcase knows (%d): use the perfcase that migrated it, or a newer one", newest, SchemaVersion)
	}
	return nil
}

// migrateOne applies migration v unless it was applied. Two servers
// starting at once on one database serialise on the dialect's lock, and
// the second finds the row the first wrote.
func (s *sqlStore) migrateOne(ctx context.Context, v int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.d.lockMigrations(ctx, tx); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for stmt := range strings.SplitSeq(s.d.spell(migrations[v-1]), ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("schema migration %d: %w", v, err)
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`), v, time.Now().UnixMilli())
		return err
	})
}
