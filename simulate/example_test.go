package simulate_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/simulate"
)

// What would the partners have earned had the program paid 15% instead
// of 10%, with 25% on the "pro" plan?
func ExampleRun() {
	ctx := context.Background()
	store := memstore.New()
	day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return day }
	eng, err := commission.New(store, commission.Program{
		ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Version: "v1", Default: commission.Percent(decimal.RequireFromString("10"))},
	}, commission.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	must(eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice"}))
	must(eng.CreatePartner(ctx, commission.PartnerInput{Key: "bob"}))
	must(eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c1", Partner: &commission.PartnerRef{Key: "alice"}}))
	must(eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c2", Partner: &commission.PartnerRef{Key: "bob"}}))
	for i, sale := range []struct{ customer, product, amount string }{
		{"c1", "basic", "100.00"}, {"c2", "pro", "400.00"}, {"c1", "pro", "50.00"},
	} {
		day = day.Add(time.Hour)
		amount := decimal.RequireFromString(sale.amount)
		must(eng.CreateTransaction(ctx, commission.TransactionInput{
			Key: fmt.Sprintf("sale-%d", i+1), Amount: &amount,
			ProductID: sale.product, Customer: commission.CustomerInput{Key: sale.customer},
		}))
	}

	candidate := commission.RuleSet{Version: "v2", Default: commission.Percent(decimal.RequireFromString("15")),
		Products: []commission.ProductRule{{ProductID: "pro", Commission: commission.Percent(decimal.RequireFromString("25"))}}}
	rep, err := simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: candidate})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d sales under %s\n", rep.Sales, rep.RuleVersion)
	for _, t := range rep.Totals {
		fmt.Println(t.Beneficiary.Key, t.Units, t.Old, "->", t.New, t.Difference)
	}
	for _, c := range rep.Changes {
		fmt.Println(c.TransactionKey, c.Old, "->", c.New)
	}
	// Output:
	// 3 sales under v2
	// alice USD 15 -> 27.5 12.5
	// bob USD 40 -> 100 60
	// sale-2 40 -> 100
	// sale-3 5 -> 12.5
	// sale-1 10 -> 15
}

func must[T any](_ T, err error) {
	if err != nil {
		log.Fatal(err)
	}
}
