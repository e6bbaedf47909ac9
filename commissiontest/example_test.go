package commissiontest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/commissiontest"
)

// A user's test of its own program: a partner never earns more than
// 1,000.00 USD in a month. Check fails the test with the smallest history
// that breaks it, and a regression test to paste.
func ExampleCheck() {
	program := commission.Program{ID: "shop", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Percent(decimal.NewFromInt(30)),
		Caps:    commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: decimal.NewFromInt(1000)}}},
	}}
	monthlyLimit := commissiontest.Property{
		Name: "a partner never earns more than 1,000.00 a month",
		Expr: "monthlyLimit", // its name in the test's package, for the regression test
		Check: func(v *commissiontest.View) error {
			for _, tx := range v.Step.Txs {
				for _, r := range tx.Rewards {
					if earned := v.EarnedIn(r.PartnerKey, "USD", r.CreatedAt); earned.GreaterThan(decimal.NewFromInt(1000)) {
						return fmt.Errorf("%s earned %s in %s", r.PartnerKey, earned, r.CreatedAt.Format("2006-01"))
					}
				}
			}
			return nil
		},
	}
	testMonthlyLimit := func(t *testing.T) {
		commissiontest.Check(t, program, commissiontest.Config{}, monthlyLimit)
	}
	_ = testMonthlyLimit // func TestMonthlyLimit(t *testing.T) in a _test.go file
}

// Run gives the failure to a test that expects one: here no reward may
// pay more than 50.00, and a 30% program breaks that on its first sale
// of more than 166.66.
func ExampleRun() {
	program := commission.Program{ID: "shop", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Percent(decimal.NewFromInt(30)),
	}}
	small := commissiontest.Property{Name: "no reward above 50.00", Check: func(v *commissiontest.View) error {
		for _, r := range v.Rewards() {
			if r.Amount.GreaterThan(decimal.NewFromInt(50)) {
				return fmt.Errorf("reward %s pays %s", r.ID, r.Amount)
			}
		}
		return nil
	}}
	f := commissiontest.Run(program, commissiontest.Config{}, small)
	fmt.Println(f.Property)
	fmt.Println(len(f.Steps) <= 4)
	// Output:
	// no reward above 50.00
	// true
}

// The regression test Check prints replays a history with a Replay: each
// step is checked against the invariants and the properties given.
func ExampleNewReplay() {
	testRegression := func(t *testing.T) {
		program := commission.Program{ID: "shop", Kind: commission.Affiliate, Currency: "USD",
			Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(30))}}
		r := commissiontest.NewReplay(t, program)
		ctx, eng := r.Context, r.Engine
		r.Do(eng.CreatePartner(ctx, commission.PartnerInput{Key: "p1"}))
		r.Do(eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c1", Partner: &commission.PartnerRef{Key: "p1"}}))
		r.Do(eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t1", Amount: commissiontest.Dec("100"),
			Customer: commission.CustomerInput{Key: "c1"}}))
		r.Advance(24 * time.Hour)
	}
	_ = testRegression
}
