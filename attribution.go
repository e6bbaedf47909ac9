package commission

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Attribution: whom a new customer belongs to (a partner named by id, key
// or email or by a referral URL, or a referring customer), whom its sales
// reward, and how partners and customers are named.

// validateRef checks the fields of a reference to a partner or customer
// (the email as the engine compares it, folded), under prefix.
func validateRef(v *validator, prefix, id, key, email string) {
	validateKey(v, prefix+"id", id, false)
	validateKey(v, prefix+"key", key, false)
	validateEmail(v, prefix+"email", email)
}

func (r PartnerRef) validate(v *validator, prefix string) {
	validateRef(v, prefix, r.ID, r.Key, r.Email)
}

func (r CustomerRef) validate(v *validator, prefix string) {
	validateRef(v, prefix, r.ID, r.Key, r.Email)
}

// checkRef is a reference a caller looks up by: a *ValidationError when
// one of its fields could never name anything.
func checkRef(id, key, email string) error {
	v := &validator{}
	validateRef(v, "", id, key, email)
	return v.err()
}

// checkKey is a key or id a caller looks up by (path names it): a
// *ValidationError when it could never name anything.
func checkKey(path, key string) error {
	v := &validator{}
	validateKey(v, path, key, true)
	return v.err()
}

// validateAttribution checks the attribution fields of a customer to be
// created. urlPath is where the referral URL sits in the request.
func (in CustomerInput) validateAttribution(v *validator, prefix, urlPath string, p *Program) {
	validateText(v, urlPath, in.ReferralURL, maxURLLen)
	if in.Partner != nil {
		in.Partner.validate(v, prefix+"partner.")
	}
	if in.ReferringCustomer != nil {
		in.ReferringCustomer.validate(v, prefix+"referring_customer.")
	}
	switch p.Kind {
	case Affiliate:
		if in.ReferringCustomer != nil {
			v.add(prefix+"referring_customer", "is for refer-a-friend programs; an affiliate customer is attributed to a partner")
		}
		if in.ReferralURL != "" && (in.Partner == nil || in.Partner.IsZero()) {
			validateReferralURL(v, urlPath, in.ReferralURL, p.ReferralParam)
		}
	case ReferAFriend:
		if in.ReferralURL != "" {
			v.add(urlPath, "is for affiliate programs")
		}
		if in.Partner != nil {
			v.add(prefix+"partner", "is for affiliate programs; a refer-a-friend customer has a referring_customer")
		}
		if in.ReferringCustomer != nil && in.ReferringCustomer.IsZero() {
			v.add(prefix+"referring_customer", "names no customer")
		}
	}
}

// attribute resolves the attribution in gives the new customer c: its
// partner (affiliate) or referring customer (refer-a-friend), returned as
// c's buyer. fieldPrefix is where the customer sits in the request.
func (e *Engine) attribute(ctx context.Context, tx StoreTx, c *Customer, in CustomerInput, fieldPrefix string) (*Buyer, error) {
	b := &Buyer{Customer: c}
	if e.prog.Kind == ReferAFriend {
		if in.ReferringCustomer != nil {
			rc, err := tx.Customer(ctx, *in.ReferringCustomer)
			if err != nil {
				return nil, customerErr(err, "referring customer", *in.ReferringCustomer)
			}
			c.ReferringCustomerID, c.ReferringCustomerKey, b.Referrer = rc.ID, rc.Key, rc
		}
		return b, nil
	}
	var ref PartnerRef
	if in.Partner != nil {
		ref = *in.Partner
	}
	if ref.IsZero() {
		// validateAttribution has checked that a URL names a key.
		ref.Key, _ = referralKey(in.ReferralURL, e.prog.ReferralParam)
	}
	if ref.IsZero() {
		// Checked here rather than in validateAttribution: with
		// options.create_customer, a returning customer needs none.
		return nil, fieldError(fieldPrefix+"partner",
			"a partner key, id or email, or a referral URL, is required to attribute a new customer")
	}
	p, err := tx.Partner(ctx, ref)
	if err != nil {
		return nil, partnerErr(err, ref)
	}
	c.PartnerID, c.PartnerKey, b.Partner = p.ID, p.Key, p
	return b, nil
}

// validateReferralURL checks that a referral URL names a partner key, and
// one that could be a key.
func validateReferralURL(v *validator, path, raw, param string) {
	key, ok := referralKey(raw, param)
	if !ok {
		v.addf(path, "names no partner key (expected ?%s=KEY or /%s/KEY)", param, param)
		return
	}
	kv := &validator{}
	validateKey(kv, "", key, true)
	if len(kv.fields) > 0 {
		v.add(path, "names a partner key that "+kv.fields[0].Message)
	}
}

// referralKey extracts the partner key a referral URL carries: the query
// parameter param (?aff=KEY), or the path segment after it (/aff/KEY).
func referralKey(raw, param string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	if k := u.Query().Get(param); k != "" {
		return k, true
	}
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	for i := 0; i+1 < len(segs); i++ {
		if segs[i] == param && segs[i+1] != "" {
			k, err := url.PathUnescape(segs[i+1])
			return k, err == nil
		}
	}
	return "", false
}

// beneficiaryOf is whose metrics t counts towards: its partner, or its
// referring customer; "" for none.
func (e *Engine) beneficiaryOf(t *Transaction) string {
	return e.beneficiary(t.PartnerID, t.ReferringCustomerID)
}

// beneficiary is, of a customer's or a sale's partner and referring
// customer, the one the program rewards; "" for none.
func (e *Engine) beneficiary(partnerID, referringCustomerID string) string {
	if e.prog.Kind == ReferAFriend {
		return referringCustomerID
	}
	return partnerID
}

// foldEmail is an email as the engine keeps and compares it: in lower
// case, so that emails compare case-insensitively on every store.
func foldEmail(s string) string { return strings.ToLower(s) }

func (r PartnerRef) folded() PartnerRef {
	r.Email = foldEmail(r.Email)
	return r
}

func (r CustomerRef) folded() CustomerRef {
	r.Email = foldEmail(r.Email)
	return r
}

// foldEmails lowers in's emails, its references' included, leaving what
// those point to as it was.
func (in *CustomerInput) foldEmails() {
	in.Email = foldEmail(in.Email)
	if in.Partner != nil {
		p := in.Partner.folded()
		in.Partner = &p
	}
	if in.ReferringCustomer != nil {
		c := in.ReferringCustomer.folded()
		in.ReferringCustomer = &c
	}
}

// idAndKey fills an absent id or key from the other, or both from a new id.
func (e *Engine) idAndKey(id, key string) (string, string) {
	switch {
	case id == "" && key == "":
		id = e.newID()
		return id, id
	case id == "":
		return key, key
	case key == "":
		return id, id
	}
	return id, key
}

// taken words a store's duplicate error the same way whichever store
// found it; other errors pass through.
func taken(err error, what, id, key, email string) error {
	if !errors.Is(err, ErrDuplicateKey) {
		return err
	}
	if email == "" {
		return fmt.Errorf("%w: a %s with id %q or key %q exists", ErrDuplicateKey, what, brief(id), brief(key))
	}
	return fmt.Errorf("%w: a %s with id %q, key %q or email %q exists", ErrDuplicateKey, what, brief(id), brief(key), brief(email))
}

// describeRef names a reference in an error message, briefly.
func describeRef(id, key, email string) string {
	switch {
	case id != "":
		return "id " + strconv.Quote(brief(id))
	case key != "":
		return "key " + strconv.Quote(brief(key))
	}
	return "email " + strconv.Quote(brief(email))
}
