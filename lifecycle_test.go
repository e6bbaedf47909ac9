package commission_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

func TestDeleteArchiveRestore(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.NoError(t, err)
	clock.Advance(time.Minute)

	require.NoError(t, eng.ArchiveTransaction(ctx, "t1"))
	require.ErrorIs(t, eng.ArchiveTransaction(ctx, "t1"), commission.ErrAlreadyArchived)
	archived, err := eng.Transaction(ctx, "t1")
	require.NoError(t, err, "an archived transaction is still found")
	require.Equal(t, commission.TransactionArchived, archived.State)
	require.NotNil(t, archived.DeletedAt)
	require.NotNil(t, archived.Rewards[0].DeletedAt, "archiving reverses the rewards")
	out, err := json.Marshal(archived)
	require.NoError(t, err)
	require.Contains(t, string(out), `"deleted_at":"2025-05-07T05:33:48.000000Z"`)

	require.NoError(t, eng.RestoreTransaction(ctx, "t1"))
	require.ErrorIs(t, eng.RestoreTransaction(ctx, "t1"), commission.ErrNotArchived)
	restored, err := eng.Transaction(ctx, "t1")
	require.NoError(t, err)
	require.Nil(t, restored.DeletedAt)
	require.Nil(t, restored.Rewards[0].DeletedAt)
	require.Equal(t, tx.Rewards[0].ID, restored.Rewards[0].ID)
	requireDecimal(t, "3", restored.Rewards[0].Amount)

	require.NoError(t, eng.DeleteTransaction(ctx, "t1"))
	deleted, err := eng.Transaction(ctx, "t1")
	require.NoError(t, err, "a deleted transaction stays readable, for audit")
	require.Equal(t, commission.TransactionDeleted, deleted.State)
	require.NotNil(t, deleted.DeletedAt)
	require.NotNil(t, deleted.Rewards[0].DeletedAt)
	// A retried delete, whose first attempt committed, is told apart from
	// a key never used.
	require.ErrorIs(t, eng.DeleteTransaction(ctx, "t1"), commission.ErrAlreadyDeleted)
	require.NotErrorIs(t, eng.DeleteTransaction(ctx, "t1"), commission.ErrNotFound)
	require.ErrorIs(t, eng.ArchiveTransaction(ctx, "t1"), commission.ErrAlreadyDeleted)
	require.ErrorIs(t, eng.RestoreTransaction(ctx, "t1"), commission.ErrAlreadyDeleted)
	r, err := eng.Reward(ctx, tx.Rewards[0].ID)
	require.NoError(t, err, "the reversal is kept for audit")
	require.NotNil(t, r.DeletedAt)

	require.ErrorIs(t, eng.DeleteTransaction(ctx, "never"), commission.ErrNotFound)
	_, err = eng.Transaction(ctx, "never")
	require.ErrorIs(t, err, commission.ErrNotFound)
}

func TestReviewPeriodOverMovingClock(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.ReviewPeriod = 30 * 24 * time.Hour
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)

	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.NoError(t, err)
	id := tx.Rewards[0].ID
	require.Equal(t, commission.RewardInReview, tx.Rewards[0].Status)
	status := func() commission.RewardStatus {
		r, err := eng.Reward(ctx, id)
		require.NoError(t, err)
		got, err := eng.Transaction(ctx, "t1")
		require.NoError(t, err)
		require.Equal(t, r.Status, got.Rewards[0].Status, "every read agrees")
		return r.Status
	}
	clock.Advance(30*24*time.Hour - time.Second)
	require.Equal(t, commission.RewardInReview, status())
	clock.Advance(time.Second)
	require.Equal(t, commission.RewardOK, status(), "released on time, with no job")
	require.ErrorIs(t, eng.ApproveReward(ctx, id), commission.ErrNotInReview)

	// A sale backdated beyond the period is earned at once.
	old := clock.Now().Add(-31 * 24 * time.Hour)
	in := sale("t_old", "customer_123", "10")
	in.CreatedAt = &old
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Equal(t, commission.RewardOK, tx.Rewards[0].Status)

	// Approve releases early; reject holds a reason; neither works twice.
	tx, err = eng.CreateTransaction(ctx, sale("t2", "customer_123", "10"))
	require.NoError(t, err)
	require.NoError(t, eng.ApproveReward(ctx, tx.Rewards[0].ID))
	r, err := eng.Reward(ctx, tx.Rewards[0].ID)
	require.NoError(t, err)
	require.Equal(t, commission.RewardOK, r.Status)
	require.ErrorIs(t, eng.RejectReward(ctx, tx.Rewards[0].ID, "late"), commission.ErrNotInReview)

	tx, err = eng.CreateTransaction(ctx, sale("t3", "customer_123", "10"))
	require.NoError(t, err)
	require.NoError(t, eng.RejectReward(ctx, tx.Rewards[0].ID, "fraud"))
	clock.Advance(365 * 24 * time.Hour)
	r, err = eng.Reward(ctx, tx.Rewards[0].ID)
	require.NoError(t, err)
	require.Equal(t, commission.RewardRejected, r.Status, "a rejected reward stays rejected")
	require.Equal(t, "fraud", r.Reason)

	tx, err = eng.CreateTransaction(ctx, sale("t4", "customer_123", "10"))
	require.NoError(t, err)
	require.NoError(t, eng.DeleteTransaction(ctx, "t4"))
	require.ErrorIs(t, eng.ApproveReward(ctx, tx.Rewards[0].ID), commission.ErrNotInReview, "a reversed reward")
	require.ErrorIs(t, eng.ApproveReward(ctx, "no_such_reward"), commission.ErrNotFound)
}

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
	require.ErrorIs(t, err, commission.ErrAlreadyDeleted)
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

// A sale made rewardable that earns 0 keeps no reward, but counts as its
// customer's rewarded sale, as it would have when recorded: under "the
// first sale only", the next sale earns nothing.
func TestMakeRewardableEarningNothing(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Default = commission.Percent(dec("30")).For(commission.Times(1))
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	held := sale("zero", "customer_123", "0")
	held.Rewardable = new(bool)
	_, err := eng.CreateTransaction(ctx, held)
	require.NoError(t, err)
	tx, err := eng.MakeRewardable(ctx, "zero")
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	require.True(t, tx.Qualified)
	stored, err := eng.Transaction(ctx, "zero")
	require.NoError(t, err)
	require.True(t, stored.Qualified, "as stored")
	require.True(t, stored.Rewardable)
	next, err := eng.CreateTransaction(ctx, sale("next", "customer_123", "100"))
	require.NoError(t, err)
	require.Empty(t, next.Rewards, "the customer's one rewarded sale was the first")
}

// A restore gives back what its archive took, and nothing more: not what
// an earlier archive took of a reward refunded since, nor anything of a
// reward rejected since.
func TestRestoreGivesBackOnlyWhatItsArchiveTook(t *testing.T) {
	ctx := context.Background()
	archiveRestore := func(eng *commission.Engine) {
		t.Helper()
		require.NoError(t, eng.ArchiveTransaction(ctx, "t1"))
		require.NoError(t, eng.RestoreTransaction(ctx, "t1"))
	}
	t.Run("refunded in full since", func(t *testing.T) {
		eng, _ := newEngine(t, percentProgram(commission.Affiliate, "10"))
		affiliateSetup(t, eng)
		tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
		require.NoError(t, err)
		archiveRestore(eng)
		_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r1", "100"))
		require.NoError(t, err)
		archiveRestore(eng)
		requireDecimal(t, "0", rewardNet(t, eng, tx.Rewards[0].ID))
		requireDecimal(t, "0", balance(t, eng, "partner_123").Payable)
		_, err = eng.CreatePayout(ctx, payoutTo("partner_123"))
		require.ErrorIs(t, err, commission.ErrBelowThreshold)
	})
	t.Run("rejected since", func(t *testing.T) {
		p := percentProgram(commission.Affiliate, "10")
		p.Rules.ReviewPeriod = 24 * time.Hour
		eng, _ := newEngine(t, p)
		affiliateSetup(t, eng)
		tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
		require.NoError(t, err)
		archiveRestore(eng)
		require.NoError(t, eng.RejectReward(ctx, tx.Rewards[0].ID, "fraud"))
		archiveRestore(eng)
		r, err := eng.Reward(ctx, tx.Rewards[0].ID)
		require.NoError(t, err)
		requireDecimal(t, "0", r.Reversed)
		b := balance(t, eng, "partner_123")
		requireDecimal(t, "0", b.Pending)
		requireDecimal(t, "0", b.Payable)
	})
}
