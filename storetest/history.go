package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// CustomerHistory counts a customer's qualified transactions, neither
// deleted nor archived, created strictly before a time, and gives the
// earliest.
func historyTests() []subtest {
	return []subtest{
		{"counts qualified active sales strictly before", testHistory},
		{"archive, delete and restore move it", testHistoryStates},
	}
}

// historyFixture stores customer c's sales (and one of another customer):
//
//	h1 T+60m   qualified
//	h2 T+120m  qualified
//	h3 T+30m   not qualified
//	h4 T+15m   qualified, deleted
//	h5 T+10m   qualified, archived
//	h6 T+180m  qualified
//	o1 T       qualified, customer "other"
//	h7 T+20m   qualified, backdated: the earliest counted
func historyFixture(t *testing.T, s commission.Store) {
	t.Helper()
	m := time.Minute
	rows := []struct {
		key       string
		customer  string
		at        time.Duration
		qualified bool
		state     commission.TransactionState
	}{
		{"h1", "c", 60 * m, true, commission.TransactionActive},
		{"h2", "c", 120 * m, true, commission.TransactionActive},
		{"h3", "c", 30 * m, false, commission.TransactionActive},
		{"h4", "c", 15 * m, true, commission.TransactionDeleted},
		{"h5", "c", 10 * m, true, commission.TransactionArchived},
		{"h6", "c", 180 * m, true, commission.TransactionActive},
		{"o1", "other", 0, true, commission.TransactionActive},
		{"h7", "c", 20 * m, true, commission.TransactionActive},
	}
	for _, r := range rows {
		tr := saleFixture(r.key, r.customer, "p", t0.Add(r.at), "r-"+r.key)
		tr.Qualified = r.qualified
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.InsertTransaction(ctx, tr))
			if r.state != commission.TransactionActive {
				at := t0.Add(r.at + time.Second)
				require.NoError(t, tx.SetTransactionState(ctx, r.key, r.state, &at))
			}
		})
	}
}

func requireHistory(t *testing.T, s commission.Store, prog, customer string, before time.Time, count int64, first time.Time) {
	t.Helper()
	h := history(t, s, prog, customer, before)
	require.Equal(t, count, h.Count, "%s: count before %v", customer, before)
	requireTime(t, first, h.First, "first before "+before.String())
	if count == 0 {
		require.True(t, h.First.IsZero(), "First is zero when Count is 0")
	}
}

func testHistory(t *testing.T, h Harness) {
	s := h.New(t)
	historyFixture(t, s)
	m, us, zero := time.Minute, time.Microsecond, time.Time{}
	requireHistory(t, s, "a", "c", t0, 0, zero)
	requireHistory(t, s, "a", "c", t0.Add(20*m), 0, zero) // h4 deleted, h5 archived; h7 not strictly before
	requireHistory(t, s, "a", "c", t0.Add(20*m+us), 1, t0.Add(20*m))
	requireHistory(t, s, "a", "c", t0.Add(60*m), 1, t0.Add(20*m)) // h3 unqualified, h1 not strictly before
	requireHistory(t, s, "a", "c", t0.Add(60*m+us), 2, t0.Add(20*m))
	requireHistory(t, s, "a", "c", t0.Add(24*time.Hour), 4, t0.Add(20*m))
	requireHistory(t, s, "a", "other", t0.Add(24*time.Hour), 1, t0)
	requireHistory(t, s, "a", "other", t0, 0, zero)
	requireHistory(t, s, "a", "nobody", t0.Add(24*time.Hour), 0, zero)
	// Another program sees none of it.
	requireHistory(t, s, "b", "c", t0.Add(24*time.Hour), 0, zero)
}

func testHistoryStates(t *testing.T, h Harness) {
	s := h.New(t)
	historyFixture(t, s)
	m, day := time.Minute, t0.Add(24*time.Hour)
	// Archiving the earliest moves First; restoring brings it back.
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "h7", commission.TransactionArchived, &day))
	})
	requireHistory(t, s, "a", "c", day, 3, t0.Add(60*m))
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "h7", commission.TransactionActive, nil))
		require.NoError(t, tx.SetTransactionState(ctx, "h4", commission.TransactionActive, nil))
	})
	requireHistory(t, s, "a", "c", day, 5, t0.Add(15*m))
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "h4", commission.TransactionDeleted, &day))
		require.NoError(t, tx.SetTransactionState(ctx, "h1", commission.TransactionDeleted, &day))
	})
	requireHistory(t, s, "a", "c", day, 3, t0.Add(20*m))
}
