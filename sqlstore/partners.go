package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

func (t *tx) Partner(ctx context.Context, ref commission.PartnerRef) (*commission.Partner, error) {
	var p partnerRow
	if err := t.findBy(ctx, t.s.q.partnerBy, "partner", ref.ID, ref.Key, ref.Email, p.dest(nil)); err != nil {
		return nil, err
	}
	return p.partner()
}

func (t *tx) InsertPartner(ctx context.Context, p *commission.Partner) error {
	c, err := commissionJSON(p.Commission)
	if err != nil {
		return err
	}
	minimum, err := moneyPtr(p.PayoutMinimum)
	if err != nil {
		return err
	}
	return t.insertParty(ctx, t.s.q.insertPartner, "partner", p.ID, p.Key, p.Email, p.Name, p.Surname, p.Tags,
		p.ReferringPartnerID, string(p.Status), micros(p.CreatedAt), c, minimum)
}

func (t *tx) SetPartnerStatus(ctx context.Context, id string, status commission.PartnerStatus) error {
	return t.updateOne(ctx, t.s.q.setPartnerStatus, t.s.q.partnerExists, "partner", id, string(status), t.program, id)
}

func (t *tx) SetPartnerCommission(ctx context.Context, id string, c *commission.Commission) error {
	js, err := commissionJSON(c)
	if err != nil {
		return err
	}
	return t.updateOne(ctx, t.s.q.setPartnerCommission, t.s.q.partnerExists, "partner", id, js, t.program, id)
}

func (t *tx) SetPartnerPayoutMinimum(ctx context.Context, id string, minimum *decimal.Decimal) error {
	v, err := moneyPtr(minimum)
	if err != nil {
		return err
	}
	return t.updateOne(ctx, t.s.q.setPartnerMinimum, t.s.q.partnerExists, "partner", id, v, t.program, id)
}

// partnerRow scans partner columns, which may be NULL (a LEFT JOIN).
type partnerRow struct {
	partyRow
	referrer, status sql.NullString
	created          sql.NullInt64
	commission       sql.NullString
	payoutMinimum    sql.NullString
}

// dest appends the scan destinations of partnerCols to out.
func (p *partnerRow) dest(out []any) []any {
	return append(p.partyRow.dest(out), &p.referrer, &p.status, &p.created, &p.commission, &p.payoutMinimum)
}

// partner is the scanned partner, nil when the columns were NULL.
func (p *partnerRow) partner() (*commission.Partner, error) {
	if !p.id.Valid {
		return nil, nil
	}
	tags, err := p.tagList()
	if err != nil {
		return nil, err
	}
	out := &commission.Partner{ID: p.id.String, Key: p.key.String, Email: p.email.String, Name: p.name.String,
		Surname: p.surname.String, Tags: tags, ReferringPartnerID: p.referrer.String,
		Status: commission.PartnerStatus(p.status.String), CreatedAt: fromMicros(p.created.Int64)}
	if out.PayoutMinimum, err = parseNullMoney(p.payoutMinimum); err != nil {
		return nil, err
	}
	if p.commission.Valid {
		if err := json.Unmarshal([]byte(p.commission.String), &out.Commission); err != nil {
			return nil, fmt.Errorf("sqlstore: commission of partner %q: %w", out.Key, err)
		}
	}
	return out, nil
}
