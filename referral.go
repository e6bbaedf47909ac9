package commission

import (
	"time"

	"github.com/shopspring/decimal"
)

// Several rewards in one refer-a-friend program (RuleSet.Referral): each
// has its own trigger, sides, recurrence, steps by occurrence and review
// period, and the engine pays every one a transaction triggers, on top of
// each other.

// ReferralReward is one reward of a refer-a-friend program that lists its
// rewards (RuleSet.Referral). It pays the referring customer, the
// referred friend or both, on each transaction of the friend that
// triggers it: a percent of the transaction's amount (not per product
// line), or a flat amount per transaction.
type ReferralReward struct {
	// Name names the reward in explanations (Explanation.Rule) and in
	// its counters: required, unique in the program, at most
	// MaxReferralName bytes, and kept when the reward changes, or its
	// occurrences count again from the first.
	Name string `json:"name"`
	// Trigger is the action that earns the reward, as RuleSet.Trigger
	// says: empty for every transaction, an action name, or
	// TriggerSignup for the friend's creation.
	Trigger string `json:"trigger,omitempty"`
	// Referrer and Friend are what each side earns; nil for a side that
	// earns nothing, and at least one is set (unless Occurrences is). A
	// flat pays in its Units when set. A commission's period is the
	// reward's recurrence, counted over the friend's rewarded
	// transactions as every period is: For(Times(1)) pays once,
	// For(Months(6)) for six months from the friend's first rewarded
	// transaction, no period for the friend's lifetime. A signup is not
	// counted among them.
	Referrer *Commission `json:"referrer,omitempty"`
	Friend   *Commission `json:"friend,omitempty"`
	// Occurrences, instead of Referrer and Friend, pay by occurrence: a
	// friend is the referrer's n-th for this reward when it is the n-th
	// friend the reward paid (see ReferralStep), and it keeps that number
	// for its later transactions. "First 10 referrals: 15.00; 11th to
	// 50th: 25.00; from the 51st: 50.00" is three steps, from 1, 11 and
	// 51.
	Occurrences []ReferralStep `json:"occurrences,omitempty"`
	// ReviewPeriod holds the reward's rewards, on both sides, for this
	// long after their transaction's created_at; zero releases them at
	// once. RuleSet.ReviewPeriod does not apply to them.
	ReviewPeriod time.Duration `json:"review_period,omitempty"`
}

// ReferralStep is what a ReferralReward pays the friends from the From-th
// on (From counts from 1), until the next step's From.
//
// A friend takes its number with its first transaction the reward pays
// (on either side, whatever the amount): one that triggers it, is
// rewardable, is not rewarded elsewhere and does not set its reward, by
// an active friend of an active referrer, within the step's recurrence,
// and that the fraud protection does not reject. Each number is taken once, also when friends of
// one referrer buy at once (the engine reads and locks the reward's
// counters). Reversing the transaction does not give the number back, as
// a goal's threshold pays once. A step that pays nothing is a flat 0: it
// still counts the friends who reach it.
type ReferralStep struct {
	From     int         `json:"from"`
	Referrer *Commission `json:"referrer,omitempty"`
	Friend   *Commission `json:"friend,omitempty"`
}

// MaxReferralName keeps a reward's counter names ("referral.<name>")
// within their 64 bytes.
const MaxReferralName = 50

// referral is a validated ReferralReward.
type referral struct {
	name, trigger string
	// steps are the steps by occurrence, the first from 1: one when the
	// reward has no occurrences.
	steps []referralStep
}

// referralStep is a validated ReferralStep.
type referralStep struct {
	from             int64
	referrer, friend payout
}

// payout is a commission schedule paid to a customer on one side of a
// refer-a-friend reward (a referral reward's side, or RuleSet.Friend),
// with its review period and the rule its rewards name. A side that
// earns nothing has no steps.
type payout struct {
	rule, match string
	steps       []step
	review      time.Duration
}

// scheduled reports whether what p pays depends on the buyer's history.
func (p *payout) scheduled() bool {
	return len(p.steps) > 1 || len(p.steps) == 1 && !p.steps[0].lifetime
}

// counted reports whether t reads and may add to x's counters: x counts
// occurrences and t triggers it.
func (x *referral) counted(t *Transaction) bool {
	return len(x.steps) > 1 && triggerMatches(x.trigger, t)
}

// friendsCounter counts the friends of referrer that took a number of x;
// numberCounter holds friend's number, zero until it takes one.
func (x *referral) friendsCounter(referrer string) CounterKey {
	return CounterKey{Name: "referral." + x.name, Subject: referrer}
}

func (x *referral) numberCounter(friend string) CounterKey {
	return CounterKey{Name: "referred." + x.name, Subject: friend}
}

// stepOf is the step that pays a friend whose number is n.
func (x *referral) stepOf(n int64) *referralStep {
	i := len(x.steps) - 1
	for i > 0 && n < x.steps[i].from {
		i--
	}
	return &x.steps[i]
}

// referralTriggers reports whether some referral reward triggers on t.
func (rs *rules) referralTriggers(t *Transaction) bool {
	for i := range rs.referral {
		if triggerMatches(rs.referral[i].trigger, t) {
			return true
		}
	}
	return false
}

// referralKeys appends to keys the counters of the referral rewards t
// counts towards, two each: referrer's friends and t's customer's number.
func (rs *rules) referralKeys(keys []CounterKey, referrer string, t *Transaction) []CounterKey {
	for i := range rs.referral {
		if x := &rs.referral[i]; x.counted(t) {
			keys = append(keys, x.friendsCounter(referrer), x.numberCounter(t.CustomerID))
		}
	}
	return keys
}

// rewardReferrals appends the rewards of every referral reward s.t
// triggers, from tmpl (the referrer's), on amount (converted), and notes
// in s the numbers s.t makes its customer take.
func (e *Engine) rewardReferrals(s *earning, tmpl *Reward, amount decimal.Decimal) {
	t := s.t
	read := 0 // the counters of s.m.occurrences used, two per counted reward
	for i := range e.rules.referral {
		x := &e.rules.referral[i]
		if !triggerMatches(x.trigger, t) {
			continue
		}
		st, n, taken := &x.steps[0], int64(0), false
		if x.counted(t) {
			// t has a referrer (rewardTo found it), so s.m holds its
			// counters.
			friends, number := s.m.occurrences[read], s.m.occurrences[read+1]
			read += 2
			n, taken = number.IntPart(), number.IsZero()
			if taken {
				n = friends.IntPart() + 1
			}
			st = x.stepOf(n)
		}
		first := len(t.Rewards)
		paid := e.payOut(t, tmpl, s.b.Referrer, &st.referrer, s.h, amount)
		paid = e.payOut(t, tmpl, s.b.Customer, &st.friend, s.h, amount) || paid
		for j := first; j < len(t.Rewards); j++ {
			t.Rewards[j].Explanation.Occurrence = int(n) // 0 when not counted
		}
		if paid && taken {
			s.taken = append(s.taken,
				CounterDelta{Key: x.friendsCounter(s.m.beneficiary), Delta: one},
				CounterDelta{Key: x.numberCounter(t.CustomerID), Delta: decimal.NewFromInt(n)})
		}
	}
}

// payOut appends to t a reward to customer to by p, on amount, at the
// step of p's schedule the buyer's history h has reached, held for p's
// review period; false when it pays nothing: p has no steps, or they have
// run out for this buyer. tmpl is the referrer's reward.
func (e *Engine) payOut(t *Transaction, tmpl *Reward, to *Customer, p *payout, h CustomerHistory, amount decimal.Decimal) bool {
	i, ok := stepAt(p.steps, h, t.CreatedAt)
	if !ok {
		return false
	}
	st := &p.steps[i]
	r := *tmpl
	r.ID = e.newID()
	r.RewardedCustomerID, r.RewardedCustomerKey = to.ID, to.Key
	r.Status, r.ReviewEndsAt = RewardOK, nil
	hold(&r, t, p.review)
	e.paid(&r, st, amount)
	r.ProductID, r.ProductType = t.ProductID, t.ProductType
	r.Explanation = Explanation{Rule: p.rule, RuleVersion: e.rules.version, Match: p.match,
		Base: amount, Type: st.c.Type, Value: st.c.Value}
	if p.scheduled() {
		r.Explanation.Step = i + 1
	}
	t.Rewards = append(t.Rewards, r)
	return true
}

// compileReferral compiles the program's referral rewards, which replace
// the one-reward shape of the rule set.
func (rs *rules) compileReferral(v *validator, p *Program) {
	if len(p.Rules.Referral) == 0 {
		return
	}
	if p.Kind != ReferAFriend {
		v.add("rules.referral", "is for refer-a-friend programs")
	}
	p.Rules.validateOneRewardUnset(v)
	names := make(map[string]int)
	for i := range p.Rules.Referral {
		rr := &p.Rules.Referral[i]
		path := "rules.referral[" + itoa(i) + "]"
		if j, dup := names[rr.Name]; dup && rr.Name != "" {
			v.addf(path+".name", "reward name %q is also rules.referral[%d]'s", rr.Name, j)
		}
		names[rr.Name] = i
		x := compileReferralReward(v, p, path, rr)
		for _, st := range x.steps {
			rs.history = rs.history || st.referrer.scheduled() || st.friend.scheduled()
		}
		rs.signupEvents = rs.signupEvents || x.trigger == TriggerSignup
		rs.referral = append(rs.referral, x)
	}
}

// validateOneRewardUnset checks that a rule set listing referral rewards
// leaves the settings of the one-reward shape empty.
func (r *RuleSet) validateOneRewardUnset(v *validator) {
	const msg = "must be empty when rules.referral lists the rewards"
	if !r.Default.IsZero() {
		v.add("rules.default", msg)
	}
	if len(r.Products) > 0 {
		v.add("rules.products", msg)
	}
	if len(r.Tiers) > 0 {
		v.add("rules.tiers", msg)
	}
	if r.Friend != nil {
		v.add("rules.friend", msg)
	}
	if r.Trigger != "" {
		v.add("rules.trigger", msg+"; each reward has its trigger")
	}
}

// compileReferralReward checks one referral reward, at path, and
// compiles it.
func compileReferralReward(v *validator, p *Program, path string, rr *ReferralReward) referral {
	validateKey(v, path+".name", rr.Name, true)
	if len(rr.Name) > MaxReferralName {
		v.addf(path+".name", "longer than %d bytes", MaxReferralName)
	}
	if rr.Trigger != "" {
		validateKey(v, path+".trigger", rr.Trigger, false)
	}
	if rr.ReviewPeriod < 0 {
		v.add(path+".review_period", "must not be negative")
	}
	x := referral{name: rr.Name, trigger: rr.Trigger}
	if len(rr.Occurrences) == 0 {
		if rr.Referrer == nil && rr.Friend == nil {
			v.add(path, "sets none of referrer, friend and occurrences")
		}
		x.steps = []referralStep{compileReferralStep(v, p, path, rr, ReferralStep{From: 1, Referrer: rr.Referrer, Friend: rr.Friend})}
		return x
	}
	if rr.Referrer != nil {
		v.add(path+".referrer", "is set with occurrences; each step gives the referrer's commission")
	}
	if rr.Friend != nil {
		v.add(path+".friend", "is set with occurrences; each step gives the friend's commission")
	}
	for j, o := range rr.Occurrences {
		sp := path + ".occurrences[" + itoa(j) + "]"
		switch {
		case j == 0 && o.From != 1:
			v.add(sp+".from", "must be 1: the first step starts at the first referral")
		case j > 0 && o.From <= rr.Occurrences[j-1].From:
			v.addf(sp+".from", "must be greater than occurrences[%d].from, %d", j-1, rr.Occurrences[j-1].From)
		}
		if o.Referrer == nil && o.Friend == nil {
			v.add(sp, "sets neither referrer nor friend; a step that pays nothing is a flat 0, which still counts its friends")
		}
		x.steps = append(x.steps, compileReferralStep(v, p, sp, rr, o))
	}
	return x
}

// compileReferralStep compiles the sides of one step of rr, checking
// them at path.
func compileReferralStep(v *validator, p *Program, path string, rr *ReferralReward, o ReferralStep) referralStep {
	side := payout{rule: rr.Name, match: MatchReferral, review: rr.ReviewPeriod}
	st := referralStep{from: int64(o.From), referrer: side, friend: side}
	if o.Referrer != nil {
		st.referrer.steps = steps(*o.Referrer, v, path+".referrer", p)
	}
	if o.Friend != nil {
		st.friend.steps = steps(*o.Friend, v, path+".friend", p)
	}
	return st
}
