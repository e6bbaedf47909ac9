package commissiontest

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

func checkCaps(v *View) error {
	caps := v.Program.Rules.Caps
	spent := map[string]decimal.Decimal{} // earner, period, bucket
	for _, r := range v.Rewards() {
		if r.AmountUnits != v.Program.Currency {
			continue
		}
		if r.Status == commission.RewardRejected {
			continue // pays nothing: fraud rejects rewards before the caps
		}
		if caps.PerReward != nil && r.Amount.GreaterThan(*caps.PerReward) {
			return fmt.Errorf("reward %s of sale %s pays %s, above the cap per reward of %s", r.ID, r.TransactionKey, r.Amount, caps.PerReward)
		}
		for _, l := range caps.Partner {
			k := EarnerKey(r) + " " + string(l.Period) + " " + bucket(l.Period, r)
			spent[k] = spent[k].Add(r.Amount.Sub(r.Reversed))
			if spent[k].GreaterThan(l.Amount) {
				return fmt.Errorf("%s's rewards in %s pay %s in the %s of %s (reward %s of sale %s the last), above the limit of %s",
					EarnerKey(r), r.AmountUnits, spent[k], l.Period, bucket(l.Period, r), r.ID, r.TransactionKey, l.Amount)
			}
		}
	}
	return nil
}

// bucket names the period of a spend limit that holds r's creation.
func bucket(period commission.CapPeriod, r *commission.Reward) string {
	at := r.CreatedAt.UTC()
	switch period {
	case commission.CapDay:
		return at.Format("2006-01-02")
	case commission.CapWeek:
		y, w := at.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case commission.CapMonth:
		return at.Format("2006-01")
	}
	return "all time"
}
