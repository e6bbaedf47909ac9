package commission

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Listing money: a beneficiary's rewards (in every role: a partner's own
// sales, its levels, a referrer's and a friend's rewards), newest first,
// page by page with cursors.

// RewardListOptions selects a page of one beneficiary's rewards.
type RewardListOptions struct {
	Beneficiary Beneficiary `json:"beneficiary"`
	// Units filters by unit when non-empty.
	Units string `json:"amount_units,omitempty"`
	// Statuses keeps the rewards whose status, as of the engine's clock,
	// is one of them; every status when empty.
	Statuses []RewardStatus `json:"statuses,omitempty"`
	// From and To keep the rewards created in [From, To); zero for no
	// bound.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Limit is the page size, 1 to MaxLimit; DefaultLimit when zero.
	Limit int `json:"limit,omitempty"`
	// Cursor continues after the page that returned it as NextCursor.
	Cursor string `json:"cursor,omitempty"`
}

// RewardPage is one page of rewards, newest first.
type RewardPage struct {
	Rewards []*Reward `json:"data"`
	Limit   int       `json:"limit"`
	// NextCursor continues the listing after this page; empty on the last.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Rewards lists a beneficiary's rewards newest first, each with its
// status as of the engine's clock. ErrNotFound if there is no such
// beneficiary.
func (e *Engine) Rewards(ctx context.Context, opts RewardListOptions) (*RewardPage, error) {
	now := e.clock()
	q, err := e.rewardQuery(&opts, now)
	if err != nil {
		return nil, err
	}
	list, err := viewValue(ctx, e, func(tx StoreTx) ([]*Reward, error) {
		p, err := e.payee(ctx, tx, opts.Beneficiary)
		if err != nil {
			return nil, err
		}
		q.Earner = p.earner
		return tx.Rewards(ctx, q)
	})
	if err != nil {
		return nil, err
	}
	page := &RewardPage{Limit: q.Limit - 1}
	list, page.NextCursor = cutPage(list, page.Limit, func(r *Reward) (time.Time, string) { return r.CreatedAt, r.ID })
	page.Rewards = make([]*Reward, len(list))
	for i, r := range list {
		page.Rewards[i] = r.Clone()
		e.presentReward(page.Rewards[i], now)
	}
	return page, nil
}

// rewardQuery validates o and returns the store query it asks for, with
// one row more than the page, to tell whether another follows.
func (e *Engine) rewardQuery(o *RewardListOptions, now time.Time) (RewardQuery, error) {
	v := &validator{}
	o.Beneficiary.validate(v, "beneficiary.")
	if o.Units != "" {
		o.Units = e.units(v, "amount_units", o.Units)
	}
	for i, s := range o.Statuses {
		if !s.listable() {
			v.addf("statuses["+itoa(i)+"]", "must be %q, %q, %q or %q", RewardInReview, RewardOK, RewardRejected, RewardPaid)
		}
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.From.Before(o.To) {
		v.add("to", "must be after from")
	}
	q := RewardQuery{Units: o.Units, Statuses: o.Statuses, Now: now, From: o.From, To: o.To}
	q.Limit = pageLimit(v, o.Limit) + 1
	if o.Cursor != "" {
		at, id, ok := decodeIDCursor(o.Cursor)
		if !ok {
			v.add("cursor", "is not a cursor this engine returned")
		}
		q.After = &RewardPosition{CreatedAt: at, ID: id}
	}
	return q, v.err()
}

// listable reports a status rewards can be listed by.
func (s RewardStatus) listable() bool {
	return s == RewardInReview || s == RewardOK || s == RewardRejected || s == RewardPaid
}

// pageLimit is the page size limit asks for: DefaultLimit when zero.
func pageLimit(v *validator, limit int) int {
	if limit == 0 {
		return DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		v.addf("limit", "must be between 1 and %d", MaxLimit)
	}
	return limit
}

// cutPage keeps the first limit rows of list, read with one row more
// than the page, and returns the cursor after the last kept when more
// follow: at is where a row sits in the listing.
func cutPage[T any](list []T, limit int, at func(T) (time.Time, string)) ([]T, string) {
	if len(list) <= limit {
		return list, ""
	}
	list = list[:limit]
	return list, encodeIDCursor(at(list[len(list)-1]))
}

// encodeIDCursor is the cursor of a row at (at, id) in a newest-first
// listing ordered by creation time, then id.
func encodeIDCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + id))
}

func decodeIDCursor(c string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	at, id, ok := strings.Cut(string(b), ".")
	us, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" || len(id) > maxKeyLen {
		return time.Time{}, "", false
	}
	return time.UnixMicro(us).UTC(), id, true
}
