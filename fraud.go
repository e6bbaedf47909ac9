package commission

import (
	"context"
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
}

// Reasons recorded on rewards the fraud protection rejects.
const (
	ReasonSelfReferral = "self_referral"
	ReasonTooFrequent  = "too_frequent"
)

// fraudReason says why a sale's rewards are rejected, or "".
func (e *Engine) fraudReason(ctx context.Context, w *work, t *Transaction, b *Buyer) (string, error) {
	f := e.rules.fraud
	if t.signup() && f.RepeatWindow > 0 {
		f.RepeatWindow = 0 // a customer signs up once
	}
	if !f.AllowSelfReferral && selfReferred(b) {
		return ReasonSelfReferral, nil
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
