package commission

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Where a reward's amount is decided. A transaction goes through one
// pipeline, earn, whether it is a new sale, a signup or a stored sale made
// rewardable:
//
//  1. gather what the rules read: the partner's custom commission and the
//     partners above it, the beneficiary's metrics (metrics.go) and the
//     customer's history as of the sale (batch.go);
//  2. the base reward of each line by precedence (the partner's custom
//     commission, a product rule, a tier (tiers.go), the default) at the
//     step of its commission period the customer has reached (stepAt,
//     here; periods.go compiles the schedules); then the levels above the
//     partner and the referred friend's reward, or a refer-a-friend
//     program's list of rewards (referral.go); all rounded once
//     (rounding.go);
//  3. the fraud checks of a new sale (fraud.go);
//  4. what the sale adds to its beneficiary's metrics, and the goal
//     bonuses that makes it reach (goals.go);
//  5. the caps (caps.go), and the counters written.

// earning is a transaction on its way through the pipeline, with what the
// pipeline has learnt of it.
type earning struct {
	t *Transaction
	b *Buyer
	// stored is true for a stored transaction made rewardable
	// (MakeRewardable): it passes no fraud check, and a signup was
	// counted when it was recorded.
	stored bool
	// rate converts the sale's amounts into the program currency, nil
	// when it is not converted: t.Rate for a new sale.
	rate *decimal.Decimal
	// referralURL is the sale's options.referral_url, for the paid-ad
	// check.
	referralURL string

	custom  *rule      // the partner's custom commission, nil for none
	uplines []*Partner // the partners above the seller, one per level paid
	m       *measures  // nil when the sale has no beneficiary
	h       CustomerHistory
	hRead   bool  // h has been read
	tier    *rule // the highest tier the sale qualifies for, nil for none
	// taken counts the numbers of referral rewards the sale makes its
	// customer take (referral.go), once no fraud check rejects it.
	taken []CounterDelta
}

// earn gives s.t its rewards by the rules (and, for a new transaction,
// the fraud protection), with the goal bonuses it earns, capped; unless w
// is dry, it counts s.t towards its beneficiary's metrics, goals and
// spend limits.
func (e *Engine) earn(ctx context.Context, w *work, s *earning) error {
	if err := e.gather(ctx, w, s); err != nil {
		return err
	}
	e.reward(s)
	reason := ""
	if !s.stored && len(s.t.Rewards) > 0 {
		var err error
		if reason, err = e.fraudReason(ctx, w, s); err != nil {
			return err
		}
	}
	deltas, add := e.contribution(s, reason)
	if reason != "" {
		// Rejected rewards pay nothing: they count towards no cap, no
		// commission period, no metric and no goal.
		reject(s.t, reason)
		s.t.Qualified = false
	} else {
		if s.m != nil {
			deltas = append(deltas, e.rewardGoals(s, &add)...)
		}
		deltas = append(deltas, s.taken...)
		if err := e.capRewards(ctx, w, s.t); err != nil {
			return err
		}
	}
	s.t.Rewards = slices.DeleteFunc(s.t.Rewards, paysNothing)
	for _, r := range s.t.Rewards {
		if tooLarge(r.Amount) { // goal bonuses paid many times over
			return fieldError("amount", fmt.Sprintf("earns a reward of %s, more than the %d digits before the point a reward holds", brief(formatDecimal(r.Amount)), maxIntegerDigits))
		}
	}
	return w.addCounters(ctx, earnedDeltas(deltas, s.t.Rewards))
}

// paysNothing reports a reward of 0, which a transaction does not keep:
// whether its rule gave 0, a cap left nothing or its rounding took all,
// a reward is what is owed. (A line whose commission period is over
// gets no reward either.)
func paysNothing(r Reward) bool { return r.Amount.IsZero() }

// gather reads what the rules need to reward s: the parties' rules, the
// beneficiary's metrics and, when a rule depends on it, the customer's
// history; then it finds the tier the sale qualifies for.
func (e *Engine) gather(ctx context.Context, w *work, s *earning) error {
	t := s.t
	if e.prog.Kind == Affiliate {
		s.custom = partnerRule(s.b.Partner)
		var err error
		if s.uplines, err = e.uplines(ctx, w.tx, s.b.Partner); err != nil {
			return err
		}
	}
	var err error
	if s.m, err = e.measure(ctx, w, t, s.b); err != nil {
		return err
	}
	if s.m != nil && t.signup() && s.stored {
		s.m.uncountSignup(e.rules.slots) // as of before it, like a new one
	}
	if (e.rules.history || s.custom != nil && s.custom.scheduled()) && t.Reward == nil {
		if _, err := s.history(ctx, w); err != nil {
			return err
		}
	}
	first, err := e.firstSale(ctx, w, s)
	if err != nil {
		return err
	}
	s.tier = e.tierOf(t, s.b, s.m, s.rate, first)
	return nil
}

// history is the customer's history as of the sale, read once.
func (s *earning) history(ctx context.Context, w *work) (CustomerHistory, error) {
	if h, ok := s.m.historyAt(s.t.CreatedAt); ok && !s.hRead {
		s.h, s.hRead = h, true
	}
	if !s.hRead {
		h, err := w.history(ctx, s.t.CustomerID, s.t.CreatedAt)
		if err != nil {
			return h, err
		}
		s.h, s.hRead = h, true
	}
	return s.h, nil
}

// firstSale tells whether s is its customer's first qualified sale as of
// its created_at, for the tiers that ask: from the customer's count of
// qualified sales, or, when the customer has some and the sale may be
// dated before them (backdated, or stored earlier and made rewardable
// now), from its history.
func (e *Engine) firstSale(ctx context.Context, w *work, s *earning) (bool, error) {
	t := s.t
	switch {
	case !e.rules.firstSale || s.m == nil || t.Reward != nil:
		return false, nil
	case s.m.sales.Sign() == 0:
		return true, nil
	case !s.stored && !t.Backdated:
		return false, nil // the others are all dated before it
	}
	h, err := s.history(ctx, w)
	return h.Count == 0, err
}

// tierOf returns the rule of the highest tier t qualifies for, nil for
// none.
func (e *Engine) tierOf(t *Transaction, b *Buyer, m *measures, rate *decimal.Decimal, first bool) *rule {
	if len(e.rules.tiers) == 0 || t.Reward != nil {
		return nil
	}
	f := saleFacts{at: t.CreatedAt, amount: converted(rate, t.Amount), m: m, customerSince: b.Customer.CreatedAt, first: first}
	switch {
	case b.Partner != nil:
		f.partnerSince = b.Partner.CreatedAt
	case b.Referrer != nil:
		f.partnerSince = b.Referrer.CreatedAt
	}
	return e.rules.tier(&f, b.Partner)
}

// reward computes s.t's rewards: none for a sale that is not rewardable,
// already rewarded, by a suspended customer, or whose beneficiary cannot
// earn; else the set reward, or one reward per line by the line's rule,
// with the levels and the friend's reward on top.
func (e *Engine) reward(s *earning) {
	t := s.t
	t.Qualified = false
	if !e.rules.triggers(t) {
		return
	}
	t.Qualified = t.Rewarded
	if !t.Rewardable || t.Rewarded || s.b.Customer.Status != CustomerActive {
		return
	}
	tmpl, ok := e.rewardTo(t, s.b)
	if !ok {
		return
	}
	tmpl.AmountUnits, tmpl.IsCurrency = t.AmountUnits, t.IsCurrency
	if s.rate != nil {
		// A sale in another currency is rewarded in the program's.
		tmpl.AmountUnits, tmpl.IsCurrency = e.prog.Currency, true
	}
	amount := converted(s.rate, t.Amount)
	// Room for a reward per line, the levels and the friend's at once: a
	// Reward is large, and growing the slice reward by reward copies them.
	room := max(len(t.Products), 1) + len(s.uplines)
	if len(e.rules.friend) > 0 {
		room++
	}
	t.Rewards = make([]Reward, 0, room)
	if t.Reward != nil {
		e.rewardSet(t, &tmpl, converted(s.rate, *t.Reward), amount)
	} else {
		e.rewardLines(s, &tmpl)
	}
	if len(t.Rewards) > 0 {
		e.rewardLevels(t, &tmpl, s.uplines, amount)
	}
	if t.Reward == nil {
		e.rewardFriend(t, &tmpl, s.b.Customer, s.h, amount)
		e.rewardReferrals(s, &tmpl, amount)
	}
	if s.rate != nil {
		for i := range t.Rewards {
			t.Rewards[i].Explanation.Rate, t.Rewards[i].Explanation.From = s.rate, t.AmountUnits
		}
	}
	if t.Reward == nil {
		e.round(t)
	} else {
		// The set reward is kept as set; the levels above it, computed on
		// a converted amount, may be finer than storage holds.
		for i := range t.Rewards {
			roundForStorage(&t.Rewards[i])
		}
	}
	t.Qualified = len(t.Rewards) > 0
	if !t.Qualified {
		t.Rewards = nil // as when nothing was made room for
	}
}

// converted is an amount in the program currency at rate, when there is
// one.
func converted(rate *decimal.Decimal, d decimal.Decimal) decimal.Decimal {
	if rate == nil {
		return d
	}
	return d.Mul(*rate)
}

// rewardSet gives t the reward its input sets directly, set (converted),
// on a sale of amount (converted).
func (e *Engine) rewardSet(t *Transaction, tmpl *Reward, set, amount decimal.Decimal) {
	r := *tmpl
	r.ID = e.newID()
	r.Amount = set
	r.ProductID, r.ProductType = t.ProductID, t.ProductType
	r.Explanation = Explanation{Rule: MatchManual, RuleVersion: e.rules.version, Match: MatchManual, Base: amount, Value: *t.Reward}
	roundForStorage(&r) // converted, it may be finer than storage holds
	t.Rewards = []Reward{r}
}

// rewardLines gives each line of s.t (the whole sale when it has no
// product lines) its base reward.
func (e *Engine) rewardLines(s *earning, tmpl *Reward) {
	t := s.t
	if len(t.Products) == 0 {
		e.rewardLine(s, tmpl, ProductLine{ProductID: t.ProductID, ProductType: t.ProductType, ProductPrice: converted(s.rate, t.Amount)}, 0)
		return
	}
	for i, l := range t.Products {
		l.ProductPrice = converted(s.rate, l.ProductPrice)
		e.rewardLine(s, tmpl, l, i+1)
	}
}

// rewardLine appends the reward of one line (from 1; 0 for a sale without
// lines), by the rule that matches it, if any does.
func (e *Engine) rewardLine(s *earning, tmpl *Reward, l ProductLine, line int) {
	t := s.t
	ru := e.rules.match(l.ProductID, l.ProductType, s.b.Partner, s.custom, s.tier)
	if ru == nil {
		return
	}
	i, ok := stepAt(ru.steps, s.h, t.CreatedAt)
	if !ok { // the commission period is over for this customer
		return
	}
	st := &ru.steps[i]
	if t.Rewards == nil {
		t.Rewards = make([]Reward, 0, max(len(t.Products), 1))
	}
	r := *tmpl
	r.ID = e.newID()
	r.Line = line
	e.paid(&r, st, l.ProductPrice)
	r.ProductID, r.ProductType = l.ProductID, l.ProductType
	r.Explanation = Explanation{
		Rule: ru.id, RuleVersion: e.rules.version, Match: ru.match,
		Base: l.ProductPrice, Type: st.c.Type, Value: st.c.Value,
	}
	if ru.scheduled() {
		r.Explanation.Step = i + 1
	}
	t.Rewards = append(t.Rewards, r)
}

// match returns the rule that applies to a line sold for partner p (nil
// in refer-a-friend programs), by precedence: the partner's custom
// commission (custom, nil for none), then a product rule by product_id
// and then by product_type, then the tier (nil for none), then the
// default; product rules before the partner's when the program says so.
// nil when none applies.
func (rs *rules) match(productID, productType string, p *Partner, custom, tier *rule) *rule {
	product := rs.product(productID, productType, p)
	first, second := custom, product
	if rs.productsFirst {
		first, second = product, custom
	}
	switch {
	case first != nil:
		return first
	case second != nil:
		return second
	case tier != nil:
		return tier
	}
	return rs.def
}

func (rs *rules) product(productID, productType string, p *Partner) *rule {
	for _, r := range rs.byProductID[productID] {
		if r.fits(p) {
			return r
		}
	}
	for _, r := range rs.byProductType[productType] {
		if r.fits(p) {
			return r
		}
	}
	return nil
}

// partnerRule is p's custom commission as a rule, nil if it has none.
// It was validated when it was set.
func partnerRule(p *Partner) *rule {
	if p == nil || p.Commission == nil {
		return nil
	}
	return &rule{id: "partner:" + p.Key, match: MatchPartner, steps: steps(*p.Commission, &validator{}, "", nil)}
}

// stepAt is the step of a schedule that pays a sale at time at, by a
// customer whose earlier rewarded sales h describes; false when the
// schedule has run out (the commission period is over).
func stepAt(ss []step, h CustomerHistory, at time.Time) (int, bool) {
	start := at
	if h.Count > 0 {
		start = h.First
	}
	for i, s := range ss {
		switch {
		case s.lifetime:
			return i, true
		case s.end.Times > 0:
			if h.Count < int64(s.end.Times) {
				return i, true
			}
		case at.Before(start.AddDate(s.end.Years, s.end.Months, s.end.Days)):
			return i, true
		}
	}
	return 0, false
}

// apply computes the commission on base, exactly; the engine rounds it
// afterwards, once.
func (s *step) apply(base decimal.Decimal) decimal.Decimal {
	if s.c.Type == FlatCommission {
		return s.c.Value
	}
	return base.Mul(s.rate)
}

// paid sets a reward's amount by a commission step, and its units when
// the step pays in units of its own.
func (e *Engine) paid(r *Reward, st *step, base decimal.Decimal) {
	r.Amount = st.apply(base)
	if u := st.c.Units; u != "" {
		r.AmountUnits, r.IsCurrency = u, !e.prog.customUnit(u)
	}
}

// rewardTo is a reward of t to its beneficiary (the buyer's partner, or
// its referring customer), with no amount or units, held for review when
// the program has a review period; false when the beneficiary cannot
// earn: none, an archived or deleted partner, or a referring customer not
// active.
func (e *Engine) rewardTo(t *Transaction, b *Buyer) (Reward, bool) {
	r := Reward{
		TransactionKey: t.Key, Action: t.Action,
		CustomerID: t.CustomerID, CustomerKey: t.CustomerKey,
		Credit: e.prog.Rules.Credit, CreatedAt: t.CreatedAt, Status: RewardOK, Kind: t.Kind,
	}
	switch e.prog.Kind {
	case Affiliate:
		p := b.Partner
		if p == nil || !p.Status.earns() {
			return r, false
		}
		r.PartnerID, r.PartnerKey = p.ID, p.Key
	case ReferAFriend:
		rc := b.Referrer
		if rc == nil || rc.Status != CustomerActive {
			return r, false
		}
		r.RewardedCustomerID, r.RewardedCustomerKey = rc.ID, rc.Key
	}
	hold(&r, t, e.rules.review)
	return r, true
}

// hold holds r for review until review after t's created_at, when the
// period is positive.
func hold(r *Reward, t *Transaction, review time.Duration) {
	if review > 0 {
		ends := t.CreatedAt.Add(review)
		r.Status, r.ReviewEndsAt = RewardInReview, &ends
	}
}

// uplines returns the partners above p, one per level the program pays;
// fewer when the chain ends.
func (e *Engine) uplines(ctx context.Context, tx StoreTx, p *Partner) ([]*Partner, error) {
	var out []*Partner
	for p != nil && p.ReferringPartnerID != "" && len(out) < len(e.rules.levels) {
		up, err := tx.Partner(ctx, PartnerRef{ID: p.ReferringPartnerID})
		if err != nil {
			return nil, err
		}
		// A chain cannot loop (a referrer exists before those it
		// refers); stop all the same if a store says otherwise.
		if slices.ContainsFunc(out, func(q *Partner) bool { return q.ID == up.ID }) {
			break
		}
		out = append(out, up)
		p = up
	}
	return out, nil
}

// rewardLevels appends one reward per level for the partners above the
// selling one, each a commission on the sale's amount. An archived or
// deleted partner's level pays nothing; the levels above it still do.
func (e *Engine) rewardLevels(t *Transaction, tmpl *Reward, uplines []*Partner, amount decimal.Decimal) {
	for i, up := range uplines {
		if !up.Status.earns() {
			continue
		}
		st := &e.rules.levels[i]
		r := *tmpl
		r.ID = e.newID()
		r.PartnerID, r.PartnerKey = up.ID, up.Key
		e.paid(&r, st, amount)
		r.ProductID, r.ProductType = t.ProductID, t.ProductType
		r.Explanation = Explanation{
			Rule: "level:" + itoa(i+1), RuleVersion: e.rules.version, Match: MatchLevel, Level: i + 1,
			Base: amount, Type: st.c.Type, Value: st.c.Value,
		}
		t.Rewards = append(t.Rewards, r)
	}
}

// rewardFriend appends the referred customer's own reward on its sale,
// when the program has one (double-sided refer-a-friend).
func (e *Engine) rewardFriend(t *Transaction, tmpl *Reward, buyer *Customer, h CustomerHistory, amount decimal.Decimal) {
	friend := payout{rule: MatchFriend, match: MatchFriend, steps: e.rules.friend, review: e.rules.friendReview}
	e.payOut(t, tmpl, buyer, &friend, h, amount)
}
