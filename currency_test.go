package commission_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// rates is a rate source from a table, that records what it was asked.
type rates struct {
	table map[string]decimal.Decimal
	asked []string
}

func (r *rates) Rate(_ context.Context, from, to string, at time.Time) (decimal.Decimal, error) {
	r.asked = append(r.asked, from+to+"@"+at.Format(time.DateOnly))
	if rate, ok := r.table[from+to]; ok {
		return rate, nil
	}
	return decimal.Decimal{}, errors.New("not quoted")
}

func TestCurrencyConversion(t *testing.T) {
	ctx := context.Background()
	src := &rates{table: map[string]decimal.Decimal{"EURUSD": dec("1.0857"), "JPYUSD": dec("0")}}
	p := percentProgram(commission.Affiliate, "30")
	p.CustomUnits = []string{"POINTS"}
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency}
	clock := newClock(t0)
	eng, err := commission.New(memstore.New(), p, commission.WithClock(clock.Now), commission.WithIDGenerator(seqIDs()), commission.WithRates(src))
	require.NoError(t, err)
	affiliateSetup(t, eng)

	in := sale("eur", "customer_123", "100")
	in.AmountUnits = "EUR"
	old := t0.Add(-48 * time.Hour)
	in.CreatedAt = &old
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "EUR", tx.AmountUnits, "the sale keeps its own currency")
	r := tx.Rewards[0]
	require.Equal(t, "USD", r.AmountUnits)
	requireDecimal(t, "32.57", r.Amount, "30% of 108.57, in cents") // 32.571
	requireDecimal(t, "1.0857", *r.Explanation.Rate)
	require.Equal(t, "EUR", r.Explanation.From)
	requireDecimal(t, "108.57", r.Explanation.Base)
	require.Equal(t, []string{"EURUSD@" + old.Format(time.DateOnly)}, src.asked, "at the sale's time")
	requireDecimal(t, "1.0857", *tx.Rate, "the transaction records its rate")
	got, err := eng.Transaction(ctx, "eur")
	require.NoError(t, err)
	requireDecimal(t, "1.0857", *got.Rate, "stored")
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(out), `"rate":1.0857,"from":"EUR"`)
	require.Contains(t, string(out), `"amount_units":"EUR","rate":1.0857,"created_at"`)

	// The program's own currency and custom units are not converted.
	src.asked = nil
	_, err = eng.CreateTransaction(ctx, sale("usd", "customer_123", "10"))
	require.NoError(t, err)
	pts := sale("pts", "customer_123", "10")
	pts.AmountUnits = "POINTS"
	_, err = eng.CreateTransaction(ctx, pts)
	require.NoError(t, err)
	require.Empty(t, src.asked)

	// A missing or unusable rate stores nothing.
	for _, units := range []string{"GBP", "JPY"} {
		in := sale("x"+units, "customer_123", "10")
		in.AmountUnits = units
		_, err = eng.CreateTransaction(ctx, in)
		require.ErrorIs(t, err, commission.ErrNoRate, units)
		_, err = eng.Transaction(ctx, "x"+units)
		require.ErrorIs(t, err, commission.ErrNotFound)
	}
	gbp := sale("b2", "customer_123", "10")
	gbp.AmountUnits = "GBP"
	_, err = eng.CreateTransactions(ctx, []commission.TransactionInput{sale("b1", "customer_123", "10"), gbp})
	var item *commission.ItemError
	require.ErrorAs(t, err, &item)
	require.Equal(t, 1, item.Index)
	require.ErrorIs(t, err, commission.ErrNoRate)
	_, err = eng.Transaction(ctx, "b1")
	require.ErrorIs(t, err, commission.ErrNotFound, "nothing of the bulk")

	// Without a rate source, a sale in another currency is refused, alone
	// or in a bulk, and nothing is stored: its rewards would be in a
	// currency the program's rules and caps do not speak of.
	plain, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, plain)
	in = sale("eur", "customer_123", "100")
	in.AmountUnits = "EUR"
	_, err = plain.CreateTransaction(ctx, in)
	requireFields(t, err, "amount_units")
	_, err = plain.Preview(ctx, in)
	requireFields(t, err, "amount_units")
	_, err = plain.CreateTransactions(ctx, []commission.TransactionInput{sale("usd", "customer_123", "1"), in})
	requireFields(t, err, "transactions[1].amount_units")
	requireNoTransactions(t, plain)
}

// A currency is an ISO 4217 code; one in lower case, as payment providers
// send them, is stored in upper case. Three capital letters that name no
// currency are refused, in sales and in rules.
func TestCurrencyCodes(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	in := sale("lower", "customer_123", "10")
	in.AmountUnits = "usd"
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "USD", tx.AmountUnits)
	require.Equal(t, "USD", tx.Rewards[0].AmountUnits)
	for _, units := range []string{"XYZ", "xyz", "US", "USDX", "€"} {
		in := sale("bad", "customer_123", "10")
		in.AmountUnits = units
		_, err := eng.CreateTransaction(ctx, in)
		requireFields(t, err, "amount_units")
	}
	p := percentProgram(commission.Affiliate, "30")
	p.Currency = "XYZ"
	p.Rules.Products = []commission.ProductRule{{ProductID: "a", Commission: commission.Commission{Type: commission.FlatCommission, Value: dec("1"), Units: "ABC"}}}
	p.Rules.Goals = []commission.Goal{{ID: "g", Metric: commission.MetricRevenue, Target: dec("1"), Bonus: dec("1"), Units: "QQQ"}}
	_, err = commission.New(memstoreNew(), p)
	requireFields(t, err, "currency", "rules.products[0].commission.units", "rules.goals[0].units")
}

// The rate is stored on the transaction, also when the sale
// earns nothing: an imported sale in euros counts its converted amount
// towards the partner's revenue, and a sale made rewardable later is
// computed at the rate it was stored with. A rate finer than 18 places
// is rounded before use, and the stored rate is the one used.
func TestRateIsStoredOnTheTransaction(t *testing.T) {
	ctx := context.Background()
	src := &rates{table: map[string]decimal.Decimal{"EURUSD": dec("2"), "GBPUSD": dec("1.0000000000000000015")}}
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{{ID: "big", When: []commission.Condition{{Metric: commission.MetricRevenue, AtLeast: decp("200")}}, Commission: commission.Percent(dec("50"))}}
	eng, err := commission.New(memstore.New(), p, commission.WithClock(newClock(t0).Now), commission.WithRates(src))
	require.NoError(t, err)
	affiliateSetup(t, eng)

	imported := sale("imported", "customer_123", "100")
	imported.AmountUnits, imported.Rewarded = "EUR", true
	tx, err := eng.CreateTransaction(ctx, imported)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	requireDecimal(t, "2", *tx.Rate)
	tx, err = eng.CreateTransaction(ctx, sale("usd", "customer_123", "10"))
	require.NoError(t, err)
	require.Equal(t, "big", tx.Rewards[0].Explanation.Rule, "revenue is 200 dollars, not 0")
	requireDecimal(t, "5", tx.Rewards[0].Amount)

	// Made rewardable at the stored rate, though the source has changed.
	held := sale("held", "customer_123", "10")
	held.AmountUnits, held.Rewardable = "EUR", new(bool)
	_, err = eng.CreateTransaction(ctx, held)
	require.NoError(t, err)
	src.table["EURUSD"] = dec("3")
	tx, err = eng.MakeRewardable(ctx, "held")
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	requireDecimal(t, "10", tx.Rewards[0].Amount, "50% of 20 dollars")
	requireDecimal(t, "2", *tx.Rewards[0].Explanation.Rate)

	gbp := sale("gbp", "customer_123", "100")
	gbp.AmountUnits = "GBP"
	tx, err = eng.CreateTransaction(ctx, gbp)
	require.NoError(t, err)
	requireDecimal(t, "1.000000000000000002", *tx.Rate, "half to even at 18 places")
	requireDecimal(t, "50.0000000000000001", tx.Rewards[0].Amount)
	requireDecimal(t, "1.000000000000000002", *tx.Rewards[0].Explanation.Rate)
}

// A reward set directly on a converted sale is rounded, half to even, to
// the 18 places storage holds, and says so.
func TestSetRewardConvertedIsRoundedForStorage(t *testing.T) {
	ctx := context.Background()
	src := &rates{table: map[string]decimal.Decimal{"EURUSD": dec("1.123456789012345678")}}
	eng, err := commission.New(memstore.New(), percentProgram(commission.Affiliate, "10"), commission.WithClock(newClock(t0).Now), commission.WithRates(src))
	require.NoError(t, err)
	affiliateSetup(t, eng)
	in := sale("set", "customer_123", "100")
	in.AmountUnits, in.Reward = "EUR", decp("0.123456789012345678")
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	r := tx.Rewards[0]
	exact := dec("0.123456789012345678").Mul(dec("1.123456789012345678"))
	requireDecimal(t, exact.RoundBank(18).String(), r.Amount)
	require.False(t, r.Amount.Equal(exact), "the exact product has more places")
	require.Equal(t, commission.StorageRounding, r.Explanation.Rounding)
}

// The levels above a reward set directly on a converted sale are computed
// on the converted amount, and rounded half to even to the 18 places
// storage holds when they are finer (found by the cross-store property:
// SQL stores refused them).
func TestLevelsOfASetRewardAreRoundedForStorage(t *testing.T) {
	ctx := context.Background()
	src := &rates{table: map[string]decimal.Decimal{"EURUSD": dec("1.080000000000000001")}}
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("0.25"))}
	eng, err := commission.New(memstore.New(), p, commission.WithClock(newClock(t0).Now), commission.WithRates(src))
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "top"})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123", ReferringPartner: &commission.PartnerRef{Key: "top"}})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_123", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	in := sale("set", "customer_123", "0.01")
	in.AmountUnits, in.Reward = "EUR", decp("200")
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	level := tx.Rewards[1]
	exact := dec("0.01080000000000000001").Mul(dec("0.0025")) // 24 places
	requireDecimal(t, exact.RoundBank(18).String(), level.Amount)
	require.Equal(t, commission.StorageRounding, level.Explanation.Rounding)
}

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
