package sqlstore

import (
	"context"
	"fmt"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

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
)

var pgAddCountersSQL = pgCounterAdd("$1", "$2::text[], $3::text[], $4::text[], $5::numeric[]")

// pgCounterAdd is the statement adding to counters, given the program's
// parameter and the four arrays' (names, subjects, buckets, values).
func pgCounterAdd(program, arrays string) string {
	return "INSERT INTO commission_counters (program_id, name, subject, bucket, value)" +
		" SELECT " + program + ", u.name, u.subject, u.bucket, u.value FROM unnest(" + arrays + ") AS u(name, subject, bucket, value)" +
		" ON CONFLICT (program_id, name, subject, bucket) DO UPDATE SET value = commission_counters.value + EXCLUDED.value"
}

// keyColumns returns keys as three columns.
func keyColumns(keys []commission.CounterKey) (names, subjects, buckets []string) {
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
	names, subjects, buckets := keyColumns(sortedKeys(keys))
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
// statement on q.
func (t *tx) pgAddCounters(ctx context.Context, q queryer, deltas []commission.CounterDelta) error {
	args, err := pgAddArgs(deltas)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, pgAddCountersSQL, append([]any{t.program}, args...)...); err != nil {
		return fmt.Errorf("sqlstore: counters: %w", err)
	}
	return nil
}

// pgAddArgs are the arrays of names, subjects, buckets and sums that add
// deltas, sorted by key, with repeated keys summed.
func pgAddArgs(deltas []commission.CounterDelta) ([]any, error) {
	keys, sums := sumByKey(deltas)
	values := make([]string, len(sums))
	for i, s := range sums {
		var err error
		if values[i], err = money(s); err != nil {
			return nil, err
		}
	}
	names, subjects, buckets := keyColumns(keys)
	return []any{names, subjects, buckets, values}, nil
}
