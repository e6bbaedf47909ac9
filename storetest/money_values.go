package storetest

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// The money lifecycle's fields read back equal through every read, to the
// 18th decimal place and the microsecond: a reward's Line, Reversed,
// PayoutID and paid status, a transaction's Refunded, a partner's
// PayoutMinimum, and every field of an entry, a refund and a payout.
func moneyValueTests() []subtest {
	return []subtest{
		{"reward Line, Reversed and PayoutID read back everywhere", testEarnedFields},
		{"transaction Refunded and Qualified after InsertRefund", testRefundedFields},
		{"partner PayoutMinimum through Partner and Buyer", testPayoutMinimum},
		{"every field of an entry", testEntryFields},
		{"every field of a refund", testRefundFields},
		{"every field of a payout", testPayoutFields},
	}
}

// moneyAt is when the value tests' records are made: a time to the
// microsecond.
var moneyAt = t0.Add(123456 * time.Microsecond)

// earnedFixtures returns what testEarnedFields stores: sale s1 of rewards
// r1 (Reversed already), r2 (in review) and r3 (line 0, approved), inserted
// alone; s2 with r4, inserted in a batch; and r5, added to s1 later.
func earnedFixtures() (s1, s2 *commission.Transaction, r5 commission.Reward) {
	s1 = earnedBy("s1", partnerP1, moneyAt, "r1", "r2", "r3")
	s1.Refunded = dec("0.000000000000000001")
	s1.Rewards[0].Status, s1.Rewards[0].ReviewEndsAt = commission.RewardOK, nil
	s1.Rewards[0].Reversed = dec("0.000000000000000001")
	s1.Rewards[1].Line = 7
	s1.Rewards[2].Line, s1.Rewards[2].Status = 0, commission.RewardOK
	s2 = released(earnedBy("s2", partnerP1, moneyAt.Add(time.Microsecond), "r4"))
	s2.Refunded, s2.Rewards[0].Line = dec("99999999999999999999.999999999999999999"), 2
	s2.Rewards[0].Reversed = dec("0.5")
	r5 = released(earnedBy("s1", partnerP1, moneyAt, "r5")).Rewards[0]
	r5.Line = 3
	return s1, s2, r5
}

// testEarnedFields stores rewards with lines and reversed amounts through
// InsertTransaction, InsertTransactions and AddRewards, adds an entry,
// pays one reward in a payout, and reads all of it through every read that
// returns rewards.
func testEarnedFields(t *testing.T, h Harness) {
	s := h.New(t)
	s1, s2, r5 := earnedFixtures()
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertTransaction(ctx, s1))
		require.NoError(t, tx.InsertTransactions(ctx, []*commission.Transaction{s2}))
	})
	want1, want2 := s1.Clone(), s2.Clone()
	want1.Rewards = append(want1.Rewards, r5)
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.AddRewards(ctx, want1.Clone(), 3)) })
	paidAt := moneyAt.Add(time.Hour + time.Microsecond)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertEntries(tx, []commission.Entry{entryOf("e1", &want1.Rewards[0], "-1.000000000000000001", moneyAt)}))
		po := payoutOf("po1", partnerP1, moneyAt, []string{"r3"}, nil)
		require.NoError(t, tx.InsertPayout(ctx, po))
		po.State, po.PaidAt = commission.PayoutPaid, &paidAt
		require.NoError(t, tx.UpdatePayout(ctx, po))
	})
	want1.Rewards[0].Reversed = dec("1.000000000000000002")
	want1.Rewards[2].PayoutID, want1.Rewards[2].Status = "po1", commission.RewardPaid

	requireEarnedEverywhere(t, s, "a", want1, want2)
	got := payable(t, s, "a", partnerP1, "USD", moneyAt)
	require.Equal(t, []string{"r1", "r5", "r4"}, idsOf(got), "payable: the released rewards in no payout")
	requireSameEarned(t, &want1.Rewards[0], got[0])
	requireSameEarned(t, &want1.Rewards[3], got[1])
	requireSameEarned(t, &want2.Rewards[0], got[2])
}

// requireEarnedEverywhere requires the sales want, all of partnerP1's,
// to read back as they are through Transaction and Transactions, and
// each of their rewards through Reward and Rewards.
func requireEarnedEverywhere(t *testing.T, s commission.Store, prog string, want ...*commission.Transaction) {
	t.Helper()
	listed := map[string]*commission.Transaction{}
	for _, tr := range list(t, s, prog, commission.TransactionQuery{PartnerID: partnerP1.ID, Limit: 100}) {
		listed[tr.Key] = tr
	}
	rewards := map[string]*commission.Reward{}
	for _, r := range listRewards(t, s, prog, commission.RewardQuery{Earner: partnerP1, Now: moneyAt, Limit: 100}) {
		rewards[r.ID] = r
	}
	for _, w := range want {
		got, err := getTx(t, s, prog, w.Key)
		require.NoError(t, err)
		requireSameSale(t, w, got)
		require.Contains(t, listed, w.Key, "Transactions")
		requireSameSale(t, w, listed[w.Key])
		for i := range w.Rewards {
			r := &w.Rewards[i]
			requireSameEarned(t, r, mustReward(t, s, prog, r.ID))
			require.Contains(t, rewards, r.ID, "Rewards")
			requireSameEarned(t, r, rewards[r.ID])
		}
	}
}

// InsertTransaction stores Refunded as given; InsertRefund changes it and
// Qualified, which CustomerHistory counts by. A refund that fails changes
// neither.
func testRefundedFields(t *testing.T, h Harness) {
	s := h.New(t)
	s1 := saleFixture("s1", "c1", "p1", moneyAt, "r1")
	s1.Refunded = dec("0.000000000000000001")
	s2 := saleFixture("s2", "c1", "p1", moneyAt.Add(time.Second), "r2")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertTransaction(ctx, s1))
		require.NoError(t, tx.InsertTransactions(ctx, []*commission.Transaction{s2}))
	})
	requireSalesRead(t, s, s2, s1)
	before := moneyAt.Add(time.Hour)
	require.EqualValues(t, 2, history(t, s, "a", "c1", before).Count)

	update(t, s, "a", func(tx commission.StoreTx) {
		left := commission.RefundedSale{Refunded: dec("100.099999999999999999")}
		require.NoError(t, tx.InsertRefund(ctx, refundOf("f1", "s1", "100.099999999999999998", moneyAt), left))
	})
	s1.Refunded, s1.Qualified = dec("100.099999999999999999"), false
	requireSalesRead(t, s, s2, s1)
	h1 := history(t, s, "a", "c1", before)
	require.EqualValues(t, 1, h1.Count, "s1 no longer qualified")
	requireTime(t, s2.CreatedAt, h1.First, "history First")

	big := dec("12345678901234567890.123456789012345678")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertRefund(ctx, refundOf("f2", "s2", "1", moneyAt), commission.RefundedSale{Refunded: big, Qualified: true}))
	})
	s2.Refunded = big
	requireSalesRead(t, s, s2, s1)
	require.EqualValues(t, 1, history(t, s, "a", "c1", before).Count)

	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertRefund(ctx, refundOf("f3", "nope", "1", moneyAt), commission.RefundedSale{Refunded: dec("1"), Qualified: true})
	})
	requireNotFound(t, err, "InsertRefund of an unknown transaction")
	_, err = getRefund(t, s, "a", "f3")
	requireNotFound(t, err, "the refund of an unknown transaction")
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertRefund(ctx, refundOf("f1", "s2", "1", moneyAt), commission.RefundedSale{Refunded: dec("7")})
	})
	requireDuplicate(t, err, "InsertRefund of a key taken")
	requireSalesRead(t, s, s2, s1)
}

// requireSalesRead requires program "a" to hold want, newest first, by
// Transaction and in Transactions.
func requireSalesRead(t *testing.T, s commission.Store, want ...*commission.Transaction) {
	t.Helper()
	listed := list(t, s, "a", commission.TransactionQuery{Limit: 10})
	require.Len(t, listed, len(want))
	for i, w := range want {
		got, err := getTx(t, s, "a", w.Key)
		require.NoError(t, err)
		requireSameSale(t, w, got)
		requireSameSale(t, w, listed[i])
	}
}

// InsertPartner stores PayoutMinimum, SetPartnerPayoutMinimum changes and
// clears it; Partner, by each of id, key and email, and Buyer read it.
func testPayoutMinimum(t *testing.T, h Harness) {
	s := h.New(t)
	p1, p2 := partnerFixture("p1"), partnerFixture("p2")
	min1 := dec("0.000000000000000001")
	p1.PayoutMinimum = &min1
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, p1))
		require.NoError(t, tx.InsertPartner(ctx, p2))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c2", "p2")))
	})
	requirePayoutMinimum(t, s, "p1", "c1", &min1)
	requirePayoutMinimum(t, s, "p2", "c2", nil)

	min2 := dec("12345678901234567890.123456789012345678")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetPartnerPayoutMinimum(ctx, "p2", &min2))
		require.NoError(t, tx.SetPartnerPayoutMinimum(ctx, "p1", nil))
	})
	requirePayoutMinimum(t, s, "p1", "c1", nil)
	requirePayoutMinimum(t, s, "p2", "c2", &min2)

	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.SetPartnerPayoutMinimum(ctx, "nobody", &min2)
	})
	requireNotFound(t, err, "SetPartnerPayoutMinimum of an unknown partner")
}

// requirePayoutMinimum requires partner partnerID of program "a", read by
// id, key and email and as customerID's partner through Buyer, to have
// the payout minimum want (none when nil).
func requirePayoutMinimum(t *testing.T, s commission.Store, partnerID, customerID string, want *decimal.Decimal) {
	t.Helper()
	var got []*commission.Partner
	for _, field := range []string{"id", "key", "email"} {
		p, err := getPartner(t, s, "a", commission.PartnerRef(partners.fixtureRef(partnerID, field)))
		require.NoError(t, err)
		got = append(got, p)
	}
	b, err := read(t, s, "a", func(tx commission.StoreTx) (*commission.Buyer, error) {
		return tx.Buyer(ctx, commission.CustomerRef{ID: customerID}, nil)
	})
	require.NoError(t, err)
	require.NotNil(t, b.Partner, "buyer's partner")
	got = append(got, b.Partner)
	for _, p := range got {
		requireSamePartner(t, partnerFixture(partnerID), p)
		if want == nil {
			require.Nil(t, p.PayoutMinimum, "partner %s PayoutMinimum", partnerID)
			continue
		}
		require.NotNil(t, p.PayoutMinimum, "partner %s PayoutMinimum", partnerID)
		requireDecimal(t, *want, *p.PayoutMinimum, "partner "+partnerID+" PayoutMinimum")
	}
}

// entryFixtures returns sale s1 of partnerP1's reward r1 and sale s2 of
// customerP1's reward r2 in points, and an entry of every reason against
// them: the last two are adjustments.
func entryFixtures() (s1, s2 *commission.Transaction, entries []commission.Entry) {
	s1 = released(earnedBy("s1", partnerP1, moneyAt, "r1"))
	s1.Rewards[0].Amount = dec("99999999999999999999.999999999999999999")
	s2 = released(earnedBy("s2", customerP1, moneyAt, "r2"))
	s2.Rewards[0].AmountUnits, s2.Rewards[0].IsCurrency = "points", false
	r1, r2 := &s1.Rewards[0], &s2.Rewards[0]
	refund := entryOf("e1", r1, "-12345678901234567890.123456789012345678", moneyAt)
	deleted := entryOf("e2", r2, "-0.000000000000000001", moneyAt.Add(time.Microsecond))
	deleted.Reason, deleted.RefundKey = commission.EntryDeleted, ""
	archived := adjustmentOf("e3", r1, "-1", moneyAt.Add(2*time.Microsecond))
	archived.Reason, archived.RefundKey = commission.EntryArchived, ""
	restored := adjustmentOf("e4", r2, "0.000000000000000001", moneyAt.Add(3*time.Microsecond))
	restored.Reason, restored.RefundKey = commission.EntryRestored, ""
	return s1, s2, []commission.Entry{refund, deleted, archived, restored}
}

// Entries and OpenAdjustments read every field of an entry, and its
// PayoutID once a payout nets it.
func testEntryFields(t *testing.T, h Harness) {
	s := h.New(t)
	s1, s2, entries := entryFixtures()
	insert(t, s, "a", s1, s2)
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, insertEntries(tx, entries)) })
	requireSameEntries(t, []commission.Entry{entries[0], entries[2]}, entriesOf(t, s, "a", "s1"))
	requireSameEntries(t, []commission.Entry{entries[1], entries[3]}, entriesOf(t, s, "a", "s2"))
	requireSameEntries(t, entries[2:3], openAdjustments(t, s, "a", partnerP1, "USD"))
	requireSameEntries(t, entries[3:], openAdjustments(t, s, "a", customerP1, "points"))

	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPayout(ctx, payoutOf("po1", partnerP1, moneyAt, []string{"r1"}, []string{"e3"})))
	})
	entries[2].PayoutID = "po1"
	requireSameEntries(t, []commission.Entry{entries[0], entries[2]}, entriesOf(t, s, "a", "s1"))
	require.Empty(t, openAdjustments(t, s, "a", partnerP1, "USD"), "the payout netted e3")
}

// Refund and Refunds read every field a store keeps of a refund, and no
// Entries: those given to InsertRefund are not stored with it.
func testRefundFields(t *testing.T, h Harness) {
	s := h.New(t)
	s1 := saleFixture("s1", "c1", "p1", moneyAt, "r1")
	insert(t, s, "a", s1)
	tiny, rest := dec("0.000000000000000001"), dec("40.049999999999999999")
	byLine := &commission.Refund{
		Key: `refund "☃" 1`, TransactionKey: "s1", Amount: dec("40.05"), CreatedAt: moneyAt,
		Lines: []commission.RefundLine{{ProductID: "p2", Amount: &rest}, {ProductID: "p1", Amount: &tiny}},
		// Given, but not the refund's to store.
		Entries: []commission.Entry{entryOf("e1", &s1.Rewards[0], "-1", moneyAt)},
	}
	whole := &commission.Refund{Key: "refund-2", TransactionKey: "s1",
		Amount: dec("12345678901234567890.123456789012345678"), CreatedAt: moneyAt.Add(time.Microsecond)}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertRefund(tx, byLine))
		require.NoError(t, insertRefund(tx, whole))
	})
	for _, want := range []*commission.Refund{byLine, whole} {
		got, err := getRefund(t, s, "a", want.Key)
		require.NoError(t, err)
		requireSameRefund(t, want, got)
	}
	got := refundsOf(t, s, "a", "s1")
	require.Len(t, got, 2)
	requireSameRefund(t, byLine, got[0])
	requireSameRefund(t, whole, got[1])
	require.Empty(t, entriesOf(t, s, "a", "s1"), "a refund's entries are stored by InsertEntries only")
	requireReversed(t, s, "a", "r1", "0")
}

// Payout and Payouts read every field of a payout, as inserted and as
// UpdatePayout changes it: pending, paid, canceled.
func testPayoutFields(t *testing.T, h Harness) {
	s := h.New(t)
	s1 := released(earnedBy("s1", customerP1, moneyAt, "r1", "r2", "r3"))
	for i := range s1.Rewards {
		s1.Rewards[i].AmountUnits, s1.Rewards[i].IsCurrency = "points", false
	}
	insert(t, s, "a", s1)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertEntries(tx, []commission.Entry{
			adjustmentOf("e1", &s1.Rewards[0], "-1", moneyAt), adjustmentOf("e2", &s1.Rewards[0], "-2", moneyAt),
		}))
	})
	pending := payoutOf("po-pending", customerP1, moneyAt, []string{"r2", "r1"}, []string{"e2", "e1"})
	pending.EarnerKey, pending.Units = "Zoë ☃", "points"
	pending.Amount = dec("12345678901234567890.123456789012345678")
	paid := payoutOf("po-paid", customerP1, moneyAt.Add(time.Microsecond), []string{"r3"}, nil)
	paid.Units = "points"
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPayout(ctx, pending))
		require.NoError(t, tx.InsertPayout(ctx, paid))
	})
	requirePayoutsIn(t, s, "a", paid, pending)

	paidAt, canceledAt := moneyAt.Add(time.Hour+time.Microsecond), moneyAt.Add(2*time.Hour+time.Microsecond)
	paid.State, paid.PaidAt, paid.Reference = commission.PayoutPaid, &paidAt, `wire "ref" ☃`
	pending.State, pending.CanceledAt, pending.Reference = commission.PayoutCanceled, &canceledAt, "canceled"
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.UpdatePayout(ctx, paid))
		require.NoError(t, tx.UpdatePayout(ctx, pending))
	})
	requirePayoutsIn(t, s, "a", paid, pending)
}
