package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/commissionkit/commission"
)

// SQLite parses a statement each time it is run unless it was prepared,
// and parsing was a quarter of the CPU of a sale. Its writes, one at a
// time in a process, run their statements prepared: a statement first
// run unprepared is prepared on the database once the transaction is
// over (not during it: a pool of one connection has none to spare), and
// kept; database/sql then prepares it once on each connection that runs
// it.

// maxStmts bounds the statements kept; statements with a number of
// placeholders that varies (lists of ids) are many, so past it they are
// all closed and prepared again as they come.
const maxStmts = 1024

// lockSQLite takes SQLite's write lock at the start of a transaction,
// before anything is read, as BEGIN IMMEDIATE does: a statement that
// writes takes it even when it changes no row. database/sql begins a
// transaction plainly (deferred) unless the DSN says otherwise.
const lockSQLite = "UPDATE commission_counters SET value = value WHERE 0"

// sqliteWrite runs fn holding SQLite's write lock, taken before fn reads,
// so that what fn decides on cannot change before it commits.
func (s *Store) sqliteWrite(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	s.writer.Lock()
	defer s.writer.Unlock()
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	committed := false
	q := &preparedTx{s: s, tx: sqlTx}
	defer func() {
		if !committed {
			sqlTx.Rollback()
		}
		q.prepareMissing(ctx) // once the connection is back in the pool
	}()
	if _, err := q.ExecContext(ctx, lockSQLite); err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	if err := fn(&tx{s: s, q: q, program: programID, write: true}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return commitFailed(err)
	}
	committed = true
	return nil
}

// preparedTx runs a transaction's statements prepared, once they are.
// It is used with s.writer held.
type preparedTx struct {
	s       *Store
	tx      *sql.Tx
	missing []string // run unprepared: to prepare after the transaction
}

// stmt returns query prepared for the transaction; nil when it is not
// prepared yet.
func (q *preparedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	st, ok := q.s.stmts[query]
	if !ok {
		q.missing = append(q.missing, query)
		return nil
	}
	return q.tx.StmtContext(ctx, st)
}

// prepareMissing prepares the statements the transaction ran unprepared,
// once it is over. One that fails to prepare runs unprepared again.
func (q *preparedTx) prepareMissing(ctx context.Context) {
	for _, query := range q.missing {
		if _, ok := q.s.stmts[query]; ok {
			continue
		}
		if len(q.s.stmts) >= maxStmts {
			for _, old := range q.s.stmts {
				old.Close()
			}
			clear(q.s.stmts)
		}
		st, err := q.s.db.PrepareContext(context.WithoutCancel(ctx), query)
		if err != nil {
			continue
		}
		if q.s.stmts == nil {
			q.s.stmts = make(map[string]*sql.Stmt)
		}
		q.s.stmts[query] = st
	}
}

func (q *preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q *preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q *preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
