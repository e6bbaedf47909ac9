// Package sqlstore is a commission.Store on a SQL database: SQLite (the
// embedded default: a file, no server, no cgo), PostgreSQL, or MySQL and
// MariaDB.
//
// It takes a *sql.DB and a Dialect and imports no driver; the application
// imports the one it uses (modernc.org/sqlite, github.com/jackc/pgx/v5/stdlib
// or github.com/go-sql-driver/mysql). Migrate creates or updates the schema.
//
// Money is stored exactly: NUMERIC(38,18) on PostgreSQL, DECIMAL(38,18) on
// MySQL, TEXT on SQLite (whose numeric affinity would make floats). Times
// are Unix microseconds in UTC.
//
// Several processes may share one database. Every Update runs in one
// database transaction: on PostgreSQL and MySQL at READ COMMITTED, with the
// rows a write decides on locked (SELECT … FOR UPDATE) and keys kept unique
// by constraints; on SQLite with the write lock taken at BEGIN (BEGIN
// IMMEDIATE). Deadlocks, serialization failures and a busy SQLite database
// are retried a bounded number of times, then returned. A View reads one
// snapshot (REPEATABLE READ, read-only).
//
// A failed Update stores nothing, with one exception: when the connection
// is lost while the database commits, the store cannot know whether it
// did, and says so with commission.ErrCommitUnknown (it does not retry
// then). Repeating the operation tells: a sale's create answers with a
// *commission.DuplicateError carrying the stored sale if it committed, a
// delete answers commission.ErrAlreadyDeleted.
//
// On PostgreSQL, the store's statements are prepared once per connection
// and planned from table statistics. Keep autovacuum on (the default), or
// run ANALYZE after loading many rows into nearly empty tables: a plan
// made while the tables were empty scans them whole until statistics are
// refreshed, so each sale would cost more as the program grows. A sale
// there is four round trips: BEGIN, its buyer read with the buyer's
// counters locked, its rows written with its counter additions and its
// events, COMMIT. Counter additions and events are sent with the next
// statement of their Update (whichever it is, so that every read sees
// them); one that fails fails the Update with its own error.
//
// On MySQL, a DSN that starts sessions at READ COMMITTED
// (tx_isolation='READ-COMMITTED' on MariaDB before 11.1,
// transaction_isolation on MySQL) saves the statement that would otherwise
// set it before every write; interpolateParams=true saves a round trip per
// statement.
//
// A program's event log is a transactional outbox. A unit of work stores
// its events without taking any lock the others share: each row gets an
// insertion id (seq, from an auto-increment or a sequence) and no
// position. Insertion ids commit out of order, so a reader following
// them would skip an event whose unit of work commits late; positions
// are given after commit instead. PositionEvents, in a unit of work that
// writes, locks the program's row of commission_event_heads (the last
// position given), reads the committed events with no position in seq
// order, gives them the next positions and stores the new last one. At
// READ COMMITTED each statement sees every event committed before it
// (on SQLite writes take turns), so an event that commits later gets a
// later position from a later call: a reader that follows positions
// never skips an event and never sees one twice. Positioning costs the
// new events, not the log.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/commissionkit/commission"
)

// Store is a commission.Store on a SQL database. It is safe for concurrent
// use.
type Store struct {
	db *sql.DB
	d  Dialect
	q  *queries
	// writer lets one Update at a time of this process hold SQLite's
	// write lock; other processes wait on busy_timeout. It guards stmts,
	// the statements SQLite writes have prepared (sqlitewrite.go).
	writer sync.Mutex
	stmts  map[string]*sql.Stmt
	now    func() time.Time
	// sessionReadCommitted: MySQL connections start at READ COMMITTED.
	sessionReadCommitted bool
}

var _ commission.Store = (*Store)(nil)

// MaxRetries is how many times an Update is retried after a deadlock, a
// serialization failure or a busy SQLite database before its error is
// returned.
const MaxRetries = 10

// Open returns a Store on db. It checks that the database answers; it does
// not change the schema (call Migrate).
func Open(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	if !d.valid() {
		return nil, fmt.Errorf("sqlstore: unknown dialect %v", d)
	}
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("sqlstore: open %v: %w", d, err)
	}
	if d == SQLite {
		// Without a busy timeout, a second process's writer fails at once
		// instead of waiting its turn.
		var ms int
		if err := db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&ms); err != nil {
			return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
		}
		if ms <= 0 {
			return nil, errors.New("sqlstore: open sqlite: connections have no busy_timeout; open the database with SQLiteDSN, or set _pragma=busy_timeout(ms)")
		}
	}
	s := &Store{db: db, d: d, q: newQueries(d), now: time.Now}
	if d == MySQL {
		// Outside strict mode MySQL truncates what does not fit, and
		// money must never be truncated.
		var mode string
		if err := db.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
			return nil, fmt.Errorf("sqlstore: open mysql: %w", err)
		}
		if !strings.Contains(mode, "STRICT_TRANS_TABLES") && !strings.Contains(mode, "STRICT_ALL_TABLES") {
			return nil, fmt.Errorf("sqlstore: open mysql: sql_mode %q is not strict; add STRICT_TRANS_TABLES (in the DSN: sql_mode='STRICT_TRANS_TABLES,...')", mode)
		}
		// A session already at READ COMMITTED (set in the DSN) saves the
		// SET TRANSACTION the driver would send before every write.
		var level string
		err := db.QueryRowContext(ctx, "SELECT @@SESSION.transaction_isolation").Scan(&level)
		if err != nil { // MariaDB before 11.1 names it tx_isolation
			err = db.QueryRowContext(ctx, "SELECT @@SESSION.tx_isolation").Scan(&level)
		}
		s.sessionReadCommitted = err == nil && level == "READ-COMMITTED"
	}
	return s, nil
}

// DB returns the database the store uses.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// SQLiteDSN returns a modernc.org/sqlite data source name for the database
// file at path with the settings this store expects: WAL journaling, a busy
// timeout so that writers from several processes wait for each other, and
// foreign keys on. The path may hold any character: those that a URI
// gives a meaning (%, ? and #) are escaped.
func SQLiteDSN(path string) string {
	return "file:" + sqliteURIPath.Replace(path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
}

// sqliteURIPath escapes what would end a path in an SQLite URI filename,
// or start an escape.
var sqliteURIPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// queryer is what a unit of work runs statements on: a *sql.Tx, or the
// *sql.Conn that holds SQLite's write lock.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Update runs fn in one database transaction, committing when fn returns
// nil. A deadlock, serialization failure or busy database runs fn again, up
// to MaxRetries times.
func (s *Store) Update(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.once(ctx, programID, true, fn)
		if err == nil || classify(err) != retryable {
			return err
		}
		if attempt == MaxRetries {
			return fmt.Errorf("sqlstore: gave up after %d retries: %w", MaxRetries, err)
		}
		if err := sleep(ctx, attempt); err != nil {
			return err
		}
	}
}

// View runs fn in a read-only transaction that sees one snapshot.
func (s *Store) View(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.once(ctx, programID, false, fn)
		if err == nil || classify(err) != retryable || attempt == MaxRetries {
			return err
		}
		if err := sleep(ctx, attempt); err != nil {
			return err
		}
	}
}

// sleep backs off before a retry: a few milliseconds, growing, with jitter
// so that the writers that collided do not collide again.
func sleep(ctx context.Context, attempt int) error {
	d := time.Duration(1+attempt) * time.Millisecond
	d += rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *Store) once(ctx context.Context, programID string, write bool, fn func(commission.StoreTx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.d == SQLite && write {
		return s.sqliteWrite(ctx, programID, fn)
	}
	opts := &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	switch {
	case s.d == SQLite:
		opts = nil // a read transaction is a snapshot
	case !write:
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	case s.sessionReadCommitted:
		opts = nil
	}
	sqlTx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			sqlTx.Rollback()
		}
	}()
	t := &tx{s: s, q: sqlTx, program: programID, write: write}
	if s.d == Postgres && write {
		t.keepAdds(sqlTx)
	}
	if err := t.settleAdds(ctx, fn(t)); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return commitFailed(err)
	}
	committed = true
	return nil
}
