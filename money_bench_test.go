package commission_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// The money lifecycle's benchmarks on the memory store. Each compares two
// operations within one run, alternating them, and reports each one's time
// per operation and their ratio: a machine whose speed swings between
// runs then slows both alike, and the ratio holds.
//
//	go test -run '^$' -bench 'Balance|Refund|Payout' -count 5 .
//
// BenchmarkBalance seeds a beneficiary with 1,000,000 rewards first (20
// seconds to a minute on a 2-core machine), once per process; none of them seeds anything without -bench,
// and under -short they are skipped.

// BenchmarkBalance reads the balance of a partner with 1,000 rewards and
// of one with 1,000,000, alternately, on two engines: a balance is read
// from counters, so the two must cost the same (ns/op-1M within 1.5× of
// ns/op-1k).
func BenchmarkBalance(b *testing.B) {
	b.Run("memstore", func(b *testing.B) {
		if testing.Short() {
			b.Skip("seeds 1,000,000 rewards")
		}
		small, large := moneySeeded(b, 1_000), moneySeeded(b, 1_000_000)
		ctx := context.Background()
		who := commission.Beneficiary{Key: "partner_123"}
		read := func(eng *commission.Engine) func(int) {
			return func(int) {
				if _, err := eng.Balance(ctx, who, ""); err != nil {
					b.Fatal(err)
				}
			}
		}
		// Blocks of reads, so that the clock's own cost is small beside
		// theirs.
		ns := alternate(b, 64, read(small), read(large))
		reportTwins(b, ns, "1k", "1M")
	})
}

// BenchmarkRefund alternates a sale (timed) and a partial refund of the
// sale before it (timed apart): a refund must cost within 1.5× of a sale
// (ns/op-refund against ns/op-sale).
func BenchmarkRefund(b *testing.B) {
	b.Run("memstore", func(b *testing.B) {
		ctx := context.Background()
		eng := moneyEngine(b)
		sales := moneyKeys("sale_", b.N)
		refunds := moneyKeys("refund_", b.N)
		amount := dec("99.99")
		part := dec("10.00")
		if _, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "warmup", Amount: &amount,
			Customer: commission.CustomerInput{Key: "customer_123"}}); err != nil {
			b.Fatal(err)
		}
		sale := func(i int) {
			tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: sales[i], Amount: &amount,
				Customer: commission.CustomerInput{Key: "customer_123"}})
			if err != nil {
				b.Fatal(err)
			}
			if len(tx.Rewards) != 1 {
				b.Fatalf("%d rewards", len(tx.Rewards))
			}
		}
		// Iteration i refunds the sale of iteration i-1 (the warm-up sale
		// first), made whichever of the two ran first then.
		refund := func(i int) {
			of := "warmup"
			if i > 0 {
				of = sales[i-1]
			}
			r, err := eng.RefundTransaction(ctx, of, commission.RefundInput{Key: refunds[i], Amount: &part})
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Entries) != 1 {
				b.Fatalf("%d entries", len(r.Entries))
			}
		}
		ns := alternate(b, 1, sale, refund)
		reportTwins(b, ns, "sale", "refund")
	})
}

// BenchmarkPayout times a payout of the 10,000 rewards of one partner
// (ns/op); each is canceled, untimed, so that the next gathers them again
// (ns/cancel).
func BenchmarkPayout(b *testing.B) {
	b.Run("memstore-10000rewards", func(b *testing.B) {
		eng := moneySeeded(b, 10_000)
		ctx := context.Background()
		in := commission.PayoutInput{Beneficiary: commission.Beneficiary{Key: "partner_123"}}
		var cancel time.Duration
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			po, err := eng.CreatePayout(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if len(po.RewardIDs) != 10_000 {
				b.Fatalf("a payout of %d rewards", len(po.RewardIDs))
			}
			start := time.Now()
			if _, err := eng.CancelPayout(ctx, po.ID); err != nil {
				b.Fatal(err)
			}
			cancel += time.Since(start)
			b.StartTimer()
		}
		b.ReportMetric(float64(cancel.Nanoseconds())/float64(b.N), "ns/cancel")
	})
}

// moneyEngine is an engine on a new memory store with the real clock, a
// 30% program, partner_123 and its customer_123.
func moneyEngine(tb testing.TB) *commission.Engine {
	tb.Helper()
	eng, err := commission.New(memstore.New(), percentProgram(commission.Affiliate, "30"))
	if err != nil {
		tb.Fatal(err)
	}
	affiliateSetup(tb, eng)
	return eng
}

var moneyCache struct {
	sync.Mutex
	m map[int]*commission.Engine
}

// moneySeeded returns an engine whose partner_123 has n rewards of 29.997
// USD, earned (no review period) and unpaid: n sales of 99.99 by
// customer_123, recorded in bulks of MaxBulk. It is seeded on first use
// and kept for the rest of the process (later b.N, -count).
func moneySeeded(b *testing.B, n int) *commission.Engine {
	b.Helper()
	moneyCache.Lock()
	defer moneyCache.Unlock()
	if eng := moneyCache.m[n]; eng != nil {
		return eng
	}
	start := time.Now()
	ctx := context.Background()
	eng := moneyEngine(b)
	amount := dec("99.99")
	ins := make([]commission.TransactionInput, 0, commission.MaxBulk)
	for i := range n {
		ins = append(ins, commission.TransactionInput{Key: "s" + strconv.Itoa(i), Amount: &amount,
			Customer: commission.CustomerInput{Key: "customer_123"}})
		if len(ins) < cap(ins) && i < n-1 {
			continue
		}
		if _, err := eng.CreateTransactions(ctx, ins); err != nil {
			b.Fatal(err)
		}
		ins = ins[:0]
	}
	bal, err := eng.Balance(ctx, commission.Beneficiary{Key: "partner_123"}, "")
	if err != nil {
		b.Fatal(err)
	}
	if want := dec("29.997").Mul(dec(strconv.Itoa(n))); !bal.NotPaid.Equal(want) || !bal.Pending.IsZero() {
		b.Fatalf("seeded balance: not paid %s, pending %s; want %s, 0", bal.NotPaid, bal.Pending, want)
	}
	b.Logf("seeded %d rewards in %v", n, time.Since(start).Round(time.Millisecond))
	if moneyCache.m == nil {
		moneyCache.m = map[int]*commission.Engine{}
	}
	moneyCache.m[n] = eng
	return eng
}

func moneyKeys(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = prefix + strconv.Itoa(i)
	}
	return keys
}

// alternate runs b.N iterations of two operations, a and b, in blocks of
// block iterations of each, swapping which runs first from one block to
// the next, and returns each one's time per iteration.
func alternate(b *testing.B, block int, opA, opB func(i int)) [2]float64 {
	var spent [2]time.Duration
	ops := [2]func(int){opA, opB}
	b.ReportAllocs()
	b.ResetTimer()
	for lo, turn := 0, 0; lo < b.N; lo, turn = lo+block, 1-turn {
		hi := min(lo+block, b.N)
		for k := range 2 {
			w := k ^ turn
			op := ops[w]
			start := time.Now()
			for i := lo; i < hi; i++ {
				op(i)
			}
			spent[w] += time.Since(start)
		}
	}
	b.StopTimer()
	return [2]float64{float64(spent[0].Nanoseconds()) / float64(b.N), float64(spent[1].Nanoseconds()) / float64(b.N)}
}

// reportTwins reports the two times per operation, as ns/op-<a> and
// ns/op-<b>, and b's over a's as <b>/<a>.
func reportTwins(b *testing.B, ns [2]float64, a, bName string) {
	b.ReportMetric(ns[0], "ns/op-"+a)
	b.ReportMetric(ns[1], "ns/op-"+bName)
	if ns[0] > 0 {
		b.ReportMetric(ns[1]/ns[0], bName+"/"+a)
	}
}
