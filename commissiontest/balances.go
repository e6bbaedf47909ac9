package commissiontest

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

// earnerUnits is one earner's money in one unit, as the rewards and
// payouts read back say.
type earnerUnits struct {
	earner, units string // the earner's id
	key           string
	net, pending  decimal.Decimal
	paid          decimal.Decimal
}

// ledgers sums every earner's rewards and payouts by unit, in the order
// first seen.
func ledgers(v *View) []*earnerUnits {
	var out []*earnerUnits
	find := func(id, key, units string) *earnerUnits {
		i := slices.IndexFunc(out, func(e *earnerUnits) bool { return e.earner == id && e.units == units })
		if i < 0 {
			out = append(out, &earnerUnits{earner: id, key: key, units: units})
			i = len(out) - 1
		}
		return out[i]
	}
	for _, r := range v.Rewards() {
		id := r.PartnerID + r.RewardedCustomerID
		if id == "" || r.Status == commission.RewardRejected {
			continue
		}
		e := find(id, EarnerKey(r), r.AmountUnits)
		e.net = e.net.Add(r.Amount.Sub(r.Reversed))
		if r.Status == commission.RewardInReview {
			e.pending = e.pending.Add(r.Amount.Sub(r.Reversed))
		}
	}
	for _, p := range v.Payouts() {
		e := find(p.Earner.ID, p.EarnerKey, p.Units)
		if p.State == commission.PayoutPaid {
			e.paid = e.paid.Add(p.Amount)
		}
	}
	return out
}

func checkBalances(v *View) error {
	for _, e := range ledgers(v) {
		b, err := v.Engine.Balance(v.Context(), commission.Beneficiary{ID: e.earner}, e.units)
		if err != nil {
			return fmt.Errorf("balance of %s in %s: %w", e.key, e.units, err)
		}
		what := fmt.Sprintf("%s's balance in %s (pending %s, not paid %s, in payout %s, paid %s, clawback %s, payable %s)",
			e.key, e.units, b.Pending, b.NotPaid, b.InPayout, b.Paid, b.Clawback, b.Payable)
		total := b.Pending.Add(b.NotPaid).Add(b.InPayout).Add(b.Paid).Sub(b.Clawback)
		switch {
		case !total.Equal(e.net):
			return fmt.Errorf("%s: pending + not paid + in payout + paid - clawback is %s, but its rewards pay %s", what, total, e.net)
		case !b.Pending.Equal(e.pending):
			return fmt.Errorf("%s: its rewards in review pay %s", what, e.pending)
		case !b.Paid.Equal(e.paid):
			return fmt.Errorf("%s: its paid payouts paid %s", what, e.paid)
		case !b.Payable.Equal(b.NotPaid.Sub(b.Clawback)):
			return fmt.Errorf("%s: payable is not not-paid less clawback", what)
		case b.Clawback.IsNegative():
			return fmt.Errorf("%s: a negative clawback", what)
		}
	}
	return nil
}
