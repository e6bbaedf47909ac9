package memstore_test

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// BenchmarkMillionSales measures a store holding a large history:
// 1,000,000 sales by 10,000 customers, stored through the engine. It
// reports the heap the store holds per stored sale (heap in use after a
// collection, less what was in use before the store) and the time of each
// further sale, the collections that its garbage causes included: run it
// for enough sales to see several (-benchtime 1000000x). It is what the
// codec is for: kept as structs, the sales held 2.5 times the memory and
// each sale took about twice as long (see codec.go).
func BenchmarkMillionSales(b *testing.B) {
	const sales, customers = 1_000_000, 10_000
	ctx := b.Context()
	before := heapInuse()
	eng, err := commission.New(memstore.New(), commission.Program{
		ID: "prog", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(30))},
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner"}); err != nil {
		b.Fatal(err)
	}
	customerKeys := make([]string, customers)
	for c := range customerKeys {
		customerKeys[c] = "c" + strconv.Itoa(c)
		in := commission.CustomerInput{Key: customerKeys[c], Partner: &commission.PartnerRef{Key: "partner"}}
		if _, err := eng.CreateCustomer(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	amount := decimal.RequireFromString("99.99")
	start := time.Now()
	batch := make([]commission.TransactionInput, 0, 1000)
	for i := range sales {
		batch = append(batch, commission.TransactionInput{Key: "h" + strconv.Itoa(i), Amount: &amount,
			Customer: commission.CustomerInput{Key: customerKeys[i%customers]}})
		if len(batch) == cap(batch) {
			if _, err := eng.CreateTransactions(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	seeding := time.Since(start)
	held := heapInuse() - before

	in := commission.TransactionInput{Amount: &amount}
	var gcs runtime.MemStats
	runtime.ReadMemStats(&gcs)
	firstGC := gcs.NumGC
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		in.Key, in.Customer.Key = "s"+strconv.Itoa(i), customerKeys[i%customers]
		tx, err := eng.CreateTransaction(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if len(tx.Rewards) != 1 {
			b.Fatalf("%d rewards", len(tx.Rewards))
		}
		i++
	}
	runtime.ReadMemStats(&gcs)
	// After the loop: b.Loop's first call deletes metrics reported before.
	b.ReportMetric(float64(gcs.NumGC-firstGC), "GCs")
	b.ReportMetric(float64(seeding.Nanoseconds())/sales, "seed-ns/sale")
	b.ReportMetric(float64(held)/sales, "heap-B/sale")
}

// heapInuse returns the bytes of heap in use once a collection has freed
// what it can.
func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
