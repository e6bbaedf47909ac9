package sqlstore

import (
	"context"

	"github.com/commissionkit/commission"
)

// Recorded reads a page of the program's transactions by seq, along the
// index on (program_id, seq) of migration 0011, and their rewards in a
// second query.
func (t *tx) Recorded(ctx context.Context, after int64, limit int) ([]*commission.Transaction, error) {
	query := "SELECT " + t.s.q.transactionSelectList + " FROM commission_transactions" +
		" WHERE program_id = ? AND seq > ? ORDER BY seq" + limitOffset(limit, 0)
	return t.queryTransactions(ctx, "recorded transactions", t.s.d.rebind(query), t.program, after)
}
