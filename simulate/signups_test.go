package simulate_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/simulate"
)

// A signup the candidate rules reward and the stored rules did not (the
// store has no transaction of it) is reported against a stored one
// without rewards, when its customer was created within the range.
func TestRunReportsSignupsOnlyTheCandidateRewards(t *testing.T) {
	store, eng, _ := fixture(t)
	candidate := commission.RuleSet{Default: pct("10"), Goals: []commission.Goal{
		{ID: "first-signup", Metric: commission.MetricSignups, Target: decimal.NewFromInt(1), Bonus: decimal.NewFromInt(5)}}}
	signups := map[string]*commission.Transaction{}
	rep, err := simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: candidate,
		Each: func(stored, simulated *commission.Transaction) error {
			if stored.Action == commission.TriggerSignup {
				require.Empty(t, stored.Rewards)
				require.Equal(t, stored.Key, simulated.Key)
				signups[stored.CustomerKey] = simulated
			}
			return nil
		}})
	require.NoError(t, err)
	// c0 is partner a's first signup, c2 partner b's; c1 is a's second.
	require.Len(t, signups, 2)
	for customer, partner := range map[string]string{"c0": "a", "c2": "b"} {
		c, err := eng.Customer(ctx, commission.CustomerRef{Key: customer})
		require.NoError(t, err)
		require.Equal(t, commission.SignupKey(c.ID), signups[customer].Key)
		require.Len(t, signups[customer].Rewards, 1)
		require.Equal(t, partner, signups[customer].Rewards[0].PartnerKey)
	}
	require.EqualValues(t, 30, rep.Replayed)
	require.EqualValues(t, 32, rep.Sales)
	for _, tot := range rep.Totals {
		require.Truef(t, tot.Difference.Equal(decimal.NewFromInt(5)), "%s: %s", tot.Beneficiary.Key, tot.Difference)
	}

	// The customers were created before the range.
	rep, err = simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: candidate,
		From: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	require.EqualValues(t, 30, rep.Sales)
	require.Empty(t, rep.Changes)
}
