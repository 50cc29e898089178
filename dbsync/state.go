package dbsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrOtherPortal is returned for a database synced from another portal, as
// another user, or through another credential kind (a webhook, or an
// application of another client id): its state would be wrong for this one.
var ErrOtherPortal = errors.New("dbsync: the database holds another portal's data")

var stateDDL = []string{
	`CREATE TABLE IF NOT EXISTS b24sync_portal (k BIGINT PRIMARY KEY, portal TEXT NOT NULL, user_id BIGINT NOT NULL, app TEXT)`,
	`CREATE TABLE IF NOT EXISTS b24sync_state (tbl TEXT PRIMARY KEY, entity TEXT NOT NULL, phase TEXT NOT NULL,
		cursor BIGINT NOT NULL, watermark TEXT NOT NULL, last_run TEXT NOT NULL, duration_ms BIGINT NOT NULL,
		requests BIGINT NOT NULL, mode TEXT NOT NULL, last_full_check TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS b24sync_columns (tbl TEXT NOT NULL, field TEXT NOT NULL, col TEXT NOT NULL,
		type TEXT NOT NULL, multiple BIGINT NOT NULL, PRIMARY KEY (tbl, field))`,
}

// state is one table's sync state.
type state struct {
	Entity string
	// Phase is "" (never run), "full" (a full walk under way: Cursor is the
	// last id committed) or "ready" (Watermark is valid).
	Phase         string
	Cursor        int64
	Watermark     string // portal time, RFC 3339, of the last complete run's start
	LastRun       string // portal time of the last run's start
	DurationMS    int64
	Requests      int64
	Mode          string // how the last run read: full, changes, full (change filter ignored), ...
	LastFullCheck string // portal time of the last complete id walk
}

// ph returns n placeholders from the i-th, comma-separated.
func ph(d dialect, i, n int) string {
	var b strings.Builder
	for k := range n {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteString(d.placeholder(i + k))
	}
	return b.String()
}

func (db *DB) initState(ctx context.Context) error {
	for _, q := range stateDDL {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("dbsync: state tables: %w", err)
		}
	}
	return nil
}

// checkPortal records the portal (host, user and application: the client
// id, "" for a webhook) on first use and refuses another one's database
// after. What a credential may read decides which rows look deleted, and
// an application's scopes are not a webhook's: a database changes hands only
// when its b24sync_portal row is deleted. A database recorded before the
// application was (app NULL) takes the first one that syncs it.
func (db *DB) checkPortal(ctx context.Context, portal string, user int64, app string) error {
	if err := db.portalAppColumn(ctx); err != nil {
		return err
	}
	var p string
	var u int64
	var a sql.NullString
	err := db.sql.QueryRowContext(ctx, `SELECT portal, user_id, app FROM b24sync_portal WHERE k = 1`).Scan(&p, &u, &a)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = db.sql.ExecContext(ctx, `INSERT INTO b24sync_portal (k, portal, user_id, app) VALUES (1, `+ph(db.d, 1, 3)+`)`, portal, user, app)
		return err
	}
	if err != nil {
		return fmt.Errorf("dbsync: state: %w", err)
	}
	if !strings.EqualFold(p, portal) || u != user || (a.Valid && a.String != app) {
		return fmt.Errorf("%w: it was synced from %s as %s, not %s as %s", ErrOtherPortal, p, who(u, a.String, a.Valid), portal, who(user, app, true))
	}
	if !a.Valid {
		_, err = db.sql.ExecContext(ctx, `UPDATE b24sync_portal SET app = `+db.d.placeholder(1)+` WHERE k = 1 AND app IS NULL`, app)
	}
	return err
}

// who names a credential: a webhook's user, or an application and its user.
func who(user int64, app string, known bool) string {
	switch {
	case !known:
		return fmt.Sprintf("user %d", user)
	case app == "":
		return fmt.Sprintf("user %d (webhook)", user)
	}
	return fmt.Sprintf("user %d (application %s)", user, app)
}

// portalAppColumn adds the app column to a b24sync_portal made before it
// was recorded (NULL there: not known yet). The ALTER, which locks the
// table, runs only when the column is missing.
func (db *DB) portalAppColumn(ctx context.Context) error {
	q, alter := `SELECT count(*) FROM pragma_table_info('b24sync_portal') WHERE name = 'app'`, `ALTER TABLE b24sync_portal ADD COLUMN app TEXT`
	if db.d.name() == "postgres" {
		q = `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'b24sync_portal' AND column_name = 'app'`
		alter = `ALTER TABLE b24sync_portal ADD COLUMN IF NOT EXISTS app TEXT`
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, q).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := db.sql.ExecContext(ctx, alter)
	if err != nil && db.sql.QueryRowContext(ctx, q).Scan(&n) == nil && n > 0 {
		return nil // another sync added it first
	}
	return err
}

func (db *DB) loadState(ctx context.Context, q querier, table string) (state, error) {
	var s state
	err := q.QueryRowContext(ctx, `SELECT entity, phase, cursor, watermark, last_run, duration_ms, requests, mode, last_full_check
		FROM b24sync_state WHERE tbl = `+db.d.placeholder(1), table).Scan(&s.Entity, &s.Phase, &s.Cursor, &s.Watermark,
		&s.LastRun, &s.DurationMS, &s.Requests, &s.Mode, &s.LastFullCheck)
	if errors.Is(err, sql.ErrNoRows) {
		return state{}, nil
	}
	if err != nil {
		return s, fmt.Errorf("dbsync: state: %w", err)
	}
	return s, nil
}

func (db *DB) saveState(ctx context.Context, q querier, table string, s state) error {
	_, err := q.ExecContext(ctx, `INSERT INTO b24sync_state (tbl, entity, phase, cursor, watermark, last_run, duration_ms,
		requests, mode, last_full_check) VALUES (`+ph(db.d, 1, 10)+`) ON CONFLICT (tbl) DO UPDATE SET entity = excluded.entity,
		phase = excluded.phase, cursor = excluded.cursor, watermark = excluded.watermark, last_run = excluded.last_run,
		duration_ms = excluded.duration_ms, requests = excluded.requests, mode = excluded.mode,
		last_full_check = excluded.last_full_check`,
		table, s.Entity, s.Phase, s.Cursor, s.Watermark, s.LastRun, s.DurationMS, s.Requests, s.Mode, s.LastFullCheck)
	if err != nil {
		return fmt.Errorf("dbsync: state: %w", err)
	}
	return nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Status is one synced table's state (Status and `b24 sync --status`).
type Status struct {
	Table     string        `json:"table"`
	Entity    string        `json:"entity"`
	Rows      int64         `json:"rows"`
	Complete  bool          `json:"complete"` // false while a first walk is unfinished
	LastRun   string        `json:"last_run"` // portal time of the last run's start
	Watermark string        `json:"watermark"`
	Duration  time.Duration `json:"duration_ns"`
	Requests  int64         `json:"requests"`
	Mode      string        `json:"mode"`
	LastCheck string        `json:"last_full_check"`
}

// Status reports every synced table's state.
func (db *DB) Status(ctx context.Context) ([]Status, error) {
	if err := db.initState(ctx); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT tbl FROM b24sync_state ORDER BY tbl`)
	if err != nil {
		return nil, fmt.Errorf("dbsync: status: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	out := make([]Status, 0, len(tables))
	for _, t := range tables {
		s, err := db.loadState(ctx, db.sql, t)
		if err != nil {
			return nil, err
		}
		st := Status{Table: t, Entity: s.Entity, Complete: s.Phase == "ready", LastRun: s.LastRun, Watermark: s.Watermark,
			Duration: time.Duration(s.DurationMS) * time.Millisecond, Requests: s.Requests, Mode: s.Mode, LastCheck: s.LastFullCheck}
		if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(t)).Scan(&st.Rows); err != nil {
			return nil, fmt.Errorf("dbsync: status %s: %w", t, err)
		}
		out = append(out, st)
	}
	return out, nil
}
