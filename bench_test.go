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
