package sqlstore

import "context"

// Statements that name many rows (a bulk's counters, a payout's rewards, a
// deletion's entries) name them in chunks, so that a statement's
// placeholders stay under every dialect's limit (SQLite: 32,766; MySQL and
// PostgreSQL: 65,535). On PostgreSQL a list of ids is one array parameter
// instead, whatever its length, so that one statement text serves every
// length and the driver prepares it once.

// idChunk is the most ids one statement names on MySQL and SQLite, and the
// most rows one INSERT of payout items writes (five placeholders a row).
const idChunk = 5000

// chunks calls f with each run of at most size of n items, from start
// (inclusive) to end (exclusive), in order.
func chunks(n, size int, f func(start, end int) error) error {
	for start := 0; start < n; start += size {
		if err := f(start, min(start+size, n)); err != nil {
			return err
		}
	}
	return nil
}

// idChunks calls f with each run of ids that one statement names: all of
// them on PostgreSQL.
func (d Dialect) idChunks(ids []string, f func(chunk []string) error) error {
	size := idChunk
	if d == Postgres {
		size = max(len(ids), 1)
	}
	return chunks(len(ids), size, func(start, end int) error { return f(ids[start:end]) })
}

// inIDs is the condition that col is one of n ids, which idArgs passes.
func (d Dialect) inIDs(col string, n int) string {
	if d == Postgres {
		return col + " = ANY(?::text[])"
	}
	return col + " IN " + placeholders(n)
}

// idArgs appends the arguments of inIDs to args.
func (d Dialect) idArgs(args []any, ids []string) []any {
	if d == Postgres {
		return append(args, ids)
	}
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}

// eachByID runs query, a SELECT ending with its condition on the program,
// and " AND col IN ids" and suffix, over ids in chunks, and calls scan on
// each row.
func (t *tx) eachByID(ctx context.Context, query, col, suffix string, ids []string, scan func(scanner) error) error {
	d := t.s.d
	return d.idChunks(ids, func(chunk []string) error {
		q := d.rebind(query + " AND " + d.inIDs(col, len(chunk)) + suffix)
		rows, err := t.q.QueryContext(ctx, q, d.idArgs([]any{t.program}, chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
