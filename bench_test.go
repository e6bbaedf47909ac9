package commission_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// BenchmarkSale measures one sale by an existing customer on a 30%
// program, with the engine's real clock and id generator. The rules
// variant alternates, within one run, a sale on a program with one
// product rule and one on a program with 10,000, each of a product its
// rule names: rule lookup must not grow with their number (10000/1).
func BenchmarkSale(b *testing.B) {
	b.Run("memstore", func(b *testing.B) {
		sale := saleOn(b, percentProgram(commission.Affiliate, "30"), "")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sale(i)
		}
	})
	b.Run("memstore-rules", func(b *testing.B) {
		one, many := productRuleProgram(1), productRuleProgram(10_000)
		ns := alternate(b, 64, saleOn(b, one, "prod_0"), saleOn(b, many, "prod_5000"))
		reportTwins(b, ns, "1rule", "10000rules")
	})
}

// productRuleProgram is a 10% program with n product rules of 30%, prod_0 to
// prod_<n-1>.
func productRuleProgram(n int) commission.Program {
	p := percentProgram(commission.Affiliate, "10")
	for i := range n {
		p.Rules.Products = append(p.Rules.Products, commission.ProductRule{
			ProductID: "prod_" + strconv.Itoa(i), Commission: commission.Percent(dec("30")),
		})
	}
	return p
}

// saleOn returns the i-th sale of product (none when empty) by
// customer_123 on a new engine of program p, which checks that it earns
// one reward of 30%.
func saleOn(b *testing.B, p commission.Program, product string) func(int) {
	ctx := context.Background()
	eng, err := commission.New(memstore.New(), p)
	if err != nil {
		b.Fatal(err)
	}
	affiliateSetup(b, eng)
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "sale_" + strconv.Itoa(i)
	}
	in := commission.TransactionInput{Amount: decp("99.99"), ProductID: product, Customer: commission.CustomerInput{Key: "customer_123"}}
	want := dec("29.997")
	return func(i int) {
		in.Key = keys[i]
		tx, err := eng.CreateTransaction(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if len(tx.Rewards) != 1 || !tx.Rewards[0].Amount.Equal(want) {
			b.Fatalf("rewards %v, want one of %s", tx.Rewards, want)
		}
	}
}

// BenchmarkRichProgram measures a sale on a program that uses dynamic
// tiers, commission periods, multi-level and spend caps together, after
// 1,000 and after 1,000,000 prior sales, alternately within one run (two
// engines, each seeded once per process): its cost must not grow with
// the program's history (1M/1k). Both have the same shape: every
// customer has about 100 prior sales (10 customers, and 10,000), and the
// timed sales go round them.
//
//	go test -run '^$' -bench RichProgram -benchtime 20000x -count 5 .
func BenchmarkRichProgram(b *testing.B) {
	b.Run("memstore", func(b *testing.B) {
		if testing.Short() {
			b.Skip("seeds 1,000,000 sales")
		}
		small, large := richSeeded(b, 1_000), richSeeded(b, 1_000_000)
		ns := alternate(b, 64, small.sale(b), large.sale(b))
		reportTwins(b, ns, "1k", "1M")
	})
}

const richPerCustomer = 100

// rich is an engine of the rich program seeded with prior sales.
type rich struct {
	eng       *commission.Engine
	customers int
	n         int // timed sales so far
}

var richCache = map[int]*rich{}

// sale returns the next timed sale, round the customers, which checks
// that it earns its three rewards.
func (r *rich) sale(b *testing.B) func(int) {
	ctx := context.Background()
	amount := dec("99.99")
	return func(int) {
		r.n++
		in := commission.TransactionInput{Key: "sale_" + strconv.Itoa(r.n), Amount: &amount,
			Customer: commission.CustomerInput{Key: "c" + strconv.Itoa(r.n%r.customers)}}
		tx, err := r.eng.CreateTransaction(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if len(tx.Rewards) != 3 {
			b.Fatalf("%d rewards", len(tx.Rewards))
		}
	}
}

// richProgram uses dynamic tiers, commission periods, two levels and
// spend caps.
func richProgram() commission.Program {
	p := percentProgram(commission.Affiliate, "40")
	p.Rules.Default = commission.Percent(dec("40")).For(commission.Months(3)).Then(commission.Percent(dec("20")))
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("10")), commission.Percent(dec("5"))}
	p.Rules.Tiers = []commission.Tier{
		{When: []commission.Condition{{Metric: commission.MetricCustomers, Above: decp("20")}}, Commission: commission.Percent(dec("45")).For(commission.Months(3)).Then(commission.Percent(dec("20")))},
		{When: []commission.Condition{{Metric: commission.MetricRevenue, Months: 3, AtLeast: decp("1000000000")}}, Commission: commission.Percent(dec("50"))},
	}
	p.Rules.Caps = commission.Caps{PerReward: decp("1000"), Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("1000000000")}}}
	return p
}

// richSeeded returns an engine of richProgram whose seller has prior
// sales by prior/richPerCustomer customers, seeded once per process.
func richSeeded(b *testing.B, prior int) *rich {
	if r := richCache[prior]; r != nil {
		return r
	}
	ctx := context.Background()
	eng, err := commission.New(memstore.New(), richProgram())
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range []commission.PartnerInput{{Key: "top"}, {Key: "mid", ReferringPartner: &commission.PartnerRef{Key: "top"}},
		{Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "mid"}}} {
		if _, err := eng.CreatePartner(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	r := &rich{eng: eng, customers: prior / richPerCustomer}
	for c := range r.customers {
		if _, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(c), Partner: &commission.PartnerRef{Key: "seller"}}); err != nil {
			b.Fatal(err)
		}
	}
	amount := dec("99.99")
	batch := make([]commission.TransactionInput, 0, commission.MaxBulk)
	for i := range prior {
		batch = append(batch, commission.TransactionInput{Key: "p" + strconv.Itoa(i), Amount: &amount,
			Customer: commission.CustomerInput{Key: "c" + strconv.Itoa(i%r.customers)}})
		if len(batch) == cap(batch) || i == prior-1 {
			if _, err := eng.CreateTransactions(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	richCache[prior] = r
	return r
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
