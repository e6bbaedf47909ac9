package commission_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func capsProgram(caps commission.Caps) commission.Program {
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Caps = caps
	return p
}

func TestCapPerReward(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, capsProgram(commission.Caps{PerReward: decp("20")}))
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("big", "customer_123", "100"))
	require.NoError(t, err)
	r := tx.Rewards[0]
	requireDecimal(t, "20", r.Amount)
	require.Equal(t, []string{"per_reward"}, r.Explanation.Caps)
	requireDecimal(t, "30", *r.Explanation.Uncapped)

	tx, err = eng.CreateTransaction(ctx, sale("small", "customer_123", "50"))
	require.NoError(t, err)
	requireDecimal(t, "15", tx.Rewards[0].Amount)
	require.Empty(t, tx.Rewards[0].Explanation.Caps)
}

// monthTotal is what the partner's rewards that count (not reversed, not
// rejected) add up to in the month of at.
func monthTotal(t *testing.T, eng *commission.Engine, at time.Time) decimal.Decimal {
	t.Helper()
	total := decimal.Zero
	opts := commission.ListOptions{Limit: commission.MaxLimit}
	for {
		page, err := eng.Transactions(context.Background(), opts)
		require.NoError(t, err)
		for _, tx := range page.Transactions {
			for _, r := range tx.Rewards {
				if r.DeletedAt == nil && r.Status != commission.RewardRejected && r.CreatedAt.Format("2006-01") == at.Format("2006-01") {
					total = total.Add(r.Amount)
				}
			}
		}
		if page.NextCursor == "" {
			return total
		}
		opts.Cursor = page.NextCursor
	}
}

func TestCapPartnerMonth(t *testing.T) {
	ctx := context.Background()
	p := capsProgram(commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("50")}}})
	p.Rules.ReviewPeriod = 24 * time.Hour
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	amounts := func(keys ...string) []string {
		var out []string
		for _, k := range keys {
			tx, err := eng.CreateTransaction(ctx, sale(k, "customer_123", "100"))
			require.NoError(t, err)
			out = append(out, tx.Rewards[0].Amount.String())
		}
		return out
	}
	require.Equal(t, []string{"30", "20", "0"}, amounts("a", "b", "c"))
	b, err := eng.Transaction(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, []string{"partner.month"}, b.Rewards[0].Explanation.Caps)
	require.Equal(t, []string{"month"}, b.Rewards[0].Explanation.Counted)

	// A refund gives its reward back to the month; a rejection too.
	require.NoError(t, eng.DeleteTransaction(ctx, "a"))
	require.Equal(t, []string{"30"}, amounts("d"))
	require.NoError(t, eng.RejectReward(ctx, b.Rewards[0].ID, "fraud"))
	require.Equal(t, []string{"20", "0"}, amounts("e", "f"))
	requireDecimal(t, "50", monthTotal(t, eng, clock.Now()))

	// Archive gives back, restore takes again, even beyond the limit: a
	// restored sale was earned before.
	require.NoError(t, eng.ArchiveTransaction(ctx, "d"))
	require.Equal(t, []string{"30"}, amounts("g"))
	require.NoError(t, eng.RestoreTransaction(ctx, "d"))
	requireDecimal(t, "80", monthTotal(t, eng, clock.Now()))
	require.Equal(t, []string{"0"}, amounts("h"))

	// A new month starts afresh; a bulk sees its own earlier items.
	clock.Advance(31 * 24 * time.Hour)
	txs, err := eng.CreateTransactions(ctx, []commission.TransactionInput{sale("i", "customer_123", "100"), sale("j", "customer_123", "100"), sale("k", "customer_123", "100")})
	require.NoError(t, err)
	for i, want := range []string{"30", "20", "0"} {
		requireDecimal(t, want, txs[i].Rewards[0].Amount)
	}
	prev, err := eng.Preview(ctx, sale("l", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "0", prev.Rewards[0].Amount, "a preview sees the cap and counts nothing")
}

// In a refer-a-friend program a spend limit is per rewarded customer:
// what it earns as a referrer and as a friend counts together, and a
// refund gives it back.
func TestCapPerCustomerReferAFriend(t *testing.T) {
	ctx := context.Background()
	p := commission.Program{ID: "raf", Kind: commission.ReferAFriend, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Flat(dec("10")),
		Friend:  &commission.FriendReward{Commission: commission.Flat(dec("5"))},
		Caps:    commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("20")}}},
	}}
	eng, _ := newEngine(t, p)
	for _, c := range []commission.CustomerInput{
		{ID: "r"},
		{ID: "f", ReferringCustomer: &commission.CustomerRef{ID: "r"}},
		{ID: "g", ReferringCustomer: &commission.CustomerRef{ID: "f"}},
	} {
		_, err := eng.CreateCustomer(ctx, c)
		require.NoError(t, err)
	}
	// earned returns what each sale paid whom.
	earned := func(key, buyer string) map[string]string {
		tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: key, Amount: decp("100"), Customer: commission.CustomerInput{ID: buyer}})
		require.NoError(t, err)
		out := map[string]string{}
		for _, r := range tx.Rewards {
			out[r.RewardedCustomerID] = r.Amount.String()
		}
		return out
	}
	require.Equal(t, map[string]string{"r": "10", "f": "5"}, earned("f1", "f")) // f: 5
	require.Equal(t, map[string]string{"f": "10", "g": "5"}, earned("g1", "g")) // f: 15
	require.Equal(t, map[string]string{"f": "5", "g": "5"}, earned("g2", "g"))  // f: 20, capped
	require.Equal(t, map[string]string{"r": "10", "f": "0"}, earned("f2", "f")) // r: 20
	require.Equal(t, map[string]string{"r": "0", "f": "0"}, earned("f3", "f"))  // both at the limit
	require.NoError(t, eng.DeleteTransaction(ctx, "g1"))                        // f: 10, g: 5
	require.Equal(t, map[string]string{"f": "10", "g": "5"}, earned("g3", "g")) // f: 20, g: 10
	require.NoError(t, eng.ArchiveTransaction(ctx, "g3"))                       // f: 10, g: 5
	require.Equal(t, map[string]string{"f": "10", "g": "5"}, earned("g4", "g")) // f: 20, g: 10
	require.NoError(t, eng.RestoreTransaction(ctx, "g3"))                       // f: 30, g: 15
	require.Equal(t, map[string]string{"f": "0", "g": "5"}, earned("g5", "g"))  // g: 20
	require.Equal(t, map[string]string{"f": "0", "g": "0"}, earned("g6", "g"))
}

// Whatever the sales, refunds and rejections, and whatever the order, a
// partner's counted rewards never pass a spend limit in any period.
func TestPropSpendLimitNeverExceeded(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		limit := genDecimal(3, 2).Draw(rt, "limit")
		p := capsProgram(commission.Caps{Partner: []commission.SpendLimit{
			{Period: commission.CapDay, Amount: limit},
			{Period: commission.CapAllTime, Amount: limit.Mul(dec("3"))},
		}})
		p.Rules.ReviewPeriod = time.Hour
		eng, clock := newEngine(t, p)
		affiliateSetup(t, eng)
		var keys, rewards []string
		for i := range rapid.IntRange(1, 25).Draw(rt, "steps") {
			switch rapid.IntRange(0, 5).Draw(rt, "action") {
			case 0, 1, 2:
				k := fmt.Sprintf("s%d", i)
				tx, err := eng.CreateTransaction(ctx, sale(k, "customer_123", genDecimal(4, 2).Draw(rt, "amount").String()))
				require.NoError(rt, err)
				keys = append(keys, k)
				rewards = append(rewards, tx.Rewards[0].ID)
			case 3:
				if len(keys) > 0 {
					eng.DeleteTransaction(ctx, rapid.SampledFrom(keys).Draw(rt, "delete")) // may be deleted already
				}
			case 4:
				if len(rewards) > 0 {
					eng.RejectReward(ctx, rapid.SampledFrom(rewards).Draw(rt, "reject"), "x") // may not be in review
				}
			case 5:
				clock.Advance(time.Duration(rapid.IntRange(1, 30).Draw(rt, "hours")) * time.Hour)
			}
		}
		byDay := map[string]decimal.Decimal{}
		all := decimal.Zero
		page, err := eng.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
		require.NoError(rt, err)
		for _, tx := range page.Transactions {
			for _, r := range tx.Rewards {
				if r.DeletedAt == nil && r.Status != commission.RewardRejected {
					day := r.CreatedAt.Format(time.DateOnly)
					byDay[day] = byDay[day].Add(r.Amount)
					all = all.Add(r.Amount)
				}
			}
		}
		for day, sum := range byDay {
			require.Truef(rt, sum.Cmp(limit) <= 0, "%s: %s earned, the limit is %s", day, sum, limit)
		}
		require.Truef(rt, all.Cmp(limit.Mul(dec("3"))) <= 0, "all time: %s earned", all)
	})
}

func TestCapsAreValidatedAtNew(t *testing.T) {
	_, err := commission.New(memstoreNew(), capsProgram(commission.Caps{PerReward: decp("-1"), Partner: []commission.SpendLimit{
		{Period: "fortnight", Amount: dec("1")}, {Period: commission.CapDay, Amount: dec("-2")}, {Period: commission.CapDay, Amount: dec("3")},
	}}))
	requireFields(t, err, "rules.caps.per_reward", "rules.caps.partner[0].period", "rules.caps.partner[1].amount", "rules.caps.partner[2].period")
}

// A weekly spend limit counts ISO 8601 weeks (UTC) of the sale's
// created_at: 2024-12-30 to 2025-01-05 is one week (2025-W01) across the
// year boundary, and a Sunday and the Monday after are in different weeks.
func TestCapWeekIsISOWeek(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, capsProgram(commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapWeek, Amount: dec("50")}}}))
	affiliateSetup(t, eng)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	steps := []struct {
		key  string
		at   time.Time
		want string
		why  string
	}{
		{"sun-w52", day(2024, 12, 29), "30", "2024-W52: first sale"},
		{"mon-w01", day(2024, 12, 30), "30", "Monday 2024-12-30 starts 2025-W01"},
		{"thu-w01", day(2025, 1, 2), "20", "2025-W01 across the new year: 50 - 30"},
		{"sat-w52", day(2024, 12, 28), "20", "back in 2024-W52: 50 - 30"},
		{"sun-w01", day(2025, 1, 5).Add(11*time.Hour + 59*time.Minute + 59*time.Second), "0", "Sunday 23:59:59 is still 2025-W01"},
		{"sun-w01-cet", time.Date(2025, 1, 6, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "0", "Monday 00:30 CET is Sunday 23:30 UTC, 2025-W01"},
		{"mon-w02", day(2025, 1, 6).Add(-12 * time.Hour), "30", "Monday 00:00 starts 2025-W02"},
		{"mon-w02-est", time.Date(2025, 1, 5, 20, 0, 0, 0, time.FixedZone("EST", -5*3600)), "20", "Sunday 20:00 EST is Monday 01:00 UTC, 2025-W02: 50 - 30"},
	}
	for _, s := range steps {
		tx, err := eng.CreateTransaction(ctx, backdated(s.key, "customer_123", "100", s.at))
		require.NoError(t, err, s.key)
		require.Len(t, tx.Rewards, 1, s.key)
		r := tx.Rewards[0]
		requireDecimal(t, s.want, r.Amount, s.key, ": ", s.why)
		require.Equal(t, []string{"week"}, r.Explanation.Counted, s.key)
		if s.want != "30" {
			require.Equal(t, []string{"partner.week"}, r.Explanation.Caps, s.key)
			requireDecimal(t, "30", *r.Explanation.Uncapped, s.key)
		} else {
			require.Empty(t, r.Explanation.Caps, s.key)
		}
	}
	// A refund gives back to its own week only.
	require.NoError(t, eng.DeleteTransaction(ctx, "mon-w01"))
	tx, err := eng.CreateTransaction(ctx, backdated("fri-w01", "customer_123", "100", day(2025, 1, 3)))
	require.NoError(t, err)
	requireDecimal(t, "30", tx.Rewards[0].Amount, "2025-W01 has 30 back")
	tx, err = eng.CreateTransaction(ctx, backdated("tue-w02", "customer_123", "100", day(2025, 1, 7)))
	require.NoError(t, err)
	requireDecimal(t, "0", tx.Rewards[0].Amount, "2025-W02 is full")
}

// A reward set by the input counts towards, and is clamped by, a spend
// limit like any other: a cap is never exceeded.
func TestSetRewardIsCapped(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, capsProgram(commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("100")}}}))
	affiliateSetup(t, eng)
	in := sale("manual", "customer_123", "10")
	in.Reward = decp("1000")
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "100", tx.Rewards[0].Amount)
	tx, err = eng.CreateTransaction(ctx, sale("next", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "0", tx.Rewards[0].Amount)
}
