package commission_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func periodProgram(c commission.Commission) commission.Program {
	p := percentProgram(commission.Affiliate, "0")
	p.Rules.Default = c
	return p
}

// rewardOf sells amount as key and returns its reward and step, or "none".
func rewardOf(t *testing.T, eng *commission.Engine, key, customer, amount string) string {
	t.Helper()
	tx, err := eng.CreateTransaction(context.Background(), sale(key, customer, amount))
	require.NoError(t, err)
	if len(tx.Rewards) == 0 {
		return "none"
	}
	return fmt.Sprintf("%s@%d", tx.Rewards[0].Amount, tx.Rewards[0].Explanation.Step)
}

// "40% for the first 3 months, then 20%", from the customer's first sale.
func TestPeriodStepDownByMonths(t *testing.T) {
	eng, clock := newEngine(t, periodProgram(commission.Percent(dec("40")).For(commission.Months(3)).Then(commission.Percent(dec("20")))))
	affiliateSetup(t, eng)
	require.Equal(t, "40@1", rewardOf(t, eng, "m0", "customer_123", "100"))
	first := clock.Now()
	clock.Advance(first.AddDate(0, 3, 0).Sub(first) - time.Second)
	require.Equal(t, "40@1", rewardOf(t, eng, "m3-", "customer_123", "100"))
	clock.Advance(time.Second)
	require.Equal(t, "20@2", rewardOf(t, eng, "m3", "customer_123", "100"))
	clock.Advance(5 * 365 * 24 * time.Hour)
	require.Equal(t, "20@2", rewardOf(t, eng, "y5", "customer_123", "100"))

	// Another customer's period starts at its own first sale.
	_, err := eng.CreateCustomer(context.Background(), commission.CustomerInput{Key: "other", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	require.Equal(t, "40@1", rewardOf(t, eng, "o1", "other", "100"))
}

// "20% in year one, 10% after".
func TestPeriodStepDownByYears(t *testing.T) {
	eng, clock := newEngine(t, periodProgram(commission.Percent(dec("20")).For(commission.Years(1)).Then(commission.Percent(dec("10")))))
	affiliateSetup(t, eng)
	require.Equal(t, "10@1", rewardOf(t, eng, "a", "customer_123", "50"))
	clock.Advance(364 * 24 * time.Hour)
	require.Equal(t, "10@1", rewardOf(t, eng, "b", "customer_123", "50"))
	clock.Advance(2 * 24 * time.Hour)
	require.Equal(t, "5@2", rewardOf(t, eng, "c", "customer_123", "50"))
}

// "The first 3 sales": later ones earn nothing, and a refund frees a place,
// since periods count only stored, not-deleted sales.
func TestPeriodTimes(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, periodProgram(commission.Flat(dec("5")).For(commission.Times(3))))
	affiliateSetup(t, eng)
	var got []string
	for _, k := range []string{"a", "b", "c", "d"} {
		got = append(got, rewardOf(t, eng, k, "customer_123", "10"))
		clock.Advance(time.Minute)
	}
	require.Equal(t, []string{"5@1", "5@1", "5@1", "none"}, got)
	require.NoError(t, eng.DeleteTransaction(ctx, "b"))
	require.Equal(t, "5@1", rewardOf(t, eng, "e", "customer_123", "10"))
	require.Equal(t, "none", rewardOf(t, eng, "f", "customer_123", "10"))

	// A bulk counts its own items.
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bulk", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	var ins []commission.TransactionInput
	for i := range 5 {
		ins = append(ins, sale(fmt.Sprintf("bulk%d", i), "bulk", "10"))
	}
	txs, err := eng.CreateTransactions(ctx, ins)
	require.NoError(t, err)
	rewarded := 0
	for _, tx := range txs {
		rewarded += len(tx.Rewards)
	}
	require.Equal(t, 3, rewarded)
}

func TestPeriodStepDownByTimesOnAProductRule(t *testing.T) {
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Products = []commission.ProductRule{{ProductType: "plan",
		Commission: commission.Percent(dec("40")).For(commission.Times(2)).Then(commission.Percent(dec("20")))}}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	var got []string
	for i := range 4 {
		in := sale(fmt.Sprintf("s%d", i), "customer_123", "100")
		in.ProductType = "plan"
		tx, err := eng.CreateTransaction(context.Background(), in)
		require.NoError(t, err)
		got = append(got, tx.Rewards[0].Amount.String())
	}
	require.Equal(t, []string{"40", "40", "20", "20"}, got)
}

// Days, and "as of the sale's created_at": a sale backdated before the
// customer's first is its first.
func TestPeriodDaysAsOfCreatedAt(t *testing.T) {
	eng, clock := newEngine(t, periodProgram(commission.Flat(dec("5")).For(commission.Days(30))))
	affiliateSetup(t, eng)
	require.Equal(t, "5@1", rewardOf(t, eng, "a", "customer_123", "10"))
	clock.Advance(31 * 24 * time.Hour)
	require.Equal(t, "none", rewardOf(t, eng, "b", "customer_123", "10"))
	old := clock.Now().Add(-60 * 24 * time.Hour)
	in := sale("backdated", "customer_123", "10")
	in.CreatedAt = &old
	tx, err := eng.CreateTransaction(context.Background(), in)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
}

func TestPeriodsAreValidatedAtNew(t *testing.T) {
	bad := commission.Percent(dec("40")).For(commission.Months(3)).Then(
		commission.Percent(dec("30")).For(commission.Times(2)).Then(
			commission.Percent(dec("20")).Then(commission.Percent(dec("10")))))
	p := periodProgram(bad)
	p.Rules.Products = []commission.ProductRule{{ProductID: "x", Commission: commission.Flat(dec("1")).For(commission.Period{Days: 1, Months: 1})}}
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.default.then.for", "rules.default.then.then.then", "rules.products[0].commission.for")

	// A period's end must be a date: at most a thousand years.
	for _, long := range []commission.Period{commission.Months(12_001), commission.Years(1_001), commission.Days(366_001), commission.Times(1_000_000_001)} {
		_, err = commission.New(memstoreNew(), periodProgram(commission.Percent(dec("10")).For(long).Then(commission.Percent(dec("5")))))
		requireFields(t, err, "rules.default.for")
	}
	_, err = commission.New(memstoreNew(), periodProgram(commission.Percent(dec("10")).For(commission.Years(1_000))))
	require.NoError(t, err)
}

// Whatever the sales and refunds, a customer never has more rewarded,
// not-deleted sales than a "first N times" commission allows.
func TestPropTimesNeverPaysPastItsLimit(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(rt, "times")
		eng, clock := newEngine(t, periodProgram(commission.Percent(dec("10")).For(commission.Times(n))))
		affiliateSetup(t, eng)
		var keys []string
		for i := range rapid.IntRange(1, 20).Draw(rt, "steps") {
			if len(keys) > 0 && rapid.IntRange(0, 3).Draw(rt, "delete") == 0 {
				eng.DeleteTransaction(ctx, rapid.SampledFrom(keys).Draw(rt, "key")) // may be deleted already
				continue
			}
			k := fmt.Sprintf("s%d", i)
			var err error
			if rapid.Bool().Draw(rt, "bulk") {
				_, err = eng.CreateTransactions(ctx, []commission.TransactionInput{sale(k, "customer_123", "10"), sale(k+"b", "customer_123", "10")})
				keys = append(keys, k+"b")
			} else {
				_, err = eng.CreateTransaction(ctx, sale(k, "customer_123", "10"))
			}
			require.NoError(rt, err)
			keys = append(keys, k)
			clock.Advance(time.Minute)
		}
		page, err := eng.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
		require.NoError(rt, err)
		rewarded := 0
		for _, tx := range page.Transactions {
			rewarded += len(tx.Rewards)
		}
		require.LessOrEqual(rt, rewarded, n)
	})
}

// addPeriod is the end of a period of n units of kind that starts at
// from: n×24 hours for days (times are UTC, with no daylight saving), the
// same day of the month and time of day n calendar months or years later
// for months and years. A day the month lacks (31 April, 29 February in
// another year) overflows into the next month, as time.Date normalises it.
func addPeriod(kind string, from time.Time, n int) time.Time {
	from = from.UTC()
	y, mo, d := from.Date()
	h, mi, s := from.Clock()
	switch kind {
	case "days":
		return from.Add(time.Duration(n) * 24 * time.Hour)
	case "months":
		return time.Date(y, mo+time.Month(n), d, h, mi, s, from.Nanosecond(), time.UTC)
	}
	return time.Date(y+n, mo, d, h, mi, s, from.Nanosecond(), time.UTC)
}

// periodOf is a period of n units of kind.
func periodOf(kind string, n int) commission.Period {
	switch kind {
	case "days":
		return commission.Days(n)
	case "months":
		return commission.Months(n)
	}
	return commission.Years(n)
}

// chainOf is the schedule paying cs[i] until ends[i] (cumulative, in
// units of kind), then, when cs has one more, that one with no end.
func chainOf(kind string, cs []commission.Commission, ends []int) commission.Commission {
	steps := slices.Clone(cs)
	for i, end := range ends {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		steps[i] = steps[i].For(periodOf(kind, end-start))
	}
	return rapidgen.Chain(steps...)
}

// periodSale is a sale the periods model knows: when it was made, whether it
// was rewarded (so counts towards the period) and whether it is deleted.
type periodSale struct {
	key      string
	at       time.Time
	rewarded bool
	deleted  bool
}

// firstAsOf is the time of the customer's earliest rewarded sale that is
// not deleted and was made at or before asOf; false when there is none.
func firstAsOf(sales []*periodSale, asOf time.Time) (time.Time, bool) {
	var first time.Time
	ok := false
	for _, s := range sales {
		if s.rewarded && !s.deleted && !s.at.After(asOf) && (!ok || s.at.Before(first)) {
			first, ok = s.at, true
		}
	}
	return first, ok
}

// A commission limited to days, months or years, with step-downs, as the
// program's default or a partner's custom commission, pays a customer's
// sale by the step the model finds: the period is counted from the
// customer's first rewarded sale (or sale rewarded elsewhere) that is not
// deleted and was made at or before the sale's created_at (the sale
// itself when there is none), each step ending, exclusive, at the sum of
// its period and those before it; after the last step nothing is paid
// unless the schedule ends with a commission with no period. Sales are
// made now, backdated, or at a step's end to the microsecond, alone or in
// bulks; some are not rewardable, some are deleted.
func TestPropCommissionPeriodsFollowModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newPeriodModel(t, rt)
		for i := range rapid.IntRange(1, 40).Draw(rt, "actions") {
			key := "s" + strconv.Itoa(i)
			switch rapid.IntRange(0, 5).Draw(rt, "action") {
			case 0:
				units := rapid.IntRange(0, m.maxN).Draw(rt, "advance_units")
				m.clock.Advance(time.Duration(units)*m.unit + time.Duration(rapid.Int64Range(1, int64(m.unit/time.Second)).Draw(rt, "advance_s"))*time.Second)
			case 1:
				m.deleteOne()
			case 2:
				m.bulk(key)
			default:
				e := m.newSale(key)
				tx, err := m.eng.CreateTransaction(context.Background(), e.in)
				require.NoError(rt, err)
				m.check(e, tx)
			}
		}
	})
}

// periodModel is a check of TestPropCommissionPeriodsFollowModel: the
// schedule drawn, its engine, and the model's sales of customer_123.
type periodModel struct {
	rt       *rapid.T
	eng      *commission.Engine
	clock    *testClock
	kind     string                  // days, months or years
	maxN     int                     // the longest step, in units of kind
	unit     time.Duration           // about one unit of kind
	cs       []commission.Commission // each step's, then the tail's if any
	ends     []int                   // each step's end, cumulative, in units of kind
	tail     bool                    // a commission with no period follows the steps
	wantRule string
	sales    []*periodSale
}

// periodExpect is what the model says of a sale, in the order made.
type periodExpect struct {
	in   commission.TransactionInput
	step int
	pays bool
}

// newPeriodModel draws one to three steps in days, months or years, maybe
// followed by a commission with no period, as the program's default or
// partner_123's custom commission, and sets up the engine.
func newPeriodModel(t *testing.T, rt *rapid.T) *periodModel {
	// Months are drawn most: their lengths vary.
	kind := rapid.SampledFrom([]string{"days", "months", "months", "years"}).Draw(rt, "kind")
	m := &periodModel{rt: rt, kind: kind, wantRule: "default",
		maxN: map[string]int{"days": 45, "months": 4, "years": 2}[kind],
		unit: map[string]time.Duration{"days": 24 * time.Hour, "months": 30 * 24 * time.Hour, "years": 365 * 24 * time.Hour}[kind],
	}
	n := rapid.IntRange(1, 3).Draw(rt, "steps")
	m.tail = rapid.Bool().Draw(rt, "then_lifetime")
	for i := range n {
		m.cs = append(m.cs, genCommission().Draw(rt, "step_commission"))
		end := rapid.IntRange(1, m.maxN).Draw(rt, "step_period")
		if i > 0 {
			end += m.ends[i-1]
		}
		m.ends = append(m.ends, end)
	}
	if m.tail {
		m.cs = append(m.cs, genCommission().Draw(rt, "tail_commission"))
	}
	chain := chainOf(kind, m.cs, m.ends)

	custom := rapid.Bool().Draw(rt, "as_partner_commission")
	p := periodProgram(chain)
	if custom {
		// The default must never pay: the custom commission comes first
		// and, once its period is over, pays nothing.
		p.Rules.Default = commission.Flat(dec("999"))
		m.wantRule = "partner:partner_123"
	}
	m.eng, m.clock = newEngine(t, p)
	affiliateSetup(t, m.eng)
	if custom {
		_, err := m.eng.SetPartnerCommission(context.Background(), commission.PartnerRef{Key: "partner_123"}, &chain)
		require.NoError(rt, err)
	}
	return m
}

// stepAt is the model: the 0-based step that pays a sale at at, or false
// when the schedule is over for the customer.
func (m *periodModel) stepAt(at time.Time) (int, bool) {
	first, ok := firstAsOf(m.sales, at)
	if !ok {
		first = at
	}
	for i, end := range m.ends {
		if at.Before(addPeriod(m.kind, first, end)) {
			return i, true
		}
	}
	return len(m.ends), m.tail
}

// drawAt draws when a sale is made, never after now: now, late in a month
// (where a month later may not have the day), backdated, or at a step's
// end counted from an earlier sale (mostly the customer's first), give or
// take a microsecond.
func (m *periodModel) drawAt(now time.Time) time.Time {
	rt := m.rt
	at := now
	switch rapid.IntRange(0, 5).Draw(rt, "when") {
	case 1, 2:
		y, mo, _ := now.Date()
		mo -= time.Month(rapid.IntRange(0, 24).Draw(rt, "months_back"))
		at = time.Date(y, mo, rapid.IntRange(29, 31).Draw(rt, "day"), rapid.IntRange(0, 23).Draw(rt, "hour"), 0, 0, 0, time.UTC)
	case 3:
		units := rapid.IntRange(0, 2*m.maxN).Draw(rt, "backdate_units")
		at = now.Add(-time.Duration(units)*m.unit - time.Duration(rapid.Int64Range(0, int64(m.unit/time.Microsecond)).Draw(rt, "backdate_us"))*time.Microsecond)
	case 4, 5:
		if len(m.sales) == 0 {
			break
		}
		from := rapid.SampledFrom(m.sales).Draw(rt, "anchor").at
		if first, ok := firstAsOf(m.sales, now); ok && rapid.IntRange(0, 3).Draw(rt, "anchor_other") > 0 {
			from = first
		}
		k := rapid.SampledFrom(append([]int{1}, m.ends...)).Draw(rt, "units")
		at = addPeriod(m.kind, from, k).Add(time.Duration(rapid.IntRange(-1, 1).Draw(rt, "nudge_us")) * time.Microsecond)
	}
	if at.After(now) {
		at = now
	}
	return at.UTC().Truncate(time.Microsecond)
}

// newSale draws sale key of customer_123, adds it to the model, and says
// what it earns.
func (m *periodModel) newSale(key string) periodExpect {
	at := m.drawAt(m.clock.Now())
	in := sale(key, "customer_123", rapidgen.Decimal(3, 2).Draw(m.rt, "amount").String())
	in.CreatedAt = &at
	step, pays := m.stepAt(at)
	rewarded := pays
	switch rapid.IntRange(0, 7).Draw(m.rt, "history") {
	case 0:
		// Rewarded elsewhere (imported history): no reward here, but it
		// counts towards the period like a rewarded sale.
		in.Rewarded, pays, rewarded = true, false, true
	case 1:
		// Not rewardable: no reward, and it counts for nothing.
		in.Rewardable = new(bool)
		pays, rewarded = false, false
	}
	m.sales = append(m.sales, &periodSale{key: key, at: at, rewarded: rewarded})
	return periodExpect{in, step, pays}
}

// check checks a created sale's rewards against what the model expects.
func (m *periodModel) check(e periodExpect, tx *commission.Transaction) {
	rt := m.rt
	what := fmt.Sprintf("sale %s at %s", e.in.Key, e.in.CreatedAt.Format(time.RFC3339Nano))
	if !e.pays {
		require.Emptyf(rt, tx.Rewards, "%s: want no reward (rewarded %v, rewardable %v)", what, e.in.Rewarded, e.in.Rewardable == nil)
		return
	}
	want := wantReward(m.cs[e.step], *e.in.Amount)
	if want.Sign() == 0 {
		// It pays 0, so no reward is kept; it still counts towards the
		// period, like a rewarded sale.
		require.Emptyf(rt, tx.Rewards, "%s: step %d pays 0", what, e.step+1)
		return
	}
	require.Lenf(rt, tx.Rewards, 1, "%s: want step %d", what, e.step+1)
	r := tx.Rewards[0]
	require.Equalf(rt, m.wantRule, r.Explanation.Rule, "%s: rule", what)
	require.Equalf(rt, e.step+1, r.Explanation.Step, "%s: step", what)
	propRequireRat(rt, what+": amount", want, r.Amount)
}

// deleteOne deletes a sale, often the customer's first (the period then
// counts from the next one); deleting it again is ErrNotFound.
func (m *periodModel) deleteOne() {
	if len(m.sales) == 0 {
		return
	}
	s := rapid.SampledFrom(m.sales).Draw(m.rt, "delete")
	if first, ok := firstAsOf(m.sales, m.clock.Now()); ok && rapid.Bool().Draw(m.rt, "delete_first") {
		s = m.sales[slices.IndexFunc(m.sales, func(o *periodSale) bool { return o.at.Equal(first) && o.rewarded && !o.deleted })]
	}
	err := m.eng.DeleteTransaction(context.Background(), s.key)
	if s.deleted {
		require.ErrorIsf(m.rt, err, commission.ErrAlreadyDeleted, "deleting %s again", s.key)
	} else {
		require.NoError(m.rt, err)
	}
	s.deleted = true
}

// bulk creates two or three sales at once: each sees the ones before it.
func (m *periodModel) bulk(key string) {
	var es []periodExpect
	var ins []commission.TransactionInput
	for j := range rapid.IntRange(2, 3).Draw(m.rt, "bulk") {
		es = append(es, m.newSale(key+"_"+strconv.Itoa(j)))
		ins = append(ins, es[j].in)
	}
	txs, err := m.eng.CreateTransactions(context.Background(), ins)
	require.NoError(m.rt, err)
	for j, e := range es {
		m.check(e, txs[j])
	}
}
