package simulate

import (
	"context"

	"github.com/commissionkit/commission"
)

// The store holds a customer's signup transaction only when the rules it
// was created under rewarded the signup. A signup the candidate rules
// reward and the stored ones did not is reported too, against a stored
// transaction without rewards, once the whole history is replayed.

// newSignup is a signup the private engine recorded, in the order of its
// customer's creation.
type newSignup struct {
	key    string
	order  int64 // the sales replayed before it
	stored bool  // the store has a signup transaction by its key
}

// isSignup reports whether t is a signup transaction the engine recorded.
func isSignup(t *commission.Transaction) bool {
	return t.Key == commission.SignupKey(t.CustomerID)
}

// signedUp notes the signup transaction the private engine recorded for
// a customer it just created, if it recorded one.
func (r *replay) signedUp(ctx context.Context, c *commission.Customer) error {
	key := commission.SignupKey(c.ID)
	sim, err := r.simulated(ctx, key)
	if err != nil || sim == nil {
		return err
	}
	s := &newSignup{key: key, order: r.replayed}
	r.signups = append(r.signups, s)
	r.signupByKey[key] = s
	return nil
}

// storedSignup notes that the store has the signup transaction with key.
func (r *replay) storedSignup(key string) {
	if s, ok := r.signupByKey[key]; ok {
		s.stored = true
	}
}

// reportNewSignups reports, after the whole history, the signups in
// range that only the candidate rules recorded.
func (r *replay) reportNewSignups(ctx context.Context) error {
	for _, s := range r.signups {
		if s.stored {
			continue
		}
		sim, err := r.simulated(ctx, s.key)
		if err != nil {
			return err
		}
		stored := sim.Clone()
		stored.Seq, stored.Rewards = 0, nil
		if !r.inRange(stored) {
			continue
		}
		r.reported++
		if err := r.report(stored, sim, s.order); err != nil {
			return err
		}
	}
	return nil
}
