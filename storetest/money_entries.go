package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Entries change what a reward pays: InsertEntries stores them and moves
// their rewards' Reversed, Entries returns a transaction's in the order
// they were stored, SetEntriesAdjustment marks them, and OpenAdjustments
// finds the adjustments no payout has netted yet.
func entryTests() []subtest {
	return []subtest{
		{"Reversed moves by each entry's amount negated", testEntriesReverse},
		{"InsertEntries returns where each entry's reward sits", testEntryPlaces},
		{"an entry of an unknown reward is ErrNotFound", testEntryUnknownReward},
		{"an entry id taken is ErrDuplicateKey", testEntryIDTaken},
		{"an entry id repeated within one call is ErrDuplicateKey", testEntryIDRepeated},
		{"entries list in the order they were stored", testEntriesOrder},
		{"SetEntriesAdjustment", testSetEntriesAdjustment},
		{"OpenAdjustments filters earner, units, Adjustment and payout", testOpenAdjustments},
	}
}

// entrySale stores and returns sale s1 of partnerP1's released rewards r1
// (10.01, Reversed 0.5 from its insert) and r2 (11.01), and sale s2 of
// its released reward r3.
func entrySale(t *testing.T, s commission.Store) (s1, s2 *commission.Transaction) {
	t.Helper()
	s1 = released(earnedBy("s1", partnerP1, t0, "r1", "r2"))
	s1.Rewards[0].Reversed = dec("0.5")
	s2 = released(earnedBy("s2", partnerP1, t0.Add(time.Hour), "r3"))
	insert(t, s, "a", s1, s2)
	return s1, s2
}

// insertEntries stores entries, dropping where their rewards sit.
func insertEntries(tx commission.StoreTx, entries []commission.Entry) error {
	_, err := tx.InsertEntries(ctx, entries)
	return err
}

// InsertEntries returns, for each entry in order, the payout and status
// of its reward as it stands when the entry is stored: in no payout, in a
// pending one, in a paid one, and as a payout changed it earlier in the
// same unit of work.
func testEntryPlaces(t *testing.T, h Harness) {
	s := h.New(t)
	s1, s2 := entrySale(t, s)
	r1, r2, r3 := &s1.Rewards[0], &s1.Rewards[1], &s2.Rewards[0]
	paid := payoutOf("po2", partnerP1, t0, []string{"r3"}, nil)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPayout(ctx, payoutOf("po1", partnerP1, t0, []string{"r2"}, nil)))
		require.NoError(t, tx.InsertPayout(ctx, paid))
		paidAt := t0.Add(time.Hour)
		paid.State, paid.PaidAt = commission.PayoutPaid, &paidAt
		require.NoError(t, tx.UpdatePayout(ctx, paid))
	})
	none := commission.RewardPlace{Status: commission.RewardOK}
	inPayout := commission.RewardPlace{PayoutID: "po1", Status: commission.RewardOK}
	isPaid := commission.RewardPlace{PayoutID: "po2", Status: commission.RewardPaid}
	update(t, s, "a", func(tx commission.StoreTx) {
		got, err := tx.InsertEntries(ctx, []commission.Entry{
			entryOf("e1", r3, "-1", t0), entryOf("e2", r1, "-1", t0), entryOf("e3", r2, "-1", t0), entryOf("e4", r1, "-1", t0),
		})
		require.NoError(t, err)
		require.Equal(t, []commission.RewardPlace{isPaid, none, inPayout, none}, got)

		canceled := payoutOf("po1", partnerP1, t0, []string{"r2"}, nil)
		canceledAt := t0.Add(2 * time.Hour)
		canceled.State, canceled.CanceledAt = commission.PayoutCanceled, &canceledAt
		require.NoError(t, tx.UpdatePayout(ctx, canceled))
		require.NoError(t, tx.InsertPayout(ctx, payoutOf("po3", partnerP1, t0, []string{"r1"}, nil)))
		got, err = tx.InsertEntries(ctx, []commission.Entry{entryOf("e5", r2, "-1", t0), entryOf("e6", r1, "-1", t0)})
		require.NoError(t, err)
		require.Equal(t, []commission.RewardPlace{none, {PayoutID: "po3", Status: commission.RewardOK}}, got)
	})
}

// InsertEntries subtracts each entry's amount from its reward's Reversed,
// in one call and over several, also twice in one unit of work, which
// reads its own writes; every read of the reward sees it.
func testEntriesReverse(t *testing.T, h Harness) {
	s := h.New(t)
	s1, _ := entrySale(t, s)
	r1, r2 := &s1.Rewards[0], &s1.Rewards[1]
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertEntries(tx, []commission.Entry{
			entryOf("e1", r1, "-3", t0), entryOf("e2", r1, "-0.000000000000000001", t0), entryOf("e3", r2, "-1", t0),
		}))
	})
	requireReversed(t, s, "a", "r1", "3.500000000000000001")
	requireReversed(t, s, "a", "r2", "1")

	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertEntries(tx, []commission.Entry{entryOf("e4", r1, "2", t0)}))
	})
	requireReversed(t, s, "a", "r1", "1.500000000000000001")

	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertEntries(tx, []commission.Entry{entryOf("e5", r2, "-4", t0)}))
		require.NoError(t, insertEntries(tx, []commission.Entry{entryOf("e6", r2, "-0.5", t0)}))
		got, err := tx.Reward(ctx, "r2")
		require.NoError(t, err)
		requireDecimal(t, dec("5.5"), got.Reversed, "r2 Reversed inside the unit of work")
	})
	r1.Reversed, r2.Reversed = dec("1.500000000000000001"), dec("5.5")
	requireEarnedEverywhere(t, s, "a", s1)
	got := payable(t, s, "a", partnerP1, "USD", t0)
	require.Equal(t, []string{"r1", "r2", "r3"}, idsOf(got))
	requireSameEarned(t, r1, got[0])
	requireSameEarned(t, r2, got[1])
	require.Equal(t, []string{"e1", "e2", "e3", "e4", "e5", "e6"}, entryIDs(entriesOf(t, s, "a", "s1")))
}

// An entry of an unknown reward fails its unit of work, with nothing of
// the call stored.
func testEntryUnknownReward(t *testing.T, h Harness) {
	s := h.New(t)
	s1, _ := entrySale(t, s)
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		unknown := entryOf("e2", &s1.Rewards[1], "-1", t0)
		unknown.RewardID = "nope"
		return insertEntries(tx, []commission.Entry{entryOf("e1", &s1.Rewards[0], "-1", t0), unknown})
	})
	requireNotFound(t, err, "entry of an unknown reward")
	require.Empty(t, entriesOf(t, s, "a", "s1"))
	requireReversed(t, s, "a", "r1", "0.5")
	requireReversed(t, s, "a", "r2", "0")
}

// An entry id taken in the program, by an entry of this or another
// transaction's reward, is ErrDuplicateKey, with nothing of the call
// stored.
func testEntryIDTaken(t *testing.T, h Harness) {
	s := h.New(t)
	s1, s2 := entrySale(t, s)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertEntries(tx, []commission.Entry{entryOf("e1", &s1.Rewards[0], "-1", t0)}))
	})
	for _, r := range []*commission.Reward{&s1.Rewards[1], &s2.Rewards[0]} {
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			return insertEntries(tx, []commission.Entry{entryOf("e2", r, "-1", t0), entryOf("e1", r, "-1", t0)})
		})
		requireDuplicate(t, err, "entry id e1 on reward "+r.ID)
	}
	requireSameEntries(t, []commission.Entry{entryOf("e1", &s1.Rewards[0], "-1", t0)}, entriesOf(t, s, "a", "s1"))
	require.Empty(t, entriesOf(t, s, "a", "s2"))
	requireReversed(t, s, "a", "r1", "1.5")
	requireReversed(t, s, "a", "r2", "0")
	requireReversed(t, s, "a", "r3", "0")
}

// An id given twice in one call is taken by its first entry.
func testEntryIDRepeated(t *testing.T, h Harness) {
	s := h.New(t)
	s1, _ := entrySale(t, s)
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return insertEntries(tx, []commission.Entry{
			entryOf("e1", &s1.Rewards[0], "-1", t0), entryOf("e1", &s1.Rewards[1], "-2", t0),
		})
	})
	requireDuplicate(t, err, "entry id e1 twice in one call")
	require.Empty(t, entriesOf(t, s, "a", "s1"))
	requireReversed(t, s, "a", "r1", "0.5")
	requireReversed(t, s, "a", "r2", "0")
}

// Entries returns a transaction's entries, of all its rewards, in the
// order they were stored: not by id, reward or time (an entry stored
// later may carry an earlier time, from another instance's clock).
func testEntriesOrder(t *testing.T, h Harness) {
	s := h.New(t)
	s1, s2 := entrySale(t, s)
	r1, r2, r3 := &s1.Rewards[0], &s1.Rewards[1], &s2.Rewards[0]
	at := t0.Add(time.Hour)
	want := []commission.Entry{
		entryOf("e-9", r2, "-1", at), entryOf("e-1", r1, "-1", at), entryOf("e-5", r2, "-1", at),
		adjustmentOf("e-0", r1, "-1", at.Add(time.Microsecond)),
		entryOf("e-7", r1, "1", at.Add(-time.Minute)), entryOf("e-3", r2, "-1", at),
	}
	require.Empty(t, entriesOf(t, s, "a", "s1"), "no entries yet")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertEntries(tx, want[:3]))
		require.NoError(t, insertEntries(tx, []commission.Entry{entryOf("other", r3, "-1", at)}))
		require.NoError(t, insertEntries(tx, want[3:4]))
	})
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, insertEntries(tx, want[4:])) })
	requireSameEntries(t, want, entriesOf(t, s, "a", "s1"))
	require.Equal(t, []string{"other"}, entryIDs(entriesOf(t, s, "a", "s2")))
}

// SetEntriesAdjustment sets and clears Adjustment, which Entries and
// OpenAdjustments read; an unknown id is ErrNotFound, and nothing of the
// call is kept.
func testSetEntriesAdjustment(t *testing.T, h Harness) {
	s := h.New(t)
	s1, _ := entrySale(t, s)
	want := []commission.Entry{
		entryOf("e1", &s1.Rewards[0], "-1", t0), entryOf("e2", &s1.Rewards[1], "-1", t0), entryOf("e3", &s1.Rewards[0], "-1", t0),
	}
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, insertEntries(tx, want)) })
	require.Empty(t, openAdjustments(t, s, "a", partnerP1, "USD"))

	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetEntriesAdjustment(ctx, []string{"e3", "e1"}, true))
	})
	want[0].Adjustment, want[2].Adjustment = true, true
	requireSameEntries(t, want, entriesOf(t, s, "a", "s1"))
	requireSameEntries(t, []commission.Entry{want[0], want[2]}, openAdjustments(t, s, "a", partnerP1, "USD"))

	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.SetEntriesAdjustment(ctx, []string{"e1"}, false)) })
	want[0].Adjustment = false
	requireSameEntries(t, want, entriesOf(t, s, "a", "s1"))
	requireSameEntries(t, want[2:], openAdjustments(t, s, "a", partnerP1, "USD"))

	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.SetEntriesAdjustment(ctx, []string{"e2", "nope"}, true)
	})
	requireNotFound(t, err, "SetEntriesAdjustment of an unknown entry")
	requireSameEntries(t, want, entriesOf(t, s, "a", "s1"))
}

// OpenAdjustments returns the earner's adjustments in the units asked for
// and in no payout, in the order they were stored: not its entries that
// are no adjustment, nor another earner's (a customer of the same id
// included), nor those in other units or netted by a payout.
func testOpenAdjustments(t *testing.T, h Harness) {
	s := h.New(t)
	mine := released(earnedBy("s1", partnerP1, t0, "r1", "r2"))
	points := released(earnedBy("s2", partnerP1, t0, "r3"))
	points.Rewards[0].AmountUnits, points.Rewards[0].IsCurrency = "points", false
	other := released(earnedBy("s3", partnerP2, t0, "r4"))
	customer := released(earnedBy("s4", customerP1, t0, "r5"))
	insert(t, s, "a", mine, points, other, customer)
	r1, r2 := &mine.Rewards[0], &mine.Rewards[1]
	all := []commission.Entry{
		adjustmentOf("a-5", r2, "-1", t0), entryOf("n-1", r1, "-1", t0), adjustmentOf("a-2", &points.Rewards[0], "-1", t0),
		adjustmentOf("a-3", &other.Rewards[0], "-1", t0), adjustmentOf("a-4", &customer.Rewards[0], "-1", t0),
		adjustmentOf("a-1", r1, "-1", t0), adjustmentOf("a-6", r1, "-1", t0), entryOf("a-0", r2, "-1", t0),
	}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertEntries(tx, all))
		require.NoError(t, tx.SetEntriesAdjustment(ctx, []string{"a-0"}, true))
	})
	all[7].Adjustment = true
	requireSameEntries(t, []commission.Entry{all[0], all[5], all[6], all[7]}, openAdjustments(t, s, "a", partnerP1, "USD"))

	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPayout(ctx, payoutOf("po1", partnerP1, t0, []string{"r1"}, []string{"a-6"})))
	})
	requireSameEntries(t, []commission.Entry{all[0], all[5], all[7]}, openAdjustments(t, s, "a", partnerP1, "USD"))
	requireSameEntries(t, all[2:3], openAdjustments(t, s, "a", partnerP1, "points"))
	requireSameEntries(t, all[3:4], openAdjustments(t, s, "a", partnerP2, "USD"))
	requireSameEntries(t, all[4:5], openAdjustments(t, s, "a", customerP1, "USD"))
	require.Empty(t, openAdjustments(t, s, "a", partnerP1, "EUR"))
	require.Empty(t, openAdjustments(t, s, "a", commission.Earner{Kind: commission.EarnerCustomer, ID: "p2"}, "USD"))
}
