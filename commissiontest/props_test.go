package commissiontest_test

// The properties a user states of its program, as the planted-bug tests
// use them. This file is self-contained: the regression-test test copies
// it beside the printed test, which names them by their Expr.

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/commissiontest"
)

// levelNotAboveSeller: on every sale, no level reward pays more than the
// seller's own rewards.
var levelNotAboveSeller = commissiontest.Property{
	Name: "level rewards never exceed the seller's reward on the same sale",
	Expr: "levelNotAboveSeller",
	Check: func(v *commissiontest.View) error {
		for _, tx := range v.Step.Txs {
			seller := decimal.Zero
			for _, r := range tx.Rewards {
				if r.Explanation.Level == 0 && r.PartnerKey == tx.PartnerKey {
					seller = seller.Add(r.Amount)
				}
			}
			for _, r := range tx.Rewards {
				if r.Explanation.Level > 0 && r.Amount.GreaterThan(seller) {
					return fmt.Errorf("sale %s: level %d pays %s %s, its seller %s only %s",
						tx.Key, r.Explanation.Level, r.PartnerKey, r.Amount, tx.PartnerKey, seller)
				}
			}
		}
		return nil
	},
}

// monthlyLimit: a partner never earns more than 1,000.00 USD in a month.
var monthlyLimit = commissiontest.Property{
	Name: "a partner never earns more than 1,000.00 a month",
	Expr: "monthlyLimit",
	Check: func(v *commissiontest.View) error {
		limit := decimal.NewFromInt(1000)
		for _, tx := range v.Step.Txs {
			for _, r := range tx.Rewards {
				if earned := v.EarnedIn(r.PartnerKey, "USD", r.CreatedAt); earned.GreaterThan(limit) {
					return fmt.Errorf("%s earned %s USD in %s", r.PartnerKey, earned, r.CreatedAt.Format("2006-01"))
				}
			}
		}
		return nil
	},
}

// rateNeverDrops: a sale made when its partner's revenue is higher never
// earns a lower rate than one made when it was lower.
var rateNeverDrops = commissiontest.Property{
	Name: "a partner's reward rate never drops as its revenue grows",
	Expr: "rateNeverDrops",
	Check: func(v *commissiontest.View) error {
		for _, tx := range v.Step.Txs {
			rate, ok := baseRate(tx)
			revenue, _ := v.RevenueBefore(tx.Key)
			for _, u := range v.Transactions() {
				before, _ := v.RevenueBefore(u.Key)
				earlier, has := baseRate(u)
				if ok && has && u.Key != tx.Key && u.PartnerKey == tx.PartnerKey && before.LessThanOrEqual(revenue) && earlier.GreaterThan(rate) {
					return fmt.Errorf("%s's sale %s at revenue %s earns %s%%, its sale %s at revenue %s earned %s%%",
						tx.PartnerKey, tx.Key, revenue, rate, u.Key, before, earlier)
				}
			}
		}
		return nil
	},
}

// baseRate is the percent the seller's first base reward of tx was paid
// at, if it is a percent of a tier or the default.
func baseRate(tx *commission.Transaction) (decimal.Decimal, bool) {
	for _, r := range tx.Rewards {
		ex := r.Explanation
		if (ex.Match == commission.MatchTier || ex.Match == commission.MatchDefault) && ex.Type == commission.PercentCommission {
			return ex.Value, true
		}
	}
	return decimal.Zero, false
}
