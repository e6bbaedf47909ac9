package rapidgen

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// The names a drawn program's rules are written for; tests draw sales and
// partners from the same pools, so that the rules match some of them.
var (
	ProductIDs   = []string{"prod_a", "prod_b", "prod_c"}
	ProductTypes = []string{"monthly", "annual", "lifetime"}
	PartnerTags  = []string{"gold", "silver", "vip"}
)

// customUnit is the custom unit a drawn program may pay in.
const customUnit = "POINTS"

// programFeatures each draw one part of a program, in order (basics first:
// later commissions may be paid in its custom unit). To cover a new
// RuleSet field, add one here.
var programFeatures = []func(t *rapid.T, p *commission.Program){
	drawBasics, drawDefault, drawProducts, drawReview, drawRounding, drawCaps,
	drawLevels, drawFriend, drawFraud, drawPrecedence, drawTiers, drawGoals, drawTrigger, drawReferral,
}

// Program draws a valid program, affiliate or refer-a-friend, in one of
// four currencies, from every feature of the rule set, each drawn on its
// own. Its ID is left to the caller.
func Program() *rapid.Generator[commission.Program] {
	return rapid.Custom(func(t *rapid.T) commission.Program {
		p := commission.Program{
			Kind:     rapid.SampledFrom([]commission.ProgramKind{commission.Affiliate, commission.ReferAFriend}).Draw(t, "kind"),
			Currency: rapid.SampledFrom([]string{"USD", "EUR", "JPY", "BHD"}).Draw(t, "currency"),
		}
		for _, draw := range programFeatures {
			draw(t, &p)
		}
		return p
	})
}

func drawBasics(t *rapid.T, p *commission.Program) {
	p.Rules.Version = rapid.SampledFrom([]string{"", "v1"}).Draw(t, "version")
	p.Rules.Credit = OneIn(t, "credit", 4)
	if OneIn(t, "custom_units", 4) {
		p.CustomUnits = []string{customUnit}
	}
}

func drawDefault(t *rapid.T, p *commission.Program) {
	if !OneIn(t, "no_default", 6) {
		p.Rules.Default = Schedule(ProgramCommission(p)).Draw(t, "default")
	}
}

// drawProducts draws up to four product rules, by id or type, some for
// partners with tags.
func drawProducts(t *rapid.T, p *commission.Program) {
	seen := map[string]bool{}
	for range rapid.IntRange(0, 4).Draw(t, "product_rules") {
		var r commission.ProductRule
		if rapid.Bool().Draw(t, "by_product_id") {
			r.ProductID = rapid.SampledFrom(ProductIDs).Draw(t, "rule_product_id")
		} else {
			r.ProductType = rapid.SampledFrom(ProductTypes).Draw(t, "rule_product_type")
		}
		if OneIn(t, "rule_has_tags", 3) {
			r.PartnerTags = Tags(PartnerTags).Draw(t, "rule_tags")
		}
		r.Commission = Schedule(ProgramCommission(p)).Draw(t, "rule")
		// Two rules for one product and one set of tags are ambiguous:
		// New refuses them, so the second is left out.
		tags := slices.Clone(r.PartnerTags)
		slices.Sort(tags)
		k := r.ProductID + "|" + r.ProductType + "|" + strings.Join(tags, ",")
		if !seen[k] {
			seen[k] = true
			p.Rules.Products = append(p.Rules.Products, r)
		}
	}
}

func drawReview(t *rapid.T, p *commission.Program) {
	if !OneIn(t, "no_review_period", 3) {
		p.Rules.ReviewPeriod = rapid.SampledFrom([]time.Duration{time.Hour, 48 * time.Hour, 30 * 24 * time.Hour}).Draw(t, "review_period")
	}
}

func drawRounding(t *rapid.T, p *commission.Program) {
	switch rapid.IntRange(0, 2).Draw(t, "rounding") {
	case 1:
		p.Rules.Rounding.To = commission.RoundToCurrency
	case 2:
		p.Rules.Rounding.To = commission.RoundToPlaces
		p.Rules.Rounding.Places = int32(rapid.IntRange(0, 4).Draw(t, "rounding_places"))
	}
	p.Rules.Rounding.Mode = rapid.SampledFrom([]commission.RoundingMode{"", commission.HalfUp, commission.HalfEven, commission.Up, commission.Down}).Draw(t, "rounding_mode")
}

func drawCaps(t *rapid.T, p *commission.Program) {
	if OneIn(t, "per_reward", 3) {
		d := Cents(0, 10000).Draw(t, "per_reward_amount")
		p.Rules.Caps.PerReward = &d
	}
	for _, period := range []commission.CapPeriod{commission.CapDay, commission.CapWeek, commission.CapMonth, commission.CapAllTime} {
		if OneIn(t, "spend_limit_"+string(period), 4) {
			p.Rules.Caps.Partner = append(p.Rules.Caps.Partner, commission.SpendLimit{
				Period: period, Amount: Cents(0, 50000).Draw(t, "spend_limit_amount"),
			})
		}
	}
}

func drawLevels(t *rapid.T, p *commission.Program) {
	if p.Kind != commission.Affiliate {
		return
	}
	for range rapid.IntRange(0, 3).Draw(t, "levels") {
		p.Rules.Levels = append(p.Rules.Levels, ProgramCommission(p).Draw(t, "level"))
	}
}

func drawFriend(t *rapid.T, p *commission.Program) {
	if p.Kind != commission.ReferAFriend || rapid.Bool().Draw(t, "no_friend") {
		return
	}
	p.Rules.Friend = &commission.FriendReward{
		Commission:   Schedule(ProgramCommission(p)).Draw(t, "friend"),
		ReviewPeriod: rapid.SampledFrom([]time.Duration{0, 24 * time.Hour, 72 * time.Hour}).Draw(t, "friend_review_period"),
	}
}

func drawFraud(t *rapid.T, p *commission.Program) {
	p.Rules.Fraud.AllowSelfReferral = rapid.Bool().Draw(t, "allow_self_referral")
	p.Rules.Fraud.RepeatWindow = rapid.SampledFrom([]time.Duration{0, 0, 10 * time.Minute, time.Hour, 24 * time.Hour}).Draw(t, "repeat_window")
}

func drawPrecedence(t *rapid.T, p *commission.Program) {
	p.Rules.ProductsOverPartner = rapid.Bool().Draw(t, "products_over_partner")
}

// drawTiers draws up to three tiers, each on one metric.
func drawTiers(t *rapid.T, p *commission.Program) {
	metrics := []commission.Metric{commission.MetricSignups, commission.MetricCustomers, commission.MetricRevenue,
		commission.MetricSaleAmount, commission.MetricFirstSale, commission.MetricCustomerAge, commission.MetricPartnerAge}
	for i := range rapid.IntRange(0, 3).Draw(t, "tiers") {
		c := commission.Condition{Metric: rapid.SampledFrom(metrics).Draw(t, "tier_metric")}
		switch c.Metric {
		case commission.MetricFirstSale:
		case commission.MetricCustomerAge, commission.MetricPartnerAge:
			c.Within = &commission.Period{Days: rapid.IntRange(1, 60).Draw(t, "tier_days")}
		default:
			at := decimal.NewFromInt(int64(rapid.IntRange(0, 300).Draw(t, "tier_at_least")))
			c.AtLeast = &at
			if c.Metric != commission.MetricSaleAmount && OneIn(t, "tier_window", 2) {
				c.Months = rapid.IntRange(1, 3).Draw(t, "tier_months")
			}
		}
		p.Rules.Tiers = append(p.Rules.Tiers, commission.Tier{ID: "tier" + strconv.Itoa(i), When: []commission.Condition{c},
			Commission: Schedule(ProgramCommission(p)).Draw(t, "tier")})
	}
}

// drawGoals draws up to two goals.
func drawGoals(t *rapid.T, p *commission.Program) {
	metrics := []commission.Metric{commission.MetricSignups, commission.MetricCustomers, commission.MetricRevenue}
	for i := range rapid.IntRange(0, 2).Draw(t, "goals") {
		p.Rules.Goals = append(p.Rules.Goals, commission.Goal{
			ID: "goal" + strconv.Itoa(i), Metric: rapid.SampledFrom(metrics).Draw(t, "goal_metric"),
			Target: decimal.NewFromInt(int64(rapid.IntRange(1, 200).Draw(t, "goal_target"))),
			Every:  OneIn(t, "goal_every", 2), Bonus: decimal.NewFromInt(int64(rapid.IntRange(1, 20).Draw(t, "goal_bonus"))),
		})
	}
}

// drawTrigger sometimes rewards signups or one action only.
func drawTrigger(t *rapid.T, p *commission.Program) {
	p.Rules.Trigger = rapid.SampledFrom([]string{"", "", commission.TriggerSignup, "sale"}).Draw(t, "trigger")
}

// drawReferral sometimes gives a refer-a-friend program a list of one to
// three rewards instead of its one reward (which it clears), each on a
// trigger of drawTrigger's, paying one side or both, some by occurrence
// with steps close together, so that short histories reach the later
// ones. A name is sometimes as long as a name may be.
func drawReferral(t *rapid.T, p *commission.Program) {
	if p.Kind != commission.ReferAFriend || !OneIn(t, "referral", 3) {
		return
	}
	p.Rules.Default, p.Rules.Products, p.Rules.Tiers, p.Rules.Friend, p.Rules.Trigger = commission.Commission{}, nil, nil, nil, ""
	for i := range rapid.IntRange(1, 3).Draw(t, "referral_rewards") {
		r := commission.ReferralReward{
			Name:         "reward" + strconv.Itoa(i),
			Trigger:      rapid.SampledFrom([]string{"", commission.TriggerSignup, "sale"}).Draw(t, "referral_trigger"),
			ReviewPeriod: rapid.SampledFrom([]time.Duration{0, 24 * time.Hour}).Draw(t, "referral_review_period"),
		}
		if OneIn(t, "referral_long_name", 4) {
			r.Name = strings.Repeat("r", commission.MaxReferralName-1) + strconv.Itoa(i)
		}
		if OneIn(t, "referral_by_occurrence", 2) {
			r.Occurrences = drawOccurrences(t, p)
		} else {
			r.Referrer, r.Friend = drawSides(t, p)
		}
		p.Rules.Referral = append(p.Rules.Referral, r)
	}
}

// drawOccurrences draws one to three steps by occurrence, from 1, each
// one or two friends after the last.
func drawOccurrences(t *rapid.T, p *commission.Program) []commission.ReferralStep {
	steps := make([]commission.ReferralStep, rapid.IntRange(1, 3).Draw(t, "referral_steps"))
	from := 1
	for i := range steps {
		steps[i].From = from
		steps[i].Referrer, steps[i].Friend = drawSides(t, p)
		from += rapid.IntRange(1, 2).Draw(t, "referral_step_friends")
	}
	return steps
}

// drawSides draws the sides of a referral reward: the referrer's, the
// friend's or both, each a schedule.
func drawSides(t *rapid.T, p *commission.Program) (referrer, friend *commission.Commission) {
	sides := rapid.IntRange(1, 3).Draw(t, "referral_sides") // bit 1: the referrer, bit 2: the friend
	if sides&1 != 0 {
		c := Schedule(ProgramCommission(p)).Draw(t, "referral_referrer")
		referrer = &c
	}
	if sides&2 != 0 {
		c := Schedule(ProgramCommission(p)).Draw(t, "referral_friend")
		friend = &c
	}
	return referrer, friend
}
