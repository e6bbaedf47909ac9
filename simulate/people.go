package simulate

import (
	"context"
	"slices"

	"github.com/commissionkit/commission"
)

// people are the program's partners and customers, oldest first, read
// from the stored program before its sales are replayed.
type people struct {
	partners  []*commission.Partner
	customers []*commission.Customer
}

// readPeople reads every partner and customer of the program, by cursor.
func readPeople(ctx context.Context, tx commission.StoreTx) (*people, error) {
	partners, err := readAll(func(after *commission.RewardPosition) ([]*commission.Partner, error) {
		return tx.Partners(ctx, commission.PartnerQuery{After: after, Limit: pageSize})
	}, func(p *commission.Partner) commission.RewardPosition {
		return commission.RewardPosition{CreatedAt: p.CreatedAt, ID: p.ID}
	})
	if err != nil {
		return nil, err
	}
	customers, err := readAll(func(after *commission.RewardPosition) ([]*commission.Customer, error) {
		return tx.Customers(ctx, commission.CustomerQuery{After: after, Limit: pageSize})
	}, func(c *commission.Customer) commission.RewardPosition {
		return commission.RewardPosition{CreatedAt: c.CreatedAt, ID: c.ID}
	})
	if err != nil {
		return nil, err
	}
	return &people{partners: partners, customers: customers}, nil
}

// readAll reads a newest-first listing page by page, and returns it
// oldest first.
func readAll[T any](page func(after *commission.RewardPosition) ([]T, error), at func(T) commission.RewardPosition) ([]T, error) {
	var all []T
	var after *commission.RewardPosition
	for {
		got, err := page(after)
		if err != nil {
			return nil, err
		}
		all = append(all, got...)
		if len(got) < pageSize {
			slices.Reverse(all)
			return all, nil
		}
		last := at(got[len(got)-1])
		after = &last
	}
}

// replayed is how a stored partner is put into the replay's store: as it
// stands, except that a partner deleted for privacy is active again (it
// was when it earned what it earned).
func replayedPartner(p *commission.Partner) *commission.Partner {
	c := p.Clone()
	if c.Status == commission.PartnerDeleted {
		c.Status = commission.PartnerActive
	}
	return c
}
