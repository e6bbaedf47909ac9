package commission

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// CapPeriod is the period a partner's spend limit counts over.
type CapPeriod string

// Cap periods, in UTC, by the sale's created_at.
const (
	CapDay     CapPeriod = "day"
	CapWeek    CapPeriod = "week" // ISO 8601 weeks
	CapMonth   CapPeriod = "month"
	CapAllTime CapPeriod = "all_time"
)

// Caps limit what rewards pay. A reward is clamped to what every cap has
// left, after rounding (and down to the rounding grid); a cap is never
// exceeded, also under concurrent sales from several processes (the store
// locks the counters a sale reads). Rewards set directly by the input are
// capped and counted too. A reward the caps leave nothing of is not kept:
// a transaction keeps only rewards that pay something.
type Caps struct {
	// PerReward is the most one reward pays; nil for no limit.
	PerReward *decimal.Decimal `json:"per_reward,omitempty"`
	// Partner limits what one partner earns in each period, over all its
	// sales; in a refer-a-friend program, what one customer earns, as
	// referrer and as friend together. Reversed and rejected rewards give
	// their amount back.
	// Decision: restoring an archived transaction returns its rewards as
	// they were, even past a limit that later sales filled.
	Partner []SpendLimit `json:"partner,omitempty"`
}

// SpendLimit is the most a partner (in refer-a-friend, a customer) earns
// in one period.
type SpendLimit struct {
	Period CapPeriod       `json:"period"`
	Amount decimal.Decimal `json:"amount"`
}

func (c Caps) validate(v *validator, path string) {
	if c.PerReward != nil {
		validateAmount(v, path+".per_reward", *c.PerReward)
	}
	seen := map[CapPeriod]bool{}
	for i, l := range c.Partner {
		p := path + ".partner[" + itoa(i) + "]"
		switch l.Period {
		case CapDay, CapWeek, CapMonth, CapAllTime:
		default:
			v.addf(p+".period", "must be %q, %q, %q or %q", CapDay, CapWeek, CapMonth, CapAllTime)
		}
		if seen[l.Period] {
			v.addf(p+".period", "another limit is per %s", l.Period)
		}
		seen[l.Period] = true
		validateAmount(v, p+".amount", l.Amount)
	}
}

// spendCounter is the counter of what who earned in the period that holds
// at.
func spendCounter(period CapPeriod, who Earner, at time.Time) CounterKey {
	at = at.UTC()
	var bucket string
	switch period {
	case CapDay:
		bucket = at.Format(time.DateOnly)
	case CapWeek:
		y, w := at.ISOWeek()
		bucket = fmt.Sprintf("%d-W%02d", y, w)
	case CapMonth:
		bucket = at.Format("2006-01")
	}
	return CounterKey{Name: "spend." + string(who.Kind) + "." + string(period), Subject: who.ID, Bucket: bucket}
}

// capRewards clamps t's rewards to the caps and counts them towards their
// earners' spend limits, at once, so that the next sale of a bulk sees
// them. Caps are amounts in the program currency: they apply to rewards
// in it, and a reward in other units (custom ones, or a currency a flat
// commission or a goal pays in) is neither capped nor counted.
func (e *Engine) capRewards(ctx context.Context, w *work, t *Transaction) error {
	caps := e.rules.caps
	for i := range t.Rewards {
		r := &t.Rewards[i]
		if e.capped(r) && caps.PerReward != nil && r.Amount.Cmp(*caps.PerReward) > 0 {
			clamp(r, e.grid(t, r, *caps.PerReward), "per_reward")
		}
	}
	if len(caps.Partner) == 0 {
		return nil
	}
	earners, keys := e.spendKeys(t, caps.Partner)
	if len(keys) == 0 {
		return nil
	}
	used, err := w.counters(ctx, keys)
	if err != nil {
		return err
	}
	left := make([]decimal.Decimal, len(keys)) // in keys' order
	for i := range keys {
		left[i] = decimal.Max(decimal.Zero, caps.Partner[i%len(caps.Partner)].Amount.Sub(used[i]))
	}
	return w.addCounters(ctx, e.spend(t, earners, keys, left))
}

// grid is limit on the program's rounding grid, down, for a computed
// reward r of t: a clamped reward stays on the grid, below the cap.
func (e *Engine) grid(t *Transaction, r *Reward, limit decimal.Decimal) decimal.Decimal {
	if places, rounds := e.places(r); rounds && t.Reward == nil {
		return limit.RoundDown(places)
	}
	return limit
}

// spendKeys are the spend counters of everyone t rewards in money, each
// earner's limits in a row, in the order of limits: read (and on SQL
// locked) at once.
func (e *Engine) spendKeys(t *Transaction, limits []SpendLimit) ([]Earner, []CounterKey) {
	var earners []Earner
	var keys []CounterKey
	for i := range t.Rewards {
		who := earnerOf(&t.Rewards[i])
		if who.ID == "" || !e.capped(&t.Rewards[i]) || slices.Contains(earners, who) {
			continue
		}
		earners = append(earners, who)
		for _, l := range limits {
			keys = append(keys, spendCounter(l.Period, who, t.CreatedAt))
		}
	}
	return earners, keys
}

// spend clamps each of t's rewards in money to what its earner's limits
// have left (left, in keys' order) and returns what the rewards add to
// the spend counters.
func (e *Engine) spend(t *Transaction, earners []Earner, keys []CounterKey, left []decimal.Decimal) []CounterDelta {
	limits := e.rules.caps.Partner
	var deltas []CounterDelta
	for i := range t.Rewards {
		r := &t.Rewards[i]
		who := earnerOf(r)
		if who.ID == "" || !e.capped(r) {
			continue
		}
		base := slices.Index(earners, who) * len(limits)
		for j, l := range limits {
			if r.Amount.Cmp(left[base+j]) > 0 {
				clamp(r, e.grid(t, r, left[base+j]), "partner."+string(l.Period))
			}
		}
		for j, l := range limits {
			left[base+j] = left[base+j].Sub(r.Amount)
			r.Explanation.Counted = append(r.Explanation.Counted, string(l.Period))
			deltas = append(deltas, CounterDelta{Key: keys[base+j], Delta: r.Amount})
		}
	}
	return deltas
}

// capped reports whether the caps apply to r: it is in the program
// currency.
func (e *Engine) capped(r *Reward) bool { return r.AmountUnits == e.prog.Currency }

// clamp lowers a reward to limit, recording the cap and the amount before.
func clamp(r *Reward, limit decimal.Decimal, cap string) {
	if r.Explanation.Uncapped == nil {
		before := r.Amount
		r.Explanation.Uncapped = &before
	}
	r.Amount = limit
	r.Explanation.Caps = append(r.Explanation.Caps, cap)
}

// spendDeltas is what amount (negative: given back, on a reversal or a
// rejection; positive: taken again, on a restore) changes of the spend
// limits r counted towards, in the periods of r's created_at; the
// periods were recorded with r, so a reversal gives back what was counted
// even if the limits have changed since.
func spendDeltas(deltas []CounterDelta, r *Reward, amount decimal.Decimal) []CounterDelta {
	for _, period := range r.Explanation.Counted {
		deltas = append(deltas, CounterDelta{Key: spendCounter(CapPeriod(period), earnerOf(r), r.CreatedAt), Delta: amount})
	}
	return deltas
}
