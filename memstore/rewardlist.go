package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/commissionkit/commission"
)

// Rewards walks the earner's rewards newest first, from the end of the
// page's time range (or its cursor), decoding only those it looks at.
func (t *tx) Rewards(_ context.Context, q commission.RewardQuery) ([]*commission.Reward, error) {
	er, ok := t.p.earners[q.Earner]
	if !ok {
		return nil, nil
	}
	list := er.all
	end := len(list)
	if !q.To.IsZero() {
		end = list.first(func(k orderKey) bool { return !k.before(q.To, "") })
	}
	if q.After != nil {
		end = min(end, list.first(func(k orderKey) bool { return !k.before(q.After.CreatedAt, q.After.ID) }))
	}
	start := 0
	if !q.From.IsZero() {
		start = list.first(func(k orderKey) bool { return !k.before(q.From, "") })
	}
	rr := rewardReader{t: t}
	var out []*commission.Reward
	for i := end - 1; i >= start && len(out) < q.Limit; i-- {
		r, err := rr.at(list[i].loc)
		if err != nil {
			return nil, err
		}
		if (q.Units == "" || r.AmountUnits == q.Units) &&
			(len(q.Statuses) == 0 || slices.Contains(q.Statuses, statusAt(r, q.Now))) {
			out = append(out, r)
		}
	}
	return out, nil
}

// statusAt is r's status as of now, as RewardQuery defines it: a reward
// in review whose review has ended is ok.
func statusAt(r *commission.Reward, now time.Time) commission.RewardStatus {
	if r.Status == commission.RewardInReview && r.ReviewEndsAt != nil && !now.Before(*r.ReviewEndsAt) {
		return commission.RewardOK
	}
	return r.Status
}
