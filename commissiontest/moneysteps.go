package commissiontest

import (
	"slices"

	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// The steps of money after a sale: refunds, decisions on rewards in
// review, payouts.

// refund refunds a sale: all that is left, about half or a drawn amount
// (which may be more than is left: a refusal); by line, a line in full
// or about half of it.
func (m *Machine) refund(t *rapid.T) (string, any, error) {
	key := rapid.SampledFrom(m.r.saleKeys).Draw(t, "sale")
	in := commission.RefundInput{Key: m.newKey("r")}
	tx := m.r.transaction(key)
	switch {
	case tx != nil && len(tx.Products) > 0 && rapid.Bool().Draw(t, "by_line"):
		l := tx.Products[rapid.IntRange(0, len(tx.Products)-1).Draw(t, "line")]
		line := commission.RefundLine{ProductID: l.ProductID}
		if rapid.Bool().Draw(t, "part_of_line") {
			a := half(l.ProductPrice)
			line.Amount = &a
		}
		in.Products = []commission.RefundLine{line}
	case tx != nil && rapid.Bool().Draw(t, "all"):
		a := tx.Amount.Sub(tx.Refunded)
		in.Amount = &a
	case tx != nil && rapid.Bool().Draw(t, "half"):
		a := half(tx.Amount.Sub(tx.Refunded))
		in.Amount = &a
	default:
		a := Amount().Draw(t, "refund")
		in.Amount = &a
	}
	rf, err := m.r.eng.RefundTransaction(m.r.ctx, key, in)
	return call("eng.RefundTransaction(ctx, " + quote(key) + ", " + goRefundInput(in) + ")"), rf, err
}

// transaction is the sale with key as read after the last step.
func (r *runner) transaction(key string) *commission.Transaction {
	for _, t := range r.txs {
		if t.Key == key {
			return t
		}
	}
	return nil
}

// inReview are the ids of the rewards held in review now.
func (m *Machine) inReview() []string {
	var ids []string
	for _, t := range m.r.txs {
		for _, r := range t.Rewards {
			if r.Status == commission.RewardInReview && t.State == commission.TransactionActive {
				ids = append(ids, r.ID)
			}
		}
	}
	return ids
}

// decide approves or rejects a reward in review.
func (m *Machine) decide(t *rapid.T) (string, any, error) {
	id := rapid.SampledFrom(m.inReview()).Draw(t, "reward")
	if rapid.Bool().Draw(t, "reject") {
		return callErr("eng.RejectReward(ctx, " + quote(id) + ", \"fraud\")"), nil, m.r.eng.RejectReward(m.r.ctx, id, "fraud")
	}
	return callErr("eng.ApproveReward(ctx, " + quote(id) + ")"), nil, m.r.eng.ApproveReward(m.r.ctx, id)
}

// createPayout pays one of earners what is payable in the program
// currency, or in a unit drawn: refused below the thresholds.
func (m *Machine) createPayout(t *rapid.T, earners []string) (string, any, error) {
	in := commission.PayoutInput{Beneficiary: commission.Beneficiary{Key: rapid.SampledFrom(earners).Draw(t, "earner")}}
	if len(m.r.prog.CustomUnits) > 0 && rapid.Bool().Draw(t, "in_units") {
		in.Units = rapid.SampledFrom(Units(m.r.prog)).Draw(t, "units")
	}
	po, err := m.r.eng.CreatePayout(m.r.ctx, in)
	return call("eng.CreatePayout(ctx, " + goPayoutInput(in) + ")"), po, err
}

// settlePayout marks a payout paid, or cancels it.
func (m *Machine) settlePayout(t *rapid.T) (string, any, error) {
	id := rapid.SampledFrom(m.r.payoutIDs).Draw(t, "payout")
	if rapid.Bool().Draw(t, "cancel") {
		po, err := m.r.eng.CancelPayout(m.r.ctx, id)
		return call("eng.CancelPayout(ctx, " + quote(id) + ")"), po, err
	}
	po, err := m.r.eng.MarkPayoutPaid(m.r.ctx, id, "wire-"+id)
	return call("eng.MarkPayoutPaid(ctx, " + quote(id) + ", " + quote("wire-"+id) + ")"), po, err
}

// payable are the keys of the earners with a reward released from
// review, in no payout, that pays something.
func (m *Machine) payable() []string {
	var keys []string
	for _, t := range m.r.txs {
		for i := range t.Rewards {
			r := &t.Rewards[i]
			if k := EarnerKey(r); r.Status == commission.RewardOK && r.PayoutID == "" && r.Amount.GreaterThan(r.Reversed) && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}
