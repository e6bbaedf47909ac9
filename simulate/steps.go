package simulate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/commissionkit/commission"
)

// nextCustomer is the next customer to create, if it was created before
// at.
func (r *replay) nextCustomer(at time.Time) *commission.Customer {
	for r.next < len(r.customers) {
		c := r.customers[r.next]
		if r.created[c.ID] {
			r.next++ // created early, for a sale backdated before it
			continue
		}
		if !c.CreatedAt.Before(at) {
			return nil
		}
		return c
	}
	return nil
}

// createCustomer creates a stored customer in the private store through
// the engine, so that its signup counts as it did, at its created_at.
// A customer deleted for privacy is created active: it was when it
// bought. A suspended one is suspended at once.
func (r *replay) createCustomer(ctx context.Context, c *commission.Customer) error {
	r.created[c.ID] = true
	// Customers created at one instant (in a bulk) are listed by id: a
	// referrer may come after its friend.
	if ref, ok := r.byID[c.ReferringCustomerID]; ok && !r.created[ref.ID] {
		if err := r.createCustomer(ctx, ref); err != nil {
			return err
		}
	}
	r.now = later(c.CreatedAt, r.at)
	at := c.CreatedAt
	in := commission.CustomerInput{ID: c.ID, Key: c.Key, Email: c.Email, Name: c.Name, Surname: c.Surname,
		Tags: c.Tags, CreatedAt: &at, ReferralURL: c.ReferralURL}
	if c.PartnerID != "" {
		in.Partner = &commission.PartnerRef{ID: c.PartnerID}
	}
	if c.ReferringCustomerID != "" {
		in.ReferringCustomer = &commission.CustomerRef{ID: c.ReferringCustomerID}
	}
	if _, err := r.eng.CreateCustomer(ctx, in); err != nil {
		return fmt.Errorf("simulate: customer %q: %w", c.Key, err)
	}
	if c.Status == commission.CustomerSuspended {
		if _, err := r.eng.SetCustomerStatus(ctx, commission.CustomerRef{ID: c.ID}, c.Status); err != nil {
			return fmt.Errorf("simulate: customer %q: %w", c.Key, err)
		}
	}
	return r.signedUp(ctx, c)
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// record replays a stored sale under the candidate rules and returns the
// transaction recorded, nil when there is none: a signup transaction is
// recorded by its customer's creation, when the candidate rules make
// signups earn, and not replayed.
func (r *replay) record(ctx context.Context, t *commission.Transaction) (*commission.Transaction, error) {
	if !r.created[t.CustomerID] {
		c, ok := r.byID[t.CustomerID]
		if !ok {
			return nil, fmt.Errorf("simulate: sale %q: its customer %q is not stored", t.Key, t.CustomerKey)
		}
		// Recorded after its customer was created, and so after what
		// happened before that.
		if err := r.catchUp(ctx, c.CreatedAt); err != nil {
			return nil, err
		}
		if err := r.createCustomer(ctx, c); err != nil {
			return nil, err
		}
		r.at = later(r.at, c.CreatedAt) // a sale backdated before its customer
	}
	if isSignup(t) {
		r.storedSignup(t.Key)
		return r.simulated(ctx, t.Key)
	}
	r.now, r.rate = r.at, t.Rate
	sim, err := r.eng.CreateTransaction(ctx, saleInput(t, r.at))
	if err != nil {
		return nil, fmt.Errorf("simulate: sale %q: %w", t.Key, err)
	}
	return sim, nil
}

// saleInput is the input that records t again, at the replay's time at.
func saleInput(t *commission.Transaction, at time.Time) commission.TransactionInput {
	amount, rewardable := t.Amount, t.Rewardable
	in := commission.TransactionInput{Key: t.Key, Amount: &amount, Reward: t.Reward, AmountUnits: t.AmountUnits,
		Action: t.Action, ProductID: t.ProductID, ProductType: t.ProductType, Products: t.Products,
		Rewarded: t.Rewarded, Rewardable: &rewardable, Customer: commission.CustomerInput{ID: t.CustomerID}}
	if t.Backdated || !t.CreatedAt.Equal(at) {
		createdAt := t.CreatedAt
		in.CreatedAt = &createdAt
	}
	return in
}

// simulated reads a transaction of the private store; nil when it has
// none by that key.
func (r *replay) simulated(ctx context.Context, key string) (*commission.Transaction, error) {
	t, err := r.eng.Transaction(ctx, key)
	if errors.Is(err, commission.ErrNotFound) {
		return nil, nil
	}
	return t, err
}

// act replays an action on a replayed sale at its time, and reports the
// sale once its last action is replayed.
func (r *replay) act(ctx context.Context, a action) error {
	r.now = a.at
	var err error
	switch {
	case a.refund != nil:
		_, err = r.eng.RefundTransaction(ctx, a.key, refundInput(a.refund))
	case a.state == commission.TransactionDeleted:
		err = r.eng.DeleteTransaction(ctx, a.key)
	case a.state == commission.TransactionArchived:
		err = r.eng.ArchiveTransaction(ctx, a.key)
	}
	if err != nil && !(errors.Is(err, commission.ErrNotFound) && a.signup) {
		return fmt.Errorf("simulate: replaying a change of %q at %s: %w", a.key, a.at.Format(commission.TimeFormat), err)
	}
	w, ok := r.waiting[a.key]
	if !ok {
		return nil
	}
	if w.left--; w.left > 0 {
		return nil
	}
	delete(r.waiting, a.key)
	sim, err := r.simulated(ctx, a.key)
	if err != nil {
		return err
	}
	return r.report(w.stored, sim, w.order)
}

// refundInput is the input that makes refund r again.
func refundInput(r *commission.Refund) commission.RefundInput {
	in := commission.RefundInput{Key: r.Key}
	if len(r.Lines) > 0 {
		in.Products = r.Lines
	} else {
		amount := r.Amount
		in.Amount = &amount
	}
	return in
}
