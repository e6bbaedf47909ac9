package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/commissionkit/commission"
)

// tx is one unit of work: commission.StoreTx on a database transaction.
type tx struct {
	s       *Store
	q       queryer
	program string
	write   bool
	adds    *deferredAdds // PostgreSQL's counter additions not yet sent
}

var _ commission.StoreTx = (*tx)(nil)

func (t *tx) writable() error {
	if !t.write {
		return errReadOnly
	}
	return nil
}

var errReadOnly = errors.New("sqlstore: write in a read-only unit of work")

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// updateOne runs update, which changes the what with id, with args. No row
// changed is ErrNotFound only if exists finds no such row: MySQL counts
// rows changed, not rows matched.
func (t *tx) updateOne(ctx context.Context, update, exists, what, id string, args ...any) error {
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, update, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: %s %q: %w", what, id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var n int
	if err := t.q.QueryRowContext(ctx, exists, t.program, id).Scan(&n); err != nil {
		return fmt.Errorf("sqlstore: %s %q: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s %q", commission.ErrNotFound, what, id)
	}
	return nil
}
