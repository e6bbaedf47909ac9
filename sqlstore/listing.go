package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/commissionkit/commission"
)

func (t *tx) Transactions(ctx context.Context, q commission.TransactionQuery) ([]*commission.Transaction, error) {
	query, args := t.listQuery(q)
	rows, err := t.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list transactions: %w", err)
	}
	var out []*commission.Transaction
	for rows.Next() {
		tr, err := scanTransaction(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, tr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := t.attachRewards(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// listQuery is the statement, and its arguments, selecting the page q of
// transactions.
func (t *tx) listQuery(q commission.TransactionQuery) (string, []any) {
	var b strings.Builder
	args := []any{t.program}
	b.WriteString("SELECT " + t.s.q.transactionSelectList + " FROM commission_transactions WHERE program_id = ?")
	if len(q.States) > 0 {
		b.WriteString(" AND state IN " + placeholders(len(q.States)))
		for _, s := range q.States {
			args = append(args, string(s))
		}
	}
	if q.PartnerID != "" {
		b.WriteString(" AND partner_id = ?")
		args = append(args, q.PartnerID)
	}
	if q.CustomerID != "" {
		b.WriteString(" AND customer_id = ?")
		args = append(args, q.CustomerID)
	}
	if q.After != nil {
		at := q.After.CreatedAt.UnixMicro()
		// created_at <= ? first, so that the index's range ends there.
		b.WriteString(" AND created_at <= ? AND (created_at < ? OR seq < ?)")
		args = append(args, at, at, q.After.Seq)
	}
	b.WriteString(" ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?")
	args = append(args, q.Limit, q.Offset)
	return t.s.d.rebind(b.String()), args
}

// attachRewards loads the rewards of a page of transactions in one query.
func (t *tx) attachRewards(ctx context.Context, txs []*commission.Transaction) error {
	if len(txs) == 0 {
		return nil
	}
	byKey := make(map[string]*commission.Transaction, len(txs))
	args := []any{t.program}
	for _, tr := range txs {
		byKey[tr.Key] = tr
		args = append(args, tr.Key)
	}
	query := "SELECT " + t.s.q.rewardSelectList + " FROM commission_rewards WHERE program_id = ? AND tx_key IN " +
		placeholders(len(txs)) + " ORDER BY tx_key, position"
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(query), args...)
	if err != nil {
		return fmt.Errorf("sqlstore: rewards: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReward(rows)
		if err != nil {
			return err
		}
		tr := byKey[r.TransactionKey]
		tr.Rewards = append(tr.Rewards, *r)
	}
	return rows.Err()
}

// newestFirst appends to a listing's statement the order of a page of
// rows newest first by (created_at, id), starting strictly after after
// when it is set, and its limit; it returns args with theirs.
func (d Dialect) newestFirst(b *strings.Builder, args []any, after *commission.RewardPosition, limit int) []any {
	id := d.bytewise("id")
	if after != nil {
		at := micros(after.CreatedAt)
		// created_at <= ? first, so that the index's range ends there.
		b.WriteString(" AND created_at <= ? AND (created_at < ? OR " + id + " < ?)")
		args = append(args, at, at, after.ID)
	}
	b.WriteString(" ORDER BY created_at DESC, " + id + " DESC LIMIT ?")
	return append(args, limit)
}
