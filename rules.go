package commission

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// RuleSet is how a program computes rewards.
type RuleSet struct {
	// Version is recorded on every reward's explanation, so that a reward
	// can be traced to the rules in force when it was computed.
	Version string `json:"version,omitempty"`
	// Default is the commission of a line no other rule matches. The zero
	// Commission means none: such a line earns nothing.
	Default Commission `json:"default"`
	// Products are rules for lines by product_id or product_type; a rule
	// by product_id takes precedence over one by product_type, and both
	// over Default.
	Products []ProductRule `json:"products,omitempty"`
	// ReviewPeriod holds every reward for this long after its sale's
	// created_at before it is earned. Zero releases at once.
	ReviewPeriod time.Duration `json:"review_period,omitempty"`
	// Rounding rounds computed rewards; the zero value keeps them exact.
	Rounding Rounding `json:"rounding,omitempty"`
	// Caps limit rewards, one by one and per partner and period.
	Caps Caps `json:"caps,omitempty"`
	// Levels pay the partners above the selling one, on top of its
	// reward: Levels[0] to the partner who referred it, Levels[1] to the
	// one above, up to MaxLevels. Each is a commission on the sale's
	// amount, with no period.
	Levels []Commission `json:"levels,omitempty"`
	// Credit marks every reward as paid in account credit.
	Credit bool `json:"credit,omitempty"`
	// Friend rewards the referred customer too, on each of its sales, in
	// a refer-a-friend program (double-sided rewards); nil for none.
	Friend *FriendReward `json:"friend,omitempty"`
	// Fraud rejects the rewards of self-referred and too frequent sales.
	Fraud Fraud `json:"fraud,omitempty"`
	// ProductsOverPartner puts product rules before a partner's custom
	// commission in the precedence ("product-based commission has
	// priority"); by default the partner's comes first.
	ProductsOverPartner bool `json:"products_over_partner,omitempty"`
	// Tiers are commissions by the beneficiary's performance or the
	// sale's facts, after product rules and before Default.
	Tiers []Tier `json:"tiers,omitempty"`
	// Goals pay bonuses when the beneficiary reaches targets.
	Goals []Goal `json:"goals,omitempty"`
	// Payouts are the program's payout thresholds.
	Payouts PayoutRules `json:"payouts,omitempty"`
	// Trigger is the action that earns rewards: empty for
	// every transaction, an action name ("sale", "subscription_renewed")
	// for the transactions with that action only, or TriggerSignup for
	// the referred customer's creation: the engine then records, with each
	// attributed customer it creates, a transaction with action "signup",
	// amount zero and key "signup:<customer id>", rewarded by the rules
	// like a sale (so flat commissions are what pay). Transactions that
	// do not match earn nothing and count towards no period or metric.
	//
	// Recurrence is the commission's period: once is For(Times(1)),
	// "within 6 months" For(Months(6)), lifetime no period; steps by
	// occurrence ("after 10 referrals: 25.00") are tiers on signups or
	// customers, or Referral's occurrences.
	Trigger string `json:"trigger,omitempty"`
	// Referral lists the rewards of a refer-a-friend program that has
	// several (each with its trigger, sides, recurrence, steps by
	// occurrence and review period), paid instead of Default, Products,
	// Tiers, Friend and Trigger, which must then be empty. ReviewPeriod
	// then holds only goal bonuses and rewards a sale sets.
	Referral []ReferralReward `json:"referral,omitempty"`
}

// CommissionType is percent (of the line's amount) or flat (a fixed amount
// per line). A sale without product lines is one line, so a flat
// commission is per sale there and per line on a multi-product sale, as
// a percent one is of the sale's amount or of each line's.
type CommissionType string

// Commission types.
const (
	PercentCommission CommissionType = "percent"
	FlatCommission    CommissionType = "flat"
)

// Commission is one commission: a percentage of the amount, or a flat
// amount in the sale's units.
type Commission struct {
	Type CommissionType `json:"type"`
	// Value is the percentage (30 for 30%) or the flat amount.
	Value decimal.Decimal `json:"value"`
	// Period limits the commission for each referred customer; nil for
	// the customer's lifetime. See For.
	Period *Period `json:"for,omitempty"`
	// Next is the commission after Period ends; nil for none. See Then.
	Next *Commission `json:"then,omitempty"`
	// Units, for a flat commission, are what it is paid in (a currency
	// code or one of the program's custom units, "MONTHS"); the sale's
	// units when empty. A percent commission is in the sale's units.
	Units string `json:"units,omitempty"`
}

// Percent returns a commission of pct percent (30 for 30%).
func Percent(pct decimal.Decimal) Commission {
	return Commission{Type: PercentCommission, Value: pct}
}

// Flat returns a fixed commission of amount.
func Flat(amount decimal.Decimal) Commission {
	return Commission{Type: FlatCommission, Value: amount}
}

// IsZero reports whether c is the zero Commission: no commission.
func (c Commission) IsZero() bool {
	return c.Type == "" && c.Value.IsZero() && c.Period == nil && c.Next == nil
}

// ProductRule is the commission of lines with a product_id, or with a
// product_type. Exactly one of the two is set.
type ProductRule struct {
	// ID names the rule in reward explanations; "product_id:<id>" or
	// "product_type:<type>" (with "[<tags>]" when it has partner tags)
	// when empty.
	ID          string `json:"id,omitempty"`
	ProductID   string `json:"product_id,omitempty"`
	ProductType string `json:"product_type,omitempty"`
	// PartnerTags, when set, limit the rule to partners with one of these
	// tags. For one product, a rule with tags that fit comes before one
	// without, and among those the first listed wins.
	PartnerTags []string   `json:"partner_tags,omitempty"`
	Commission  Commission `json:"commission"`
}

// How the rule of a reward was chosen, recorded in Explanation.Match:
// the base reward of a line by precedence (MatchPartner, MatchProductID,
// MatchProductType, MatchTier, MatchDefault), a reward the sale set
// (MatchManual), and the rewards added on top (MatchLevel, MatchFriend,
// MatchGoal), or a refer-a-friend program's listed rewards
// (MatchReferral, RuleSet.Referral).
const (
	MatchPartner     = "partner"
	MatchProductID   = "product_id"
	MatchProductType = "product_type"
	MatchTier        = "tier"
	MatchDefault     = "default"
	MatchManual      = "manual"
	MatchLevel       = "level"
	MatchFriend      = "friend"
	MatchGoal        = "goal"
	MatchReferral    = "referral"
)

var hundred = decimal.NewFromInt(100)

// rule is a validated commission ready to apply.
type rule struct {
	id    string
	match string
	tags  []string // the partner tags it is limited to, if any
	// steps is the commission's schedule: one step for a commission with
	// no period.
	steps []step
}

// fits reports whether the rule applies to a sale of p's.
func (r *rule) fits(p *Partner) bool {
	if len(r.tags) == 0 {
		return true
	}
	if p == nil {
		return false
	}
	for _, t := range r.tags {
		if slices.Contains(p.Tags, t) {
			return true
		}
	}
	return false
}

// scheduled reports whether the rule's commission depends on the
// customer's history.
func (r *rule) scheduled() bool { return len(r.steps) > 1 || !r.steps[0].lifetime }

// StorageRounding is recorded in Explanation.Rounding when a computed
// reward had more than 18 places after the point and, with no rounding set
// by the program, was rounded half-even to the 18 that storage holds.
const StorageRounding = "half_even:18"

// rules is a validated rule set. Product rules are in maps, so a line's
// lookup costs the same with ten rules as with ten thousand.
type rules struct {
	version string
	def     *rule
	// byProductID and byProductType hold, for each product, its rules
	// with partner tags in the order listed, then the one without.
	byProductID   map[string][]*rule
	byProductType map[string][]*rule
	productsFirst bool
	review        time.Duration
	rounding      Rounding
	caps          Caps
	// history: some rule's commission depends on the customer's history.
	history bool
	// firstSale: some tier asks whether a sale is the customer's first.
	firstSale bool
	levels    []step
	fraud     Fraud
	// friend is the referred customer's own commission, nil for none.
	friend       []step
	friendReview time.Duration
	// slots are the beneficiary's counters the tiers and goals read.
	slots   []slot
	tiers   []tier
	goals   []goal
	trigger string
	// referral are the referral rewards; when there are some, def,
	// the product rules, tiers, friend and trigger are unset.
	referral []referral
	// signupEvents: creating an attributed customer may earn rewards.
	signupEvents bool
	// paidAds are the paid-ad markers, nil when the check is off.
	paidAds []adMarker
}

// FriendReward is what a referred customer earns on its own sales: a
// commission on the sale's amount (with a period and steps like any
// other), held for its own review period.
type FriendReward struct {
	Commission   Commission    `json:"commission"`
	ReviewPeriod time.Duration `json:"review_period,omitempty"`
}

// MaxLevels is how many partners above the selling one can earn.
const MaxLevels = 5

func validateCommission(v *validator, path string, c Commission) {
	switch c.Type {
	case PercentCommission:
		if c.Value.Cmp(hundred) > 0 {
			v.add(path+".value", "a percent commission must not exceed 100")
		}
	case FlatCommission:
	default:
		v.addf(path+".type", "must be %q or %q", PercentCommission, FlatCommission)
	}
	validateAmount(v, path+".value", c.Value)
}

func newRule(id, match string, ss []step) *rule {
	return &rule{id: id, match: match, steps: ss}
}

// compileProducts compiles the product rules into their maps, each
// product's rules with partner tags first, in the order listed.
func (rs *rules) compileProducts(v *validator, p *Program) {
	ids := make(map[string]int)
	for i, pr := range p.Rules.Products {
		path := "rules.products[" + itoa(i) + "]"
		ss := steps(pr.Commission, v, path+".commission", p)
		m, match, name, ok := rs.productMap(v, path, pr)
		if !ok {
			continue
		}
		id := pr.ruleID(match, name)
		if j, dup := ids[id]; dup {
			v.addf(path+".id", "rule id %q is also rules.products[%d]'s", id, j)
			continue
		}
		ids[id] = i
		tags := slices.Clone(pr.PartnerTags)
		slices.Sort(tags)
		if slices.ContainsFunc(m[name], func(r *rule) bool { return slices.Equal(r.tags, tags) }) {
			v.addf(path+"."+match, "another rule already matches %s %q for the same partner tags", match, name)
			continue
		}
		validateTags(v, path+".partner_tags", pr.PartnerTags)
		r := newRule(id, match, ss)
		r.tags = tags
		// Rules with tags go first, in the order listed; the untagged one last.
		if n := len(m[name]); len(tags) > 0 && n > 0 && len(m[name][n-1].tags) == 0 {
			m[name] = slices.Insert(m[name], n-1, r)
		} else {
			m[name] = append(m[name], r)
		}
		rs.history = rs.history || r.scheduled()
	}
}

// productMap is the map a product rule goes in, how it matches and the
// product it names; false when it names none or both.
func (rs *rules) productMap(v *validator, path string, pr ProductRule) (map[string][]*rule, string, string, bool) {
	switch {
	case pr.ProductID != "" && pr.ProductType != "":
		v.add(path, "sets both product_id and product_type; a rule matches one")
	case pr.ProductID != "":
		return rs.byProductID, MatchProductID, pr.ProductID, true
	case pr.ProductType != "":
		return rs.byProductType, MatchProductType, pr.ProductType, true
	default:
		v.add(path, "sets neither product_id nor product_type")
	}
	return nil, "", "", false
}

// ruleID is the rule's id in explanations: its own, or one made of what
// it matches and its partner tags.
func (pr *ProductRule) ruleID(match, name string) string {
	if pr.ID != "" {
		return pr.ID
	}
	id := match + ":" + name
	if len(pr.PartnerTags) > 0 {
		id += "[" + strings.Join(pr.PartnerTags, ",") + "]"
	}
	return id
}
