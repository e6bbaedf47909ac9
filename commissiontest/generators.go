package commissiontest

import (
	"slices"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
)

// The generators a history is drawn from, driven by the program: its
// currency and custom units, the products and tags its rules name. They
// are exported to compose other rapid tests with.

// Units are the units a sale of p may be in: its currency, or one of its
// custom units.
func Units(p commission.Program) []string { return append([]string{p.Currency}, p.CustomUnits...) }

// Tags are the partner tags p's rules mention (product rules' and tiers'
// PartnerTags), sorted, with "other" that none mentions.
func Tags(p commission.Program) []string {
	var tags []string
	for _, r := range p.Rules.Products {
		tags = append(tags, r.PartnerTags...)
	}
	for _, t := range p.Rules.Tiers {
		tags = append(tags, t.PartnerTags...)
	}
	slices.Sort(tags)
	return append(slices.Compact(tags), "other")
}

// ProductIDs are the product_ids p's product rules name, with
// "unknown_product" that none names.
func ProductIDs(p commission.Program) []string {
	return productNames(p, func(r commission.ProductRule) string { return r.ProductID }, "unknown_product")
}

// ProductTypes are the product_types p's product rules name, with
// "unknown_type" that none names.
func ProductTypes(p commission.Program) []string {
	return productNames(p, func(r commission.ProductRule) string { return r.ProductType }, "unknown_type")
}

func productNames(p commission.Program, name func(commission.ProductRule) string, unknown string) []string {
	var out []string
	for _, r := range p.Rules.Products {
		if n := name(r); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return append(out, unknown)
}

// Amount draws a sale's amount: mostly whole cents from 0.01 to
// 2,000.00 (some from 100.00, some from 1,000.00, as rapid favours
// small numbers), now and then a round 1,000, a figure with four places or
// 0.01.
func Amount() *rapid.Generator[decimal.Decimal] {
	return rapid.OneOf(
		rapidgen.Cents(1, 200000), rapidgen.Cents(10000, 200000), rapidgen.Cents(100000, 200000),
		rapid.SampledFrom([]decimal.Decimal{decimal.NewFromInt(1000), decimal.New(1, -2), decimal.New(9999, -2)}),
		rapid.Custom(func(t *rapid.T) decimal.Decimal {
			return decimal.New(rapid.Int64Range(1, 99999999).Draw(t, "ten_thousandths"), -4)
		}))
}

// ProductLines draws one to three lines of products p's rules name (or
// not), each priced by Amount.
func ProductLines(p commission.Program) *rapid.Generator[[]commission.ProductLine] {
	return rapid.Custom(func(t *rapid.T) []commission.ProductLine {
		n := rapid.IntRange(1, 3).Draw(t, "lines")
		lines := make([]commission.ProductLine, n)
		for i := range lines {
			lines[i] = commission.ProductLine{
				ProductID:    rapid.SampledFrom(ProductIDs(p)).Draw(t, "product_id"),
				ProductType:  rapid.SampledFrom(append(ProductTypes(p), "")).Draw(t, "product_type"),
				ProductPrice: Amount().Draw(t, "product_price"),
			}
		}
		return lines
	})
}

// Sale draws a sale of p by customer with key: of the whole amount, or
// of product lines, or of one product by id or type; in p's currency or,
// one time in five, in a custom unit of p's.
func Sale(p commission.Program, key, customer string) *rapid.Generator[commission.TransactionInput] {
	return rapid.Custom(func(t *rapid.T) commission.TransactionInput {
		in := commission.TransactionInput{Key: key, Customer: commission.CustomerInput{Key: customer}}
		if len(p.CustomUnits) > 0 && rapidgen.OneIn(t, "custom_units", 5) {
			in.AmountUnits = rapid.SampledFrom(p.CustomUnits).Draw(t, "units")
		}
		switch rapid.IntRange(0, 3).Draw(t, "shape") {
		case 1:
			in.Products = ProductLines(p).Draw(t, "products")
			return in
		case 2:
			in.ProductID = rapid.SampledFrom(ProductIDs(p)).Draw(t, "product_id")
		case 3:
			in.ProductType = rapid.SampledFrom(ProductTypes(p)).Draw(t, "product_type")
		}
		a := Amount().Draw(t, "amount")
		in.Amount = &a
		return in
	})
}
