package commission

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// PayoutRules are a program's payout thresholds: CreatePayout refuses a
// payout below them (ErrBelowThreshold).
type PayoutRules struct {
	// Minimum is the least a payout in the program currency may pay; a
	// partner's PayoutMinimum replaces it. Zero: any positive amount.
	Minimum decimal.Decimal `json:"minimum,omitempty"`
	// MinCustomers is the least number of paying customers (the
	// customers metric, over all time) an earner must have referred
	// before a payout.
	MinCustomers int `json:"min_customers,omitempty"`
}

func (r PayoutRules) validate(v *validator, path string) {
	validateAmount(v, path+".minimum", r.Minimum)
	if r.MinCustomers < 0 {
		v.add(path+".min_customers", "must not be negative")
	}
}

// PayoutState is where a payout is in its life: pending until it is
// marked paid or canceled.
type PayoutState string

// Payout states.
const (
	PayoutPending  PayoutState = "pending"
	PayoutPaid     PayoutState = "paid"
	PayoutCanceled PayoutState = "canceled"
)

// Payout is a sum owed to one earner in one unit: the earned rewards it
// gathered, net of what was reversed of them before, and the adjustments
// (clawbacks) it nets. A reward is in at most one live (pending or paid)
// payout; canceling one releases its rewards and adjustments.
type Payout struct {
	ID     string `json:"id"`
	Earner Earner `json:"earner"`
	// EarnerKey is the earner's key, for display.
	EarnerKey string          `json:"earner_key"`
	Units     string          `json:"amount_units"`
	Amount    decimal.Decimal `json:"amount"`
	State     PayoutState     `json:"state"`
	// RewardIDs are the rewards it pays, EntryIDs the adjustments it nets.
	RewardIDs  []string   `json:"rewards"`
	EntryIDs   []string   `json:"entries,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	PaidAt     *time.Time `json:"paid_at"`
	CanceledAt *time.Time `json:"canceled_at"`
	// Reference is the external reference it was paid with (a bank
	// transfer's id).
	Reference string `json:"reference,omitempty"`
}

// PayoutInput asks for a payout to one beneficiary in one unit.
type PayoutInput struct {
	Beneficiary Beneficiary `json:"beneficiary"`
	// Units is the unit paid in; the program currency when empty.
	Units string `json:"amount_units,omitempty"`
	// RewardIDs chooses which payable rewards the payout pays; every
	// payable reward when empty.
	RewardIDs []string `json:"rewards,omitempty"`
}

// maxPayoutChoice bounds how many rewards a payout may choose by id.
const maxPayoutChoice = 10_000

func (in *PayoutInput) validate(v *validator, e *Engine) {
	in.Beneficiary.validate(v, "beneficiary.")
	in.Units = e.units(v, "amount_units", in.Units)
	if len(in.RewardIDs) > maxPayoutChoice {
		v.addf("rewards", "chooses more than %d rewards", maxPayoutChoice)
		return
	}
	for i, id := range in.RewardIDs {
		validateKey(v, "rewards["+itoa(i)+"]", id, true)
	}
}

// CreatePayout gathers what the program owes a beneficiary in a unit
// into one pending payout: every reward released from review and in no
// payout (or the ones in.RewardIDs chooses), net of what was reversed of
// them, and every open adjustment of its paid rewards (a clawback takes
// money back, a credit gives some). Its Amount is what the balance's
// Payable was.
//
// ErrBelowThreshold when the amount is not positive, is below the
// partner's payout minimum or the program's (Rules.Payouts.Minimum, in
// the program currency), or the beneficiary has referred fewer paying
// customers than Rules.Payouts.MinCustomers. A chosen reward that is not
// payable is a *ValidationError. Payouts of one beneficiary take turns,
// on every store and across engines: a reward is never in two payouts.
//
// If the store reports ErrCommitUnknown, list the beneficiary's pending
// payouts (Payouts) to see whether the payout was made.
func (e *Engine) CreatePayout(ctx context.Context, in PayoutInput) (_ *Payout, err error) {
	defer e.logOp(ctx, "CreatePayout", &err, "beneficiary", in.Beneficiary, "amount_units", in.Units)
	v := &validator{}
	in.validate(v, e)
	if err := v.err(); err != nil {
		return nil, err
	}
	now := e.clock()
	return updateValue(ctx, e, func(tx StoreTx) (*Payout, error) {
		p, err := e.payee(ctx, tx, in.Beneficiary)
		if err != nil {
			return nil, err
		}
		customers, err := e.paidCustomers(ctx, tx, p)
		if err != nil {
			return nil, err
		}
		if err := lockCounters(ctx, tx, balanceKeys(p.earner, in.Units)); err != nil {
			return nil, err
		}
		po, clawback, err := e.gatherPayout(ctx, tx, p, &in, now)
		if err != nil {
			return nil, err
		}
		if err := e.threshold(p, po, customers); err != nil {
			return nil, err
		}
		record(tx, EventPayoutCreated, po)
		return po, storePayout(ctx, tx, po, clawback)
	})
}

// paidCustomers is how many paying customers p has referred (the
// customers metric, over all time), read when the program asks for a
// number; read before p's balance is locked, as a sale reads it.
func (e *Engine) paidCustomers(ctx context.Context, tx StoreTx, p *payee) (int64, error) {
	if e.prog.Rules.Payouts.MinCustomers == 0 {
		return 0, nil
	}
	n, err := tx.Counters(ctx, []CounterKey{metricKey(MetricCustomers, p.earner.ID, "")})
	if err != nil {
		return 0, err
	}
	return n[0].IntPart(), nil
}

// gatherPayout builds the payout of p's payable rewards (those in.RewardIDs
// chooses, if any) and recoverable adjustments, as of now, and sums what
// its clawbacks take back (negative).
func (e *Engine) gatherPayout(ctx context.Context, tx StoreTx, p *payee, in *PayoutInput, now time.Time) (*Payout, decimal.Decimal, error) {
	var clawback decimal.Decimal
	rewards, err := tx.PayableRewards(ctx, p.earner, in.Units, now)
	if err != nil {
		return nil, clawback, err
	}
	if rewards, err = choose(rewards, in.RewardIDs); err != nil {
		return nil, clawback, err
	}
	adjustments, err := recoverable(ctx, tx, p.earner, in.Units)
	if err != nil {
		return nil, clawback, err
	}
	po := &Payout{ID: e.newID(), Earner: p.earner, EarnerKey: p.key, Units: in.Units, State: PayoutPending, CreatedAt: now,
		RewardIDs: make([]string, len(rewards))}
	for i, r := range rewards {
		po.RewardIDs[i] = r.ID
		po.Amount = po.Amount.Add(r.net())
	}
	for _, en := range adjustments {
		po.EntryIDs = append(po.EntryIDs, en.ID)
		po.Amount = po.Amount.Add(en.Amount)
		if en.Amount.Sign() < 0 {
			clawback = clawback.Add(en.Amount)
		}
	}
	return po, clawback, nil
}

// choose keeps the payable rewards ids names, in the order of ids; every
// one when ids is empty. An id that names no payable reward is an error.
func choose(payable []*Reward, ids []string) ([]*Reward, error) {
	if len(ids) == 0 {
		return payable, nil
	}
	byID := make(map[string]*Reward, len(payable))
	for _, r := range payable {
		byID[r.ID] = r
	}
	v := &validator{}
	out := make([]*Reward, 0, len(ids))
	for i, id := range ids {
		r, ok := byID[id]
		if !ok {
			v.add("rewards["+itoa(i)+"]", "is not a payable reward of the beneficiary in the unit: unknown, in review, rejected, reversed or in a payout")
			continue
		}
		delete(byID, id) // chosen twice: the second is not payable
		out = append(out, r)
	}
	return out, v.err()
}

// recoverable are who's open adjustments in units that a payout nets:
// those of paid rewards. An adjustment of a reward whose payout is still
// pending waits for that payout to be paid (then it is recoverable) or
// canceled (then it nets in place).
func recoverable(ctx context.Context, tx StoreTx, who Earner, units string) ([]Entry, error) {
	open, err := tx.OpenAdjustments(ctx, who, units)
	if err != nil {
		return nil, err
	}
	out := open[:0]
	for _, en := range open {
		r, err := tx.Reward(ctx, en.RewardID)
		if err != nil {
			return nil, err
		}
		if r.Status == RewardPaid {
			out = append(out, en)
		}
	}
	return out, nil
}

// threshold refuses a payout that pays nothing, less than the minimum
// (the partner's own, else the program's, in the program currency), or
// to a beneficiary with fewer paying customers than the program asks.
func (e *Engine) threshold(p *payee, po *Payout, customers int64) error {
	if po.Amount.Sign() <= 0 {
		return fmt.Errorf("%w: the payable amount is %s %s", ErrBelowThreshold, formatDecimal(po.Amount), po.Units)
	}
	least := e.prog.Rules.Payouts.Minimum
	if p.minimum != nil {
		least = *p.minimum
	}
	if po.Units == e.prog.Currency && po.Amount.Cmp(least) < 0 {
		return fmt.Errorf("%w: the payable %s %s is below the minimum of %s", ErrBelowThreshold, formatDecimal(po.Amount), po.Units, formatDecimal(least))
	}
	if n := e.prog.Rules.Payouts.MinCustomers; customers < int64(n) {
		return fmt.Errorf("%w: %d paying customers referred, %d required", ErrBelowThreshold, customers, n)
	}
	return nil
}

// storePayout stores po and moves its money into in_payout: its
// clawbacks' (clawback, negative) out of clawback, the rest (its
// rewards' and credits') out of unpaid.
func storePayout(ctx context.Context, tx StoreTx, po *Payout, clawback decimal.Decimal) error {
	if err := tx.InsertPayout(ctx, po); err != nil {
		return err
	}
	return tx.AddCounters(ctx, []CounterDelta{
		placeDelta(placeClawback, po.Earner, po.Units, clawback.Neg()),
		placeDelta(placeInPayout, po.Earner, po.Units, po.Amount),
		placeDelta(placeUnpaid, po.Earner, po.Units, po.Amount.Sub(clawback).Neg()),
	})
}

// Clone returns a deep copy of p.
func (p *Payout) Clone() *Payout {
	c := *p
	c.RewardIDs = cloneStrings(p.RewardIDs)
	c.EntryIDs = cloneStrings(p.EntryIDs)
	c.PaidAt = copyTime(p.PaidAt)
	c.CanceledAt = copyTime(p.CanceledAt)
	return &c
}
