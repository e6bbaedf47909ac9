package commission_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// customersTiers is the documented example: 20% once a partner has more
// than 20 customers, 30% above 50, 10% before.
func customersTiers() commission.Program {
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{
		{ID: "silver", When: []commission.Condition{{Metric: commission.MetricCustomers, Above: decp("20")}}, Commission: commission.Percent(dec("20"))},
		{ID: "gold", When: []commission.Condition{{Metric: commission.MetricCustomers, Above: decp("50")}}, Commission: commission.Percent(dec("30"))},
	}
	return p
}

// newCustomers creates n customers c<from>... of partner.
func newCustomers(t *testing.T, eng *commission.Engine, partner string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		_, err := eng.CreateCustomer(context.Background(), commission.CustomerInput{Key: "c" + strconv.Itoa(i), Partner: &commission.PartnerRef{Key: partner}})
		require.NoError(t, err)
	}
}

func TestTiersDocumentedExample(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, customersTiers())
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	newCustomers(t, eng, "p", 0, 60)
	// The partner's customers are counted before each sale: the 21st
	// customer's first sale still earns 10%, the 22nd's 20%.
	for i := range 60 {
		tx, err := eng.CreateTransaction(ctx, sale("s"+strconv.Itoa(i), "c"+strconv.Itoa(i), "100"))
		require.NoError(t, err)
		require.Len(t, tx.Rewards, 1)
		r := tx.Rewards[0]
		switch {
		case i <= 20:
			requireDecimal(t, "10", r.Amount, i)
			require.Equal(t, "default", r.Explanation.Rule)
		case i <= 50:
			requireDecimal(t, "20", r.Amount, i)
			require.Equal(t, "silver", r.Explanation.Rule)
			require.Equal(t, "tier", r.Explanation.Match)
		default:
			requireDecimal(t, "30", r.Amount, i)
			require.Equal(t, "gold", r.Explanation.Rule)
		}
	}
	// A customer's second sale does not count it twice.
	tx, err := eng.CreateTransaction(ctx, sale("again", "c0", "100"))
	require.NoError(t, err)
	require.Equal(t, "gold", tx.Rewards[0].Explanation.Rule)

	// Reversals count exactly: c59 has one sale, c0 two. Deleting both
	// of c0's and the nine last customers' sales leaves 50 customers.
	require.NoError(t, eng.DeleteTransaction(ctx, "again"))
	tx, err = eng.CreateTransaction(ctx, sale("probe1", "c1", "100"))
	require.NoError(t, err)
	require.Equal(t, "gold", tx.Rewards[0].Explanation.Rule, "c0 still has a sale")
	require.NoError(t, eng.DeleteTransaction(ctx, "probe1"))
	for i := 51; i < 60; i++ {
		require.NoError(t, eng.ArchiveTransaction(ctx, "s"+strconv.Itoa(i)))
	}
	tx, err = eng.CreateTransaction(ctx, sale("probe2", "c1", "100"))
	require.NoError(t, err)
	require.Equal(t, "gold", tx.Rewards[0].Explanation.Rule, "51 customers: still above 50")
	require.NoError(t, eng.DeleteTransaction(ctx, "probe2"))
	require.NoError(t, eng.DeleteTransaction(ctx, "s0"))
	tx, err = eng.CreateTransaction(ctx, sale("probe3", "c1", "100"))
	require.NoError(t, err)
	require.Equal(t, "silver", tx.Rewards[0].Explanation.Rule, "50 customers: not above 50")
	require.NoError(t, eng.DeleteTransaction(ctx, "probe3"))
	// Restoring counts them again.
	require.NoError(t, eng.RestoreTransaction(ctx, "s51"))
	tx, err = eng.CreateTransaction(ctx, sale("probe4", "c1", "100"))
	require.NoError(t, err)
	require.Equal(t, "gold", tx.Rewards[0].Explanation.Rule)
}

// A rolling window counts the sale's month and the ones before it.
func TestTierRevenueWindow(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{{When: []commission.Condition{{Metric: commission.MetricRevenue, Months: 2, AtLeast: decp("1000")}}, Commission: commission.Percent(dec("15"))}}
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	at := func(key string, day time.Time, amount string) commission.Reward {
		in := sale(key, "customer_123", amount)
		in.CreatedAt = &day
		tx, err := eng.CreateTransaction(ctx, in)
		require.NoError(t, err)
		return tx.Rewards[0]
	}
	clock.Advance(365 * 24 * time.Hour)
	jan := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	require.Equal(t, "default", at("a", jan, "999.99").Explanation.Rule)
	require.Equal(t, "default", at("b", jan.Add(time.Hour), "0.01").Explanation.Rule, "999.99 before it")
	r := at("c", jan.Add(2*time.Hour), "10")
	require.Equal(t, "tier:1", r.Explanation.Rule, "1000.00 before it")
	requireDecimal(t, "1.5", r.Amount)
	feb := time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	require.Equal(t, "tier:1", at("d", feb, "10").Explanation.Rule, "January is in February's window")
	mar := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, "default", at("e", mar, "10").Explanation.Rule, "March's window is February and March: 10.00")
	// A backdated sale reads its own month's window.
	require.Equal(t, "tier:1", at("f", jan.Add(3*time.Hour), "1").Explanation.Rule)
}

// Conditions on the sale itself: its amount, the customer's first sale,
// the customer's and the partner's age; and partner tags.
func TestTierSaleConditions(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{
		{ID: "first-year", When: []commission.Condition{{Metric: commission.MetricCustomerAge, Within: &commission.Period{Years: 1}}}, Commission: commission.Percent(dec("20"))},
		{ID: "first", When: []commission.Condition{{Metric: commission.MetricFirstSale}}, Commission: commission.Flat(dec("7"))},
		{ID: "big", When: []commission.Condition{{Metric: commission.MetricSaleAmount, AtLeast: decp("500"), Below: decp("1000")}}, Commission: commission.Percent(dec("25"))},
		{ID: "veteran", When: []commission.Condition{{Metric: commission.MetricPartnerAge, Past: &commission.Period{Months: 6}}}, PartnerTags: []string{"vip"}, Commission: commission.Percent(dec("40"))},
	}
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "vip", Tags: []string{"vip"}})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "vc", Partner: &commission.PartnerRef{Key: "vip"}})
	require.NoError(t, err)
	rule := func(key, customer, amount string) string {
		tx, err := eng.CreateTransaction(ctx, sale(key, customer, amount))
		require.NoError(t, err)
		return tx.Rewards[0].Explanation.Rule
	}
	require.Equal(t, "first", rule("1", "customer_123", "100"))
	require.Equal(t, "first-year", rule("2", "customer_123", "100"))
	require.Equal(t, "big", rule("3", "customer_123", "500"))
	require.Equal(t, "first-year", rule("4", "customer_123", "1000"), "below is strict")
	clock.Advance(366 * 24 * time.Hour)
	require.Equal(t, "default", rule("5", "customer_123", "100"), "past the customer's first year")
	require.Equal(t, "veteran", rule("6", "vc", "100"), "a tagged partner past six months")
	require.Equal(t, "big", rule("7", "customer_123", "999"), "the veteran tier is for vip partners")
}

// A backdated sale is the customer's first sale when it is dated before
// the customer's other qualified sales, in a bulk too.
func TestTierFirstSaleAsOfCreatedAt(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{{ID: "first", When: []commission.Condition{{Metric: commission.MetricFirstSale}}, Commission: commission.Flat(dec("7"))}}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	at := func(key string, days int) commission.TransactionInput {
		in := sale(key, "customer_123", "100")
		when := t0.AddDate(0, 0, -days)
		in.CreatedAt = &when
		return in
	}
	rule := func(in commission.TransactionInput) string {
		tx, err := eng.CreateTransaction(ctx, in)
		require.NoError(t, err)
		return tx.Rewards[0].Explanation.Rule
	}
	require.Equal(t, "first", rule(at("d10", 10)))
	require.Equal(t, "default", rule(at("d5", 5)), "after d10")
	require.Equal(t, "first", rule(at("d20", 20)), "dated before every other sale")
	require.Equal(t, "default", rule(at("d15", 15)), "after d20")
	no := false
	held := at("d30", 30)
	held.Rewardable = &no
	_, err := eng.CreateTransaction(ctx, held)
	require.NoError(t, err)
	require.Equal(t, "first", rule(at("d25", 25)), "a sale that earned nothing is not a qualified sale")
	require.NoError(t, eng.DeleteTransaction(ctx, "d25"))
	txs, err := eng.CreateTransactions(ctx, []commission.TransactionInput{at("b40", 40), at("b35", 35), at("b50", 50)})
	require.NoError(t, err)
	for i, want := range []string{"first", "default", "first"} {
		require.Equal(t, want, txs[i].Rewards[0].Explanation.Rule, txs[i].Key)
	}

	// A sale made rewardable after later ones is the first as of its
	// created_at, backdated or not.
	other, clock := newEngine(t, p)
	affiliateSetup(t, other)
	held = sale("held", "customer_123", "100")
	held.Rewardable = &no
	_, err = other.CreateTransaction(ctx, held)
	require.NoError(t, err)
	clock.Advance(time.Hour)
	_, err = other.CreateTransaction(ctx, sale("later", "customer_123", "100"))
	require.NoError(t, err)
	tx, err := other.MakeRewardable(ctx, "held")
	require.NoError(t, err)
	require.Equal(t, "first", tx.Rewards[0].Explanation.Rule)
}

// Tiers come after product rules and a partner's own commission, and
// before the default.
func TestTierPrecedence(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Products = []commission.ProductRule{{ProductID: "book", Commission: commission.Percent(dec("5"))}}
	p.Rules.Tiers = []commission.Tier{{When: []commission.Condition{{Metric: commission.MetricSaleAmount, AtLeast: decp("0")}}, Commission: commission.Percent(dec("50"))}}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	in := sale("a", "customer_123", "100")
	in.ProductID = "book"
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "product_id:book", tx.Rewards[0].Explanation.Rule)
	tx, err = eng.CreateTransaction(ctx, sale("b", "customer_123", "100"))
	require.NoError(t, err)
	require.Equal(t, "tier:1", tx.Rewards[0].Explanation.Rule)
	_, err = eng.SetPartnerCommission(ctx, commission.PartnerRef{Key: "partner_123"}, &commission.Commission{Type: commission.FlatCommission, Value: dec("1")})
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("c", "customer_123", "100"))
	require.NoError(t, err)
	require.Equal(t, "partner:partner_123", tx.Rewards[0].Explanation.Rule)
}

// Metrics are kept from the first sale, whatever the rules: a tier added
// later reads the whole history.
func TestTierAddedLaterReadsHistory(t *testing.T) {
	ctx := context.Background()
	store := memstoreNew()
	clock := newClock(t0)
	eng, err := commission.New(store, percentProgram(commission.Affiliate, "10"), commission.WithClock(clock.Now))
	require.NoError(t, err)
	affiliateSetup(t, eng)
	_, err = eng.CreateTransaction(ctx, sale("a", "customer_123", "600"))
	require.NoError(t, err)
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{{When: []commission.Condition{
		{Metric: commission.MetricRevenue, AtLeast: decp("600")},
		{Metric: commission.MetricSignups, AtLeast: decp("1")},
		{Metric: commission.MetricCustomers, AtLeast: decp("1")},
	}, Commission: commission.Percent(dec("20"))}}
	eng, err = commission.New(store, p, commission.WithClock(clock.Now))
	require.NoError(t, err)
	tx, err := eng.CreateTransaction(ctx, sale("b", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "20", tx.Rewards[0].Amount)
}

func TestTierValidation(t *testing.T) {
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{
		{Commission: commission.Percent(dec("20"))},
		{ID: "x", When: []commission.Condition{{Metric: "height", AtLeast: decp("1")}}, Commission: commission.Percent(dec("20"))},
		{ID: "x", When: []commission.Condition{{Metric: commission.MetricRevenue, Months: 40, AtLeast: decp("1"), Above: decp("2")}}, Commission: commission.Percent(dec("120"))},
		{When: []commission.Condition{{Metric: commission.MetricCustomerAge, AtLeast: decp("1")}, {Metric: commission.MetricFirstSale, Within: &commission.Period{Times: 2}}}, Commission: commission.Percent(dec("20"))},
		{When: []commission.Condition{{Metric: commission.MetricPartnerAge, Past: &commission.Period{Times: 2}}, {Metric: commission.MetricSaleAmount}}, Commission: commission.Percent(dec("20"))},
	}
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err,
		"rules.tiers[0].when",
		"rules.tiers[1].when[0].metric",
		"rules.tiers[2].id",
		"rules.tiers[2].commission.value",
		"rules.tiers[2].when[0]",
		"rules.tiers[2].when[0].months",
		"rules.tiers[3].when[0]",
		"rules.tiers[3].when[1]",
		"rules.tiers[4].when[0].past",
		"rules.tiers[4].when[1]",
	)
}

// Tiers load from JSON as they are written in Go.
func TestTiersFromJSON(t *testing.T) {
	var p commission.Program
	require.NoError(t, json.Unmarshal([]byte(`{"id":"p","kind":"affiliate","currency":"USD","rules":{
		"default":{"type":"percent","value":10},
		"tiers":[{"id":"silver","when":[{"metric":"customers","above":20}],"commission":{"type":"percent","value":20}},
		         {"id":"gold","when":[{"metric":"customers","above":50}],"commission":{"type":"percent","value":30}}]}}`), &p))
	want := customersTiers()
	want.ID = "p"
	got, err := json.Marshal(p)
	require.NoError(t, err)
	exp, err := json.Marshal(want)
	require.NoError(t, err)
	require.JSONEq(t, string(exp), string(got))
	_, err = commission.New(memstoreNew(), p)
	require.NoError(t, err)
}

// Over random tiers and histories of sales and refunds, each line is
// rewarded by exactly one rule, the one the precedence picks against a
// model of the partner's metrics (a product rule, else the last tier that
// holds, else the default), and the explanation names it; a recurring
// revenue goal pays each threshold the revenue ever reached exactly once.
func TestPropTiersAndGoalsFollowModel(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		p := percentProgram(commission.Affiliate, "10")
		p.Rules.Products = []commission.ProductRule{{ProductID: "book", Commission: commission.Flat(dec("1"))}}
		target := decimal.NewFromInt(int64(rapid.IntRange(20, 200).Draw(rt, "goal_target")))
		p.Rules.Goals = []commission.Goal{{ID: "g", Metric: commission.MetricRevenue, Target: target, Every: true, Bonus: dec("1")}}
		metrics := []commission.Metric{commission.MetricCustomers, commission.MetricRevenue, commission.MetricSaleAmount, commission.MetricFirstSale}
		for i := range rapid.IntRange(0, 3).Draw(rt, "tiers") {
			c := commission.Condition{Metric: rapid.SampledFrom(metrics).Draw(rt, "metric")}
			if c.Metric != commission.MetricFirstSale {
				c.AtLeast = decp(strconv.Itoa(rapid.IntRange(0, 300).Draw(rt, "at_least")))
			}
			p.Rules.Tiers = append(p.Rules.Tiers, commission.Tier{ID: "t" + strconv.Itoa(i), When: []commission.Condition{c},
				Commission: commission.Percent(decimal.NewFromInt(int64(rapid.IntRange(1, 50).Draw(rt, "pct"))))})
		}
		eng, err := commission.New(memstoreNew(), p, commission.WithClock(newClock(t0).Now))
		require.NoError(rt, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
		require.NoError(rt, err)
		for i := range 4 {
			_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i), Partner: &commission.PartnerRef{Key: "p"}})
			require.NoError(rt, err)
		}
		type liveSale struct {
			customer int
			amount   decimal.Decimal
		}
		live := map[string]liveSale{}
		var keys []string
		highWater, paid := int64(0), 0
		model := func() (customers int, revenue decimal.Decimal, sales [4]int) {
			for _, s := range live {
				sales[s.customer]++
				revenue = revenue.Add(s.amount)
			}
			for _, n := range sales {
				if n > 0 {
					customers++
				}
			}
			return
		}
		for step := range rapid.IntRange(1, 30).Draw(rt, "steps") {
			if len(keys) > 0 && rapid.IntRange(0, 3).Draw(rt, "refund") == 0 {
				k := rapid.SampledFrom(keys).Draw(rt, "refund_key")
				if _, ok := live[k]; ok {
					require.NoError(rt, eng.DeleteTransaction(ctx, k))
					delete(live, k)
				}
				continue
			}
			c := rapid.IntRange(0, 3).Draw(rt, "customer")
			amount := decimal.NewFromInt(int64(rapid.IntRange(1, 150).Draw(rt, "amount")))
			book := rapid.Bool().Draw(rt, "book")
			customers, revenue, sales := model()
			wantRule, wantPct := "default", dec("10")
			if book {
				wantRule = "product_id:book"
			} else {
				for i := len(p.Rules.Tiers) - 1; i >= 0; i-- {
					cond := p.Rules.Tiers[i].When[0]
					var v decimal.Decimal
					holds := false
					switch cond.Metric {
					case commission.MetricCustomers:
						v = decimal.NewFromInt(int64(customers))
					case commission.MetricRevenue:
						v = revenue
					case commission.MetricSaleAmount:
						v = amount
					case commission.MetricFirstSale:
						holds = sales[c] == 0
					}
					if cond.AtLeast != nil {
						holds = v.Cmp(*cond.AtLeast) >= 0
					}
					if holds {
						wantRule, wantPct = p.Rules.Tiers[i].ID, p.Rules.Tiers[i].Commission.Value
						break
					}
				}
			}
			key := "s" + strconv.Itoa(step)
			in := sale(key, "c"+strconv.Itoa(c), amount.String())
			if book {
				in.ProductID = "book"
			}
			tx, err := eng.CreateTransaction(ctx, in)
			require.NoError(rt, err)
			keys = append(keys, key)
			live[key] = liveSale{c, amount}
			base := 0
			for _, r := range tx.Rewards {
				if r.Explanation.Match == commission.MatchGoal {
					paid += r.Explanation.Thresholds
					continue
				}
				base++
				require.Equal(rt, wantRule, r.Explanation.Rule, "step %d", step)
				if !book {
					propRequireDec(rt, "reward", amount.Mul(wantPct).Div(decimal.NewFromInt(100)), r.Amount)
				}
			}
			require.Equal(rt, 1, base, "one base reward per line")
			if reached := revenue.Add(amount).Div(target).IntPart(); reached > highWater {
				highWater = reached
			}
			require.EqualValues(rt, highWater, paid, "thresholds paid after step %d", step)
		}
	})
}

// A signups tier over a rolling window of 2 months counts the customers
// created in the sale's calendar month (UTC) and the month before; older
// signups stop counting at the month's first instant.
func TestTierSignupsWindow(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{{ID: "two-signups", When: []commission.Condition{{Metric: commission.MetricSignups, Months: 2, AtLeast: decp("2")}}, Commission: commission.Percent(dec("20"))}}
	eng, clock := newEngine(t, p)
	clock.Advance(400 * 24 * time.Hour) // 2026-06
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	signup := func(key string, at time.Time) {
		t.Helper()
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: key, CreatedAt: &at, Partner: &commission.PartnerRef{Key: "p"}})
		require.NoError(t, err)
	}
	// The buyer signed up long before any window here.
	signup("buyer", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	signup("jan", time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC))
	signup("feb", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	n := 0
	rule := func(at time.Time) string {
		t.Helper()
		n++
		tx, err := eng.CreateTransaction(ctx, backdated("s"+strconv.Itoa(n), "buyer", "100", at))
		require.NoError(t, err)
		require.Len(t, tx.Rewards, 1)
		return tx.Rewards[0].Explanation.Rule
	}
	require.Equal(t, "two-signups", rule(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)), "January and February: 2")
	require.Equal(t, "two-signups", rule(time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC)), "January and February: 2")
	require.Equal(t, "default", rule(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), "February and March: 1")
	require.Equal(t, "two-signups", rule(time.Date(2026, 3, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600))), "00:30 CET is February in UTC")
	signup("mar", time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC))
	require.Equal(t, "two-signups", rule(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)), "February and March: 2")
	require.Equal(t, "default", rule(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)), "March and April: 1")
	require.Equal(t, "default", rule(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)), "December and January: 1")
}

// A customers tier over a rolling window of 2 months counts each customer
// in the calendar month of its first sale only: customers first counted
// before the window stop counting, even when they buy again in it.
func TestTierCustomersWindow(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Tiers = []commission.Tier{{ID: "two-customers", When: []commission.Condition{{Metric: commission.MetricCustomers, Months: 2, AtLeast: decp("2")}}, Commission: commission.Percent(dec("20"))}}
	eng, clock := newEngine(t, p)
	clock.Advance(400 * 24 * time.Hour) // 2026-06
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	old := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4 {
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i), CreatedAt: &old, Partner: &commission.PartnerRef{Key: "p"}})
		require.NoError(t, err)
	}
	steps := []struct {
		key, customer string
		at            time.Time
		rule, amount  string
		why           string
	}{
		{"s1", "c0", time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), "default", "10", "none before"},
		{"s2", "c1", time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC), "default", "10", "December and January: c0"},
		{"s3", "c2", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "two-customers", "20", "January and February: c0, c1"},
		{"s4", "c3", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "default", "10", "February and March: c2"},
		{"s5", "c0", time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), "two-customers", "20", "February and March: c2, c3"},
		{"s6", "c1", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "default", "10", "March and April: c3 only; c0's March sale does not recount it"},
		{"s7", "c2", time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC), "two-customers", "20", "backdated to February: c0, c1, c2"},
	}
	for _, s := range steps {
		tx, err := eng.CreateTransaction(ctx, backdated(s.key, s.customer, "100", s.at))
		require.NoError(t, err, s.key)
		require.Len(t, tx.Rewards, 1, s.key)
		require.Equal(t, s.rule, tx.Rewards[0].Explanation.Rule, "%s: %s", s.key, s.why)
		requireDecimal(t, s.amount, tx.Rewards[0].Amount, s.key)
	}
	// A customer counts while it has a qualified sale; refunding all of
	// them takes it out of the month it was counted in.
	// (A preview reads the window and counts nothing.)
	probe := func(key string, day int) string {
		t.Helper()
		tx, err := eng.Preview(ctx, backdated(key, "c3", "100", time.Date(2026, 2, day, 0, 0, 0, 0, time.UTC)))
		require.NoError(t, err, key)
		return tx.Rewards[0].Explanation.Rule
	}
	require.NoError(t, eng.DeleteTransaction(ctx, "s2"))
	require.NoError(t, eng.DeleteTransaction(ctx, "s6"))
	require.Equal(t, "two-customers", probe("p1", 10), "c1 refunded: c0 in January, c2 in February")
	require.NoError(t, eng.DeleteTransaction(ctx, "s3"))
	require.Equal(t, "two-customers", probe("p2", 11), "c2 still has a February sale")
	require.NoError(t, eng.DeleteTransaction(ctx, "s7"))
	require.Equal(t, "default", probe("p3", 12), "c2 refunded: c0 only")
}
