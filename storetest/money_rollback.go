package storetest

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Every write of the money lifecycle is undone when its unit of work
// returns an error or panics, and is not stored from a View.
func moneyRollbackTests() []subtest {
	return []subtest{
		{"error undoes every money write", func(t *testing.T, h Harness) { testMoneyRollback(t, h, false) }},
		{"panic undoes every money write", func(t *testing.T, h Harness) { testMoneyRollback(t, h, true) }},
		{"money writes in a View are not stored", testMoneyViewWrites},
	}
}

// moneyBase is what storeMoneyBase commits, as it reads back.
type moneyBase struct {
	sale    *commission.Transaction
	entries []commission.Entry
	refund  *commission.Refund
	payouts []*commission.Payout // newest first
	minimum decimal.Decimal      // p1's
}

// storeMoneyBase commits, in prog: partner p1 with a payout minimum and
// its customer c1; sale s1 of c1 with p1's released rewards r1 to r4, an
// entry e1 against r1, a refund f1; and pending payouts po1 of r2 and po2
// of r3.
func storeMoneyBase(t *testing.T, s commission.Store, prog string) moneyBase {
	t.Helper()
	p1, c1 := partnerFixture("p1"), customerFixture("c1", "p1")
	minimum := dec("5.000000000000000001")
	p1.PayoutMinimum = &minimum
	s1 := released(earnedBy("s1", partnerP1, t0, "r1", "r2", "r3", "r4"))
	s1.CustomerID, s1.CustomerKey = "c1", "key-c1"
	b := moneyBase{
		sale: s1, minimum: minimum,
		entries: []commission.Entry{entryOf("e1", &s1.Rewards[0], "-1", t0)},
		refund:  refundOf("f1", "s1", "10", t0),
		payouts: []*commission.Payout{
			payoutOf("po2", partnerP1, t0.Add(2*time.Hour), []string{"r3"}, nil),
			payoutOf("po1", partnerP1, t0.Add(time.Hour), []string{"r2"}, nil),
		},
	}
	update(t, s, prog, func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, p1))
		require.NoError(t, tx.InsertCustomer(ctx, c1))
		require.NoError(t, tx.InsertTransaction(ctx, s1.Clone()))
		require.NoError(t, insertEntries(tx, b.entries))
		require.NoError(t, tx.InsertRefund(ctx, b.refund, commission.RefundedSale{Refunded: b.refund.Amount, Qualified: s1.Qualified}))
		require.NoError(t, tx.InsertPayout(ctx, b.payouts[1]))
		require.NoError(t, tx.InsertPayout(ctx, b.payouts[0]))
	})
	s1.Refunded = b.refund.Amount
	s1.Rewards[0].Reversed = dec("1")
	s1.Rewards[1].PayoutID, s1.Rewards[2].PayoutID = "po1", "po2"
	return b
}

// moneyWrite is one write of the money lifecycle.
type moneyWrite struct {
	name  string
	write func(tx commission.StoreTx) error
}

// moneyWrites are every kind of money write on storeMoneyBase's records:
// a payout minimum changed and a partner inserted with one; a refund f2
// leaving s1 refunded by 50 and no longer qualified, entries e2 and e3 and e1 made an
// adjustment; a payout po3 of r1, r4 and e1, po1 paid and po2 canceled;
// and a sale s2 with an entry and a payout po4 of its reward r5.
func moneyWrites() []moneyWrite {
	s1 := released(earnedBy("s1", partnerP1, t0, "r1", "r2", "r3", "r4"))
	s2 := released(earnedBy("s2", partnerP1, t0, "r5"))
	at := t0.Add(5 * time.Hour)
	p2, seven := partnerFixture("p2"), dec("7")
	p2.PayoutMinimum = &seven
	paid := payoutOf("po1", partnerP1, t0.Add(time.Hour), []string{"r2"}, nil)
	paid.State, paid.PaidAt = commission.PayoutPaid, &at
	canceled := payoutOf("po2", partnerP1, t0.Add(2*time.Hour), []string{"r3"}, nil)
	canceled.State, canceled.CanceledAt = commission.PayoutCanceled, &at
	return []moneyWrite{
		{"SetPartnerPayoutMinimum", func(tx commission.StoreTx) error { return tx.SetPartnerPayoutMinimum(ctx, "p1", nil) }},
		{"InsertPartner", func(tx commission.StoreTx) error { return tx.InsertPartner(ctx, p2) }},
		{"InsertRefund", func(tx commission.StoreTx) error {
			return tx.InsertRefund(ctx, refundOf("f2", "s1", "40", at), commission.RefundedSale{Refunded: dec("50")})
		}},
		{"InsertEntries", func(tx commission.StoreTx) error {
			return insertEntries(tx, []commission.Entry{
				entryOf("e2", &s1.Rewards[0], "-2", at), adjustmentOf("e3", &s1.Rewards[1], "-1", at)})
		}},
		{"SetEntriesAdjustment", func(tx commission.StoreTx) error { return tx.SetEntriesAdjustment(ctx, []string{"e1"}, true) }},
		{"InsertPayout", func(tx commission.StoreTx) error {
			return tx.InsertPayout(ctx, payoutOf("po3", partnerP1, at, []string{"r1", "r4"}, []string{"e1"}))
		}},
		{"UpdatePayout to paid", func(tx commission.StoreTx) error { return tx.UpdatePayout(ctx, paid) }},
		{"UpdatePayout to canceled", func(tx commission.StoreTx) error { return tx.UpdatePayout(ctx, canceled) }},
		{"InsertTransaction", func(tx commission.StoreTx) error { return tx.InsertTransaction(ctx, s2) }},
		{"InsertEntries of a new reward", func(tx commission.StoreTx) error {
			return insertEntries(tx, []commission.Entry{entryOf("e4", &s2.Rewards[0], "-1", at)})
		}},
		{"InsertPayout of a new reward", func(tx commission.StoreTx) error {
			return tx.InsertPayout(ctx, payoutOf("po4", partnerP1, at, []string{"r5"}, nil))
		}},
	}
}

// writeMoney makes every money write in tx, each of which must succeed,
// and requires the unit of work to read them.
func writeMoney(t *testing.T, tx commission.StoreTx) {
	t.Helper()
	for _, w := range moneyWrites() {
		require.NoError(t, w.write(tx), w.name)
	}
	r1, err := tx.Reward(ctx, "r1")
	require.NoError(t, err)
	requireDecimal(t, dec("3"), r1.Reversed, "r1 Reversed inside the unit of work")
	require.Equal(t, "po3", r1.PayoutID)
	r2, err := tx.Reward(ctx, "r2")
	require.NoError(t, err)
	require.Equal(t, commission.RewardPaid, r2.Status)
	r3, err := tx.Reward(ctx, "r3")
	require.NoError(t, err)
	require.Empty(t, r3.PayoutID)
	_, err = tx.Refund(ctx, "f2")
	require.NoError(t, err)
	entries, err := tx.Entries(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, []string{"e1", "e2", "e3"}, entryIDs(entries))
	_, err = tx.Payout(ctx, "po4")
	require.NoError(t, err)
}

// testMoneyRollback fails a unit of work that makes every money write on
// committed records: each is undone, and each key it took is free again.
func testMoneyRollback(t *testing.T, h Harness, panics bool) {
	s := h.New(t)
	base := storeMoneyBase(t, s, "a")
	err := updateRecovering(t, s, panics, func(tx commission.StoreTx) error {
		writeMoney(t, tx)
		if panics {
			panic("boom")
		}
		return errBoom
	})
	if !panics {
		require.ErrorIs(t, err, errBoom)
	}
	requireNotLocked(t, s)
	requireMoneyBase(t, s, "a", base)
	update(t, s, "a", func(tx commission.StoreTx) { writeMoney(t, tx) })
}

// Money writes in a View, whether they fail at once or not, store
// nothing.
func testMoneyViewWrites(t *testing.T, h Harness) {
	s := h.New(t)
	base := storeMoneyBase(t, s, "a")
	_ = s.View(ctx, "a", func(tx commission.StoreTx) error {
		for _, w := range moneyWrites() {
			_ = w.write(tx) // only what is stored matters here
		}
		return nil
	})
	requireMoneyBase(t, s, "a", base)
}

// requireMoneyBase requires prog to hold what storeMoneyBase stored, and
// nothing of what moneyWrites writes.
func requireMoneyBase(t *testing.T, s commission.Store, prog string, b moneyBase) {
	t.Helper()
	p, err := getPartner(t, s, prog, commission.PartnerRef{ID: "p1"})
	require.NoError(t, err)
	require.NotNil(t, p.PayoutMinimum, "p1's payout minimum")
	requireDecimal(t, b.minimum, *p.PayoutMinimum, "p1's payout minimum")
	_, err = getPartner(t, s, prog, commission.PartnerRef{ID: "p2"})
	requireNotFound(t, err, "partner p2")
	requireEarnedEverywhere(t, s, prog, b.sale)
	requireSameEntries(t, b.entries, entriesOf(t, s, prog, "s1"))
	got := refundsOf(t, s, prog, "s1")
	require.Len(t, got, 1)
	requireSameRefund(t, b.refund, got[0])
	_, err = getRefund(t, s, prog, "f2")
	requireNotFound(t, err, "refund f2")
	requirePayoutsIn(t, s, prog, b.payouts...)
	for _, id := range []string{"po3", "po4"} {
		_, err = getPayout(t, s, prog, id)
		requireNotFound(t, err, "payout "+id)
	}
	_, err = getTx(t, s, prog, "s2")
	requireNotFound(t, err, "transaction s2")
	require.Empty(t, entriesOf(t, s, prog, "s2"))
	require.Empty(t, openAdjustments(t, s, prog, partnerP1, "USD"))
	require.EqualValues(t, 1, history(t, s, prog, "c1", t0.Add(time.Hour)).Count, "s1 qualified")
}
