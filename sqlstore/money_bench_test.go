package sqlstore_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// The money lifecycle's benchmarks on every store, the memory store too. Each compares two
// operations within one run, alternating them one by one, and reports
// each one's time per operation and their ratio: a machine whose speed
// swings between runs then slows both alike, and the ratio holds.
//
//	go test -run '^$' -bench 'Refund' -benchtime 1000x -count 5 ./sqlstore
//	go test -run '^$' -bench 'Refund/memstore' -benchtime 20000x -count 20 ./sqlstore
//	go test -run '^$' -bench 'Balance/postgres' -benchtime 3000x -count 5 -timeout 90m ./sqlstore
//	go test -run '^$' -bench 'Payout' -benchtime 5x -count 5 ./sqlstore
//
// BenchmarkBalance seeds a partner with 1,000,000 rewards through the
// engine's CreateTransactions first (measured on a 2-core machine: about
// 2 minutes on PostgreSQL, 6 when the machine is busy; 3 on SQLite; 7 on
// MariaDB); BenchmarkPayout one with 10,000. Seeded databases are
// kept for the rest of the process (later b.N, -count). Nothing is seeded
// without -bench, and under -short the 1,000,000 is skipped.

// BenchmarkBalance reads the balance of a partner with 1,000 rewards and
// of one with 1,000,000, alternately, from two stores of a kind: a
// balance is read from counters and the rewards still in review, so the
// two must cost the same (ns/op-1M within 1.5× of ns/op-1k).
func BenchmarkBalance(b *testing.B) {
	for _, name := range benchStores() {
		b.Run(name, func(sub *testing.B) {
			if testing.Short() {
				sub.Skip("seeds 1,000,000 rewards")
			}
			small, large := moneySeed(sub, name, 1_000), moneySeed(sub, name, 1_000_000)
			ctx := context.Background()
			who := commission.Beneficiary{Key: benchPartner}
			read := func(eng *commission.Engine) func(int) {
				return func(int) {
					if _, err := eng.Balance(ctx, who, ""); err != nil {
						sub.Fatal(err)
					}
				}
			}
			// Warm both pools and statement caches.
			read(small)(0)
			read(large)(0)
			ns := alternateN(sub, read(small), read(large))
			reportTwins(sub, ns, "1k", "1M")
		})
	}
}

// BenchmarkRefund alternates a sale (timed) and a partial refund (10.00
// of 99.99) of the sale before it (timed apart), on a database that holds
// 1,000 sales already: a refund must cost within 1.5× of a sale
// (ns/op-refund against ns/op-sale).
func BenchmarkRefund(b *testing.B) {
	for _, name := range benchStores() {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			store, db := openBenchStore(b, name)
			eng := benchEngine(b, store)
			benchSetup(b, eng)
			prior := make([]commission.TransactionInput, bulkSize)
			for i := range prior {
				prior[i] = benchInput("prior_" + strconv.Itoa(i))
			}
			require.NoError(b, engineBulk(ctx, eng, prior))
			if name == sqlstore.Postgres.String() {
				richAnalyze(b, db)
			}
			part := decimal.RequireFromString("10.00")
			refundOf := func(key, refundKey string) error {
				r, err := eng.RefundTransaction(ctx, key, commission.RefundInput{Key: refundKey, Amount: &part})
				if err == nil && len(r.Entries) != 1 {
					b.Fatalf("refund of %s: %d entries", key, len(r.Entries))
				}
				return err
			}
			// Warm the pool and the statement caches with both.
			require.NoError(b, engineSale(ctx, eng, "warmup_0"))
			require.NoError(b, refundOf("prior_0", "warmup_refund"))
			require.NoError(b, engineSale(ctx, eng, "warmup"))
			sales := benchKeys("sale_", b.N)
			refunds := benchKeys("refund_", b.N)
			sale := func(i int) {
				if err := engineSale(ctx, eng, sales[i]); err != nil {
					b.Fatal(err)
				}
			}
			// Iteration i refunds the sale of iteration i-1 (the warm-up
			// sale first), made whichever of the two ran first then.
			refund := func(i int) {
				of := "warmup"
				if i > 0 {
					of = sales[i-1]
				}
				if err := refundOf(of, refunds[i]); err != nil {
					b.Fatal(err)
				}
			}
			ns := alternateN(b, sale, refund)
			reportTwins(b, ns, "sale", "refund")
		})
	}
}

// BenchmarkPayout times a payout of the 10,000 rewards of one partner
// (ns/op); each is canceled, untimed, so that the next gathers them again
// (ns/cancel).
func BenchmarkPayout(b *testing.B) {
	for _, name := range benchStores() {
		b.Run(name+"-10000rewards", func(sub *testing.B) {
			eng := moneySeed(sub, name, 10_000)
			ctx := context.Background()
			in := commission.PayoutInput{Beneficiary: commission.Beneficiary{Key: benchPartner}}
			var cancel time.Duration
			sub.ReportAllocs()
			sub.ResetTimer()
			for i := 0; i < sub.N; i++ {
				po, err := eng.CreatePayout(ctx, in)
				if err != nil {
					sub.Fatal(err)
				}
				sub.StopTimer()
				if len(po.RewardIDs) != 10_000 {
					sub.Fatalf("a payout of %d rewards", len(po.RewardIDs))
				}
				start := time.Now()
				if _, err := eng.CancelPayout(ctx, po.ID); err != nil {
					sub.Fatal(err)
				}
				cancel += time.Since(start)
				sub.StartTimer()
			}
			sub.ReportMetric(float64(cancel.Nanoseconds())/float64(sub.N), "ns/cancel")
		})
	}
}

var moneyCache struct {
	sync.Mutex
	m map[string]*commission.Engine
}

// moneySeed returns an engine on a new store named as benchStores names
// it whose partner
// has n rewards of 29.997 USD, earned (no review period) and unpaid: n
// sales of 99.99 by its customer, recorded in bulks of bulkSize. It is
// seeded on first use (skipping b when the database is not configured)
// and lasts until the process ends.
func moneySeed(b *testing.B, name string, n int) *commission.Engine {
	b.Helper()
	moneyCache.Lock()
	defer moneyCache.Unlock()
	cached := name + "-" + strconv.Itoa(n)
	if eng := moneyCache.m[cached]; eng != nil {
		return eng
	}
	ctx := context.Background()
	start := time.Now()
	store, db := openBenchStore(b, name)
	pg := name == sqlstore.Postgres.String()
	eng := benchEngine(b, store)
	benchSetup(b, eng)
	ins := make([]commission.TransactionInput, 0, bulkSize)
	bulks := 0
	for i := range n {
		ins = append(ins, benchInput("s"+strconv.Itoa(i)))
		if len(ins) < cap(ins) && i < n-1 {
			continue
		}
		require.NoError(b, engineBulk(ctx, eng, ins))
		ins = ins[:0]
		// On PostgreSQL, statistics as the tables grow (see richSeed).
		if bulks++; pg && bulks&(bulks-1) == 0 {
			richAnalyze(b, db)
		}
	}
	if pg {
		richAnalyze(b, db)
	}
	bal, err := eng.Balance(ctx, commission.Beneficiary{Key: benchPartner}, "")
	require.NoError(b, err)
	want := decimal.RequireFromString(benchReward).Mul(decimal.NewFromInt(int64(n)))
	if !bal.NotPaid.Equal(want) || !bal.Pending.IsZero() {
		b.Fatalf("seeded balance: not paid %s, pending %s; want %s, 0", bal.NotPaid, bal.Pending, want)
	}
	b.Logf("seeded %d rewards on %s in %v", n, name, time.Since(start).Round(time.Millisecond))
	if moneyCache.m == nil {
		moneyCache.m = map[string]*commission.Engine{}
	}
	moneyCache.m[cached] = eng
	return eng
}
