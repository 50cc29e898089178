package dbsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/oauth"
)

// ErrInvalidOptions is wrapped by the error for a bad Options value.
var ErrInvalidOptions = errors.New("dbsync: invalid options")

// MaxCommitRows is the most rows one transaction of a walk commits (and the
// default of Options.CommitRows).
const MaxCommitRows = 10000

// DefaultConcurrency is the default of Options.Concurrency: four chained
// requests in flight keep the Standard plan's request bucket busy.
const DefaultConcurrency = 4

// DefaultOverlap is how far before the last run's start a change walk begins.
const DefaultOverlap = 10 * time.Minute

// DB is a database kept in step with a portal. It is safe for concurrent
// use; syncs of one table exclude each other (ErrLocked), across processes.
type DB struct {
	sql *sql.DB
	d   dialect
}

// Open opens a database: "sqlite:PATH" (pure Go, WAL, busy timeout) or
// "postgres://..." (pgx).
func Open(ctx context.Context, url string) (*DB, error) {
	s, d, err := openURL(url)
	if err != nil {
		return nil, err
	}
	if err := s.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("dbsync: open %s: %w", d.name(), err)
	}
	return &DB{sql: s, d: d}, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// SQL returns the underlying database, for queries of the synced tables.
func (db *DB) SQL() *sql.DB { return db.sql }

// Options configure one Sync.
type Options struct {
	// Entity is crm.deal, crm.contact, crm.company, crm.lead, crm.item (with
	// EntityTypeID), tasks.task or user.
	Entity       string
	EntityTypeID int
	// Overlap is how far before the last run's start (portal time) a change
	// walk begins; default DefaultOverlap, at least a second.
	Overlap time.Duration
	// CommitRows bounds the rows of one transaction of a walk (default and
	// at most MaxCommitRows; a request's rows are never split).
	CommitRows int
	// Concurrency is how many shards of the id range a walk reads at once
	// (default DefaultConcurrency, at most 16); rows still arrive in id
	// order, so the cursor committed with them stays right.
	Concurrency int
	// Migrate lets a run change the type of a column whose field changed
	// type or multiplicity; the table is then walked again.
	Migrate bool
	// AllowMassDelete lets a run delete more than 5 % of the table.
	AllowMassDelete bool
	// Hints are ids named by events since the last run (b24 events): they
	// are fetched first. Polling stays the source of truth.
	Hints []int64
	// Queue, when set, is the application's offline event queue: its
	// events of the entity are applied before the walks, a batch at a time
	// (a deletion deletes the row, another event fetches it, 50 ids a page
	// and many pages a batch request), each batch in one transaction and
	// cleared only after it is committed; events of other entities are
	// marked failed and stay for their own sync. Polling stays the check.
	Queue Queue
	// Progress, when set, is called after each request's rows are written.
	Progress func(Progress)
	// Logger receives what the run decides (nil: slog.Default()).
	Logger *slog.Logger
}

// Progress reports a running sync.
type Progress struct {
	Phase    string // full, changes, ids, hints, restores
	Rows     int64  // rows written so far
	Requests int64  // requests sent so far
}

// Report is the outcome of a Sync.
type Report struct {
	Table string
	// Mode is how the run read: "full", "resume" (a full walk continued
	// from its cursor), "changes" (since Watermark minus the overlap), or
	// "full (...)" with the reason a change walk was not possible.
	Mode              string
	Written           int64 // rows written (inserted or updated)
	Deleted, Restored int64
	Hinted            int64 // rows fetched for Hints
	FromQueue         int64 // rows fetched or deleted for the offline queue's events (Queue)
	Requests          int64
	Watermark         string // the portal time the next change walk starts from (before the overlap)
	Duration          time.Duration
}

func (o *Options) validate() (entity, error) {
	e, err := lookupEntity(o.Entity, o.EntityTypeID)
	if err != nil {
		return e, err
	}
	switch {
	case o.Overlap == 0:
		o.Overlap = DefaultOverlap
	case o.Overlap < time.Second:
		return e, fmt.Errorf("%w: Overlap %v: at least 1s", ErrInvalidOptions, o.Overlap)
	}
	switch {
	case o.CommitRows == 0:
		o.CommitRows = MaxCommitRows
	case o.CommitRows < 1 || o.CommitRows > MaxCommitRows:
		return e, fmt.Errorf("%w: CommitRows %d: 1 to %d", ErrInvalidOptions, o.CommitRows, MaxCommitRows)
	}
	switch {
	case o.Concurrency == 0:
		o.Concurrency = DefaultConcurrency
	case o.Concurrency < 1 || o.Concurrency > 16:
		return e, fmt.Errorf("%w: Concurrency %d: 1 to 16", ErrInvalidOptions, o.Concurrency)
	}
	for _, id := range o.Hints {
		if id <= 0 {
			return e, fmt.Errorf("%w: hint id %d", ErrInvalidOptions, id)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return e, nil
}

// Sync brings the entity's table in step with the portal hook reaches.
func (db *DB) Sync(ctx context.Context, hook *b24.Hook, o Options) (Report, error) {
	e, err := o.validate()
	if err != nil {
		return Report{}, err
	}
	unlock, err := db.d.lock(ctx, db.sql, e.table)
	if err != nil {
		return Report{}, err
	}
	defer unlock()
	if err := db.initState(ctx); err != nil {
		return Report{}, err
	}
	// An application's user is asked once when its tokens do not say it:
	// Hook.UserID is 0 until then, and the database would change hands.
	user, err := oauth.UserID(ctx, hook)
	if err != nil {
		return Report{}, err
	}
	if err := db.checkPortal(ctx, hook.Portal(), user, hook.ClientID()); err != nil {
		return Report{}, err
	}
	r := &run{db: db, hook: hook, api: hook.V2(), e: e, o: o, began: time.Now(), req0: hook.Stats().Requests}
	r.rep.Table = e.table
	err = r.run(ctx)
	if r.w != nil {
		r.w.close()
	}
	r.rep.Requests = r.requests()
	r.rep.Duration = time.Since(r.began)
	return r.rep, err
}
