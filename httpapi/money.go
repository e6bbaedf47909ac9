package httpapi

import (
	"context"
	"net/http"

	"github.com/commissionkit/commission"
)

// Rewards, balances, earnings and payouts. A beneficiary is named in a
// query by beneficiary.id, beneficiary.key or beneficiary.email, the
// paths the engine's errors name.

func (h *Handler) listRewards(r *http.Request) (any, error) {
	q := newQuery(r)
	opts := commission.RewardListOptions{
		Units: q.str("amount_units"), From: q.time("from"), To: q.time("to"),
		Limit: q.positive("limit", commission.MaxLimit), Cursor: q.str("cursor"),
	}
	if b := q.beneficiary(); b != nil {
		opts.Beneficiary = *b
	}
	for _, s := range q.list("statuses") {
		opts.Statuses = append(opts.Statuses, commission.RewardStatus(s))
	}
	page, err := h.eng.Rewards(r.Context(), opts)
	if err := q.also(err); err != nil {
		return nil, err
	}
	return h.cursorList(r, page.Rewards, page.Limit, page.NextCursor), nil
}

func (h *Handler) getReward(r *http.Request) (any, error) {
	return h.eng.Reward(r.Context(), r.PathValue("id"))
}

func (h *Handler) approveReward(r *http.Request) (any, error) {
	id := r.PathValue("id")
	if err := h.eng.ApproveReward(r.Context(), id); err != nil {
		return nil, err
	}
	return after(h, r, func(ctx context.Context) (*commission.Reward, error) { return h.eng.Reward(ctx, id) })
}

func (h *Handler) rejectReward(r *http.Request) (any, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if err := h.eng.RejectReward(r.Context(), id, in.Reason); err != nil {
		return nil, err
	}
	return after(h, r, func(ctx context.Context) (*commission.Reward, error) { return h.eng.Reward(ctx, id) })
}

func (h *Handler) balance(r *http.Request) (any, error) {
	q := newQuery(r)
	var who commission.Beneficiary
	if b := q.beneficiary(); b != nil {
		who = *b
	}
	return h.eng.Balance(r.Context(), who, q.str("amount_units"))
}

func (h *Handler) earnings(r *http.Request) (any, error) {
	q := newQuery(r)
	opts := commission.EarningsOptions{
		Units: q.str("amount_units"), By: commission.Granularity(q.str("by")),
		From: q.time("from"), To: q.time("to"),
	}
	if b := q.beneficiary(); b != nil {
		opts.Beneficiary = *b
	}
	e, err := h.eng.Earnings(r.Context(), opts)
	if err := q.also(err); err != nil {
		return nil, err
	}
	return e, nil
}

func (h *Handler) createPayout(r *http.Request) (any, error) {
	var in commission.PayoutInput
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	return h.eng.CreatePayout(r.Context(), in)
}

func (h *Handler) listPayouts(r *http.Request) (any, error) {
	q := newQuery(r)
	opts := commission.PayoutListOptions{
		Beneficiary: q.beneficiary(), Limit: q.positive("limit", commission.MaxLimit), Cursor: q.str("cursor"),
	}
	for _, s := range q.list("states") {
		opts.States = append(opts.States, commission.PayoutState(s))
	}
	page, err := h.eng.Payouts(r.Context(), opts)
	if err := q.also(err); err != nil {
		return nil, err
	}
	return h.cursorList(r, page.Payouts, page.Limit, page.NextCursor), nil
}

func (h *Handler) getPayout(r *http.Request) (any, error) {
	return h.eng.Payout(r.Context(), r.PathValue("id"))
}

func (h *Handler) markPayoutPaid(r *http.Request) (any, error) {
	var in struct {
		Reference string `json:"reference"`
	}
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	return h.eng.MarkPayoutPaid(r.Context(), r.PathValue("id"), in.Reference)
}

func (h *Handler) cancelPayout(r *http.Request) (any, error) {
	return h.eng.CancelPayout(r.Context(), r.PathValue("id"))
}
