package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Rewards lists an earner's rewards, and Payouts the payouts, newest first
// by (CreatedAt, ID), filtered and paged by a cursor.
func moneyListingTests() []subtest {
	return []subtest{
		{"rewards by earner, units, status as of now and time", testRewardQueries},
		{"reward cursor walks every reward once", testRewardCursor},
		{"payouts by earner and state", testPayoutQueries},
		{"payout cursor walks every payout once", testPayoutCursor},
	}
}

// listingNow is the Now of the reward listings.
var listingNow = t0.Add(10 * day)

// rewardListingFixture stores, of partnerP1 (USD unless said):
//
//	l1                 now-5h  ok
//	l2b, l2a, l2c      now-4h  in review until now, now+1µs, now-1µs
//	l3                 now-3h  rejected
//	l4                 now-2h  paid
//	l5                 now-1h  ok, in points
//	l6                 now-1h  approved, its review ending now+1d
//
// and c1 of customerP1 (now-3h, ok) and q1 of partnerP2 (now-3h, in
// review until now+1d).
func rewardListingFixture(t *testing.T, s commission.Store) {
	t.Helper()
	at := func(h int) time.Time { return listingNow.Add(time.Duration(-h) * time.Hour) }
	l2 := earnedBy("L2", partnerP1, at(4), "l2b", "l2a", "l2c")
	setReview(l2, listingNow, listingNow.Add(time.Microsecond), listingNow.Add(-time.Microsecond))
	l5 := released(earnedBy("L5", partnerP1, at(1), "l5"))
	l5.Rewards[0].AmountUnits, l5.Rewards[0].IsCurrency = "points", false
	insert(t, s, "a",
		released(earnedBy("L1", partnerP1, at(5), "l1")), l2,
		earnedBy("L3", partnerP1, at(3), "l3"), released(earnedBy("L4", partnerP1, at(2), "l4")),
		l5, earnedBy("L6", partnerP1, at(1), "l6"),
		released(earnedBy("C1", customerP1, at(3), "c1")), earnedBy("Q1", partnerP2, at(3), "q1"),
	)
	paidAt := at(1)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetRewardStatus(ctx, "l3", commission.RewardRejected, "fraud", at(2)))
		require.NoError(t, tx.SetRewardStatus(ctx, "l6", commission.RewardOK, "", at(1)))
		po := payoutOf("po-l4", partnerP1, at(2), []string{"l4"}, nil)
		require.NoError(t, tx.InsertPayout(ctx, po))
		po.State, po.PaidAt = commission.PayoutPaid, &paidAt
		require.NoError(t, tx.UpdatePayout(ctx, po))
	})
}

// rewardCase is a query of rewardListingFixture and the ids it lists.
type rewardCase struct {
	name string
	q    commission.RewardQuery
	want []string
}

func testRewardQueries(t *testing.T, h Harness) {
	s := h.New(t)
	rewardListingFixture(t, s)
	// The cases share one store, so they are not subtests: every failing
	// case is reported by name, and the test goes on.
	for _, c := range rewardCases() {
		if c.q.Now.IsZero() {
			c.q.Now = listingNow
		}
		if c.q.Limit == 0 {
			c.q.Limit = 100
		}
		assert.Equal(t, c.want, idsOf(listRewards(t, s, "a", c.q)), c.name)
	}
}

// rewardCases are the queries of testRewardQueries; a zero Now is
// listingNow and a zero Limit 100.
func rewardCases() []rewardCase {
	p1 := partnerP1
	st := func(s ...commission.RewardStatus) []commission.RewardStatus { return s }
	ok, review, rejected, paid := commission.RewardOK, commission.RewardInReview, commission.RewardRejected, commission.RewardPaid
	at := func(h time.Duration) time.Time { return listingNow.Add(-h * time.Hour) }
	pos := func(h time.Duration, id string) *commission.RewardPosition {
		return &commission.RewardPosition{CreatedAt: at(h), ID: id}
	}
	return []rewardCase{
		{"all of an earner, newest first, ties by id", commission.RewardQuery{Earner: p1}, []string{"l6", "l5", "l4", "l3", "l2c", "l2b", "l2a", "l1"}},
		{"units", commission.RewardQuery{Earner: p1, Units: "USD"}, []string{"l6", "l4", "l3", "l2c", "l2b", "l2a", "l1"}},
		{"other units", commission.RewardQuery{Earner: p1, Units: "points"}, []string{"l5"}},
		{"ok: stored ok, or released at or before now", commission.RewardQuery{Earner: p1, Statuses: st(ok)}, []string{"l6", "l5", "l2c", "l2b", "l1"}},
		{"in review: released after now", commission.RewardQuery{Earner: p1, Statuses: st(review)}, []string{"l2a"}},
		{"rejected", commission.RewardQuery{Earner: p1, Statuses: st(rejected)}, []string{"l3"}},
		{"paid", commission.RewardQuery{Earner: p1, Statuses: st(paid)}, []string{"l4"}},
		{"ok or paid", commission.RewardQuery{Earner: p1, Statuses: st(ok, paid)}, []string{"l6", "l5", "l4", "l2c", "l2b", "l1"}},
		{"every status named", commission.RewardQuery{Earner: p1, Statuses: st(ok, review, rejected, paid)}, []string{"l6", "l5", "l4", "l3", "l2c", "l2b", "l2a", "l1"}},
		{"in review a microsecond earlier", commission.RewardQuery{Earner: p1, Statuses: st(review), Now: listingNow.Add(-time.Microsecond)}, []string{"l2b", "l2a"}},
		{"in review a microsecond later", commission.RewardQuery{Earner: p1, Statuses: st(review), Now: listingNow.Add(time.Microsecond)}, []string{}},
		{"ok a microsecond later", commission.RewardQuery{Earner: p1, Statuses: st(ok), Now: listingNow.Add(time.Microsecond)}, []string{"l6", "l5", "l2c", "l2b", "l2a", "l1"}},
		{"in review in units", commission.RewardQuery{Earner: p1, Units: "USD", Statuses: st(review, rejected)}, []string{"l3", "l2a"}},

		{"a customer of the partner's id", commission.RewardQuery{Earner: customerP1}, []string{"c1"}},
		{"another partner", commission.RewardQuery{Earner: partnerP2}, []string{"q1"}},
		{"another partner in review", commission.RewardQuery{Earner: partnerP2, Statuses: st(review)}, []string{"q1"}},
		{"a customer with none", commission.RewardQuery{Earner: commission.Earner{Kind: commission.EarnerCustomer, ID: "p2"}}, []string{}},

		{"created in [from, to)", commission.RewardQuery{Earner: p1, From: at(4), To: at(2)}, []string{"l3", "l2c", "l2b", "l2a"}},
		{"created from", commission.RewardQuery{Earner: p1, From: at(2)}, []string{"l6", "l5", "l4"}},
		{"created before", commission.RewardQuery{Earner: p1, To: at(4)}, []string{"l1"}},
		{"from equal to to", commission.RewardQuery{Earner: p1, From: at(3), To: at(3)}, []string{}},
		{"created in a range, ok, in units", commission.RewardQuery{Earner: p1, Units: "USD", Statuses: st(ok), From: at(5), To: at(1)}, []string{"l2c", "l2b", "l1"}},

		{"limit", commission.RewardQuery{Earner: p1, Limit: 2}, []string{"l6", "l5"}},
		{"after a reward", commission.RewardQuery{Earner: p1, After: pos(2, "l4")}, []string{"l3", "l2c", "l2b", "l2a", "l1"}},
		{"after a reward of a tie", commission.RewardQuery{Earner: p1, After: pos(4, "l2b")}, []string{"l2a", "l1"}},
		{"after an id between a tie's", commission.RewardQuery{Earner: p1, After: pos(4, "l2bb")}, []string{"l2b", "l2a", "l1"}},
		{"after a time between rewards", commission.RewardQuery{Earner: p1, After: &commission.RewardPosition{CreatedAt: listingNow.Add(-150 * time.Minute)}}, []string{"l3", "l2c", "l2b", "l2a", "l1"}},
		{"after another earner's reward", commission.RewardQuery{Earner: p1, After: pos(3, "c1")}, []string{"l2c", "l2b", "l2a", "l1"}},
		{"after the oldest", commission.RewardQuery{Earner: p1, After: pos(5, "l1")}, []string{}},
		{"after, ok, limit", commission.RewardQuery{Earner: p1, Statuses: st(ok), After: pos(1, "l5"), Limit: 2}, []string{"l2c", "l2b"}},
		{"after, in a range", commission.RewardQuery{Earner: p1, From: at(4), To: at(1), After: pos(3, "l3")}, []string{"l2c", "l2b", "l2a"}},
	}
}

// Walking the rewards by cursor, a page of 1, 2 or 3 at a time, gives
// each reward once, in the order of the whole listing.
func testRewardCursor(t *testing.T, h Harness) {
	s := h.New(t)
	rewardListingFixture(t, s)
	ok := []commission.RewardStatus{commission.RewardOK}
	for _, q := range []commission.RewardQuery{
		{Earner: partnerP1}, {Earner: partnerP1, Units: "USD"}, {Earner: partnerP1, Statuses: ok},
		{Earner: partnerP1, From: listingNow.Add(-4 * time.Hour), To: listingNow.Add(-time.Hour)},
	} {
		q.Now, q.Limit = listingNow, 100
		whole := idsOf(listRewards(t, s, "a", q))
		for limit := 1; limit <= 3; limit++ {
			var walked []string
			for page, p := 0, q; ; page++ {
				require.Less(t, page, 20, "paging does not end")
				p.Limit = limit
				got := listRewards(t, s, "a", p)
				walked = append(walked, idsOf(got)...)
				if len(got) < limit {
					break
				}
				last := got[len(got)-1]
				p.After = &commission.RewardPosition{CreatedAt: last.CreatedAt, ID: last.ID}
			}
			require.Equal(t, whole, walked, fmt.Sprintf("%+v by %d", q, limit))
		}
	}
}

// payoutListingFixture stores, each of a reward of its own:
//
//	pa  now-3h  partnerP1   pending
//	pb  now-2h  partnerP1   paid
//	pc  now-2h  partnerP1   canceled
//	pd  now-1h  partnerP1   pending
//	pe  now-2h  customerP1  pending
//	pf  now-4h  partnerP2   paid
func payoutListingFixture(t *testing.T, s commission.Store) {
	t.Helper()
	at := func(h int) time.Time { return listingNow.Add(time.Duration(-h) * time.Hour) }
	payouts := []*commission.Payout{
		payoutOf("pa", partnerP1, at(3), []string{"ra"}, nil), payoutOf("pb", partnerP1, at(2), []string{"rb"}, nil),
		payoutOf("pc", partnerP1, at(2), []string{"rc"}, nil), payoutOf("pd", partnerP1, at(1), []string{"rd"}, nil),
		payoutOf("pe", customerP1, at(2), []string{"re"}, nil), payoutOf("pf", partnerP2, at(4), []string{"rf"}, nil),
	}
	insert(t, s, "a",
		released(earnedBy("P1", partnerP1, at(5), "ra", "rb", "rc", "rd")),
		released(earnedBy("C1", customerP1, at(5), "re")), released(earnedBy("P2", partnerP2, at(5), "rf")))
	update(t, s, "a", func(tx commission.StoreTx) {
		for _, p := range payouts {
			require.NoError(t, tx.InsertPayout(ctx, p))
		}
		for _, p := range []*commission.Payout{payouts[1], payouts[5]} {
			p.State, p.PaidAt = commission.PayoutPaid, &listingNow
			require.NoError(t, tx.UpdatePayout(ctx, p))
		}
		payouts[2].State, payouts[2].CanceledAt = commission.PayoutCanceled, &listingNow
		require.NoError(t, tx.UpdatePayout(ctx, payouts[2]))
	})
}

func testPayoutQueries(t *testing.T, h Harness) {
	s := h.New(t)
	payoutListingFixture(t, s)
	p1, c1, p2 := partnerP1, customerP1, partnerP2
	pending, paid, canceled := commission.PayoutPending, commission.PayoutPaid, commission.PayoutCanceled
	pos := func(h time.Duration, id string) *commission.RewardPosition {
		return &commission.RewardPosition{CreatedAt: listingNow.Add(-h * time.Hour), ID: id}
	}
	for _, c := range []struct {
		name string
		q    commission.PayoutQuery
		want []string
	}{
		{"all, newest first, ties by id", commission.PayoutQuery{}, []string{"pd", "pe", "pc", "pb", "pa", "pf"}},
		{"an earner", commission.PayoutQuery{Earner: &p1}, []string{"pd", "pc", "pb", "pa"}},
		{"a customer of the partner's id", commission.PayoutQuery{Earner: &c1}, []string{"pe"}},
		{"another partner", commission.PayoutQuery{Earner: &p2}, []string{"pf"}},
		{"pending", commission.PayoutQuery{States: []commission.PayoutState{pending}}, []string{"pd", "pe", "pa"}},
		{"paid or canceled", commission.PayoutQuery{States: []commission.PayoutState{paid, canceled}}, []string{"pc", "pb", "pf"}},
		{"an earner's pending", commission.PayoutQuery{Earner: &p1, States: []commission.PayoutState{pending}}, []string{"pd", "pa"}},
		{"limit", commission.PayoutQuery{Limit: 2}, []string{"pd", "pe"}},
		{"after a payout of a tie", commission.PayoutQuery{After: pos(2, "pc")}, []string{"pb", "pa", "pf"}},
		{"an earner's, after another's", commission.PayoutQuery{Earner: &p1, After: pos(2, "pe")}, []string{"pc", "pb", "pa"}},
		{"after the oldest", commission.PayoutQuery{After: pos(4, "pf")}, []string{}},
		{"after, paid, limit", commission.PayoutQuery{States: []commission.PayoutState{paid}, After: pos(1, "pd"), Limit: 1}, []string{"pb"}},
	} {
		if c.q.Limit == 0 {
			c.q.Limit = 100
		}
		assert.Equal(t, c.want, payoutIDs(listPayouts(t, s, "a", c.q)), c.name)
	}
}

// Walking the payouts by cursor, a page of 1 or 2 at a time, gives each
// payout once, in the order of the whole listing.
func testPayoutCursor(t *testing.T, h Harness) {
	s := h.New(t)
	payoutListingFixture(t, s)
	p1 := partnerP1
	for _, q := range []commission.PayoutQuery{{}, {Earner: &p1}, {States: []commission.PayoutState{commission.PayoutPending}}} {
		q.Limit = 100
		whole := payoutIDs(listPayouts(t, s, "a", q))
		for limit := 1; limit <= 2; limit++ {
			var walked []string
			for page, p := 0, q; ; page++ {
				require.Less(t, page, 20, "paging does not end")
				p.Limit = limit
				got := listPayouts(t, s, "a", p)
				walked = append(walked, payoutIDs(got)...)
				if len(got) < limit {
					break
				}
				last := got[len(got)-1]
				p.After = &commission.RewardPosition{CreatedAt: last.CreatedAt, ID: last.ID}
			}
			require.Equal(t, whole, walked, fmt.Sprintf("%+v by %d", q, limit))
		}
	}
}
