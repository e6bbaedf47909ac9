package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/commissionkit/commission"
)

// A new transaction is written with its rewards: on MySQL and SQLite by
// the statements here, on PostgreSQL in one statement (pginsert.go).

func (t *tx) InsertTransaction(ctx context.Context, in *commission.Transaction) error {
	if err := t.writable(); err != nil {
		return err
	}
	args, err := t.transactionArgs(nil, in)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("transaction %q", in.Key)
	if t.s.d == Postgres {
		return t.pgInsertOne(ctx, in, args, what)
	}
	seq, err := t.insertTransactionRow(ctx, args, what)
	if err != nil {
		return err
	}
	if len(in.Rewards) > 0 {
		rewards, err := t.rewardsArgs(nil, in.Key, 0, in.Rewards)
		if err == nil {
			err = t.insertRewardRows(ctx, rewards, "reward id of "+what)
		}
		if err != nil {
			t.undoInsert(ctx, in.Key, seq)
			return err
		}
	}
	in.Seq = seq
	return nil
}

// insertTransactionRow inserts a transaction's row, args its values, and
// returns its seq.
func (t *tx) insertTransactionRow(ctx context.Context, args []any, what string) (int64, error) {
	var seq int64
	if t.s.d != MySQL { // INSERT … RETURNING seq
		if err := t.q.QueryRowContext(ctx, t.s.q.insertTransaction, args...).Scan(&seq); err != nil {
			return 0, insertedRow(err, what)
		}
		return seq, nil
	}
	res, err := t.q.ExecContext(ctx, t.s.q.insertTransaction, args...)
	if err := inserted(res, err, what); err != nil {
		return 0, err
	}
	if seq, err = res.LastInsertId(); err != nil {
		return 0, fmt.Errorf("sqlstore: insert %s: %w", what, err)
	}
	return seq, nil
}

// undoInsert deletes a transaction that this unit of work inserted, with
// its rewards, when the rest of its insert failed: it leaves nothing of
// the transaction behind, so that the caller may go on.
func (t *tx) undoInsert(ctx context.Context, key string, seq int64) {
	t.q.ExecContext(ctx, t.s.q.deleteRewards, t.program, key)
	t.q.ExecContext(ctx, t.s.q.deleteTransaction, seq)
}

// transactionArgs appends the column values of a transaction row, in
// txInsertCols order.
func (t *tx) transactionArgs(args []any, in *commission.Transaction) ([]any, error) {
	amount, err := money(in.Amount)
	if err != nil {
		return nil, err
	}
	reward, err := moneyPtr(in.Reward)
	if err != nil {
		return nil, err
	}
	rate, err := moneyPtr(in.Rate)
	if err != nil {
		return nil, err
	}
	refunded, err := money(in.Refunded)
	if err != nil {
		return nil, err
	}
	products, err := toJSON(in.Products)
	if err != nil {
		return nil, err
	}
	return append(args, t.program, in.Key, in.Action, amount, reward, in.AmountUnits, in.IsCurrency, in.Credit,
		in.ProductID, in.ProductType, products, in.Rewarded, in.Rewardable, in.Qualified,
		in.CustomerID, in.CustomerKey, in.PartnerID, in.PartnerKey, in.ReferringCustomerID, in.ReferringCustomerKey,
		micros(in.CreatedAt), in.Backdated, string(in.State), microsPtr(in.DeletedAt), rate, refunded), nil
}

// batchRows bounds the rows of one multi-row INSERT, so that its
// placeholders stay under every dialect's limit (SQLite: 32,766).
const batchRows = 500

// InsertTransactions writes the transactions in multi-row INSERTs of up to
// batchRows rows, then their rewards likewise.
func (t *tx) InsertTransactions(ctx context.Context, ts []*commission.Transaction) error {
	if err := t.writable(); err != nil {
		return err
	}
	if t.s.d == Postgres {
		return t.pgInsert(ctx, ts)
	}
	for start := 0; start < len(ts); start += batchRows {
		if err := t.insertTransactionRows(ctx, ts[start:min(start+batchRows, len(ts))]); err != nil {
			return err
		}
	}
	return t.insertAllRewards(ctx, ts)
}

// insertAllRewards inserts the rewards of ts in multi-row INSERTs of up to
// batchRows rows.
func (t *tx) insertAllRewards(ctx context.Context, ts []*commission.Transaction) error {
	args := make([]any, 0, batchRows*rewardArity)
	for _, in := range ts {
		for i := range in.Rewards {
			var err error
			if args, err = t.rewardArgs(args, in.Key, i, &in.Rewards[i]); err != nil {
				return err
			}
			if len(args) == cap(args) {
				if err := t.insertRewardRows(ctx, args, "reward id"); err != nil {
					return err
				}
				args = args[:0]
			}
		}
	}
	if len(args) > 0 {
		return t.insertRewardRows(ctx, args, "reward id")
	}
	return nil
}

// insertTransactionRows inserts a batch of transaction rows in one
// statement on MySQL or SQLite, and sets their Seq.
func (t *tx) insertTransactionRows(ctx context.Context, ts []*commission.Transaction) error {
	args := make([]any, 0, len(ts)*txArity)
	for _, in := range ts {
		var err error
		if args, err = t.transactionArgs(args, in); err != nil {
			return err
		}
	}
	query := "INSERT INTO commission_transactions (" + txInsertCols + ") VALUES " + rowsOf(len(ts), txArity)
	seqs := make(map[string]int64, len(ts))
	if t.s.d == MySQL {
		if err := t.mysqlInsertRows(ctx, query, args, ts, seqs); err != nil {
			return err
		}
	} else {
		rows, err := t.q.QueryContext(ctx, query+" RETURNING tx_key, seq", args...)
		if err := readSeqs(rows, err, seqs); err != nil {
			return err
		}
	}
	for _, in := range ts {
		seq, ok := seqs[in.Key]
		if !ok {
			return fmt.Errorf("%w: transaction %q", commission.ErrDuplicateKey, in.Key)
		}
		in.Seq = seq
	}
	return nil
}

// mysqlInsertRows runs query, inserting the rows of ts, and reads their
// seqs back by key: the auto-increment values of one INSERT need not be
// consecutive.
func (t *tx) mysqlInsertRows(ctx context.Context, query string, args []any, ts []*commission.Transaction, seqs map[string]int64) error {
	res, err := t.q.ExecContext(ctx, query, args...)
	if err := inserted(res, err, "transaction key"); err != nil {
		return err
	}
	keys := []any{t.program}
	for _, in := range ts {
		keys = append(keys, in.Key)
	}
	rows, err := t.q.QueryContext(ctx, "SELECT tx_key, seq FROM commission_transactions WHERE program_id = ? AND tx_key IN "+placeholders(len(ts)), keys...)
	return readSeqs(rows, err, seqs)
}

// readSeqs reads the (tx_key, seq) rows of a query that err came with into
// seqs; a unique violation, which SQLite reports as the rows are read, is
// ErrDuplicateKey.
func readSeqs(rows *sql.Rows, err error, seqs map[string]int64) error {
	if err == nil {
		err = scanSeqs(rows, seqs)
	}
	switch {
	case err == nil:
		return nil
	case classify(err) == uniqueViolation:
		return fmt.Errorf("%w: transaction key", commission.ErrDuplicateKey)
	}
	return fmt.Errorf("sqlstore: insert transactions: %w", err)
}

func scanSeqs(rows *sql.Rows, seqs map[string]int64) error {
	defer rows.Close()
	for rows.Next() {
		var key string
		var seq int64
		if err := rows.Scan(&key, &seq); err != nil {
			return err
		}
		seqs[key] = seq
	}
	return rows.Err()
}
