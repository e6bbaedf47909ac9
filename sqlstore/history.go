package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/commissionkit/commission"
)

// CustomerHistory, in an Update, first locks the customer's row, so that
// two sales by one customer take turns on the limits it decides.
func (t *tx) CustomerHistory(ctx context.Context, customerID string, before time.Time) (commission.CustomerHistory, error) {
	var h commission.CustomerHistory
	if t.write && t.s.d != SQLite {
		var id string
		err := t.q.QueryRowContext(ctx, t.s.q.lockCustomer, t.program, customerID).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return h, fmt.Errorf("sqlstore: lock customer %q: %w", customerID, err)
		}
	}
	// Strictly before: a time between two microseconds counts the earlier.
	limit := ceilMicros(before)
	var first sql.NullInt64
	err := t.q.QueryRowContext(ctx, t.s.q.history, t.program, customerID, true, string(commission.TransactionActive), limit).
		Scan(&h.Count, &first)
	if err != nil {
		return h, fmt.Errorf("sqlstore: history of %q: %w", customerID, err)
	}
	if first.Valid {
		h.First = fromMicros(first.Int64)
	}
	return h, nil
}
