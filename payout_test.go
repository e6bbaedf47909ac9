package commission_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// balance reads a partner's balance in the program currency, and checks
// that its places add up to its payable.
func balance(t *testing.T, eng *commission.Engine, partnerKey string) *commission.Balance {
	t.Helper()
	b, err := eng.Balance(context.Background(), commission.Beneficiary{Key: partnerKey}, "")
	require.NoError(t, err)
	requireDecimal(t, b.NotPaid.Sub(b.Clawback).String(), b.Payable)
	return b
}

func payoutTo(partnerKey string) commission.PayoutInput {
	return commission.PayoutInput{Beneficiary: commission.Beneficiary{Key: partnerKey}}
}

// A paid 30.00 refunded in full is a clawback: the balance is -30.00; a
// 20.00 sale leaves -10.00 and a payout is refused; a further 50.00 makes
// a payout of 40.00, which nets the clawback.
func TestClawbackNettedByNextPayout(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "20"))
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "150"))
	require.NoError(t, err)
	po, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.NoError(t, err)
	requireDecimal(t, "30", po.Amount)
	requireDecimal(t, "30", balance(t, eng, "partner_123").InPayout)
	po, err = eng.MarkPayoutPaid(ctx, po.ID, "wire-1")
	require.NoError(t, err)
	require.Equal(t, commission.PayoutPaid, po.State)

	ref, err := eng.RefundTransaction(ctx, "t1", refundAmount("r1", "150"))
	require.NoError(t, err)
	require.True(t, ref.Entries[0].Adjustment, "the reward was paid: the entry is a clawback")
	b := balance(t, eng, "partner_123")
	requireDecimal(t, "30", b.Paid, "the payout is never edited")
	requireDecimal(t, "30", b.Clawback)
	requireDecimal(t, "-30", b.Payable)

	_, err = eng.CreateTransaction(ctx, sale("t2", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "-10", balance(t, eng, "partner_123").Payable)
	_, err = eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.ErrorIs(t, err, commission.ErrBelowThreshold)

	_, err = eng.CreateTransaction(ctx, sale("t3", "customer_123", "250"))
	require.NoError(t, err)
	po, err = eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.NoError(t, err)
	requireDecimal(t, "40", po.Amount)
	require.Len(t, po.RewardIDs, 2)
	require.Len(t, po.EntryIDs, 1)
	b = balance(t, eng, "partner_123")
	requireDecimal(t, "0", b.Clawback)
	requireDecimal(t, "0", b.Payable)
	requireDecimal(t, "40", b.InPayout)
}

// Marking paid needs a reference and is idempotent with it; a paid
// payout cannot be canceled, nor a canceled one paid.
func TestPayoutSettlement(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "10"))
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
	require.NoError(t, err)
	po, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.NoError(t, err)

	_, err = eng.MarkPayoutPaid(ctx, po.ID, "")
	requireFields(t, err, "reference")
	paid, err := eng.MarkPayoutPaid(ctx, po.ID, "wire-1")
	require.NoError(t, err)
	require.NotNil(t, paid.PaidAt)
	again, err := eng.MarkPayoutPaid(ctx, po.ID, "wire-1")
	require.NoError(t, err)
	require.Equal(t, paid, again)
	_, err = eng.MarkPayoutPaid(ctx, po.ID, "wire-2")
	require.ErrorIs(t, err, commission.ErrPayoutSettled)
	_, err = eng.CancelPayout(ctx, po.ID)
	require.ErrorIs(t, err, commission.ErrPayoutSettled)
	r, err := eng.Reward(ctx, tx.Rewards[0].ID)
	require.NoError(t, err)
	require.Equal(t, commission.RewardPaid, r.Status)
	require.Equal(t, po.ID, r.PayoutID)
	b := balance(t, eng, "partner_123")
	requireDecimal(t, "10", b.Paid)
	requireDecimal(t, "0", b.InPayout)

	_, err = eng.MarkPayoutPaid(ctx, "nope", "x")
	require.ErrorIs(t, err, commission.ErrNotFound)

	out, err := json.Marshal(paid)
	require.NoError(t, err)
	require.Contains(t, string(out), `"amount":10,`)
	require.Contains(t, string(out), `"reference":"wire-1"`)
}

// Canceling a payout releases its rewards, with what was reversed of them
// while it was pending netted in place, and the clawbacks it netted.
func TestCancelPayoutReleases(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "10"))
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
	require.NoError(t, err)
	first, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.NoError(t, err)
	_, err = eng.MarkPayoutPaid(ctx, first.ID, "wire-1")
	require.NoError(t, err)
	_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r1", "30")) // a clawback of 3
	require.NoError(t, err)
	_, err = eng.CreateTransaction(ctx, sale("t2", "customer_123", "200"))
	require.NoError(t, err)

	po, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.NoError(t, err)
	requireDecimal(t, "17", po.Amount, "20 earned less the clawback of 3")
	// Refunded while pending: the payout is not edited; its in_payout
	// shows what it will pay net of what was reversed since.
	_, err = eng.RefundTransaction(ctx, "t2", refundAmount("r2", "50"))
	require.NoError(t, err)
	b := balance(t, eng, "partner_123")
	requireDecimal(t, "12", b.InPayout)
	requireDecimal(t, "0", b.Clawback)

	canceled, err := eng.CancelPayout(ctx, po.ID)
	require.NoError(t, err)
	require.Equal(t, commission.PayoutCanceled, canceled.State)
	b = balance(t, eng, "partner_123")
	requireDecimal(t, "0", b.InPayout)
	requireDecimal(t, "15", b.NotPaid, "t2's reward pays 15 now")
	requireDecimal(t, "3", b.Clawback, "the clawback is open again")
	requireDecimal(t, "12", b.Payable)

	again, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.NoError(t, err)
	requireDecimal(t, "12", again.Amount)
}

// A refund of a reward in a pending payout becomes a clawback once the
// payout is paid.
func TestRefundWhilePendingThenPaid(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "10"))
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
	require.NoError(t, err)
	po, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.NoError(t, err)
	_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r1", "100"))
	require.NoError(t, err)
	_, err = eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.ErrorIs(t, err, commission.ErrBelowThreshold, "the clawback waits for its payout")
	_, err = eng.MarkPayoutPaid(ctx, po.ID, "wire-1")
	require.NoError(t, err)
	b := balance(t, eng, "partner_123")
	requireDecimal(t, "10", b.Paid)
	requireDecimal(t, "10", b.Clawback)
	requireDecimal(t, "-10", b.Payable)
	requireDecimal(t, "0", b.InPayout)
}

// Thresholds: the program's minimum, a partner's own, and a number of
// paying customers referred.
func TestPayoutThresholds(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Payouts = commission.PayoutRules{Minimum: dec("50"), MinCustomers: 2}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "600"))
	require.NoError(t, err)
	_, err = eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.ErrorIs(t, err, commission.ErrBelowThreshold, "one paying customer of two")
	require.ErrorContains(t, err, "1 paying customers referred, 2 required")

	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c2", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	_, err = eng.CreateTransaction(ctx, sale("t2", "c2", "100"))
	require.NoError(t, err)
	_, err = eng.SetPartnerPayoutMinimum(ctx, commission.PartnerRef{Key: "partner_123"}, decp("100"))
	require.NoError(t, err)
	_, err = eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.ErrorIs(t, err, commission.ErrBelowThreshold, "70 is below the partner's own 100")
	_, err = eng.SetPartnerPayoutMinimum(ctx, commission.PartnerRef{Key: "partner_123"}, nil)
	require.NoError(t, err)
	po, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.NoError(t, err)
	requireDecimal(t, "70", po.Amount)
}

// A payout of chosen rewards pays those only; a reward in review, or
// chosen twice, is not payable.
func TestPayoutOfChosenRewards(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.ReviewPeriod = 24 * time.Hour
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	var ids []string
	for _, key := range []string{"t1", "t2", "t3"} {
		tx, err := eng.CreateTransaction(ctx, sale(key, "customer_123", "100"))
		require.NoError(t, err)
		ids = append(ids, tx.Rewards[0].ID)
	}
	b := balance(t, eng, "partner_123")
	requireDecimal(t, "30", b.Pending)
	requireDecimal(t, "0", b.NotPaid)
	in := payoutTo("partner_123")
	in.RewardIDs = []string{ids[0]}
	_, err := eng.CreatePayout(ctx, in)
	requireFields(t, err, "rewards[0]")

	clock.Advance(24 * time.Hour)
	in.RewardIDs = []string{ids[2], ids[0], ids[2]}
	_, err = eng.CreatePayout(ctx, in)
	requireFields(t, err, "rewards[2]")
	in.RewardIDs = []string{ids[2], ids[0]}
	po, err := eng.CreatePayout(ctx, in)
	require.NoError(t, err)
	require.Equal(t, []string{ids[2], ids[0]}, po.RewardIDs)
	requireDecimal(t, "20", po.Amount)
	b = balance(t, eng, "partner_123")
	requireDecimal(t, "0", b.Pending)
	requireDecimal(t, "10", b.NotPaid)
	requireDecimal(t, "20", b.InPayout)
}

// Payout rules, a partner's payout minimum and a payout's body are
// validated, each bad field named.
func TestPayoutSettingsValidated(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Payouts = commission.PayoutRules{Minimum: dec("-1"), MinCustomers: -2}
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.payouts.minimum", "rules.payouts.min_customers")

	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "10"))
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p", PayoutMinimum: decp("-5")})
	requireFields(t, err, "payout_minimum")
	_, err = eng.CreatePayout(ctx, commission.PayoutInput{Units: "nope", RewardIDs: []string{"r1", ""}})
	requireFields(t, err, "beneficiary.id", "amount_units", "rewards[1]")
	_, err = eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: commission.Beneficiary{Key: "nobody"}})
	require.ErrorIs(t, err, commission.ErrNotFound)
}
