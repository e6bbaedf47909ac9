package commissiontest

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

// runner runs one history: it does each step on the engine, keeps what
// the steps made, reads the state back after each and checks the
// invariants and the properties. Check, Run, Machine and Replay share it.
type runner struct {
	ctx   context.Context
	eng   *commission.Engine
	clock *Clock
	prog  commission.Program // as given, with the run's ID
	props []Property

	history []Step
	// What the steps made, by their answers.
	partnerKeys, customerKeys, saleKeys, payoutIDs []string
	refunds                                        map[string]*commission.Refund // by refund key
	revenueBefore                                  map[string]decimal.Decimal    // by sale key

	// The state read back after the last step, oldest first.
	txs      []*commission.Transaction
	partners []*commission.Partner
	payouts  []*commission.Payout
}

// newRunner starts a history of p on store, at 2025-01-01, with ids made from
// p's ID so that a replay makes the same ones, and without events, which
// the kit does not read.
func newRunner(store commission.Store, p commission.Program, props []Property, opts ...commission.Option) (*runner, error) {
	r := &runner{
		ctx: context.Background(), clock: NewClock(), prog: p, props: props,
		refunds: map[string]*commission.Refund{}, revenueBefore: map[string]decimal.Decimal{},
	}
	n := 0
	ids := func() string { n++; return p.ID + "-" + strconv.Itoa(n) }
	opts = append([]commission.Option{commission.WithClock(r.clock.Now), commission.WithIDGenerator(ids), commission.WithoutEvents()}, opts...)
	var err error
	if r.eng, err = commission.New(store, p, opts...); err != nil {
		return nil, fmt.Errorf("commissiontest: the program: %w", err)
	}
	return r, nil
}

// failure is a property (or invariant) that does not hold, or a step the
// engine failed.
type failure struct {
	property string
	err      error
}

// NoUnexpectedErrors names the failure of a step the engine answered
// with an error that is not a refusal (IsRefusal): a store's error, or
// commission.ErrCommitUnknown.
const NoUnexpectedErrors = "no unexpected errors"

// do records a step the engine answered with v (what it returned, nil
// for a call that returns only an error) and err, then checks everything
// after it.
func (r *runner) do(goSrc string, v any, err error) *failure {
	s := Step{Go: goSrc, Err: err}
	if err != nil && !IsRefusal(err) {
		r.history = append(r.history, s)
		return &failure{NoUnexpectedErrors, fmt.Errorf("the engine failed: %w", err)}
	}
	if err == nil {
		s.Txs = r.record(v)
	}
	r.history = append(r.history, s)
	if err := r.refresh(); err != nil {
		return &failure{NoUnexpectedErrors, err}
	}
	view := r.view()
	for _, p := range slices.Concat(Invariants(), r.props) {
		if err := p.Check(view); err != nil {
			return &failure{p.Name, err}
		}
	}
	return nil
}

// view is what the properties see now.
func (r *runner) view() *View {
	return &View{Engine: r.eng, Program: r.eng.Program(), Step: r.history[len(r.history)-1], r: r}
}

// record keeps what an accepted step made, and returns the sales it
// recorded.
func (r *runner) record(v any) []*commission.Transaction {
	switch v := v.(type) {
	case *commission.Partner:
		r.partnerKeys = append(r.partnerKeys, v.Key)
	case *commission.Customer:
		r.customerKeys = append(r.customerKeys, v.Key)
	case *commission.Transaction:
		r.recordSales([]*commission.Transaction{v})
		return []*commission.Transaction{v}
	case []*commission.Transaction:
		r.recordSales(v)
		return v
	case *commission.Refund:
		r.refunds[v.Key] = v
	case *commission.Payout:
		if !slices.Contains(r.payoutIDs, v.ID) {
			r.payoutIDs = append(r.payoutIDs, v.ID)
		}
	}
	return nil
}

// recordSales keeps the keys of sales and the revenue of their
// beneficiaries before each: as read after the last step, plus the
// sales before it in a bulk.
func (r *runner) recordSales(ts []*commission.Transaction) {
	for i, t := range ts {
		r.saleKeys = append(r.saleKeys, t.Key)
		r.revenueBefore[t.Key] = revenue(r.prog.Currency, slices.Concat(r.txs, ts[:i]), beneficiaryOf(t))
	}
}

// beneficiaryOf is the id of whom a sale's rules measure: its partner,
// or in refer-a-friend its referring customer.
func beneficiaryOf(t *commission.Transaction) string {
	if t.PartnerID != "" {
		return t.PartnerID
	}
	return t.ReferringCustomerID
}

// revenue is the revenue metric of the beneficiary with id over txs.
func revenue(currency string, txs []*commission.Transaction, id string) decimal.Decimal {
	sum := decimal.Zero
	for _, t := range txs {
		if id != "" && beneficiaryOf(t) == id && t.Qualified && t.State == commission.TransactionActive && t.AmountUnits == currency {
			sum = sum.Add(t.Amount.Sub(t.Refunded))
		}
	}
	return sum
}
