package sqlstore_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// goalBonuses sums the thresholds paid by goal bonuses over a program's
// transactions, and returns the metric value each bonus saw.
func goalBonuses(t *testing.T, eng *commission.Engine) (paid int, bases []decimal.Decimal) {
	t.Helper()
	page, err := eng.Transactions(context.Background(), commission.ListOptions{Limit: commission.MaxLimit})
	require.NoError(t, err)
	for _, tx := range page.Transactions {
		for _, r := range tx.Rewards {
			if r.Explanation.Match == "goal" {
				paid += r.Explanation.Thresholds
				bases = append(bases, r.Explanation.Base)
			}
		}
	}
	return paid, bases
}

// Eight engines on separate pools sell for one partner at once under a
// goal paying at every 100.00 of revenue: each threshold is paid exactly
// once, and no two bonuses saw the same revenue.
func TestGoalUnderConcurrency(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		db := newDatabase(t, d)
		program := commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
			Default: commission.Percent(decimal.RequireFromString("10")),
			Goals: []commission.Goal{{ID: "every100", Metric: commission.MetricRevenue, Target: decimal.RequireFromString("100"),
				Every: true, Bonus: decimal.RequireFromString("1")}},
		}}
		engines := enginesFor(t, db, program, 8)
		sellAtOnce(t, engines, 10, "30") // 2,400.00 of revenue: 24 thresholds
		paid, bases := goalBonuses(t, engines[0])
		require.Equal(t, 24, paid)
		for i := range bases {
			for j := range i {
				require.Falsef(t, bases[i].Equal(bases[j]), "two bonuses at revenue %s", bases[i])
			}
		}
	})
}

// Customers created at once by eight engines for one partner cross a
// signups goal once.
func TestSignupGoalUnderConcurrency(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := newDatabase(t, d)
		program := commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
			Default: commission.Percent(decimal.RequireFromString("10")),
			Goals: []commission.Goal{{ID: "ten", Metric: commission.MetricSignups, Target: decimal.RequireFromString("10"),
				Bonus: decimal.RequireFromString("50")}},
		}}
		engines := enginesFor(t, db, program, 8) // creates one customer
		var wg sync.WaitGroup
		for i, eng := range engines {
			wg.Go(func() {
				for j := range 3 {
					_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i) + "-" + strconv.Itoa(j),
						Partner: &commission.PartnerRef{Key: "partner"}})
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		paid, bases := goalBonuses(t, engines[0])
		require.Equal(t, 1, paid, "25 signups cross 10 once")
		require.True(t, bases[0].Equal(decimal.NewFromInt(10)), "paid at the 10th signup, not %s", bases[0])
	})
}
