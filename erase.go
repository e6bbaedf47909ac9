package commission

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Personal fields: the email, name, surname and tags that partners and
// customers share (and a customer's referral URL), how an update changes
// them, and how a deletion erases them for privacy while the money they
// earned or made stays as it was.

// DeletePartner deletes the partner ref names, for privacy: its personal
// fields (email, name, surname, tags) are erased and its status becomes
// PartnerDeleted, for good. It returns the erased partner, and writes
// partner.deleted with it.
//
// What the partner earned stays: its transactions, rewards, payouts and
// balance read as before, by its id or key (Balance, Rewards, Payouts,
// Transactions), and what it is owed may still be paid out. Its customers
// stay attributed to it. It earns nothing more, as an archived partner:
// a later sale by one of its customers is recorded and rewards nobody
// (nor it as an upline), and a new customer may still be attributed to it
// by id, key or referral URL (a new partner may name it as its referrer),
// earning it nothing. Its id and key stay taken, so that no new partner
// gets them; its email is free.
//
// A deleted partner cannot be changed (UpdatePartner, SetPartnerStatus,
// SetPartnerCommission, SetPartnerPayoutMinimum) nor deleted again: those
// are ErrAlreadyDeleted, so that a retried delete whose first attempt
// committed is told apart from a partner that never was (ErrNotFound).
// Events written before the deletion keep the data they were written
// with.
func (e *Engine) DeletePartner(ctx context.Context, ref PartnerRef) (_ *Partner, err error) {
	defer e.logOp(ctx, "DeletePartner", &err, "partner", ref)
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	return e.amendPartner(ctx, ref, func(tx StoreTx, p *Partner) error {
		p.Email, p.Name, p.Surname, p.Tags = "", "", "", nil
		p.Status = PartnerDeleted
		record(tx, EventPartnerDeleted, p)
		return tx.UpdatePartner(ctx, p)
	})
}

// DeleteCustomer deletes the customer ref names, for privacy: its personal
// fields (email, name, surname, tags, referral URL) are erased and its
// status becomes CustomerDeleted, for good. It returns the erased
// customer, and writes customer.deleted with it.
//
// Its transactions keep naming it by id and key, so that they, their
// rewards and refunds, and their deletion, archiving and payouts work and
// read as before; its attribution (partner, referring customer) stays. A
// new sale by it is refused with ErrAlreadyDeleted, in a bulk or a
// Preview too; options.create_customer does not create it again, since its
// id and key stay taken (its email is free). In a refer-a-friend program
// it earns nothing more as a referrer, as a suspended one.
//
// A deleted customer cannot be changed (UpdateCustomer, SetCustomerStatus)
// nor deleted again: those are ErrAlreadyDeleted, so that a retried delete
// whose first attempt committed is told apart from a customer that never
// was (ErrNotFound). Events written before the deletion keep the data
// they were written with.
func (e *Engine) DeleteCustomer(ctx context.Context, ref CustomerRef) (_ *Customer, err error) {
	defer e.logOp(ctx, "DeleteCustomer", &err, "customer", ref)
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	return e.amendCustomer(ctx, ref, func(tx StoreTx, c *Customer) error {
		c.Email, c.Name, c.Surname, c.Tags, c.ReferralURL = "", "", "", nil, ""
		c.Status = CustomerDeleted
		record(tx, EventCustomerDeleted, c)
		return tx.UpdateCustomer(ctx, c)
	})
}

// deletedBuyer is the refusal of a sale by a deleted customer.
func deletedBuyer(c *Customer) error {
	return fmt.Errorf("%w: customer %q is deleted, and its sales are refused", ErrAlreadyDeleted, brief(c.Key))
}

// foldedPtr is the email at p as the engine keeps it (lower case); nil
// for nil.
func foldedPtr(p *string) *string {
	if p == nil {
		return nil
	}
	s := foldEmail(*p)
	return &s
}

// validatePersonal checks the personal fields an update sets (those not
// nil), the email as it will be stored.
func validatePersonal(v *validator, email, name, surname *string, tags *[]string) {
	if email != nil {
		validateEmail(v, "email", *email)
	}
	if name != nil {
		validateKey(v, "name", *name, false)
	}
	if surname != nil {
		validateKey(v, "surname", *surname, false)
	}
	if tags != nil {
		validateTags(v, "tags", *tags)
	}
}

// setPersonal sets the personal fields at email, name, surname and tags
// to those an update gives (not nil), and reports whether one changed.
// Tags are copied; no tags are nil.
func setPersonal(email, name, surname *string, tags *[]string, newEmail, newName, newSurname *string, newTags *[]string) bool {
	changed := false
	for _, f := range []struct{ at, to *string }{{email, newEmail}, {name, newName}, {surname, newSurname}} {
		if f.to != nil && *f.to != *f.at {
			*f.at, changed = *f.to, true
		}
	}
	if newTags != nil && !slices.Equal(*newTags, *tags) {
		*tags, changed = cloneStrings(*newTags), true
		if len(*tags) == 0 {
			*tags = nil
		}
	}
	return changed
}

// emailTaken words a store's duplicate error of an update, whose one
// unique field that can clash is the email; other errors pass through.
func emailTaken(err error, what, email string) error {
	if errors.Is(err, ErrDuplicateKey) {
		return fmt.Errorf("%w: a %s with email %q exists", ErrDuplicateKey, what, brief(email))
	}
	return err
}
