package commission

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// PartnerStatus is a partner's standing in a program.
type PartnerStatus string

// Partner statuses. An archived partner earns nothing on later sales.
const (
	PartnerActive   PartnerStatus = "active"
	PartnerPending  PartnerStatus = "pending"
	PartnerArchived PartnerStatus = "archived"
)

func (s PartnerStatus) valid() bool {
	return s == PartnerActive || s == PartnerPending || s == PartnerArchived
}

// Partner is someone who refers customers in an affiliate program and earns
// rewards on their sales.
type Partner struct {
	ID      string   `json:"id"`
	Key     string   `json:"key"`
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
	// comes first in the rules' precedence (SPEC §4.2), or after product
	// rules when the program says RuleSet.ProductsOverPartner.
	Commission *Commission `json:"commission,omitempty"`
}

// PartnerRef names a partner by ID, Key or Email, tried in that order.
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
}

// CustomerStatus is a customer's standing. A suspended customer's sales are
// recorded but earn no rewards.
type CustomerStatus string

// Customer statuses.
const (
	CustomerActive    CustomerStatus = "active"
	CustomerSuspended CustomerStatus = "suspended"
)

func (s CustomerStatus) valid() bool { return s == CustomerActive || s == CustomerSuspended }

// Customer is a buyer. In an affiliate program it is attributed to one
// partner for good; in a refer-a-friend program it may have been referred
// by another customer.
type Customer struct {
	ID      string   `json:"id"`
	Key     string   `json:"key"`
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
}

// CustomerRef names a customer by ID, Key or Email, tried in that order
// ("id takes priority over key").
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

// UnmarshalJSON decodes the documented customer object, accepting
// created_at as a Unix timestamp or an RFC 3339 string.
func (in *CustomerInput) UnmarshalJSON(b []byte) error {
	type plain CustomerInput
	aux := struct {
		*plain
		CreatedAt *jsonTime `json:"created_at"`
	}{plain: (*plain)(in)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	in.CreatedAt = aux.CreatedAt.ptr()
	return nil
}

func validateKey(v *validator, path, key string, required bool) {
	switch {
	case key == "":
		if required {
			v.add(path, "is required")
		}
	case len(key) > maxKeyLen:
		v.addf(path, "longer than %d bytes", maxKeyLen)
	case !validUTF8(key):
		v.add(path, "is not valid UTF-8")
	case strings.IndexByte(key, 0) >= 0:
		v.add(path, "contains a NUL byte")
	}
}

func validateEmail(v *validator, path, email string) {
	if email == "" {
		return
	}
	validateKey(v, path, email, false)
	at := strings.IndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		v.add(path, "is not an email address")
	}
}

// maxTags bounds the tags of one partner or customer.
const maxTags = 100

func validateTags(v *validator, path string, tags []string) {
	if len(tags) > maxTags {
		v.addf(path, "has more than %d tags", maxTags)
	}
	for i, t := range tags {
		validateKey(v, path+"["+itoa(i)+"]", t, true)
	}
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
	if in.Commission != nil {
		steps(*in.Commission, v, "commission", p)
	}
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
	switch p.Kind {
	case Affiliate:
		if in.ReferringCustomer != nil {
			v.add(prefix+"referring_customer", "is for refer-a-friend programs; an affiliate customer is attributed to a partner")
		}
		if in.ReferralURL != "" && (in.Partner == nil || in.Partner.IsZero()) {
			if _, ok := referralKey(in.ReferralURL, p.ReferralParam); !ok {
				v.addf(urlPath, "names no partner key (expected ?%s=KEY or /%s/KEY)", p.ReferralParam, p.ReferralParam)
			}
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

// Clone returns a deep copy of p.
func (p *Partner) Clone() *Partner {
	c := *p
	c.Tags = cloneStrings(p.Tags)
	c.Commission = p.Commission.clone()
	return &c
}

// Clone returns a deep copy of c.
func (c *Customer) Clone() *Customer {
	d := *c
	d.Tags = cloneStrings(c.Tags)
	return &d
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
