package sqlstore

import (
	"context"
	"fmt"

	"github.com/commissionkit/commission"
)

// Recorded reads a page of the program's transactions by seq, along the
// index on (program_id, seq) of migration 0011, then their rewards by the
// same range of seq: a page's keys are not sent back as parameters.
func (t *tx) Recorded(ctx context.Context, after int64, limit int) ([]*commission.Transaction, error) {
	query := "SELECT " + t.s.q.transactionSelectList + " FROM commission_transactions" +
		" WHERE program_id = ? AND seq > ? ORDER BY seq" + limitOffset(limit, 0)
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(query), t.program, after)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: recorded transactions: %w", err)
	}
	out, err := scanTransactions(rows)
	if err != nil || len(out) == 0 {
		return out, err
	}
	return out, t.attachRewardsRange(ctx, out, after, out[len(out)-1].Seq)
}

// attachRewardsRange loads the rewards of the transactions with seq in
// (after, last], which txs are, in one query.
func (t *tx) attachRewardsRange(ctx context.Context, txs []*commission.Transaction, after, last int64) error {
	query := "SELECT " + t.s.q.rewardSelectList + " FROM commission_rewards WHERE program_id = ? AND tx_key IN" +
		" (SELECT tx_key FROM commission_transactions WHERE program_id = ? AND seq > ? AND seq <= ?)" +
		" ORDER BY tx_key, position"
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(query), t.program, t.program, after, last)
	if err != nil {
		return fmt.Errorf("sqlstore: rewards: %w", err)
	}
	return attachRows(rows, txs)
}
