package commissiontest

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

// Property is something that must hold of a program after every step of
// every history: Check returns a non-nil error when it does not.
type Property struct {
	// Name names the property in a failure.
	Name string
	// Check is called after every step with what the step left.
	Check func(v *View) error
	// Expr is the Go expression that names the property in the package
	// of the regression test, such as "monthlyLimit": the printed test
	// passes it to NewReplay, so that it fails as the history did. When
	// empty, the test has a placeholder to fill in.
	Expr string
}

// Step is one step of a history: a call on the engine, or a move of the
// clock.
type Step struct {
	// Go is the step as a statement of the regression test (empty in a
	// replay).
	Go string
	// Txs are the sales the step recorded, as the engine returned them:
	// one for CreateTransaction, several for CreateTransactions, none
	// for any other step or a refused sale.
	Txs []*commission.Transaction
	// Err is the refusal the engine answered (commission.ErrInvalid,
	// ErrBelowThreshold, ...), nil when it accepted the step.
	Err error
}

// View is what a property sees after a step: the engine, the step, and
// the state of everything the history made, read from the engine after
// the step.
type View struct {
	// Engine is the engine of the history, on its fake clock.
	Engine *commission.Engine
	// Program is the program the engine runs, with its defaults filled
	// in (Engine.Program).
	Program commission.Program
	// Step is the step just done.
	Step Step
	r    *runner
}

// Context is the context the steps ran with.
func (v *View) Context() context.Context { return v.r.ctx }

// Now is the time by the engine's clock.
func (v *View) Now() time.Time { return v.r.clock.Now() }

// History is every step done so far, the last one Step.
func (v *View) History() []Step { return v.r.history }

// Transactions is every transaction recorded so far, in every state
// (active, archived, deleted), as it is now, oldest first; it includes
// the transactions the engine records itself, such as signups.
func (v *View) Transactions() []*commission.Transaction { return v.r.txs }

// Partners is every partner created so far (none in refer-a-friend), as
// it is now, oldest first. A failure to list them is returned as none.
func (v *View) Partners() []*commission.Partner {
	if v.r.partners == nil && v.r.prog.Kind == commission.Affiliate {
		v.r.partners, _ = v.r.listPartners()
	}
	return v.r.partners
}

// Payouts is every payout created so far, as it is now, oldest first.
func (v *View) Payouts() []*commission.Payout { return v.r.payouts }

// Rewards is every reward of Transactions, as it is now.
func (v *View) Rewards() []*commission.Reward {
	var out []*commission.Reward
	for _, t := range v.r.txs {
		for i := range t.Rewards {
			out = append(out, &t.Rewards[i])
		}
	}
	return out
}

// EarnerKey is the key of whom r pays: its partner in an affiliate
// program, its rewarded customer in a refer-a-friend one.
func EarnerKey(r *commission.Reward) string {
	if r.PartnerKey != "" {
		return r.PartnerKey
	}
	return r.RewardedCustomerKey
}

// EarnedIn is what the earner with key (a partner, or in refer-a-friend
// a customer) earns from its rewards in units created in the calendar
// month (UTC) that holds month: what they pay now (Amount less
// Reversed), rejected ones left out. It is what a monthly spend limit
// counts for rewards in the program currency.
func (v *View) EarnedIn(key, units string, month time.Time) decimal.Decimal {
	y, m, _ := month.UTC().Date()
	sum := decimal.Zero
	for _, r := range v.Rewards() {
		ry, rm, _ := r.CreatedAt.UTC().Date()
		if EarnerKey(r) == key && r.AmountUnits == units && ry == y && rm == m && r.Status != commission.RewardRejected {
			sum = sum.Add(r.Amount.Sub(r.Reversed))
		}
	}
	return sum
}

// RevenueBefore is the revenue metric of the beneficiary of the sale with
// key (its partner; in refer-a-friend its referring customer) just
// before the sale was recorded, over all time, as tiers on revenue read
// it: the amounts of its qualified sales in the program currency that
// are active, less what refunds took back of them. ok is false for a key
// the history did not record.
func (v *View) RevenueBefore(key string) (revenue decimal.Decimal, ok bool) {
	revenue, ok = v.r.revenueBefore[key]
	return revenue, ok
}
