package commission_test

import (
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/stretchr/testify/require"
)

func TestNewValidatesProgram(t *testing.T) {
	_, err := commission.New(nil, commission.Program{})
	require.Error(t, err)
	_, err = commission.New(memstore.New(), commission.Program{
		Kind: "pyramid", Currency: "XYZ",
		Rules: commission.RuleSet{
			Default:      commission.Percent(dec("120")),
			ReviewPeriod: -time.Hour,
			Products: []commission.ProductRule{
				{ProductID: "a", Commission: commission.Flat(dec("1"))},
				{ProductID: "a", ID: "other", Commission: commission.Flat(dec("2"))},
				{ProductID: "b", ProductType: "c", Commission: commission.Flat(dec("1"))},
				{ProductType: "d", Commission: commission.Commission{Type: "bonus", Value: dec("1")}},
				{Commission: commission.Flat(dec("-1"))},
			},
		},
	})
	requireFields(t, err, "id", "kind", "currency", "rules.default.value", "rules.review_period",
		"rules.products[1].product_id", "rules.products[2]", "rules.products[3].commission.type",
		"rules.products[4].commission.value", "rules.products[4]")
}

func TestLevelsAreValidatedAtNew(t *testing.T) {
	p := percentProgram(commission.Affiliate, "20")
	for range 6 {
		p.Rules.Levels = append(p.Rules.Levels, commission.Percent(dec("1")))
	}
	p.Rules.Levels[1] = commission.Percent(dec("1")).For(commission.Times(1))
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.levels", "rules.levels[1].for")
}

func TestUnitsAreValidatedAtNew(t *testing.T) {
	p := percentProgram(commission.Affiliate, "10")
	p.CustomUnits = []string{"EUR", ""}
	p.Rules.Default.Units = "POINTS"
	p.Rules.Products = []commission.ProductRule{{ProductID: "x", Commission: commission.Flat(dec("1"))}}
	p.Rules.Products[0].Commission.Units = "BEANS"
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "custom_units[0]", "custom_units[1]", "rules.default.units", "rules.products[0].commission.units")
}
