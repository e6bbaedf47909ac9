package commission_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func periodProgram(c commission.Commission) commission.Program {
	p := percentProgram(commission.Affiliate, "0")
	p.Rules.Default = c
	return p
}

// rewardOf sells amount as key and returns its reward and step, or "none".
func rewardOf(t *testing.T, eng *commission.Engine, key, customer, amount string) string {
	t.Helper()
	tx, err := eng.CreateTransaction(context.Background(), sale(key, customer, amount))
	require.NoError(t, err)
	if len(tx.Rewards) == 0 {
		return "none"
	}
	return fmt.Sprintf("%s@%d", tx.Rewards[0].Amount, tx.Rewards[0].Explanation.Step)
}

// "40% for the first 3 months, then 20%", from the customer's first sale.
func TestPeriodStepDownByMonths(t *testing.T) {
	eng, clock := newEngine(t, periodProgram(commission.Percent(dec("40")).For(commission.Months(3)).Then(commission.Percent(dec("20")))))
	affiliateSetup(t, eng)
	require.Equal(t, "40@1", rewardOf(t, eng, "m0", "customer_123", "100"))
	first := clock.Now()
	clock.Advance(first.AddDate(0, 3, 0).Sub(first) - time.Second)
	require.Equal(t, "40@1", rewardOf(t, eng, "m3-", "customer_123", "100"))
	clock.Advance(time.Second)
	require.Equal(t, "20@2", rewardOf(t, eng, "m3", "customer_123", "100"))
	clock.Advance(5 * 365 * 24 * time.Hour)
	require.Equal(t, "20@2", rewardOf(t, eng, "y5", "customer_123", "100"))

	// Another customer's period starts at its own first sale.
	_, err := eng.CreateCustomer(context.Background(), commission.CustomerInput{Key: "other", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	require.Equal(t, "40@1", rewardOf(t, eng, "o1", "other", "100"))
}

// "20% in year one, 10% after".
func TestPeriodStepDownByYears(t *testing.T) {
	eng, clock := newEngine(t, periodProgram(commission.Percent(dec("20")).For(commission.Years(1)).Then(commission.Percent(dec("10")))))
	affiliateSetup(t, eng)
	require.Equal(t, "10@1", rewardOf(t, eng, "a", "customer_123", "50"))
	clock.Advance(364 * 24 * time.Hour)
	require.Equal(t, "10@1", rewardOf(t, eng, "b", "customer_123", "50"))
	clock.Advance(2 * 24 * time.Hour)
	require.Equal(t, "5@2", rewardOf(t, eng, "c", "customer_123", "50"))
}

// "The first 3 sales": later ones earn nothing, and a refund frees a place,
// since periods count only stored, not-deleted sales.
func TestPeriodTimes(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, periodProgram(commission.Flat(dec("5")).For(commission.Times(3))))
	affiliateSetup(t, eng)
	var got []string
	for _, k := range []string{"a", "b", "c", "d"} {
		got = append(got, rewardOf(t, eng, k, "customer_123", "10"))
		clock.Advance(time.Minute)
	}
	require.Equal(t, []string{"5@1", "5@1", "5@1", "none"}, got)
	require.NoError(t, eng.DeleteTransaction(ctx, "b"))
	require.Equal(t, "5@1", rewardOf(t, eng, "e", "customer_123", "10"))
	require.Equal(t, "none", rewardOf(t, eng, "f", "customer_123", "10"))

	// A bulk counts its own items.
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bulk", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	var ins []commission.TransactionInput
	for i := range 5 {
		ins = append(ins, sale(fmt.Sprintf("bulk%d", i), "bulk", "10"))
	}
	txs, err := eng.CreateTransactions(ctx, ins)
	require.NoError(t, err)
	rewarded := 0
	for _, tx := range txs {
		rewarded += len(tx.Rewards)
	}
	require.Equal(t, 3, rewarded)
}

func TestPeriodStepDownByTimesOnAProductRule(t *testing.T) {
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Products = []commission.ProductRule{{ProductType: "plan",
		Commission: commission.Percent(dec("40")).For(commission.Times(2)).Then(commission.Percent(dec("20")))}}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	var got []string
	for i := range 4 {
		in := sale(fmt.Sprintf("s%d", i), "customer_123", "100")
		in.ProductType = "plan"
		tx, err := eng.CreateTransaction(context.Background(), in)
		require.NoError(t, err)
		got = append(got, tx.Rewards[0].Amount.String())
	}
	require.Equal(t, []string{"40", "40", "20", "20"}, got)
}

// Days, and "as of the sale's created_at": a sale backdated before the
// customer's first is its first.
func TestPeriodDaysAsOfCreatedAt(t *testing.T) {
	eng, clock := newEngine(t, periodProgram(commission.Flat(dec("5")).For(commission.Days(30))))
	affiliateSetup(t, eng)
	require.Equal(t, "5@1", rewardOf(t, eng, "a", "customer_123", "10"))
	clock.Advance(31 * 24 * time.Hour)
	require.Equal(t, "none", rewardOf(t, eng, "b", "customer_123", "10"))
	old := clock.Now().Add(-60 * 24 * time.Hour)
	in := sale("backdated", "customer_123", "10")
	in.CreatedAt = &old
	tx, err := eng.CreateTransaction(context.Background(), in)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
}

func TestPeriodsAreValidatedAtNew(t *testing.T) {
	bad := commission.Percent(dec("40")).For(commission.Months(3)).Then(
		commission.Percent(dec("30")).For(commission.Times(2)).Then(
			commission.Percent(dec("20")).Then(commission.Percent(dec("10")))))
	p := periodProgram(bad)
	p.Rules.Products = []commission.ProductRule{{ProductID: "x", Commission: commission.Flat(dec("1")).For(commission.Period{Days: 1, Months: 1})}}
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.default.then.for", "rules.default.then.then.then", "rules.products[0].commission.for")
}

// Whatever the sales and refunds, a customer never has more rewarded,
// not-deleted sales than a "first N times" commission allows.
func TestPropTimesNeverPaysPastItsLimit(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(rt, "times")
		eng, clock := newEngine(t, periodProgram(commission.Percent(dec("10")).For(commission.Times(n))))
		affiliateSetup(t, eng)
		var keys []string
		for i := range rapid.IntRange(1, 20).Draw(rt, "steps") {
			if len(keys) > 0 && rapid.IntRange(0, 3).Draw(rt, "delete") == 0 {
				eng.DeleteTransaction(ctx, rapid.SampledFrom(keys).Draw(rt, "key")) // may be deleted already
				continue
			}
			k := fmt.Sprintf("s%d", i)
			var err error
			if rapid.Bool().Draw(rt, "bulk") {
				_, err = eng.CreateTransactions(ctx, []commission.TransactionInput{sale(k, "customer_123", "10"), sale(k+"b", "customer_123", "10")})
				keys = append(keys, k+"b")
			} else {
				_, err = eng.CreateTransaction(ctx, sale(k, "customer_123", "10"))
			}
			require.NoError(rt, err)
			keys = append(keys, k)
			clock.Advance(time.Minute)
		}
		page, err := eng.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
		require.NoError(rt, err)
		rewarded := 0
		for _, tx := range page.Transactions {
			rewarded += len(tx.Rewards)
		}
		require.LessOrEqual(rt, rewarded, n)
	})
}
