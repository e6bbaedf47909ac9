package sqlstore

import (
	"context"
	"database/sql"

	"github.com/commissionkit/commission"
)

func (t *tx) Customer(ctx context.Context, ref commission.CustomerRef) (*commission.Customer, error) {
	var c customerRow
	if err := t.findBy(ctx, t.s.q.customerBy, "customer", ref.ID, ref.Key, ref.Email, c.dest(nil)); err != nil {
		return nil, err
	}
	return c.customer()
}

// Buyer reads the customer, its partner and its referrer in one statement.
// Buyer reads the counters asked for with the buyer on PostgreSQL
// (pgbuyer.go), and leaves them to Counters elsewhere: MySQL's locks take
// two statements anyway, and SQLite has no round trip to save.
func (t *tx) Buyer(ctx context.Context, ref commission.CustomerRef, counters []string) (*commission.Buyer, error) {
	var c, r customerRow
	var p partnerRow
	var read []byte
	dest := r.dest(p.dest(c.dest(make([]any, 0, 38))))
	by, more := t.s.q.buyerBy, []any(nil)
	if t.s.d == Postgres && len(counters) > 0 {
		by, more = t.s.q.pgBuyerCounters[boolIndex(t.write)], []any{counters}
		dest = append(dest, &read)
	}
	if err := t.findBy(ctx, by, "customer", ref.ID, ref.Key, ref.Email, dest, more...); err != nil {
		return nil, err
	}
	var b commission.Buyer
	var err error
	if b.Counters, err = buyerCounters(counters, read); err != nil {
		return nil, err
	}
	if b.Customer, err = c.customer(); err != nil {
		return nil, err
	}
	if b.Partner, err = p.partner(); err != nil {
		return nil, err
	}
	if b.Referrer, err = r.customer(); err != nil {
		return nil, err
	}
	return &b, nil
}

func (t *tx) InsertCustomer(ctx context.Context, c *commission.Customer) error {
	return t.insertParty(ctx, t.s.q.insertCustomer, "customer", c.ID, c.Key, c.Email, c.Name, c.Surname, c.Tags,
		c.PartnerID, c.PartnerKey, c.ReferringCustomerID, c.ReferringCustomerKey, string(c.Status), micros(c.CreatedAt), c.ReferralURL)
}

func (t *tx) SetCustomerStatus(ctx context.Context, id string, status commission.CustomerStatus) error {
	return t.updateOne(ctx, t.s.q.setCustomerStatus, t.s.q.customerExists, "customer", id, string(status), t.program, id)
}

// customerRow scans customer columns, which may be NULL (a LEFT JOIN).
type customerRow struct {
	partyRow
	partnerID, partnerKey, referrerID, referrerKey, status, referralURL sql.NullString
	created                                                             sql.NullInt64
}

// dest appends the scan destinations of customerCols to out.
func (c *customerRow) dest(out []any) []any {
	return append(c.partyRow.dest(out), &c.partnerID, &c.partnerKey, &c.referrerID, &c.referrerKey, &c.status, &c.created, &c.referralURL)
}

// customer is the scanned customer, nil when the columns were NULL.
func (c *customerRow) customer() (*commission.Customer, error) {
	if !c.id.Valid {
		return nil, nil
	}
	tags, err := c.tagList()
	if err != nil {
		return nil, err
	}
	return &commission.Customer{ID: c.id.String, Key: c.key.String, Email: c.email.String, Name: c.name.String,
		Surname: c.surname.String, Tags: tags, PartnerID: c.partnerID.String, PartnerKey: c.partnerKey.String,
		ReferringCustomerID: c.referrerID.String, ReferringCustomerKey: c.referrerKey.String,
		Status: commission.CustomerStatus(c.status.String), CreatedAt: fromMicros(c.created.Int64),
		ReferralURL: c.referralURL.String}, nil
}
