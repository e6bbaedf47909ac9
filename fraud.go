package commission

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Fraud is a program's protection against abusive sales. A
// sale it catches is stored with its rewards rejected, each with the
// reason, so that the decision can be audited and overturned.
type Fraud struct {
	// AllowSelfReferral lets a referrer earn on sales to a customer with
	// its own email (a partner's, or in refer-a-friend the referring
	// customer's, compared ignoring case); by default such rewards are
	// rejected (ReasonSelfReferral).
	AllowSelfReferral bool `json:"allow_self_referral,omitempty"`
	// RepeatWindow, when positive, rejects the rewards of a sale that
	// comes less than this long after or before another sale of the same
	// customer, as of their created_at (ReasonTooFrequent): a backdated
	// sale is compared with the sales around its own time.
	RepeatWindow time.Duration `json:"repeat_window,omitempty"`
	// PaidAds, when set, rejects the rewards of referrals through paid
	// ads (ReasonPaidAds): the sales of a customer whose referral URL
	// carries one of its markers, and a sale whose options.referral_url
	// does.
	PaidAds *PaidAds `json:"paid_ads,omitempty"`
}

// PaidAds are the markers of a referral through a paid ad: query
// parameters of its referral URL.
type PaidAds struct {
	// Params are the markers: a parameter's name ("gclid") marks a paid ad
	// whatever its value, "name=value" ("utm_medium=cpc") only with that
	// value; both compare ignoring case. DefaultPaidAdParams() when empty.
	Params []string `json:"params,omitempty"`
}

// DefaultPaidAdParams returns the markers PaidAds uses when it names none:
// the click ids ad networks add (Google's, Meta's, Microsoft's, TikTok's)
// and the UTM mediums of paid traffic.
func DefaultPaidAdParams() []string {
	return []string{"gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid",
		"utm_medium=cpc", "utm_medium=ppc", "utm_medium=paid", "utm_medium=paidsearch", "utm_medium=paid_social"}
}

// adMarker is a compiled paid-ad marker: a parameter, with the value it
// must have, or any ("").
type adMarker struct{ name, value string }

// compilePaidAds checks the markers and compiles them.
func (rs *rules) compilePaidAds(v *validator, f *Fraud) {
	if f.PaidAds == nil {
		return
	}
	params := f.PaidAds.Params
	if len(params) == 0 {
		params = DefaultPaidAdParams()
	}
	rs.paidAds = make([]adMarker, 0, len(params))
	for i, p := range f.PaidAds.Params {
		validateKey(v, "rules.fraud.paid_ads.params["+itoa(i)+"]", p, true)
	}
	for _, p := range params {
		name, value, _ := strings.Cut(p, "=")
		rs.paidAds = append(rs.paidAds, adMarker{name, value})
	}
}

// paidAd reports whether a referral URL carries a paid-ad marker.
func (rs *rules) paidAd(raw string) bool {
	if raw == "" {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	for name, values := range u.Query() {
		for _, m := range rs.paidAds {
			if strings.EqualFold(name, m.name) && (m.value == "" || slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, m.value) })) {
				return true
			}
		}
	}
	return false
}

// Reasons recorded on rewards the fraud protection rejects.
const (
	ReasonSelfReferral = "self_referral"
	ReasonTooFrequent  = "too_frequent"
	ReasonPaidAds      = "paid_ads"
)

// fraudReason says why a sale's rewards are rejected, or "".
func (e *Engine) fraudReason(ctx context.Context, w *work, s *earning) (string, error) {
	t, b := s.t, s.b
	f := e.rules.fraud
	if t.signup() && f.RepeatWindow > 0 {
		f.RepeatWindow = 0 // a customer signs up once
	}
	if !f.AllowSelfReferral && selfReferred(b) {
		return ReasonSelfReferral, nil
	}
	if e.rules.paidAd(b.Customer.ReferralURL) || e.rules.paidAd(s.referralURL) {
		return ReasonPaidAds, nil
	}
	if f.RepeatWindow > 0 {
		// The customer's latest transaction dated before the window ends,
		// not counting its signup: the nearest, if any is in the window.
		// (Times are kept to the microsecond: the end is rounded up.)
		end := Position{CreatedAt: t.CreatedAt.Add(f.RepeatWindow)}
		if at := end.CreatedAt.Truncate(time.Microsecond); !at.Equal(end.CreatedAt) {
			end.CreatedAt = at.Add(time.Microsecond)
		}
		near, err := w.tx.Transactions(ctx, TransactionQuery{CustomerID: b.Customer.ID, After: &end, Limit: 2,
			States: []TransactionState{TransactionActive, TransactionArchived}})
		if err != nil {
			return "", err
		}
		if len(near) > 0 && near[0].signup() {
			near = near[1:]
		}
		if len(near) > 0 && t.CreatedAt.Sub(near[0].CreatedAt).Abs() < f.RepeatWindow {
			return ReasonTooFrequent, nil
		}
		for _, s := range w.batchSales(b.Customer.ID) {
			if t.CreatedAt.Sub(s.at).Abs() < f.RepeatWindow {
				return ReasonTooFrequent, nil
			}
		}
	}
	return "", nil
}

// selfReferred reports whether the buyer has its referrer's email: its
// partner's, or (refer-a-friend) its referring customer's. Emails are
// kept in lower case; those stored by earlier versions may not be.
func selfReferred(b *Buyer) bool {
	email := b.Customer.Email
	switch {
	case email == "":
		return false
	case b.Partner != nil && strings.EqualFold(email, b.Partner.Email):
		return true
	}
	return b.Referrer != nil && strings.EqualFold(email, b.Referrer.Email)
}

// reject marks every reward of t rejected for reason, decided at t's time.
func reject(t *Transaction, reason string) {
	for i := range t.Rewards {
		r := &t.Rewards[i]
		at := t.CreatedAt
		r.Status, r.Reason, r.DecidedAt, r.ReviewEndsAt = RewardRejected, reason, &at, nil
	}
}
