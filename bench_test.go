package commission_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// BenchmarkSale measures one sale by an existing customer on a 30% program,
// with the engine's real clock and id generator. The -10000rules variant
// runs the same sale on a program with 10,000 product rules: rule lookup
// must not grow with their number.
func BenchmarkSale(b *testing.B) {
	b.Run("memstore", func(b *testing.B) { benchmarkSale(b, 1) })
	b.Run("memstore-10000rules", func(b *testing.B) { benchmarkSale(b, 10000) })
}

func benchmarkSale(b *testing.B, rules int) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	for i := 1; i < rules; i++ {
		p.Rules.Products = append(p.Rules.Products, commission.ProductRule{
			ProductID: "prod_" + strconv.Itoa(i), Commission: commission.Percent(dec("30")),
		})
	}
	eng, err := commission.New(memstore.New(), p)
	if err != nil {
		b.Fatal(err)
	}
	affiliateSetup(b, eng)
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "sale_" + strconv.Itoa(i)
	}
	in := commission.TransactionInput{
		Amount:    decp("99.99"),
		ProductID: "prod_" + strconv.Itoa(rules/2),
		Customer:  commission.CustomerInput{Key: "customer_123"},
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in.Key = keys[i]
		tx, err := eng.CreateTransaction(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if len(tx.Rewards) != 1 {
			b.Fatalf("%d rewards", len(tx.Rewards))
		}
	}
}

// BenchmarkRichProgram measures a sale on a program that uses dynamic
// tiers, commission periods, multi-level and spend caps together, after 1,000 and after
// 1,000,000 prior sales spread over 10,000 customers: its cost must not
// grow with the program's history.
func BenchmarkRichProgram(b *testing.B) {
	for _, prior := range []int{1_000, 1_000_000} {
		b.Run("memstore-"+strconv.Itoa(prior)+"prior", func(b *testing.B) { benchmarkRichSale(b, prior) })
	}
}

func benchmarkRichSale(b *testing.B, prior int) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "40")
	p.Rules.Default = commission.Percent(dec("40")).For(commission.Months(3)).Then(commission.Percent(dec("20")))
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("10")), commission.Percent(dec("5"))}
	p.Rules.Tiers = []commission.Tier{
		{When: []commission.Condition{{Metric: commission.MetricCustomers, Above: decp("20")}}, Commission: commission.Percent(dec("45")).For(commission.Months(3)).Then(commission.Percent(dec("20")))},
		{When: []commission.Condition{{Metric: commission.MetricRevenue, Months: 3, AtLeast: decp("1000000000")}}, Commission: commission.Percent(dec("50"))},
	}
	p.Rules.Caps = commission.Caps{PerReward: decp("1000"), Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("1000000000")}}}
	eng, err := commission.New(memstore.New(), p)
	if err != nil {
		b.Fatal(err)
	}
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "top"})
	if err != nil {
		b.Fatal(err)
	}
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "mid", ReferringPartner: &commission.PartnerRef{Key: "top"}})
	if err != nil {
		b.Fatal(err)
	}
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "mid"}})
	if err != nil {
		b.Fatal(err)
	}
	const customers = 10_000
	for c := range customers {
		if _, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(c), Partner: &commission.PartnerRef{Key: "seller"}}); err != nil {
			b.Fatal(err)
		}
	}
	amount := dec("99.99")
	batch := make([]commission.TransactionInput, 0, 1000)
	for i := 0; i < prior; i++ {
		batch = append(batch, commission.TransactionInput{Key: "p" + strconv.Itoa(i), Amount: &amount,
			Customer: commission.CustomerInput{Key: "c" + strconv.Itoa(i%customers)}})
		if len(batch) == cap(batch) || i == prior-1 {
			if _, err := eng.CreateTransactions(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "sale_" + strconv.Itoa(i)
	}
	customerKeys := make([]string, customers)
	for c := range customerKeys {
		customerKeys[c] = "c" + strconv.Itoa(c)
	}
	in := commission.TransactionInput{Amount: &amount}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Sales go round the customers, as the prior ones did: a sale's
		// cost may grow with its customer's history, not the program's.
		in.Key, in.Customer.Key = keys[i], customerKeys[i%customers]
		tx, err := eng.CreateTransaction(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if len(tx.Rewards) != 3 {
			b.Fatalf("%d rewards", len(tx.Rewards))
		}
	}
}
