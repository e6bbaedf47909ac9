package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// The store methods the engine's sale and bulk paths use: Buyer,
// InsertTransactions, SetPartnerCommission and AddRewards.
func newerTests() []subtest {
	return []subtest{
		{"buyer reads a customer with its partner and referrer", testBuyer},
		{"a batch insert stores every transaction and sets Seq", testInsertTransactions},
		{"a batch insert with a taken key fails", testInsertTransactionsDuplicate},
		{"partner commission round-trips and rolls back", testPartnerCommission},
		{"rewards added to a stored transaction", testAddRewards},
	}
}

func testBuyer(t *testing.T, h Harness) {
	s := h.New(t)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		friend := customerFixture("c2", "")
		friend.ReferringCustomerID, friend.ReferringCustomerKey = "c1", "key-c1"
		require.NoError(t, tx.InsertCustomer(ctx, friend))
	})
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		b, err := tx.Buyer(ctx, commission.CustomerRef{Key: "key-c1"})
		require.NoError(t, err)
		requireSameCustomer(t, customerFixture("c1", "p1"), b.Customer)
		requireSamePartner(t, partnerFixture("p1"), b.Partner)
		require.Nil(t, b.Referrer)

		b, err = tx.Buyer(ctx, commission.CustomerRef{ID: "c2"})
		require.NoError(t, err)
		require.Nil(t, b.Partner)
		require.NotNil(t, b.Referrer)
		require.Equal(t, "c1", b.Referrer.ID)

		_, err = tx.Buyer(ctx, commission.CustomerRef{Email: "nobody@customers.test"})
		requireNotFound(t, err, "unknown buyer")
		return nil
	}))
}

func testInsertTransactions(t *testing.T, h Harness) {
	s := h.New(t)
	batch := []*commission.Transaction{
		saleFixture("b1", "c1", "p1", t0, "rb1"),
		saleFixture("b2", "c1", "p1", t0.Add(time.Second), "rb2a", "rb2b"),
		saleFixture("b3", "c2", "", t0.Add(-time.Hour)),
	}
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertTransactions(ctx, batch)) })
	seen := map[int64]bool{}
	for _, in := range batch {
		require.NotZero(t, in.Seq, "%s has its Seq", in.Key)
		require.False(t, seen[in.Seq], "Seq values are unique")
		seen[in.Seq] = true
		got, err := getTx(t, s, "a", in.Key)
		require.NoError(t, err)
		requireSameTx(t, in, got)
	}
	require.Equal(t, []string{"b2", "b1", "b3"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
}

func testInsertTransactionsDuplicate(t *testing.T, h Harness) {
	s := h.New(t)
	insert(t, s, "a", saleFixture("taken", "c1", "p1", t0, "r0"))
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertTransactions(ctx, []*commission.Transaction{
			saleFixture("fresh", "c1", "p1", t0, "r1"), saleFixture("taken", "c1", "p1", t0, "r2"),
		})
	})
	requireDuplicate(t, err, "a taken key in a batch")
	_, err = getTx(t, s, "a", "fresh")
	requireNotFound(t, err, "nothing of the failed unit of work")

	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertTransactions(ctx, []*commission.Transaction{saleFixture("other", "c1", "p1", t0, "r0")})
	})
	requireDuplicate(t, err, "a taken reward id in a batch")
}

func testPartnerCommission(t *testing.T, h Harness) {
	s := h.New(t)
	c := commission.Percent(dec("40")).For(commission.Months(3)).Then(commission.Flat(dec("2.5")))
	update(t, s, "a", func(tx commission.StoreTx) {
		p := partnerFixture("p1")
		p.Commission = &c
		require.NoError(t, tx.InsertPartner(ctx, p))
	})
	check := func(want *commission.Commission) {
		t.Helper()
		p, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
		require.NoError(t, err)
		if want == nil {
			require.Nil(t, p.Commission)
			return
		}
		require.NotNil(t, p.Commission)
		require.Equal(t, want.Type, p.Commission.Type)
		requireDecimal(t, want.Value, p.Commission.Value, "value")
		require.Equal(t, *want.Period, *p.Commission.Period)
		require.Equal(t, want.Next.Type, p.Commission.Next.Type)
		requireDecimal(t, want.Next.Value, p.Commission.Next.Value, "then.value")
	}
	check(&c)
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.SetPartnerCommission(ctx, "p1", nil))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	check(&c)
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.SetPartnerCommission(ctx, "p1", nil)) })
	check(nil)
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.SetPartnerCommission(ctx, "nobody", &c) })
	requireNotFound(t, err, "unknown partner")
}

func testAddRewards(t *testing.T, h Harness) {
	s := h.New(t)
	in := saleFixture("s1", "c1", "p1", t0, "r1")
	in.Qualified, in.Rewardable = false, false
	insert(t, s, "a", in)
	// The engine decides the flags; the store records them as given.
	later := in.Clone()
	later.Rewards = append(later.Rewards, saleFixture("x", "c1", "p1", t0, "r2", "r3").Rewards...)
	later.Rewardable, later.Qualified = true, false
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.AddRewards(ctx, later, 1))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	got, err := getTx(t, s, "a", "s1")
	require.NoError(t, err)
	require.Len(t, got.Rewards, 1, "rolled back")
	require.False(t, got.Rewardable)

	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.AddRewards(ctx, later, 1)) })
	got, err = getTx(t, s, "a", "s1")
	require.NoError(t, err)
	require.Len(t, got.Rewards, 3)
	require.Equal(t, []string{"r1", "r2", "r3"}, []string{got.Rewards[0].ID, got.Rewards[1].ID, got.Rewards[2].ID})
	require.True(t, got.Rewardable)
	require.False(t, got.Qualified, "the store keeps the flag it was given")
	r, err := getReward(t, s, "a", "r3")
	require.NoError(t, err)
	require.Equal(t, "r3", r.ID)
	require.Equal(t, int64(0), history(t, s, "a", "c1", t0.Add(time.Hour)).Count, "not qualified: it does not count")

	qualified := got.Clone()
	qualified.Rewards = append(qualified.Rewards, saleFixture("y", "c1", "p1", t0, "r4").Rewards...)
	qualified.Qualified = true
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.AddRewards(ctx, qualified, 3)) })
	got, err = getTx(t, s, "a", "s1")
	require.NoError(t, err)
	require.Len(t, got.Rewards, 4)
	require.True(t, got.Qualified)
	require.Equal(t, int64(1), history(t, s, "a", "c1", t0.Add(time.Hour)).Count, "it counts now")

	err = s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.AddRewards(ctx, later, 2) })
	requireDuplicate(t, err, "a taken reward id")
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.AddRewards(ctx, &commission.Transaction{Key: "nope"}, 0)
	})
	requireNotFound(t, err, "unknown transaction")
}
