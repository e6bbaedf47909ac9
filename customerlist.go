package commission

import (
	"context"
	"time"
)

// Listing customers, newest first: a partner's, or the program's, page by
// page, by page number or by cursor.

// CustomerListOptions selects a page of customers.
type CustomerListOptions struct {
	// Partner keeps the customers attributed to this partner when set
	// (affiliate programs).
	Partner *PartnerRef `json:"partner,omitempty"`
	// Statuses keeps the customers in these statuses; every status but
	// CustomerDeleted when empty (deleted customers are listed when asked
	// for, with their personal fields erased).
	Statuses []CustomerStatus `json:"statuses,omitempty"`
	// Limit is the page size, 1 to MaxLimit; DefaultLimit when zero.
	Limit int `json:"limit,omitempty"`
	// Page is the 1-based page number; 1 when zero. Deep pages cost more
	// than early ones; use Cursor to walk many customers.
	Page int `json:"page,omitempty"`
	// Cursor continues after the page that returned it as NextCursor.
	Cursor string `json:"cursor,omitempty"`
}

// CustomerPage is one page of customers, newest first by creation. It has
// no total: counting every customer a filter keeps would cost what
// listing them all does.
type CustomerPage struct {
	Customers []*Customer `json:"data"`
	Limit     int         `json:"limit"`
	Page      int         `json:"page"`
	// NextCursor continues the listing after this page; empty on the last.
	NextCursor string `json:"next_cursor,omitempty"`
}

// listedCustomers are the statuses Customers lists when asked for none.
var listedCustomers = []CustomerStatus{CustomerActive, CustomerSuspended}

// Customers lists customers newest first (by creation time, a backdated
// customer's included, then id), a partner's or the program's, of every
// status but deleted unless opts.Statuses names some. A page costs the
// same at any depth with Cursor. Errors: *ValidationError naming each bad
// option (a partner in a refer-a-friend program among them); ErrNotFound
// if opts.Partner names no partner (a deleted one lists its customers).
func (e *Engine) Customers(ctx context.Context, opts CustomerListOptions) (*CustomerPage, error) {
	v := &validator{}
	var q CustomerQuery
	q.Limit, q.Offset, q.After = pageQuery(v, opts.Limit, opts.Page, opts.Cursor)
	q.Statuses = listedCustomers
	if len(opts.Statuses) > 0 {
		q.Statuses = opts.Statuses
		for i, s := range opts.Statuses {
			if !s.valid() && s != CustomerDeleted {
				v.addf("statuses["+itoa(i)+"]", "must be %q, %q or %q", CustomerActive, CustomerSuspended, CustomerDeleted)
			}
		}
	}
	var ref PartnerRef
	if opts.Partner != nil {
		ref = opts.Partner.folded()
		switch {
		case e.prog.Kind == ReferAFriend:
			v.add("partner", "is for affiliate programs; a refer-a-friend customer has a referring_customer")
		case ref.IsZero():
			v.add("partner", "names no partner")
		}
		ref.validate(v, "partner.")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	list, err := viewValue(ctx, e, func(tx StoreTx) ([]*Customer, error) {
		if opts.Partner != nil {
			p, err := tx.Partner(ctx, ref)
			if err != nil {
				return nil, partnerNotFound(err, ref)
			}
			q.PartnerID = p.ID
		}
		return tx.Customers(ctx, q)
	})
	if err != nil {
		return nil, err
	}
	page := &CustomerPage{Limit: q.Limit - 1, Page: max(opts.Page, 1)}
	list, page.NextCursor = cutPage(list, page.Limit, func(c *Customer) (time.Time, string) { return c.CreatedAt, c.ID })
	page.Customers = make([]*Customer, len(list))
	for i, c := range list {
		page.Customers[i] = c.Clone()
	}
	return page, nil
}
