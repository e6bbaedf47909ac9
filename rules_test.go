package commission_test

import (
	"context"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// Product rules for one product: a rule with partner tags that fit comes
// before the untagged one, in the order listed; each is named in the
// explanation by its id, made from what it matches and its tags when it
// has none of its own.
func TestProductRulesByTags(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "1")
	p.Rules.Products = []commission.ProductRule{
		{ProductID: "a", PartnerTags: []string{"gold"}, Commission: commission.Percent(dec("30"))},
		{ProductID: "a", Commission: commission.Percent(dec("10"))},
		{ProductID: "a", PartnerTags: []string{"silver", "gold"}, Commission: commission.Percent(dec("20"))},
		{ID: "typed", ProductType: "book", Commission: commission.Percent(dec("5"))},
	}
	eng, _ := newEngine(t, p)
	for _, pt := range []struct {
		key  string
		tags []string
	}{{"plain", nil}, {"gold", []string{"gold"}}, {"silver", []string{"silver"}}} {
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: pt.key, Tags: pt.tags})
		require.NoError(t, err)
		_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c_" + pt.key, Partner: &commission.PartnerRef{Key: pt.key}})
		require.NoError(t, err)
	}
	for _, c := range []struct {
		customer, product, productType, rule, reward string
	}{
		{"c_plain", "a", "", "product_id:a", "10"},
		{"c_gold", "a", "", "product_id:a[gold]", "30"},
		{"c_silver", "a", "", "product_id:a[silver,gold]", "20"},
		{"c_gold", "b", "book", "typed", "5"},
		{"c_gold", "b", "", "default", "1"},
	} {
		in := sale("", c.customer, "100")
		in.ProductID, in.ProductType = c.product, c.productType
		tx, err := eng.CreateTransaction(ctx, in)
		require.NoError(t, err)
		require.Equal(t, c.rule, tx.Rewards[0].Explanation.Rule, "%+v", c)
		requireDecimal(t, c.reward, tx.Rewards[0].Amount, c.rule)
	}
}

// Two rules for one product and one set of tags (in any order), or two
// rules with one id, are refused at New.
func TestProductRulesAmbiguous(t *testing.T) {
	p := percentProgram(commission.Affiliate, "1")
	p.Rules.Products = []commission.ProductRule{
		{ProductID: "a", PartnerTags: []string{"gold", "silver"}, Commission: commission.Percent(dec("30"))},
		{ProductID: "a", PartnerTags: []string{"silver", "gold"}, Commission: commission.Percent(dec("20"))},
		{ID: "x", ProductType: "book", Commission: commission.Percent(dec("5"))},
		{ID: "x", ProductType: "film", Commission: commission.Percent(dec("5"))},
	}
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.products[1].product_id", "rules.products[3].id")
}
