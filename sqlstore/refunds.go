package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/commissionkit/commission"
)

// A refund is a row of its own, its product lines JSON; what it took back
// from each reward is stored as entries (entries.go), which the engine
// gathers, and what it took back from the sale in all is the
// transaction's refunded column.

func (t *tx) InsertRefund(ctx context.Context, r *commission.Refund, left commission.RefundedSale) error {
	if err := t.writable(); err != nil {
		return err
	}
	amount, err := money(r.Amount)
	if err != nil {
		return err
	}
	refunded, err := money(left.Refunded)
	if err != nil {
		return err
	}
	lines, err := toJSON(r.Lines)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("refund %q", r.Key)
	if t.s.d == Postgres {
		return t.pgInsertRefund(ctx, what, r, amount, lines, refunded, left.Qualified)
	}
	// The transaction first: a refund of an unknown one is ErrNotFound
	// before its key is looked at, as on PostgreSQL.
	if err := t.updateOne(ctx, t.s.q.setTransactionRefund, t.s.q.transactionExists, "transaction", r.TransactionKey,
		refunded, left.Qualified, t.program, r.TransactionKey); err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, t.s.q.money.insertRefund, t.program, r.Key, r.TransactionKey, amount, lines, micros(r.CreatedAt))
	return inserted(res, err, what)
}

// pgInsertRefund stores a refund and what it leaves of its transaction
// in one statement (pgInsertRefundSQL), one round trip.
func (t *tx) pgInsertRefund(ctx context.Context, what string, r *commission.Refund, amount, lines, refunded string, qualified bool) error {
	var found, updated int
	err := t.q.QueryRowContext(ctx, t.s.q.money.insertRefund, t.program, r.Key, r.TransactionKey, amount, lines,
		micros(r.CreatedAt), refunded, qualified).Scan(&found, &updated)
	switch {
	case err != nil:
		return inserted(nil, err, what)
	case found == 0:
		return fmt.Errorf("%w: transaction %q", commission.ErrNotFound, r.TransactionKey)
	case updated == 0:
		return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
	}
	return nil
}

func (t *tx) Refund(ctx context.Context, key string) (*commission.Refund, error) {
	r, err := scanRefund(t.q.QueryRowContext(ctx, t.s.q.money.refund, t.program, key))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("refund %q", key))
	}
	return r, nil
}

func (t *tx) Refunds(ctx context.Context, transactionKey string) ([]*commission.Refund, error) {
	rows, err := t.q.QueryContext(ctx, t.s.q.money.refundsOf, t.program, transactionKey)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: refunds of %q: %w", transactionKey, err)
	}
	defer rows.Close()
	var out []*commission.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: refunds of %q: %w", transactionKey, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// scanRefund reads a refund's key, transaction, amount, lines and time.
func scanRefund(row scanner) (*commission.Refund, error) {
	var r commission.Refund
	var amount, lines string
	var created int64
	if err := row.Scan(&r.Key, &r.TransactionKey, &amount, &lines, &created); err != nil {
		return nil, err
	}
	var err error
	if r.Amount, err = parseMoney(amount); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(lines), &r.Lines); err != nil {
		return nil, fmt.Errorf("sqlstore: lines of refund %q: %w", r.Key, err)
	}
	r.CreatedAt = fromMicros(created)
	return &r, nil
}
