package memstore

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// What TestIndexesFollowEveryWrite checks after each unit of work.

// snapshot is everything a program holds, copied, with empty lists left
// out: a list emptied by a rollback is as good as one never made.
type snapshot struct {
	recs                  []txRec
	withMoney             []int32 // records with a recMoney
	txs                   map[string]int32
	all                   []int32
	byCustomer, byPartner map[string][]int32
	seq                   int64
	rewards               map[string]rewardLoc
	earners               map[commission.Earner]earnerRewards
	entries               []commission.Entry
	entryIDs              map[string]int32
	entriesByTx           map[string][]int32
	openAdjustments       map[adjustmentKey][]int32
	refunds               map[string]commission.Refund
	refundsByTx           map[string][]string
	payouts               map[string]commission.Payout
	payoutOrder           []orderKey
	payoutsByEarner       map[commission.Earner]ordered[orderKey]
}

func snapshotOf(p *program) snapshot {
	s := snapshot{
		txs: maps.Clone(p.txs), all: nonEmpty(p.all), byCustomer: nonEmptyLists(p.byCustomer), byPartner: nonEmptyLists(p.byPartner),
		seq: p.seq, rewards: maps.Clone(p.rewards), earners: earnerLists(p.earners),
		entries: nonEmpty(p.entries.list.values()), entryIDs: maps.Clone(p.entries.byID),
		entriesByTx: map[string][]int32{}, openAdjustments: nonEmptyLists(p.entries.open),
		refunds: map[string]commission.Refund{}, refundsByTx: map[string][]string{},
		payouts: map[string]commission.Payout{}, payoutOrder: nonEmpty(p.payouts.all),
		payoutsByEarner: nonEmptyLists(p.payouts.byEarner),
	}
	for i := range p.recs.n {
		rec := *p.recs.at(i)
		if rec.money != nil {
			s.withMoney = append(s.withMoney, i)
		}
		rec.money = nil // compared by what it holds
		s.recs = append(s.recs, rec)
	}
	for k, r := range p.refunds.byKey {
		s.refunds[k] = *r
	}
	for k, m := range recMoneys(p) {
		if len(m.entries) > 0 {
			s.entriesByTx[k] = slices.Clone(m.entries)
		}
		for _, r := range m.refunds {
			s.refundsByTx[k] = append(s.refundsByTx[k], r.Key)
		}
	}
	for id, po := range p.payouts.byID {
		s.payouts[id] = *po
	}
	return s
}

// nonEmpty copies s, nil when it is empty.
func nonEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// nonEmptyLists copies m without its empty lists.
func nonEmptyLists[M ~map[K]S, K comparable, S ~[]E, E any](m M) M {
	out := M{}
	for k, l := range m {
		if len(l) > 0 {
			out[k] = slices.Clone(l)
		}
	}
	return out
}

func earnerLists(m map[commission.Earner]*earnerRewards) map[commission.Earner]earnerRewards {
	out := map[commission.Earner]earnerRewards{}
	for e, er := range m {
		if c := (earnerRewards{nonEmpty(er.all), nonEmpty(er.open), nonEmpty(er.review)}); c.all != nil || c.open != nil || c.review != nil {
			out[e] = c
		}
	}
	return out
}

// requireIndexesRebuilt requires p's indexes to be those that a scan of
// what p stores builds.
func requireIndexesRebuilt(t *rapid.T, p *program) {
	locs, earners := map[string]rewardLoc{}, map[commission.Earner]*earnerRewards{}
	for ri := range p.recs.n {
		tr, err := p.decode(ri)
		require.NoError(t, err)
		for i := range tr.Rewards {
			r, loc := &tr.Rewards[i], rewardLoc{rec: ri, i: int32(i)}
			locs[r.ID] = loc
			er := earners[earnerOf(r)]
			if er == nil {
				er = &earnerRewards{}
				earners[earnerOf(r)] = er
			}
			created, review := refs(r, loc)
			er.all = append(er.all, created)
			l := listsOf(r)
			if l.open {
				er.open = append(er.open, created)
			}
			if l.review {
				er.review = append(er.review, review)
			}
		}
	}
	for _, er := range earners {
		for _, l := range []ordered[rewardRef]{er.all, er.open, er.review} {
			slices.SortFunc(l, func(a, b rewardRef) int { return a.compare(b.orderKey) })
		}
	}
	require.Equal(t, locs, p.rewards, "rewards by id")
	require.Equal(t, earnerLists(earners), earnerLists(p.earners), "rewards by earner")
	requireEntriesRebuilt(t, p)
	requirePayoutsRebuilt(t, p)
	requireRefundsRebuilt(t, p)
}

func requireEntriesRebuilt(t *rapid.T, p *program) {
	byID, byTx, open := map[string]int32{}, map[string][]int32{}, map[adjustmentKey][]int32{}
	for i, e := range p.entries.list.values() {
		byID[e.ID] = int32(i)
		key := e.TransactionKey
		byTx[key] = append(byTx[key], int32(i))
		if isOpen(&e) {
			k := adjustmentKey{e.Earner, e.Units}
			open[k] = append(open[k], int32(i))
		}
	}
	require.Equal(t, byID, p.entries.byID, "entries by id")
	held := map[string][]int32{}
	for key, m := range recMoneys(p) {
		if len(m.entries) > 0 {
			held[key] = m.entries
		}
	}
	require.Equal(t, byTx, held, "entries by transaction")
	require.Equal(t, open, nonEmptyLists(p.entries.open), "open adjustments")
}

func requirePayoutsRebuilt(t *rapid.T, p *program) {
	var all ordered[orderKey]
	byEarner := map[commission.Earner]ordered[orderKey]{}
	for _, po := range p.payouts.byID {
		k := orderKey{po.CreatedAt.UnixMicro(), po.ID}
		all = append(all, k)
		byEarner[po.Earner] = append(byEarner[po.Earner], k)
	}
	for _, l := range append([]ordered[orderKey]{all}, slices.Collect(maps.Values(byEarner))...) {
		slices.SortFunc(l, orderKey.compare)
	}
	require.Equal(t, nonEmpty(all), nonEmpty(p.payouts.all), "payouts in order")
	require.Equal(t, byEarner, nonEmptyLists(p.payouts.byEarner), "payouts by earner")
}

// requireRefundsRebuilt requires each refund listed once under its
// transaction, oldest first.
func requireRefundsRebuilt(t *rapid.T, p *program) {
	n := 0
	for key, m := range recMoneys(p) {
		l := m.refunds
		require.True(t, slices.IsSortedFunc(l, func(a, b *commission.Refund) int { return a.CreatedAt.Compare(b.CreatedAt) }), "refunds of %s in order", key)
		for _, r := range l {
			require.Same(t, p.refunds.byKey[r.Key], r)
			require.Equal(t, key, r.TransactionKey)
		}
		n += len(l)
	}
	require.Len(t, p.refunds.byKey, n, "refunds by transaction")
}

// requireQueriesScan requires the queries by earner to return what a scan
// of every stored reward, entry and payout finds.
func requireQueriesScan(t *rapid.T, s *Store, p *program) {
	now := at(t, "now")
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		var rewards []*commission.Reward
		for ri := range p.recs.n {
			tr, err := p.decode(ri)
			require.NoError(t, err)
			for i := range tr.Rewards {
				rewards = append(rewards, &tr.Rewards[i])
			}
		}
		for _, e := range testEarners {
			for _, u := range units[1:] {
				requireRewardQueries(t, tx, rewards, e, u, now)
				requireMoneyQueries(t, tx, p, e, u)
			}
		}
		return nil
	}))
}

func requireRewardQueries(t *rapid.T, tx commission.StoreTx, rewards []*commission.Reward, e commission.Earner, u string, now time.Time) {
	statuses := rapid.SliceOfDistinct(rapid.SampledFrom([]commission.RewardStatus{
		commission.RewardOK, commission.RewardInReview, commission.RewardRejected, commission.RewardPaid,
	}), func(s commission.RewardStatus) commission.RewardStatus { return s }).Draw(t, "statuses")
	var listed, payable []string
	pending := decimal.Zero
	for _, r := range rewards {
		if earnerOf(r) != e || r.AmountUnits != u {
			continue
		}
		if len(statuses) == 0 || slices.Contains(statuses, statusAt(r, now)) {
			listed = append(listed, r.ID)
		}
		ends := r.ReviewEndsAt
		if r.PayoutID == "" && r.Amount.GreaterThan(r.Reversed) && (r.Status == commission.RewardOK ||
			r.Status == commission.RewardInReview && ends != nil && !ends.After(now)) {
			payable = append(payable, r.ID)
		}
		if r.Status == commission.RewardInReview && ends != nil && ends.After(now) {
			pending = pending.Add(r.Amount.Sub(r.Reversed))
		}
	}
	byCreated := func(ids []string) {
		slices.SortFunc(ids, func(a, b string) int { return compareCreated(rewards, a, b) })
	}
	byCreated(payable)
	byCreated(listed)
	slices.Reverse(listed)
	got, err := tx.Rewards(ctx, commission.RewardQuery{Earner: e, Units: u, Statuses: statuses, Now: now, Limit: 1000})
	require.NoError(t, err)
	require.Equal(t, listed, ids(got), "Rewards of %v in %s", e, u)
	got, err = tx.PayableRewards(ctx, e, u, now)
	require.NoError(t, err)
	require.Equal(t, payable, ids(got), "PayableRewards of %v in %s", e, u)
	sum, err := tx.PendingSum(ctx, e, u, now)
	require.NoError(t, err)
	require.Truef(t, pending.Equal(sum), "PendingSum of %v in %s: want %s, got %s", e, u, pending, sum)
}

// compareCreated orders the rewards with ids a and b by (CreatedAt, ID).
func compareCreated(rewards []*commission.Reward, a, b string) int {
	find := func(id string) *commission.Reward {
		return rewards[slices.IndexFunc(rewards, func(r *commission.Reward) bool { return r.ID == id })]
	}
	if c := find(a).CreatedAt.Compare(find(b).CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func requireMoneyQueries(t *rapid.T, tx commission.StoreTx, p *program, e commission.Earner, u string) {
	var open []string
	for _, en := range p.entries.list.values() {
		if en.Earner == e && en.Units == u && isOpen(&en) {
			open = append(open, en.ID)
		}
	}
	got, err := tx.OpenAdjustments(ctx, e, u)
	require.NoError(t, err)
	var gotIDs []string
	for _, en := range got {
		gotIDs = append(gotIDs, en.ID)
	}
	require.Equal(t, open, gotIDs, "OpenAdjustments of %v in %s", e, u)
}

func ids(rewards []*commission.Reward) []string {
	var out []string
	for _, r := range rewards {
		out = append(out, r.ID)
	}
	return out
}

// values is a copy of what c holds, in order.
func (c *chunked[T]) values() []T {
	out := make([]T, c.n)
	for i := range c.n {
		out[i] = *c.at(i)
	}
	return out
}

// recMoneys is the recMoney of each transaction that has one, by key.
func recMoneys(p *program) map[string]*recMoney {
	out := map[string]*recMoney{}
	for key, ri := range p.txs {
		if m := p.recs.at(ri).money; m != nil {
			out[key] = m
		}
	}
	return out
}
