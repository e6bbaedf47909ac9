package commission_test

import (
	"context"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

func TestMakeRewardable(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Caps.Partner = []commission.SpendLimit{{Period: commission.CapAllTime, Amount: dec("40")}}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)

	no := false
	in := sale("held", "customer_123", "100")
	in.Rewardable = &no
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	tx, err = eng.MakeRewardable(ctx, "held")
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	requireDecimal(t, "30", tx.Rewards[0].Amount)
	require.True(t, tx.Rewardable)
	got, err := eng.Transaction(ctx, "held")
	require.NoError(t, err)
	require.Len(t, got.Rewards, 1, "stored")
	require.True(t, got.Qualified)
	_, err = eng.MakeRewardable(ctx, "held")
	require.ErrorIs(t, err, commission.ErrRewarded)

	// The spend limit counts it: 10 left of 40.
	tx, err = eng.CreateTransaction(ctx, sale("next", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "10", tx.Rewards[0].Amount)

	// A rejected self-referral: the rejected reward stays, a new one pays.
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "self", Email: "me@example.com"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "me", Email: "me@example.com", Partner: &commission.PartnerRef{Key: "self"}})
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("selfie", "me", "10"))
	require.NoError(t, err)
	require.Equal(t, commission.ReasonSelfReferral, tx.Rewards[0].Reason)
	tx, err = eng.MakeRewardable(ctx, "selfie")
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	require.Equal(t, commission.RewardRejected, tx.Rewards[0].Status)
	require.Equal(t, commission.RewardOK, tx.Rewards[1].Status)
	requireDecimal(t, "3", tx.Rewards[1].Amount)

	imported := sale("imported", "customer_123", "100")
	imported.Rewarded = true
	_, err = eng.CreateTransaction(ctx, imported)
	require.NoError(t, err)
	_, err = eng.MakeRewardable(ctx, "imported")
	require.ErrorIs(t, err, commission.ErrRewarded)

	in = sale("gone", "customer_123", "100")
	in.Rewardable = &no
	_, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.NoError(t, eng.ArchiveTransaction(ctx, "gone"))
	_, err = eng.MakeRewardable(ctx, "gone")
	require.ErrorIs(t, err, commission.ErrAlreadyArchived)
	require.NoError(t, eng.DeleteTransaction(ctx, "gone"))
	_, err = eng.MakeRewardable(ctx, "gone")
	require.ErrorIs(t, err, commission.ErrNotFound)
}

// A reward rejected in review by RejectReward is a decision on that
// reward: MakeRewardable does not override it, and the sale is counted
// once towards the partner's metrics, not again.
func TestMakeRewardableLeavesManualRejections(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.ReviewPeriod = 30 * 24 * time.Hour
	p.Rules.Goals = []commission.Goal{{ID: "g", Metric: commission.MetricRevenue, Target: dec("150"), Bonus: dec("7")}}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("s", "customer_123", "100"))
	require.NoError(t, err)
	require.NoError(t, eng.RejectReward(ctx, tx.Rewards[0].ID, "returned"))
	_, err = eng.MakeRewardable(ctx, "s")
	require.ErrorIs(t, err, commission.ErrRewarded)
	got, err := eng.Transaction(ctx, "s")
	require.NoError(t, err)
	require.Len(t, got.Rewards, 1)
	require.Equal(t, commission.RewardRejected, got.Rewards[0].Status)

	// Revenue is 100, not 200: a 40 sale does not reach 150; a 50 one does.
	tx, err = eng.CreateTransaction(ctx, sale("s2", "customer_123", "40"))
	require.NoError(t, err)
	require.Empty(t, bonuses(tx))
	tx, err = eng.CreateTransaction(ctx, sale("s3", "customer_123", "10"))
	require.NoError(t, err)
	require.Len(t, bonuses(tx), 1)
}
