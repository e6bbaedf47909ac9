package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Any amount the engine accepts (up to 20 digits before the point and 18
// after) is read back exactly, as the transaction's amount, its set
// reward, a reward's amount and a counter.
func TestMoneyRoundTripsExactly(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		n := 0
		rapid.Check(t, func(rt *rapid.T) {
			digits := rapid.StringMatching(`[0-9]{1,38}`).Draw(rt, "digits")
			coef, _ := new(big.Int).SetString(digits, 10)
			scale := rapid.IntRange(0, 18).Draw(rt, "scale")
			for coef.BitLen() > 0 && len(coef.String()) > 20+scale {
				coef.Quo(coef, big.NewInt(10))
			}
			amount := decimal.NewFromBigInt(coef, int32(-scale))
			n++
			key := "t" + strconv.Itoa(n)
			at := time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)
			in := &commission.Transaction{
				Key: key, Action: "sale", Amount: amount, Reward: &amount, AmountUnits: "USD", CustomerID: "c", CustomerKey: "c",
				CreatedAt: at, State: commission.TransactionActive,
				Products: []commission.ProductLine{{ProductID: "p", ProductPrice: amount}},
				Rewards: []commission.Reward{{ID: "r" + key, TransactionKey: key, Amount: amount, CreatedAt: at, Status: commission.RewardOK,
					Explanation: commission.Explanation{Rule: "default", Base: amount, Value: amount}}},
			}
			counter := commission.CounterKey{Name: "sum", Subject: key}
			require.NoError(rt, s.Update(ctx, "prog", func(tx commission.StoreTx) error {
				if err := tx.InsertTransaction(ctx, in); err != nil {
					return err
				}
				return tx.AddCounters(ctx, []commission.CounterDelta{{Key: counter, Delta: amount}, {Key: counter, Delta: amount.Neg()}, {Key: counter, Delta: amount}})
			}))
			require.NoError(rt, s.View(ctx, "prog", func(tx commission.StoreTx) error {
				got, err := tx.Transaction(ctx, key)
				require.NoError(rt, err)
				for what, v := range map[string]decimal.Decimal{
					"amount": got.Amount, "reward": *got.Reward, "product_price": got.Products[0].ProductPrice,
					"rewards[0].amount": got.Rewards[0].Amount, "explanation.base": got.Rewards[0].Explanation.Base,
				} {
					require.Truef(rt, v.Equal(amount), "%s: stored %s, read %s", what, amount, v)
				}
				require.True(rt, got.CreatedAt.Equal(at), "microseconds kept")
				sums, err := tx.Counters(ctx, []commission.CounterKey{counter})
				require.NoError(rt, err)
				require.Truef(rt, sums[0].Equal(amount), "counter: want %s, got %s", amount, sums[0])
				return nil
			}))
		})
	})
}

// An amount finer than the 18 places the schema holds is refused, never
// rounded by the database.
func TestMoneyFinerThanSchemaIsRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		err := s.Update(ctx, "prog", func(tx commission.StoreTx) error {
			return tx.InsertTransaction(ctx, &commission.Transaction{Key: "t", Amount: decimal.New(1, -19), State: commission.TransactionActive})
		})
		require.ErrorContains(t, err, "more than 18 places")
	})
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t) // migrated once already
		require.NoError(t, s.Migrate(ctx))
		var n int
		require.NoError(t, s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM commission_schema_migrations").Scan(&n))
		require.Equal(t, migrationCount(t), n, "every migration, once each")
	})
}

// Processes starting at once may all migrate: they take turns.
func TestMigrateConcurrently(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := newEmptyDatabase(t, d)
		stores := make([]*sqlstore.Store, 4)
		for i := range stores {
			stores[i] = db.open(t)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(stores))
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.Migrate(ctx) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		var n int
		require.NoError(t, stores[0].DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM commission_schema_migrations").Scan(&n))
		require.Equal(t, migrationCount(t), n, "every migration, once each")
		require.NoError(t, stores[1].Update(ctx, "p", func(tx commission.StoreTx) error {
			return tx.InsertPartner(ctx, &commission.Partner{ID: "p", Key: "p", Status: commission.PartnerActive})
		}))
	})
}

// serializationFailure looks like pgx's error for SQLSTATE 40001.
type serializationFailure struct{}

func (serializationFailure) Error() string    { return "serialization failure" }
func (serializationFailure) SQLState() string { return "40001" }

func TestUpdateRetriesSerializationFailures(t *testing.T) {
	ctx := context.Background()
	s := newDatabase(t, sqlstore.SQLite).open(t)
	calls := 0
	err := s.Update(ctx, "p", func(tx commission.StoreTx) error {
		calls++
		if err := tx.InsertPartner(ctx, &commission.Partner{ID: "p", Key: "p", Status: commission.PartnerActive}); err != nil {
			return err
		}
		if calls < 3 {
			return serializationFailure{}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, calls, "run again after each failure, each time from a clean slate")

	calls = 0
	err = s.Update(ctx, "p", func(tx commission.StoreTx) error {
		calls++
		return serializationFailure{}
	})
	require.True(t, errors.As(err, new(serializationFailure)))
	require.Equal(t, sqlstore.MaxRetries+1, calls, "a bounded number of times")

	calls = 0
	err = s.Update(ctx, "p", func(tx commission.StoreTx) error {
		calls++
		return commission.ErrNotFound
	})
	require.ErrorIs(t, err, commission.ErrNotFound)
	require.Equal(t, 1, calls, "other errors are not retried")
}

func TestOpenSQLiteNeedsBusyTimeout(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "x.db"))
	require.NoError(t, err)
	defer db.Close()
	_, err = sqlstore.Open(context.Background(), db, sqlstore.SQLite)
	require.ErrorContains(t, err, "busy_timeout")
	_, err = sqlstore.Open(context.Background(), db, sqlstore.Dialect(9))
	require.ErrorContains(t, err, "unknown dialect")
}

// Keys are compared byte for byte on every dialect: trailing spaces and
// case make different keys (MySQL's utf8mb4_bin would pad them equal).
func TestKeysCompareByteForByte(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		keys := []string{"inv", "inv ", "INV", "inv\u00a0"}
		require.NoError(t, s.Update(ctx, "p", func(tx commission.StoreTx) error {
			for i, k := range keys {
				if err := tx.InsertPartner(ctx, &commission.Partner{ID: k, Key: k, Status: commission.PartnerActive}); err != nil {
					return err
				}
				if err := tx.InsertTransaction(ctx, &commission.Transaction{Key: k, CustomerID: strconv.Itoa(i), State: commission.TransactionActive}); err != nil {
					return err
				}
			}
			return nil
		}))
		require.NoError(t, s.View(ctx, "p", func(tx commission.StoreTx) error {
			for i, k := range keys {
				tr, err := tx.Transaction(ctx, k)
				require.NoError(t, err)
				require.Equal(t, strconv.Itoa(i), tr.CustomerID, "%q", k)
				p, err := tx.Partner(ctx, commission.PartnerRef{Key: k})
				require.NoError(t, err)
				require.Equal(t, k, p.ID)
			}
			return nil
		}))
	})
}

// migrationCount is the number of migrations, the same for every dialect.
func migrationCount(t *testing.T) int {
	t.Helper()
	n := -1
	for _, dir := range []string{"postgres", "mysql", "sqlite"} {
		files, err := os.ReadDir(filepath.Join("migrations", dir))
		require.NoError(t, err)
		if n >= 0 {
			require.Len(t, files, n, "migrations/%s has as many migrations as the other dialects", dir)
		}
		n = len(files)
	}
	return n
}

// A path holding the characters a URI gives a meaning opens that very
// file, with the store's settings.
func TestSQLiteDSNEscapesThePath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	name := "a?b&c#d%25e f.db"
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(dir, name)))
	require.NoError(t, err)
	defer db.Close()
	s, err := sqlstore.Open(ctx, db, sqlstore.SQLite)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Contains(t, names, name)
	var mode string
	var timeout int
	require.NoError(t, db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	require.NoError(t, db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout))
	require.Equal(t, "wal", mode)
	require.Equal(t, 10000, timeout)
}
