package commission_test

import (
	"context"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// SPEC §4.2: the partner's custom commission, then product_id, then
// product_type, then the default; product rules first when the program
// says so. Percent and flat are never compared by their numbers: the
// order alone decides.
func TestPrecedence(t *testing.T) {
	ctx := context.Background()
	for _, productsFirst := range []bool{false, true} {
		p := percentProgram(commission.Affiliate, "10")
		p.Rules.ProductsOverPartner = productsFirst
		p.Rules.Products = []commission.ProductRule{
			{ProductID: "book", Commission: commission.Flat(dec("1"))},
			{ProductType: "digital", Commission: commission.Percent(dec("50"))},
			{ProductID: "book", PartnerTags: []string{"vip"}, Commission: commission.Flat(dec("7"))},
		}
		eng, _ := newEngine(t, p)
		custom := commission.Percent(dec("25"))
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "custom", Commission: &custom})
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "plain"})
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "vip", Tags: []string{"vip"}})
		require.NoError(t, err)
		for _, k := range []string{"custom", "plain", "vip"} {
			_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c_" + k, Partner: &commission.PartnerRef{Key: k}})
			require.NoError(t, err)
		}
		earn := func(customer, productID, productType string) (string, string) {
			in := sale("", customer, "100")
			in.ProductID, in.ProductType = productID, productType
			tx, err := eng.CreateTransaction(ctx, in)
			require.NoError(t, err)
			return tx.Rewards[0].Amount.String(), tx.Rewards[0].Explanation.Match
		}
		type want struct{ amount, match string }
		cases := []struct {
			customer, id, typ string
			partnerFirst      want
			productsFirst     want
		}{
			{"c_custom", "book", "digital", want{"25", "partner"}, want{"1", "product_id"}},
			{"c_custom", "mug", "digital", want{"25", "partner"}, want{"50", "product_type"}},
			{"c_custom", "mug", "", want{"25", "partner"}, want{"25", "partner"}},
			{"c_plain", "book", "digital", want{"1", "product_id"}, want{"1", "product_id"}},
			{"c_plain", "mug", "digital", want{"50", "product_type"}, want{"50", "product_type"}},
			{"c_plain", "mug", "", want{"10", "default"}, want{"10", "default"}},
			{"c_vip", "book", "", want{"7", "product_id"}, want{"7", "product_id"}}, // the tagged rule fits
		}
		for _, c := range cases {
			w := c.partnerFirst
			if productsFirst {
				w = c.productsFirst
			}
			amount, match := earn(c.customer, c.id, c.typ)
			require.Equal(t, w, want{amount, match}, "%+v, products first: %v", c, productsFirst)
		}
	}
}

func TestPartnerCommissionChangesLaterSalesOnly(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	before, err := eng.CreateTransaction(ctx, sale("before", "customer_123", "100"))
	require.NoError(t, err)
	flat := commission.Flat(dec("5")).For(commission.Times(1)).Then(commission.Flat(dec("2")))
	p, err := eng.SetPartnerCommission(ctx, commission.PartnerRef{Key: "partner_123"}, &flat)
	require.NoError(t, err)
	require.NotNil(t, p.Commission)
	// The customer's first rewarded sale was "before": this is its second.
	tx, err := eng.CreateTransaction(ctx, sale("after", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "2", tx.Rewards[0].Amount)
	require.Equal(t, "partner:partner_123", tx.Rewards[0].Explanation.Rule)
	require.Equal(t, 2, tx.Rewards[0].Explanation.Step)
	got, err := eng.Transaction(ctx, "before")
	require.NoError(t, err)
	requireDecimal(t, before.Rewards[0].Amount.String(), got.Rewards[0].Amount, "stored rewards never change")

	_, err = eng.SetPartnerCommission(ctx, commission.PartnerRef{Key: "partner_123"}, nil)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("reset", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "30", tx.Rewards[0].Amount)

	bad := commission.Percent(dec("101"))
	_, err = eng.SetPartnerCommission(ctx, commission.PartnerRef{Key: "partner_123"}, &bad)
	requireFields(t, err, "commission.value")
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "x", Commission: &bad})
	requireFields(t, err, "commission.value")
}
