package commission

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// PartnerStatus is a partner's standing in a program.
type PartnerStatus string

// Partner statuses. An archived partner earns nothing on later sales. A
// deleted partner (Engine.DeletePartner) earns nothing either, and its
// personal fields are erased; no status is set to or from deleted but by
// DeletePartner, for good.
const (
	PartnerActive   PartnerStatus = "active"
	PartnerPending  PartnerStatus = "pending"
	PartnerArchived PartnerStatus = "archived"
	PartnerDeleted  PartnerStatus = "deleted"
)

// valid reports a status a partner may be created with or set to.
func (s PartnerStatus) valid() bool {
	return s == PartnerActive || s == PartnerPending || s == PartnerArchived
}

// earns reports whether a partner in status s earns on later sales: not
// when archived or deleted.
func (s PartnerStatus) earns() bool { return s != PartnerArchived && s != PartnerDeleted }

// Partner is someone who refers customers in an affiliate program and earns
// rewards on their sales.
type Partner struct {
	ID  string `json:"id"`
	Key string `json:"key"`
	// Email is unique in the program and kept in lower case: emails
	// compare case-insensitively, in lookups, uniqueness and fraud checks.
	Email   string   `json:"email,omitempty"`
	Name    string   `json:"name,omitempty"`
	Surname string   `json:"surname,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	// ReferringPartnerID is the partner who referred this one (multi-level
	// programs), or "".
	ReferringPartnerID string        `json:"referring_partner,omitempty"`
	Status             PartnerStatus `json:"status"`
	CreatedAt          time.Time     `json:"created_at"`
	// Commission is the partner's custom commission, nil for none. It
	// comes first in the rules' precedence, or after product rules when
	// the program says RuleSet.ProductsOverPartner.
	Commission *Commission `json:"commission,omitempty"`
	// PayoutMinimum is the least a payout to the partner in the program
	// currency may pay, instead of the program's; nil for the program's.
	PayoutMinimum *decimal.Decimal `json:"payout_minimum,omitempty"`
}

// PartnerRef names a partner by ID, Key or Email (in any case), tried in
// that order.
type PartnerRef struct {
	ID    string `json:"id,omitempty"`
	Key   string `json:"key,omitempty"`
	Email string `json:"email,omitempty"`
}

// IsZero reports whether the reference names nothing.
func (r PartnerRef) IsZero() bool { return r.ID == "" && r.Key == "" && r.Email == "" }

// PartnerInput creates a partner. When both ID and Key are empty a random ID
// is generated; when one is empty it takes the other's value.
type PartnerInput struct {
	ID               string        `json:"id,omitempty"`
	Key              string        `json:"key,omitempty"`
	Email            string        `json:"email,omitempty"`
	Name             string        `json:"name,omitempty"`
	Surname          string        `json:"surname,omitempty"`
	Tags             []string      `json:"tags,omitempty"`
	ReferringPartner *PartnerRef   `json:"referring_partner,omitempty"`
	Status           PartnerStatus `json:"status,omitempty"`
	// Commission is the partner's custom commission, nil for none.
	Commission *Commission `json:"commission,omitempty"`
	// PayoutMinimum is the partner's own payout minimum, nil for the
	// program's.
	PayoutMinimum *decimal.Decimal `json:"payout_minimum,omitempty"`
}

func (in PartnerInput) validate(v *validator, p *Program) {
	validateKey(v, "id", in.ID, false)
	validateKey(v, "key", in.Key, false)
	validateKey(v, "name", in.Name, false)
	validateKey(v, "surname", in.Surname, false)
	validateEmail(v, "email", in.Email)
	validateTags(v, "tags", in.Tags)
	if in.Status != "" && !in.Status.valid() {
		v.addf("status", "must be %q, %q or %q", PartnerActive, PartnerPending, PartnerArchived)
	}
	if in.ReferringPartner != nil && in.ReferringPartner.IsZero() {
		v.add("referring_partner", "names no partner")
	}
	if in.ReferringPartner != nil {
		in.ReferringPartner.validate(v, "referring_partner.")
	}
	if in.Commission != nil {
		steps(*in.Commission, v, "commission", p)
	}
	if in.PayoutMinimum != nil {
		validateAmount(v, "payout_minimum", *in.PayoutMinimum)
	}
}

// Clone returns a deep copy of p.
func (p *Partner) Clone() *Partner {
	c := *p
	c.Tags = cloneStrings(p.Tags)
	c.Commission = p.Commission.clone()
	c.PayoutMinimum = copyDecimal(p.PayoutMinimum)
	return &c
}

// CreatePartner creates a partner. ErrDuplicateKey if its id, key or email
// is taken; ErrPartnerNotFound if its referring partner does not exist.
func (e *Engine) CreatePartner(ctx context.Context, in PartnerInput) (_ *Partner, err error) {
	defer e.logOp(ctx, "CreatePartner", &err, "partner", in.Key)
	in.Email = foldEmail(in.Email) // checked as it is stored
	if in.ReferringPartner != nil {
		ref := in.ReferringPartner.folded()
		in.ReferringPartner = &ref
	}
	v := &validator{}
	in.validate(v, &e.prog)
	if err := v.err(); err != nil {
		return nil, err
	}
	p := &Partner{
		ID: in.ID, Key: in.Key, Email: in.Email, Name: in.Name, Surname: in.Surname,
		Tags: cloneStrings(in.Tags), Status: in.Status, CreatedAt: e.clock(),
		Commission: in.Commission.clone(), PayoutMinimum: copyDecimal(in.PayoutMinimum),
	}
	p.ID, p.Key = e.idAndKey(p.ID, p.Key)
	if p.Status == "" {
		p.Status = PartnerActive
	}
	err = e.update(ctx, func(tx StoreTx) error {
		if in.ReferringPartner != nil {
			rp, err := tx.Partner(ctx, *in.ReferringPartner)
			if err != nil {
				return partnerErr(err, *in.ReferringPartner)
			}
			p.ReferringPartnerID = rp.ID
		}
		record(tx, EventPartnerCreated, p)
		return taken(tx.InsertPartner(ctx, p), "partner", p.ID, p.Key, p.Email)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Partner returns the partner ref names. ErrNotFound if there is none.
func (e *Engine) Partner(ctx context.Context, ref PartnerRef) (*Partner, error) {
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	p, err := readCopy(ctx, e, func(tx StoreTx) (*Partner, error) { return tx.Partner(ctx, ref) })
	return p, partnerNotFound(err, ref)
}

// partnerNotFound words a partner a caller looks up and the store does
// not have, briefly.
func partnerNotFound(err error, ref PartnerRef) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: partner %s", ErrNotFound, describeRef(ref.ID, ref.Key, ref.Email))
	}
	return err
}

// SetPartnerStatus changes a partner's status: archiving it (an archived
// partner earns nothing on later sales; event partner.archived) or
// restoring it to active or pending (event partner.updated). A partner is
// deleted with DeletePartner, not with a status. ErrNotFound if there is
// no such partner; ErrAlreadyDeleted if it is deleted.
func (e *Engine) SetPartnerStatus(ctx context.Context, ref PartnerRef, status PartnerStatus) (_ *Partner, err error) {
	defer e.logOp(ctx, "SetPartnerStatus", &err, "partner", ref, "status", status)
	switch {
	case status == PartnerDeleted:
		return nil, fieldError("status", "a partner is deleted with DeletePartner")
	case !status.valid():
		return nil, fieldError("status", fmt.Sprintf("unknown partner status %q", brief(string(status))))
	}
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	return e.amendPartner(ctx, ref, func(tx StoreTx, p *Partner) error {
		p.Status = status
		record(tx, partnerStatusEvent(status), p)
		return tx.SetPartnerStatus(ctx, p.ID, status)
	})
}

// amendPartner reads the partner ref names in an Update, locked, lets
// change modify a copy of it and store the change, and returns the copy.
// ErrNotFound if there is no such partner; ErrAlreadyDeleted if it is
// deleted: a deleted partner never changes again.
func (e *Engine) amendPartner(ctx context.Context, ref PartnerRef, change func(StoreTx, *Partner) error) (*Partner, error) {
	p, err := amend(ctx, e, func(tx StoreTx) (*Partner, error) {
		p, err := tx.LockPartner(ctx, ref)
		if err == nil && p.Status == PartnerDeleted {
			return nil, fmt.Errorf("%w: partner %s", ErrAlreadyDeleted, describeRef(ref.ID, ref.Key, ref.Email))
		}
		return p, err
	}, change)
	if err != nil {
		return nil, partnerNotFound(err, ref)
	}
	return p, nil
}

// SetPartnerCommission sets a partner's custom commission, or with nil
// removes it. Later sales use it; stored rewards never change.
// ErrNotFound if there is no such partner; ErrAlreadyDeleted if it is
// deleted.
func (e *Engine) SetPartnerCommission(ctx context.Context, ref PartnerRef, c *Commission) (_ *Partner, err error) {
	defer e.logOp(ctx, "SetPartnerCommission", &err, "partner", ref)
	if c != nil {
		v := &validator{}
		steps(*c, v, "commission", &e.prog)
		if err := v.err(); err != nil {
			return nil, err
		}
	}
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	return e.amendPartner(ctx, ref, func(tx StoreTx, p *Partner) error {
		p.Commission = c.clone()
		record(tx, EventPartnerUpdated, p)
		return tx.SetPartnerCommission(ctx, p.ID, p.Commission)
	})
}

// SetPartnerPayoutMinimum sets the least a payout to the partner may pay
// in the program currency, replacing the program's Rules.Payouts.Minimum
// for it, or with nil removes it. ErrNotFound if there is no such
// partner; ErrAlreadyDeleted if it is deleted.
func (e *Engine) SetPartnerPayoutMinimum(ctx context.Context, ref PartnerRef, minimum *decimal.Decimal) (_ *Partner, err error) {
	defer e.logOp(ctx, "SetPartnerPayoutMinimum", &err, "partner", ref)
	if minimum != nil {
		v := &validator{}
		validateAmount(v, "payout_minimum", *minimum)
		if err := v.err(); err != nil {
			return nil, err
		}
	}
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	return e.amendPartner(ctx, ref, func(tx StoreTx, p *Partner) error {
		p.PayoutMinimum = copyDecimal(minimum)
		record(tx, EventPartnerUpdated, p)
		return tx.SetPartnerPayoutMinimum(ctx, p.ID, p.PayoutMinimum)
	})
}

// UpdatePartner changes the partner ref names: the fields in sets, the
// others left as they are. Emails are unique in the program and kept in
// lower case. It writes partner.updated with the partner after it, unless
// nothing changes, when it writes nothing. Errors: *ValidationError naming
// each bad field (email, name, surname, tags[i]); ErrNotFound if there is
// no such partner; ErrDuplicateKey if the email is another partner's;
// ErrAlreadyDeleted if the partner is deleted.
func (e *Engine) UpdatePartner(ctx context.Context, ref PartnerRef, in PartnerUpdate) (_ *Partner, err error) {
	defer e.logOp(ctx, "UpdatePartner", &err, "partner", ref)
	if err := in.validated(); err != nil {
		return nil, err
	}
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	return e.amendPartner(ctx, ref, func(tx StoreTx, p *Partner) error {
		if !setPersonal(&p.Email, &p.Name, &p.Surname, &p.Tags, in.Email, in.Name, in.Surname, in.Tags) {
			return nil // nothing changes: nothing is written
		}
		record(tx, EventPartnerUpdated, p)
		return emailTaken(tx.UpdatePartner(ctx, p), "partner", p.Email)
	})
}

// partnerErr words a partner that attribution names and the store does
// not have as the documented "Invalid partner key".
func partnerErr(err error, ref PartnerRef) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrPartnerNotFound, describeRef(ref.ID, ref.Key, ref.Email))
	}
	return err
}
