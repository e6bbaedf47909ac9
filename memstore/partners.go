package memstore

import (
	"context"
	"fmt"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

func (t *tx) Partner(_ context.Context, ref commission.PartnerRef) (*commission.Partner, error) {
	p, ok := t.p.partners.find(ref.ID, ref.Key, ref.Email)
	if !ok {
		return nil, fmt.Errorf("%w: partner %+v", commission.ErrNotFound, ref)
	}
	return p, nil
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
