package dbsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/b24go/b24"
)

// run is one Sync in progress.
type run struct {
	db   *DB
	hook *b24.Hook
	api  *b24.API
	e    entity
	o    Options
	ts   *tableSchema
	sel  []string
	st   state
	now  time.Time // the portal's time at the run's start (server.time)
	// probed is set when the start-up batch probed the change filter;
	// probeOK is its outcome (the filter is honoured).
	probed, probeOK bool
	began           time.Time
	req0            int64
	rep             Report
	w               *writer // the table's writer, made at the first write
}

func (r *run) requests() int64 { return r.hook.Stats().Requests - r.req0 }

func (r *run) progress(phase string) {
	if r.o.Progress != nil {
		r.o.Progress(Progress{Phase: phase, Rows: r.rep.Written, Requests: r.requests()})
	}
}

// run decides how to read and reads.
func (r *run) run(ctx context.Context) error {
	if err := r.prepare(ctx); err != nil {
		return err
	}
	if err := r.fetchIDs(ctx, r.o.Hints, "hints", &r.rep.Hinted); err != nil {
		return err
	}
	if err := r.drainQueue(ctx); err != nil {
		return err
	}
	full, resumed := r.st.Phase != "ready", r.st.Phase == "full" && r.st.Cursor > 0
	mode := "full"
	if resumed {
		mode = "resume"
	}
	var seen []int64
	var err error
	switch {
	case resumed:
		// rows before the cursor may have changed since the walk began:
		// after it, a change walk from the walk's start (kept in Watermark)
		if seen, err = r.fullWalk(ctx, r.st.Cursor); err == nil {
			_, seen, err = r.changes(ctx)
		}
	case full:
		r.st.Watermark = r.now.Format(portalTime) // the walk's start, kept if it is resumed
		seen, err = r.fullWalk(ctx, 0)
	case r.e.modFilter == "":
		mode = "full (no filterable change time)"
		seen, err = r.fullWalk(ctx, 0)
	default:
		mode, seen, err = r.changes(ctx)
	}
	r.rep.Mode = mode
	if err != nil {
		return err
	}
	if seen == nil { // a change walk: walk the ids
		if seen, err = r.idWalk(ctx); err != nil {
			return err
		}
	}
	if err := r.reconcile(ctx, seen); err != nil {
		return err
	}
	return r.finish(ctx, mode)
}

// prepare reads the state, then the portal's time, the fields and the
// probe (one batch: startup), and brings the table in line.
func (r *run) prepare(ctx context.Context) error {
	var err error
	if r.st, err = r.db.loadState(ctx, r.db.sql, r.e.table); err != nil {
		return err
	}
	if r.ts, err = r.db.loadSchema(ctx, r.e.table); err != nil {
		return err
	}
	fields, err := r.startup(ctx, r.st.Phase == "ready" && r.e.modFilter != "")
	if err != nil {
		return err
	}
	if err := r.db.ensureTable(ctx, r.e, r.ts, fields); err != nil {
		return err
	}
	migrated, err := r.db.applyFields(ctx, r.ts, fields, r.o.Migrate)
	if err != nil {
		return err
	}
	if migrated {
		r.o.Logger.Warn("dbsync: fields changed type: walking the table again", "table", r.e.table)
		r.st.Phase, r.st.Cursor = "full", 0
	}
	r.sel = r.e.selectAll
	if r.e.legacy {
		r.sel = legacySelect(fields)
	}
	r.st.Entity = r.e.name
	return nil
}

// portalNow is the portal's time now: server.time, in the portal's zone.
func (r *run) portalNow(ctx context.Context) (time.Time, error) {
	resp, err := r.api.Call(ctx, "server.time", nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("dbsync: server.time: %w", err)
	}
	return parsePortalTime(resp.Result)
}

// changes walks the rows changed since the watermark minus the overlap,
// after a read-only probe that the portal honours the change filter.
func (r *run) changes(ctx context.Context) (string, []int64, error) {
	wm, err := time.Parse(time.RFC3339, r.st.Watermark)
	if err != nil {
		return "", nil, fmt.Errorf("dbsync: state of %s: watermark %q: %w", r.e.table, r.st.Watermark, err)
	}
	ok := r.probeOK
	if !r.probed { // a resumed walk: the start-up batch did not probe
		if ok, err = r.probe(ctx); err != nil {
			return "", nil, err
		}
	}
	if !ok {
		r.o.Logger.Warn("dbsync: the portal ignores the change filter: a full walk", "table", r.e.table, "filter", ">="+r.e.modFilter)
		seen, err := r.fullWalk(ctx, 0)
		return "full (change filter not honoured)", seen, err
	}
	since := wm.Add(-r.o.Overlap).In(wm.Location()).Format(portalTime)
	filter := map[string]any{">=" + r.e.modFilter: since}
	_, err = r.walk(ctx, "changes", filter, 0, false)
	return "changes", nil, err
}

// probe checks that the change filter works: a filter a day after the
// portal's now must match nothing. A portal that refuses it or answers rows
// does not honour it.
func (r *run) probe(ctx context.Context) (bool, error) {
	resp, err := r.api.Call(ctx, r.e.list, r.probeParams(r.now.Add(24*time.Hour)))
	var apiErr *b24.APIError
	if errors.As(err, &apiErr) && apiErr.Code != string(b24.ErrOperationTimeLimit) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dbsync: probe %s: %w", r.e.list, err)
	}
	rows, err := rowsOf(resp.Result, r.e.rowsKey)
	if err != nil {
		return false, err
	}
	return len(rows) == 0, nil
}

// probeParams are the probe's parameters: the change filter at future.
func (r *run) probeParams(future time.Time) map[string]any {
	return r.e.withParams(map[string]any{
		"filter": map[string]any{">=" + r.e.modFilter: future.Format(portalTime)}, "select": []string{r.e.idFilter}})
}

// rowsOf returns the rows of a list answer's result.
func rowsOf(raw json.RawMessage, key string) ([]row, error) {
	if key != "" {
		var wrap map[string]json.RawMessage
		if err := json.Unmarshal(raw, &wrap); err != nil {
			return nil, fmt.Errorf("dbsync: list answer: %w", err)
		}
		raw = wrap[key]
	}
	var rows []row
	if len(raw) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("dbsync: list answer: not a list of rows: %w", err)
	}
	return rows, nil
}

// finish records a complete run: the next change walk starts from this
// run's start in portal time (never the host's clock, never the largest
// modification time seen).
func (r *run) finish(ctx context.Context, mode string) error {
	now := r.now.Format(portalTime)
	r.st.Phase, r.st.Cursor, r.st.Watermark, r.st.LastRun = "ready", 0, now, now
	r.st.LastFullCheck = now
	r.st.DurationMS = time.Since(r.began).Milliseconds()
	r.st.Requests = r.requests()
	r.st.Mode = mode
	r.rep.Watermark = now
	return r.db.saveState(ctx, r.db.sql, r.e.table, r.st)
}
