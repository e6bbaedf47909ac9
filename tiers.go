package commission

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Tier is a commission that applies when the beneficiary's performance,
// or the sale, meets conditions (dynamic tiers). Tiers come
// after product rules and before the default in the precedence, and are
// ordered: when several qualify, the last listed wins, so a program lists
// them from lowest to highest ("20% above 20 customers", then "30% above
// 50"). Commissions are never compared to decide.
type Tier struct {
	// ID names the tier in reward explanations; "tier:<n>" (n from 1)
	// when empty.
	ID string `json:"id,omitempty"`
	// When are the conditions, all of which must hold; at least one.
	When []Condition `json:"when"`
	// PartnerTags, when set, limit the tier to partners with one of them.
	PartnerTags []string   `json:"partner_tags,omitempty"`
	Commission  Commission `json:"commission"`
}

// Condition is a bound on one metric. For signups, customers, revenue and
// sale_amount, set one or two of AtLeast, Above and Below (a lower bound
// and an upper one); for customer_age and partner_age, Within and/or Past;
// first_sale takes none. The beneficiary's metrics are as they stood before
// the sale, over all time or, with Months, over the sale's calendar month
// (UTC) and the Months-1 before it.
//
// Decision: metrics are counters kept per calendar month, so that a sale's
// cost does not grow with the program's history. A rolling window is
// therefore whole calendar months, and a backdated sale reads them as they
// stand when it is recorded: sales recorded before it count even when they
// are dated after it, within its months or over all time. first_sale and
// the ages are exact as of the sale's created_at.
type Condition struct {
	Metric  Metric           `json:"metric"`
	Months  int              `json:"months,omitempty"`
	AtLeast *decimal.Decimal `json:"at_least,omitempty"`
	Above   *decimal.Decimal `json:"above,omitempty"`
	Below   *decimal.Decimal `json:"below,omitempty"`
	// Within holds while the age is less than the period ("a customer's
	// first year": Within Years(1)); Past once it has reached it.
	Within *Period `json:"within,omitempty"`
	Past   *Period `json:"past,omitempty"`
}

// tier is a validated Tier.
type tier struct {
	rule  *rule
	conds []cond
}

// cond is a validated Condition; a counted metric reads the slots
// [slot, slot+n) of the sale's measures and sums them.
type cond struct {
	Condition
	slot, n int
}

// window returns where the slots of metric m over the given months (0:
// all time) start in rs.slots, adding them unless a run of the same slots
// is there already.
func (rs *rules) window(m Metric, months int) int {
	want := []slot{{metric: m, back: -1}}
	if months > 0 {
		want = make([]slot, months)
		for back := range months {
			want[back] = slot{metric: m, back: back}
		}
	}
	for i := 0; i+len(want) <= len(rs.slots); i++ {
		if slices.Equal(rs.slots[i:i+len(want)], want) {
			return i
		}
	}
	rs.slots = append(rs.slots, want...)
	return len(rs.slots) - len(want)
}

func (rs *rules) compileTiers(v *validator, p *Program) {
	ids := make(map[string]int)
	for i, t := range p.Rules.Tiers {
		path := "rules.tiers[" + itoa(i) + "]"
		id := t.ID
		if id == "" {
			id = "tier:" + itoa(i+1)
		}
		if j, dup := ids[id]; dup {
			v.addf(path+".id", "tier id %q is also rules.tiers[%d]'s", id, j)
		}
		ids[id] = i
		validateTags(v, path+".partner_tags", t.PartnerTags)
		r := newRule(id, MatchTier, steps(t.Commission, v, path+".commission", p))
		r.tags = slices.Clone(t.PartnerTags)
		slices.Sort(r.tags)
		rs.history = rs.history || r.scheduled()
		tr := tier{rule: r}
		if len(t.When) == 0 && len(t.PartnerTags) == 0 {
			v.add(path+".when", "is empty; a tier needs a condition")
		}
		for j, c := range t.When {
			tr.conds = append(tr.conds, rs.compileCondition(v, path+".when["+itoa(j)+"]", c))
		}
		rs.tiers = append(rs.tiers, tr)
	}
}

// compileCondition checks a tier's condition and gives a counted metric
// its slots.
func (rs *rules) compileCondition(v *validator, path string, c Condition) cond {
	out := cond{Condition: c}
	bounds := c.AtLeast != nil || c.Above != nil || c.Below != nil
	ages := c.Within != nil || c.Past != nil
	if c.AtLeast != nil && c.Above != nil {
		v.add(path, "sets both at_least and above; a condition has one lower bound")
	}
	if c.Months != 0 && !c.Metric.counted() {
		v.add(path+".months", "is for signups, customers and revenue")
	}
	if c.Months < 0 || c.Months > MaxWindowMonths {
		v.addf(path+".months", "must be between 1 and %d (0 for all time)", MaxWindowMonths)
	}
	switch c.Metric {
	case MetricSignups, MetricCustomers, MetricRevenue, MetricSaleAmount:
		if !bounds || ages {
			v.add(path, "needs at_least, above or below, and no within or past")
		}
		if c.Metric.counted() && c.Months >= 0 && c.Months <= MaxWindowMonths {
			out.slot, out.n = rs.window(c.Metric, c.Months), max(c.Months, 1)
		}
	case MetricFirstSale:
		rs.firstSale = true
		if bounds || ages {
			v.add(path, "first_sale takes no bounds")
		}
	case MetricCustomerAge, MetricPartnerAge:
		validateAges(v, path, c, ages, bounds)
	default:
		v.addf(path+".metric", "must be one of %s, %s, %s, %s, %s, %s or %s", MetricSignups, MetricCustomers,
			MetricRevenue, MetricSaleAmount, MetricFirstSale, MetricCustomerAge, MetricPartnerAge)
	}
	for i, d := range []*decimal.Decimal{c.AtLeast, c.Above, c.Below} {
		if d != nil {
			validateAmount(v, path+"."+[]string{"at_least", "above", "below"}[i], *d)
		}
	}
	return out
}

// validateAges checks the periods of an age condition.
func validateAges(v *validator, path string, c Condition, ages, bounds bool) {
	if !ages || bounds {
		v.add(path, "needs within or past, and no at_least, above or below")
	}
	for i, p := range []*Period{c.Within, c.Past} {
		if p != nil && (!p.valid() || p.Times != 0) {
			v.add(path+"."+[]string{"within", "past"}[i], "must set exactly one of days, months or years")
		}
	}
}

// saleFacts are what a tier may test about one sale.
type saleFacts struct {
	at                          time.Time
	amount                      decimal.Decimal // in the program currency when converted
	m                           *measures       // nil without a beneficiary
	customerSince, partnerSince time.Time
	first                       bool // the customer's first qualified sale
}

// tier returns the rule of the highest tier the sale qualifies for, nil
// for none.
func (rs *rules) tier(f *saleFacts, p *Partner) *rule {
	for i := len(rs.tiers) - 1; i >= 0; i-- {
		t := &rs.tiers[i]
		if t.rule.fits(p) && t.holds(f) {
			return t.rule
		}
	}
	return nil
}

func (t *tier) holds(f *saleFacts) bool {
	for i := range t.conds {
		if !t.conds[i].holds(f) {
			return false
		}
	}
	return true
}

func (c *cond) holds(f *saleFacts) bool {
	switch c.Metric {
	case MetricSignups, MetricCustomers, MetricRevenue:
		if f.m == nil {
			return false
		}
		var sum decimal.Decimal
		for _, v := range f.m.slots[c.slot : c.slot+c.n] {
			sum = sum.Add(v)
		}
		return c.bounded(sum)
	case MetricSaleAmount:
		return c.bounded(f.amount)
	case MetricFirstSale:
		return f.first
	case MetricCustomerAge:
		return c.aged(f.customerSince, f.at)
	case MetricPartnerAge:
		return !f.partnerSince.IsZero() && c.aged(f.partnerSince, f.at)
	}
	return false
}

func (c *cond) bounded(v decimal.Decimal) bool {
	return (c.AtLeast == nil || v.Cmp(*c.AtLeast) >= 0) &&
		(c.Above == nil || v.Cmp(*c.Above) > 0) &&
		(c.Below == nil || v.Cmp(*c.Below) < 0)
}

// aged tests the age of something created at since, at the time at.
func (c *cond) aged(since, at time.Time) bool {
	reached := func(p *Period) bool { return !at.Before(since.AddDate(p.Years, p.Months, p.Days)) }
	return (c.Within == nil || !reached(c.Within)) && (c.Past == nil || reached(c.Past))
}
