package commissiontest

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// sanityRunner has made a split sale (rounded, with a goal bonus) and a
// sale refunded in part, every invariant holding.
func sanityRunner(t *testing.T) *runner {
	perReward := d("100")
	p := commission.Program{ID: "sanity", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default:  commission.Percent(d("10")),
		Rounding: commission.Rounding{To: commission.RoundToCurrency},
		Caps:     commission.Caps{PerReward: &perReward, Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: d("150")}}},
		Goals:    []commission.Goal{{ID: "first", Metric: commission.MetricCustomers, Target: d("1"), Bonus: d("5")}},
	}}
	r, err := newRunner(memstore.New(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	line := func(id string) commission.ProductLine {
		return commission.ProductLine{ProductID: id, ProductPrice: d("10.05")}
	}
	steps := []func() (any, error){
		func() (any, error) { return r.eng.CreatePartner(r.ctx, commission.PartnerInput{Key: "p1"}) },
		func() (any, error) {
			return r.eng.CreateCustomer(r.ctx, commission.CustomerInput{Key: "c1", Partner: &commission.PartnerRef{Key: "p1"}})
		},
		func() (any, error) {
			return r.eng.CreateTransaction(r.ctx, commission.TransactionInput{Key: "t1", Customer: commission.CustomerInput{Key: "c1"},
				Products: []commission.ProductLine{line("a"), line("b"), line("c")}})
		},
		func() (any, error) {
			return r.eng.CreateTransaction(r.ctx, commission.TransactionInput{Key: "t2", Amount: Dec("99.99"), Customer: commission.CustomerInput{Key: "c1"}})
		},
		func() (any, error) {
			return r.eng.RefundTransaction(r.ctx, "t2", commission.RefundInput{Key: "r1", Amount: Dec("33.33")})
		},
	}
	for i, step := range steps {
		v, err := step()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if f := r.do("", v, nil); f != nil {
			t.Fatalf("step %d: %s: %v", i, f.property, f.err)
		}
	}
	if n := len(r.transaction("t1").Rewards); n != 4 {
		t.Fatalf("t1 has %d rewards, want 3 lines and a goal bonus", n)
	}
	return r
}

// Each invariant fails on state that breaks it: the checks are not
// vacuous.
func TestInvariantsCatchBrokenState(t *testing.T) {
	for _, c := range []struct {
		name  string
		check func(*View) error
		spoil func(r *runner)
	}{
		{RoundedPartsAddUp, checkRounding, func(r *runner) { r.transaction("t1").Rewards[2].Amount = d("1.01") }},
		{RefundsNetToZero, checkRefunds, func(r *runner) { r.transaction("t2").Rewards[0].Reversed = d("3") }},
		{RefundsNetToZero + " (deleted)", checkRefunds, func(r *runner) { r.transaction("t2").State = commission.TransactionDeleted }},
		{BalancesEqualTheEntries, checkBalances, func(r *runner) { r.transaction("t2").Rewards[0].Reversed = d("3") }},
		{CapsNeverExceeded + " (per reward)", checkCaps, func(r *runner) { r.transaction("t2").Rewards[0].Amount = d("100.01") }},
		{CapsNeverExceeded + " (month)", checkCaps, func(r *runner) {
			r.transaction("t1").Rewards[3].Amount, r.transaction("t2").Rewards[0].Amount = d("99"), d("99")
		}},
		{GoalsPaidOnce, checkGoals, func(r *runner) {
			t1, t2 := r.transaction("t1"), r.transaction("t2")
			t2.Rewards = append(t2.Rewards, t1.Rewards[3])
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := sanityRunner(t)
			if err := c.check(r.view()); err != nil {
				t.Fatalf("fails before it is broken: %v", err)
			}
			c.spoil(r)
			err := c.check(r.view())
			if err == nil {
				t.Fatal("holds on broken state")
			}
			t.Log(err)
		})
	}
}
