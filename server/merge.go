package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/reporters"
	"github.com/perfcase/perfcase/server/store"
	"github.com/perfcase/perfcase/upload"
)

// mergeParts merges the parts of a split run stored so far with the code
// of 'perfcase merge' (reporters.MergeParts), the run partial until every
// part has arrived, and stores the merged report; once every part is
// there, the merged run's figures too, which the lists, trends and the
// report API read. Merges in one service are one at a time, each reading
// every part stored when it starts; services sharing a database may merge
// at once, and the store drops a merge of fewer parts than it holds by
// then (PutMerged), so the merge of fewer parts is never left last.
func (s *Server) mergeParts(ctx context.Context, projectID, runID int64, count int) error {
	s.mergeMu.Lock()
	defer s.mergeMu.Unlock()
	var parts []reporters.Part
	for i := range count {
		data, err := s.store.Report(ctx, runID, i)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		var rep output.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			return fmt.Errorf("stored part %d of run %d: %w", i, runID, err)
		}
		parts = append(parts, reporters.Part{Name: fmt.Sprintf("part %d", i), Report: &rep})
	}
	f, err := reporters.MergeParts(parts, true)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := reporters.WriteJSON(&buf, f); err != nil {
		return err
	}
	body := buf.Bytes()
	run, err := upload.ReadRun(body)
	if err != nil {
		return err
	}
	in := &ingested{report: f.Report, run: run, segment: store.Segment{Index: 0, Count: 1}}
	return s.store.PutMerged(ctx, runID, in.part(projectID, body, s.cfg.Now()), len(parts), len(parts) == count)
}

// runReport is a stored run's report: its one part's, or the report
// merged from a split run's parts.
func (s *Server) runReport(ctx context.Context, run store.Run) ([]byte, error) {
	if run.Segments == 1 {
		return s.store.Report(ctx, run.ID, 0)
	}
	data, err := s.store.Report(ctx, run.ID, store.MergedSegment)
	if errors.Is(err, store.ErrNotFound) {
		return nil, newError(http.StatusUnprocessableEntity, 3, "run %s was uploaded in %d parts (%d arrived), which could not be merged: see the service's log", run.UUID, run.Segments, run.Parts)
	}
	return data, err
}
