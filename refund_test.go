package commission_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func refundAmount(key, amount string) commission.RefundInput {
	return commission.RefundInput{Key: key, Amount: decp(amount)}
}

// rewardNet reads what a reward pays now: its amount less what was
// reversed of it.
func rewardNet(t *testing.T, eng *commission.Engine, id string) decimal.Decimal {
	t.Helper()
	r, err := eng.Reward(context.Background(), id)
	require.NoError(t, err)
	return r.Amount.Sub(r.Reversed)
}

// A 100.00 sale at 30% refunded 40.00 nets 18.00: one entry of -12.00,
// and the reward itself is unchanged.
func TestRefundPartial(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "100.00"))
	require.NoError(t, err)
	id := tx.Rewards[0].ID

	ref, err := eng.RefundTransaction(ctx, "t1", refundAmount("r1", "40.00"))
	require.NoError(t, err)
	require.Len(t, ref.Entries, 1)
	requireDecimal(t, "-12", ref.Entries[0].Amount)
	require.Equal(t, id, ref.Entries[0].RewardID)
	require.Equal(t, commission.EntryRefund, ref.Entries[0].Reason)
	require.False(t, ref.Entries[0].Adjustment)

	r, err := eng.Reward(ctx, id)
	require.NoError(t, err)
	requireDecimal(t, "30", r.Amount, "the reward row never changes")
	requireDecimal(t, "12", r.Reversed)
	requireDecimal(t, "18", rewardNet(t, eng, id))
	got, err := eng.Transaction(ctx, "t1")
	require.NoError(t, err)
	requireDecimal(t, "40", got.Refunded)

	b := balance(t, eng, "partner_123")
	requireDecimal(t, "18", b.NotPaid)
	requireDecimal(t, "18", b.Payable)

	out, err := json.Marshal(ref)
	require.NoError(t, err)
	require.Contains(t, string(out), `"amount":-12,`)
	require.Contains(t, string(out), `"amount":40,`)
}

// 99.99 at 30% rounded up to cents pays 30.00 (exact 29.997). Refunded in
// three parts of 33.33, each net is the rounded share of what is left,
// and the last leaves exactly 0.
func TestRefundInPartsNetsExactlyZero(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency, Mode: commission.Up}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "99.99"))
	require.NoError(t, err)
	id := tx.Rewards[0].ID
	requireDecimal(t, "30", tx.Rewards[0].Amount)

	// exact 29.997 × left / 99.99, rounded up to cents: 19.998 → 20.00,
	// 9.999 → 10.00, 0.
	for i, want := range []string{"20", "10", "0"} {
		_, err := eng.RefundTransaction(ctx, "t1", refundAmount("r"+strconv.Itoa(i), "33.33"))
		require.NoError(t, err, i)
		requireDecimal(t, want, rewardNet(t, eng, id), "after refund", i+1)
	}
	_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r4", "0.01"))
	requireFields(t, err, "amount")
	requireDecimal(t, "0", balance(t, eng, "partner_123").Payable)
}

// Every rounding mode nets a sale refunded in full, in any parts, to
// exactly 0.
func TestRefundFullNetsZeroInEveryMode(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []commission.RoundingMode{commission.HalfUp, commission.HalfEven, commission.Up, commission.Down} {
		p := percentProgram(commission.Affiliate, "33.3333")
		p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency, Mode: mode}
		eng, _ := newEngine(t, p)
		affiliateSetup(t, eng)
		tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "10.01"))
		require.NoError(t, err)
		for i, part := range []string{"3.33", "0.01", "4.44", "2.23"} {
			_, err := eng.RefundTransaction(ctx, "t1", refundAmount("r"+strconv.Itoa(i), part))
			require.NoError(t, err, mode)
		}
		requireDecimal(t, "0", rewardNet(t, eng, tx.Rewards[0].ID), mode)
	}
}

// A three-level sale refunded by half halves every level.
func TestRefundHalvesEveryLevel(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "20")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("10")), commission.Percent(dec("5"))}
	eng, _ := newEngine(t, p)
	for _, in := range []commission.PartnerInput{
		{Key: "up2"}, {Key: "up1", ReferringPartner: &commission.PartnerRef{Key: "up2"}},
		{Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "up1"}},
	} {
		_, err := eng.CreatePartner(ctx, in)
		require.NoError(t, err)
	}
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "buyer", Partner: &commission.PartnerRef{Key: "seller"}})
	require.NoError(t, err)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 3)

	ref, err := eng.RefundTransaction(ctx, "t1", refundAmount("half", "50.00"))
	require.NoError(t, err)
	require.Len(t, ref.Entries, 3)
	for i, want := range []string{"10", "5", "2.5"} {
		requireDecimal(t, want, rewardNet(t, eng, tx.Rewards[i].ID), tx.Rewards[i].PartnerKey)
		requireDecimal(t, want, balance(t, eng, tx.Rewards[i].PartnerKey).NotPaid, tx.Rewards[i].PartnerKey)
	}
}

// Refunding one line of a multi-product sale reverses that line's reward
// only; a sale refunded by line is refunded by line after.
func TestRefundOneLine(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "10"))
	affiliateSetup(t, eng)
	in := commission.TransactionInput{Key: "t1", Customer: commission.CustomerInput{Key: "customer_123"}, Products: []commission.ProductLine{
		{ProductID: "a", ProductPrice: dec("100")}, {ProductID: "b", ProductPrice: dec("50")},
	}}
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)

	ref, err := eng.RefundTransaction(ctx, "t1", commission.RefundInput{Key: "r1", Products: []commission.RefundLine{{ProductID: "b"}}})
	require.NoError(t, err)
	require.Len(t, ref.Entries, 1)
	require.Equal(t, tx.Rewards[1].ID, ref.Entries[0].RewardID)
	requireDecimal(t, "50", ref.Amount, "a line without an amount refunds what is left of it")
	requireDecimal(t, "10", rewardNet(t, eng, tx.Rewards[0].ID))
	requireDecimal(t, "0", rewardNet(t, eng, tx.Rewards[1].ID))

	_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r2", "10"))
	requireFields(t, err, "amount")
	_, err = eng.RefundTransaction(ctx, "t1", commission.RefundInput{Key: "r3", Products: []commission.RefundLine{{ProductID: "b", Amount: decp("1")}}})
	requireFields(t, err, "products[0].amount")
	_, err = eng.RefundTransaction(ctx, "t1", commission.RefundInput{Key: "r4", Products: []commission.RefundLine{{ProductID: "z"}}})
	requireFields(t, err, "products[0].product_id")
}

// A refund's key makes it idempotent: the same body returns the stored
// refund with its entries; another body is a duplicate.
func TestRefundIdempotent(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
	require.NoError(t, err)
	first, err := eng.RefundTransaction(ctx, "t1", refundAmount("r1", "40"))
	require.NoError(t, err)
	again, err := eng.RefundTransaction(ctx, "t1", refundAmount("r1", "40.00"))
	require.NoError(t, err)
	require.Equal(t, first.Entries, again.Entries)
	requireDecimal(t, "18", balance(t, eng, "partner_123").NotPaid, "the replay took nothing more")

	_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r1", "41"))
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	_, err = eng.RefundTransaction(ctx, "t1", commission.RefundInput{Key: "r2"})
	requireFields(t, err, "amount")
	_, err = eng.RefundTransaction(ctx, "t1", commission.RefundInput{Amount: decp("-1")})
	requireFields(t, err, "key", "amount")
	_, err = eng.RefundTransaction(ctx, "nope", refundAmount("r3", "1"))
	require.ErrorIs(t, err, commission.ErrNotFound)

	// A retry after the sale was deleted is still answered; a new refund
	// of it is not.
	require.NoError(t, eng.DeleteTransaction(ctx, "t1"))
	again, err = eng.RefundTransaction(ctx, "t1", refundAmount("r1", "40"))
	require.NoError(t, err)
	require.Equal(t, first.Entries, again.Entries)
	_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r4", "1"))
	require.ErrorIs(t, err, commission.ErrAlreadyDeleted)
}

// A refund gives back to the spend limits what it reversed.
func TestRefundGivesBackMetrics(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Caps.Partner = []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("15")}}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
	require.NoError(t, err)
	_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r1", "100"))
	require.NoError(t, err)
	// The cap's 15 is whole again: a sale of 150 earns 15.
	tx, err := eng.CreateTransaction(ctx, sale("t2", "customer_123", "150"))
	require.NoError(t, err)
	requireDecimal(t, "15", tx.Rewards[0].Amount)
}

// A refund gives back to the revenue metric what was refunded, and a sale
// refunded in full stops counting as a paying customer: tiers read both.
func TestRefundGivesBackRevenueAndCustomers(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{
		{ID: "revenue", When: []commission.Condition{{Metric: commission.MetricRevenue, AtLeast: decp("150")}}, Commission: commission.Percent(dec("20"))},
		{ID: "customers", When: []commission.Condition{{Metric: commission.MetricCustomers, AtLeast: decp("2")}}, Commission: commission.Percent(dec("30"))},
	}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c2", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	_, err = eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
	require.NoError(t, err)
	_, err = eng.CreateTransaction(ctx, sale("t2", "c2", "100")) // revenue 100, 1 customer before it
	require.NoError(t, err)
	_, err = eng.RefundTransaction(ctx, "t2", refundAmount("r1", "100")) // revenue 100, 1 customer
	require.NoError(t, err)
	_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r2", "60")) // revenue 40, 1 customer
	require.NoError(t, err)

	tx, err := eng.CreateTransaction(ctx, sale("t3", "c2", "100"))
	require.NoError(t, err)
	require.Equal(t, "default", tx.Rewards[0].Explanation.Rule, "revenue 40 and 1 customer reach no tier")
	tx, err = eng.CreateTransaction(ctx, sale("t4", "c2", "10"))
	require.NoError(t, err)
	require.Equal(t, "customers", tx.Rewards[0].Explanation.Rule, "c2 counts again: 2 customers")
}

// A refund never raises what a reward pays: a line's reward rounded down
// when the sale's rewards were shared out (largest remainder) would round
// up alone, on its share of what is left.
func TestRefundNeverRaisesAReward(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	in := commission.TransactionInput{Key: "t1", Customer: commission.CustomerInput{Key: "customer_123"}, Products: []commission.ProductLine{
		{ProductID: "a", ProductPrice: dec("3.359")}, {ProductID: "b", ProductPrice: dec("3.358")}, {ProductID: "c", ProductPrice: dec("3.351")},
	}}
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "0.33", tx.Rewards[2].Amount, "0.3351 rounded down to share out 1.01")
	before := balance(t, eng, "partner_123").NotPaid
	ref, err := eng.RefundTransaction(ctx, "t1", refundAmount("r1", "0.001"))
	require.NoError(t, err)
	for _, en := range ref.Entries {
		require.False(t, en.Amount.IsPositive(), "a refund gave %s to reward %s", en.Amount, en.RewardID)
	}
	require.False(t, balance(t, eng, "partner_123").NotPaid.GreaterThan(before))
	_, err = eng.RefundTransaction(ctx, "t1", refundAmount("r2", "10.067"))
	require.NoError(t, err)
	requireDecimal(t, "0", balance(t, eng, "partner_123").NotPaid, "refunded in full, it pays nothing")
}
