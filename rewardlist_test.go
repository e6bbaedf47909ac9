package commission_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// listRewards walks every page of a beneficiary's rewards and returns
// their ids, newest first.
func listRewards(t *testing.T, eng *commission.Engine, opts commission.RewardListOptions) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "listing does not end")
		page, err := eng.Rewards(context.Background(), opts)
		require.NoError(t, err)
		for _, r := range page.Rewards {
			ids = append(ids, r.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		require.Len(t, page.Rewards, opts.Limit, "a page with a next cursor is full")
		opts.Cursor = page.NextCursor
	}
}

// A partner's rewards are listed in every role it earns in: its own sales
// and the levels above other partners' sales, newest first, in pages.
func TestRewardsByPartnerInEveryRole(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "20")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("10"))}
	eng, clock := newEngine(t, p)
	for _, in := range []commission.PartnerInput{{Key: "up"}, {Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "up"}}} {
		_, err := eng.CreatePartner(ctx, in)
		require.NoError(t, err)
	}
	for _, c := range []commission.CustomerInput{
		{Key: "b1", Partner: &commission.PartnerRef{Key: "up"}}, {Key: "b2", Partner: &commission.PartnerRef{Key: "seller"}},
	} {
		_, err := eng.CreateCustomer(ctx, c)
		require.NoError(t, err)
	}
	var want []string // up's rewards, oldest first
	for i, buyer := range []string{"b1", "b2", "b1", "b2", "b2"} {
		clock.Advance(time.Hour)
		tx, err := eng.CreateTransaction(ctx, sale("t"+strconv.Itoa(i), buyer, "100"))
		require.NoError(t, err)
		want = append(want, tx.Rewards[len(tx.Rewards)-1].ID) // own reward, or the level's
	}
	slices.Reverse(want)
	for _, limit := range []int{1, 2, 5, 100} {
		got := listRewards(t, eng, commission.RewardListOptions{Beneficiary: commission.Beneficiary{Key: "up"}, Limit: limit})
		require.Equal(t, want, got, "limit %d", limit)
	}
	got := listRewards(t, eng, commission.RewardListOptions{Beneficiary: commission.Beneficiary{Key: "seller"}, Limit: 2})
	require.Len(t, got, 3)
}

// In a refer-a-friend program, a customer's rewards as referrer and as
// friend are both its own.
func TestRewardsOfReferrerAndFriend(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.ReferAFriend, "10")
	p.Rules.Friend = &commission.FriendReward{Commission: commission.Percent(dec("5"))}
	eng, _ := newEngine(t, p)
	for _, c := range []commission.CustomerInput{
		{Key: "ann"}, {Key: "ben", ReferringCustomer: &commission.CustomerRef{Key: "ann"}},
		{Key: "cat", ReferringCustomer: &commission.CustomerRef{Key: "ben"}},
	} {
		_, err := eng.CreateCustomer(ctx, c)
		require.NoError(t, err)
	}
	for i, buyer := range []string{"ben", "cat"} {
		_, err := eng.CreateTransaction(ctx, sale("t"+strconv.Itoa(i), buyer, "100"))
		require.NoError(t, err)
	}
	page, err := eng.Rewards(ctx, commission.RewardListOptions{Beneficiary: commission.Beneficiary{Key: "ben"}})
	require.NoError(t, err)
	var amounts []string
	for _, r := range page.Rewards {
		require.Equal(t, "ben", r.RewardedCustomerKey)
		amounts = append(amounts, r.Amount.String())
	}
	require.ElementsMatch(t, []string{"5", "10"}, amounts, "ben's friend reward on his sale, his referrer reward on cat's")
}

// Rewards filter by status as of the clock, by unit and by date range,
// and bad options are named by their JSON paths.
func TestRewardsFilters(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.ReviewPeriod = 24 * time.Hour
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	var ids []string
	for i := range 3 {
		tx, err := eng.CreateTransaction(ctx, sale("t"+strconv.Itoa(i), "customer_123", "100"))
		require.NoError(t, err)
		ids = append(ids, tx.Rewards[0].ID)
		clock.Advance(time.Hour)
	}
	who := commission.Beneficiary{Key: "partner_123"}
	require.NoError(t, eng.RejectReward(ctx, ids[1], "test"))
	require.NoError(t, eng.ApproveReward(ctx, ids[2]))
	status := func(s commission.RewardStatus) []string {
		return listRewards(t, eng, commission.RewardListOptions{Beneficiary: who, Statuses: []commission.RewardStatus{s}, Limit: 10})
	}
	require.Equal(t, []string{ids[0]}, status(commission.RewardInReview))
	require.Equal(t, []string{ids[1]}, status(commission.RewardRejected))
	require.Equal(t, []string{ids[2]}, status(commission.RewardOK))
	clock.Advance(24 * time.Hour)
	require.Equal(t, []string{ids[2], ids[0]}, status(commission.RewardOK), "held until the period ended")

	ranged := listRewards(t, eng, commission.RewardListOptions{Beneficiary: who, From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour), Limit: 10})
	require.Equal(t, []string{ids[1]}, ranged)
	require.Empty(t, listRewards(t, eng, commission.RewardListOptions{Beneficiary: who, Units: "EUR", Limit: 10}))

	_, err := eng.Rewards(ctx, commission.RewardListOptions{Units: "XYZ", Statuses: []commission.RewardStatus{"nope"},
		From: t0, To: t0, Limit: -1, Cursor: "!"})
	requireFields(t, err, "beneficiary.id", "amount_units", "statuses[0]", "to", "limit", "cursor")
	_, err = eng.Rewards(ctx, commission.RewardListOptions{Beneficiary: commission.Beneficiary{Key: "nobody"}})
	require.ErrorIs(t, err, commission.ErrNotFound)
}
