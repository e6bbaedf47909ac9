package commission

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CustomerStatus is a customer's standing. A suspended customer's sales are
// recorded but earn no rewards; a deleted customer's (Engine.DeleteCustomer)
// are refused.
type CustomerStatus string

// Customer statuses. No status is set to or from deleted but by
// DeleteCustomer, for good.
const (
	CustomerActive    CustomerStatus = "active"
	CustomerSuspended CustomerStatus = "suspended"
	CustomerDeleted   CustomerStatus = "deleted"
)

// valid reports a status a customer may be set to.
func (s CustomerStatus) valid() bool { return s == CustomerActive || s == CustomerSuspended }

// Customer is a buyer. In an affiliate program it is attributed to one
// partner for good; in a refer-a-friend program it may have been referred
// by another customer.
type Customer struct {
	ID  string `json:"id"`
	Key string `json:"key"`
	// Email is unique in the program and kept in lower case: emails
	// compare case-insensitively, in lookups, uniqueness and fraud checks.
	Email   string   `json:"email,omitempty"`
	Name    string   `json:"name,omitempty"`
	Surname string   `json:"surname,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	// PartnerID and PartnerKey name the attributed partner (affiliate).
	PartnerID  string `json:"partner_id,omitempty"`
	PartnerKey string `json:"partner,omitempty"`
	// ReferringCustomerID and ReferringCustomerKey name the referrer
	// (refer-a-friend).
	ReferringCustomerID  string         `json:"referring_customer_id,omitempty"`
	ReferringCustomerKey string         `json:"referring_customer,omitempty"`
	Status               CustomerStatus `json:"status"`
	CreatedAt            time.Time      `json:"created_at"`
	// ReferralURL is the referral link the customer was created through,
	// if it was: kept for audit and for the fraud protection's paid-ad
	// check.
	ReferralURL string `json:"referral_url,omitempty"`
}

// CustomerRef names a customer by ID, Key or Email (in any case), tried
// in that order ("id takes priority over key").
type CustomerRef struct {
	ID    string `json:"id,omitempty"`
	Key   string `json:"key,omitempty"`
	Email string `json:"email,omitempty"`
}

// IsZero reports whether the reference names nothing.
func (r CustomerRef) IsZero() bool { return r.ID == "" && r.Key == "" && r.Email == "" }

// CustomerInput identifies the buyer of a transaction and, when the
// customer is created (CreateCustomer, or options.create_customer), gives
// its fields and attribution. It decodes the documented "customer" object;
// created_at is accepted as a Unix timestamp or an RFC 3339 string.
type CustomerInput struct {
	ID        string     `json:"id,omitempty"`
	Key       string     `json:"key,omitempty"`
	Email     string     `json:"email,omitempty"`
	Name      string     `json:"name,omitempty"`
	Surname   string     `json:"surname,omitempty"`
	Tags      []string   `json:"tags,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// Partner attributes the customer in an affiliate program.
	Partner *PartnerRef `json:"partner,omitempty"`
	// ReferralURL attributes the customer through a referral link naming
	// the partner's key (options.referral_url in a transaction request).
	ReferralURL string `json:"referral_url,omitempty"`
	// ReferringCustomer is the referrer in a refer-a-friend program.
	ReferringCustomer *CustomerRef `json:"referring_customer,omitempty"`
}

// Ref returns the reference to the customer the input identifies.
func (in CustomerInput) Ref() CustomerRef {
	return CustomerRef{ID: in.ID, Key: in.Key, Email: in.Email}
}

// validateRef checks the identifying fields of a customer reference.
func (in CustomerInput) validateRef(v *validator, prefix string) {
	if in.ID == "" && in.Key == "" && in.Email == "" {
		v.add(prefix+"key", "a customer key, email or id is required")
	}
	validateKey(v, prefix+"id", in.ID, false)
	validateKey(v, prefix+"key", in.Key, false)
	validateEmail(v, prefix+"email", in.Email)
}

// validateNew checks the fields used when the customer is created.
// urlPath is where the referral URL sits in the request.
func (in CustomerInput) validateNew(v *validator, prefix, urlPath string, p *Program, now time.Time) {
	validateKey(v, prefix+"name", in.Name, false)
	validateKey(v, prefix+"surname", in.Surname, false)
	validateTags(v, prefix+"tags", in.Tags)
	if in.CreatedAt != nil {
		validateTime(v, prefix+"created_at", *in.CreatedAt, now)
	}
	in.validateAttribution(v, prefix, urlPath, p)
}

// Clone returns a deep copy of c.
func (c *Customer) Clone() *Customer {
	d := *c
	d.Tags = cloneStrings(c.Tags)
	return &d
}

// CreateCustomer creates a customer, attributed to a partner (affiliate:
// in.Partner or in.ReferralURL) or to its referring customer
// (refer-a-friend). ErrDuplicateKey if its id, key or email is taken;
// ErrPartnerNotFound or ErrCustomerNotFound if attribution names nobody.
func (e *Engine) CreateCustomer(ctx context.Context, in CustomerInput) (_ *Customer, err error) {
	defer e.logOp(ctx, "CreateCustomer", &err, "customer", in.Key)
	now := e.clock()
	in.foldEmails() // checked as they are stored
	v := &validator{}
	validateKey(v, "id", in.ID, false)
	validateKey(v, "key", in.Key, false)
	validateEmail(v, "email", in.Email)
	in.validateNew(v, "", "referral_url", &e.prog, now)
	if err := v.err(); err != nil {
		return nil, err
	}
	var b *Buyer
	err = e.update(ctx, func(tx StoreTx) error {
		w := &work{tx: tx, now: now}
		var err error
		b, err = e.newCustomer(ctx, w, in, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return b.Customer, nil
}

// newCustomer builds the customer in describes, resolves its attribution,
// stores it (unless w is dry) and records its signup. fieldPrefix is
// where the customer sits in the request.
func (e *Engine) newCustomer(ctx context.Context, w *work, in CustomerInput, fieldPrefix string) (*Buyer, error) {
	c := &Customer{
		ID: in.ID, Key: in.Key, Email: in.Email, Name: in.Name, Surname: in.Surname,
		Tags: cloneStrings(in.Tags), Status: CustomerActive, CreatedAt: w.now, ReferralURL: in.ReferralURL,
	}
	c.ID, c.Key = e.idAndKey(c.ID, c.Key)
	if in.CreatedAt != nil {
		c.CreatedAt = in.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	b, err := e.attribute(ctx, w.tx, c, in, fieldPrefix)
	if err != nil {
		return nil, err
	}
	if !w.dry {
		if err := w.tx.InsertCustomer(ctx, c); err != nil {
			return nil, taken(err, "customer", c.ID, c.Key, c.Email)
		}
		record(w.tx, EventCustomerCreated, c)
	}
	if err := e.signedUp(ctx, w, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Customer returns the customer ref names. ErrNotFound if there is none.
func (e *Engine) Customer(ctx context.Context, ref CustomerRef) (*Customer, error) {
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	c, err := readCopy(ctx, e, func(tx StoreTx) (*Customer, error) { return tx.Customer(ctx, ref) })
	return c, customerNotFound(err, ref)
}

// customerNotFound words a customer a caller looks up and the store does
// not have, briefly.
func customerNotFound(err error, ref CustomerRef) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: customer %s", ErrNotFound, describeRef(ref.ID, ref.Key, ref.Email))
	}
	return err
}

// SetCustomerStatus suspends a customer (later sales earn nothing; event
// customer.suspended) or approves it again (active; event
// customer.updated). A customer is deleted with DeleteCustomer, not with a
// status. ErrNotFound if there is no such customer; ErrAlreadyDeleted if
// it is deleted.
func (e *Engine) SetCustomerStatus(ctx context.Context, ref CustomerRef, status CustomerStatus) (_ *Customer, err error) {
	defer e.logOp(ctx, "SetCustomerStatus", &err, "customer", ref, "status", status)
	switch {
	case status == CustomerDeleted:
		return nil, fieldError("status", "a customer is deleted with DeleteCustomer")
	case !status.valid():
		return nil, fieldError("status", fmt.Sprintf("unknown customer status %q", brief(string(status))))
	}
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	return e.amendCustomer(ctx, ref, func(tx StoreTx, c *Customer) error {
		c.Status = status
		record(tx, customerStatusEvent(status), c)
		return tx.SetCustomerStatus(ctx, c.ID, status)
	})
}

// amendCustomer reads the customer ref names in an Update, locked, lets
// change modify a copy of it and store the change, and returns the copy.
// ErrNotFound if there is no such customer; ErrAlreadyDeleted if it is
// deleted: a deleted customer never changes again.
func (e *Engine) amendCustomer(ctx context.Context, ref CustomerRef, change func(StoreTx, *Customer) error) (*Customer, error) {
	c, err := amend(ctx, e, func(tx StoreTx) (*Customer, error) {
		c, err := tx.LockCustomer(ctx, ref)
		if err == nil && c.Status == CustomerDeleted {
			return nil, fmt.Errorf("%w: customer %s", ErrAlreadyDeleted, describeRef(ref.ID, ref.Key, ref.Email))
		}
		return c, err
	}, change)
	if err != nil {
		return nil, customerNotFound(err, ref)
	}
	return c, nil
}

// UpdateCustomer changes the customer ref names: the fields in sets, the
// others (its attribution among them) left as they are. Emails are unique
// in the program and kept in lower case. It writes customer.updated with
// the customer after it, unless nothing changes, when it writes nothing.
// Errors: *ValidationError naming each bad field (email, name, surname,
// tags[i]); ErrNotFound if there is no such customer; ErrDuplicateKey if
// the email is another customer's; ErrAlreadyDeleted if the customer is
// deleted.
func (e *Engine) UpdateCustomer(ctx context.Context, ref CustomerRef, in CustomerUpdate) (_ *Customer, err error) {
	defer e.logOp(ctx, "UpdateCustomer", &err, "customer", ref)
	if err := in.validated(); err != nil {
		return nil, err
	}
	ref = ref.folded()
	if err := checkRef(ref.ID, ref.Key, ref.Email); err != nil {
		return nil, err
	}
	return e.amendCustomer(ctx, ref, func(tx StoreTx, c *Customer) error {
		if !setPersonal(&c.Email, &c.Name, &c.Surname, &c.Tags, in.Email, in.Name, in.Surname, in.Tags) {
			return nil // nothing changes: nothing is written
		}
		record(tx, EventCustomerUpdated, c)
		return emailTaken(tx.UpdateCustomer(ctx, c), "customer", c.Email)
	})
}

// customerErr words a customer that a request names and the store does
// not have as the documented "Customer not found".
func customerErr(err error, who string, ref CustomerRef) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %s %s", ErrCustomerNotFound, who, describeRef(ref.ID, ref.Key, ref.Email))
	}
	return err
}
