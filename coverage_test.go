package commission_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/stretchr/testify/require"
)

// backdated is a sale of amount by customer at a past time.
func backdated(key, customer, amount string, at time.Time) commission.TransactionInput {
	in := sale(key, customer, amount)
	in.CreatedAt = &at
	return in
}

// A flat commission of 20.00 pays exactly 20.00 on every sale, whatever its
// amount, and its explanation says flat 20.
func TestCoverageFlatTwenty(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "0")
	p.Rules.Default = commission.Flat(dec("20.00"))
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	for i, amount := range []string{"100", "0.01", "0", "19.99", "12345678.9"} {
		key := "flat" + strconv.Itoa(i)
		tx, err := eng.CreateTransaction(ctx, sale(key, "customer_123", amount))
		require.NoError(t, err)
		require.Len(t, tx.Rewards, 1, amount)
		r := tx.Rewards[0]
		requireDecimal(t, "20.00", r.Amount, amount)
		require.Equal(t, "USD", r.AmountUnits)
		require.True(t, r.IsCurrency)
		require.Equal(t, commission.FlatCommission, r.Explanation.Type)
		requireDecimal(t, "20", r.Explanation.Value, amount)
		requireDecimal(t, amount, r.Explanation.Base, amount)
		require.Equal(t, "default", r.Explanation.Rule)

		stored, err := eng.Transaction(ctx, key)
		require.NoError(t, err)
		requireDecimal(t, "20", stored.Rewards[0].Amount, "stored ", amount)
		b, err := json.Marshal(stored.Rewards[0])
		require.NoError(t, err)
		requireJSONSubset(t, decodeJSON(t, []byte(`{"amount":20,"is_currency":true,"explanation":{"type":"flat","value":20}}`)),
			decodeJSON(t, b), "reward")
	}
}

// Five levels of partners above the seller each earn their own level's
// percentage, a partner a sixth level up earns nothing, and a program
// with six levels is refused at New naming rules.levels.
func TestCoverageFiveLevels(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "20")
	pcts := []string{"10", "5", "4", "2.5", "1.25"}
	for _, pct := range pcts {
		p.Rules.Levels = append(p.Rules.Levels, commission.Percent(dec(pct)))
	}
	eng, _ := newEngine(t, p)
	// up6 ← up5 ← up4 ← up3 ← up2 ← up1 ← seller: up6 is beyond the
	// fifth level.
	for i := 6; i >= 0; i-- {
		in := commission.PartnerInput{Key: "up" + strconv.Itoa(i)}
		if i == 0 {
			in.Key = "seller"
		}
		if i < 6 {
			in.ReferringPartner = &commission.PartnerRef{Key: "up" + strconv.Itoa(i+1)}
		}
		_, err := eng.CreatePartner(ctx, in)
		require.NoError(t, err)
	}
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "buyer", Partner: &commission.PartnerRef{Key: "seller"}})
	require.NoError(t, err)

	tx, err := eng.CreateTransaction(ctx, sale("t", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 6, "the seller and five levels, not the sixth")
	want := []struct{ partner, amount string }{
		{"seller", "20"}, {"up1", "10"}, {"up2", "5"}, {"up3", "4"}, {"up4", "2.5"}, {"up5", "1.25"},
	}
	total := dec("0")
	for i, w := range want {
		r := tx.Rewards[i]
		require.Equal(t, w.partner, r.PartnerKey, i)
		requireDecimal(t, w.amount, r.Amount, w.partner)
		require.Equal(t, i, r.Explanation.Level, w.partner)
		if i > 0 {
			require.Equal(t, "level:"+strconv.Itoa(i), r.Explanation.Rule)
			require.Equal(t, "level", r.Explanation.Match)
			requireDecimal(t, pcts[i-1], r.Explanation.Value, w.partner)
			requireDecimal(t, "100", r.Explanation.Base, w.partner)
		}
		total = total.Add(r.Amount)
	}
	requireDecimal(t, "42.75", total)
	for _, r := range tx.Rewards {
		require.NotEqual(t, "up6", r.PartnerKey)
	}

	p.Rules.Levels = append(p.Rules.Levels, commission.Percent(dec("1")))
	_, err = commission.New(memstoreNew(), p)
	verr := requireFields(t, err, "rules.levels")
	require.Contains(t, verr.Fields[0].Message, "5")
}

// A weekly spend limit counts ISO 8601 weeks (UTC) of the sale's
// created_at: 2024-12-30 to 2025-01-05 is one week (2025-W01) across the
// year boundary, and a Sunday and the Monday after are in different weeks.
func TestCoverageWeeklyCapISOWeek(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, capsProgram(commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapWeek, Amount: dec("50")}}}))
	affiliateSetup(t, eng)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	steps := []struct {
		key  string
		at   time.Time
		want string
		why  string
	}{
		{"sun-w52", day(2024, 12, 29), "30", "2024-W52: first sale"},
		{"mon-w01", day(2024, 12, 30), "30", "Monday 2024-12-30 starts 2025-W01"},
		{"thu-w01", day(2025, 1, 2), "20", "2025-W01 across the new year: 50 - 30"},
		{"sat-w52", day(2024, 12, 28), "20", "back in 2024-W52: 50 - 30"},
		{"sun-w01", day(2025, 1, 5).Add(11*time.Hour + 59*time.Minute + 59*time.Second), "0", "Sunday 23:59:59 is still 2025-W01"},
		{"sun-w01-cet", time.Date(2025, 1, 6, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "0", "Monday 00:30 CET is Sunday 23:30 UTC, 2025-W01"},
		{"mon-w02", day(2025, 1, 6).Add(-12 * time.Hour), "30", "Monday 00:00 starts 2025-W02"},
		{"mon-w02-est", time.Date(2025, 1, 5, 20, 0, 0, 0, time.FixedZone("EST", -5*3600)), "20", "Sunday 20:00 EST is Monday 01:00 UTC, 2025-W02: 50 - 30"},
	}
	for _, s := range steps {
		tx, err := eng.CreateTransaction(ctx, backdated(s.key, "customer_123", "100", s.at))
		require.NoError(t, err, s.key)
		require.Len(t, tx.Rewards, 1, s.key)
		r := tx.Rewards[0]
		requireDecimal(t, s.want, r.Amount, s.key, ": ", s.why)
		require.Equal(t, []string{"week"}, r.Explanation.Counted, s.key)
		if s.want != "30" {
			require.Equal(t, []string{"partner.week"}, r.Explanation.Caps, s.key)
			requireDecimal(t, "30", *r.Explanation.Uncapped, s.key)
		} else {
			require.Empty(t, r.Explanation.Caps, s.key)
		}
	}
	// A refund gives back to its own week only.
	require.NoError(t, eng.DeleteTransaction(ctx, "mon-w01"))
	tx, err := eng.CreateTransaction(ctx, backdated("fri-w01", "customer_123", "100", day(2025, 1, 3)))
	require.NoError(t, err)
	requireDecimal(t, "30", tx.Rewards[0].Amount, "2025-W01 has 30 back")
	tx, err = eng.CreateTransaction(ctx, backdated("tue-w02", "customer_123", "100", day(2025, 1, 7)))
	require.NoError(t, err)
	requireDecimal(t, "0", tx.Rewards[0].Amount, "2025-W02 is full")
}

// A goal bonus in one of the program's custom units is paid in that unit,
// with is_currency false, and neither currency rounding nor a cap of money
// touches it.
func TestCoverageGoalBonusInCustomUnits(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.CustomUnits = []string{"POINTS"}
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency}
	p.Rules.Caps = commission.Caps{PerReward: decp("5")}
	p.Rules.Goals = []commission.Goal{{ID: "two", Metric: commission.MetricCustomers, Target: dec("2"), Bonus: dec("100.125"), Units: "POINTS"}}
	eng, _ := newEngine(t, p)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	newCustomers(t, eng, "p", 0, 2)
	tx, err := eng.CreateTransaction(ctx, sale("s0", "c0", "30"))
	require.NoError(t, err)
	require.Empty(t, bonuses(tx))
	tx, err = eng.CreateTransaction(ctx, sale("s1", "c1", "30"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)

	base := tx.Rewards[0]
	require.Equal(t, "USD", base.AmountUnits)
	require.True(t, base.IsCurrency)
	requireDecimal(t, "3", base.Amount)

	b := bonuses(tx)
	require.Len(t, b, 1)
	require.Equal(t, "POINTS", b[0].AmountUnits)
	require.False(t, b[0].IsCurrency)
	requireDecimal(t, "100.125", b[0].Amount, "no currency rounding, no per-reward cap")
	require.Empty(t, b[0].Explanation.Caps)
	require.Equal(t, "two", b[0].Explanation.Rule)
	require.Equal(t, "p", b[0].PartnerKey)

	stored, err := eng.Transaction(ctx, "s1")
	require.NoError(t, err)
	sb := bonuses(stored)
	require.Len(t, sb, 1)
	require.Equal(t, "POINTS", sb[0].AmountUnits)
	require.False(t, sb[0].IsCurrency)
	requireDecimal(t, "100.125", sb[0].Amount)
	out, err := json.Marshal(sb[0])
	require.NoError(t, err)
	requireJSONSubset(t, decodeJSON(t, []byte(`{"amount":100.125,"amount_units":"POINTS","is_currency":false}`)), decodeJSON(t, out), "bonus")
}

// A signups tier over a rolling window of 2 months counts the customers
// created in the sale's calendar month (UTC) and the month before; older
// signups stop counting at the month's first instant.
func TestCoverageSignupsWindow(t *testing.T) {
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
func TestCoverageCustomersWindow(t *testing.T) {
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

// Changing the rules never changes stored rewards: an engine with new
// rules on the same store reads the old rewards with their old amounts,
// explanations and rule version, and applies the new rules to new sales.
func TestCoverageRuleChangeKeepsStoredRewards(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := newClock(t0)
	ids := seqIDs()
	p1 := percentProgram(commission.Affiliate, "30")
	p1.Rules.Version = "v1"
	eng1, err := commission.New(store, p1, commission.WithClock(clock.Now), commission.WithIDGenerator(ids))
	require.NoError(t, err)
	affiliateSetup(t, eng1)
	old, err := eng1.CreateTransaction(ctx, sale("old", "customer_123", "99.99"))
	require.NoError(t, err)
	requireDecimal(t, "29.997", old.Rewards[0].Amount)
	before, err := eng1.Transaction(ctx, "old")
	require.NoError(t, err)
	beforeJSON, err := json.Marshal(before)
	require.NoError(t, err)

	p2 := percentProgram(commission.Affiliate, "10")
	p2.Rules.Version = "v2"
	p2.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency, Mode: commission.Up}
	p2.Rules.Tiers = []commission.Tier{{ID: "big", When: []commission.Condition{{Metric: commission.MetricSaleAmount, AtLeast: decp("50")}}, Commission: commission.Percent(dec("15"))}}
	eng2, err := commission.New(store, p2, commission.WithClock(clock.Now), commission.WithIDGenerator(ids))
	require.NoError(t, err)
	clock.Advance(time.Hour)

	for name, eng := range map[string]*commission.Engine{"old engine": eng1, "new engine": eng2} {
		got, err := eng.Transaction(ctx, "old")
		require.NoError(t, err, name)
		require.Len(t, got.Rewards, 1, name)
		r := got.Rewards[0]
		requireDecimal(t, "29.997", r.Amount, name)
		require.Equal(t, "v1", r.Explanation.RuleVersion, name)
		require.Equal(t, "default", r.Explanation.Rule, name)
		require.Equal(t, commission.PercentCommission, r.Explanation.Type, name)
		requireDecimal(t, "30", r.Explanation.Value, name)
		requireDecimal(t, "99.99", r.Explanation.Base, name)
		require.Empty(t, r.Explanation.Rounding, name)
		require.Nil(t, r.Explanation.Exact, name)
		gotJSON, err := json.Marshal(got)
		require.NoError(t, err)
		require.JSONEq(t, string(beforeJSON), string(gotJSON), name)
	}
	page, err := eng2.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
	require.NoError(t, err)
	require.Len(t, page.Transactions, 1)
	requireDecimal(t, "29.997", page.Transactions[0].Rewards[0].Amount, "listed")

	// A preview and a new sale use the new rules: 15% of 99.99 = 14.9985,
	// rounded up to 15.00.
	prev, err := eng2.Preview(ctx, sale("preview", "customer_123", "99.99"))
	require.NoError(t, err)
	requireDecimal(t, "15", prev.Rewards[0].Amount, "preview")
	tx, err := eng2.CreateTransaction(ctx, sale("new", "customer_123", "99.99"))
	require.NoError(t, err)
	r := tx.Rewards[0]
	requireDecimal(t, "15", r.Amount)
	require.Equal(t, "v2", r.Explanation.RuleVersion)
	require.Equal(t, "big", r.Explanation.Rule)
	require.Equal(t, "up:2", r.Explanation.Rounding)
	requireDecimal(t, "14.9985", *r.Explanation.Exact)
	tx, err = eng2.CreateTransaction(ctx, sale("small", "customer_123", "10.01"))
	require.NoError(t, err)
	requireDecimal(t, "1.01", tx.Rewards[0].Amount, "the new default, 10% of 10.01 rounded up")
	require.Equal(t, "default", tx.Rewards[0].Explanation.Rule)

	// The old engine, too, still reads the new sale as the new rules made it.
	got, err := eng1.Transaction(ctx, "new")
	require.NoError(t, err)
	requireDecimal(t, "15", got.Rewards[0].Amount)
	require.Equal(t, "v2", got.Rewards[0].Explanation.RuleVersion)
}
