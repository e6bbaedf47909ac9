package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// What an earner has in review (PendingSum) and what it may be paid
// (PayableRewards), at the edges of a review period, of a decision, of a
// payout and of what entries reversed.
func balanceTests() []subtest {
	return []subtest{
		{"PayableRewards at the boundaries", testPayableRewards},
		{"PendingSum at the boundaries", testPendingSum},
	}
}

// balanceAt is the time the balance tests ask about.
var balanceAt = t0.Add(10 * 24 * time.Hour)

const day = 24 * time.Hour

// balanceFixture stores partnerP1's rewards in USD of every kind that
// decides whether a reward is payable or pending as of balanceAt, and a
// payable and a pending one of partnerP1 in points, of partnerP2 and of
// customerP1. Rewards of one sale share a CreatedAt; ids sort otherwise
// than the order of storage. The sale of "late" is the oldest, stored last.
func balanceFixture(t *testing.T, s commission.Store) {
	t.Helper()
	sales := []*commission.Transaction{
		released(earnedBy("b1", partnerP1, balanceAt.Add(-9*day), "ok-old")),
		earnedBy("b2", partnerP1, balanceAt.Add(-8*day), "ends-before", "ends-at", "ends-after"),
		earnedBy("b3", partnerP1, balanceAt.Add(-7*day), "zero", "approved-early", "rejected-future", "rejected-past"),
		released(earnedBy("b4", partnerP1, balanceAt.Add(-6*day), "in-payout", "paid", "canceled")),
		released(earnedBy("b5", partnerP1, balanceAt.Add(-5*day), "reversed-full", "reversed-part", "reversed-review")),
		earnedBy("b6", partnerP1, balanceAt.Add(-4*day), "points-ok", "points-review"),
		earnedBy("b7", partnerP2, balanceAt.Add(-4*day), "p2-ok", "p2-review"),
		earnedBy("b8", customerP1, balanceAt.Add(-4*day), "cust-ok", "cust-review"),
		released(earnedBy("b0", partnerP1, balanceAt.Add(-10*day), "late")),
	}
	setReview(sales[1], balanceAt.Add(-time.Microsecond), balanceAt, balanceAt.Add(time.Microsecond))
	setReview(sales[2], balanceAt.Add(day), balanceAt.Add(day), balanceAt.Add(day), balanceAt.Add(-day))
	sales[2].Rewards[0].Status, sales[2].Rewards[0].Amount = commission.RewardOK, dec("0")
	setReview(sales[4], time.Time{}, time.Time{}, balanceAt.Add(day))
	for _, tr := range sales[5:8] {
		setReview(tr, time.Time{}, balanceAt.Add(day))
	}
	for i := range sales[5].Rewards {
		sales[5].Rewards[i].AmountUnits, sales[5].Rewards[i].IsCurrency = "points", false
	}
	sales[1].Rewards[1].Amount, sales[1].Rewards[2].Amount = dec("100"), dec("1.000000000000000001")
	sales[4].Rewards[2].Amount = dec("10.00000000000000001")
	for _, tr := range sales {
		insert(t, s, "a", tr)
	}
	decideAndPay(t, s, sales[4])
}

// setReview holds tr's rewards in review until ends, one each, and
// releases those given a zero time.
func setReview(tr *commission.Transaction, ends ...time.Time) {
	for i, e := range ends {
		r := &tr.Rewards[i]
		if e.IsZero() {
			r.Status, r.ReviewEndsAt = commission.RewardOK, nil
			continue
		}
		r.Status, r.ReviewEndsAt = commission.RewardInReview, &e
	}
}

// decideAndPay approves "approved-early" and rejects the "rejected-"
// rewards of balanceFixture, puts "in-payout", "paid" and "canceled" in
// payouts (paying and canceling the last two) and reverses b5's rewards:
// all of reversed-full, 4 of reversed-part, 1 of reversed-review.
func decideAndPay(t *testing.T, s commission.Store, b5 *commission.Transaction) {
	t.Helper()
	decided := balanceAt.Add(-2 * day)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetRewardStatus(ctx, "approved-early", commission.RewardOK, "", decided))
		require.NoError(t, tx.SetRewardStatus(ctx, "rejected-future", commission.RewardRejected, "fraud", decided))
		require.NoError(t, tx.SetRewardStatus(ctx, "rejected-past", commission.RewardRejected, "fraud", decided))
		for _, id := range []string{"in-payout", "paid", "canceled"} {
			require.NoError(t, tx.InsertPayout(ctx, payoutOf("po-"+id, partnerP1, decided, []string{id}, nil)))
		}
		paid := payoutOf("po-paid", partnerP1, decided, []string{"paid"}, nil)
		paid.State, paid.PaidAt = commission.PayoutPaid, &decided
		require.NoError(t, tx.UpdatePayout(ctx, paid))
		canceled := payoutOf("po-canceled", partnerP1, decided, []string{"canceled"}, nil)
		canceled.State, canceled.CanceledAt = commission.PayoutCanceled, &decided
		require.NoError(t, tx.UpdatePayout(ctx, canceled))
		require.NoError(t, insertEntries(tx, []commission.Entry{
			entryOf("e-full", &b5.Rewards[0], "-"+b5.Rewards[0].Amount.String(), decided),
			entryOf("e-part", &b5.Rewards[1], "-4", decided),
			entryOf("e-review", &b5.Rewards[2], "-1", decided),
		}))
	})
}

// PayableRewards returns, oldest first by (CreatedAt, ID), the rewards
// released at or before the time asked (stored ok, approved, or in review
// until then), in no payout (or a canceled one), not rejected and paying
// more than nothing; of the earner and units asked only.
func testPayableRewards(t *testing.T, h Harness) {
	s := h.New(t)
	balanceFixture(t, s)
	usd := []string{"late", "ok-old", "ends-at", "ends-before", "approved-early", "canceled", "reversed-part"}
	for _, c := range []struct {
		name   string
		earner commission.Earner
		units  string
		asOf   time.Time
		want   []string
	}{
		{"as of the time one review ends", partnerP1, "USD", balanceAt, usd},
		{"a microsecond before", partnerP1, "USD", balanceAt.Add(-time.Microsecond), append(usd[:2:2], usd[3:]...)},
		{"a microsecond after", partnerP1, "USD", balanceAt.Add(time.Microsecond),
			[]string{"late", "ok-old", "ends-after", "ends-at", "ends-before", "approved-early", "canceled", "reversed-part"}},
		{"when every review has ended", partnerP1, "USD", balanceAt.Add(2 * day),
			[]string{"late", "ok-old", "ends-after", "ends-at", "ends-before", "approved-early", "canceled", "reversed-part", "reversed-review"}},
		{"other units", partnerP1, "points", balanceAt, []string{"points-ok"}},
		{"other units, reviews ended", partnerP1, "points", balanceAt.Add(2 * day), []string{"points-ok", "points-review"}},
		{"another partner", partnerP2, "USD", balanceAt, []string{"p2-ok"}},
		{"a customer of the partner's id", customerP1, "USD", balanceAt, []string{"cust-ok"}},
		{"units with none", partnerP1, "EUR", balanceAt, []string{}},
		{"an earner with none", commission.Earner{Kind: commission.EarnerPartner, ID: "nobody"}, "USD", balanceAt, []string{}},
	} {
		assert.Equal(t, c.want, idsOf(payable(t, s, "a", c.earner, c.units, c.asOf)), c.name)
	}
	got := payable(t, s, "a", partnerP1, "USD", balanceAt)
	require.Equal(t, "reversed-part", got[len(got)-1].ID)
	requireDecimal(t, dec("4"), got[len(got)-1].Reversed, "reversed-part Reversed")
}

// PendingSum adds Amount less Reversed of the earner's rewards in the
// units asked that are stored in review and released strictly after the
// time given: not approved, rejected or released ones.
func testPendingSum(t *testing.T, h Harness) {
	s := h.New(t)
	balanceFixture(t, s)
	// ends-before 10.01, ends-at 100, ends-after 1.000000000000000001,
	// reversed-review 10.00000000000000001 less 1; points-review,
	// p2-review and cust-review 11.01 each.
	for _, c := range []struct {
		name   string
		earner commission.Earner
		units  string
		after  time.Time
		want   string
	}{
		{"after the time one review ends", partnerP1, "USD", balanceAt, "10.000000000000000011"},
		{"a microsecond before", partnerP1, "USD", balanceAt.Add(-time.Microsecond), "110.000000000000000011"},
		{"two microseconds before", partnerP1, "USD", balanceAt.Add(-2 * time.Microsecond), "120.010000000000000011"},
		{"a microsecond after", partnerP1, "USD", balanceAt.Add(time.Microsecond), "9.00000000000000001"},
		{"when every review has ended", partnerP1, "USD", balanceAt.Add(day), "0"},
		{"other units", partnerP1, "points", balanceAt, "11.01"},
		{"another partner", partnerP2, "USD", balanceAt, "11.01"},
		{"a customer of the partner's id", customerP1, "USD", balanceAt, "11.01"},
		{"units with none", partnerP1, "EUR", balanceAt, "0"},
		{"an earner with none", commission.Earner{Kind: commission.EarnerCustomer, ID: "nobody"}, "USD", balanceAt, "0"},
	} {
		got := pendingSum(t, s, "a", c.earner, c.units, c.after)
		assert.Truef(t, dec(c.want).Equal(got), "%s: want %s, got %s", c.name, c.want, got)
	}
}
