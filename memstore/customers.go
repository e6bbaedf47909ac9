package memstore

import (
	"context"
	"fmt"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

func (t *tx) Customer(_ context.Context, ref commission.CustomerRef) (*commission.Customer, error) {
	c, ok := t.p.customers.find(ref.ID, ref.Key, ref.Email)
	if !ok {
		return nil, fmt.Errorf("%w: customer %+v", commission.ErrNotFound, ref)
	}
	return c, nil
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
