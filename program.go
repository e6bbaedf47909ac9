package commission

import (
	"slices"
)

// ProgramKind says who refers and who is rewarded.
type ProgramKind string

// Program kinds.
const (
	// Affiliate: partners refer customers and are rewarded on their sales.
	Affiliate ProgramKind = "affiliate"
	// ReferAFriend: customers refer customers; the referring customer is
	// rewarded.
	ReferAFriend ProgramKind = "refer_a_friend"
)

// DefaultReferralParam is the query parameter (?aff=KEY) or path segment
// (/aff/KEY) that names a partner's key in a referral URL.
const DefaultReferralParam = "aff"

// Program is one set of settings and rules, with its own partners,
// customers, transactions and rewards. Several programs can share a store.
type Program struct {
	ID   string      `json:"id"`
	Kind ProgramKind `json:"kind"`
	// Currency is the program currency, an ISO 4217 code.
	Currency string `json:"currency"`
	// ReferralParam names the partner key in referral URLs;
	// DefaultReferralParam when empty.
	ReferralParam string `json:"referral_param,omitempty"`
	// CustomUnits are units other than currencies that sales and rewards
	// may be counted in ("POINTS", "MONTHS"): amounts in them have
	// is_currency false, and no currency rounding or cap applies to them.
	CustomUnits []string `json:"custom_units,omitempty"`
	Rules       RuleSet  `json:"rules"`
}

// customUnit reports whether units is one of the program's custom units.
func (p *Program) customUnit(units string) bool { return slices.Contains(p.CustomUnits, units) }

// validUnits reports whether units name an ISO 4217 currency or a custom
// unit.
func (p *Program) validUnits(units string) bool { return isCurrency(units) || p.customUnit(units) }

// compile checks the program, filling its defaults, and compiles its
// rules; every problem is reported at once, by its path in the Program's
// JSON.
func (p *Program) compile() (*rules, error) {
	v := &validator{}
	p.validateSettings(v)
	rs := newRules(&p.Rules)
	rs.compileBasics(v, p)
	p.validateCustomUnits(v)
	p.Rules.Rounding.validate(v, "rules.rounding")
	p.Rules.Caps.validate(v, "rules.caps")
	p.Rules.Payouts.validate(v, "rules.payouts")
	rs.compileFriend(v, p)
	if p.Rules.Fraud.RepeatWindow < 0 {
		v.add("rules.fraud.repeat_window", "must not be negative")
	}
	rs.compilePaidAds(v, &p.Rules.Fraud)
	rs.compileLevels(v, p)
	if _, _, err := p.Rules.Rounding.places(p.Currency); err != nil && p.Rules.Rounding.To == RoundToCurrency {
		v.add("rules.rounding.to", "the program currency has no ISO 4217 minor units")
	}
	rs.compileProducts(v, p)
	rs.compileTiers(v, p)
	rs.compileGoals(v, p)
	rs.compileReferral(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	return rs, nil
}

// validateSettings checks the program's id, kind and currency, and fills
// the default referral parameter.
func (p *Program) validateSettings(v *validator) {
	validateKey(v, "id", p.ID, true)
	if p.Kind != Affiliate && p.Kind != ReferAFriend {
		v.addf("kind", "must be %q or %q", Affiliate, ReferAFriend)
	}
	if !isCurrency(p.Currency) {
		v.add("currency", "must be an ISO 4217 currency code")
	}
	if p.ReferralParam == "" {
		p.ReferralParam = DefaultReferralParam
	}
}

func (p *Program) validateCustomUnits(v *validator) {
	for i, u := range p.CustomUnits {
		path := "custom_units[" + itoa(i) + "]"
		if isCurrency(u) {
			v.add(path, "is an ISO 4217 currency, not a custom unit")
		}
		validateKey(v, path, u, true)
		if len(u) > 16 {
			v.add(path, "longer than 16 bytes")
		}
	}
}

// newRules is a rule set's settings that need no compiling.
func newRules(r *RuleSet) *rules {
	return &rules{
		version:       r.Version,
		byProductID:   make(map[string][]*rule),
		byProductType: make(map[string][]*rule),
		productsFirst: r.ProductsOverPartner,
		review:        r.ReviewPeriod,
		rounding:      r.Rounding,
		caps:          r.Caps,
		fraud:         r.Fraud,
		trigger:       r.Trigger,
		signupEvents:  r.Trigger == TriggerSignup,
	}
}

// compileBasics checks the trigger and review period and compiles the
// default commission.
func (rs *rules) compileBasics(v *validator, p *Program) {
	if p.Rules.Trigger != "" {
		validateKey(v, "rules.trigger", p.Rules.Trigger, false)
	}
	if !p.Rules.Default.IsZero() {
		rs.def = newRule(MatchDefault, MatchDefault, steps(p.Rules.Default, v, "rules.default", p))
		rs.history = rs.history || rs.def.scheduled()
	}
	if p.Rules.ReviewPeriod < 0 {
		v.add("rules.review_period", "must not be negative")
	}
}

// compileFriend compiles the referred friend's own reward.
func (rs *rules) compileFriend(v *validator, p *Program) {
	f := p.Rules.Friend
	if f == nil {
		return
	}
	if p.Kind != ReferAFriend {
		v.add("rules.friend", "is for refer-a-friend programs")
	}
	if f.ReviewPeriod < 0 {
		v.add("rules.friend.review_period", "must not be negative")
	}
	rs.friend, rs.friendReview = steps(f.Commission, v, "rules.friend.commission", p), f.ReviewPeriod
	rs.history = rs.history || len(rs.friend) > 1 || !rs.friend[0].lifetime
}

// compileLevels compiles the commissions of the levels above the seller.
func (rs *rules) compileLevels(v *validator, p *Program) {
	if len(p.Rules.Levels) > MaxLevels {
		v.addf("rules.levels", "has more than %d levels", MaxLevels)
	}
	for i, c := range p.Rules.Levels {
		path := "rules.levels[" + itoa(i) + "]"
		ss := steps(c, v, path, p)
		if len(ss) > 1 || !ss[0].lifetime {
			v.add(path+".for", "a level commission has no period")
		}
		rs.levels = append(rs.levels, ss[0])
	}
}
