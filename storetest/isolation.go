package storetest

import (
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

func testProgramIsolation(t *testing.T, h Harness) {
	s := h.New(t)
	at := t0.Add(time.Hour)
	key := commission.CounterKey{Name: "n", Subject: "p1"}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s1", "c1", "p1", t0, "r1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0, "r2")))
		require.NoError(t, tx.SetTransactionState(ctx, "s2", commission.TransactionDeleted, &at))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: key, Delta: dec("7")}}))
	})

	// Program b sees nothing of a, and cannot change it.
	require.NoError(t, s.View(ctx, "b", func(tx commission.StoreTx) error {
		_, err := tx.Partner(ctx, commission.PartnerRef{ID: "p1"})
		requireNotFound(t, err, "partner by id")
		_, err = tx.Partner(ctx, commission.PartnerRef{Key: "key-p1"})
		requireNotFound(t, err, "partner by key")
		_, err = tx.Partner(ctx, commission.PartnerRef{Email: "p1@partners.test"})
		requireNotFound(t, err, "partner by email")
		_, err = tx.Customer(ctx, commission.CustomerRef{ID: "c1"})
		requireNotFound(t, err, "customer by id")
		_, err = tx.Customer(ctx, commission.CustomerRef{Key: "key-c1"})
		requireNotFound(t, err, "customer by key")
		_, err = tx.Customer(ctx, commission.CustomerRef{Email: "c1@customers.test"})
		requireNotFound(t, err, "customer by email")
		_, err = tx.Transaction(ctx, "s1")
		requireNotFound(t, err, "transaction")
		_, err = tx.Transaction(ctx, "s2")
		requireNotFound(t, err, "deleted transaction")
		_, err = tx.Reward(ctx, "r1")
		requireNotFound(t, err, "reward")
		ls, err := tx.Transactions(ctx, commission.TransactionQuery{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ls)
		ls, err = tx.Transactions(ctx, commission.TransactionQuery{CustomerID: "c1", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ls)
		ls, err = tx.Transactions(ctx, commission.TransactionQuery{PartnerID: "p1", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ls)
		hist, err := tx.CustomerHistory(ctx, "c1", t0.Add(time.Hour))
		require.NoError(t, err)
		require.Zero(t, hist.Count)
		vals, err := tx.Counters(ctx, []commission.CounterKey{key})
		require.NoError(t, err)
		requireDecimal(t, decimal.Zero, vals[0], "counter")
		return nil
	}))
	// Each write is tried in a unit of work of its own, which fails.
	for what, write := range map[string]func(tx commission.StoreTx) error{
		"SetPartnerStatus": func(tx commission.StoreTx) error {
			return tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived)
		},
		"SetCustomerStatus": func(tx commission.StoreTx) error {
			return tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended)
		},
		"SetTransactionState": func(tx commission.StoreTx) error {
			return tx.SetTransactionState(ctx, "s1", commission.TransactionDeleted, &at)
		},
		"SetRewardStatus": func(tx commission.StoreTx) error {
			return tx.SetRewardStatus(ctx, "r1", commission.RewardRejected, "x", at)
		},
	} {
		requireNotFound(t, s.Update(ctx, "b", write), what+" in another program")
	}

	// The same ids, keys, emails and reward ids are free in b, and what b
	// writes stays in b.
	update(t, s, "b", func(tx commission.StoreTx) {
		p := partnerFixture("p1")
		p.Name = "in b"
		require.NoError(t, tx.InsertPartner(ctx, p))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s1", "c1", "p1", t0, "r1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0, "r2")))
		require.NoError(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived))
		require.NoError(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended))
		require.NoError(t, tx.SetTransactionState(ctx, "s1", commission.TransactionArchived, &at))
		require.NoError(t, tx.SetRewardStatus(ctx, "r2", commission.RewardRejected, "x", at))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: key, Delta: dec("1")}}))
	})

	require.Equal(t, []string{"s2", "s1"}, listKeys(t, s, "b", commission.TransactionQuery{Limit: 10}))
	pb, err := getPartner(t, s, "b", commission.PartnerRef{Key: "key-p1"})
	require.NoError(t, err)
	require.Equal(t, "in b", pb.Name)
	requireDecimal(t, dec("1"), counters(t, s, "b", key)[0], "counter of b")

	// Program a is as it was.
	requireDecimal(t, dec("7"), counters(t, s, "a", key)[0], "counter of a")
	p, err := getPartner(t, s, "a", commission.PartnerRef{Key: "key-p1"})
	require.NoError(t, err)
	requireSamePartner(t, partnerFixture("p1"), p)
	c, err := getCustomer(t, s, "a", commission.CustomerRef{Key: "key-c1"})
	require.NoError(t, err)
	requireSameCustomer(t, customerFixture("c1", "p1"), c)
	require.Equal(t, []string{"s1"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
	got, err := getTx(t, s, "a", "s1")
	require.NoError(t, err)
	requireSameTx(t, saleFixture("s1", "c1", "p1", t0, "r1"), got)
	r, err := getReward(t, s, "a", "r2")
	require.NoError(t, err)
	require.Equal(t, commission.RewardInReview, r.Status)
	requireTimePtr(t, &at, r.DeletedAt, "reward of the deleted transaction")
	hist := history(t, s, "a", "c1", t0.Add(time.Hour))
	require.EqualValues(t, 1, hist.Count)
}
