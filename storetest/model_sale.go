package storetest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
)

// The sales of the engine model, and what each earns: the program's
// percent of each line, its flat fee on product "flat", or points (a
// custom unit) on product "pts"; a sale in another currency is converted
// at the rate the rate source gives when it is made, and earns in the
// program's currency (or in points).

// modelCurrency is the program's currency. A sale may also be in EUR or
// GBP, converted at rates drawn per check (and drawn again now and then),
// or in JPY, which the rate source has no rate for.
const modelCurrency = "USD"

// modelPoints is the program's custom unit, which product "pts" pays in.
const modelPoints = "POINTS"

// modelPointsPaid is the commission of product "pts": points, a flat
// amount in the custom unit, whatever the sale's currency.
func modelPointsPaid(points decimal.Decimal) commission.Commission {
	c := commission.Flat(points)
	c.Units = modelPoints
	return c
}

var (
	modelUnits     = []string{"", "", modelCurrency, "EUR", "EUR", "GBP", "JPY"}
	modelConverted = []string{"EUR", "GBP"}
	// modelExchangeRate draws rates below 100 with up to 20 places: finer
	// than the 18 places a rate is kept to, or so small that it is 0 at
	// 18 places (the rate source gave no usable rate).
	modelExchangeRate = rapidgen.Decimal(2, 20)
	// modelAmounts recur beside random amounts, so that a key is now and
	// then sent again with an equal amount at another scale ("10.00"
	// after "10"): the same sale; and the smallest amount storage holds.
	modelAmounts = []string{"0.000000000000000001", "0.01", "10", "10.00", "19.99"}
)

// modelRates is the rate source of a check: a rate per converted currency,
// none for any other.
type modelRates map[string]decimal.Decimal

func (r modelRates) Rate(_ context.Context, from, _ string, _ time.Time) (decimal.Decimal, error) {
	rate, ok := r[from]
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("no rate for %s", from)
	}
	return rate, nil
}

// modelLargest is the largest amount storage holds (NUMERIC(38,18)). The
// engine keeps each partner's revenue, the sum of its sales, in a number
// of that size too, so the model keeps its sales within it.
var modelLargest = dec("99999999999999999999.999999999999999999")

// modelAmount draws the amount of a sale, or of one of its two lines, that
// is converted at rate (nil: in the program's currency), after sales of
// spent in all: from the smallest step storage holds up to the largest
// whose converted value, added to spent, still fits. The first sale of a
// check may be of the largest amount storage holds.
func modelAmount(spent decimal.Decimal, rate *decimal.Decimal, line bool) *rapid.Generator[decimal.Decimal] {
	left := modelLargest.Sub(spent).Add(decimal.New(1, -18)) // 1e20 when nothing is spent
	digits := intDigits(left) - 1
	if rate != nil {
		digits -= intDigits(*rate)
	}
	if line {
		digits-- // two lines add up to no more than ten times one
	}
	switch {
	case digits < 0:
		return rapid.Just(decimal.Zero)
	case digits < 2:
		return rapidgen.Decimal(digits, 18)
	}
	return rapid.OneOf(rapid.Map(rapid.SampledFrom(modelAmounts), dec), rapidgen.Decimal(digits, 18))
}

// intDigits is how many digits d has before the point.
func intDigits(d decimal.Decimal) int { return max(0, d.NumDigits()+int(d.Exponent())) }

// converted is what s adds to its partner's revenue in the program's
// currency, at most: its amount, converted when it is in another currency
// (nothing when it cannot be converted, as it is not stored).
func (m *engineModel) converted(s modelSale) decimal.Decimal {
	rate, ok := m.rateOf(s.units)
	switch {
	case !ok:
		return decimal.Zero
	case rate != nil:
		return s.amount.Mul(*rate)
	}
	return s.amount
}

// modelLine is one product line of a sale.
type modelLine struct {
	product string
	price   decimal.Decimal
}

// modelSale is a sale as the model sees it: who buys, with what, in which
// currency, and whether the customer is created with it.
type modelSale struct {
	key      string
	customer string
	create   bool   // options.create_customer
	partner  string // the created customer's partner
	units    string // as sent: "" is the program's currency
	amount   decimal.Decimal
	product  string
	lines    []modelLine // when set, amount is their sum
	invalid  bool        // a negative amount: a validation error
}

// currency is the sale's currency once the engine fills in the default.
func (s modelSale) currency() string {
	if s.units == "" {
		return modelCurrency
	}
	return s.units
}

// genSale draws a sale of key, after sales of spent in all (see
// modelAmount): its customer and its created customer's partner mostly
// among those that exist, so that most sales can succeed.
func (m *engineModel) genSale(key string, create bool, spent decimal.Decimal) *rapid.Generator[modelSale] {
	customers := rapid.SampledFrom(modelCustomers)
	if existing := m.existing(modelCustomers, func(k string) bool { _, ok := m.customers[k]; return ok }); len(existing) > 0 {
		customers = rapid.OneOf(customers, rapid.SampledFrom(existing))
	}
	partners := rapid.SampledFrom(modelPartnerRefs)
	if existing := m.existing(modelPartners, func(k string) bool { return m.partners[k] }); len(existing) > 0 {
		partners = rapid.OneOf(partners, rapid.SampledFrom(existing))
	}
	return rapid.Custom(func(t *rapid.T) modelSale {
		s := modelSale{key: key, customer: customers.Draw(t, "customer"), create: create}
		if create {
			s.partner = partners.Draw(t, "partner")
		}
		s.units = rapid.SampledFrom(modelUnits).Draw(t, "units")
		rate, _ := m.rateOf(s.units)
		if rapid.IntRange(0, 2).Draw(t, "with_lines") == 0 {
			s.amount = decimal.Zero
			for range rapid.IntRange(1, 2).Draw(t, "lines") {
				l := modelLine{
					product: rapid.SampledFrom([]string{"flat", "a", "b", "pts"}).Draw(t, "line_product"),
					price:   modelAmount(spent, rate, true).Draw(t, "price"),
				}
				s.lines = append(s.lines, l)
				s.amount = s.amount.Add(l.price)
			}
			return s
		}
		s.amount = modelAmount(spent, rate, false).Draw(t, "amount")
		s.product = rapid.SampledFrom([]string{"", "flat", "a", "pts"}).Draw(t, "product")
		return s
	})
}

// existing returns the keys of pool that exist, in pool's order.
func (m *engineModel) existing(pool []string, exists func(string) bool) []string {
	var out []string
	for _, k := range pool {
		if exists(k) {
			out = append(out, k)
		}
	}
	return out
}

// GoString is how rapid logs a drawn sale.
func (s modelSale) GoString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sale %s by %s", s.key, s.customer)
	if s.create {
		fmt.Fprintf(&b, " (created, partner %s)", s.partner)
	}
	switch {
	case s.invalid:
		b.WriteString(" of -1")
	case len(s.lines) > 0:
		for _, l := range s.lines {
			fmt.Fprintf(&b, " [%s %s]", l.product, l.price)
		}
	default:
		fmt.Fprintf(&b, " of %s, product %q", s.amount, s.product)
	}
	fmt.Fprintf(&b, " in %q", s.units)
	return b.String()
}

func (s modelSale) input() commission.TransactionInput {
	in := commission.TransactionInput{Key: s.key, Customer: commission.CustomerInput{Key: s.customer}, AmountUnits: s.units}
	if s.create {
		in.Options.CreateCustomer = true
		in.Customer.Partner = &commission.PartnerRef{Key: s.partner}
	}
	switch {
	case s.invalid:
		neg := dec("-1")
		in.Amount = &neg
	case len(s.lines) > 0:
		for _, l := range s.lines {
			in.Products = append(in.Products, commission.ProductLine{ProductID: l.product, ProductPrice: l.price})
		}
	default:
		a := s.amount
		in.Amount, in.ProductID = &a, s.product
	}
	return in
}

// sameSale is the Engine's "identical input" for these sales.
func (s modelSale) sameSale(o modelSale) bool {
	if s.customer != o.customer || !s.amount.Equal(o.amount) || s.product != o.product ||
		s.currency() != o.currency() || len(s.lines) != len(o.lines) {
		return false
	}
	for i := range s.lines {
		if s.lines[i].product != o.lines[i].product || !s.lines[i].price.Equal(o.lines[i].price) {
			return false
		}
	}
	return true
}

// modelPay is what one line of a sale earns, as the model computes it
// with big.Rat, apart from the engine's decimals.
type modelPay struct {
	amount  decimal.Decimal // as stored
	base    decimal.Decimal // the line's price in the program's currency
	value   decimal.Decimal // the percent or the flat fee that paid it
	rounded bool            // finer than storage holds, so rounded
	units   string          // the program's currency, or modelPoints
}

// pays is what the sale earns, one reward per line by the line's rule
// (none for a line that pays 0; product "pts" pays in points), when it is converted at rate (nil for a
// sale in the program's currency).
func (m *engineModel) pays(s modelSale, rate *decimal.Decimal) []modelPay {
	lines := s.lines
	if len(lines) == 0 {
		lines = []modelLine{{s.product, s.amount}}
	}
	out := make([]modelPay, 0, len(lines))
	for _, l := range lines {
		base := l.price.Rat()
		if rate != nil {
			base.Mul(base, rate.Rat())
		}
		c, units := commission.Percent(m.pct), modelCurrency
		switch l.product {
		case "flat":
			c = commission.Flat(m.flat)
		case "pts":
			c, units = modelPointsPaid(m.points), modelPoints
		}
		exact := rapidgen.Pays(c, base)
		stored := rapidgen.Stored(exact)
		if stored.Sign() == 0 {
			continue // a reward of 0 is not kept
		}
		out = append(out, modelPay{
			amount: decimal.NewFromBigRat(stored, 18), base: decimal.NewFromBigRat(base, 36),
			value: c.Value, rounded: stored.Cmp(exact) != 0, units: units,
		})
	}
	return out
}

// rateOf is the rate a sale in units is converted at, as the engine keeps
// it (18 places, rounded half-even), nil for the program's currency; false
// when the sale cannot be converted: no rate, or none above 0 at 18 places.
func (m *engineModel) rateOf(units string) (*decimal.Decimal, bool) {
	if units == "" || units == modelCurrency {
		return nil, true
	}
	r, ok := m.rates[units]
	if !ok {
		return nil, false
	}
	kept := decimal.NewFromBigRat(rapidgen.Stored(r.Rat()), 18)
	return &kept, kept.Sign() > 0
}

// requireDecimalPtr compares optional decimals: both nil, or equal.
func requireDecimalPtr(t tb, want, got *decimal.Decimal, what string) {
	t.Helper()
	if want == nil {
		require.Nilf(t, got, "%s", what)
		return
	}
	require.NotNilf(t, got, "%s", what)
	requireDecimal(t, *want, *got, what)
}
