package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// On PostgreSQL a sale is written by one statement, the transaction and
// then, only if it was inserted, its rewards; and a bulk of any size by one
// statement too, every column passed as one array and unnested (47
// parameters in all instead of 24 a row). Round trips, not rows, are what a
// write costs here.

// Column types, in txInsertCols and rewardCols order after program_id.
var (
	pgTxTypes = []string{"text", "text", "numeric", "numeric", "text", "bool", "bool", "text", "text", "text",
		"bool", "bool", "bool", "text", "text", "text", "text", "text", "text", "bigint", "bool", "text", "bigint", "numeric"}
	pgRewardTypes = []string{"text", "text", "int", "text", "text", "bigint", "bigint", "text", "text", "text",
		"text", "text", "text", "text", "numeric", "text", "bool", "bool", "text", "text", "bigint", "bigint", "text"}
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
// PostgreSQL: the rewards are written only when the transaction was.
func pgSaleSQL(n int) string {
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
		b.WriteString(" SELECT seq, (SELECT count(*) FROM r) FROM t")
	} else {
		b.WriteString(" SELECT seq, 0 FROM t")
	}
	return Postgres.rebind(b.String())
}

// Counters on PostgreSQL are read, locked and added to in one statement
// per call, whatever the number of keys: a sale reads and writes several
// (its beneficiary's metrics, its buyer's, goals and spend limits).
const (
	pgKeysSQL = "unnest($2::text[], $3::text[], $4::text[]) AS u(name, subject, bucket)"
	// pgCreateCountersSQL makes sure every key has a row to lock.
	pgCreateCountersSQL = "INSERT INTO commission_counters (program_id, name, subject, bucket, value)" +
		" SELECT $1, u.name, u.subject, u.bucket, 0 FROM " + pgKeysSQL + " ON CONFLICT DO NOTHING"
	pgCountersSQL = "SELECT c.name, c.subject, c.bucket, c.value::text FROM commission_counters c JOIN " + pgKeysSQL +
		" ON c.name = u.name AND c.subject = u.subject AND c.bucket = u.bucket WHERE c.program_id = $1"
	// Rows are locked in the order they are returned: byte order, as Go
	// sorts the keys elsewhere.
	pgCountersForUpdateSQL = pgCountersSQL + ` ORDER BY c.name COLLATE "C", c.subject COLLATE "C", c.bucket COLLATE "C" FOR UPDATE OF c`
	pgAddCountersSQL       = "INSERT INTO commission_counters (program_id, name, subject, bucket, value)" +
		" SELECT $1, u.name, u.subject, u.bucket, u.value FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[]) AS u(name, subject, bucket, value)" +
		" ON CONFLICT (program_id, name, subject, bucket) DO UPDATE SET value = commission_counters.value + EXCLUDED.value"
)

// keyColumns returns keys, sorted and without repeats, as three columns.
func keyColumns(keys []commission.CounterKey) (names, subjects, buckets []string) {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, commission.CounterKey.Compare)
	keys = slices.Compact(keys)
	names, subjects, buckets = make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		names[i], subjects[i], buckets[i] = k.Name, k.Subject, k.Bucket
	}
	return names, subjects, buckets
}

// pgCounters reads keys' values in one statement, locking their rows in
// a unit of work that writes. Missing rows are created at zero first, so
// that there is a row to lock: the common case, every row there, takes one
// statement, and a new counter three.
func (t *tx) pgCounters(ctx context.Context, keys []commission.CounterKey) ([]decimal.Decimal, error) {
	names, subjects, buckets := keyColumns(keys)
	query := pgCountersSQL
	if t.write {
		query = pgCountersForUpdateSQL
	}
	values, err := t.pgReadCounters(ctx, query, names, subjects, buckets)
	if err == nil && t.write && len(values) < len(names) {
		if _, err := t.q.ExecContext(ctx, pgCreateCountersSQL, t.program, names, subjects, buckets); err != nil {
			return nil, fmt.Errorf("sqlstore: counters: %w", err)
		}
		values, err = t.pgReadCounters(ctx, query, names, subjects, buckets)
	}
	if err != nil {
		return nil, err
	}
	out := make([]decimal.Decimal, len(keys))
	for i, k := range keys {
		out[i] = values[k] // zero when missing
	}
	return out, nil
}

func (t *tx) pgReadCounters(ctx context.Context, query string, names, subjects, buckets []string) (map[commission.CounterKey]decimal.Decimal, error) {
	rows, err := t.q.QueryContext(ctx, query, t.program, names, subjects, buckets)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: counters: %w", err)
	}
	defer rows.Close()
	values := make(map[commission.CounterKey]decimal.Decimal, len(names))
	for rows.Next() {
		var k commission.CounterKey
		var v string
		if err := rows.Scan(&k.Name, &k.Subject, &k.Bucket, &v); err != nil {
			return nil, err
		}
		if values[k], err = parseMoney(v); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: counters: %w", err)
	}
	return values, nil
}

// pgAddCounters adds deltas, sorted and with repeated keys summed, in one
// statement.
func (t *tx) pgAddCounters(ctx context.Context, deltas []commission.CounterDelta) error {
	var names, subjects, buckets, values []string
	var sums []decimal.Decimal
	for _, d := range deltas { // sorted by key
		if n := len(names); n > 0 && names[n-1] == d.Key.Name && subjects[n-1] == d.Key.Subject && buckets[n-1] == d.Key.Bucket {
			sums[n-1] = sums[n-1].Add(d.Delta)
			continue
		}
		names, subjects, buckets = append(names, d.Key.Name), append(subjects, d.Key.Subject), append(buckets, d.Key.Bucket)
		sums = append(sums, d.Delta)
	}
	for _, s := range sums {
		v, err := money(s)
		if err != nil {
			return err
		}
		values = append(values, v)
	}
	if _, err := t.q.ExecContext(ctx, pgAddCountersSQL, t.program, names, subjects, buckets, values); err != nil {
		return fmt.Errorf("sqlstore: counters: %w", err)
	}
	return nil
}
