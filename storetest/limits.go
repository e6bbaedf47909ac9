package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Amounts at the limits of storage, through the Engine: every store takes
// the same ones and refuses the same ones. An amount holds 20 digits
// before the point; a counter, which sums a program's history, more.
func testAmountLimits(t *testing.T, h Harness) {
	s := h.New(t)
	prog := commission.Program{ID: newProgramID("limits"), Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{
			Default: commission.Percent(dec("100")),
			Goals: []commission.Goal{{ID: "big", Metric: commission.MetricRevenue, Target: dec("1"), Every: true,
				Bonus: dec("90000000000000000000")}},
		}}
	c := &clock{now: t0}
	eng, err := commission.New(s, prog, commission.WithClock(c.Now), commission.WithRates(doubleRate{}))
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}})
	require.NoError(t, err)
	largest := "99999999999999999999.999999999999999999"
	sell := func(key, amount, units string) (*commission.Transaction, error) {
		a := dec(amount)
		return eng.CreateTransaction(ctx, commission.TransactionInput{Key: key, Amount: &a, AmountUnits: units,
			Customer: commission.CustomerInput{Key: "c"}})
	}

	// A goal bonus paid for two thresholds at once would be 1.8e20.
	_, err = sell("bonus", "2", "")
	requireFieldErr(t, err, "amount")
	// A sale of 6e19 EUR at 2 is 1.2e20 USD.
	_, err = sell("eur", "60000000000000000000", "EUR")
	requireFieldErr(t, err, "amount")
	_, err = eng.CreateTransactions(ctx, []commission.TransactionInput{{Key: "ok", Amount: decp("1"), Customer: commission.CustomerInput{Key: "c"}},
		{Key: "eur2", Amount: decp("60000000000000000000"), AmountUnits: "EUR", Customer: commission.CustomerInput{Key: "c"}}})
	requireFieldErr(t, err, "transactions[1].amount")
	page, err := eng.Transactions(ctx, commission.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, page.Transactions, "nothing refused is stored")

	// Without the goal, the partner's revenue sums past 1e20: counters hold it.
	prog.ID, prog.Rules.Goals = newProgramID("limits"), nil
	eng, err = commission.New(s, prog, commission.WithClock(c.Now))
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}})
	require.NoError(t, err)
	for _, k := range []string{"a", "b", "c"} {
		tx, err := sell(k, largest, "")
		require.NoError(t, err, k)
		requireDecimal(t, dec(largest), tx.Rewards[0].Amount, k)
	}
	_, err = sell("a", largest, "")
	var dup *commission.DuplicateError
	require.True(t, errors.As(err, &dup) && dup.Identical, "a retry near the limit is told apart: %v", err)
	revenue := counters(t, s, prog.ID, commission.CounterKey{Name: "metric.revenue", Subject: "p"})
	requireDecimal(t, dec(largest).Mul(dec("3")), revenue[0], "the partner's revenue")
}

// doubleRate converts every currency at 2.
type doubleRate struct{}

func (doubleRate) Rate(context.Context, string, string, time.Time) (decimal.Decimal, error) {
	return dec("2"), nil
}

// requireFieldErr requires a *ValidationError naming path among its fields.
func requireFieldErr(t *testing.T, err error, path string) {
	t.Helper()
	var verr *commission.ValidationError
	require.ErrorAs(t, err, &verr)
	_, ok := verr.Field(path)
	require.True(t, ok, "%s named in %v", path, err)
}

func decp(s string) *decimal.Decimal {
	d := dec(s)
	return &d
}
