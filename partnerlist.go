package commission

import (
	"context"
	"time"
)

// Listing partners, newest first, page by page, by page number or by
// cursor; the paging customers share.

// PartnerListOptions selects a page of partners.
type PartnerListOptions struct {
	// Statuses keeps the partners in these statuses; every status but
	// PartnerDeleted when empty (deleted partners are listed when asked
	// for, with their personal fields erased).
	Statuses []PartnerStatus `json:"statuses,omitempty"`
	// Tag keeps the partners that have this tag, compared exactly.
	Tag string `json:"tag,omitempty"`
	// Email keeps the partner with this email, in any case.
	Email string `json:"email,omitempty"`
	// Limit is the page size, 1 to MaxLimit; DefaultLimit when zero.
	Limit int `json:"limit,omitempty"`
	// Page is the 1-based page number; 1 when zero. Deep pages cost more
	// than early ones; use Cursor to walk many partners.
	Page int `json:"page,omitempty"`
	// Cursor continues after the page that returned it as NextCursor.
	Cursor string `json:"cursor,omitempty"`
}

// PartnerPage is one page of partners, newest first by creation. It has no
// total: counting every partner a filter keeps would cost what listing
// them all does.
type PartnerPage struct {
	Partners []*Partner `json:"data"`
	Limit    int        `json:"limit"`
	Page     int        `json:"page"`
	// NextCursor continues the listing after this page; empty on the last.
	NextCursor string `json:"next_cursor,omitempty"`
}

// listedPartners are the statuses Partners lists when asked for none.
var listedPartners = []PartnerStatus{PartnerActive, PartnerPending, PartnerArchived}

// Partners lists partners newest first (by creation time, then id), of
// every status but deleted unless opts.Statuses names some. A filter by
// tag reads the partners it skips; a page costs the same at any depth
// with Cursor. Errors: *ValidationError naming each bad option.
func (e *Engine) Partners(ctx context.Context, opts PartnerListOptions) (*PartnerPage, error) {
	v := &validator{}
	var q PartnerQuery
	q.Limit, q.Offset, q.After = pageQuery(v, opts.Limit, opts.Page, opts.Cursor)
	q.Statuses = listedPartners
	if len(opts.Statuses) > 0 {
		q.Statuses = opts.Statuses
		for i, s := range opts.Statuses {
			if !s.valid() && s != PartnerDeleted {
				v.addf("statuses["+itoa(i)+"]", "must be %q, %q, %q or %q", PartnerActive, PartnerPending, PartnerArchived, PartnerDeleted)
			}
		}
	}
	validateKey(v, "tag", opts.Tag, false)
	q.Tag = opts.Tag
	q.Email = foldEmail(opts.Email)
	validateEmail(v, "email", q.Email)
	if err := v.err(); err != nil {
		return nil, err
	}
	list, err := viewValue(ctx, e, func(tx StoreTx) ([]*Partner, error) { return tx.Partners(ctx, q) })
	if err != nil {
		return nil, err
	}
	page := &PartnerPage{Limit: q.Limit - 1, Page: max(opts.Page, 1)}
	list, page.NextCursor = cutPage(list, page.Limit, func(p *Partner) (time.Time, string) { return p.CreatedAt, p.ID })
	page.Partners = make([]*Partner, len(list))
	for i, p := range list {
		page.Partners[i] = p.Clone()
	}
	return page, nil
}

// pageQuery validates a listing's limit, page number and cursor, and
// returns what its store query asks for: one row more than the page, to
// tell whether another follows; the rows a page by number skips; the
// place a cursor continues after.
func pageQuery(v *validator, limit, page int, cursor string) (int, int, *RewardPosition) {
	limit = pageLimit(v, limit)
	if page == 0 {
		page = 1
	} else if page < 1 || page > MaxPage {
		v.addf("page", "must be between 1 and %d", MaxPage)
		page = 1
	}
	if cursor == "" {
		return limit + 1, (page - 1) * limit, nil
	}
	at, id, ok := decodeIDCursor(cursor)
	if !ok {
		v.add("cursor", "is not a cursor this engine returned")
	}
	if page > 1 {
		v.add("page", "cannot be combined with cursor")
	}
	return limit + 1, 0, &RewardPosition{CreatedAt: at, ID: id}
}
