package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// dialect is what SQLite and PostgreSQL spell differently.
type dialect struct {
	name string
	// dollar: placeholders are $1, $2, … instead of ?.
	dollar bool
	// types spells %ID%, %BLOB% and %REAL%.
	types *strings.Replacer
	// lockMigrations serialises migrations across processes.
	lockMigrations func(ctx context.Context, tx *sql.Tx) error
}

func (d *dialect) spell(schema string) string { return d.types.Replace(schema) }

// sqlStore is Store on database/sql. w is where writes go: for SQLite a
// pool of one connection, the one writer the file allows, whose
// transactions begin IMMEDIATE so that they never fail half way on a
// lock; r serves reads (for PostgreSQL both are the same pool).
type sqlStore struct {
	d    *dialect
	w, r *sql.DB
	// queries caches q's rebinding of each query.
	queries map[string]string
}

// q spells a query's ? placeholders for the dialect. Queries are
// constants, so the rebinding is cached; the map is only written before
// the store is shared (prepare).
func (s *sqlStore) q(query string) string {
	if !s.d.dollar {
		return query
	}
	if r, ok := s.queries[query]; ok {
		return r
	}
	return rebind(query)
}

func rebind(query string) string {
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// prepare caches the rebinding of every query the store runs.
func (s *sqlStore) prepare() {
	s.queries = map[string]string{}
	if !s.d.dollar {
		return
	}
	for _, q := range allQueries {
		s.queries[q] = rebind(q)
	}
}

func (s *sqlStore) tx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *sqlStore) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

const (
	qCreateProject = `INSERT INTO projects (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`
	qProject       = `SELECT id, name, created FROM projects WHERE name = ?`
	qProjects      = `SELECT id, name, created FROM projects ORDER BY name`
	qCreateToken   = `INSERT INTO tokens (project_id, name, scope, hash, prefix, created) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`
	qTokenByHash   = `SELECT t.id, t.project_id, p.name, t.name, t.scope, t.hash, t.prefix, t.created, t.revoked
		FROM tokens t JOIN projects p ON p.id = t.project_id WHERE t.hash = ? AND t.revoked = 0`
	qTokens = `SELECT t.id, t.project_id, p.name, t.name, t.scope, t.hash, t.prefix, t.created, t.revoked
		FROM tokens t JOIN projects p ON p.id = t.project_id WHERE t.project_id = ? ORDER BY t.id`
	qRevokeToken = `UPDATE tokens SET revoked = ? WHERE project_id = ? AND id = ? AND revoked = 0`

	qTaskUpsert = `INSERT INTO tasks (project_id, name) VALUES (?, ?) ON CONFLICT (project_id, name) DO NOTHING RETURNING id`
	qTaskID     = `SELECT id FROM tasks WHERE project_id = ? AND name = ?`
	qRunInsert  = `INSERT INTO runs (project_id, task_id, uuid, segments, parts, stored, status, verdict, start_ms, end_ms,
		requests, errors, tps, avg_rt, tp99, success_rate, case_names, parallel, labels, ci_system, ci_commit, ci_branch, ci_pipeline)
		VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (project_id, uuid) DO NOTHING RETURNING id`
	qRunKey     = `SELECT id, task_id, segments FROM runs WHERE project_id = ? AND uuid = ?`
	qPartInsert = `INSERT INTO run_parts (run_id, segment, encoding, size, report, stored) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, segment) DO NOTHING`
	qPartCount  = `UPDATE runs SET parts = parts + 1, start_ms = CASE WHEN parts = 0 OR ? < start_ms THEN ? ELSE start_ms END, end_ms = CASE WHEN ? > end_ms THEN ? ELSE end_ms END WHERE id = ? RETURNING parts`
	qMergedPut  = `INSERT INTO run_parts (run_id, segment, encoding, size, report, stored) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, segment) DO UPDATE SET encoding = excluded.encoding, size = excluded.size, report = excluded.report, stored = excluded.stored`
	qMergedRun   = `UPDATE runs SET status = ?, verdict = ?, requests = ?, errors = ?, tps = ?, avg_rt = ?, tp99 = ?, success_rate = ? WHERE id = ?`
	qCasesDelete = `DELETE FROM case_runs WHERE run_id = ?`
	// An UPDATE rather than a SELECT: it holds the run's row until the
	// merge commits, so a part stored meanwhile (qPartCount) waits, and
	// its own merge comes after this one.
	qRunTask       = `UPDATE runs SET parts = parts WHERE id = ? RETURNING task_id, parts`
	qLabelInsert   = `INSERT INTO run_labels (run_id, name, value) VALUES (?, ?, ?)`
	qCaseInsert    = `INSERT INTO case_runs (run_id, idx, name, passed, requests, errors, tps, avg_rt, tp99, success_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	qCaseDetailID  = `UPDATE case_runs SET detail_id = ? WHERE id = ?`
	qDetailColumns = `INSERT INTO details (case_run_id, task_id, case_name, start_ms, idx, kind, name, requests, errors, tps, avg_rt, tp99, success_rate) VALUES `
	qDetailInsert  = qDetailColumns + `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

	runColumns = `r.id, r.uuid, r.project_id, r.task_id, t.name, r.parts, r.segments, r.stored, r.status, r.verdict, r.start_ms, r.end_ms,
		r.requests, r.errors, r.tps, r.avg_rt, r.tp99, r.success_rate, r.case_names, r.parallel, r.labels, r.ci_system, r.ci_commit, r.ci_branch, r.ci_pipeline`
	qTasks = `SELECT t.id, t.project_id, t.name, t.baseline_run_id, (SELECT COUNT(*) FROM runs c WHERE c.task_id = t.id),
		(SELECT l.id FROM runs l WHERE l.task_id = t.id ORDER BY l.start_ms DESC, l.id DESC LIMIT 1)
		FROM tasks t WHERE t.project_id = ? ORDER BY t.name`
	qTask = `SELECT t.id, t.project_id, t.name, t.baseline_run_id, (SELECT COUNT(*) FROM runs c WHERE c.task_id = t.id),
		(SELECT l.id FROM runs l WHERE l.task_id = t.id ORDER BY l.start_ms DESC, l.id DESC LIMIT 1)
		FROM tasks t WHERE t.project_id = ? AND t.id = ?`
	qRun       = `SELECT ` + runColumns + ` FROM runs r JOIN tasks t ON t.id = r.task_id WHERE r.project_id = ? AND r.id = ?`
	qRunByUUID = `SELECT ` + runColumns + ` FROM runs r JOIN tasks t ON t.id = r.task_id WHERE r.project_id = ? AND r.uuid = ?`
	qCaseRuns  = `SELECT id, run_id, idx, name, detail_id, passed, requests, errors, tps, avg_rt, tp99, success_rate FROM case_runs WHERE run_id = ? ORDER BY idx`
	qDetails   = `SELECT id, case_run_id, idx, kind, name, requests, errors, tps, avg_rt, tp99, success_rate FROM details WHERE case_run_id = ? ORDER BY idx`
	qReport    = `SELECT encoding, report FROM run_parts WHERE run_id = ? AND segment = ?`
	qTrend     = `SELECT r.id, r.uuid, d.start_ms, d.requests, d.errors, d.tps, d.avg_rt, d.tp99, d.success_rate
		FROM details d JOIN case_runs c ON c.id = d.case_run_id JOIN runs r ON r.id = c.run_id
		WHERE d.task_id = ? AND d.case_name = ? AND d.kind = ? AND d.name = ? ORDER BY d.start_ms DESC, d.id DESC LIMIT ?`

	qBaselineRun  = `SELECT COUNT(*) FROM runs WHERE id = ? AND task_id = ?`
	qSetBaseline  = `UPDATE tasks SET baseline_run_id = ? WHERE id = ?`
	qDeleteRun    = `DELETE FROM runs WHERE project_id = ? AND id = ?`
	qClearBase    = `UPDATE tasks SET baseline_run_id = 0 WHERE baseline_run_id = ?`
	qDeleteBefore = `DELETE FROM runs WHERE end_ms < ? AND id NOT IN (SELECT baseline_run_id FROM tasks WHERE baseline_run_id <> 0)`
)

var allQueries = []string{qCreateProject, qProject, qProjects, qCreateToken, qTokenByHash, qTokens, qRevokeToken,
	qTaskUpsert, qTaskID, qRunInsert, qRunKey, qPartInsert, qPartCount, qMergedPut, qMergedRun, qCasesDelete, qRunTask, qLabelInsert, qCaseInsert, qCaseDetailID, qDetailInsert,
	qTasks, qTask, qRun, qRunByUUID, qCaseRuns, qDetails, qReport, qTrend, qBaselineRun, qSetBaseline, qDeleteRun,
	qClearBase, qDeleteBefore}

func (s *sqlStore) CreateProject(ctx context.Context, name string) (Project, error) {
	p := Project{Name: name, Created: time.Now().Truncate(time.Millisecond)}
	err := s.w.QueryRowContext(ctx, s.q(qCreateProject), name, p.Created.UnixMilli()).Scan(&p.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return Project{}, ErrExists
	}
	return p, err
}

func (s *sqlStore) Project(ctx context.Context, name string) (Project, error) {
	var p Project
	var created int64
	err := s.r.QueryRowContext(ctx, s.q(qProject), name).Scan(&p.ID, &p.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Project{}, ErrNotFound
	}
	p.Created = time.UnixMilli(created)
	return p, err
}

func (s *sqlStore) Projects(ctx context.Context) ([]Project, error) {
	rows, err := s.r.QueryContext(ctx, s.q(qProjects))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []Project
	for rows.Next() {
		var p Project
		var created int64
		if err := rows.Scan(&p.ID, &p.Name, &created); err != nil {
			return nil, err
		}
		p.Created = time.UnixMilli(created)
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

func (s *sqlStore) CreateToken(ctx context.Context, t *Token) error {
	t.Created = time.Now().Truncate(time.Millisecond)
	return s.w.QueryRowContext(ctx, s.q(qCreateToken), t.ProjectID, t.Name, int(t.Scope), t.Hash, t.Prefix, t.Created.UnixMilli()).Scan(&t.ID)
}

func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var scope int
	var created, revoked int64
	if err := sc.Scan(&t.ID, &t.ProjectID, &t.Project, &t.Name, &scope, &t.Hash, &t.Prefix, &created, &revoked); err != nil {
		return Token{}, err
	}
	t.Scope = Scope(scope)
	t.Created = time.UnixMilli(created)
	if revoked != 0 {
		t.Revoked = time.UnixMilli(revoked)
	}
	return t, nil
}

func (s *sqlStore) TokenByHash(ctx context.Context, hash []byte) (Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, s.q(qTokenByHash), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	return t, err
}

func (s *sqlStore) Tokens(ctx context.Context, projectID int64) ([]Token, error) {
	rows, err := s.r.QueryContext(ctx, s.q(qTokens), projectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ts []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

func (s *sqlStore) RevokeToken(ctx context.Context, projectID, tokenID int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, s.q(qRevokeToken), at.UnixMilli(), projectID, tokenID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// compressAbove is the size from which a report is gzipped: below it the
// header costs more than the compression saves.
const compressAbove = 512

// encodeReport compresses a report when that makes it smaller by a tenth
// at least; report JSON shrinks about tenfold.
func encodeReport(report []byte) (encoding string, data []byte) {
	if len(report) < compressAbove {
		return "identity", report
	}
	var b bytes.Buffer
	b.Grow(len(report) / 8)
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	zw.Write(report)
	zw.Close()
	if b.Len() > len(report)*9/10 {
		return "identity", report
	}
	return "gzip", b.Bytes()
}

func decodeReport(encoding string, data []byte) ([]byte, error) {
	switch encoding {
	case "identity":
		return data, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	}
	return nil, fmt.Errorf("stored report has unknown encoding %q", encoding)
}

func (s *sqlStore) PutPart(ctx context.Context, p *Part) (PutResult, error) {
	if p.Segment.Count < 1 || p.Segment.Index < 0 || p.Segment.Index >= p.Segment.Count {
		return PutResult{}, fmt.Errorf("segment %d of %d is not a part of a run", p.Segment.Index, p.Segment.Count)
	}
	// Compressing is the slow part of a write: done before the
	// transaction, it does not hold the one writer up.
	encoding, data := encodeReport(p.Report)
	labels, names := []byte("{}"), []byte("[]")
	if len(p.Labels) > 0 {
		labels, _ = json.Marshal(p.Labels)
	}
	if len(p.Summary.CaseNames) > 0 {
		names, _ = json.Marshal(p.Summary.CaseNames)
	}
	res := PutResult{ProjectID: p.ProjectID}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		taskID, err := s.taskID(ctx, tx, p.ProjectID, p.Scenario)
		if err != nil {
			return err
		}
		res.TaskID = taskID
		// Only a run in one part has figures of its own; a part of a
		// split run is indexed once the parts are merged.
		sum, whole := p.Summary, p.Segment.Count == 1
		if !whole {
			sum = Summary{CaseNames: p.Summary.CaseNames, Parallel: p.Summary.Parallel}
		}
		stored := p.StoredAt.UnixMilli()
		var runID int64
		err = tx.QueryRowContext(ctx, s.q(qRunInsert), p.ProjectID, taskID, p.RunUUID, p.Segment.Count, stored,
			sum.Status, sum.Verdict, p.Summary.Start.UnixMilli(), p.Summary.End.UnixMilli(),
			sum.Requests, sum.Errors, sum.TPS, sum.AvgRT, sum.TP99, sum.SuccessRate,
			string(names), boolInt(p.Summary.Parallel), string(labels), p.CI.System, p.CI.Commit, p.CI.Branch, p.CI.PipelineURL).Scan(&runID)
		fresh := err == nil
		if errors.Is(err, sql.ErrNoRows) {
			var segments int
			var runTask int64
			if err := tx.QueryRowContext(ctx, s.q(qRunKey), p.ProjectID, p.RunUUID).Scan(&runID, &runTask, &segments); err != nil {
				return err
			}
			if runTask != taskID {
				// The run id is taken, by a run of another scenario.
				return ErrExists
			}
			if segments != p.Segment.Count {
				return ErrSegments
			}
		} else if err != nil {
			return err
		}
		res.RunID = runID
		r, err := tx.ExecContext(ctx, s.q(qPartInsert), runID, p.Segment.Index, encoding, len(p.Report), data, stored)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrExists
		}
		start, end := p.Summary.Start.UnixMilli(), p.Summary.End.UnixMilli()
		if err := tx.QueryRowContext(ctx, s.q(qPartCount), start, start, end, end, runID).Scan(&res.Parts); err != nil {
			return err
		}
		if !fresh {
			return nil
		}
		for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
			if _, err := tx.ExecContext(ctx, s.q(qLabelInsert), runID, k, p.Labels[k]); err != nil {
				return err
			}
		}
		if !whole {
			return nil
		}
		return s.putCases(ctx, tx, taskID, runID, p)
	})
	if err != nil {
		return PutResult{}, err
	}
	return res, nil
}

func (s *sqlStore) PutMerged(ctx context.Context, runID int64, p *Part, merged int, complete bool) error {
	encoding, data := encodeReport(p.Report)
	return s.tx(ctx, func(tx *sql.Tx) error {
		var taskID int64
		var stored int
		if err := tx.QueryRowContext(ctx, s.q(qRunTask), runID).Scan(&taskID, &stored); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if merged < stored {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(qMergedPut), runID, MergedSegment, encoding, len(p.Report), data, p.StoredAt.UnixMilli()); err != nil {
			return err
		}
		if !complete {
			return nil
		}
		sum := p.Summary
		if _, err := tx.ExecContext(ctx, s.q(qMergedRun), sum.Status, sum.Verdict, sum.Requests, sum.Errors, sum.TPS, sum.AvgRT, sum.TP99, sum.SuccessRate, runID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(qCasesDelete), runID); err != nil {
			return err
		}
		return s.putCases(ctx, tx, taskID, runID, p)
	})
}

// taskID finds or creates the scenario's task. Two uploads of a new
// scenario at once both insert; the second finds the first's row.
func (s *sqlStore) taskID(ctx context.Context, tx *sql.Tx, projectID int64, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, s.q(qTaskUpsert), projectID, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, s.q(qTaskID), projectID, name).Scan(&id)
	}
	return id, err
}

func (s *sqlStore) putCases(ctx context.Context, tx *sql.Tx, taskID, runID int64, p *Part) error {
	start := p.Summary.Start.UnixMilli()
	// The requests' and transactions' rows go in a few multi-row inserts
	// rather than one statement a row: against PostgreSQL each statement
	// is a round trip, and a run may have hundreds of rows.
	var rows [][]any
	for i, c := range p.Cases {
		var caseID, own int64
		f := c.Figures
		if err := tx.QueryRowContext(ctx, s.q(qCaseInsert), runID, i, c.Name, boolInt(c.Passed),
			f.Requests, f.Errors, f.TPS, f.AvgRT, f.TP99, f.SuccessRate).Scan(&caseID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q(qDetailInsert), caseID, taskID, c.Name, start, 0, KindCase, c.Name,
			f.Requests, f.Errors, f.TPS, f.AvgRT, f.TP99, f.SuccessRate).Scan(&own); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(qCaseDetailID), own, caseID); err != nil {
			return err
		}
		for j, sr := range c.Series {
			f := sr.Figures
			rows = append(rows, []any{caseID, taskID, c.Name, start, j + 1, sr.Kind, sr.Name,
				f.Requests, f.Errors, f.TPS, f.AvgRT, f.TP99, f.SuccessRate})
		}
	}
	for len(rows) > 0 {
		n := min(len(rows), detailBatch)
		if err := s.insertDetails(ctx, tx, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// detailBatch is the most rows one insert takes: 13 values a row stay
// well under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const detailBatch = 500

// insertDetails inserts rows of details in one statement; their order
// among a case's rows is their idx, not their id.
func (s *sqlStore) insertDetails(ctx context.Context, tx *sql.Tx, rows [][]any) error {
	var b strings.Builder
	b.WriteString(qDetailColumns)
	args := make([]any, 0, len(rows)*len(rows[0]))
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?" + strings.Repeat(", ?", len(r)-1) + ")")
		args = append(args, r...)
	}
	query := b.String()
	if s.d.dollar {
		query = rebind(query)
	}
	_, err := tx.ExecContext(ctx, query, args...)
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scanTask reads a task row; latest is the id of its latest run, if any.
func (s *sqlStore) scanTask(ctx context.Context, sc interface{ Scan(...any) error }) (Task, int64, error) {
	var t Task
	var latest sql.NullInt64
	if err := sc.Scan(&t.ID, &t.ProjectID, &t.Name, &t.BaselineID, &t.Runs, &latest); err != nil {
		return Task{}, 0, err
	}
	return t, latest.Int64, nil
}

func (s *sqlStore) Tasks(ctx context.Context, projectID int64) ([]Task, error) {
	rows, err := s.r.QueryContext(ctx, s.q(qTasks), projectID)
	if err != nil {
		return nil, err
	}
	var ts []Task
	var latest []int64
	for rows.Next() {
		t, l, err := s.scanTask(ctx, rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ts = append(ts, t)
		latest = append(latest, l)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	for i, id := range latest {
		if id == 0 {
			continue
		}
		r, err := s.Run(ctx, projectID, id)
		if err != nil {
			return nil, err
		}
		ts[i].Latest = &r
	}
	return ts, nil
}

func (s *sqlStore) Task(ctx context.Context, projectID, taskID int64) (Task, error) {
	t, latest, err := s.scanTask(ctx, s.r.QueryRowContext(ctx, s.q(qTask), projectID, taskID))
	if errors.Is(err, sql.ErrNoRows) {
		return Task{}, ErrNotFound
	}
	if err != nil || latest == 0 {
		return t, err
	}
	r, err := s.Run(ctx, projectID, latest)
	t.Latest = &r
	return t, err
}

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var stored, start, end int64
	var labels, names string
	var parallel int
	if err := sc.Scan(&r.ID, &r.UUID, &r.ProjectID, &r.TaskID, &r.Scenario, &r.Parts, &r.Segments, &stored,
		&r.Status, &r.Verdict, &start, &end, &r.Requests, &r.Errors, &r.TPS, &r.AvgRT, &r.TP99, &r.SuccessRate,
		&names, &parallel, &labels, &r.CI.System, &r.CI.Commit, &r.CI.Branch, &r.CI.PipelineURL); err != nil {
		return Run{}, err
	}
	r.Stored, r.Start, r.End = time.UnixMilli(stored), time.UnixMilli(start), time.UnixMilli(end)
	r.Parallel = parallel != 0
	if err := json.Unmarshal([]byte(labels), &r.Labels); err != nil {
		return Run{}, fmt.Errorf("run %d's labels: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(names), &r.CaseNames); err != nil {
		return Run{}, fmt.Errorf("run %d's cases: %w", r.ID, err)
	}
	return r, nil
}

func (s *sqlStore) Runs(ctx context.Context, q RunQuery) ([]Run, error) {
	var b strings.Builder
	b.WriteString(`SELECT ` + runColumns + ` FROM runs r JOIN tasks t ON t.id = r.task_id WHERE r.project_id = ?`)
	args := []any{q.ProjectID}
	if q.TaskID != 0 {
		b.WriteString(` AND r.task_id = ?`)
		args = append(args, q.TaskID)
	}
	for _, k := range slices.Sorted(maps.Keys(q.Labels)) {
		b.WriteString(` AND EXISTS (SELECT 1 FROM run_labels l WHERE l.run_id = r.id AND l.name = ? AND l.value = ?)`)
		args = append(args, k, q.Labels[k])
	}
	if !q.Before.IsZero() {
		b.WriteString(` AND (r.start_ms < ? OR (r.start_ms = ? AND r.id < ?))`)
		ms := q.Before.UnixMilli()
		args = append(args, ms, ms, q.BeforeID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	b.WriteString(` ORDER BY r.start_ms DESC, r.id DESC LIMIT ?`)
	args = append(args, limit)
	query := b.String()
	if s.d.dollar {
		query = rebind(query)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

func (s *sqlStore) Run(ctx context.Context, projectID, runID int64) (Run, error) {
	r, err := scanRun(s.r.QueryRowContext(ctx, s.q(qRun), projectID, runID))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, ErrNotFound
	}
	return r, err
}

func (s *sqlStore) RunByUUID(ctx context.Context, projectID int64, uuid string) (Run, error) {
	r, err := scanRun(s.r.QueryRowContext(ctx, s.q(qRunByUUID), projectID, uuid))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, ErrNotFound
	}
	return r, err
}

func (s *sqlStore) CaseRuns(ctx context.Context, runID int64) ([]CaseRun, error) {
	rows, err := s.r.QueryContext(ctx, s.q(qCaseRuns), runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []CaseRun
	for rows.Next() {
		var c CaseRun
		var passed int
		if err := rows.Scan(&c.ID, &c.RunID, &c.Index, &c.Name, &c.DetailID, &passed,
			&c.Requests, &c.Errors, &c.TPS, &c.AvgRT, &c.TP99, &c.SuccessRate); err != nil {
			return nil, err
		}
		c.Passed = passed != 0
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

func (s *sqlStore) Details(ctx context.Context, caseRunID int64) ([]Detail, error) {
	rows, err := s.r.QueryContext(ctx, s.q(qDetails), caseRunID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ds []Detail
	for rows.Next() {
		var d Detail
		if err := rows.Scan(&d.ID, &d.CaseRunID, &d.Index, &d.Kind, &d.Name,
			&d.Requests, &d.Errors, &d.TPS, &d.AvgRT, &d.TP99, &d.SuccessRate); err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, rows.Err()
}

func (s *sqlStore) Report(ctx context.Context, runID int64, segment int) ([]byte, error) {
	var encoding string
	var data []byte
	err := s.r.QueryRowContext(ctx, s.q(qReport), runID, segment).Scan(&encoding, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodeReport(encoding, data)
}

func (s *sqlStore) Trend(ctx context.Context, q TrendQuery) ([]TrendPoint, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	name := q.Name
	if q.Kind == KindCase {
		name = q.Case
	}
	rows, err := s.r.QueryContext(ctx, s.q(qTrend), q.TaskID, q.Case, q.Kind, name, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pts []TrendPoint
	for rows.Next() {
		var p TrendPoint
		var start int64
		if err := rows.Scan(&p.RunID, &p.RunUUID, &start, &p.Requests, &p.Errors, &p.TPS, &p.AvgRT, &p.TP99, &p.SuccessRate); err != nil {
			return nil, err
		}
		p.Start = time.UnixMilli(start)
		pts = append(pts, p)
	}
	slices.Reverse(pts)
	return pts, rows.Err()
}

func (s *sqlStore) SetBaseline(ctx context.Context, taskID, runID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if runID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(qBaselineRun), runID, taskID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return ErrNotFound
			}
		}
		r, err := tx.ExecContext(ctx, s.q(qSetBaseline), runID, taskID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

func (s *sqlStore) DeleteRun(ctx context.Context, projectID, runID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, s.q(qDeleteRun), projectID, runID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		_, err = tx.ExecContext(ctx, s.q(qClearBase), runID)
		return err
	})
}

func (s *sqlStore) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	r, err := s.w.ExecContext(ctx, s.q(qDeleteBefore), t.UnixMilli())
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	return int(n), err
}
