package commission_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// flat is a flat commission of amount, as a referral reward's side.
func flat(amount string) *commission.Commission {
	c := commission.Flat(dec(amount))
	return &c
}

// side is c as a referral reward's side.
func side(c commission.Commission) *commission.Commission { return &c }

// referralProgram is a refer-a-friend program paying rewards.
func referralProgram(rewards ...commission.ReferralReward) commission.Program {
	return rafProgram(commission.RuleSet{Referral: rewards})
}

// stepsOf pays the referrer k*unit from the k-th friend, for k from 1 to
// n, so that an amount tells which number a friend took.
func stepsOf(n int, unit string) []commission.ReferralStep {
	out := make([]commission.ReferralStep, n)
	for k := 1; k <= n; k++ {
		out[k-1] = commission.ReferralStep{From: k, Referrer: flat(dec(unit).Mul(dec(strconv.Itoa(k))).String())}
	}
	return out
}

// requireReferral checks that r is a reward of the referral reward named
// rule to customer, of amount, at step (0 for none) of its schedule.
func requireReferral(t *testing.T, r commission.Reward, rule, customer, amount string, step int) {
	t.Helper()
	require.Equal(t, rule, r.Explanation.Rule)
	require.Equal(t, commission.MatchReferral, r.Explanation.Match)
	require.Equal(t, customer, r.RewardedCustomerKey, rule)
	requireDecimal(t, amount, r.Amount, rule, " to ", customer)
	require.Equal(t, step, r.Explanation.Step, rule)
}

// The help article's example: the first 10 referrals pay 15.00, the 11th
// to the 50th 25.00, from the 51st 50.00, each step from its first
// friend on; a friend keeps its number for its later sales.
func TestReferralHelpArticleSteps(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, referralProgram(commission.ReferralReward{Name: "referrals", Occurrences: []commission.ReferralStep{
		{From: 1, Referrer: flat("15.00")}, {From: 11, Referrer: flat("25.00")}, {From: 51, Referrer: flat("50.00")},
	}}))
	referred(t, eng, clock, 52)
	pays := func(n int) string { // the n-th friend's reward
		switch {
		case n <= 10:
			return "15"
		case n <= 50:
			return "25"
		}
		return "50"
	}
	for i := range 52 {
		tx, err := eng.CreateTransaction(ctx, sale("s"+strconv.Itoa(i), "f"+strconv.Itoa(i), "100"))
		require.NoError(t, err)
		require.Len(t, tx.Rewards, 1, "friend %d", i+1)
		requireReferral(t, tx.Rewards[0], "referrals", "referrer", pays(i+1), 0)
		require.Equal(t, "f"+strconv.Itoa(i), tx.Rewards[0].CustomerKey)
	}
	for _, i := range []int{0, 9, 10, 49, 50} {
		tx, err := eng.CreateTransaction(ctx, sale("again"+strconv.Itoa(i), "f"+strconv.Itoa(i), "100"))
		require.NoError(t, err)
		requireDecimal(t, pays(i+1), tx.Rewards[0].Amount, "friend ", i+1, " again")
	}
}

// A friend takes its number with its first transaction the reward pays,
// whenever it was created: not with one that does not trigger the
// reward or is not rewardable. Reversing that transaction does not give
// the number back.
func TestReferralNumberTakenByFirstPaidTransaction(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, referralProgram(commission.ReferralReward{Name: "r", Trigger: "sale", Occurrences: stepsOf(3, "10")}))
	referred(t, eng, clock, 3)
	create := func(in commission.TransactionInput) []commission.Reward {
		tx, err := eng.CreateTransaction(ctx, in)
		require.NoError(t, err)
		return tx.Rewards
	}
	other := sale("other", "f0", "100")
	other.Action = "refund_requested"
	require.Empty(t, create(other), "not the trigger")
	held := sale("held", "f0", "100")
	held.Rewardable = new(bool)
	require.Empty(t, create(held), "not rewardable")

	requireDecimal(t, "10", create(sale("f1-a", "f1", "100"))[0].Amount, "f1, the first paid")
	requireDecimal(t, "20", create(sale("f0-a", "f0", "100"))[0].Amount, "f0, the second")
	requireDecimal(t, "10", create(sale("f1-b", "f1", "100"))[0].Amount, "f1 keeps its number")
	require.NoError(t, eng.DeleteTransaction(ctx, "f0-a"))
	requireDecimal(t, "30", create(sale("f2-a", "f2", "100"))[0].Amount, "a deleted sale gives no number back")
	requireDecimal(t, "20", create(sale("f0-b", "f0", "100"))[0].Amount, "f0 keeps its number")
}

// Rewards with their own triggers in one program: a signup reward to
// both sides, a first-purchase reward, and one on a custom action; each
// transaction earns the rewards it triggers, and a transaction none
// triggers earns nothing.
func TestReferralSignupAndSaleRewards(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, referralProgram(
		commission.ReferralReward{Name: "welcome", Trigger: commission.TriggerSignup, Referrer: flat("5"), Friend: flat("2")},
		commission.ReferralReward{Name: "first-order", Trigger: "sale",
			Referrer: side(commission.Flat(dec("20")).For(commission.Times(1))),
			Friend:   side(commission.Percent(dec("10")).For(commission.Times(1)))},
		commission.ReferralReward{Name: "renewals", Trigger: "renewal", Referrer: side(commission.Percent(dec("5")))},
	))
	referred(t, eng, clock, 1)
	signup, err := eng.Transaction(ctx, "signup:f0")
	require.NoError(t, err)
	require.Equal(t, commission.TriggerSignup, signup.Action)
	require.Len(t, signup.Rewards, 2)
	requireReferral(t, signup.Rewards[0], "welcome", "referrer", "5", 0)
	requireReferral(t, signup.Rewards[1], "welcome", "f0", "2", 0)

	tx, err := eng.CreateTransaction(ctx, sale("order-1", "f0", "80"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	requireReferral(t, tx.Rewards[0], "first-order", "referrer", "20", 1)
	requireReferral(t, tx.Rewards[1], "first-order", "f0", "8", 1)
	requireDecimal(t, "80", tx.Rewards[1].Explanation.Base)

	renewal := sale("renewal-1", "f0", "80")
	renewal.Action = "renewal"
	tx, err = eng.CreateTransaction(ctx, renewal)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	requireReferral(t, tx.Rewards[0], "renewals", "referrer", "4", 0)

	tx, err = eng.CreateTransaction(ctx, sale("order-2", "f0", "80"))
	require.NoError(t, err)
	require.Empty(t, tx.Rewards, "first-order pays once")
	other := sale("other", "f0", "80")
	other.Action = "upgrade"
	tx, err = eng.CreateTransaction(ctx, other)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards, "no reward triggers on upgrades")
	require.False(t, tx.Qualified)
}

// Each side has its own value and units: the referrer's flat in the
// sale's currency, the friend's in points; a reward may pay the friend
// only.
func TestReferralSidesAndUnits(t *testing.T) {
	ctx := context.Background()
	p := referralProgram(
		commission.ReferralReward{Name: "both", Referrer: flat("15"), Friend: &commission.Commission{Type: commission.FlatCommission, Value: dec("100"), Units: "POINTS"}},
		commission.ReferralReward{Name: "friend-only", Friend: side(commission.Percent(dec("5")))},
	)
	p.CustomUnits = []string{"POINTS"}
	eng, clock := newEngine(t, p)
	referred(t, eng, clock, 1)
	tx, err := eng.CreateTransaction(ctx, sale("order-1", "f0", "200"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 3)
	for _, c := range []struct {
		rule, customer, amount, units string
		currency                      bool
	}{
		{"both", "referrer", "15", "USD", true},
		{"both", "f0", "100", "POINTS", false},
		{"friend-only", "f0", "10", "USD", true},
	} {
		r := tx.Rewards[slices.IndexFunc(tx.Rewards, func(r commission.Reward) bool {
			return r.Explanation.Rule == c.rule && r.RewardedCustomerKey == c.customer
		})]
		requireReferral(t, r, c.rule, c.customer, c.amount, 0)
		require.Equal(t, c.units, r.AmountUnits, c.rule)
		require.Equal(t, c.currency, r.IsCurrency, c.rule)
		require.Equal(t, "f0", r.CustomerKey, "the buyer")
	}
}

// Recurrence is each side's period over the friend's rewarded
// transactions: once, within N months, or for the friend's lifetime.
func TestReferralRecurrence(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, referralProgram(
		commission.ReferralReward{Name: "once", Referrer: side(commission.Flat(dec("1")).For(commission.Times(1)))},
		commission.ReferralReward{Name: "two-months", Referrer: side(commission.Flat(dec("2")).For(commission.Months(2)))},
		commission.ReferralReward{Name: "lifetime", Referrer: flat("3")},
	))
	referred(t, eng, clock, 1)
	last := 0
	for i, c := range []struct {
		day  int
		paid []string // the rewards' rules, in order
	}{
		{0, []string{"once", "two-months", "lifetime"}},
		{1, []string{"two-months", "lifetime"}},
		{40, []string{"two-months", "lifetime"}},
		{70, []string{"lifetime"}}, // two months from day 0 end on day 61
	} {
		clock.Advance(time.Duration(c.day-last) * 24 * time.Hour)
		last = c.day
		tx, err := eng.CreateTransaction(ctx, sale("s"+strconv.Itoa(i), "f0", "100"))
		require.NoError(t, err)
		var got []string
		for _, r := range tx.Rewards {
			got = append(got, r.Explanation.Rule)
			if r.Explanation.Rule != "lifetime" {
				require.Equal(t, 1, r.Explanation.Step, "a period is a schedule's first step")
			}
		}
		require.Equal(t, c.paid, got, "day %d", c.day)
	}
}

// Each reward holds its rewards for its own review period, on both sides,
// and the program's review period does not apply to them; each is
// approved or rejected on its own.
func TestReferralReviewPeriods(t *testing.T) {
	ctx := context.Background()
	p := referralProgram(
		commission.ReferralReward{Name: "held", Referrer: flat("10"), Friend: flat("5"), ReviewPeriod: 7 * 24 * time.Hour},
		commission.ReferralReward{Name: "instant", Referrer: flat("1")},
	)
	p.Rules.ReviewPeriod = 30 * 24 * time.Hour
	eng, clock := newEngine(t, p)
	referred(t, eng, clock, 1)
	tx, err := eng.CreateTransaction(ctx, sale("order-1", "f0", "100"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 3)
	ends := tx.CreatedAt.Add(7 * 24 * time.Hour)
	for _, r := range tx.Rewards[:2] {
		require.Equal(t, commission.RewardInReview, r.Status, r.RewardedCustomerKey)
		require.Equal(t, ends, *r.ReviewEndsAt, r.RewardedCustomerKey)
	}
	require.Equal(t, commission.RewardOK, tx.Rewards[2].Status)
	require.Nil(t, tx.Rewards[2].ReviewEndsAt)

	require.NoError(t, eng.ApproveReward(ctx, tx.Rewards[0].ID))
	require.NoError(t, eng.RejectReward(ctx, tx.Rewards[1].ID, "duplicate account"))
	require.ErrorIs(t, eng.ApproveReward(ctx, tx.Rewards[2].ID), commission.ErrNotInReview)
	got, err := eng.Transaction(ctx, "order-1")
	require.NoError(t, err)
	require.Equal(t, commission.RewardOK, got.Rewards[0].Status)
	require.Equal(t, commission.RewardRejected, got.Rewards[1].Status)
	require.Equal(t, "duplicate account", got.Rewards[1].Reason)
}

// New checks every field of the referral rewards by its path, and that
// they replace the one-reward shape, in refer-a-friend programs only.
func TestReferralValidation(t *testing.T) {
	bad := commission.Commission{Type: "bogus", Value: dec("1")}
	units := commission.Commission{Type: commission.FlatCommission, Value: dec("1"), Units: "NOPE1"}
	p := rafProgram(commission.RuleSet{
		Default:  commission.Flat(dec("1")),
		Products: []commission.ProductRule{{ProductID: "a", Commission: commission.Flat(dec("1"))}},
		Tiers:    []commission.Tier{{When: []commission.Condition{{Metric: commission.MetricSignups, AtLeast: decp("1")}}, Commission: commission.Flat(dec("2"))}},
		Friend:   &commission.FriendReward{Commission: commission.Flat(dec("1"))},
		Trigger:  "sale",
		Referral: []commission.ReferralReward{
			{Referrer: flat("1")},
			{Name: strings.Repeat("n", commission.MaxReferralName+1), Friend: flat("1")},
			{Name: "dup", Referrer: flat("1")},
			{Name: "dup", Referrer: flat("1"), ReviewPeriod: -time.Hour},
			{Name: "none"},
			{Name: "both-shapes", Referrer: flat("1"), Friend: flat("1"), Occurrences: []commission.ReferralStep{{From: 1, Referrer: flat("1")}}},
			{Name: "steps", Occurrences: []commission.ReferralStep{{From: 2, Referrer: flat("1")}, {From: 2, Friend: flat("1")}, {From: 5}}},
			{Name: "sides", Trigger: "a\x00b", Referrer: &bad, Friend: side(commission.Percent(dec("150")))},
			{Name: "units", Occurrences: []commission.ReferralStep{{From: 1, Friend: &units}}},
		},
	})
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err,
		"rules.default", "rules.products", "rules.tiers", "rules.friend", "rules.trigger",
		"rules.referral[0].name", "rules.referral[1].name", "rules.referral[3].name", "rules.referral[3].review_period",
		"rules.referral[4]", "rules.referral[5].referrer", "rules.referral[5].friend",
		"rules.referral[6].occurrences[0].from", "rules.referral[6].occurrences[1].from", "rules.referral[6].occurrences[2]",
		"rules.referral[7].trigger", "rules.referral[7].referrer.type", "rules.referral[7].friend.value",
		"rules.referral[8].occurrences[0].friend.units")

	aff := percentProgram(commission.Affiliate, "0")
	aff.Rules = commission.RuleSet{Referral: []commission.ReferralReward{{Name: "r", Referrer: flat("1")}}}
	_, err = commission.New(memstoreNew(), aff)
	requireFields(t, err, "rules.referral")

	longest := referralProgram(commission.ReferralReward{Name: strings.Repeat("n", commission.MaxReferralName), Occurrences: stepsOf(2, "1")})
	_, err = commission.New(memstoreNew(), longest)
	require.NoError(t, err)
}

// Referral rewards load from JSON, review periods as durations, and
// write back to the same program.
func TestReferralJSONRoundTrip(t *testing.T) {
	const doc = `{"id": "raf", "kind": "refer_a_friend", "currency": "USD", "custom_units": ["POINTS"],
	  "rules": {"referral": [
	    {"name": "welcome", "trigger": "signup", "friend": {"type": "flat", "value": 100, "units": "POINTS"}, "review_period": "14d"},
	    {"name": "referrals", "trigger": "sale", "occurrences": [
	      {"from": 1, "referrer": {"type": "flat", "value": 15}},
	      {"from": 11, "referrer": {"type": "flat", "value": "25.00"}, "friend": {"type": "percent", "value": 10, "for": {"times": 1}}}]}]}}`
	var p commission.Program
	require.NoError(t, json.Unmarshal([]byte(doc), &p))
	rr := p.Rules.Referral
	require.Len(t, rr, 2)
	require.Equal(t, 14*24*time.Hour, rr[0].ReviewPeriod)
	require.Equal(t, "POINTS", rr[0].Friend.Units)
	require.Nil(t, rr[0].Referrer)
	require.Equal(t, 11, rr[1].Occurrences[1].From)
	requireDecimal(t, "25", rr[1].Occurrences[1].Referrer.Value)
	require.Equal(t, commission.Times(1), *rr[1].Occurrences[1].Friend.Period)
	_, err := commission.New(memstoreNew(), p)
	require.NoError(t, err)

	out, err := json.Marshal(p)
	require.NoError(t, err)
	require.Contains(t, string(out), `"review_period":"14d"`)
	var back commission.Program
	require.NoError(t, json.Unmarshal(out, &back))
	again, err := json.Marshal(back)
	require.NoError(t, err)
	require.JSONEq(t, string(out), string(again))

	var bad commission.Program
	require.Error(t, json.Unmarshal([]byte(`{"rules": {"referral": [{"name": "r", "review_period": 14}]}}`), &bad))
}

// Many friends of one referrer signing up at once, and then buying at
// once (each several times), get distinct numbers, and each friend keeps
// one number for all its sales.
func TestReferralConcurrentFriends(t *testing.T) {
	const friends, salesEach = 12, 3
	ctx := context.Background()
	eng, _ := newEngine(t, referralProgram(
		commission.ReferralReward{Name: "signup", Trigger: commission.TriggerSignup, Occurrences: stepsOf(friends, "1")},
		commission.ReferralReward{Name: "sale", Trigger: "sale", Occurrences: stepsOf(friends, "1")},
	))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "referrer"})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range friends {
		wg.Go(func() {
			_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "f" + strconv.Itoa(i), ReferringCustomer: &commission.CustomerRef{Key: "referrer"}})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	var mu sync.Mutex
	signups := make([]string, 0, friends)
	paid := make(map[string][]string) // each friend's sale rewards
	for i := range friends {
		f := "f" + strconv.Itoa(i)
		tx, err := eng.Transaction(ctx, "signup:"+f)
		require.NoError(t, err)
		signups = append(signups, tx.Rewards[0].Amount.String())
		for j := range salesEach {
			wg.Go(func() {
				tx, err := eng.CreateTransaction(ctx, sale(f+"-"+strconv.Itoa(j), f, "10"))
				require.NoError(t, err)
				mu.Lock()
				defer mu.Unlock()
				paid[f] = append(paid[f], tx.Rewards[0].Amount.String())
			})
		}
	}
	wg.Wait()
	var numbers []string
	for k := 1; k <= friends; k++ {
		numbers = append(numbers, strconv.Itoa(k))
	}
	require.ElementsMatch(t, numbers, signups, "one signup number each")
	var sales []string
	for f, amounts := range paid {
		require.Len(t, amounts, salesEach, f)
		for _, a := range amounts {
			require.Equal(t, amounts[0], a, "%s keeps its number", f)
		}
		sales = append(sales, amounts[0])
	}
	require.ElementsMatch(t, numbers, sales, "one sale number each")
}

// A transaction the fraud protection rejects takes no number; made
// rewardable later, it takes the next one.
func TestReferralFraudAndMakeRewardable(t *testing.T) {
	ctx := context.Background()
	p := referralProgram(commission.ReferralReward{Name: "r", Occurrences: stepsOf(3, "10")})
	p.Rules.Fraud.RepeatWindow = time.Minute
	eng, clock := newEngine(t, p)
	referred(t, eng, clock, 3)
	held := sale("held", "f0", "100")
	held.Rewardable = new(bool)
	_, err := eng.CreateTransaction(ctx, held)
	require.NoError(t, err)
	clock.Advance(10 * time.Second)
	tx, err := eng.CreateTransaction(ctx, sale("quick", "f0", "100"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	require.Equal(t, commission.RewardRejected, tx.Rewards[0].Status)
	require.Equal(t, commission.ReasonTooFrequent, tx.Rewards[0].Reason)

	clock.Advance(time.Hour)
	tx, err = eng.CreateTransaction(ctx, sale("f1-a", "f1", "100"))
	require.NoError(t, err)
	requireDecimal(t, "10", tx.Rewards[0].Amount, "f1 is the first: the rejected sale took no number")
	tx, err = eng.MakeRewardable(ctx, "quick")
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	requireDecimal(t, "20", tx.Rewards[1].Amount, "made rewardable, f0 is the second")
	clock.Advance(time.Hour)
	tx, err = eng.CreateTransaction(ctx, sale("f2-a", "f2", "100"))
	require.NoError(t, err)
	requireDecimal(t, "30", tx.Rewards[0].Amount)
}

// A preview shows the number a friend would take and takes none; a bulk
// numbers its friends in order, a friend keeping its number within it,
// and a bulk that fails takes none.
func TestReferralPreviewAndBulk(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, referralProgram(commission.ReferralReward{Name: "r", Occurrences: stepsOf(5, "10")}))
	referred(t, eng, clock, 5)
	for range 2 {
		tx, err := eng.Preview(ctx, sale("f0-a", "f0", "100"))
		require.NoError(t, err)
		requireDecimal(t, "10", tx.Rewards[0].Amount, "preview")
	}
	txs, err := eng.CreateTransactions(ctx, []commission.TransactionInput{
		sale("f0-a", "f0", "100"), sale("f1-a", "f1", "100"), sale("f0-b", "f0", "100"), sale("f2-a", "f2", "100"),
	})
	require.NoError(t, err)
	var got []string
	for _, tx := range txs {
		got = append(got, tx.Rewards[0].Amount.String())
	}
	require.Equal(t, []string{"10", "20", "10", "30"}, got)

	_, err = eng.CreateTransactions(ctx, []commission.TransactionInput{sale("f3-a", "f3", "100"), sale("x", "nobody", "100")})
	require.ErrorIs(t, err, commission.ErrCustomerNotFound)
	tx, err := eng.CreateTransaction(ctx, sale("f4-a", "f4", "100"))
	require.NoError(t, err)
	requireDecimal(t, "40", tx.Rewards[0].Amount, "the failed bulk took no number")
}

// Referral rewards are rounded, capped and paid in credit as the
// program says, each side on its own.
func TestReferralRoundingCapsAndCredit(t *testing.T) {
	ctx := context.Background()
	p := referralProgram(commission.ReferralReward{Name: "pct",
		Referrer: side(commission.Percent(dec("33.333"))), Friend: side(commission.Percent(dec("50")))})
	p.Rules.Rounding.To = commission.RoundToCurrency
	p.Rules.Caps.PerReward = decp("5")
	p.Rules.Credit = true
	eng, clock := newEngine(t, p)
	referred(t, eng, clock, 1)
	tx, err := eng.CreateTransaction(ctx, sale("order-1", "f0", "10.01"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	ref, friend := tx.Rewards[0], tx.Rewards[1]
	requireReferral(t, ref, "pct", "referrer", "3.34", 0)
	require.Equal(t, "half_up:2", ref.Explanation.Rounding)
	requireDecimal(t, "3.3366333", *ref.Explanation.Exact)
	require.Empty(t, ref.Explanation.Caps)
	requireReferral(t, friend, "pct", "f0", "5", 0)
	require.Equal(t, []string{"per_reward"}, friend.Explanation.Caps)
	requireDecimal(t, "5.01", *friend.Explanation.Uncapped)
	require.True(t, ref.Credit && friend.Credit, "paid in credit")
}

// A step that pays nothing is a flat 0: its friends earn no reward (a
// reward of 0 is not kept) but take their numbers, so that the step
// after it is reached; a signup that earns nothing is not recorded.
func TestReferralZeroStepCountsFriends(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, referralProgram(
		commission.ReferralReward{Name: "from-third", Occurrences: []commission.ReferralStep{{From: 1, Referrer: flat("0")}, {From: 3, Referrer: flat("25")}}},
		commission.ReferralReward{Name: "signup", Trigger: commission.TriggerSignup, Occurrences: []commission.ReferralStep{{From: 1, Friend: flat("0")}, {From: 2, Friend: flat("5")}}},
	))
	referred(t, eng, clock, 3)
	_, err := eng.Transaction(ctx, "signup:f0")
	require.ErrorIs(t, err, commission.ErrNotFound, "the first signup earns nothing")
	tx, err := eng.Transaction(ctx, "signup:f1")
	require.NoError(t, err)
	requireReferral(t, tx.Rewards[0], "signup", "f1", "5", 0)
	for i, want := range []int{0, 0, 1} {
		tx, err := eng.CreateTransaction(ctx, sale("s"+strconv.Itoa(i), "f"+strconv.Itoa(i), "100"))
		require.NoError(t, err)
		require.Len(t, tx.Rewards, want, "friend %d", i+1)
	}
	tx, err = eng.Transaction(ctx, "s2")
	require.NoError(t, err)
	requireReferral(t, tx.Rewards[0], "from-third", "referrer", "25", 0)
}

// A reward paid by occurrence says in its explanation which referral of
// its referrer the friend is.
func TestReferralOccurrenceExplained(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, referralProgram(commission.ReferralReward{Name: "r", Trigger: commission.TriggerSignup,
		Occurrences: stepsOf(2, "10")}))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "referrer"})
	require.NoError(t, err)
	for i := 1; i <= 3; i++ {
		clock.Advance(time.Second)
		c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: fmt.Sprintf("f%d", i), ReferringCustomer: &commission.CustomerRef{Key: "referrer"}})
		require.NoError(t, err)
		tx, err := eng.Transaction(ctx, "signup:"+c.ID)
		require.NoError(t, err)
		require.NotEmpty(t, tx.Rewards)
		for _, r := range tx.Rewards {
			require.Equal(t, i, r.Explanation.Occurrence, "friend %d", i)
		}
		out, err := json.Marshal(tx.Rewards[0].Explanation)
		require.NoError(t, err)
		require.Contains(t, string(out), fmt.Sprintf(`"occurrence":%d`, i))
	}
}
