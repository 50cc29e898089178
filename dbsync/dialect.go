package dbsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/internal/filelock"
	"github.com/b24go/b24/internal/wait"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite" (pure Go)
)

// ErrLocked is returned when another sync of the same table is running.
var ErrLocked = errors.New("dbsync: another sync of this table is running")

// dialect is what differs between SQLite and PostgreSQL.
type dialect interface {
	name() string
	// colType is the column type of a logical type (see logicalType).
	colType(logical string) string
	// maxParams is the most bound parameters one statement may carry.
	maxParams() int
	placeholder(i int) string
	// lock takes the one-sync-per-table lock; unlock releases it.
	lock(ctx context.Context, db *sql.DB, table string) (unlock func(), err error)
	// arg converts a converted value (see convert) to the driver's argument.
	arg(logical string, v any) any
	// maxIdent is the longest identifier, in bytes.
	maxIdent() int
}

// quote quotes an identifier for both SQLite and PostgreSQL.
func quote(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }

// openURL opens a database by URL: sqlite:PATH or postgres://...
func openURL(url string) (*sql.DB, dialect, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" || strings.ContainsAny(path, "?#") {
			return nil, nil, fmt.Errorf("dbsync: want sqlite:PATH (no query), got %q", url)
		}
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)")
		return db, sqliteDialect{path: path}, err
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := sql.Open("pgx", url)
		return db, pgDialect{}, err
	}
	return nil, nil, fmt.Errorf("dbsync: unknown database URL (want sqlite:PATH or postgres://...)")
}

type sqliteDialect struct{ path string }

func (sqliteDialect) name() string { return "sqlite" }

// SQLite has no exact decimal: money is kept as its decimal text (never a float).
func (sqliteDialect) colType(l string) string {
	switch l {
	case "integer", "boolean":
		return "INTEGER"
	}
	return "TEXT"
}

func (sqliteDialect) maxParams() int         { return 32766 }
func (sqliteDialect) placeholder(int) string { return "?" }
func (sqliteDialect) maxIdent() int          { return 128 }

func (sqliteDialect) arg(l string, v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(sqliteTime)
	}
	return v
}

// sqliteTime is how SQLite columns hold instants: UTC, fixed width, so text
// order is time order.
const sqliteTime = "2006-01-02T15:04:05Z"

// lock takes a file lock beside the database (PATH.TABLE.lock): released by
// the OS when the process ends, however it ends.
func (d sqliteDialect) lock(_ context.Context, _ *sql.DB, table string) (func(), error) {
	f, err := os.OpenFile(d.path+"."+table+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("dbsync: lock: %w", err)
	}
	if err := filelock.Lock(f); err != nil {
		f.Close()
		if errors.Is(err, filelock.ErrLocked) {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, table)
		}
		return nil, fmt.Errorf("dbsync: lock: %w", err)
	}
	return func() { f.Close() }, nil
}

type pgDialect struct{}

// pgLockWait is how long a sync tries for a PostgreSQL table lock held by
// another session before ErrLocked.
const pgLockWait = 3 * time.Second

func (pgDialect) name() string { return "postgres" }

func (pgDialect) colType(l string) string {
	switch l {
	case "integer":
		return "bigint"
	case "numeric":
		return "numeric"
	case "date":
		return "date"
	case "timestamptz":
		return "timestamptz"
	case "boolean":
		return "boolean"
	case "json":
		return "jsonb"
	}
	return "text"
}

func (pgDialect) maxParams() int           { return 65535 }
func (pgDialect) placeholder(i int) string { return "$" + strconv.Itoa(i) }
func (pgDialect) maxIdent() int            { return 63 }
func (pgDialect) arg(_ string, v any) any  { return v }

// lock takes a session advisory lock on a connection held for the run, keyed
// by schema and table: the server releases it when the connection ends,
// however the process ends.
func (pgDialect) lock(ctx context.Context, db *sql.DB, table string) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbsync: lock: %w", err)
	}
	const key = `hashtextextended(current_schema() || '.b24sync.' || $1, 0)`
	// A killed holder's session ends when the server reads the closed
	// connection: a moment, not a manual unlock. Try for pgLockWait.
	give := time.Now().Add(pgLockWait)
	for {
		var ok bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock("+key+")", table).Scan(&ok); err != nil {
			conn.Close()
			return nil, fmt.Errorf("dbsync: lock: %w", err)
		}
		if ok {
			break
		}
		if time.Now().After(give) {
			conn.Close()
			return nil, fmt.Errorf("%w (%s)", ErrLocked, table)
		}
		if err := wait.For(ctx, 100*time.Millisecond, nil); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return func() {
		conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock("+key+")", table)
		conn.Close()
	}, nil
}
