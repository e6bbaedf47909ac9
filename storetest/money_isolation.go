package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Entries, refunds and payouts of one program are invisible from another,
// which can neither change them nor use them, and may take the same keys
// and ids for its own.
func moneyIsolationTests() []subtest {
	return []subtest{
		{"entries, refunds and payouts are isolated per program", testMoneyIsolation},
	}
}

func testMoneyIsolation(t *testing.T, h Harness) {
	s := h.New(t)
	base := storeMoneyBase(t, s, "a")
	requireNoMoney(t, s, "b")
	requireMoneyWritesNotFound(t, s, "b")

	// The same keys and ids are free in b, and what b writes stays in b.
	storeMoneyBase(t, s, "b")
	update(t, s, "b", func(tx commission.StoreTx) { writeMoney(t, tx) })
	requireMoneyBase(t, s, "a", base)
}

// requireNoMoney requires program prog, in one View, to find none of
// storeMoneyBase's entries, refunds, payouts and rewards, and nothing
// pending or payable for partnerP1.
func requireNoMoney(t *testing.T, s commission.Store, prog string) {
	t.Helper()
	require.NoError(t, s.View(ctx, prog, func(tx commission.StoreTx) error {
		_, err := tx.Refund(ctx, "f1")
		requireNotFound(t, err, "refund f1")
		refunds, err := tx.Refunds(ctx, "s1")
		require.NoError(t, err)
		require.Empty(t, refunds)
		entries, err := tx.Entries(ctx, "s1")
		require.NoError(t, err)
		require.Empty(t, entries)
		_, err = tx.Payout(ctx, "po1")
		requireNotFound(t, err, "payout po1")
		payouts, err := tx.Payouts(ctx, commission.PayoutQuery{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, payouts)
		rewards, err := tx.Rewards(ctx, commission.RewardQuery{Earner: partnerP1, Now: t0, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, rewards)
		rewards, err = tx.PayableRewards(ctx, partnerP1, "USD", t0.Add(100*day))
		require.NoError(t, err)
		require.Empty(t, rewards)
		pending, err := tx.PendingSum(ctx, partnerP1, "USD", t0)
		require.NoError(t, err)
		require.True(t, pending.IsZero(), "pending %s", pending)
		return nil
	}))
	require.Empty(t, openAdjustments(t, s, prog, partnerP1, "USD"))
}

// requireMoneyWritesNotFound tries each money write to storeMoneyBase's
// records in a unit of work of its own in prog, and requires it to fail
// with ErrNotFound.
func requireMoneyWritesNotFound(t *testing.T, s commission.Store, prog string) {
	t.Helper()
	s1 := released(earnedBy("s1", partnerP1, t0, "r1", "r2", "r3", "r4"))
	minimum := dec("1")
	for what, write := range map[string]func(tx commission.StoreTx) error{
		"SetPartnerPayoutMinimum": func(tx commission.StoreTx) error { return tx.SetPartnerPayoutMinimum(ctx, "p1", &minimum) },
		"InsertRefund": func(tx commission.StoreTx) error {
			return tx.InsertRefund(ctx, refundOf("f9", "s1", "1", t0), commission.RefundedSale{Refunded: dec("1")})
		},
		"InsertEntries": func(tx commission.StoreTx) error {
			return insertEntries(tx, []commission.Entry{entryOf("e9", &s1.Rewards[3], "-1", t0)})
		},
		"SetEntriesAdjustment": func(tx commission.StoreTx) error { return tx.SetEntriesAdjustment(ctx, []string{"e1"}, true) },
		"InsertPayout": func(tx commission.StoreTx) error {
			return tx.InsertPayout(ctx, payoutOf("po9", partnerP1, t0, []string{"r4"}, nil))
		},
		"UpdatePayout": func(tx commission.StoreTx) error {
			return tx.UpdatePayout(ctx, payoutOf("po1", partnerP1, t0, []string{"r2"}, nil))
		},
	} {
		requireNotFound(t, s.Update(ctx, prog, write), what+" in another program")
	}
}
