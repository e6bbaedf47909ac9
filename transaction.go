package commission

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// DefaultAction is the action of a transaction that names none.
const DefaultAction = "sale"

const (
	maxKeyLen = 255
	// maxLines bounds the product lines of one sale.
	maxLines = 1000
	// maxReasonLen bounds a rejection's reason, in bytes.
	maxReasonLen = 4096
	// Amounts must fit NUMERIC(38,18): 18 places after the point, 20 before.
	maxScale         = 18
	maxIntegerDigits = 20
)

// TransactionInput is one sale (or other action) to record. It decodes the
// documented request body with encoding/json as is.
type TransactionInput struct {
	// Key is the caller's unique id for the sale; generated when empty.
	Key string `json:"key,omitempty"`
	// Amount is the sale amount. Either Amount or Reward is required.
	Amount *decimal.Decimal `json:"amount,omitempty"`
	// Reward sets the commission directly instead of computing it.
	Reward *decimal.Decimal `json:"reward,omitempty"`
	// AmountUnits is the currency code; the program currency when empty.
	AmountUnits string `json:"amount_units,omitempty"`
	// Action is the transaction type; "sale" when empty.
	Action      string `json:"action,omitempty"`
	ProductID   string `json:"product_id,omitempty"`
	ProductType string `json:"product_type,omitempty"`
	// Products are the sale's lines, each rewarded by its own rule.
	Products []ProductLine `json:"products,omitempty"`
	// Rewarded marks a sale already rewarded elsewhere: it is stored and
	// counts towards limits and tiers, but earns no reward here.
	Rewarded bool `json:"rewarded,omitempty"`
	// Rewardable false records the sale with no reward; nil means true.
	Rewardable *bool `json:"rewardable,omitempty"`
	// CreatedAt backdates the sale (a Unix timestamp in JSON). Rules and
	// review periods are evaluated as of this time. Nil means now.
	CreatedAt *time.Time         `json:"created_at,omitempty"`
	Customer  CustomerInput      `json:"customer"`
	Options   TransactionOptions `json:"options"`

	rate *decimal.Decimal // into the program currency, when converting
}

// TransactionOptions are the documented request options.
type TransactionOptions struct {
	// CreateCustomer creates the customer with the transaction when it does
	// not exist yet.
	CreateCustomer bool `json:"create_customer,omitempty"`
	// ReferralURL attributes a created customer through a referral link.
	ReferralURL string `json:"referral_url,omitempty"`
}

// ProductLine is one line of a multi-product sale.
type ProductLine struct {
	ProductID    string          `json:"product_id"`
	ProductType  string          `json:"product_type,omitempty"`
	ProductPrice decimal.Decimal `json:"product_price"`

	noPrice bool // decoded from JSON without a product_price
}

// UnmarshalJSON decodes the documented request body, accepting created_at
// as a Unix timestamp (or an RFC 3339 string).
func (in *TransactionInput) UnmarshalJSON(b []byte) error {
	type plain TransactionInput
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

// UnmarshalJSON remembers a missing product_price, so that validation
// reports it rather than reading it as zero.
func (l *ProductLine) UnmarshalJSON(b []byte) error {
	type plain ProductLine
	aux := struct {
		*plain
		Price *decimal.Decimal `json:"product_price"`
	}{plain: (*plain)(l)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	l.noPrice = aux.Price == nil
	if aux.Price != nil {
		l.ProductPrice = *aux.Price
	}
	return nil
}

// BulkTransactionsInput is the documented bulk request body: one customer
// and one set of options shared by every item of transactions[].
type BulkTransactionsInput struct {
	Customer     CustomerInput      `json:"customer"`
	Options      TransactionOptions `json:"options"`
	Transactions []TransactionInput `json:"transactions"`
}

// Inputs returns the items with the shared customer and options applied to
// each item that does not name its own.
func (b BulkTransactionsInput) Inputs() []TransactionInput {
	out := make([]TransactionInput, len(b.Transactions))
	for i, in := range b.Transactions {
		if in.Customer.Ref().IsZero() {
			in.Customer = b.Customer
		}
		if in.Options == (TransactionOptions{}) {
			in.Options = b.Options
		}
		out[i] = in
	}
	return out
}

// TransactionState is where a transaction is in its life.
type TransactionState string

// Transaction states. Deleted transactions are not found; archived ones are,
// with deleted_at set. Both reverse the transaction's rewards.
const (
	TransactionActive   TransactionState = "active"
	TransactionArchived TransactionState = "archived"
	TransactionDeleted  TransactionState = "deleted"
)

// Transaction is a stored sale with its rewards. json.Marshal gives the
// documented response "data" object.
type Transaction struct {
	Key string
	// Seq is assigned by the store on insert; it orders transactions with
	// equal CreatedAt.
	Seq    int64
	Action string
	Amount decimal.Decimal
	// Reward is the commission set directly by the input, if it was.
	Reward      *decimal.Decimal
	AmountUnits string
	IsCurrency  bool
	// Rate is the exchange rate the sale was converted at (what one unit of
	// AmountUnits was worth in the program currency at its created_at),
	// with multi-currency on and the sale in another currency; nil
	// otherwise (SPEC §4.11).
	Rate *decimal.Decimal
	// Credit is the program's RuleSet.Credit when the transaction was
	// recorded: its rewards are paid as account credit.
	Credit      bool
	ProductID   string
	ProductType string
	Products    []ProductLine
	Rewarded    bool
	Rewardable  bool
	// Qualified is true when the sale counts towards commission periods
	// and tiers: it earned a reward or was rewarded elsewhere.
	Qualified   bool
	CustomerID  string
	CustomerKey string
	// PartnerID and PartnerKey name the attributed partner (affiliate).
	PartnerID  string
	PartnerKey string
	// ReferringCustomerID and ReferringCustomerKey name the referrer
	// (refer-a-friend).
	ReferringCustomerID  string
	ReferringCustomerKey string
	CreatedAt            time.Time
	// Backdated is true when CreatedAt came from the input.
	Backdated bool
	State     TransactionState
	DeletedAt *time.Time
	Rewards   []Reward
	// Kind is the program kind; it decides the JSON field names. The
	// engine sets it on every transaction it returns.
	Kind ProgramKind
}

// Position returns the transaction's place in the listing order.
func (t *Transaction) Position() Position { return Position{CreatedAt: t.CreatedAt, Seq: t.Seq} }

// Clone returns a deep copy of t.
func (t *Transaction) Clone() *Transaction {
	c := *t
	if t.Reward != nil {
		r := *t.Reward
		c.Reward = &r
	}
	if t.Rate != nil {
		r := *t.Rate
		c.Rate = &r
	}
	if t.Products != nil {
		c.Products = append([]ProductLine(nil), t.Products...)
	}
	if t.DeletedAt != nil {
		d := *t.DeletedAt
		c.DeletedAt = &d
	}
	if t.Rewards != nil {
		c.Rewards = make([]Reward, len(t.Rewards))
		for i := range t.Rewards {
			c.Rewards[i] = t.Rewards[i].clone()
		}
	}
	return &c
}

// MarshalJSON writes the documented response object. In refer-a-friend
// programs "customer" is the referring customer and "referred_customer" the
// buyer, and there is no "partner". A converted sale also has "rate".
func (t Transaction) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	w := jsonWriter{buf: &b}
	w.str("key", t.Key)
	w.str("action", t.Action)
	w.num("amount", t.Amount)
	if t.Kind == ReferAFriend {
		w.strOrNull("customer", t.ReferringCustomerKey)
		w.str("referred_customer", t.CustomerKey)
	} else {
		w.strOrNull("partner", t.PartnerKey)
		w.str("customer", t.CustomerKey)
	}
	w.boolean("credit", t.Credit)
	w.boolean("is_currency", t.IsCurrency)
	w.str("amount_units", t.AmountUnits)
	if t.Rate != nil {
		w.num("rate", *t.Rate)
	}
	w.time("created_at", t.CreatedAt)
	w.timeOrNull("deleted_at", t.DeletedAt)
	w.key("rewards")
	b.WriteByte('[')
	for i := range t.Rewards {
		if i > 0 {
			b.WriteByte(',')
		}
		t.Rewards[i].writeJSON(&b, t.Kind)
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// sameSale reports whether in (normalised) describes the sale t stores, so
// that a retry can be told from a conflicting reuse of a key.
func (t *Transaction) sameSale(in *TransactionInput, c *Customer) bool {
	if c == nil || c.ID != t.CustomerID || !t.Amount.Equal(*in.Amount) ||
		t.Action != in.Action || t.AmountUnits != in.AmountUnits ||
		t.ProductID != in.ProductID || t.ProductType != in.ProductType ||
		t.Rewarded != in.Rewarded || t.Rewardable != *in.Rewardable ||
		(t.Reward == nil) != (in.Reward == nil) || (t.Reward != nil && !t.Reward.Equal(*in.Reward)) ||
		len(t.Products) != len(in.Products) {
		return false
	}
	if in.CreatedAt != nil && (!t.Backdated || !t.CreatedAt.Equal(*in.CreatedAt)) {
		return false
	}
	for i, p := range t.Products {
		q := in.Products[i]
		if p.ProductID != q.ProductID || p.ProductType != q.ProductType || !p.ProductPrice.Equal(q.ProductPrice) {
			return false
		}
	}
	return true
}

// normalize validates in and fills its defaults: action, units, amount from
// the product lines, rewardable, and a created_at truncated to microseconds.
// Every invalid field is reported through v.
func (in *TransactionInput) normalize(v *validator, p *Program, now time.Time) {
	validateKey(v, "key", in.Key, false)
	if strings.HasPrefix(in.Key, signupKeyPrefix) {
		v.addf("key", "keys starting with %q are the engine's, for signups", signupKeyPrefix)
	}
	validateKey(v, "action", in.Action, false)
	validateKey(v, "product_id", in.ProductID, false)
	validateKey(v, "product_type", in.ProductType, false)
	if in.Action == "" {
		in.Action = DefaultAction
	}
	switch {
	case in.AmountUnits == "":
		in.AmountUnits = p.Currency
	case p.customUnit(in.AmountUnits): // no currency rounding applies
	case !isCurrencyCode(in.AmountUnits):
		v.add("amount_units", "must be a three-letter uppercase currency code or one of the program's custom units")
	default:
		if _, _, err := p.Rules.Rounding.places(in.AmountUnits); err != nil {
			v.add("amount_units", err.Error()+" (the program rounds rewards to currency units)")
		}
	}
	if in.Amount == nil && in.Reward == nil && len(in.Products) == 0 {
		v.add("amount", "amount or reward is required")
	}
	if in.Amount != nil {
		validateAmount(v, "amount", *in.Amount)
	}
	if in.Reward != nil {
		validateAmount(v, "reward", *in.Reward)
	}
	if len(in.Products) > maxLines {
		v.addf("products", "has more than %d lines", maxLines)
	}
	if len(in.Products) > 0 {
		// The lines are filled in below; the caller's slice stays as it was.
		in.Products = append([]ProductLine(nil), in.Products...)
		if in.ProductID != "" {
			v.add("product_id", "cannot be combined with products; give each line its product_id")
		}
		sum := decimal.Zero
		for i := range in.Products {
			l := &in.Products[i]
			path := "products[" + itoa(i) + "]."
			validateKey(v, path+"product_id", l.ProductID, true)
			validateKey(v, path+"product_type", l.ProductType, false)
			if l.ProductType == "" {
				l.ProductType = in.ProductType
			}
			if l.noPrice {
				v.add(path+"product_price", "is required")
			}
			validateAmount(v, path+"product_price", l.ProductPrice)
			sum = sum.Add(l.ProductPrice)
		}
		if in.Amount == nil {
			validateAmount(v, "amount", sum)
			in.Amount = &sum
		} else if !in.Amount.Equal(sum) {
			v.addf("amount", "is %s but the product prices add up to %s", formatDecimal(*in.Amount), formatDecimal(sum))
		}
	}
	if in.Amount == nil {
		zero := decimal.Zero
		in.Amount = &zero
	}
	if in.Rewardable == nil {
		t := true
		in.Rewardable = &t
	}
	if in.CreatedAt != nil {
		at := in.CreatedAt.UTC().Truncate(time.Microsecond)
		validateTime(v, "created_at", at, now)
		in.CreatedAt = &at
	}
	in.Customer.validateRef(v, "customer.")
	if in.Options.CreateCustomer {
		c := in.Customer
		if in.Options.ReferralURL != "" {
			c.ReferralURL = in.Options.ReferralURL
		}
		c.validateNew(v, "customer.", "options.referral_url", p, now)
	}
}

// validateTime accepts a backdated time between the Unix epoch and now.
// Times are kept to the microsecond, so at is compared as it will be
// stored: a time within the clock's microsecond is not in the future.
func validateTime(v *validator, path string, at, now time.Time) {
	at = at.UTC().Truncate(time.Microsecond)
	switch {
	case at.After(now):
		v.add(path, "is in the future")
	case at.Before(time.Unix(0, 0)):
		v.add(path, "is before 1970")
	}
}

func validateAmount(v *validator, path string, d decimal.Decimal) {
	if d.Sign() < 0 {
		v.add(path, "must not be negative")
	}
	if d.Exponent() < -maxScale && !d.Equal(d.Truncate(maxScale)) {
		v.addf(path, "has more than %d digits after the decimal point", maxScale)
	}
	if d.NumDigits()+int(d.Exponent()) > maxIntegerDigits && !d.IsZero() {
		v.addf(path, "has more than %d digits before the decimal point", maxIntegerDigits)
	}
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func validUTF8(s string) bool { return utf8.ValidString(s) }

func itoa(i int) string { return strconv.Itoa(i) }

// TimeFormat is the layout of every timestamp the engine writes to JSON:
// ISO 8601 in UTC with microseconds.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// jsonTime decodes a Unix timestamp in seconds, or an RFC 3339 string.
type jsonTime time.Time

func (j *jsonTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			*j = jsonTime(time.Unix(n, 0).UTC())
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("commission: created_at %q is neither a Unix timestamp nor an RFC 3339 time", s)
		}
		*j = jsonTime(t.UTC())
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("commission: created_at %s is not a Unix timestamp in seconds", b)
	}
	*j = jsonTime(time.Unix(n, 0).UTC())
	return nil
}

func (j *jsonTime) ptr() *time.Time {
	if j == nil {
		return nil
	}
	t := time.Time(*j)
	return &t
}

// formatDecimal writes d in plain notation with no trailing zeros, whatever
// the application set in shopspring's package globals.
func formatDecimal(d decimal.Decimal) string {
	exp := d.Exponent()
	if exp >= 0 {
		return d.StringFixed(0)
	}
	s := d.StringFixed(-exp)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// jsonWriter writes the members of a JSON object in a fixed order.
type jsonWriter struct {
	buf *bytes.Buffer
	n   int
}

func (w *jsonWriter) key(k string) {
	if w.n > 0 {
		w.buf.WriteByte(',')
	}
	w.n++
	w.buf.WriteByte('"')
	w.buf.WriteString(k)
	w.buf.WriteString(`":`)
}

func (w *jsonWriter) str(k, v string) {
	w.key(k)
	if plainASCII(v) {
		w.buf.WriteByte('"')
		w.buf.WriteString(v)
		w.buf.WriteByte('"')
		return
	}
	b, _ := json.Marshal(v) // a string always marshals
	w.buf.Write(b)
}

// plainASCII reports whether s needs no escaping in JSON (encoding/json
// would also escape <, > and &, which the engine's keys and codes rarely
// hold).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func (w *jsonWriter) strOrNull(k, v string) {
	if v == "" {
		w.key(k)
		w.buf.WriteString("null")
		return
	}
	w.str(k, v)
}

// strs writes a list of strings, and nothing when it is empty.
func (w *jsonWriter) strs(k string, v []string) {
	if len(v) == 0 {
		return
	}
	w.key(k)
	w.buf.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		b, _ := json.Marshal(s) // a string always marshals
		w.buf.Write(b)
	}
	w.buf.WriteByte(']')
}

func (w *jsonWriter) num(k string, d decimal.Decimal) {
	w.key(k)
	w.buf.WriteString(formatDecimal(d))
}

func (w *jsonWriter) boolean(k string, v bool) {
	w.key(k)
	w.buf.WriteString(strconv.FormatBool(v))
}

func (w *jsonWriter) time(k string, t time.Time) {
	w.key(k)
	w.buf.WriteByte('"')
	w.buf.WriteString(t.UTC().Format(TimeFormat))
	w.buf.WriteByte('"')
}

func (w *jsonWriter) timeOrNull(k string, t *time.Time) {
	if t == nil {
		w.key(k)
		w.buf.WriteString("null")
		return
	}
	w.time(k, *t)
}
