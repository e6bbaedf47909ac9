package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/commissionkit/commission"
)

func (t *tx) Transaction(ctx context.Context, key string) (*commission.Transaction, error) {
	query := t.s.q.transaction
	if t.write {
		query = t.s.q.transactionForUpdate
	}
	tr, err := scanTransaction(t.q.QueryRowContext(ctx, query, t.program, key))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("transaction %q", key))
	}
	rows, err := t.q.QueryContext(ctx, t.s.q.rewardsOf, t.program, key)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: rewards of %q: %w", key, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReward(rows)
		if err != nil {
			return nil, err
		}
		tr.Rewards = append(tr.Rewards, *r)
	}
	return tr, rows.Err()
}

// scanTransaction reads the columns of transactionSelectList.
func scanTransaction(row scanner) (*commission.Transaction, error) {
	var tr commission.Transaction
	var amount, products string
	var reward, rate sql.NullString
	var refunded string
	var created int64
	var deleted sql.NullInt64
	err := row.Scan(&tr.Seq, &tr.Key, &tr.Action, &amount, &reward, &tr.AmountUnits, &tr.IsCurrency, &tr.Credit,
		&tr.ProductID, &tr.ProductType, &products, &tr.Rewarded, &tr.Rewardable, &tr.Qualified,
		&tr.CustomerID, &tr.CustomerKey, &tr.PartnerID, &tr.PartnerKey, &tr.ReferringCustomerID, &tr.ReferringCustomerKey,
		&created, &tr.Backdated, &tr.State, &deleted, &rate, &refunded)
	if err != nil {
		return nil, err
	}
	if tr.Amount, err = parseMoney(amount); err != nil {
		return nil, err
	}
	if tr.Refunded, err = parseMoney(refunded); err != nil {
		return nil, err
	}
	if tr.Reward, err = parseNullMoney(reward); err != nil {
		return nil, err
	}
	if tr.Rate, err = parseNullMoney(rate); err != nil {
		return nil, err
	}
	// Most sales have no lines, stored as null: no decoding needed.
	if products != "null" {
		if err := json.Unmarshal([]byte(products), &tr.Products); err != nil {
			return nil, fmt.Errorf("sqlstore: products of %q: %w", tr.Key, err)
		}
	}
	tr.CreatedAt, tr.DeletedAt = fromMicros(created), fromNullMicros(deleted)
	return &tr, nil
}

func (t *tx) SetTransactionState(ctx context.Context, key string, state commission.TransactionState, deletedAt *time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.Transaction(ctx, key); err != nil { // locks the row, or ErrNotFound
		return err
	}
	if _, err := t.q.ExecContext(ctx, t.s.q.setTransactionState, string(state), microsPtr(deletedAt), t.program, key); err != nil {
		return fmt.Errorf("sqlstore: transaction %q: %w", key, err)
	}
	if _, err := t.q.ExecContext(ctx, t.s.q.setRewardsDeletedAt, microsPtr(deletedAt), t.program, key); err != nil {
		return fmt.Errorf("sqlstore: rewards of %q: %w", key, err)
	}
	return nil
}
