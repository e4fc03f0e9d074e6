// Package store keeps the report service's runs: an embedded SQLite
// database in a data folder (OpenSQLite) or a PostgreSQL database
// (OpenPostgres), behind one interface, Store. Both run the same SQL
// (sql.go) through a dialect that spells the few things they spell
// differently, and apply the same versioned migrations at open
// (migrate.go), so one test suite proves both.
//
// A run is stored as parts keyed by run id and segment: a run made in one
// process is one part (segment 0 of 1); a run split over N processes
// arrives as N parts with the same run id, and is partial until all have
// arrived. Each part keeps its report whole (gzip-compressed when that
// makes it smaller) beside the figures the pages and queries read, so a
// page never decodes a report to list runs.
//
// The store parses nothing: the service reads a report once, at ingest,
// into a Part. It holds no secret either: tokens are kept as their
// SHA-256 hash.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors the store answers with; callers test them with errors.Is.
var (
	// ErrNotFound: no such project, scenario, run or token.
	ErrNotFound = errors.New("not found")
	// ErrExists: the part (run id and segment) is already stored, or the
	// project already exists. Nothing was written.
	ErrExists = errors.New("already stored")
	// ErrSegments: a part says the run has another number of parts than
	// the parts already stored say.
	ErrSegments = errors.New("the run's parts disagree on how many parts it has")
)

// Store is the report service's storage. Every method is safe for
// concurrent use; each write is one transaction, whole or not at all.
type Store interface {
	// CreateProject creates a project; ErrExists if it exists.
	CreateProject(ctx context.Context, name string) (Project, error)
	// Project finds a project by name.
	Project(ctx context.Context, name string) (Project, error)
	// Projects lists every project, by name.
	Projects(ctx context.Context) ([]Project, error)

	// CreateToken stores a token (its hash) for t.ProjectID and fills in
	// its ID and Created.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash finds a live (not revoked) token by its hash.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// Tokens lists a project's tokens, revoked ones included.
	Tokens(ctx context.Context, projectID int64) ([]Token, error)
	// RevokeToken revokes a token of the project; ErrNotFound when it has
	// no such live token.
	RevokeToken(ctx context.Context, projectID, tokenID int64, at time.Time) error

	// PutPart stores one part of a run, with its scenario (task) created
	// on first sight, in one transaction. ErrExists when that part is
	// already stored, ErrSegments when the run's parts disagree.
	PutPart(ctx context.Context, p *Part) (PutResult, error)

	// Tasks lists a project's scenarios with their latest run, by name.
	Tasks(ctx context.Context, projectID int64) ([]Task, error)
	// Task finds a scenario of the project by id.
	Task(ctx context.Context, projectID, taskID int64) (Task, error)
	// Runs lists runs newest first (by start time, then id).
	Runs(ctx context.Context, q RunQuery) ([]Run, error)
	// Run finds a run of the project by its integer id.
	Run(ctx context.Context, projectID, runID int64) (Run, error)
	// RunByUUID finds a run of the project by its run id.
	RunByUUID(ctx context.Context, projectID int64, uuid string) (Run, error)
	// CaseRuns lists a run's cases in the scenario's order.
	CaseRuns(ctx context.Context, runID int64) ([]CaseRun, error)
	// Details lists a case run's rows: the case's own first, then its
	// requests and transactions in the report's order.
	Details(ctx context.Context, caseRunID int64) ([]Detail, error)
	// Report returns the report of a run's part, as it was uploaded, or,
	// for MergedSegment, the report merged from a split run's parts.
	Report(ctx context.Context, runID int64, segment int) ([]byte, error)
	// PutMerged stores the report merged from merged of a split run's
	// parts, replacing an earlier merge of fewer parts, and, once every
	// part has arrived (complete), the merged run's figures and cases
	// from p, as a run of one part has them, so lists and trends read it.
	// A merge of fewer parts than are stored by then is stale and is
	// dropped: the merge after the last part stored writes its own, even
	// when services on one database merge at once.
	PutMerged(ctx context.Context, runID int64, p *Part, merged int, complete bool) error
	// Trend returns a series' figures in a scenario's latest runs, oldest
	// first.
	Trend(ctx context.Context, q TrendQuery) ([]TrendPoint, error)

	// SetBaseline marks a run of the task as its baseline (runID 0
	// clears it).
	SetBaseline(ctx context.Context, taskID, runID int64) error
	// DeleteRun deletes a run of the project and everything it holds; a
	// scenario whose baseline it was has none after.
	DeleteRun(ctx context.Context, projectID, runID int64) error
	// DeleteBefore deletes the runs that ended before t, except every
	// scenario's baseline, and says how many it deleted.
	DeleteBefore(ctx context.Context, t time.Time) (int, error)

	// Close releases the database.
	Close() error
}

// Scope is what a token may do; each scope includes the ones before it.
type Scope int

const (
	ScopeRead  Scope = iota + 1 // read runs, pages and the report API
	ScopeWrite                  // also upload runs and mark baselines
	ScopeAdmin                  // also delete runs
)

// String is the scope's name, as the command line and the store spell it.
func (s Scope) String() string {
	switch s {
	case ScopeRead:
		return "read"
	case ScopeWrite:
		return "write"
	case ScopeAdmin:
		return "admin"
	}
	return "none"
}

// ParseScope reads "read", "write" or "admin".
func ParseScope(s string) (Scope, bool) {
	for _, sc := range []Scope{ScopeRead, ScopeWrite, ScopeAdmin} {
		if s == sc.String() {
			return sc, true
		}
	}
	return 0, false
}

// Project is a group of scenarios that tokens give access to. Its Name is
// the {project_id} of the API's paths.
type Project struct {
	ID      int64
	Name    string
	Created time.Time
}

// Token is an API token, without its secret.
type Token struct {
	ID        int64
	ProjectID int64
	Project   string // the project's name; filled in by reads
	Name      string // a note saying what it is for
	Scope     Scope
	Hash      []byte // SHA-256 of the secret
	Prefix    string // the secret's first characters, to tell tokens apart
	Created   time.Time
	Revoked   time.Time // zero while it is live
}

// MergedSegment is where a split run's merged report is kept among its
// parts' reports.
const MergedSegment = -1

// Segment is which part of a run a report is: Index of Count (0 of 1 for
// a run made in one process).
type Segment struct {
	Index, Count int
}

// Part is one uploaded report and the figures read from it.
type Part struct {
	ProjectID int64
	RunUUID   string
	Segment   Segment
	Scenario  string
	// Report is the report as uploaded; the store compresses it when that
	// pays.
	Report   []byte
	StoredAt time.Time
	// Summary, Cases, Labels and CI are the run's figures and metadata.
	// Those of a part of a run of several parts are not indexed: only a
	// merged run has figures.
	Summary Summary
	Cases   []CaseSummary
	Labels  map[string]string
	CI      CI
}

// Summary is a run's figures for the lists.
type Summary struct {
	Status  string // how the run ended: "completed", "interrupted", ...
	Verdict string // "passed", "failed", or how it ended when it did not complete
	Start   time.Time
	End     time.Time
	// CaseNames are the run's cases in the scenario's order; Parallel
	// says whether their stages overlapped in time.
	CaseNames []string
	Parallel  bool
	Figures
}

// Figures are the measurements a list row or a trend point shows; nil
// when the report has no value (a ratio over nothing).
type Figures struct {
	Requests    int64
	Errors      int64
	TPS         *float64 // the row's tps: requests per second on a run or case, its own count per second on a request or transaction
	AvgRT       *float64 // ms
	TP99        *float64 // ms; a run's is its worst case's
	SuccessRate *float64 // %
}

// CaseSummary is a case of a run with its rows.
type CaseSummary struct {
	Name   string
	Passed bool
	Figures
	Series []SeriesSummary // its requests and transactions
}

// The kinds of a Detail, the reference's datumType codes.
const (
	KindRequest     = 0
	KindCase        = 1
	KindTransaction = 2
)

// SeriesSummary is a request or transaction of a case.
type SeriesSummary struct {
	Kind int // KindRequest or KindTransaction
	Name string
	Figures
}

// CI is what the continuous-integration system said about the run.
type CI struct {
	System      string // "github", "gitlab", "jenkins" or ""
	Commit      string
	Branch      string
	PipelineURL string
}

// PutResult is a stored part.
type PutResult struct {
	ProjectID int64
	TaskID    int64
	RunID     int64
	// Parts is how many of the run's parts are stored now, this one
	// included, of Segment.Count.
	Parts int
}

// Task is a scenario of a project, with its latest run.
type Task struct {
	ID         int64
	ProjectID  int64
	Name       string
	BaselineID int64 // the baseline run's id; 0 when none is marked
	Latest     *Run  // nil before the first run
	Runs       int   // how many runs it has
}

// Run is a stored run.
type Run struct {
	ID        int64
	UUID      string
	ProjectID int64
	TaskID    int64
	Scenario  string
	Parts     int // parts stored
	Segments  int // parts the run has
	Stored    time.Time
	Summary
	Labels map[string]string
	CI     CI
}

// Partial reports whether some of the run's parts have not arrived.
func (r *Run) Partial() bool { return r.Parts < r.Segments }

// RunQuery selects runs.
type RunQuery struct {
	ProjectID int64
	TaskID    int64             // 0: every scenario of the project
	Labels    map[string]string // every one must match
	Limit     int               // 0: 50
	// Before pages: only runs that started before it (or at it with a
	// smaller id than BeforeID).
	Before   time.Time
	BeforeID int64
}

// CaseRun is a case of a stored run.
type CaseRun struct {
	ID    int64
	RunID int64
	Index int
	Name  string
	// DetailID is the id of the case's own row among its Details.
	DetailID int64
	Passed   bool
	Figures
}

// Detail is a row of a case run: the case's own, a request's or a
// transaction's.
type Detail struct {
	ID        int64
	CaseRunID int64
	Index     int
	Kind      int
	Name      string
	Figures
}

// TrendQuery selects one series across a scenario's runs.
type TrendQuery struct {
	TaskID int64
	Case   string
	Kind   int    // KindCase for the case's own row
	Name   string // the request or transaction; ignored for KindCase
	Limit  int    // the latest Limit runs; 0: 100
}

// TrendPoint is a series' figures in one run.
type TrendPoint struct {
	RunID   int64
	RunUUID string
	Start   time.Time
	Figures
}
