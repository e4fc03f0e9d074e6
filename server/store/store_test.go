package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
)

func TestMain(m *testing.M) { os.Exit(testsupport.PostgresMain(m)) }

// backend opens a store of one kind at a schema version; each call on
// the same backend opens the same database.
type backend struct {
	name string
	open func(t *testing.T, version int) (*sqlStore, error)
}

// backends gives a test one SQLite folder and one PostgreSQL database of
// its own: every store test runs on both.
func backends(t *testing.T) []backend {
	dir := t.TempDir()
	var dsn string
	return []backend{
		{"sqlite", func(t *testing.T, v int) (*sqlStore, error) {
			return openSQLite(context.Background(), dir, v)
		}},
		{"postgres", func(t *testing.T, v int) (*sqlStore, error) {
			if dsn == "" {
				dsn = testsupport.Postgres(t)
			}
			return openPostgres(context.Background(), dsn, v)
		}},
	}
}

// eachStore runs f on a fresh store of each kind.
func eachStore(t *testing.T, f func(t *testing.T, s *sqlStore)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s, err := b.open(t, SchemaVersion)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			f(t, s)
		})
	}
}

// Migrations: an empty database gets every version; opening again
// applies nothing and keeps the data; a database at an older version is
// brought up to date with its data; one a newer perfcase migrated is
// refused with a message saying so.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			old, err := b.open(t, 1)
			if err != nil {
				t.Fatal(err)
			}
			if vs, _ := old.Versions(ctx); fmt.Sprint(vs) != "[1]" {
				t.Fatalf("an empty database opened at version 1 has versions %v", vs)
			}
			if _, err := old.CreateProject(ctx, "shop"); err != nil {
				t.Fatal(err)
			}
			old.Close()

			s, err := b.open(t, SchemaVersion)
			if err != nil {
				t.Fatalf("upgrading from version 1: %v", err)
			}
			want := fmt.Sprint(seq(SchemaVersion))
			if vs, _ := s.Versions(ctx); fmt.Sprint(vs) != want {
				t.Errorf("after the upgrade, versions %v, want %s", vs, want)
			}
			p, err := s.Project(ctx, "shop")
			if err != nil {
				t.Fatalf("the project written at version 1: %v", err)
			}
			if _, err := s.PutPart(ctx, part(p.ID, "run-1", "shop", time.Unix(1000, 0))); err != nil {
				t.Fatalf("a write after the upgrade: %v", err)
			}
			s.Close()

			again, err := b.open(t, SchemaVersion)
			if err != nil {
				t.Fatalf("re-opening: %v", err)
			}
			if vs, _ := again.Versions(ctx); fmt.Sprint(vs) != want {
				t.Errorf("after re-opening, versions %v, want %s", vs, want)
			}
			if _, err := again.RunByUUID(ctx, p.ID, "run-1"); err != nil {
				t.Errorf("the run after re-opening: %v", err)
			}
			if _, err := again.w.ExecContext(ctx, again.q(`INSERT INTO schema_migrations (version, applied) VALUES (?, 0)`), SchemaVersion+1); err != nil {
				t.Fatal(err)
			}
			again.Close()
			_, err = b.open(t, SchemaVersion)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d, newer than this perfcase knows (%d)", SchemaVersion+1, SchemaVersion)) {
				t.Errorf("a database of a newer perfcase: %v", err)
			}
		})
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

func f64(v float64) *float64 { return &v }

// part is a whole run of scenario with one case of one request and one
// transaction, started at start and lasting a minute.
func part(projectID int64, uuid, scenario string, start time.Time) *Part {
	return &Part{
		ProjectID: projectID, RunUUID: uuid, Segment: Segment{0, 1}, Scenario: scenario,
		Report:   []byte(`{"run":"` + uuid + `"}`),
		StoredAt: start.Add(2 * time.Minute),
		Summary: Summary{Status: "completed", Verdict: "passed", Start: start, End: start.Add(time.Minute), CaseNames: []string{"browse"},
			Figures: Figures{Requests: 600, Errors: 6, TPS: f64(10), AvgRT: f64(12.5), TP99: f64(40), SuccessRate: f64(99)}},
		Cases: []CaseSummary{{Name: "browse", Passed: true,
			Figures: Figures{Requests: 600, Errors: 6, TPS: f64(5), AvgRT: f64(12.5), TP99: f64(40), SuccessRate: f64(99)},
			Series: []SeriesSummary{
				{Kind: KindRequest, Name: "item", Figures: Figures{Requests: 600, Errors: 6, TPS: f64(10), AvgRT: f64(12.5), TP99: f64(40), SuccessRate: f64(99)}},
				{Kind: KindTransaction, Name: "login", Figures: Figures{Requests: 300, TPS: f64(5), AvgRT: nil, SuccessRate: f64(100)}},
			}}},
		Labels: map[string]string{"env": "staging"},
		CI:     CI{System: "github", Commit: "abc123", Branch: "main", PipelineURL: "https://github.com/o/r/actions/runs/1"},
	}
}

func project(t *testing.T, s Store, name string) Project {
	t.Helper()
	p, err := s.CreateProject(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A stored run reads back with its figures, cases, rows, labels, CI
// metadata and report; storing it again is ErrExists and changes nothing.
func TestPutPart(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlStore) {
		ctx := context.Background()
		p := project(t, s, "shop")
		if _, err := s.CreateProject(ctx, "shop"); !errors.Is(err, ErrExists) {
			t.Errorf("creating a project twice: %v", err)
		}
		start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		in := part(p.ID, "3f2a-1", "checkout", start)
		res, err := s.PutPart(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Parts != 1 || res.RunID == 0 || res.TaskID == 0 {
			t.Errorf("PutPart = %+v", res)
		}
		if _, err := s.PutPart(ctx, in); !errors.Is(err, ErrExists) {
			t.Errorf("the same part again: %v, want ErrExists", err)
		}
		r, err := s.RunByUUID(ctx, p.ID, "3f2a-1")
		if err != nil {
			t.Fatal(err)
		}
		want := Run{ID: res.RunID, UUID: "3f2a-1", ProjectID: p.ID, TaskID: res.TaskID, Scenario: "checkout", Parts: 1, Segments: 1,
			Stored: in.StoredAt, Summary: in.Summary, Labels: in.Labels, CI: in.CI}
		if d := testsupport.Diff(r, want); d != "" {
			t.Errorf("the run read back: %s", d)
		}
		if r2, err := s.Run(ctx, p.ID, res.RunID); err != nil || r2.UUID != "3f2a-1" {
			t.Errorf("Run by id: %v %v", r2.UUID, err)
		}
		if _, err := s.Run(ctx, p.ID+1, res.RunID); !errors.Is(err, ErrNotFound) {
			t.Errorf("a run asked for in another project: %v", err)
		}
		cases, err := s.CaseRuns(ctx, res.RunID)
		if err != nil || len(cases) != 1 {
			t.Fatalf("cases %+v, %v", cases, err)
		}
		c := cases[0]
		if c.Name != "browse" || !c.Passed || c.Requests != 600 || *c.TPS != 5 || c.DetailID == 0 {
			t.Errorf("case %+v", c)
		}
		ds, err := s.Details(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, fmt.Sprintf("%d:%d:%s:%d", d.Index, d.Kind, d.Name, d.Requests))
		}
		if fmt.Sprint(got) != "[0:1:browse:600 1:0:item:600 2:2:login:300]" || ds[0].ID != c.DetailID {
			t.Errorf("details %v (case's own row %d, want %d)", got, ds[0].ID, c.DetailID)
		}
		if ds[2].AvgRT != nil || *ds[2].SuccessRate != 100 {
			t.Errorf("a null figure and a number: %v %v", ds[2].AvgRT, ds[2].SuccessRate)
		}
		rep, err := s.Report(ctx, res.RunID, 0)
		if err != nil || !bytes.Equal(rep, in.Report) {
			t.Errorf("report %q, %v", rep, err)
		}
		if _, err := s.Report(ctx, res.RunID, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("a part that is not there: %v", err)
		}
		// A second run of the scenario lands in the same task.
		res2, err := s.PutPart(ctx, part(p.ID, "3f2a-2", "checkout", start.Add(time.Hour)))
		if err != nil || res2.TaskID != res.TaskID {
			t.Errorf("second run: task %d, want %d (%v)", res2.TaskID, res.TaskID, err)
		}
		tasks, err := s.Tasks(ctx, p.ID)
		if err != nil || len(tasks) != 1 || tasks[0].Runs != 2 || tasks[0].Latest == nil || tasks[0].Latest.UUID != "3f2a-2" {
			t.Errorf("tasks %+v, %v", tasks, err)
		}
	})
}

// Reports are compressed when that pays, and always come back as they
// went in.
func TestReportEncoding(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlStore) {
		ctx := context.Background()
		p := project(t, s, "shop")
		big := []byte(`{"result": "` + strings.Repeat("tps 41.3 avg 12.5 ", 4000) + `"}`)
		random := make([]byte, 4096)
		rand.Read(random)
		for i, rep := range [][]byte{big, []byte(`{}`), random} {
			in := part(p.ID, fmt.Sprint("enc-", i), "s", time.Unix(int64(i), 0))
			in.Report = rep
			res, err := s.PutPart(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			var encoding string
			var size, stored int
			if err := s.r.QueryRowContext(ctx, s.q(`SELECT encoding, size, LENGTH(report) FROM run_parts WHERE run_id = ?`), res.RunID).Scan(&encoding, &size, &stored); err != nil {
				t.Fatal(err)
			}
			back, err := s.Report(ctx, res.RunID, 0)
			if err != nil || !bytes.Equal(back, rep) {
				t.Errorf("report %d does not come back as it went in (%v)", i, err)
			}
			t.Logf("report %d: %d bytes stored as %s in %d", i, size, encoding, stored)
			if i == 0 && (encoding != "gzip" || stored > size/10) {
				t.Errorf("a repetitive report of %d bytes is stored as %s in %d bytes", size, encoding, stored)
			}
			if i > 0 && encoding != "identity" {
				t.Errorf("report %d, tiny or incompressible, is stored as %s", i, encoding)
			}
		}
	})
}

// A run in N parts: each part once, the run partial until the last; a
// part that disagrees on N is refused. Parts never count as duplicates
// of each other.
func TestSegments(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlStore) {
		ctx := context.Background()
		p := project(t, s, "shop")
		base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		put := func(i, n int, start time.Time) (PutResult, error) {
			in := part(p.ID, "split", "checkout", start)
			in.Segment = Segment{i, n}
			return s.PutPart(ctx, in)
		}
		if res, err := put(1, 3, base.Add(2*time.Second)); err != nil || res.Parts != 1 {
			t.Fatalf("part 1 of 3: %+v %v", res, err)
		}
		r, _ := s.RunByUUID(ctx, p.ID, "split")
		if !r.Partial() || r.Segments != 3 || r.Parts != 1 || r.Requests != 0 || r.TP99 != nil {
			t.Errorf("after one part of three: %+v", r)
		}
		if cs, _ := s.CaseRuns(ctx, r.ID); len(cs) != 0 {
			t.Errorf("a part of a split run indexed %d cases", len(cs))
		}
		if _, err := put(1, 3, base); !errors.Is(err, ErrExists) {
			t.Errorf("part 1 again: %v", err)
		}
		if _, err := put(2, 4, base); !errors.Is(err, ErrSegments) {
			t.Errorf("a part of 4 of a run of 3: %v", err)
		}
		if _, err := put(3, 3, base); err == nil {
			t.Error("part 3 of 3 was stored")
		}
		if res, err := put(0, 3, base); err != nil || res.Parts != 2 {
			t.Fatalf("part 0: %+v %v", res, err)
		}
		if res, err := put(2, 3, base.Add(time.Second)); err != nil || res.Parts != 3 {
			t.Fatalf("part 2: %+v %v", res, err)
		}
		r, _ = s.RunByUUID(ctx, p.ID, "split")
		if r.Partial() || r.Parts != 3 || !r.Start.Equal(base) || !r.End.Equal(base.Add(2*time.Second+time.Minute)) {
			t.Errorf("after every part: %+v (start %v end %v)", r, r.Start, r.End)
		}
		for i := range 3 {
			if _, err := s.Report(ctx, r.ID, i); err != nil {
				t.Errorf("part %d's report: %v", i, err)
			}
		}
	})
}

// A merge is dropped when more parts are stored by the time it is written
// than it merged: the merge that follows the last part writes its own, so
// services on one database that merge at once never leave the merge of
// fewer parts last.
func TestStaleMergeDropped(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlStore) {
		ctx := context.Background()
		p := project(t, s, "shop")
		base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		for i := range 2 {
			in := part(p.ID, "split", "checkout", base)
			in.Segment = Segment{i, 2}
			if _, err := s.PutPart(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		r, _ := s.RunByUUID(ctx, p.ID, "split")
		merged := func(report string) *Part {
			m := part(p.ID, "split", "checkout", base)
			m.Report = []byte(report)
			return m
		}
		// The merge of both parts, then a late one of part 0 alone.
		if err := s.PutMerged(ctx, r.ID, merged(`{"parts": 2}`), 2, true); err != nil {
			t.Fatal(err)
		}
		if err := s.PutMerged(ctx, r.ID, merged(`{"parts": 1}`), 1, false); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Report(ctx, r.ID, MergedSegment); err != nil || string(got) != `{"parts": 2}` {
			t.Errorf("the merged report is %s (%v), want the merge of both parts", got, err)
		}
	})
}

// Uploads at once, each run twice: every run is stored exactly once.
func TestConcurrentPuts(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlStore) {
		ctx := context.Background()
		p := project(t, s, "shop")
		const runs = 40
		var wg sync.WaitGroup
		var mu sync.Mutex
		stored, exists := map[string]int{}, 0
		for i := range 2 * runs {
			wg.Go(func() {
				// Half the runs are of a scenario every upload creates at
				// once.
				scen := "new-" + fmt.Sprint(i%runs%3)
				uuid := fmt.Sprint("c-", i%runs)
				_, err := s.PutPart(ctx, part(p.ID, uuid, scen, time.Unix(int64(i%runs), 0)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					stored[uuid]++
				case errors.Is(err, ErrExists):
					exists++
				default:
					t.Errorf("upload %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if len(stored) != runs || exists != runs {
			t.Errorf("%d runs stored, %d answered ErrExists; want %d and %d", len(stored), exists, runs, runs)
		}
		for uuid, n := range stored {
			if n != 1 {
				t.Errorf("%s stored %d times", uuid, n)
			}
		}
		var n int
		s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs`).Scan(&n)
		if n != runs {
			t.Errorf("%d rows in runs, want %d", n, runs)
		}
	})
}

// Runs list newest first, page by start time, and filter by labels.
func TestRuns(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlStore) {
		ctx := context.Background()
		p := project(t, s, "shop")
		other := project(t, s, "other")
		base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		var task int64
		for i := range 7 {
			in := part(p.ID, fmt.Sprint("r", i), "checkout", base.Add(time.Duration(i)*time.Hour))
			in.Labels = map[string]string{"env": []string{"prod", "staging"}[i%2], "n": fmt.Sprint(i)}
			res, err := s.PutPart(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			task = res.TaskID
		}
		s.PutPart(ctx, part(p.ID, "x", "search", base))
		s.PutPart(ctx, part(other.ID, "o", "checkout", base))
		ids := func(runs []Run, err error) string {
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, r := range runs {
				s = append(s, r.UUID)
			}
			return strings.Join(s, " ")
		}
		for _, c := range []struct {
			q    RunQuery
			want string
		}{
			{RunQuery{ProjectID: p.ID, TaskID: task}, "r6 r5 r4 r3 r2 r1 r0"},
			{RunQuery{ProjectID: p.ID}, "r6 r5 r4 r3 r2 r1 x r0"},
			{RunQuery{ProjectID: p.ID, TaskID: task, Limit: 3}, "r6 r5 r4"},
			{RunQuery{ProjectID: p.ID, TaskID: task, Limit: 3, Before: base.Add(4 * time.Hour), BeforeID: 1 << 40}, "r4 r3 r2"},
			{RunQuery{ProjectID: p.ID, TaskID: task, Limit: 3, Before: base.Add(4 * time.Hour)}, "r3 r2 r1"},
			{RunQuery{ProjectID: p.ID, TaskID: task, Labels: map[string]string{"env": "prod"}}, "r6 r4 r2 r0"},
			{RunQuery{ProjectID: p.ID, TaskID: task, Labels: map[string]string{"env": "prod", "n": "4"}}, "r4"},
			{RunQuery{ProjectID: p.ID, TaskID: task, Labels: map[string]string{"env": "qa"}}, ""},
			{RunQuery{ProjectID: other.ID}, "o"},
		} {
			if got := ids(s.Runs(ctx, c.q)); got != c.want {
				t.Errorf("Runs(%+v) = %q, want %q", c.q, got, c.want)
			}
		}
	})
}

// A trend is one series across the scenario's latest runs, oldest first.
func TestTrend(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlStore) {
		ctx := context.Background()
		p := project(t, s, "shop")
		base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		var task int64
		for i := range 5 {
			in := part(p.ID, fmt.Sprint("r", i), "checkout", base.Add(time.Duration(i)*time.Hour))
			in.Cases[0].Series[0].TP99 = f64(float64(100 + i))
			in.Cases[0].TP99 = f64(float64(200 + i))
			res, err := s.PutPart(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			task = res.TaskID
		}
		show := func(pts []TrendPoint, err error) string {
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, p := range pts {
				s = append(s, fmt.Sprintf("%s=%g", p.RunUUID, *p.TP99))
			}
			return strings.Join(s, " ")
		}
		if got := show(s.Trend(ctx, TrendQuery{TaskID: task, Case: "browse", Kind: KindRequest, Name: "item", Limit: 3})); got != "r2=102 r3=103 r4=104" {
			t.Errorf("request trend %s", got)
		}
		if got := show(s.Trend(ctx, TrendQuery{TaskID: task, Case: "browse", Kind: KindCase})); got != "r0=200 r1=201 r2=202 r3=203 r4=204" {
			t.Errorf("case trend %s", got)
		}
		if got := show(s.Trend(ctx, TrendQuery{TaskID: task, Case: "browse", Kind: KindRequest, Name: "nope"})); got != "" {
			t.Errorf("an unknown series' trend %s", got)
		}
	})
}

// Tokens are found by hash while live, listed with their project, and
// revoked once.
func TestTokens(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlStore) {
		ctx := context.Background()
		p := project(t, s, "shop")
		h := sha256.Sum256([]byte("secret"))
		tok := Token{ProjectID: p.ID, Name: "ci", Scope: ScopeWrite, Hash: h[:], Prefix: "pct_abcd"}
		if err := s.CreateToken(ctx, &tok); err != nil || tok.ID == 0 {
			t.Fatal(tok.ID, err)
		}
		got, err := s.TokenByHash(ctx, h[:])
		if err != nil || got.ID != tok.ID || got.Project != "shop" || got.Scope != ScopeWrite || got.Name != "ci" {
			t.Errorf("TokenByHash = %+v, %v", got, err)
		}
		other := sha256.Sum256([]byte("other"))
		if _, err := s.TokenByHash(ctx, other[:]); !errors.Is(err, ErrNotFound) {
			t.Errorf("an unknown hash: %v", err)
		}
		dup := tok
		if err := s.CreateToken(ctx, &dup); err == nil {
			t.Error("two tokens with one hash")
		}
		if err := s.RevokeToken(ctx, p.ID+1, tok.ID, time.Now()); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoking through another project: %v", err)
		}
		if err := s.RevokeToken(ctx, p.ID, tok.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, p.ID, tok.ID, time.Now()); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoking twice: %v", err)
		}
		if _, err := s.TokenByHash(ctx, h[:]); !errors.Is(err, ErrNotFound) {
			t.Errorf("a revoked token is found: %v", err)
		}
		ts, err := s.Tokens(ctx, p.ID)
		if err != nil || len(ts) != 1 || ts[0].Revoked.IsZero() {
			t.Errorf("Tokens = %+v, %v", ts, err)
		}
	})
}

// Retention deletes the runs that ended before the cut, with everything
// they hold, but never a baseline; deleting a baseline run clears it.
func TestRetentionAndBaseline(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlStore) {
		ctx := context.Background()
		p := project(t, s, "shop")
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var ids []int64
		var task int64
		for i := range 4 {
			res, err := s.PutPart(ctx, part(p.ID, fmt.Sprint("r", i), "checkout", base.AddDate(0, 0, 30*i)))
			if err != nil {
				t.Fatal(err)
			}
			ids, task = append(ids, res.RunID), res.TaskID
		}
		if err := s.SetBaseline(ctx, task, ids[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.SetBaseline(ctx, task, 1<<40); !errors.Is(err, ErrNotFound) {
			t.Errorf("a baseline that is no run of the task: %v", err)
		}
		n, err := s.DeleteBefore(ctx, base.AddDate(0, 0, 61))
		if err != nil || n != 2 {
			t.Errorf("DeleteBefore deleted %d, %v; want 2 (r1, r2: r0 is the baseline)", n, err)
		}
		left, _ := s.Runs(ctx, RunQuery{ProjectID: p.ID})
		if len(left) != 2 || left[0].UUID != "r3" || left[1].UUID != "r0" {
			t.Errorf("left %+v", left)
		}
		var orphans int
		s.r.QueryRowContext(ctx, s.q(`SELECT (SELECT COUNT(*) FROM run_parts WHERE run_id = ?) + (SELECT COUNT(*) FROM case_runs WHERE run_id = ?) + (SELECT COUNT(*) FROM run_labels WHERE run_id = ?)`), ids[1], ids[1], ids[1]).Scan(&orphans)
		if orphans != 0 {
			t.Errorf("a deleted run left %d rows behind", orphans)
		}
		var details int
		s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM details`).Scan(&details)
		if details != 2*3 {
			t.Errorf("%d detail rows, want 6 (two runs of three rows)", details)
		}
		if err := s.DeleteRun(ctx, p.ID, ids[0]); err != nil {
			t.Fatal(err)
		}
		if tk, _ := s.Task(ctx, p.ID, task); tk.BaselineID != 0 {
			t.Errorf("the deleted baseline is still marked: %d", tk.BaselineID)
		}
		if err := s.DeleteRun(ctx, p.ID, ids[0]); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

// Versions lists the schema versions applied to the database.
func (s *sqlStore) Versions(ctx context.Context) ([]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}
