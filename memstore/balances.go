package memstore

import (
	"context"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// PendingSum reads the earner's rewards in review released after the
// given time only: the end of its review list.
func (t *tx) PendingSum(_ context.Context, e commission.Earner, units string, after time.Time) (decimal.Decimal, error) {
	sum := decimal.Zero
	er, ok := t.p.earners[e]
	if !ok {
		return sum, nil
	}
	rr := rewardReader{t: t}
	pending := er.review[er.review.first(func(k orderKey) bool { return time.UnixMicro(k.at).After(after) }):]
	for _, ref := range pending {
		r, err := rr.at(ref.loc)
		if err != nil {
			return decimal.Decimal{}, err
		}
		if r.AmountUnits == units {
			sum = sum.Add(r.Amount.Sub(r.Reversed))
		}
	}
	return sum, nil
}

// PayableRewards reads the earner's open rewards only: those in no
// payout, not rejected, that pay more than nothing.
func (t *tx) PayableRewards(_ context.Context, e commission.Earner, units string, asOf time.Time) ([]*commission.Reward, error) {
	er, ok := t.p.earners[e]
	if !ok {
		return nil, nil
	}
	rr := rewardReader{t: t, keep: true}
	var out []*commission.Reward
	for _, ref := range er.open {
		r, err := rr.at(ref.loc)
		if err != nil {
			return nil, err
		}
		held := r.Status == commission.RewardInReview && (r.ReviewEndsAt == nil || r.ReviewEndsAt.After(asOf))
		if r.AmountUnits == units && !held {
			out = append(out, r)
		}
	}
	return out, nil
}
