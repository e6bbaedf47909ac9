package commission_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func roundingProgram(pct string, r commission.Rounding) commission.Program {
	p := percentProgram(commission.Affiliate, pct)
	p.Rules.Rounding = r
	return p
}

func TestRoundToCurrencyMinorUnits(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ units, amount, want string }{
		{"USD", "99.99", "30"},      // 29.997 to cents
		{"JPY", "999", "300"},       // 299.7 to yen
		{"BHD", "99.99", "29.997"},  // three places: nothing to round
		{"USD", "0.01", ""},         // 0.003 rounds to 0: no reward
		{"EUR", "12.345", "3.7035"}, // 3.7035 → 3.70 below
	} {
		p := roundingProgram("30", commission.Rounding{To: commission.RoundToCurrency})
		p.Currency = c.units
		eng, _ := newEngine(t, p)
		affiliateSetup(t, eng)
		tx, err := eng.CreateTransaction(ctx, sale("t_"+c.units+c.amount, "customer_123", c.amount))
		require.NoError(t, err)
		if c.want == "" {
			require.Empty(t, tx.Rewards, "a reward rounded to 0 is not kept")
			continue
		}
		r := tx.Rewards[0]
		want := c.want
		if c.units == "EUR" {
			want = "3.7"
		}
		requireDecimal(t, want, r.Amount, c.units, " ", c.amount)
		requireDecimal(t, dec(c.amount).Mul(dec("0.3")).String(), *r.Explanation.Exact, "the exact amount is kept")
	}
}

func TestRoundingModes(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		mode                   commission.RoundingMode
		half, oddHalf, quarter string // 0.125, 0.115 and 0.1225 to two places
	}{
		{commission.HalfUp, "0.13", "0.12", "0.12"},
		{"", "0.13", "0.12", "0.12"},
		{commission.HalfEven, "0.12", "0.12", "0.12"},
		{commission.Up, "0.13", "0.12", "0.13"},
		{commission.Down, "0.12", "0.11", "0.12"},
	}
	for _, c := range cases {
		eng, _ := newEngine(t, roundingProgram("50", commission.Rounding{To: commission.RoundToPlaces, Places: 2, Mode: c.mode}))
		affiliateSetup(t, eng)
		for i, a := range []struct{ amount, want string }{{"0.25", c.half}, {"0.23", c.oddHalf}, {"0.245", c.quarter}} {
			tx, err := eng.CreateTransaction(ctx, sale("t"+itoaT(i), "customer_123", a.amount))
			require.NoError(t, err)
			requireDecimal(t, a.want, tx.Rewards[0].Amount, string(c.mode), " of ", a.amount)
			mode := c.mode
			if mode == "" {
				mode = commission.HalfUp
			}
			require.Equal(t, string(mode)+":2", tx.Rewards[0].Explanation.Rounding)
		}
	}
}

func itoaT(i int) string { return string(rune('0' + i)) }

// A sale split into rewards: the rounded parts add up to the rounded whole.
func TestRoundingSplitAddsUp(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, roundingProgram("33.3333", commission.Rounding{To: commission.RoundToCurrency}))
	affiliateSetup(t, eng)
	var in commission.TransactionInput
	require.NoError(t, json.Unmarshal([]byte(`{"key":"t","customer":{"key":"customer_123"},
		"products":[{"product_id":"a","product_price":10},{"product_id":"b","product_price":10},{"product_id":"c","product_price":10}]}`), &in))
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	// 3.33333 each, 9.99999 in all: 10.00, shared 3.34 + 3.33 + 3.33.
	for i, want := range []string{"3.34", "3.33", "3.33"} {
		requireDecimal(t, want, tx.Rewards[i].Amount)
	}
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(out), `"rounding":"half_up:2","exact":3.33333`)

	// A reward set directly is the caller's: never rounded.
	in = sale("manual", "customer_123", "10")
	in.Reward = decp("1.23456")
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "1.23456", tx.Rewards[0].Amount)
	require.Empty(t, tx.Rewards[0].Explanation.Rounding)
}

// For any lines, rates and rounding: the rounded parts add up to the
// rounded sum of the exact parts, and each is less than one step from its
// exact value.
func TestPropRoundedPartsSumToRoundedWhole(t *testing.T) {
	ctx := context.Background()
	modes := []commission.RoundingMode{commission.HalfUp, commission.HalfEven, commission.Up, commission.Down}
	rapid.Check(t, func(rt *rapid.T) {
		ro := commission.Rounding{To: commission.RoundToPlaces, Places: int32(rapid.IntRange(0, 4).Draw(rt, "places")),
			Mode: rapid.SampledFrom(modes).Draw(rt, "mode")}
		p := roundingProgram(rapidgen.Rate().Draw(rt, "rate").String(), ro)
		n := rapid.IntRange(1, 6).Draw(rt, "lines")
		lines := make([]commission.ProductLine, n)
		for i := range lines {
			id := "p" + itoaT(i)
			lines[i] = commission.ProductLine{ProductID: id, ProductPrice: rapidgen.Decimal(6, 4).Draw(rt, "price")}
			p.Rules.Products = append(p.Rules.Products, commission.ProductRule{ProductID: id, Commission: commission.Percent(rapidgen.Rate().Draw(rt, "line_rate"))})
		}
		eng, _ := newEngine(t, p)
		affiliateSetup(t, eng)
		tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t", Products: lines, Customer: commission.CustomerInput{Key: "customer_123"}})
		require.NoError(rt, err)
		byLine := map[string]commission.Reward{}
		for _, r := range tx.Rewards {
			byLine[r.ProductID] = r
		}
		step := decimal.New(1, -ro.Places)
		exactSum, sum := decimal.Zero, decimal.Zero
		for i, l := range lines {
			exact := l.ProductPrice.Mul(p.Rules.Products[i].Commission.Value).Shift(-2)
			r, ok := byLine[l.ProductID]
			if !ok {
				// Its part rounded to 0: no reward is kept.
				require.Truef(rt, exact.LessThan(step), "line %d: no reward for %s", i, exact)
				exactSum = exactSum.Add(exact)
				continue
			}
			require.Falsef(rt, r.Amount.IsZero(), "line %d: a reward of 0 is kept", i)
			require.Truef(rt, r.Explanation.Exact.Equal(exact), "line %d: exact %s, explained %s", i, exact, r.Explanation.Exact)
			require.Truef(rt, r.Amount.Sub(exact).Abs().LessThan(step), "line %d: %s is a step or more from %s", i, r.Amount, exact)
			require.Truef(rt, r.Amount.Equal(r.Amount.Round(ro.Places)), "line %d: %s has more than %d places", i, r.Amount, ro.Places)
			exactSum, sum = exactSum.Add(exact), sum.Add(r.Amount)
		}
		var whole decimal.Decimal
		switch ro.Mode {
		case commission.HalfUp:
			whole = exactSum.Round(ro.Places)
		case commission.HalfEven:
			whole = exactSum.RoundBank(ro.Places)
		case commission.Up:
			whole = exactSum.RoundUp(ro.Places)
		case commission.Down:
			whole = exactSum.RoundDown(ro.Places)
		}
		require.Truef(rt, sum.Equal(whole), "parts add up to %s, the rounded whole is %s", sum, whole)
	})
}

func TestRoundingIsValidatedAtNew(t *testing.T) {
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Rounding = commission.Rounding{To: "cents", Places: 3, Mode: "sideways"}
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.rounding.to", "rules.rounding.mode")
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToPlaces, Places: 19}
	_, err = commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.rounding.places")
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency, Places: 2}
	_, err = commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.rounding.places")
}

// The program's rounding applies once, to the exact amount: 30% of
// 1.666666666666666665 is 0.4999999999999999995, which rounds to 0, not
// (through 0.5 at 18 places) to 1.
func TestRoundingOnceFromExact(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, roundingProgram("30", commission.Rounding{To: commission.RoundToPlaces, Places: 0}))
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t", "customer_123", "11.666666666666666665"))
	require.NoError(t, err)
	requireDecimal(t, "3", tx.Rewards[0].Amount, "not 4, as rounding first to the 18 places of storage would give")
	requireDecimal(t, "3.4999999999999999995", *tx.Rewards[0].Explanation.Exact)

	// A cap between two steps of the grid clamps down onto it.
	p := roundingProgram("30", commission.Rounding{To: commission.RoundToCurrency})
	p.Rules.Caps.PerReward = decp("10.005")
	eng, _ = newEngine(t, p)
	affiliateSetup(t, eng)
	tx, err = eng.CreateTransaction(ctx, sale("t", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "10", tx.Rewards[0].Amount)
}
