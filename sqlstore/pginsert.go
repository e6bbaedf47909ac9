package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/commissionkit/commission"
)

// On PostgreSQL a sale is written by one statement, the transaction and
// then, only if it was inserted, its rewards; and a bulk of any size by one
// statement too, every column passed as one array and unnested (52
// parameters in all instead of 27 a row). Round trips, not rows, are what a
// write costs here.

// pgInsertOne writes a transaction and its rewards in one statement, args
// holding the transaction's values.
func (t *tx) pgInsertOne(ctx context.Context, in *commission.Transaction, args []any, what string) error {
	args, err := t.rewardsArgs(args, in.Key, 0, in.Rewards)
	if err != nil {
		return err
	}
	q, riders, events, err := t.saleRiders(&args)
	if err != nil {
		return err
	}
	query := ""
	if n := len(in.Rewards); n < len(t.s.q.pgSale[riders]) {
		query = t.s.q.pgSale[riders][n]
	} else {
		query = pgSaleSQL(n, riders)
	}
	var seq, rewards, stored int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&seq, &rewards, &stored); err != nil {
		return insertedRow(err, what)
	}
	switch {
	case stored != int64(events):
		return fmt.Errorf("%w: event id, with %s", commission.ErrDuplicateKey, what)
	case rewards != int64(len(in.Rewards)):
		t.undoInsert(ctx, in.Key, seq)
		return fmt.Errorf("%w: reward id of %s", commission.ErrDuplicateKey, what)
	}
	in.Seq = seq
	return nil
}

// What a sale's statement also writes on PostgreSQL: the counter
// additions and the events its unit of work kept (pgdefer.go).
const (
	ridesAdds   = 1 << iota // pgAddArgs' five parameters after the rewards'
	ridesEvents             // pgEventArgs' five after those
)

// saleRiders appends to args what the sale's statement takes of the
// additions and events kept, and returns the queryer to send it on, which
// of them ride, and how many events.
func (t *tx) saleRiders(args *[]any) (queryer, int, int, error) {
	a := t.adds
	if a == nil || a.err != nil || len(a.deltas)+len(a.events) == 0 {
		return t.q, 0, 0, nil
	}
	riders := 0
	if len(a.deltas) > 0 {
		more, err := pgAddArgs(a.take())
		if err != nil {
			return nil, 0, 0, err
		}
		riders |= ridesAdds
		*args = append(append(*args, t.program), more...)
	}
	events := len(a.events)
	if events > 0 {
		riders |= ridesEvents
		*args = append(append(*args, t.program), pgEventArgs(a.events)...)
		a.events = nil
	}
	return a.q, riders, events, nil
}

// pgEventArgs are events' ids, types, times and data as four arrays.
func pgEventArgs(events []commission.Event) []any {
	ids, types, data := make([]string, len(events)), make([]string, len(events)), make([]string, len(events))
	times := make([]int64, len(events))
	for i, e := range events {
		ids[i], types[i], times[i], data[i] = e.ID, string(e.Type), micros(e.CreatedAt), string(e.Data)
	}
	return []any{ids, types, times, data}
}

// Column types, in txInsertCols and rewardCols order after program_id.
var (
	pgTxTypes = []string{"text", "text", "numeric", "numeric", "text", "bool", "bool", "text", "text", "text",
		"bool", "bool", "bool", "text", "text", "text", "text", "text", "text", "bigint", "bool", "text", "bigint", "numeric", "numeric"}
	pgRewardTypes = []string{"text", "text", "int", "text", "text", "bigint", "bigint", "text", "text", "text",
		"text", "text", "text", "text", "numeric", "text", "bool", "bool", "text", "text", "bigint", "bigint", "text",
		"int", "numeric", "text"}
	pgInsertSQL = pgInsertStatement()
)

func pgInsertStatement() string {
	arrays := func(types []string, first int) string {
		parts := make([]string, len(types))
		for i, typ := range types {
			parts[i] = "$" + strconv.Itoa(first+i) + "::" + typ + "[]"
		}
		return strings.Join(parts, ", ")
	}
	rewardNames := strings.TrimPrefix(rewardCols, "program_id, ")
	return "WITH t AS (INSERT INTO commission_transactions (" + txInsertCols + ")" +
		" SELECT $1::text, u.* FROM unnest(" + arrays(pgTxTypes, 2) + ") AS u" +
		" ON CONFLICT DO NOTHING RETURNING tx_key, seq)," +
		" r AS (INSERT INTO commission_rewards (" + rewardCols + ")" +
		" SELECT $1::text, u.* FROM unnest(" + arrays(pgRewardTypes, 2+len(pgTxTypes)) + ") AS u(" + rewardNames + ")" +
		" WHERE u.tx_key IN (SELECT tx_key FROM t)" +
		" ON CONFLICT DO NOTHING RETURNING 1)" +
		" SELECT t.tx_key, t.seq, (SELECT count(*) FROM r) FROM t"
}

// columns turns rows of values (as transactionArgs and rewardArgs make
// them, program_id first) into one array per column, program_id dropped.
// A column with no NULL is a slice of values, which the driver encodes
// faster than a slice of pointers.
func columns(rows [][]any, types []string) []any {
	out := make([]any, len(types))
	for j, typ := range types {
		hasNull := false
		for _, r := range rows {
			hasNull = hasNull || r[j+1] == nil
		}
		switch {
		case typ == "bool":
			col := make([]bool, len(rows))
			for i, r := range rows {
				col[i] = r[j+1].(bool)
			}
			out[j] = col
		case (typ == "bigint" || typ == "int") && !hasNull:
			col := make([]int64, len(rows))
			for i, r := range rows {
				col[i] = toInt64(r[j+1])
			}
			out[j] = col
		case typ == "bigint" || typ == "int":
			col := make([]*int64, len(rows))
			for i, r := range rows {
				if r[j+1] != nil {
					v := toInt64(r[j+1])
					col[i] = &v
				}
			}
			out[j] = col
		case !hasNull: // text and numeric, as text
			col := make([]string, len(rows))
			for i, r := range rows {
				col[i] = r[j+1].(string)
			}
			out[j] = col
		default:
			col := make([]*string, len(rows))
			for i, r := range rows {
				if v, ok := r[j+1].(string); ok {
					col[i] = &v
				}
			}
			out[j] = col
		}
	}
	return out
}

func toInt64(v any) int64 {
	if n, ok := v.(int); ok {
		return int64(n)
	}
	return v.(int64)
}

// pgInsert writes ts with their rewards in one statement and sets each
// Seq. A taken key or reward id is ErrDuplicateKey, with part of the batch
// possibly written: the unit of work must fail.
func (t *tx) pgInsert(ctx context.Context, ts []*commission.Transaction) error {
	txRows := make([][]any, len(ts))
	var rewardRows [][]any
	for i, in := range ts {
		var err error
		if txRows[i], err = t.transactionArgs(nil, in); err != nil {
			return err
		}
		for j := range in.Rewards {
			row, err := t.rewardArgs(nil, in.Key, j, &in.Rewards[j])
			if err != nil {
				return err
			}
			rewardRows = append(rewardRows, row)
		}
	}
	args := append([]any{t.program}, columns(txRows, pgTxTypes)...)
	args = append(args, columns(rewardRows, pgRewardTypes)...)
	rows, err := t.q.QueryContext(ctx, pgInsertSQL, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: insert transactions: %w", err)
	}
	defer rows.Close()
	seqs := make(map[string]int64, len(ts))
	var rewards int64
	for rows.Next() {
		var key string
		var seq int64
		if err := rows.Scan(&key, &seq, &rewards); err != nil {
			return err
		}
		seqs[key] = seq
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: insert transactions: %w", err)
	}
	for _, in := range ts {
		seq, ok := seqs[in.Key]
		if !ok {
			return fmt.Errorf("%w: transaction %q", commission.ErrDuplicateKey, in.Key)
		}
		in.Seq = seq
	}
	if rewards != int64(len(rewardRows)) {
		return fmt.Errorf("%w: reward id", commission.ErrDuplicateKey)
	}
	return nil
}

// pgSaleSQL is the statement writing one transaction with n rewards on
// PostgreSQL: the rewards are written only when the transaction was. It
// returns the transaction's seq, how many rewards and how many events it
// wrote. The riders say what else it writes: counter additions, as
// pgAddCounters does (the program and pgAddArgs), and events (the program
// and pgEventArgs).
func pgSaleSQL(n int, riders int) string {
	var b strings.Builder
	b.WriteString("WITH t AS (INSERT INTO commission_transactions (" + txInsertCols + ") VALUES " + placeholders(txArity) +
		" ON CONFLICT DO NOTHING RETURNING seq)")
	if n > 0 {
		// VALUES in a SELECT take no types from the target columns: cast.
		b.WriteString(", r AS (INSERT INTO commission_rewards (" + rewardCols + ") SELECT v.* FROM (VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?::text")
			for _, typ := range pgRewardTypes {
				b.WriteString(", ?::" + typ)
			}
			b.WriteString(")")
		}
		b.WriteString(") AS v WHERE EXISTS (SELECT 1 FROM t) ON CONFLICT DO NOTHING RETURNING 1)")
	}
	if riders&ridesAdds != 0 {
		// Run to completion whether or not the SELECT reads it.
		b.WriteString(", c AS (" + pgCounterAdd("?::text", "?::text[], ?::text[], ?::text[], ?::numeric[]") + ")")
	}
	events := "0"
	if riders&ridesEvents != 0 {
		b.WriteString(", ev AS (INSERT INTO commission_events (" + eventCols + ") SELECT ?::text, u.* FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[]) AS u" +
			" ON CONFLICT DO NOTHING RETURNING 1)")
		events = "(SELECT count(*) FROM ev)"
	}
	rewards := "0"
	if n > 0 {
		rewards = "(SELECT count(*) FROM r)"
	}
	b.WriteString(" SELECT seq, " + rewards + ", " + events + " FROM t")
	return Postgres.rebind(b.String())
}
