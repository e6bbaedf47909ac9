package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// Counters on MySQL and SQLite, as on PostgreSQL (pgcounters.go), take a
// fixed number of statements per call whatever the number of keys, up to
// counterChunk keys a statement:
//
//   - MySQL, Counters in an Update: one INSERT … ON DUPLICATE KEY UPDATE
//     creating the missing counters at zero and locking every row, in key
//     order, then one SELECT of them all. In a View: the SELECT alone.
//   - MySQL, AddCounters: one INSERT … ON DUPLICATE KEY UPDATE adding the
//     deltas, repeated keys summed, in key order.
//   - SQLite, whose write transactions hold the database lock: Counters is
//     one SELECT; AddCounters one SELECT of the current values, summed in
//     Go (money is TEXT there), and one upsert of the sums.

// Counters, in an Update, locks the counters it reads, in a fixed order so
// that two units of work cannot deadlock on them.
func (t *tx) Counters(ctx context.Context, keys []commission.CounterKey) ([]decimal.Decimal, error) {
	if t.s.d == Postgres && len(keys) > 0 {
		return t.pgCounters(ctx, keys)
	}
	return t.sqlCounters(ctx, keys)
}

func (t *tx) AddCounters(ctx context.Context, deltas []commission.CounterDelta) error {
	if err := t.writable(); err != nil {
		return err
	}
	if len(deltas) == 0 {
		return nil
	}
	// In key order, as Counters locks them, so that two units of work
	// cannot deadlock on counters.
	deltas = slices.Clone(deltas)
	slices.SortStableFunc(deltas, func(a, b commission.CounterDelta) int { return a.Key.Compare(b.Key) })
	switch {
	case t.adds != nil:
		t.adds.keep(deltas)
		return nil
	case t.s.d == Postgres:
		return t.pgAddCounters(ctx, t.q, deltas)
	}
	return t.sqlAddCounters(ctx, deltas)
}

// sortedKeys returns keys sorted, without repeats, in a slice of its own.
func sortedKeys(keys []commission.CounterKey) []commission.CounterKey {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, commission.CounterKey.Compare)
	return slices.Compact(keys)
}

// sumByKey returns the keys of deltas, sorted by key, each once, and the
// sum of each key's deltas.
func sumByKey(deltas []commission.CounterDelta) ([]commission.CounterKey, []decimal.Decimal) {
	keys := make([]commission.CounterKey, 0, len(deltas))
	sums := make([]decimal.Decimal, 0, len(deltas))
	for _, d := range deltas {
		if n := len(keys); n > 0 && keys[n-1] == d.Key {
			sums[n-1] = sums[n-1].Add(d.Delta)
			continue
		}
		keys = append(keys, d.Key)
		sums = append(sums, d.Delta)
	}
	return keys, sums
}

// counterChunk is the most keys one counter statement holds: a bulk can
// add thousands of counters in one call, and a statement has at most 32766
// parameters on SQLite and 65535 on MySQL. A chunk takes 5 a key at most.
const counterChunk = 200

// counterCached is the most keys of the statements built once per Store
// (besides counterChunk's); larger ones are built when used.
const counterCached = 16

// counterStatement is one kind of counter statement.
type counterStatement int

const (
	counterSelect counterStatement = iota // values of keys
	counterCreate                         // create keys at zero, locking them (MySQL)
	counterAdd                            // add values to keys (MySQL)
	counterSet                            // set keys to values (SQLite)
	counterStatements
)

// counterQueries holds the counter statements of one dialect by number of
// keys: [0] unused.
type counterQueries struct {
	small [counterStatements][counterCached + 1]string
	chunk [counterStatements]string
}

// used reports whether dialect d runs statements of kind k.
func (k counterStatement) used(d Dialect) bool {
	switch k {
	case counterSelect:
		return d == MySQL || d == SQLite
	case counterCreate, counterAdd:
		return d == MySQL
	case counterSet:
		return d == SQLite
	}
	return false
}

func newCounterQueries(d Dialect) counterQueries {
	var c counterQueries
	for k := range counterStatements {
		if !k.used(d) {
			continue
		}
		for n := 1; n <= counterCached; n++ {
			c.small[k][n] = counterSQL(d, k, n)
		}
		c.chunk[k] = counterSQL(d, k, counterChunk)
	}
	return c
}

// counterSQL returns the statement of kind k for n keys.
func (q *queries) counterSQL(k counterStatement, n int) string {
	switch {
	case n <= counterCached:
		return q.counters.small[k][n]
	case n == counterChunk:
		return q.counters.chunk[k]
	}
	return counterSQL(q.d, k, n)
}

// counterSQL builds the statement of kind k for n keys, n > 0.
func counterSQL(d Dialect, k counterStatement, n int) string {
	if k == counterSelect {
		return d.rebind(counterSelectSQL(d, n))
	}
	return d.rebind(counterInsertSQL(k, n))
}

// counterSelectSQL reads n counters: it takes the program, then name,
// subject and bucket of each key (on SQLite, the program before each
// key's).
func counterSelectSQL(d Dialect, n int) string {
	var b strings.Builder
	b.Grow(100 + 45*n)
	b.WriteString("SELECT name, subject, bucket, " + d.num("value") + " FROM commission_counters")
	if d == MySQL {
		// One range of one row per key, whatever the statistics say.
		b.WriteString(" FORCE INDEX (PRIMARY)")
	}
	// SQLite searches the primary key once per key only when each
	// term of the OR names the whole key; MySQL does either way.
	each := "(name = ? AND subject = ? AND bucket = ?)"
	if d == SQLite {
		each = "(program_id = ? AND name = ? AND subject = ? AND bucket = ?)"
	} else {
		b.WriteString(" WHERE program_id = ? AND (")
	}
	for i := range n {
		switch {
		case i > 0:
			b.WriteString(" OR ")
		case d == SQLite:
			b.WriteString(" WHERE ")
		}
		b.WriteString(each)
	}
	if d != SQLite {
		b.WriteString(")")
	}
	return b.String()
}

// counterInsertSQL writes n counters: it takes the program, name, subject,
// bucket and value of each key (counterCreate: no value).
func counterInsertSQL(k counterStatement, n int) string {
	var b strings.Builder
	row := "(?, ?, ?, ?, ?)"
	if k == counterCreate {
		row = "(?, ?, ?, ?, 0)"
	}
	b.Grow(160 + (len(row)+2)*n)
	b.WriteString("INSERT INTO commission_counters (program_id, name, subject, bucket, value) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	switch k {
	case counterCreate:
		b.WriteString(" ON DUPLICATE KEY UPDATE value = value")
	case counterAdd:
		b.WriteString(" ON DUPLICATE KEY UPDATE value = value + VALUES(value)")
	case counterSet:
		b.WriteString(" ON CONFLICT (program_id, name, subject, bucket) DO UPDATE SET value = excluded.value")
	}
	return b.String()
}

// sqlCounters is Counters on MySQL and SQLite.
func (t *tx) sqlCounters(ctx context.Context, keys []commission.CounterKey) ([]decimal.Decimal, error) {
	out := make([]decimal.Decimal, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	sorted := sortedKeys(keys)
	lock := t.write && t.s.d == MySQL
	values := make([]decimal.Decimal, len(sorted)) // zero when missing
	err := chunks(len(sorted), counterChunk, func(start, end int) error {
		chunk := sorted[start:end]
		if lock {
			// A row for every key, each locked (exclusively, until the
			// end of the unit of work) in key order, so that two units of
			// work cannot deadlock on counters.
			args := make([]any, 0, 4*len(chunk))
			for _, k := range chunk {
				args = append(args, t.program, k.Name, k.Subject, k.Bucket)
			}
			if _, err := t.q.ExecContext(ctx, t.s.q.counterSQL(counterCreate, len(chunk)), args...); err != nil {
				return fmt.Errorf("sqlstore: counters: %w", err)
			}
		}
		// Not FOR UPDATE: the rows are locked already, and a locking read
		// of several ranges may, with some servers and plans, also lock
		// the row after each range (InnoDB reads one row past its end),
		// so that units of work with interleaved keys would wait for
		// each other and could deadlock. At READ COMMITTED, where every
		// Update runs, a plain read sees the latest committed value,
		// which no one else can change while the lock is held.
		return t.readCounters(ctx, t.s.q.counterSQL(counterSelect, len(chunk)), chunk, values[start:end])
	})
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		j, _ := slices.BinarySearchFunc(sorted, k, commission.CounterKey.Compare)
		out[i] = values[j]
	}
	return out, nil
}

// readCounters runs query, a counterSelect of keys (sorted, without
// repeats), and sets values[i] to the value of keys[i], leaving those of
// missing counters alone.
func (t *tx) readCounters(ctx context.Context, query string, keys []commission.CounterKey, values []decimal.Decimal) error {
	args := make([]any, 0, 4*len(keys))
	if t.s.d != SQLite {
		args = append(args, t.program)
	}
	for _, k := range keys {
		if t.s.d == SQLite {
			args = append(args, t.program)
		}
		args = append(args, k.Name, k.Subject, k.Bucket)
	}
	rows, err := t.q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: counters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k commission.CounterKey
		var v string
		if err := rows.Scan(&k.Name, &k.Subject, &k.Bucket, &v); err != nil {
			return fmt.Errorf("sqlstore: counters: %w", err)
		}
		i, ok := slices.BinarySearchFunc(keys, k, commission.CounterKey.Compare)
		if !ok {
			return fmt.Errorf("sqlstore: counters: read counter %v, not asked for", k)
		}
		if values[i], err = parseMoney(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: counters: %w", err)
	}
	return nil
}

// sqlAddCounters is AddCounters on MySQL and SQLite, deltas sorted by key.
func (t *tx) sqlAddCounters(ctx context.Context, deltas []commission.CounterDelta) error {
	// Each delta is checked before the sums: one finer than the schema
	// holds is an error even if another cancels it.
	for _, d := range deltas {
		if _, err := money(d.Delta); err != nil {
			return err
		}
	}
	keys, sums := sumByKey(deltas)
	kind := counterAdd
	if t.s.d == SQLite {
		// TEXT cannot be added in SQL exactly: the sums are made here.
		kind = counterSet
		current := make([]decimal.Decimal, len(keys))
		err := chunks(len(keys), counterChunk, func(start, end int) error {
			return t.readCounters(ctx, t.s.q.counterSQL(counterSelect, end-start), keys[start:end], current[start:end])
		})
		if err != nil {
			return err
		}
		for i := range sums {
			sums[i] = current[i].Add(sums[i])
		}
	}
	return chunks(len(keys), counterChunk, func(start, end int) error {
		args := make([]any, 0, 5*(end-start))
		for i := start; i < end; i++ {
			v, err := money(sums[i])
			if err != nil {
				return err
			}
			k := keys[i]
			args = append(args, t.program, k.Name, k.Subject, k.Bucket, v)
		}
		if _, err := t.q.ExecContext(ctx, t.s.q.counterSQL(kind, end-start), args...); err != nil {
			return fmt.Errorf("sqlstore: counters: %w", err)
		}
		return nil
	})
}
