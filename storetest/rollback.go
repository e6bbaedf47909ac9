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
		subtest{"ignores caller mutations of an inserted partner", func(t *testing.T, h Harness) {
			testRollbackMutated(t, h, partners)
		}},
		subtest{"ignores caller mutations of an inserted customer", func(t *testing.T, h Harness) {
			testRollbackMutated(t, h, customers)
		}},
	)
}

// The counters of testRollback: one with a committed value (in the
// baseline), two that only the failed unit of work adds to.
var (
	rollbackCounterBase = commission.CounterKey{Name: "partner.revenue", Subject: "p0", Bucket: "2025-05"}
	rollbackCounterNew  = commission.CounterKey{Name: "partner.revenue", Subject: "p1", Bucket: "2025-05"}
	rollbackCounterNew2 = commission.CounterKey{Name: "partner.signups", Subject: "p1", Bucket: ""}
)

// rollbackAt is when the failed unit of work archives, deletes and decides.
var rollbackAt = t0.Add(2 * time.Hour)

func testRollback(t *testing.T, h Harness, panics, baseline bool) {
	s := h.New(t)
	var s0 *commission.Transaction
	if baseline {
		s0 = storeRollbackBaseline(t, s)
	}
	fnCalled := false
	err := updateRecovering(t, s, panics, func(tx commission.StoreTx) error {
		fnCalled = true
		writeAll(t, tx, baseline)
		requireOwnWrites(t, tx)
		if panics {
			panic("boom")
		}
		return errBoom
	})
	require.True(t, fnCalled)
	if !panics {
		require.ErrorIs(t, err, errBoom)
	}
	requireNotLocked(t, s)
	requireRolledBack(t, s)
	if baseline {
		requireBaselineRestored(t, s, s0)
	} else {
		requireDecimal(t, decimal.Zero, counters(t, s, "a", rollbackCounterBase)[0], "counter")
		require.Empty(t, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
	}
	requireFreeAgain(t, s, s0)
}

// storeRollbackBaseline commits partner p0, its customer c0, sale s0 (with
// reward r0) and 5 on rollbackCounterBase, and returns s0.
func storeRollbackBaseline(t *testing.T, s commission.Store) *commission.Transaction {
	s0 := saleFixture("s0", "c0", "p0", t0, "r0")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p0")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c0", "p0")))
		require.NoError(t, tx.InsertTransaction(ctx, s0))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: rollbackCounterBase, Delta: dec("5")}}))
	})
	return s0
}

// writeAll makes every kind of write: new partner p1, customer c1, sales
// s1 and s2 with rewards r1 to r3 and counters, and with the baseline
// changes to all of it and a sale s3.
func writeAll(t *testing.T, tx commission.StoreTx, baseline bool) {
	require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
	require.NoError(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived))
	require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
	require.NoError(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended))
	require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s1", "c1", "p1", t0.Add(time.Hour), "r1", "r2")))
	require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0.Add(-time.Hour), "r3")))
	require.NoError(t, tx.SetTransactionState(ctx, "s1", commission.TransactionArchived, &rollbackAt))
	require.NoError(t, tx.SetRewardStatus(ctx, "r3", commission.RewardRejected, "fraud", rollbackAt))
	require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{
		{Key: rollbackCounterNew, Delta: dec("2")},
		{Key: rollbackCounterNew, Delta: dec("3")},
		{Key: rollbackCounterNew2, Delta: dec("1")},
	}))
	if !baseline {
		return
	}
	require.NoError(t, tx.SetPartnerStatus(ctx, "p0", commission.PartnerArchived))
	require.NoError(t, tx.SetCustomerStatus(ctx, "c0", commission.CustomerSuspended))
	require.NoError(t, tx.SetTransactionState(ctx, "s0", commission.TransactionDeleted, &rollbackAt))
	require.NoError(t, tx.SetRewardStatus(ctx, "r0", commission.RewardOK, "approved", rollbackAt))
	require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: rollbackCounterBase, Delta: dec("1.5")}}))
	require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s3", "c0", "p0", t0.Add(3*time.Hour), "r4")))
}

// requireOwnWrites checks that the unit of work of writeAll reads its own
// writes.
func requireOwnWrites(t *testing.T, tx commission.StoreTx) {
	p, err := tx.Partner(ctx, commission.PartnerRef{Key: "key-p1"})
	require.NoError(t, err)
	require.Equal(t, commission.PartnerArchived, p.Status)
	c, err := tx.Customer(ctx, commission.CustomerRef{Email: "c1@customers.test"})
	require.NoError(t, err)
	require.Equal(t, commission.CustomerSuspended, c.Status)
	r, err := tx.Reward(ctx, "r3")
	require.NoError(t, err)
	require.Equal(t, commission.RewardRejected, r.Status)
	vals, err := tx.Counters(ctx, []commission.CounterKey{rollbackCounterNew, rollbackCounterNew2})
	require.NoError(t, err)
	requireDecimal(t, dec("5"), vals[0], "counter inside the unit of work")
	requireDecimal(t, dec("1"), vals[1], "counter inside the unit of work")
	ls, err := tx.Transactions(ctx, commission.TransactionQuery{CustomerID: "c1", Limit: 10})
	require.NoError(t, err)
	require.Equal(t, []string{"s1", "s2"}, keysOf(ls))
	h, err := tx.CustomerHistory(ctx, "c1", t0.Add(24*time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 1, h.Count) // s1 is archived
}

// updateRecovering runs fn in an Update on program "a" and returns its
// error, after requiring that a panic of fn, and only one, reached it.
func updateRecovering(t *testing.T, s commission.Store, panics bool, fn func(commission.StoreTx) error) (err error) {
	defer func() {
		r := recover()
		if panics {
			require.Equal(t, "boom", r, "the panic must reach the caller")
		} else {
			require.Nil(t, r)
		}
	}()
	return s.Update(ctx, "a", fn)
}

// requireNotLocked requires a View and an Update to return in time.
func requireNotLocked(t *testing.T, s commission.Store) {
	require.NoError(t, within(t, func() error {
		return s.View(ctx, "a", func(commission.StoreTx) error { return nil })
	}))
	require.NoError(t, within(t, func() error {
		return s.Update(ctx, "a", func(commission.StoreTx) error { return nil })
	}))
}

// within runs f and fails the test if it does not return in time (a
// deadlocked store).
func within(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("store did not return within 10s: deadlocked?")
		return nil
	}
}

// requireRolledBack requires nothing that writeAll wrote to be left.
func requireRolledBack(t *testing.T, s commission.Store) {
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
	vals := counters(t, s, "a", rollbackCounterNew, rollbackCounterNew2)
	requireDecimal(t, decimal.Zero, vals[0], "rolled back counter")
	requireDecimal(t, decimal.Zero, vals[1], "rolled back counter")
	require.Empty(t, listKeys(t, s, "a", commission.TransactionQuery{CustomerID: "c1", Limit: 10}))
	require.Empty(t, listKeys(t, s, "a", commission.TransactionQuery{PartnerID: "p1", Limit: 10}))
	require.Zero(t, history(t, s, "a", "c1", t0.Add(24*time.Hour)).Count)
}

// requireBaselineRestored requires the committed data that writeAll
// changed to be as it was committed.
func requireBaselineRestored(t *testing.T, s commission.Store, s0 *commission.Transaction) {
	requireDecimal(t, dec("5"), counters(t, s, "a", rollbackCounterBase)[0], "committed counter")
	require.Equal(t, []string{"s0"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
	requireFixturesStored(t, s, "a", "p0", "c0", s0)
	h := history(t, s, "a", "c0", t0.Add(24*time.Hour))
	require.EqualValues(t, 1, h.Count)
	requireTime(t, t0, h.First, "history First")
}

// requireFreeAgain requires the ids, keys, emails and reward ids of
// writeAll to be free again. Seq keeps increasing past s0's, if any; a
// store may or may not reuse the rolled back ones.
func requireFreeAgain(t *testing.T, s commission.Store, s0 *commission.Transaction) {
	s1 := saleFixture("s1", "c1", "p1", t0.Add(time.Hour), "r1", "r2")
	s2 := saleFixture("s2", "c1", "p1", t0.Add(-time.Hour), "r3")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, s1))
		require.NoError(t, tx.InsertTransaction(ctx, s2))
	})
	want := []string{"s1", "s2"}
	if s0 != nil {
		require.Greater(t, s1.Seq, s0.Seq)
		want = []string{"s1", "s0", "s2"}
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
// that changes its own partner or customer after inserting it, in a unit
// of work that then fails, must not disturb the rollback.
func testRollbackMutated(t *testing.T, h Harness, p person) {
	s := h.New(t)
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, p.insert(tx, "q", nil)) })

	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		// The caller reuses its value; the store must not care.
		require.NoError(t, p.insert(tx, p.letter, func(id, key, email *string) {
			*id, *key, *email = "q", "key-q", "q@"+p.domain
		}))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)

	for _, field := range []string{"id", "key", "email"} {
		got, err := p.get(t, s, p.fixtureRef("q", field))
		require.NoErrorf(t, err, "committed %s q by %s", p.kind, field)
		require.Equal(t, "q", got.ID)
		_, err = p.get(t, s, p.fixtureRef(p.letter, field))
		requireNotFound(t, err, fmt.Sprintf("rolled back %s %s by %s", p.kind, p.letter, field))
	}
	require.NoError(t, s.Update(ctx, "a", func(tx commission.StoreTx) error { return p.insert(tx, p.letter, nil) }),
		"the rolled back %s's id, key and email are free", p.kind)
}
