package commission

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// DefaultAction is the action of a transaction that names none.
const DefaultAction = "sale"

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

// Transaction states. Deleted and archived transactions have their
// rewards reversed and deleted_at set; they stay readable, and are listed
// only when asked for. An archived one can be restored.
const (
	TransactionActive   TransactionState = "active"
	TransactionArchived TransactionState = "archived"
	TransactionDeleted  TransactionState = "deleted"
)

func (s TransactionState) valid() bool {
	return s == TransactionActive || s == TransactionArchived || s == TransactionDeleted
}

// Transaction is a stored sale with its rewards. json.Marshal gives the
// documented response's "data" object, not its {"data", "status"}
// envelope.
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
	// otherwise.
	Rate *decimal.Decimal
	// Refunded is how much of Amount refunds took back, in all.
	Refunded decimal.Decimal
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
	in.normalizeNames(v)
	in.normalizeUnits(v, p)
	in.validateAmounts(v)
	in.normalizeLines(v)
	in.normalizeDefaults(v, now)
	in.Customer.foldEmails()
	in.Customer.validateRef(v, "customer.")
	if !in.Options.CreateCustomer { // else the customer's attribution checks it
		validateText(v, "options.referral_url", in.Options.ReferralURL, maxURLLen)
	}
	if in.Options.CreateCustomer {
		c := in.Customer
		if in.Options.ReferralURL != "" {
			c.ReferralURL = in.Options.ReferralURL
		}
		c.validateNew(v, "customer.", "options.referral_url", p, now)
	}
}

// normalizeNames checks the key, action and product, and fills the
// default action.
func (in *TransactionInput) normalizeNames(v *validator) {
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
}

// normalizeUnits checks the units, fills the program currency when there
// are none, and writes a currency code in upper case (payment providers
// send "usd").
func (in *TransactionInput) normalizeUnits(v *validator, p *Program) {
	if in.AmountUnits == "" {
		in.AmountUnits = p.Currency
	}
	if p.customUnit(in.AmountUnits) {
		return // no currency rounding applies
	}
	if code := strings.ToUpper(in.AmountUnits); isCurrency(code) {
		in.AmountUnits = code
	}
	if !isCurrency(in.AmountUnits) {
		v.add("amount_units", "must be an ISO 4217 currency code or one of the program's custom units")
	}
}

// validateAmounts checks the amount and reward given, and that there is
// one, and the number of product lines.
func (in *TransactionInput) validateAmounts(v *validator) {
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
}

// normalizeLines checks the product lines, gives each line the sale's
// product type when it has none, and the sale the sum of the lines as its
// amount when it has none.
func (in *TransactionInput) normalizeLines(v *validator) {
	if len(in.Products) == 0 {
		return
	}
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
		if tooLarge(sum) { // each price was checked; only their sum can be
			v.addf("amount", "the product prices add up to more than %d digits before the decimal point", maxIntegerDigits)
		}
		in.Amount = &sum
	} else if !in.Amount.Equal(sum) {
		v.addf("amount", "is %s but the product prices add up to %s", brief(formatDecimal(*in.Amount)), brief(formatDecimal(sum)))
	}
}

// normalizeDefaults fills a zero amount and rewardable, and checks and
// truncates created_at to the microsecond.
func (in *TransactionInput) normalizeDefaults(v *validator, now time.Time) {
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
}
