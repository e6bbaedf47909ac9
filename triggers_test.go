package commission_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// rafProgram is a refer-a-friend program paying the referrer flat
// amounts.
func rafProgram(rules commission.RuleSet) commission.Program {
	return commission.Program{ID: "raf", Kind: commission.ReferAFriend, Currency: "USD", Rules: rules}
}

// referred creates the referrer and n friends f0.. it referred, one
// second apart.
func referred(t *testing.T, eng *commission.Engine, clock *testClock, n int) []*commission.Customer {
	t.Helper()
	ctx := context.Background()
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "referrer"})
	require.NoError(t, err)
	var out []*commission.Customer
	for i := range n {
		clock.Advance(time.Second)
		c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "f" + strconv.Itoa(i), ReferringCustomer: &commission.CustomerRef{Key: "referrer"}})
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

// A signup trigger rewards both sides when the friend is created, on a
// transaction the engine records; sales then earn nothing.
func TestTriggerSignupDoubleSided(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, rafProgram(commission.RuleSet{
		Trigger: commission.TriggerSignup,
		Default: commission.Flat(dec("10")),
		Friend:  &commission.FriendReward{Commission: commission.Flat(dec("5")), ReviewPeriod: 7 * 24 * time.Hour},
	}))
	friends := referred(t, eng, clock, 1)
	tx, err := eng.Transaction(ctx, "signup:"+friends[0].ID)
	require.NoError(t, err)
	require.Equal(t, "signup", tx.Action)
	require.Equal(t, "referrer", tx.ReferringCustomerKey)
	require.Len(t, tx.Rewards, 2)
	require.Equal(t, "referrer", tx.Rewards[0].RewardedCustomerKey)
	requireDecimal(t, "10", tx.Rewards[0].Amount)
	require.Equal(t, commission.RewardOK, tx.Rewards[0].Status)
	require.Equal(t, "f0", tx.Rewards[1].RewardedCustomerKey)
	requireDecimal(t, "5", tx.Rewards[1].Amount)
	require.Equal(t, commission.RewardInReview, tx.Rewards[1].Status)

	s, err := eng.CreateTransaction(ctx, sale("s", "f0", "100"))
	require.NoError(t, err)
	require.Empty(t, s.Rewards, "a sale is not the trigger")
	// The referrer itself was referred by nobody: no signup recorded.
	page, err := eng.Transactions(ctx, commission.ListOptions{})
	require.NoError(t, err)
	require.Len(t, page.Transactions, 2)
}

// A custom action trigger rewards only transactions with that action.
func TestTriggerCustomAction(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, rafProgram(commission.RuleSet{Trigger: "subscribed", Default: commission.Flat(dec("3"))}))
	referred(t, eng, clock, 1)
	tx, err := eng.CreateTransaction(ctx, sale("s", "f0", "100"))
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	in := sale("sub", "f0", "100")
	in.Action = "subscribed"
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	requireDecimal(t, "3", tx.Rewards[0].Amount)
	page, err := eng.Transactions(ctx, commission.ListOptions{})
	require.NoError(t, err)
	require.Len(t, page.Transactions, 2, "no signup transactions without a signup trigger or goal")
}

// Steps by occurrence: "after 10 referrals: 25.00" is a tier on the
// referrer's signups; the referrer's 11th referral pays 25.00.
func TestTriggerStepsByReferrals(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, rafProgram(commission.RuleSet{
		Trigger: commission.TriggerSignup,
		Default: commission.Flat(dec("10")),
		Tiers: []commission.Tier{{ID: "after-10", When: []commission.Condition{{Metric: commission.MetricSignups, AtLeast: decp("10")}},
			Commission: commission.Flat(dec("25"))}},
	}))
	friends := referred(t, eng, clock, 12)
	for i, f := range friends {
		tx, err := eng.Transaction(ctx, "signup:"+f.ID)
		require.NoError(t, err)
		want := "10"
		if i >= 10 {
			want = "25"
		}
		requireDecimal(t, want, tx.Rewards[0].Amount, i)
	}
}

// Recurrence is the commission's period: once, within N months, or for
// the friend's lifetime.
func TestTriggerRecurrence(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		c    commission.Commission
		paid []bool // sales on days 0, 1, 40, 200
	}{
		{"once", commission.Flat(dec("5")).For(commission.Times(1)), []bool{true, false, false, false}},
		{"within 6 months", commission.Flat(dec("5")).For(commission.Months(6)), []bool{true, true, true, false}},
		{"lifetime", commission.Flat(dec("5")), []bool{true, true, true, true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			eng, clock := newEngine(t, rafProgram(commission.RuleSet{Default: c.c}))
			referred(t, eng, clock, 1)
			last := 0
			for i, day := range []int{0, 1, 40, 200} {
				clock.Advance(time.Duration(day-last) * 24 * time.Hour)
				last = day
				tx, err := eng.CreateTransaction(ctx, sale("s"+strconv.Itoa(i), "f0", "100"))
				require.NoError(t, err)
				require.Equal(t, c.paid[i], len(tx.Rewards) == 1, "day %d", day)
			}
		})
	}
}

// A self-referred signup is rejected like a sale, and a signup made
// rewardable later is not counted twice.
func TestTriggerSignupFraud(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Trigger = commission.TriggerSignup
	p.Rules.Default = commission.Flat(dec("2"))
	p.Rules.Tiers = []commission.Tier{{When: []commission.Condition{{Metric: commission.MetricSignups, AtLeast: decp("1")}}, Commission: commission.Flat(dec("4"))}}
	eng, _ := newEngine(t, p)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p", Email: "p@example.com"})
	require.NoError(t, err)
	c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "self", Email: "P@example.com", Partner: &commission.PartnerRef{Key: "p"}})
	require.NoError(t, err)
	tx, err := eng.Transaction(ctx, "signup:"+c.ID)
	require.NoError(t, err)
	require.Equal(t, commission.RewardRejected, tx.Rewards[0].Status)
	require.Equal(t, commission.ReasonSelfReferral, tx.Rewards[0].Reason)
	tx, err = eng.MakeRewardable(ctx, tx.Key)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	requireDecimal(t, "2", tx.Rewards[1].Amount, "the first signup, counted once")
	// The engine decides, and the store records, that a signup is not a
	// sale: it counts towards no commission period.
	require.False(t, tx.Qualified, "a signup made rewardable is not qualified")
	stored, err := eng.Transaction(ctx, tx.Key)
	require.NoError(t, err)
	require.False(t, stored.Qualified, "as stored")
	require.True(t, stored.Rewardable)
	c2, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "other", Partner: &commission.PartnerRef{Key: "p"}})
	require.NoError(t, err)
	tx, err = eng.Transaction(ctx, "signup:"+c2.ID)
	require.NoError(t, err)
	requireDecimal(t, "4", tx.Rewards[0].Amount, "the second signup: one before it")
}
