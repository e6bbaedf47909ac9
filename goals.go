package commission

import (
	"time"

	"github.com/shopspring/decimal"
)

// Goal is a one-off bonus when a beneficiary's metric reaches a target
// (goal bonuses), over all time: "100.00 at 50 customers", or
// with Every "25.00 at every 50 signups".
//
// Each threshold pays once, ever, also when two sales cross it at once
// (the engine reads and locks the goal's counter of thresholds paid). The
// bonus is a reward of the transaction that crossed the threshold: a sale
// for customers and revenue, and for signups a transaction with action
// "signup" that the engine records with the customer. Reversing that
// transaction reverses its bonus, and the threshold does not pay again.
// Bonuses are paid on top of the transaction's other rewards, held for
// the program's review period and counted towards its caps.
type Goal struct {
	// ID names the goal in explanations and in its counter; required,
	// and kept when the goal is changed, or its thresholds pay again.
	ID     string `json:"id"`
	Metric Metric `json:"metric"`
	// Target is the threshold; with Every, also each multiple of it.
	Target decimal.Decimal `json:"target"`
	Every  bool            `json:"every,omitempty"`
	// Until, when set, ends the goal: a transaction created at or after
	// it pays no bonus. The thresholds it reached stay unpaid, and a
	// transaction backdated to before the end pays them.
	Until *time.Time `json:"until,omitempty"`
	// Bonus is paid once per threshold, in Units (the program currency
	// when empty, or one of its custom units). A threshold passed by a
	// sale rewarded elsewhere (Rewarded), or while the beneficiary cannot
	// earn (an archived partner, a referring customer not active), or
	// whose bonus the caps leave nothing of, is not paid, then or later.
	Bonus decimal.Decimal `json:"bonus"`
	Units string          `json:"units,omitempty"`
}

// maxGoalID keeps "goal.<id>" within a counter name's 64 bytes.
const maxGoalID = 59

// goal is a validated Goal, with the slot of its all-time metric.
type goal struct {
	Goal
	slot int
}

func (g *goal) counter(who string) CounterKey {
	return CounterKey{Name: "goal." + g.ID, Subject: who}
}

func (rs *rules) compileGoals(v *validator, p *Program) {
	ids := make(map[string]int)
	for i, g := range p.Rules.Goals {
		path := "rules.goals[" + itoa(i) + "]"
		validateKey(v, path+".id", g.ID, true)
		if len(g.ID) > maxGoalID {
			v.addf(path+".id", "longer than %d bytes", maxGoalID)
		}
		if j, dup := ids[g.ID]; dup && g.ID != "" {
			v.addf(path+".id", "goal id %q is also rules.goals[%d]'s", g.ID, j)
		}
		ids[g.ID] = i
		if !g.Metric.counted() {
			v.addf(path+".metric", "must be %s, %s or %s", MetricSignups, MetricCustomers, MetricRevenue)
		} else {
			rs.goals = append(rs.goals, goal{Goal: g, slot: rs.window(g.Metric, 0)})
		}
		validateAmount(v, path+".target", g.Target)
		if g.Target.Sign() <= 0 {
			v.add(path+".target", "must be positive")
		}
		validateAmount(v, path+".bonus", g.Bonus)
		if g.Units != "" && !p.validUnits(g.Units) {
			v.add(path+".units", "must be a currency code or one of the program's custom_units")
		}
		if g.Metric == MetricSignups {
			rs.signupEvents = true
		}
	}
}

// rewardGoals appends to s.t the bonuses of the goals its counts make its
// beneficiary reach, and returns the counter deltas that record them
// paid. s.m has the metrics before s.t; a is what s.t adds to each.
func (e *Engine) rewardGoals(s *earning, a *added) []CounterDelta {
	t, m := s.t, s.m
	var deltas []CounterDelta
	for i := range e.rules.goals {
		g := &e.rules.goals[i]
		add := a.of(g.Metric)
		if add.Sign() <= 0 || g.Until != nil && !t.CreatedAt.Before(*g.Until) {
			continue
		}
		after := m.slots[g.slot].Add(add)
		reached := after.Div(g.Target).Floor() // thresholds at or below after
		if !g.Every {
			reached = decimal.Min(reached, decimal.NewFromInt(1))
		}
		paid := m.goals[i]
		if reached.Cmp(paid) <= 0 {
			continue
		}
		n := reached.Sub(paid)
		deltas = append(deltas, CounterDelta{Key: g.counter(m.beneficiary), Delta: n})
		r, ok := e.rewardTo(t, s.b)
		if !ok || t.Rewarded {
			// A beneficiary that cannot earn (an archived partner, a
			// referring customer not active) earns no bonus either, and
			// a sale rewarded elsewhere creates no reward here: the
			// thresholds they pass are passed, not owed.
			continue
		}
		r.ID = e.newID()
		r.Amount = g.Bonus.Mul(n)
		r.AmountUnits, r.IsCurrency = e.prog.Currency, true
		if g.Units != "" {
			r.AmountUnits, r.IsCurrency = g.Units, !e.prog.customUnit(g.Units)
		}
		threshold := reached.Mul(g.Target)
		r.Explanation = Explanation{
			Rule: g.ID, RuleVersion: e.rules.version, Match: MatchGoal,
			Base: after, Type: FlatCommission, Value: g.Bonus, Threshold: &threshold, Thresholds: int(n.IntPart()),
		}
		t.Rewards = append(t.Rewards, r)
	}
	return deltas
}
