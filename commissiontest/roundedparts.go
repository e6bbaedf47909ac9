package commissiontest

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

// groupKey is whom a reward pays, in what.
type groupKey struct{ partner, customer, units string }

func checkRounding(v *View) error {
	for _, t := range v.Transactions() {
		groups := map[groupKey][]*commission.Reward{}
		var order []groupKey
		for i := range t.Rewards {
			r := &t.Rewards[i]
			if r.Explanation.Exact == nil {
				continue // not rounded by the program
			}
			k := groupKey{r.PartnerID, r.RewardedCustomerID, r.AmountUnits}
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
		}
		for _, k := range order {
			if err := checkGroup(v, t, groups[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkGroup checks the rounded rewards one sale pays one earner in one
// unit.
func checkGroup(v *View, t *commission.Transaction, parts []*commission.Reward) error {
	exact, sum := decimal.Zero, decimal.Zero
	lines := map[int]bool{}
	for _, r := range parts {
		if len(r.Explanation.Caps) > 0 {
			return nil // a cap lowered it after the rounding
		}
		ro := roundingOf(r.Explanation.Rounding)
		floor := r.Explanation.Exact.RoundDown(ro.places)
		if r.Amount.LessThan(floor) || r.Amount.GreaterThan(floor.Add(decimal.New(1, -ro.places))) {
			return fmt.Errorf("sale %s: reward %s pays %s, not its exact %s rounded (%s) to the grid or one step above",
				t.Key, r.ID, r.Amount, r.Explanation.Exact, r.Explanation.Rounding)
		}
		exact, sum = exact.Add(*r.Explanation.Exact), sum.Add(r.Amount)
		lines[r.Line] = true
	}
	if !wholeGroup(v, t, lines) {
		return nil
	}
	if want := roundingOf(parts[0].Explanation.Rounding).round(exact); !sum.Equal(want) {
		return fmt.Errorf("sale %s: the %d rounded rewards of %s pay %s in all, but their exact sum %s rounds (%s) to %s",
			t.Key, len(parts), EarnerKey(parts[0]), sum, exact, parts[0].Explanation.Rounding, want)
	}
	return nil
}

// wholeGroup reports whether no part of a group can have been dropped
// for rounding to 0: a sale with lines has a reward of each line in it,
// a sale without has one reward of the whole sale (or the program pays a
// single referral reward).
func wholeGroup(v *View, t *commission.Transaction, lines map[int]bool) bool {
	if len(t.Products) == 0 {
		return len(v.Program.Rules.Referral) < 2
	}
	for i := 1; i <= len(t.Products); i++ {
		if !lines[i] {
			return false
		}
	}
	return true
}
