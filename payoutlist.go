package commission

import (
	"context"
	"time"
)

// Reads of payouts: one by id, and a beneficiary's (or the program's)
// listed newest first.

// Payout returns the payout with id. ErrNotFound if there is none.
func (e *Engine) Payout(ctx context.Context, id string) (*Payout, error) {
	if err := checkKey("id", id); err != nil {
		return nil, err
	}
	po, err := readCopy(ctx, e, func(tx StoreTx) (*Payout, error) { return tx.Payout(ctx, id) })
	return po, payoutNotFound(err, id)
}

// PayoutListOptions selects a page of payouts.
type PayoutListOptions struct {
	// Beneficiary keeps one beneficiary's payouts when set.
	Beneficiary *Beneficiary `json:"beneficiary,omitempty"`
	// States keeps the payouts in these states; every state when empty.
	States []PayoutState `json:"states,omitempty"`
	// Limit is the page size, 1 to MaxLimit; DefaultLimit when zero.
	Limit int `json:"limit,omitempty"`
	// Cursor continues after the page that returned it as NextCursor.
	Cursor string `json:"cursor,omitempty"`
}

// PayoutPage is one page of payouts, newest first.
type PayoutPage struct {
	Payouts []*Payout `json:"data"`
	Limit   int       `json:"limit"`
	// NextCursor continues the listing after this page; empty on the last.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Payouts lists payouts newest first. ErrNotFound if opts names a
// beneficiary there is none of.
func (e *Engine) Payouts(ctx context.Context, opts PayoutListOptions) (*PayoutPage, error) {
	q, err := opts.query()
	if err != nil {
		return nil, err
	}
	list, err := viewValue(ctx, e, func(tx StoreTx) ([]*Payout, error) {
		if opts.Beneficiary != nil {
			p, err := e.payee(ctx, tx, *opts.Beneficiary)
			if err != nil {
				return nil, err
			}
			q.Earner = &p.earner
		}
		return tx.Payouts(ctx, q)
	})
	if err != nil {
		return nil, err
	}
	page := &PayoutPage{Limit: q.Limit - 1}
	list, page.NextCursor = cutPage(list, page.Limit, func(p *Payout) (time.Time, string) { return p.CreatedAt, p.ID })
	page.Payouts = make([]*Payout, len(list))
	for i, po := range list {
		page.Payouts[i] = po.Clone()
	}
	return page, nil
}

// query validates o and returns the store query it asks for, with one
// row more than the page.
func (o PayoutListOptions) query() (PayoutQuery, error) {
	v := &validator{}
	if o.Beneficiary != nil {
		o.Beneficiary.validate(v, "beneficiary.")
	}
	for i, s := range o.States {
		if s != PayoutPending && s != PayoutPaid && s != PayoutCanceled {
			v.addf("states["+itoa(i)+"]", "must be %q, %q or %q", PayoutPending, PayoutPaid, PayoutCanceled)
		}
	}
	q := PayoutQuery{States: o.States, Limit: pageLimit(v, o.Limit) + 1}
	if o.Cursor != "" {
		at, id, ok := decodeIDCursor(o.Cursor)
		if !ok {
			v.add("cursor", "is not a cursor this engine returned")
		}
		q.After = &RewardPosition{CreatedAt: at, ID: id}
	}
	return q, v.err()
}
