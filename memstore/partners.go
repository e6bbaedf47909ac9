package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// partnerFields is what people reads of a partner: partners are listed
// all together, in no group.
func partnerFields(p *commission.Partner) (orderKey, string, string) {
	return orderKey{p.CreatedAt.UnixMicro(), p.ID}, p.Email, ""
}

func (t *tx) Partner(_ context.Context, ref commission.PartnerRef) (*commission.Partner, error) {
	p, ok := t.p.partners.find(ref.ID, ref.Key, ref.Email)
	if !ok {
		return nil, fmt.Errorf("%w: partner %+v", commission.ErrNotFound, ref)
	}
	return p, nil
}

// LockPartner reads: an Update holds the program's lock already.
func (t *tx) LockPartner(ctx context.Context, ref commission.PartnerRef) (*commission.Partner, error) {
	return t.Partner(ctx, ref)
}

func (t *tx) InsertPartner(_ context.Context, p *commission.Partner) error {
	return t.p.partners.insert(t, "partner", p.ID, p.Key, p.Email, p)
}

func (t *tx) SetPartnerStatus(_ context.Context, id string, status commission.PartnerStatus) error {
	return t.p.partners.change(t, "partner", id, func(p *commission.Partner) { p.Status = status })
}

func (t *tx) SetPartnerCommission(_ context.Context, id string, c *commission.Commission) error {
	return t.p.partners.change(t, "partner", id, func(p *commission.Partner) { p.Commission = c })
}

func (t *tx) SetPartnerPayoutMinimum(_ context.Context, id string, minimum *decimal.Decimal) error {
	return t.p.partners.change(t, "partner", id, func(p *commission.Partner) { p.PayoutMinimum = minimum })
}

func (t *tx) UpdatePartner(_ context.Context, in *commission.Partner) error {
	return t.p.partners.change(t, "partner", in.ID, func(p *commission.Partner) {
		p.Email, p.Name, p.Surname, p.Tags, p.Status = in.Email, in.Name, in.Surname, in.Tags, in.Status
	})
}

// Partners walks the program's partners newest first, from the cursor
// when there is one.
func (t *tx) Partners(_ context.Context, q commission.PartnerQuery) ([]*commission.Partner, error) {
	x := &t.p.partners
	keep := func(p *commission.Partner) bool {
		return (len(q.Statuses) == 0 || slices.Contains(q.Statuses, p.Status)) &&
			(q.Tag == "" || slices.Contains(p.Tags, q.Tag)) &&
			(q.Email == "" || p.Email == q.Email)
	}
	if q.Email != "" {
		// One partner at most has the email: no need to walk the rest.
		p, ok := x.find("", "", q.Email)
		if !ok {
			return nil, nil
		}
		at, _, _ := partnerFields(p)
		return x.list(ordered[orderKey]{at}, q.After, q.Offset, q.Limit, keep), nil
	}
	return x.list(x.all, q.After, q.Offset, q.Limit, keep), nil
}
