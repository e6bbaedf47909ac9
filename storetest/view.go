package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// View is for reads: it sees what Updates committed, and nothing a View
// tries to write is ever stored. (Whether such a write fails at once, or at
// the end of the View, is the store's choice.)
func viewTests() []subtest {
	return []subtest{
		{"writes in a View are not stored", testViewWritesNotStored},
		{"a program never written to is empty", testViewEmptyProgram},
	}
}

func testViewWritesNotStored(t *testing.T, h Harness) {
	s := h.New(t)
	s1 := saleFixture("s1", "c1", "p1", t0, "r1")
	key := commission.CounterKey{Name: "n", Subject: "p1"}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, s1))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: key, Delta: dec("1")}}))
	})

	at := t0.Add(time.Hour)
	_ = s.View(ctx, "a", func(tx commission.StoreTx) error {
		// Every write's error is ignored: only what is stored matters here.
		_ = tx.InsertPartner(ctx, partnerFixture("p2"))
		_ = tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived)
		_ = tx.InsertCustomer(ctx, customerFixture("c2", "p1"))
		_ = tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended)
		_ = tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0, "r2"))
		_ = tx.SetTransactionState(ctx, "s1", commission.TransactionDeleted, &at)
		_ = tx.SetRewardStatus(ctx, "r1", commission.RewardRejected, "no", at)
		_ = tx.AddCounters(ctx, []commission.CounterDelta{{Key: key, Delta: dec("1")}})
		return nil
	})

	_, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p2"})
	requireNotFound(t, err, "partner p2")
	_, err = getCustomer(t, s, "a", commission.CustomerRef{ID: "c2"})
	requireNotFound(t, err, "customer c2")
	_, err = getTx(t, s, "a", "s2")
	requireNotFound(t, err, "transaction s2")
	_, err = getReward(t, s, "a", "r2")
	requireNotFound(t, err, "reward r2")
	requireFixturesStored(t, s, "a", "p1", "c1", s1)
	requireDecimal(t, dec("1"), counters(t, s, "a", key)[0], "counter")
	require.Equal(t, []string{"s1"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
}

func testViewEmptyProgram(t *testing.T, h Harness) {
	s := h.New(t)
	insert(t, s, "a", saleFixture("s1", "c1", "p1", t0, "r1"))
	requireNothingStored(t, s, "never-written", commission.CounterKey{Name: "n"})
}
