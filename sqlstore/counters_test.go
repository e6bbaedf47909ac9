package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// Counters and AddCounters take their keys a bounded number at a time: a
// call with more keys than one statement holds, repeats included, reads
// and adds every one exactly, in an Update and in a View.
func TestCountersManyKeys(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		const n = 450 // more than two statements' worth
		key := func(i int) commission.CounterKey {
			return commission.CounterKey{Name: fmt.Sprintf("n%d", i%7), Subject: fmt.Sprintf("s%03d", i), Bucket: fmt.Sprintf("b%d", i%3)}
		}
		var deltas []commission.CounterDelta
		want := map[commission.CounterKey]decimal.Decimal{}
		for i := range n {
			for j := range 1 + i%3 { // one to three deltas a key
				delta := decimal.New(int64(i*10+j), -int32(j)) // 0 to 2 places
				deltas = append(deltas, commission.CounterDelta{Key: key(i), Delta: delta})
				want[key(i)] = want[key(i)].Add(delta)
			}
		}
		rand.Shuffle(len(deltas), func(a, b int) { deltas[a], deltas[b] = deltas[b], deltas[a] })
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error { return tx.AddCounters(ctx, deltas) }))
		// Twice over, once more for the first keys.
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error {
			return tx.AddCounters(ctx, append(deltas, commission.CounterDelta{Key: key(0), Delta: decimal.RequireFromString("0.000000000000000001")}))
		}))
		for k, v := range want {
			want[k] = v.Add(v)
		}
		want[key(0)] = want[key(0)].Add(decimal.RequireFromString("0.000000000000000001"))

		// Every key twice, in reverse, with keys never added to.
		var keys []commission.CounterKey
		for i := n - 1; i >= 0; i-- {
			keys = append(keys, key(i), commission.CounterKey{Name: "missing", Subject: fmt.Sprint(i)}, key(i))
		}
		check := func(tx commission.StoreTx) error {
			vals, err := tx.Counters(ctx, keys)
			if err != nil {
				return err
			}
			require.Len(t, vals, len(keys))
			for i, k := range keys {
				w := want[k] // zero when missing
				require.Truef(t, vals[i].Equal(w), "counter %v: want %s, got %s", k, w, vals[i])
			}
			return nil
		}
		require.NoError(t, s.Update(ctx, "prog", check))
		require.NoError(t, s.View(ctx, "prog", check))
		require.NoError(t, s.View(ctx, "other", func(tx commission.StoreTx) error {
			vals, err := tx.Counters(ctx, keys)
			require.NoError(t, err)
			for _, v := range vals {
				require.True(t, v.IsZero(), "another program's counter")
			}
			return nil
		}))
	})
}

// A delta finer than the schema's 18 places is refused, even when another
// delta to the same counter in the call cancels it.
func TestCounterDeltaFinerThanSchemaIsRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		if d == sqlstore.Postgres {
			t.Skip("PostgreSQL checks the sum of a counter's deltas")
		}
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		k := commission.CounterKey{Name: "n", Subject: "s"}
		err := s.Update(ctx, "prog", func(tx commission.StoreTx) error {
			return tx.AddCounters(ctx, []commission.CounterDelta{{Key: k, Delta: decimal.New(1, -19)}, {Key: k, Delta: decimal.New(-1, -19)}})
		})
		require.ErrorContains(t, err, "more than 18 places")
	})
}

// Units of work locking counters lock those and no others: one holding a
// and c does not hold up one taking b and e, though their keys interleave
// (a locking read of several ranges on InnoDB may lock the row after each
// range too).
func TestCounterLocksAreTheirKeysOnly(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		if d == sqlstore.SQLite {
			t.Skip("one writer at a time on SQLite")
		}
		ctx := context.Background()
		db := newDatabase(t, d)
		s1, s2 := db.open(t), db.open(t)
		key := func(name string) commission.CounterKey {
			return commission.CounterKey{Name: "n", Subject: name, Bucket: "2025-05"}
		}
		a, b, c, e := key("a"), key("b"), key("c"), key("e")
		var seed []commission.CounterDelta
		for _, k := range []commission.CounterKey{a, b, c, e} {
			seed = append(seed, commission.CounterDelta{Key: k, Delta: decimal.NewFromInt(1)})
		}
		require.NoError(t, s1.Update(ctx, "prog", func(tx commission.StoreTx) error { return tx.AddCounters(ctx, seed) }))

		locked, done := make(chan struct{}), make(chan error, 1)
		go func() {
			<-locked
			done <- s2.Update(ctx, "prog", func(tx commission.StoreTx) error {
				if _, err := tx.Counters(ctx, []commission.CounterKey{e, b}); err != nil {
					return err
				}
				return tx.AddCounters(ctx, []commission.CounterDelta{{Key: b, Delta: decimal.NewFromInt(1)}, {Key: e, Delta: decimal.NewFromInt(1)}})
			})
		}()
		err := s1.Update(ctx, "prog", func(tx commission.StoreTx) error {
			if _, err := tx.Counters(ctx, []commission.CounterKey{c, a}); err != nil {
				return err
			}
			close(locked)
			select {
			case err := <-done:
				return err
			case <-time.After(5 * time.Second):
				return errors.New("the unit of work on b and e waited for the one on a and c")
			}
		})
		require.NoError(t, err)
		vals := counters(t, s1, a, b, c, e)
		for i, want := range []int64{1, 2, 1, 2} {
			require.Truef(t, vals[i].Equal(decimal.NewFromInt(want)), "counter %d: %s", i, vals[i])
		}
	})
}

func counters(t *testing.T, s *sqlstore.Store, keys ...commission.CounterKey) []decimal.Decimal {
	t.Helper()
	var vals []decimal.Decimal
	require.NoError(t, s.View(context.Background(), "prog", func(tx commission.StoreTx) (err error) {
		vals, err = tx.Counters(context.Background(), keys)
		return err
	}))
	return vals
}
