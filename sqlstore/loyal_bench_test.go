package sqlstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
)

// BenchmarkLoyalCustomer times a sale by a customer with about 10, 1,000
// and 30,000 earlier sales, in turn within one run, under a rule that
// depends on the customer's history (40% of its first two sales, 20%
// after): a sale's cost must not grow with its customer's history
// (ns/op-30k within 1.5× of ns/op-10, the 30k/10 column).
//
//	go test -run '^$' -bench LoyalCustomer -benchtime 2000x -count 5 -timeout 60m ./sqlstore
//
// The 10 case takes its customers in turn from a pool of loyalPool, each
// seeded with 10 sales, so that they keep about 10 as the benchmark adds
// its own. Seeding (51,000 sales through the engine's bulks) happens once
// per store and process.
func BenchmarkLoyalCustomer(b *testing.B) {
	for _, name := range benchStores() {
		b.Run(name, func(sub *testing.B) {
			l := loyalSeed(sub, name)
			ctx := context.Background()
			sale := func(customer func(int) string) func(int) {
				return func(i int) {
					l.n++
					key := "timed_" + strconv.Itoa(l.n)
					tx, err := l.eng.CreateTransaction(ctx, commission.TransactionInput{Key: key, Amount: &loyalAmount,
						Customer: commission.CustomerInput{Key: customer(i)}})
					if err != nil {
						sub.Fatal(err)
					}
					if len(tx.Rewards) != 1 || !tx.Rewards[0].Amount.Equal(loyalLater) {
						sub.Fatalf("sale %s: rewards %v, want one of %s", key, tx.Rewards, loyalLater)
					}
				}
			}
			few := func(i int) string { return "few_" + strconv.Itoa(i%loyalPool) }
			ns := alternateN(sub, sale(few),
				sale(func(int) string { return "loyal_1k" }), sale(func(int) string { return "loyal_30k" }))
			sub.ReportMetric(ns[0], "ns/op-10")
			sub.ReportMetric(ns[1], "ns/op-1k")
			sub.ReportMetric(ns[2], "ns/op-30k")
			sub.ReportMetric(ns[2]/ns[0], "30k/10")
		})
	}
}

const loyalPool = 2000

var (
	loyalAmount = decimal.RequireFromString("100")
	loyalLater  = decimal.RequireFromString("20") // 20% of a customer's third sale on
)

// loyal is a seeded engine and how many timed sales it has made.
type loyal struct {
	eng *commission.Engine
	n   int
}

var loyalCache = map[string]*loyal{}

// loyalSeed returns the engine on store name, seeded on first use
// (skipping b when the database is not configured): a partner, loyalPool
// customers with 10 sales each, one with 1,000 and one with 30,000, all
// dated in the last 60 days in order. The database lasts until the
// process ends.
func loyalSeed(b *testing.B, name string) *loyal {
	b.Helper()
	if l := loyalCache[name]; l != nil {
		return l
	}
	start := time.Now()
	store, db := openBenchStore(b, name)
	eng, err := commission.New(store, commission.Program{ID: benchProgram, Kind: commission.Affiliate, Currency: benchUnits,
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(40)).For(commission.Times(2)).
			Then(commission.Percent(decimal.NewFromInt(20)))}})
	require.NoError(b, err)
	ctx := context.Background()
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "loyal_partner"})
	require.NoError(b, err)
	counts := map[string]int{"loyal_1k": 1_000, "loyal_30k": 30_000}
	for i := range loyalPool {
		counts["few_"+strconv.Itoa(i)] = 10
	}
	for key := range counts {
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: key, Partner: &commission.PartnerRef{Key: "loyal_partner"}})
		require.NoError(b, err)
	}
	loyalSales(b, eng, counts)
	if db != nil && name == sqlstore.Postgres.String() {
		richAnalyze(b, db)
	}
	b.Logf("seeded %s in %v", name, time.Since(start).Round(time.Millisecond))
	l := &loyal{eng: eng}
	loyalCache[name] = l
	return l
}

// loyalSales records counts[key] sales of each customer key, in bulks of
// bulkSize dated one second apart over the last 60 days.
func loyalSales(b *testing.B, eng *commission.Engine, counts map[string]int) {
	b.Helper()
	var order []string
	for key, n := range counts {
		for range n {
			order = append(order, key)
		}
	}
	at := time.Now().Add(-60 * 24 * time.Hour)
	ins := make([]commission.TransactionInput, 0, bulkSize)
	for i, key := range order {
		created := at.Add(time.Duration(i) * time.Second)
		ins = append(ins, commission.TransactionInput{Key: "seed_" + strconv.Itoa(i), Amount: &loyalAmount, CreatedAt: &created,
			Customer: commission.CustomerInput{Key: key}})
		if len(ins) == cap(ins) || i == len(order)-1 {
			_, err := eng.CreateTransactions(context.Background(), ins)
			require.NoError(b, err)
			ins = ins[:0]
		}
	}
}
