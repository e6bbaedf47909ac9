package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// customerFields is what people reads of a customer: customers are
// grouped by partner.
func customerFields(c *commission.Customer) (orderKey, string, string) {
	return orderKey{c.CreatedAt.UnixMicro(), c.ID}, c.Email, c.PartnerID
}

func (t *tx) Customer(_ context.Context, ref commission.CustomerRef) (*commission.Customer, error) {
	c, ok := t.p.customers.find(ref.ID, ref.Key, ref.Email)
	if !ok {
		return nil, fmt.Errorf("%w: customer %+v", commission.ErrNotFound, ref)
	}
	return c, nil
}

// LockCustomer reads: an Update holds the program's lock already.
func (t *tx) LockCustomer(ctx context.Context, ref commission.CustomerRef) (*commission.Customer, error) {
	return t.Customer(ctx, ref)
}

// Buyer shares the values it returns, as Partner and Customer do.
// Buyer reads the counters asked for too: the same map lookups as
// Counters, one call fewer.
func (t *tx) Buyer(ctx context.Context, ref commission.CustomerRef, counters []string) (*commission.Buyer, error) {
	c, err := t.Customer(ctx, ref)
	if err != nil {
		return nil, err
	}
	b := &commission.Buyer{Customer: c, Partner: t.p.partners.byID[c.PartnerID]}
	if c.ReferringCustomerID != "" {
		b.Referrer = t.p.customers.byID[c.ReferringCustomerID]
	}
	if len(counters) > 0 {
		b.Counters = make([]decimal.Decimal, len(counters))
		for i, name := range counters {
			b.Counters[i] = t.p.counters[commission.CounterKey{Name: name, Subject: c.ID}]
		}
	}
	return b, nil
}

func (t *tx) InsertCustomer(_ context.Context, c *commission.Customer) error {
	return t.p.customers.insert(t, "customer", c.ID, c.Key, c.Email, c)
}

func (t *tx) SetCustomerStatus(_ context.Context, id string, status commission.CustomerStatus) error {
	return t.p.customers.change(t, "customer", id, func(c *commission.Customer) { c.Status = status })
}

func (t *tx) UpdateCustomer(_ context.Context, in *commission.Customer) error {
	return t.p.customers.change(t, "customer", in.ID, func(c *commission.Customer) {
		c.Email, c.Name, c.Surname, c.Tags, c.Status, c.ReferralURL = in.Email, in.Name, in.Surname, in.Tags, in.Status, in.ReferralURL
	})
}

// Customers walks the program's customers, or a partner's, newest first,
// from the cursor when there is one.
func (t *tx) Customers(_ context.Context, q commission.CustomerQuery) ([]*commission.Customer, error) {
	x := &t.p.customers
	l := x.all
	if q.PartnerID != "" {
		l = x.groups[q.PartnerID]
	}
	return x.list(l, q.After, q.Offset, q.Limit, func(c *commission.Customer) bool {
		return len(q.Statuses) == 0 || slices.Contains(q.Statuses, c.Status)
	}), nil
}
