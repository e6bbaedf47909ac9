package commission_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// Rewards in custom units (points, free months) have is_currency false;
// no currency rounding and no cap applies to them. Credit marks rewards
// paid as account credit.
func TestCustomUnitsAndCredit(t *testing.T) {
	ctx := context.Background()
	p := commission.Program{ID: "raf", Kind: commission.ReferAFriend, Currency: "USD", CustomUnits: []string{"POINTS", "MONTHS"},
		Rules: commission.RuleSet{
			Default:  commission.Flat(dec("2.555")).Then(commission.Flat(dec("1"))),
			Credit:   true,
			Rounding: commission.Rounding{To: commission.RoundToCurrency},
			Caps:     commission.Caps{PerReward: decp("1")},
			Friend:   &commission.FriendReward{Commission: commission.Flat(dec("1")).For(commission.Times(1))},
		}}
	p.Rules.Default = commission.Flat(dec("2.555"))
	p.Rules.Default.Units = "POINTS"
	p.Rules.Friend.Commission.Units = "MONTHS"
	eng, _ := newEngine(t, p)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{ID: "referrer"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "friend", ReferringCustomer: &commission.CustomerRef{ID: "referrer"}})
	require.NoError(t, err)
	tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t", Amount: decp("50"), Customer: commission.CustomerInput{ID: "friend"}})
	require.NoError(t, err)
	require.True(t, tx.IsCurrency, "the sale is in dollars")
	points, months := tx.Rewards[0], tx.Rewards[1]
	require.Equal(t, "POINTS", points.AmountUnits)
	require.False(t, points.IsCurrency)
	requireDecimal(t, "2.555", points.Amount, "neither rounded to cents nor capped at 1")
	require.True(t, points.Credit)
	require.True(t, tx.Credit, "the transaction says so too")
	require.Equal(t, "MONTHS", months.AmountUnits)
	requireDecimal(t, "1", months.Amount)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(out), `"amount":2.555,"amount_units":"POINTS","is_currency":false,"credit":true`)
	require.Contains(t, string(out), `"referred_customer":"friend","credit":true,"is_currency":true`)

	// A sale counted in a custom unit.
	tx, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "p", Amount: decp("10"), AmountUnits: "POINTS", Customer: commission.CustomerInput{ID: "friend"}})
	require.NoError(t, err)
	require.False(t, tx.IsCurrency)
	_, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "x", Amount: decp("10"), AmountUnits: "pts", Customer: commission.CustomerInput{ID: "friend"}})
	requireFields(t, err, "amount_units")
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
