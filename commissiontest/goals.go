package commissiontest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

func checkGoals(v *View) error {
	paid := map[string]bool{} // earner, goal, threshold
	for _, r := range v.Rewards() {
		ex := r.Explanation
		if ex.Match != commission.MatchGoal || ex.Threshold == nil {
			continue
		}
		i := slices.IndexFunc(v.Program.Rules.Goals, func(g commission.Goal) bool { return g.ID == ex.Rule })
		if i < 0 {
			return fmt.Errorf("reward %s is the bonus of goal %q, which the program does not have", r.ID, ex.Rule)
		}
		g := v.Program.Rules.Goals[i]
		for n := range max(ex.Thresholds, 1) {
			threshold := ex.Threshold.Sub(g.Target.Mul(decimal.NewFromInt(int64(n))))
			k := EarnerKey(r) + " " + g.ID + " " + threshold.String()
			if paid[k] || (!g.Every && len(paid) > 0 && paidGoal(paid, EarnerKey(r), g.ID)) {
				return fmt.Errorf("goal %s's threshold %s paid %s twice (reward %s of sale %s the second)", g.ID, threshold, EarnerKey(r), r.ID, r.TransactionKey)
			}
			paid[k] = true
		}
	}
	return nil
}

// paidGoal reports whether a threshold of goal was paid to earner.
func paidGoal(paid map[string]bool, earner, goal string) bool {
	prefix := earner + " " + goal + " "
	for k := range paid {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
