package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/commissionkit/commission"
)

func (t *tx) Transactions(ctx context.Context, q commission.TransactionQuery) ([]*commission.Transaction, error) {
	query, args := t.listQuery(q)
	return t.queryTransactions(ctx, "list transactions", query, args...)
}

// queryTransactions runs a query of transactionSelectList rows and
// returns its transactions with their rewards; what names it in errors.
func (t *tx) queryTransactions(ctx context.Context, what, query string, args ...any) ([]*commission.Transaction, error) {
	rows, err := t.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	out, err := scanTransactions(rows)
	if err != nil {
		return nil, err
	}
	if err := t.attachRewards(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// scanTransactions reads rows of transactionSelectList, and closes them.
func scanTransactions(rows *sql.Rows) ([]*commission.Transaction, error) {
	defer rows.Close()
	var out []*commission.Transaction
	for rows.Next() {
		tr, err := scanTransaction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tr)
	}
	return out, rows.Err()
}

// listQuery is the statement, and its arguments, selecting the page q of
// transactions.
func (t *tx) listQuery(q commission.TransactionQuery) (string, []any) {
	var b strings.Builder
	args := []any{t.program}
	b.WriteString("SELECT " + t.s.q.transactionSelectList + " FROM commission_transactions")
	if t.s.d == MySQL && q.After != nil {
		// Left to itself, MariaDB reads a cursor page by program alone,
		// newest first, filtering every row newer than the cursor.
		b.WriteString(" FORCE INDEX (" + listingIndex(q) + ")")
	}
	b.WriteString(" WHERE program_id = ?")
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
		b.WriteString(" AND " + t.s.d.olderThan("created_at", "seq"))
		args = t.s.d.olderArgs(args, q.After.CreatedAt.UnixMicro(), q.After.Seq)
	}
	b.WriteString(" ORDER BY created_at DESC, seq DESC" + limitOffset(q.Limit, q.Offset))
	return t.s.d.rebind(b.String()), args
}

// listingIndex is the index that lists q's transactions in order.
func listingIndex(q commission.TransactionQuery) string {
	switch {
	case q.CustomerID != "":
		return "commission_transactions_customer"
	case q.PartnerID != "":
		return "commission_transactions_partner"
	}
	return "commission_transactions_listing"
}

// limitOffset is a page's LIMIT and OFFSET, written as numbers: as
// parameters, PostgreSQL's cached plan of the statement would be made
// for any offset, and after a few deep pages it scans and sorts every
// row for the first page too. The engine bounds both.
func limitOffset(limit, offset int) string {
	s := " LIMIT " + strconv.Itoa(limit)
	if offset > 0 {
		s += " OFFSET " + strconv.Itoa(offset)
	}
	return s
}

// olderThan is the condition that a row's (at, tie) comes strictly after
// a cursor's in newest-first order, at and tie its columns, written so
// that the listing's index seeks to the cursor instead of reading every
// row that shares its time (a bulk's sales share one): a row value on
// PostgreSQL and SQLite; spelt out on MySQL, whose optimizer reads a row
// value as a filter. olderArgs gives its arguments.
func (d Dialect) olderThan(at, tie string) string {
	if d == MySQL {
		return "(" + at + " < ? OR (" + at + " = ? AND " + tie + " < ?))"
	}
	return "(" + at + ", " + tie + ") < (?, ?)"
}

// olderArgs appends the arguments of olderThan for a cursor at (Unix
// microseconds) and tie.
func (d Dialect) olderArgs(args []any, at int64, tie any) []any {
	if d == MySQL {
		return append(args, at, at, tie)
	}
	return append(args, at, tie)
}

// attachRewards loads the rewards of a page of transactions in one query.
func (t *tx) attachRewards(ctx context.Context, txs []*commission.Transaction) error {
	if len(txs) == 0 {
		return nil
	}
	args := []any{t.program}
	for _, tr := range txs {
		args = append(args, tr.Key)
	}
	query := "SELECT " + t.s.q.rewardSelectList + " FROM commission_rewards WHERE program_id = ? AND tx_key IN " +
		placeholders(len(txs)) + " ORDER BY tx_key, position"
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(query), args...)
	if err != nil {
		return fmt.Errorf("sqlstore: rewards: %w", err)
	}
	return attachRows(rows, txs)
}

// attachRows appends each reward of rows (rewardSelectList, in position
// order within a transaction) to its transaction among txs, and closes
// rows.
func attachRows(rows *sql.Rows, txs []*commission.Transaction) error {
	defer rows.Close()
	byKey := make(map[string]*commission.Transaction, len(txs))
	for _, tr := range txs {
		byKey[tr.Key] = tr
	}
	r := new(commission.Reward) // scanned into, row after row
	for rows.Next() {
		if err := scanRewardInto(rows, r); err != nil {
			return err
		}
		tr, ok := byKey[r.TransactionKey]
		if !ok {
			// Recorded's range of seq: a transaction that committed
			// between its two queries, not on the page.
			continue
		}
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
		b.WriteString(" AND " + d.olderThan("created_at", id))
		args = d.olderArgs(args, micros(after.CreatedAt), after.ID)
	}
	b.WriteString(" ORDER BY created_at DESC, " + id + " DESC" + limitOffset(limit, 0))
	return args
}
