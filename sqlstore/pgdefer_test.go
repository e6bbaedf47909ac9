package sqlstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// statementLog records the statements a pgx connection sends, each one
// round trip once its statement is prepared.
type statementLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, data.SQL)
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements sent since the last take.
func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sql
	l.sql = nil
	return s
}

// tracedPostgres opens a migrated PostgreSQL store whose statements are
// logged.
func tracedPostgres(t *testing.T) (*sqlstore.Store, *statementLog) {
	d := newDatabase(t, sqlstore.Postgres)
	cfg, err := pgx.ParseConfig(d.dsn)
	require.NoError(t, err)
	log := &statementLog{}
	cfg.Tracer = log
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // statements prepared once
	s, err := sqlstore.Open(context.Background(), db, sqlstore.Postgres)
	require.NoError(t, err)
	return s, log
}

// A sale on PostgreSQL is four round trips, as many as its raw twin's:
// begin, its buyer with its counters read and locked, its rows written
// with its counter additions and its events, commit. Reading the counters
// on their own would be a fifth, sending the additions or the events on
// their own a sixth or a seventh.
func TestPostgresSaleRoundTrips(t *testing.T) {
	ctx := context.Background()
	store, log := tracedPostgres(t)
	eng := benchEngine(t, store)
	parties := benchSetup(t, eng)
	require.NoError(t, engineSale(ctx, eng, "warmup"))
	log.take()
	require.NoError(t, engineSale(ctx, eng, "sale_1"))
	sent := log.take()
	require.Len(t, sent, 4, strings.Join(sent, "\n"))
	require.Contains(t, sent[1], "FOR UPDATE OF k", "the buyer's read locks its counters")
	require.Contains(t, sent[2], "commission_counters", "the insert carries the counter additions")
	require.Contains(t, sent[2], "commission_events", "the insert carries the events")

	// The additions are in the counters: the partner's revenue is both
	// sales.
	revenue := commission.CounterKey{Name: "metric.revenue", Subject: parties.partnerID}
	requireCounter(t, store, benchProgram, revenue, "199.98")
	events, err := eng.Events(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, events, 2*2+2, "partner, customer, and each sale with its reward")
	require.Equal(t, commission.EventTransactionCreated, events[4].Type)
	require.Contains(t, string(events[4].Data), `"sale_1"`)
}

// Counter additions kept for the next statement are read by it, and when
// they cannot be stored the unit of work fails with their error, storing
// nothing, whichever statement sent them.
func TestPostgresKeptAdditions(t *testing.T) {
	ctx := context.Background()
	store, _ := tracedPostgres(t)
	key := commission.CounterKey{Name: "kept", Subject: "s"}
	err := store.Update(ctx, "p", func(tx commission.StoreTx) error {
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: key, Delta: decimal.NewFromInt(2)}}))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: key, Delta: decimal.NewFromInt(3)}}))
		vals, err := tx.Counters(ctx, []commission.CounterKey{key})
		require.NoError(t, err)
		require.True(t, vals[0].Equal(decimal.NewFromInt(5)), "read %s", vals[0])
		return nil
	})
	require.NoError(t, err)

	// 10^50 fits no counter (47 digits before the point).
	huge := decimal.New(1, 50)
	for _, next := range []struct {
		name string
		run  func(tx commission.StoreTx) error
	}{
		{"a read", func(tx commission.StoreTx) error {
			_, err := tx.Counters(ctx, []commission.CounterKey{key})
			return err
		}},
		{"a row read", func(tx commission.StoreTx) error {
			_, err := tx.Transaction(ctx, "none")
			return err
		}},
		{"the commit", func(commission.StoreTx) error { return nil }},
	} {
		t.Run(next.name, func(t *testing.T) {
			err := store.Update(ctx, "p", func(tx commission.StoreTx) error {
				require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{
					{Key: key, Delta: decimal.NewFromInt(1)}, {Key: key, Delta: huge}}))
				return next.run(tx)
			})
			require.ErrorContains(t, err, "sqlstore: counters")
			require.NotContains(t, err.Error(), "transaction is aborted")
			requireCounter(t, store, "p", key, "5")
		})
	}
}

func requireCounter(t *testing.T, store *sqlstore.Store, program string, key commission.CounterKey, want string) {
	t.Helper()
	err := store.View(context.Background(), program, func(tx commission.StoreTx) error {
		vals, err := tx.Counters(context.Background(), []commission.CounterKey{key})
		if err == nil && !vals[0].Equal(decimal.RequireFromString(want)) {
			t.Errorf("counter %s, want %s", vals[0], want)
		}
		return err
	})
	require.NoError(t, err)
}
