package commission_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// bonuses returns the goal bonuses among a transaction's rewards.
func bonuses(tx *commission.Transaction) []commission.Reward {
	var out []commission.Reward
	for _, r := range tx.Rewards {
		if r.Explanation.Match == commission.MatchGoal {
			out = append(out, r)
		}
	}
	return out
}

// A goal on customers pays once, on the sale that reaches it, on top of
// the sale's reward; reversing that sale reverses the bonus and the
// threshold does not pay again.
func TestGoalPaysOnce(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Goals = []commission.Goal{{ID: "three", Metric: commission.MetricCustomers, Target: dec("3"), Bonus: dec("50")}}
	eng, _ := newEngine(t, p)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	newCustomers(t, eng, "p", 0, 6)
	for i := range 2 {
		tx, err := eng.CreateTransaction(ctx, sale("s"+strconv.Itoa(i), "c"+strconv.Itoa(i), "10"))
		require.NoError(t, err)
		require.Empty(t, bonuses(tx))
	}
	tx, err := eng.CreateTransaction(ctx, sale("again", "c0", "10"))
	require.NoError(t, err)
	require.Empty(t, bonuses(tx), "a customer's second sale is not a new customer")
	tx, err = eng.CreateTransaction(ctx, sale("s2", "c2", "10"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	b := bonuses(tx)
	require.Len(t, b, 1)
	requireDecimal(t, "50", b[0].Amount)
	require.Equal(t, "p", b[0].PartnerKey)
	require.Equal(t, "three", b[0].Explanation.Rule)
	requireDecimal(t, "3", *b[0].Explanation.Threshold)
	requireDecimal(t, "3", b[0].Explanation.Base)
	require.Equal(t, 1, b[0].Explanation.Thresholds)

	tx, err = eng.CreateTransaction(ctx, sale("s3", "c3", "10"))
	require.NoError(t, err)
	require.Empty(t, bonuses(tx), "a goal without every pays once")
	require.NoError(t, eng.DeleteTransaction(ctx, "s2"))
	r, err := eng.Reward(ctx, b[0].ID)
	require.NoError(t, err)
	require.NotNil(t, r.DeletedAt, "the bonus is reversed with its sale")
	require.NoError(t, eng.DeleteTransaction(ctx, "s3"))
	for _, k := range []string{"s4", "s5"} {
		tx, err = eng.CreateTransaction(ctx, sale(k, "c"+k[1:], "10"))
		require.NoError(t, err)
		require.Empty(t, bonuses(tx), "the threshold paid once, ever")
	}
}

// A recurring goal pays at each multiple; a sale that crosses several at
// once pays them in one reward. Until ends it.
func TestGoalRecurringRevenue(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	until := t0.Add(48 * time.Hour)
	p.Rules.Goals = []commission.Goal{{ID: "every100", Metric: commission.MetricRevenue, Target: dec("100"), Every: true, Bonus: dec("5"), Until: &until}}
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	steps := []struct {
		amount    string
		bonus     string // "" for none
		threshold string
		times     int
	}{
		{"99.99", "", "", 0}, {"0.01", "5", "100", 1}, {"50", "", "", 0}, {"260", "15", "400", 3}, {"40", "", "", 0}, {"50", "5", "500", 1},
	}
	for i, s := range steps {
		tx, err := eng.CreateTransaction(ctx, sale("s"+strconv.Itoa(i), "customer_123", s.amount))
		require.NoError(t, err)
		b := bonuses(tx)
		if s.bonus == "" {
			require.Empty(t, b, i)
			continue
		}
		require.Len(t, b, 1, i)
		requireDecimal(t, s.bonus, b[0].Amount, i)
		requireDecimal(t, s.threshold, *b[0].Explanation.Threshold, i)
		require.Equal(t, s.times, b[0].Explanation.Thresholds, i)
	}
	clock.Advance(48 * time.Hour)
	tx, err := eng.CreateTransaction(ctx, sale("late", "customer_123", "100"))
	require.NoError(t, err)
	require.Empty(t, bonuses(tx), "the goal has ended")
	// A sale backdated to before the end pays what is unpaid up to the
	// revenue it makes: 600, which the late sale reached, and 700.
	before := t0.Add(time.Hour)
	in := sale("backdated", "customer_123", "100")
	in.CreatedAt = &before
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Len(t, bonuses(tx), 1)
	requireDecimal(t, "700", *bonuses(tx)[0].Explanation.Threshold)
	requireDecimal(t, "10", bonuses(tx)[0].Amount)
}

// A threshold passed while the partner is archived, or by a sale rewarded
// elsewhere, is passed, not owed: its bonus is not paid later, and the
// next threshold's is.
func TestGoalPassedWhileArchivedIsNotOwed(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Goals = []commission.Goal{{ID: "hundreds", Metric: commission.MetricRevenue, Target: dec("100"), Every: true, Bonus: dec("10")}}
	eng, _ := newEngine(t, p)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	newCustomers(t, eng, "p", 0, 1)
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "p"}, commission.PartnerArchived)
	require.NoError(t, err)
	// Rewarded elsewhere: it counts as a sale, and earns nothing here.
	in := sale("while_archived", "c0", "250")
	in.Rewarded = true
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "p"}, commission.PartnerActive)
	require.NoError(t, err)
	// An imported sale (rewarded elsewhere) passes a threshold, and
	// creates no reward here either.
	in = sale("imported", "c0", "60")
	in.Rewarded = true
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)

	tx, err = eng.CreateTransaction(ctx, sale("back", "c0", "100"))
	require.NoError(t, err)
	b := bonuses(tx)
	require.Len(t, b, 1)
	requireDecimal(t, "10", b[0].Amount)
	requireDecimal(t, "400", *b[0].Explanation.Threshold)
	requireDecimal(t, "410", b[0].Explanation.Base)
	require.Equal(t, 1, b[0].Explanation.Thresholds)
}

// A goal on signups pays when the customer is created, on a transaction
// with action "signup" that the engine records with it.
func TestGoalOnSignups(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.ReviewPeriod = 24 * time.Hour
	p.Rules.Goals = []commission.Goal{{ID: "two", Metric: commission.MetricSignups, Target: dec("2"), Every: true, Bonus: dec("20")}}
	eng, _ := newEngine(t, p)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	newCustomers(t, eng, "p", 0, 5)
	page, err := eng.Transactions(ctx, commission.ListOptions{})
	require.NoError(t, err)
	require.Len(t, page.Transactions, 2, "the 2nd and 4th signups paid")
	for i, tx := range page.Transactions {
		require.Equal(t, "signup", tx.Action)
		require.Equal(t, "c"+strconv.Itoa(3-2*i), tx.CustomerKey)
		requireDecimal(t, "0", tx.Amount)
		require.Len(t, tx.Rewards, 1)
		requireDecimal(t, "20", tx.Rewards[0].Amount)
		require.Equal(t, commission.RewardInReview, tx.Rewards[0].Status)
	}
	// A created signup is not a sale: the customer's first sale is.
	p.Rules.Default = commission.Percent(dec("10")).For(commission.Times(1))
	eng2, err := commission.New(memstoreNew(), p)
	require.NoError(t, err)
	_, err = eng2.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	newCustomers(t, eng2, "p", 0, 2)
	tx, err := eng2.CreateTransaction(ctx, sale("s", "c1", "10"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	requireDecimal(t, "1", tx.Rewards[0].Amount)
	// The engine's keys cannot be taken by callers.
	_, err = eng2.CreateTransaction(ctx, sale("signup:x", "c1", "10"))
	requireFields(t, err, "key")
}

func TestGoalValidation(t *testing.T) {
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Goals = []commission.Goal{
		{Metric: commission.MetricCustomers, Target: dec("0"), Bonus: dec("-1")},
		{ID: "a", Metric: commission.MetricFirstSale, Target: dec("1"), Bonus: dec("1"), Units: "POINTS"},
		{ID: "a", Metric: commission.MetricRevenue, Target: dec("1"), Bonus: dec("1")},
	}
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.goals[0].id", "rules.goals[0].target", "rules.goals[0].bonus",
		"rules.goals[1].metric", "rules.goals[1].units", "rules.goals[2].id")
}

// A goal bonus in one of the program's custom units is paid in that unit,
// with is_currency false, and neither currency rounding nor a cap of money
// touches it.
func TestGoalBonusInCustomUnits(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.CustomUnits = []string{"POINTS"}
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency}
	p.Rules.Caps = commission.Caps{PerReward: decp("5")}
	p.Rules.Goals = []commission.Goal{{ID: "two", Metric: commission.MetricCustomers, Target: dec("2"), Bonus: dec("100.125"), Units: "POINTS"}}
	eng, _ := newEngine(t, p)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	newCustomers(t, eng, "p", 0, 2)
	tx, err := eng.CreateTransaction(ctx, sale("s0", "c0", "30"))
	require.NoError(t, err)
	require.Empty(t, bonuses(tx))
	tx, err = eng.CreateTransaction(ctx, sale("s1", "c1", "30"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)

	base := tx.Rewards[0]
	require.Equal(t, "USD", base.AmountUnits)
	require.True(t, base.IsCurrency)
	requireDecimal(t, "3", base.Amount)

	b := bonuses(tx)
	require.Len(t, b, 1)
	require.Equal(t, "POINTS", b[0].AmountUnits)
	require.False(t, b[0].IsCurrency)
	requireDecimal(t, "100.125", b[0].Amount, "no currency rounding, no per-reward cap")
	require.Empty(t, b[0].Explanation.Caps)
	require.Equal(t, "two", b[0].Explanation.Rule)
	require.Equal(t, "p", b[0].PartnerKey)

	stored, err := eng.Transaction(ctx, "s1")
	require.NoError(t, err)
	sb := bonuses(stored)
	require.Len(t, sb, 1)
	require.Equal(t, "POINTS", sb[0].AmountUnits)
	require.False(t, sb[0].IsCurrency)
	requireDecimal(t, "100.125", sb[0].Amount)
	out, err := json.Marshal(sb[0])
	require.NoError(t, err)
	requireJSONSubset(t, decodeJSON(t, []byte(`{"amount":100.125,"amount_units":"POINTS","is_currency":false}`)), decodeJSON(t, out), "bonus")
}
