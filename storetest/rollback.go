package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// An Update whose fn fails (returns an error or panics) leaves nothing of
// its writes behind, restores what it changed, and leaves the store usable.
func rollbackTests() []subtest {
	var tests []subtest
	for _, panics := range []bool{false, true} {
		for _, baseline := range []bool{false, true} {
			name := "error"
			if panics {
				name = "panic"
			}
			if baseline {
				name += " restores committed data"
			} else {
				name += " in an empty program"
			}
			tests = append(tests, subtest{name, func(t *testing.T, h Harness) { testRollback(t, h, panics, baseline) }})
		}
	}
	return append(tests,
		subtest{"after a failed write", testRollbackAfterFailedWrite},
		subtest{"ignores caller mutations of an inserted partner", testRollbackPartnerMutated},
		subtest{"ignores caller mutations of an inserted customer", testRollbackCustomerMutated},
	)
}

func testRollback(t *testing.T, h Harness, panics, baseline bool) {
	s := h.New(t)
	counterBase := commission.CounterKey{Name: "partner.revenue", Subject: "p0", Bucket: "2025-05"}
	counterNew := commission.CounterKey{Name: "partner.revenue", Subject: "p1", Bucket: "2025-05"}
	counterNew2 := commission.CounterKey{Name: "partner.signups", Subject: "p1", Bucket: ""}

	var s0 *commission.Transaction
	if baseline {
		s0 = saleFixture("s0", "c0", "p0", t0, "r0")
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p0")))
			require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c0", "p0")))
			require.NoError(t, tx.InsertTransaction(ctx, s0))
			require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: counterBase, Delta: dec("5")}}))
		})
	}

	at := t0.Add(2 * time.Hour)
	fnCalled := false
	fn := func(tx commission.StoreTx) error {
		fnCalled = true
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s1", "c1", "p1", t0.Add(time.Hour), "r1", "r2")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0.Add(-time.Hour), "r3")))
		require.NoError(t, tx.SetTransactionState(ctx, "s1", commission.TransactionArchived, &at))
		require.NoError(t, tx.SetRewardStatus(ctx, "r3", commission.RewardRejected, "fraud", at))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{
			{Key: counterNew, Delta: dec("2")},
			{Key: counterNew, Delta: dec("3")},
			{Key: counterNew2, Delta: dec("1")},
		}))
		if baseline {
			require.NoError(t, tx.SetPartnerStatus(ctx, "p0", commission.PartnerArchived))
			require.NoError(t, tx.SetCustomerStatus(ctx, "c0", commission.CustomerSuspended))
			require.NoError(t, tx.SetTransactionState(ctx, "s0", commission.TransactionDeleted, &at))
			require.NoError(t, tx.SetRewardStatus(ctx, "r0", commission.RewardOK, "approved", at))
			require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: counterBase, Delta: dec("1.5")}}))
			require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s3", "c0", "p0", t0.Add(3*time.Hour), "r4")))
		}

		// The unit of work reads its own writes.
		p, err := tx.Partner(ctx, commission.PartnerRef{Key: "key-p1"})
		require.NoError(t, err)
		require.Equal(t, commission.PartnerArchived, p.Status)
		c, err := tx.Customer(ctx, commission.CustomerRef{Email: "c1@customers.test"})
		require.NoError(t, err)
		require.Equal(t, commission.CustomerSuspended, c.Status)
		r, err := tx.Reward(ctx, "r3")
		require.NoError(t, err)
		require.Equal(t, commission.RewardRejected, r.Status)
		vals, err := tx.Counters(ctx, []commission.CounterKey{counterNew, counterNew2})
		require.NoError(t, err)
		requireDecimal(t, dec("5"), vals[0], "counter inside the unit of work")
		requireDecimal(t, dec("1"), vals[1], "counter inside the unit of work")
		ls, err := tx.Transactions(ctx, commission.TransactionQuery{CustomerID: "c1", Limit: 10})
		require.NoError(t, err)
		require.Equal(t, []string{"s1", "s2"}, keysOf(ls))
		h, err := tx.CustomerHistory(ctx, "c1", t0.Add(24*time.Hour))
		require.NoError(t, err)
		require.EqualValues(t, 1, h.Count) // s1 is archived

		if panics {
			panic("boom")
		}
		return errBoom
	}

	var err error
	func() {
		defer func() {
			r := recover()
			if panics {
				require.Equal(t, "boom", r, "the panic must reach the caller")
			} else {
				require.Nil(t, r)
			}
		}()
		err = s.Update(ctx, "a", fn)
	}()
	require.True(t, fnCalled)
	if !panics {
		require.ErrorIs(t, err, errBoom)
	}

	// The store is not left locked.
	require.NoError(t, within(t, func() error {
		return s.View(ctx, "a", func(commission.StoreTx) error { return nil })
	}))
	require.NoError(t, within(t, func() error {
		return s.Update(ctx, "a", func(commission.StoreTx) error { return nil })
	}))

	// Nothing written is left behind.
	for _, ref := range []commission.PartnerRef{{ID: "p1"}, {Key: "key-p1"}, {Email: "p1@partners.test"}} {
		_, err := getPartner(t, s, "a", ref)
		requireNotFound(t, err, fmt.Sprintf("partner %+v", ref))
	}
	for _, ref := range []commission.CustomerRef{{ID: "c1"}, {Key: "key-c1"}, {Email: "c1@customers.test"}} {
		_, err := getCustomer(t, s, "a", ref)
		requireNotFound(t, err, fmt.Sprintf("customer %+v", ref))
	}
	for _, key := range []string{"s1", "s2", "s3"} {
		_, err := getTx(t, s, "a", key)
		requireNotFound(t, err, "transaction "+key)
	}
	for _, id := range []string{"r1", "r2", "r3", "r4"} {
		_, err := getReward(t, s, "a", id)
		requireNotFound(t, err, "reward "+id)
	}
	vals := counters(t, s, "a", counterNew, counterNew2, counterBase)
	requireDecimal(t, decimal.Zero, vals[0], "rolled back counter")
	requireDecimal(t, decimal.Zero, vals[1], "rolled back counter")
	require.Empty(t, listKeys(t, s, "a", commission.TransactionQuery{CustomerID: "c1", Limit: 10}))
	require.Empty(t, listKeys(t, s, "a", commission.TransactionQuery{PartnerID: "p1", Limit: 10}))
	require.Zero(t, history(t, s, "a", "c1", t0.Add(24*time.Hour)).Count)

	if baseline {
		// Committed data changed by the unit of work is restored.
		requireDecimal(t, dec("5"), vals[2], "committed counter")
		require.Equal(t, []string{"s0"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
		p, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p0"})
		require.NoError(t, err)
		requireSamePartner(t, partnerFixture("p0"), p)
		c, err := getCustomer(t, s, "a", commission.CustomerRef{ID: "c0"})
		require.NoError(t, err)
		requireSameCustomer(t, customerFixture("c0", "p0"), c)
		got, err := getTx(t, s, "a", "s0")
		require.NoError(t, err)
		requireSameTx(t, s0, got)
		r, err := getReward(t, s, "a", "r0")
		require.NoError(t, err)
		requireSameReward(t, &s0.Rewards[0], r)
		h := history(t, s, "a", "c0", t0.Add(24*time.Hour))
		require.EqualValues(t, 1, h.Count)
		requireTime(t, t0, h.First, "history First")
	} else {
		requireDecimal(t, decimal.Zero, vals[2], "counter")
		require.Empty(t, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
	}

	// The same ids, keys, emails and reward ids are free again. Seq keeps
	// increasing; a store may or may not reuse the rolled back ones.
	s1 := saleFixture("s1", "c1", "p1", t0.Add(time.Hour), "r1", "r2")
	s2 := saleFixture("s2", "c1", "p1", t0.Add(-time.Hour), "r3")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, s1))
		require.NoError(t, tx.InsertTransaction(ctx, s2))
	})
	if baseline {
		require.Greater(t, s1.Seq, s0.Seq)
	}
	require.Greater(t, s2.Seq, s1.Seq)
	p, err := getPartner(t, s, "a", commission.PartnerRef{Email: "p1@partners.test"})
	require.NoError(t, err)
	requireSamePartner(t, partnerFixture("p1"), p)
	got, err := getTx(t, s, "a", "s1")
	require.NoError(t, err)
	requireSameTx(t, s1, got)
	r, err := getReward(t, s, "a", "r3")
	require.NoError(t, err)
	requireSameReward(t, &s2.Rewards[0], r)
	want := []string{"s1", "s2"}
	if baseline {
		want = []string{"s1", "s0", "s2"}
	}
	require.Equal(t, want, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
}

// A unit of work that fails because a write method failed (a duplicate)
// rolls back the writes before it too.
func testRollbackAfterFailedWrite(t *testing.T, h Harness) {
	s := h.New(t)
	insert(t, s, "a", saleFixture("taken", "c0", "", t0, "r-taken"))
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("fresh", "c1", "", t0, "r-fresh")))
		return tx.InsertTransaction(ctx, saleFixture("taken", "c1", "", t0))
	})
	requireDuplicate(t, err, "second insert of key taken")
	_, err = getCustomer(t, s, "a", commission.CustomerRef{ID: "c1"})
	requireNotFound(t, err, "customer c1")
	_, err = getTx(t, s, "a", "fresh")
	requireNotFound(t, err, "transaction fresh")
	_, err = getReward(t, s, "a", "r-fresh")
	requireNotFound(t, err, "reward r-fresh")
	require.Equal(t, []string{"taken"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
}

// The store keeps no reference to the values passed to it, so a caller
// that changes its own Partner after inserting it, in a unit of work that
// then fails, must not disturb the rollback.
func testRollbackPartnerMutated(t *testing.T, h Harness) {
	s := h.New(t)
	q := partnerFixture("q")
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertPartner(ctx, q)) })

	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		p := partnerFixture("p")
		require.NoError(t, tx.InsertPartner(ctx, p))
		// The caller reuses its value; the store must not care.
		p.ID, p.Key, p.Email = "q", "key-q", "q@partners.test"
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)

	for _, ref := range []commission.PartnerRef{{ID: "q"}, {Key: "key-q"}, {Email: "q@partners.test"}} {
		got, err := getPartner(t, s, "a", ref)
		require.NoErrorf(t, err, "committed partner q by %+v", ref)
		require.Equal(t, q.ID, got.ID)
	}
	for _, ref := range []commission.PartnerRef{{ID: "p"}, {Key: "key-p"}, {Email: "p@partners.test"}} {
		_, err := getPartner(t, s, "a", ref)
		requireNotFound(t, err, fmt.Sprintf("rolled back partner p by %+v", ref))
	}
	require.NoError(t, s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertPartner(ctx, partnerFixture("p"))
	}), "the rolled back partner's id, key and email are free")
}

// As testRollbackPartnerMutated, for a customer.
func testRollbackCustomerMutated(t *testing.T, h Harness) {
	s := h.New(t)
	q := customerFixture("q", "")
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertCustomer(ctx, q)) })

	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		c := customerFixture("c", "")
		require.NoError(t, tx.InsertCustomer(ctx, c))
		c.ID, c.Key, c.Email = "q", "key-q", "q@customers.test"
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)

	for _, ref := range []commission.CustomerRef{{ID: "q"}, {Key: "key-q"}, {Email: "q@customers.test"}} {
		got, err := getCustomer(t, s, "a", ref)
		require.NoErrorf(t, err, "committed customer q by %+v", ref)
		require.Equal(t, q.ID, got.ID)
	}
	for _, ref := range []commission.CustomerRef{{ID: "c"}, {Key: "key-c"}, {Email: "c@customers.test"}} {
		_, err := getCustomer(t, s, "a", ref)
		requireNotFound(t, err, fmt.Sprintf("rolled back customer c by %+v", ref))
	}
	require.NoError(t, s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertCustomer(ctx, customerFixture("c", ""))
	}), "the rolled back customer's id, key and email are free")
}
