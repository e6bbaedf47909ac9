package commission_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Property-based tests of the precedence of rules (SPEC §4.2), of
// commission periods in days, months and years (§4.4) and of caps (§4.8).
// Each compares the engine with a model written from the spec and the
// API's doc comments, not from the engine's code.

// p2Tags draws the partner tags a partner, product rule or tier may have:
// none, or some of gold and silver in any order (one set listed in two
// orders is the same set).
var p2Tags = rapid.OneOf(rapid.Just([]string(nil)), rapidgen.Tags([]string{"gold", "silver"}))

// p2Fits reports whether a rule limited to tags applies to a partner with
// ptags: it has no tags, or the partner has one of them.
func p2Fits(tags, ptags []string) bool {
	if len(tags) == 0 {
		return true
	}
	for _, t := range tags {
		if slices.Contains(ptags, t) {
			return true
		}
	}
	return false
}

// p2Rule is the model of a rule: what it pays and how the explanation
// names it.
type p2Rule struct {
	id, match string
	c         commission.Commission
}

// p2Product is the model of a product rule.
type p2Product struct {
	p2Rule
	byType bool
	name   string
	tags   []string
}

// p2Tier is the model of a tier: it applies to a partner with one of its
// tags (any partner without tags) when the sale's amount is at least
// atLeast (any sale when nil).
type p2Tier struct {
	p2Rule
	tags    []string
	atLeast *decimal.Decimal
}

// p2Precedence is the model of SPEC §4.2 for one program.
type p2Precedence struct {
	productsFirst bool
	def           *p2Rule
	products      []p2Product
	tiers         []p2Tier
}

// product is the product rule of a line: by product_id, then by
// product_type; for each, a rule whose partner tags fit before one without
// tags, and among those the first listed.
func (m *p2Precedence) product(id, typ string, ptags []string) *p2Rule {
	for _, byType := range []bool{false, true} {
		name := id
		if byType {
			name = typ
		}
		if name == "" {
			continue
		}
		for _, tagged := range []bool{true, false} {
			for i := range m.products {
				pr := &m.products[i]
				if pr.byType == byType && pr.name == name && (len(pr.tags) > 0) == tagged && p2Fits(pr.tags, ptags) {
					return &pr.p2Rule
				}
			}
		}
	}
	return nil
}

// tier is the last listed tier that applies, nil for none.
func (m *p2Precedence) tier(amount decimal.Decimal, ptags []string) *p2Rule {
	for i := len(m.tiers) - 1; i >= 0; i-- {
		tr := &m.tiers[i]
		if p2Fits(tr.tags, ptags) && (tr.atLeast == nil || amount.Cmp(*tr.atLeast) >= 0) {
			return &tr.p2Rule
		}
	}
	return nil
}

// rule is the one rule that pays a line, nil for none: the partner's custom
// commission, then product rules (the two swapped when products come
// first), then the tier, then the default.
func (m *p2Precedence) rule(id, typ string, amount decimal.Decimal, ptags []string, custom *p2Rule) *p2Rule {
	groups := []*p2Rule{custom, m.product(id, typ, ptags)}
	if m.productsFirst {
		groups[0], groups[1] = groups[1], groups[0]
	}
	groups = append(groups, m.tier(amount, ptags), m.def)
	for _, r := range groups {
		if r != nil {
			return r
		}
	}
	return nil
}

// p2Partner is a partner of the precedence property, with its custom
// commission as the model sees it.
type p2Partner struct {
	key    string
	tags   []string
	custom *p2Rule
}

// p2CustomRule is the model of partner key's custom commission c.
func p2CustomRule(key string, c *commission.Commission) *p2Rule {
	if c == nil {
		return nil
	}
	return &p2Rule{id: "partner:" + key, match: "partner", c: *c}
}

// Whatever the program's default, product rules (some limited to partner
// tags), tiers, partners' custom commissions (set at creation, changed or
// removed later) and products-over-partner setting, every line of a sale
// earns exactly one base reward, by the rule the model of SPEC §4.2 picks,
// paying that rule's percent of the line or its flat amount; a line no
// rule matches earns nothing.
func TestPropPrecedenceFollowsModel(t *testing.T) {
	ctx := context.Background()
	ids, types := []string{"a", "b", "c"}, []string{"x", "y"}
	rapid.Check(t, func(rt *rapid.T) {
		p, m := drawP2Program(rt, ids, types)
		eng, err := commission.New(memstoreNew(), p, commission.WithClock(newClock(t0).Now), commission.WithIDGenerator(seqIDs()))
		require.NoError(rt, err)
		partners := createP2Partners(rt, eng)

		genID := rapid.SampledFrom(append([]string{"zzz"}, ids...))
		genType := rapid.SampledFrom(append([]string{"", "zzz"}, types...))
		for step := range rapid.IntRange(1, 12).Draw(rt, "steps") {
			who := rapid.IntRange(0, len(partners)-1).Draw(rt, "partner")
			pp := partners[who]
			if rapid.IntRange(0, 4).Draw(rt, "set_custom") == 0 {
				c := rapid.Ptr(genCommission(), true).Draw(rt, "new_custom")
				_, err := eng.SetPartnerCommission(ctx, commission.PartnerRef{Key: pp.key}, c)
				require.NoError(rt, err)
				pp.custom = p2CustomRule(pp.key, c)
				continue
			}
			in, lines := drawP2Sale(rt, "s"+strconv.Itoa(step), "c"+strconv.Itoa(who), genID, genType)
			tx, err := eng.CreateTransaction(ctx, in)
			require.NoError(rt, err)
			m.requireRewards(rt, in.Key, tx, lines, pp)
		}
	})
}

// drawP2Program draws the program of TestPropPrecedenceFollowsModel, with
// its model: a default (mostly), product rules on ids and types (some for
// partner tags), tiers, and whether products come before partners.
func drawP2Program(rt *rapid.T, ids, types []string) (commission.Program, *p2Precedence) {
	m := &p2Precedence{productsFirst: rapid.Bool().Draw(rt, "products_first")}
	p := percentProgram(commission.Affiliate, "0")
	p.Rules.Default = commission.Commission{}
	p.Rules.ProductsOverPartner = m.productsFirst
	if rapid.IntRange(0, 3).Draw(rt, "no_default") > 0 {
		p.Rules.Default = genCommission().Draw(rt, "default")
		m.def = &p2Rule{id: "default", match: "default", c: p.Rules.Default}
	}
	for i := range rapid.IntRange(0, 8).Draw(rt, "products") {
		if pr, ok := m.drawProduct(rt, i, ids, types); ok {
			p.Rules.Products = append(p.Rules.Products, pr)
		}
	}
	for i := range rapid.IntRange(0, 2).Draw(rt, "tiers") {
		tr := commission.Tier{PartnerTags: p2Tags.Draw(rt, "tier_tags"), Commission: genCommission().Draw(rt, "tier_commission")}
		mt := p2Tier{p2Rule: p2Rule{id: "tier:" + strconv.Itoa(i+1), match: "tier", c: tr.Commission}, tags: tr.PartnerTags}
		if len(tr.PartnerTags) == 0 || rapid.Bool().Draw(rt, "tier_on_amount") {
			at := decimal.NewFromInt(int64(rapid.IntRange(0, 300).Draw(rt, "tier_at_least")))
			tr.When, mt.atLeast = []commission.Condition{{Metric: commission.MetricSaleAmount, AtLeast: &at}}, &at
		}
		p.Rules.Tiers = append(p.Rules.Tiers, tr)
		m.tiers = append(m.tiers, mt)
	}
	return p, m
}

// drawProduct draws the i-th product rule, by product id or type, and adds
// it to the model; false when the model has a rule for that product and
// set of tags already (New rejects a second one).
func (m *p2Precedence) drawProduct(rt *rapid.T, i int, ids, types []string) (commission.ProductRule, bool) {
	pr := commission.ProductRule{
		PartnerTags: p2Tags.Draw(rt, "rule_tags"),
		Commission:  genCommission().Draw(rt, "rule_commission"),
	}
	mp := p2Product{byType: rapid.Bool().Draw(rt, "by_type"), tags: pr.PartnerTags}
	mp.c = pr.Commission
	if mp.byType {
		mp.name, mp.match = rapid.SampledFrom(types).Draw(rt, "rule_type"), "product_type"
		pr.ProductType = mp.name
	} else {
		mp.name, mp.match = rapid.SampledFrom(ids).Draw(rt, "rule_id"), "product_id"
		pr.ProductID = mp.name
	}
	if slices.ContainsFunc(m.products, func(o p2Product) bool {
		return o.byType == mp.byType && o.name == mp.name && p2SameSet(o.tags, mp.tags)
	}) {
		return pr, false
	}
	mp.id = mp.match + ":" + mp.name
	if len(mp.tags) > 0 {
		mp.id += "[" + strings.Join(mp.tags, ",") + "]"
	}
	if rapid.Bool().Draw(rt, "named_rule") {
		pr.ID = "rule" + strconv.Itoa(i)
		mp.id = pr.ID
	}
	m.products = append(m.products, mp)
	return pr, true
}

// createP2Partners creates partners p0, p1 and p2, each with drawn tags
// and maybe a custom commission, and customer ci of partner pi.
func createP2Partners(rt *rapid.T, eng *commission.Engine) []*p2Partner {
	ctx := context.Background()
	partners := make([]*p2Partner, 3)
	for i := range partners {
		pp := &p2Partner{key: "p" + strconv.Itoa(i), tags: p2Tags.Draw(rt, "partner_tags")}
		c := rapid.Ptr(genCommission(), true).Draw(rt, "partner_custom")
		pp.custom = p2CustomRule(pp.key, c)
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: pp.key, Tags: pp.tags, Commission: c})
		require.NoError(rt, err)
		_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i), Partner: &commission.PartnerRef{Key: pp.key}})
		require.NoError(rt, err)
		partners[i] = pp
	}
	return partners
}

// p2Line is a line of a sale as the precedence model sees it: a line with
// no product_type has the sale's.
type p2Line struct {
	id, typ string
	price   decimal.Decimal
}

// drawP2Sale draws sale key of customer: one line (an amount, maybe a
// product id) or up to three product lines.
func drawP2Sale(rt *rapid.T, key, customer string, genID, genType *rapid.Generator[string]) (commission.TransactionInput, []p2Line) {
	in := commission.TransactionInput{Key: key, Customer: commission.CustomerInput{Key: customer}}
	in.ProductType = genType.Draw(rt, "sale_type")
	n := rapid.IntRange(0, 3).Draw(rt, "lines")
	if n == 0 {
		amount := rapidgen.Decimal(3, 2).Draw(rt, "amount")
		in.Amount = &amount
		if rapid.Bool().Draw(rt, "sale_has_id") {
			in.ProductID = genID.Draw(rt, "sale_id")
		}
		return in, []p2Line{{in.ProductID, in.ProductType, amount}}
	}
	var lines []p2Line
	for range n {
		l := commission.ProductLine{ProductID: genID.Draw(rt, "line_id"), ProductType: genType.Draw(rt, "line_type"), ProductPrice: rapidgen.Decimal(3, 2).Draw(rt, "price")}
		in.Products = append(in.Products, l)
		typ := l.ProductType
		if typ == "" {
			typ = in.ProductType
		}
		lines = append(lines, p2Line{l.ProductID, typ, l.ProductPrice})
	}
	return in, lines
}

// requireRewards checks sale key's rewards against the model: one per
// line a rule matches, in line order, paid and explained by that rule.
func (m *p2Precedence) requireRewards(rt *rapid.T, key string, tx *commission.Transaction, lines []p2Line, pp *p2Partner) {
	total := decimal.Zero
	for _, l := range lines {
		total = total.Add(l.price)
	}
	next := 0
	for i, l := range lines {
		want := m.rule(l.id, l.typ, total, pp.tags, pp.custom)
		what := fmt.Sprintf("sale %s line %d (%s/%s, partner %s %v)", key, i, l.id, l.typ, pp.key, pp.tags)
		if want == nil {
			continue
		}
		require.Greaterf(rt, len(tx.Rewards), next, "%s: no reward, want one by %s", what, want.id)
		r := tx.Rewards[next]
		next++
		require.Equalf(rt, want.id, r.Explanation.Rule, "%s: rule", what)
		require.Equalf(rt, want.match, r.Explanation.Match, "%s: match", what)
		require.Equalf(rt, want.c.Type, r.Explanation.Type, "%s: type", what)
		propRequireDec(rt, what+": value", want.c.Value, r.Explanation.Value)
		propRequireDec(rt, what+": base", l.price, r.Explanation.Base)
		propRequireRat(rt, what+": amount", wantReward(want.c, l.price), r.Amount)
		require.Equalf(rt, pp.key, r.PartnerKey, "%s: partner", what)
		require.Equalf(rt, [2]string{l.id, l.typ}, [2]string{r.ProductID, r.ProductType}, "%s: product", what)
		require.Zerof(rt, r.Explanation.Step, "%s: a commission with no period has no step", what)
	}
	require.Lenf(rt, tx.Rewards, next, "sale %s: one reward per line a rule matches, no more", key)
}

// p2SameSet reports whether a and b hold the same tags, in any order.
func p2SameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// p2AddPeriod is the end of a period of n units of kind that starts at
// from: n×24 hours for days (times are UTC, with no daylight saving), the
// same day of the month and time of day n calendar months or years later
// for months and years. A day the month lacks (31 April, 29 February in
// another year) overflows into the next month, as time.Date normalises it.
func p2AddPeriod(kind string, from time.Time, n int) time.Time {
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

// p2Period is a period of n units of kind.
func p2Period(kind string, n int) commission.Period {
	switch kind {
	case "days":
		return commission.Days(n)
	case "months":
		return commission.Months(n)
	}
	return commission.Years(n)
}

// p2Chain is the schedule paying cs[i] until ends[i] (cumulative, in
// units of kind), then, when cs has one more, that one with no end.
func p2Chain(kind string, cs []commission.Commission, ends []int) commission.Commission {
	steps := slices.Clone(cs)
	for i, end := range ends {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		steps[i] = steps[i].For(p2Period(kind, end-start))
	}
	return rapidgen.Chain(steps...)
}

// p2Sale is a sale the periods model knows: when it was made, whether it
// was rewarded (so counts towards the period) and whether it is deleted.
type p2Sale struct {
	key      string
	at       time.Time
	rewarded bool
	deleted  bool
}

// p2First is the time of the customer's earliest rewarded sale that is
// not deleted and was made at or before asOf; false when there is none.
func p2First(sales []*p2Sale, asOf time.Time) (time.Time, bool) {
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
		m := newP2Periods(t, rt)
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

// p2Periods is a check of TestPropCommissionPeriodsFollowModel: the
// schedule drawn, its engine, and the model's sales of customer_123.
type p2Periods struct {
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
	sales    []*p2Sale
}

// p2Expect is what the model says of a sale, in the order made.
type p2Expect struct {
	in   commission.TransactionInput
	step int
	pays bool
}

// newP2Periods draws one to three steps in days, months or years, maybe
// followed by a commission with no period, as the program's default or
// partner_123's custom commission, and sets up the engine.
func newP2Periods(t *testing.T, rt *rapid.T) *p2Periods {
	// Months are drawn most: their lengths vary.
	kind := rapid.SampledFrom([]string{"days", "months", "months", "years"}).Draw(rt, "kind")
	m := &p2Periods{rt: rt, kind: kind, wantRule: "default",
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
	chain := p2Chain(kind, m.cs, m.ends)

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
func (m *p2Periods) stepAt(at time.Time) (int, bool) {
	first, ok := p2First(m.sales, at)
	if !ok {
		first = at
	}
	for i, end := range m.ends {
		if at.Before(p2AddPeriod(m.kind, first, end)) {
			return i, true
		}
	}
	return len(m.ends), m.tail
}

// drawAt draws when a sale is made, never after now: now, late in a month
// (where a month later may not have the day), backdated, or at a step's
// end counted from an earlier sale (mostly the customer's first), give or
// take a microsecond.
func (m *p2Periods) drawAt(now time.Time) time.Time {
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
		if first, ok := p2First(m.sales, now); ok && rapid.IntRange(0, 3).Draw(rt, "anchor_other") > 0 {
			from = first
		}
		k := rapid.SampledFrom(append([]int{1}, m.ends...)).Draw(rt, "units")
		at = p2AddPeriod(m.kind, from, k).Add(time.Duration(rapid.IntRange(-1, 1).Draw(rt, "nudge_us")) * time.Microsecond)
	}
	if at.After(now) {
		at = now
	}
	return at.UTC().Truncate(time.Microsecond)
}

// newSale draws sale key of customer_123, adds it to the model, and says
// what it earns.
func (m *p2Periods) newSale(key string) p2Expect {
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
	m.sales = append(m.sales, &p2Sale{key: key, at: at, rewarded: rewarded})
	return p2Expect{in, step, pays}
}

// check checks a created sale's rewards against what the model expects.
func (m *p2Periods) check(e p2Expect, tx *commission.Transaction) {
	rt := m.rt
	what := fmt.Sprintf("sale %s at %s", e.in.Key, e.in.CreatedAt.Format(time.RFC3339Nano))
	if !e.pays {
		require.Emptyf(rt, tx.Rewards, "%s: want no reward (rewarded %v, rewardable %v)", what, e.in.Rewarded, e.in.Rewardable == nil)
		return
	}
	require.Lenf(rt, tx.Rewards, 1, "%s: want step %d", what, e.step+1)
	r := tx.Rewards[0]
	require.Equalf(rt, m.wantRule, r.Explanation.Rule, "%s: rule", what)
	require.Equalf(rt, e.step+1, r.Explanation.Step, "%s: step", what)
	propRequireRat(rt, what+": amount", wantReward(m.cs[e.step], *e.in.Amount), r.Amount)
}

// deleteOne deletes a sale, often the customer's first (the period then
// counts from the next one); deleting it again is ErrNotFound.
func (m *p2Periods) deleteOne() {
	if len(m.sales) == 0 {
		return
	}
	s := rapid.SampledFrom(m.sales).Draw(m.rt, "delete")
	if first, ok := p2First(m.sales, m.clock.Now()); ok && rapid.Bool().Draw(m.rt, "delete_first") {
		s = m.sales[slices.IndexFunc(m.sales, func(o *p2Sale) bool { return o.at.Equal(first) && o.rewarded && !o.deleted })]
	}
	err := m.eng.DeleteTransaction(context.Background(), s.key)
	if s.deleted {
		require.ErrorIsf(m.rt, err, commission.ErrNotFound, "deleting %s again", s.key)
	} else {
		require.NoError(m.rt, err)
	}
	s.deleted = true
}

// bulk creates two or three sales at once: each sees the ones before it.
func (m *p2Periods) bulk(key string) {
	var es []p2Expect
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

// p2CapKey is one partner's spend in one period's bucket, as the caps model
// counts it.
type p2CapKey struct {
	partner string
	period  commission.CapPeriod
	bucket  string
}

// p2Bucket names the bucket of period that holds at, in UTC: its day, ISO
// 8601 week, month, or "" for all time.
func p2Bucket(period commission.CapPeriod, at time.Time) string {
	at = at.UTC()
	switch period {
	case commission.CapDay:
		return at.Format(time.DateOnly)
	case commission.CapWeek:
		y, w := at.ISOWeek()
		return fmt.Sprintf("%d/%d", y, w)
	case commission.CapMonth:
		return at.Format("2006-01")
	}
	return ""
}

// p2Reward is a reward the caps model expects: to whom, before and after
// the caps, and whether it was rejected later.
type p2Reward struct {
	id              string
	partner         string
	uncapped, final decimal.Decimal
	rejected        bool
}

// p2CapSale is a sale the caps model knows.
type p2CapSale struct {
	key     string
	at      time.Time
	rewards []*p2Reward
	deleted bool
}

// Several partners, a per-reward cap and partner spend limits per day,
// week, month and all time (any subset, in any order), multi-line and
// manual sales at random times, with multi-level rewards, refunds and
// rejections: each reward is what the rules pay, lowered to the per-reward
// cap and to what every limit of its partner has left in the buckets of
// the sale's created_at, one reward after the other in the sale's order;
// refunded and rejected rewards give their amount back. Whatever happens,
// no partner's live rewards pass a limit in any bucket, and no reward
// passes the per-reward cap.
func TestPropCapsFollowModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newP2Caps(t, rt)
		for step := range rapid.IntRange(1, 25).Draw(rt, "steps") {
			m.invariants()
			now := m.clock.Now()
			switch rapid.IntRange(0, 7).Draw(rt, "action") {
			case 0:
				m.clock.Advance(time.Duration(rapid.Int64Range(1, 10*24*60).Draw(rt, "advance_min")) * time.Minute)
			case 1:
				m.refund()
			case 2:
				m.reject(now)
			default:
				m.sell("s"+strconv.Itoa(step), now)
			}
		}
		m.invariants()
	})
}

// p2CapsReview is how long the caps property holds rewards in review.
const p2CapsReview = time.Hour

// p2Caps is a check of TestPropCapsFollowModel: the program drawn, its
// engine, and the model of the sales, their rewards and what each partner
// used of its limits.
type p2Caps struct {
	rt        *rapid.T
	eng       *commission.Engine
	clock     *testClock
	def, flat commission.Commission
	levels    []commission.Commission
	perReward *decimal.Decimal
	limits    map[commission.CapPeriod]decimal.Decimal
	referrer  []int // partner i's referrer, -1 for none

	used    map[p2CapKey]decimal.Decimal
	sales   []*p2CapSale
	rewards []*p2Reward
	saleOf  map[*p2Reward]*p2CapSale
}

// newP2Caps draws the program (a default percent, a flat fee on product
// f, up to two levels, a per-reward cap and spend limits, each maybe) and
// one to three partners, each maybe referred by an earlier one, with
// customer ci of partner pi.
func newP2Caps(t *testing.T, rt *rapid.T) *p2Caps {
	m := &p2Caps{rt: rt, limits: map[commission.CapPeriod]decimal.Decimal{}, used: map[p2CapKey]decimal.Decimal{}, saleOf: map[*p2Reward]*p2CapSale{},
		def:  commission.Percent(rapidgen.Cents(1, 10000).Draw(rt, "default_pct")),
		flat: commission.Flat(rapidgen.Cents(0, 5000).Draw(rt, "flat")),
	}
	p := periodProgram(m.def)
	p.Rules.ReviewPeriod = p2CapsReview
	p.Rules.Products = []commission.ProductRule{{ProductID: "f", Commission: m.flat}}
	for range rapid.IntRange(0, 2).Draw(rt, "levels") {
		m.levels = append(m.levels, commission.Percent(rapidgen.Cents(0, 10000).Draw(rt, "level_pct")))
	}
	p.Rules.Levels = m.levels
	if rapid.Bool().Draw(rt, "per_reward") {
		d := rapidgen.Cents(0, 5000).Draw(rt, "per_reward_cap")
		m.perReward, p.Rules.Caps.PerReward = &d, &d
	}
	periods := []commission.CapPeriod{commission.CapDay, commission.CapWeek, commission.CapMonth, commission.CapAllTime}
	for _, period := range rapid.Permutation(periods).Draw(rt, "periods") {
		if rapid.Bool().Draw(rt, "limited") {
			l := rapidgen.Cents(0, 20000).Draw(rt, "limit")
			m.limits[period] = l
			p.Rules.Caps.Partner = append(p.Rules.Caps.Partner, commission.SpendLimit{Period: period, Amount: l})
		}
	}
	m.eng, m.clock = newEngine(t, p)
	m.createPartners()
	return m
}

// createPartners creates one to three partners, partner i maybe referred
// by an earlier one, and customer ci of partner pi.
func (m *p2Caps) createPartners() {
	ctx := context.Background()
	n := rapid.IntRange(1, 3).Draw(m.rt, "partners")
	m.referrer = make([]int, n)
	for i := range n {
		in := commission.PartnerInput{Key: "p" + strconv.Itoa(i)}
		m.referrer[i] = -1
		if i > 0 && rapid.Bool().Draw(m.rt, "referred") {
			m.referrer[i] = rapid.IntRange(0, i-1).Draw(m.rt, "referrer")
			in.ReferringPartner = &commission.PartnerRef{Key: "p" + strconv.Itoa(m.referrer[i])}
		}
		_, err := m.eng.CreatePartner(ctx, in)
		require.NoError(m.rt, err)
		_, err = m.eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i), Partner: &commission.PartnerRef{Key: in.Key}})
		require.NoError(m.rt, err)
	}
}

// count adds (sign 1) or gives back (sign -1) a reward's amount to what
// its partner used of each limit, in the buckets of at.
func (m *p2Caps) count(r *p2Reward, at time.Time, sign int64) {
	for period := range m.limits {
		k := p2CapKey{r.partner, period, p2Bucket(period, at)}
		m.used[k] = m.used[k].Add(r.final.Mul(decimal.NewFromInt(sign)))
	}
}

// newSale draws a sale made at now or backdated, with the rewards the
// model expects of it, capped by what the sales before it used.
func (m *p2Caps) newSale(key string, now time.Time) (commission.TransactionInput, *p2CapSale) {
	rt := m.rt
	who := rapid.IntRange(0, len(m.referrer)-1).Draw(rt, "customer")
	s := &p2CapSale{key: key, at: now}
	if rapid.Bool().Draw(rt, "backdated") {
		days := time.Duration(rapid.IntRange(0, 40).Draw(rt, "backdate_days")) * 24 * time.Hour
		s.at = now.Add(-days - time.Duration(rapid.IntRange(0, 24*60).Draw(rt, "backdate_min"))*time.Minute)
	}
	in := commission.TransactionInput{Key: s.key, Customer: commission.CustomerInput{Key: "c" + strconv.Itoa(who)}, CreatedAt: &s.at}
	for _, amount := range m.drawPayload(&in) {
		s.rewards = append(s.rewards, &p2Reward{partner: "p" + strconv.Itoa(who), uncapped: amount})
	}
	for level, up := 0, m.referrer[who]; level < len(m.levels) && up >= 0; level, up = level+1, m.referrer[up] {
		s.rewards = append(s.rewards, &p2Reward{partner: "p" + strconv.Itoa(up),
			uncapped: in.Amount.Mul(m.levels[level].Value).Shift(-2)})
	}
	// The caps, reward by reward in the sale's order.
	for _, r := range s.rewards {
		r.final = r.uncapped
		if m.perReward != nil {
			r.final = decimal.Min(r.final, *m.perReward)
		}
		for period, limit := range m.limits {
			left := decimal.Max(decimal.Zero, limit.Sub(m.used[p2CapKey{r.partner, period, p2Bucket(period, s.at)}]))
			r.final = decimal.Min(r.final, left)
		}
		m.count(r, s.at, 1)
	}
	m.sales = append(m.sales, s)
	return in, s
}

// drawPayload draws what in sells (a reward set by the input, an amount
// of product f or none, or one to three lines of products f and g), and
// returns what the seller's rules pay for it, reward by reward, uncapped.
func (m *p2Caps) drawPayload(in *commission.TransactionInput) []decimal.Decimal {
	rt := m.rt
	pays := func(product string, price decimal.Decimal) decimal.Decimal {
		if product == "f" {
			return m.flat.Value
		}
		return price.Mul(m.def.Value).Shift(-2)
	}
	switch lines := rapid.IntRange(-1, 3).Draw(rt, "lines"); lines {
	case -1: // a reward set by the input
		in.Amount, in.Reward = decp(rapidgen.Cents(0, 100000).Draw(rt, "amount").String()), decp(rapidgen.Cents(0, 10000).Draw(rt, "reward").String())
		return []decimal.Decimal{*in.Reward}
	case 0:
		in.Amount = decp(rapidgen.Cents(0, 100000).Draw(rt, "amount").String())
		in.ProductID = rapid.SampledFrom([]string{"", "f"}).Draw(rt, "product")
		return []decimal.Decimal{pays(in.ProductID, *in.Amount)}
	default:
		var out []decimal.Decimal
		total := decimal.Zero
		for range lines {
			l := commission.ProductLine{ProductID: rapid.SampledFrom([]string{"g", "f"}).Draw(rt, "line_product"), ProductPrice: rapidgen.Cents(0, 100000).Draw(rt, "price")}
			in.Products = append(in.Products, l)
			total = total.Add(l.ProductPrice)
			out = append(out, pays(l.ProductID, l.ProductPrice))
		}
		in.Amount = &total
		return out
	}
}

// check checks a created sale's rewards against the model, and records
// their ids.
func (m *p2Caps) check(s *p2CapSale, tx *commission.Transaction) {
	rt := m.rt
	require.Lenf(rt, tx.Rewards, len(s.rewards), "sale %s: rewards", s.key)
	for i, r := range s.rewards {
		got := tx.Rewards[i]
		what := fmt.Sprintf("sale %s reward %d (%s)", s.key, i, r.partner)
		require.Equalf(rt, r.partner, got.PartnerKey, "%s: partner", what)
		propRequireDec(rt, what+": amount", r.final, got.Amount)
		if r.final.LessThan(r.uncapped) {
			require.NotNilf(rt, got.Explanation.Uncapped, "%s: a capped reward records what it was", what)
			propRequireDec(rt, what+": uncapped", r.uncapped, *got.Explanation.Uncapped)
			require.NotEmptyf(rt, got.Explanation.Caps, "%s: a capped reward names its caps", what)
		} else {
			require.Nilf(rt, got.Explanation.Uncapped, "%s: not capped", what)
		}
		r.id = got.ID
		m.rewards = append(m.rewards, r)
		m.saleOf[r] = s
	}
}

// invariants checks what the engine stores against the limits and the
// model's counters.
func (m *p2Caps) invariants() {
	rt := m.rt
	live := map[p2CapKey]decimal.Decimal{}
	page, err := m.eng.Transactions(context.Background(), commission.ListOptions{Limit: commission.MaxLimit})
	require.NoError(rt, err)
	require.Empty(rt, page.NextCursor, "every transaction on one page")
	for _, tx := range page.Transactions {
		for _, r := range tx.Rewards {
			if m.perReward != nil {
				require.Truef(rt, r.Amount.Cmp(*m.perReward) <= 0, "reward %s: %s passes the per-reward cap %s", r.ID, r.Amount, *m.perReward)
			}
			if r.DeletedAt != nil || r.Status == commission.RewardRejected {
				continue
			}
			for period := range m.limits {
				k := p2CapKey{r.PartnerKey, period, p2Bucket(period, r.CreatedAt)}
				live[k] = live[k].Add(r.Amount)
			}
		}
	}
	for k, sum := range live {
		require.Truef(rt, sum.Cmp(m.limits[k.period]) <= 0, "%+v: %s earned, the limit is %s", k, sum, m.limits[k.period])
	}
	for k, u := range m.used {
		propRequireDec(rt, fmt.Sprintf("%+v: earned, as the model counts it", k), u, live[k])
	}
}

// refund deletes a sale: its rewards not rejected give their amounts
// back; refunding it again is ErrNotFound.
func (m *p2Caps) refund() {
	if len(m.sales) == 0 {
		return
	}
	s := rapid.SampledFrom(m.sales).Draw(m.rt, "refund")
	err := m.eng.DeleteTransaction(context.Background(), s.key)
	if s.deleted {
		require.ErrorIsf(m.rt, err, commission.ErrNotFound, "refunding %s again", s.key)
		return
	}
	require.NoError(m.rt, err)
	s.deleted = true
	for _, r := range s.rewards {
		if !r.rejected {
			m.count(r, s.at, -1)
		}
	}
}

// reject rejects a reward, which gives its amount back if it was still
// held in review at now.
func (m *p2Caps) reject(now time.Time) {
	if len(m.rewards) == 0 {
		return
	}
	r := rapid.SampledFrom(m.rewards).Draw(m.rt, "reject")
	s := m.saleOf[r]
	err := m.eng.RejectReward(context.Background(), r.id, "no")
	if s.deleted || r.rejected || !now.Before(s.at.Add(p2CapsReview)) {
		require.ErrorIsf(m.rt, err, commission.ErrNotInReview, "rejecting %s of %s, refunded %v, rejected %v", r.id, s.key, s.deleted, r.rejected)
		return
	}
	require.NoError(m.rt, err)
	r.rejected = true
	m.count(r, s.at, -1)
}

// sell creates sale key alone or, one time in four, a bulk of two or three
// sales, whose caps each see the ones before it.
func (m *p2Caps) sell(key string, now time.Time) {
	ctx := context.Background()
	if rapid.IntRange(0, 3).Draw(m.rt, "bulk") == 0 {
		var ins []commission.TransactionInput
		var ss []*p2CapSale
		for j := range rapid.IntRange(2, 3).Draw(m.rt, "bulk_size") {
			in, s := m.newSale(key+"_"+strconv.Itoa(j), now)
			ins, ss = append(ins, in), append(ss, s)
		}
		txs, err := m.eng.CreateTransactions(ctx, ins)
		require.NoError(m.rt, err)
		for j, s := range ss {
			m.check(s, txs[j])
		}
		return
	}
	in, s := m.newSale(key, now)
	tx, err := m.eng.CreateTransaction(ctx, in)
	require.NoError(m.rt, err)
	m.check(s, tx)
}
