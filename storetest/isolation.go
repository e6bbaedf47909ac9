package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// A StoreTx sees and changes only its own program's data; the same ids,
// keys, emails and reward ids may be used in every program.
func isolationTests() []subtest {
	return []subtest{
		{"programs are isolated", testProgramIsolation},
	}
}

// isolationAt is when the isolation test deletes, archives and decides.
var isolationAt = t0.Add(time.Hour)

// isolationKey is the counter the isolation test adds to in each program.
var isolationKey = commission.CounterKey{Name: "n", Subject: "p1"}

func testProgramIsolation(t *testing.T, h Harness) {
	s := h.New(t)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s1", "c1", "p1", t0, "r1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0, "r2")))
		require.NoError(t, tx.SetTransactionState(ctx, "s2", commission.TransactionDeleted, &isolationAt))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: isolationKey, Delta: dec("7")}}))
	})

	// Program b sees nothing of a, and cannot change it.
	requireNothingStored(t, s, "b", isolationKey)
	requireWritesNotFound(t, s, "b")

	// The same ids, keys, emails and reward ids are free in b, and what b
	// writes stays in b.
	writeProgramB(t, s)
	require.Equal(t, []string{"s2", "s1"}, listKeys(t, s, "b", commission.TransactionQuery{Limit: 10}))
	pb, err := getPartner(t, s, "b", commission.PartnerRef{Key: "key-p1"})
	require.NoError(t, err)
	require.Equal(t, "in b", pb.Name)
	requireDecimal(t, dec("1"), counters(t, s, "b", isolationKey)[0], "counter of b")

	// Program a is as it was.
	requireDecimal(t, dec("7"), counters(t, s, "a", isolationKey)[0], "counter of a")
	requireFixturesStored(t, s, "a", "p1", "c1", saleFixture("s1", "c1", "p1", t0, "r1"))
	require.Equal(t, []string{"s1"}, listKeys(t, s, "a", commission.TransactionQuery{States: notDeleted, Limit: 10}))
	r, err := getReward(t, s, "a", "r2")
	require.NoError(t, err)
	require.Equal(t, commission.RewardInReview, r.Status)
	requireTimePtr(t, &isolationAt, r.DeletedAt, "reward of the deleted transaction")
	require.EqualValues(t, 1, history(t, s, "a", "c1", t0.Add(time.Hour)).Count)
}

// requireWritesNotFound tries each write to the fixtures p1, c1, s1 and r1
// in a unit of work of its own in prog, and requires it to fail with
// ErrNotFound.
func requireWritesNotFound(t *testing.T, s commission.Store, prog string) {
	for what, write := range map[string]func(tx commission.StoreTx) error{
		"SetPartnerStatus": func(tx commission.StoreTx) error {
			return tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived)
		},
		"SetCustomerStatus": func(tx commission.StoreTx) error {
			return tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended)
		},
		"SetTransactionState": func(tx commission.StoreTx) error {
			return tx.SetTransactionState(ctx, "s1", commission.TransactionDeleted, &isolationAt)
		},
		"SetRewardStatus": func(tx commission.StoreTx) error {
			return tx.SetRewardStatus(ctx, "r1", commission.RewardRejected, "x", isolationAt)
		},
	} {
		requireNotFound(t, s.Update(ctx, prog, write), what+" in another program")
	}
}

// writeProgramB stores in program b what program a holds, under the same
// ids, and changes all of it.
func writeProgramB(t *testing.T, s commission.Store) {
	update(t, s, "b", func(tx commission.StoreTx) {
		p := partnerFixture("p1")
		p.Name = "in b"
		require.NoError(t, tx.InsertPartner(ctx, p))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s1", "c1", "p1", t0, "r1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0, "r2")))
		require.NoError(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived))
		require.NoError(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended))
		require.NoError(t, tx.SetTransactionState(ctx, "s1", commission.TransactionArchived, &isolationAt))
		require.NoError(t, tx.SetRewardStatus(ctx, "r2", commission.RewardRejected, "x", isolationAt))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: isolationKey, Delta: dec("1")}}))
	})
}

// requireNothingStored requires program prog, in one View, to find none
// of the fixtures p1, c1 (by id, key or email), s1, s2, r1 and r2, to list
// nothing, to count no sale of c1 and to read zero for key.
func requireNothingStored(t *testing.T, s commission.Store, prog string, key commission.CounterKey) {
	t.Helper()
	require.NoError(t, s.View(ctx, prog, func(tx commission.StoreTx) error {
		for _, field := range []string{"id", "key", "email"} {
			_, err := tx.Partner(ctx, commission.PartnerRef(partners.fixtureRef("p1", field)))
			requireNotFound(t, err, "partner by "+field)
			_, err = tx.Customer(ctx, commission.CustomerRef(customers.fixtureRef("c1", field)))
			requireNotFound(t, err, "customer by "+field)
		}
		for _, txKey := range []string{"s1", "s2"} {
			_, err := tx.Transaction(ctx, txKey)
			requireNotFound(t, err, "transaction "+txKey)
		}
		for _, id := range []string{"r1", "r2"} {
			_, err := tx.Reward(ctx, id)
			requireNotFound(t, err, "reward "+id)
		}
		for _, q := range []commission.TransactionQuery{{Limit: 10}, {CustomerID: "c1", Limit: 10}, {PartnerID: "p1", Limit: 10}} {
			ls, err := tx.Transactions(ctx, q)
			require.NoError(t, err)
			require.Empty(t, ls, fmt.Sprintf("%+v", q))
		}
		hist, err := tx.CustomerHistory(ctx, "c1", t0.Add(time.Hour))
		require.NoError(t, err)
		require.Zero(t, hist.Count)
		require.True(t, hist.First.IsZero())
		vals, err := tx.Counters(ctx, []commission.CounterKey{key})
		require.NoError(t, err)
		require.Len(t, vals, 1)
		requireDecimal(t, decimal.Zero, vals[0], "counter")
		return nil
	}))
}
