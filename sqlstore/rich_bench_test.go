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

// BenchmarkRichProgram is the root package's BenchmarkRichProgram on the
// SQL stores: a sale on a program that uses commission periods, multi-level
// and partner spend caps together, after 1,000 and after 1,000,000 prior
// sales spread over richCustomers customers. Its cost must not grow with
// the program's history:
//
//	go test -run '^$' -bench RichProgram -benchtime 2000x ./sqlstore
//
// Each database is seeded once per process, the first time one of its
// sub-benchmarks runs, and kept for the later runs (growing b.N, -count),
// which go on where the earlier ones stopped: the history grows by the
// timed sales too, by a few thousand, which is noise beside 1,000,000.
func BenchmarkRichProgram(b *testing.B) {
	for _, d := range []sqlstore.Dialect{sqlstore.Postgres, sqlstore.SQLite} {
		for _, prior := range []int{1_000, 1_000_000} {
			b.Run(d.String()+"-"+strconv.Itoa(prior)+"prior", func(sub *testing.B) {
				benchmarkRichSale(sub, b, d, prior)
			})
		}
	}
}

// richCustomers is how many customers the prior and timed sales go round.
const richCustomers = 10_000

// richProgram is the program of BenchmarkRichProgram: 40% for the first 3
// months of a customer, then 20%, or 45% then 20% once the partner has
// more than 20 customers (a dynamic tier), and a tier on three months of
// revenue; two levels above the selling partner;
// a cap per reward and a monthly spend limit per partner (both too high to
// clamp these sales, but read, locked and counted on every one).
func richProgram() commission.Program {
	pct := func(s string) commission.Commission { return commission.Percent(decimal.RequireFromString(s)) }
	perReward := decimal.RequireFromString("1000")
	return commission.Program{
		ID: benchProgram, Kind: commission.Affiliate, Currency: benchUnits,
		Rules: commission.RuleSet{
			Default: pct("40").For(commission.Months(3)).Then(pct("20")),
			Levels:  []commission.Commission{pct("10"), pct("5")},
			// Tiers read the partner's customers (all time) and revenue
			// (three months) on every sale.
			Tiers: []commission.Tier{
				{When: []commission.Condition{{Metric: commission.MetricCustomers, Above: decp("20")}}, Commission: pct("45").For(commission.Months(3)).Then(pct("20"))},
				{When: []commission.Condition{{Metric: commission.MetricRevenue, Months: 3, AtLeast: decp("1000000000")}}, Commission: pct("50")},
			},
			Caps: commission.Caps{
				PerReward: &perReward,
				Partner:   []commission.SpendLimit{{Period: commission.CapMonth, Amount: decimal.RequireFromString("1000000000")}},
			},
		},
	}
}

// richSeeded is a seeded database's engine, kept across runs.
type richSeeded struct {
	eng *commission.Engine
	// sales is how many sales the timed loops have recorded so far: the
	// next run's keys start after them.
	sales int
}

var richCache struct {
	sync.Mutex
	m map[string]*richSeeded
}

func benchmarkRichSale(b, parent *testing.B, d sqlstore.Dialect, prior int) {
	ctx := context.Background()
	s := richSeed(b, parent, d, prior)
	keys := make([]string, b.N)
	customerKeys := make([]string, b.N)
	for i := range keys {
		n := s.sales + i
		keys[i] = "sale_" + strconv.Itoa(n)
		customerKeys[i] = "c" + strconv.Itoa(n%richCustomers)
	}
	defer func() { s.sales += b.N }() // also after a failure: its keys may be taken
	amount := benchAmountDec
	in := commission.TransactionInput{Amount: &amount}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Sales go round the customers, as the prior ones did: a sale's
		// cost may grow with its customer's history, not the program's.
		in.Key, in.Customer.Key = keys[i], customerKeys[i]
		tx, err := s.eng.CreateTransaction(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if len(tx.Rewards) != 3 {
			b.Fatalf("%d rewards", len(tx.Rewards))
		}
	}
	b.StopTimer()
	reportSales(b, b.N)
}

// lastingTB is a sub-benchmark's testing.TB whose Cleanup and TempDir are
// its parent's: the testing package runs a sub-benchmark's cleanups after
// each of its runs, and a seeded database must outlive them. It fails and
// skips the sub-benchmark, on the sub-benchmark's goroutine.
type lastingTB struct {
	testing.TB
	parent testing.TB
}

func (t lastingTB) Cleanup(f func()) { t.parent.Cleanup(f) }
func (t lastingTB) TempDir() string  { return t.parent.TempDir() }

// richSeed returns the engine on a database of dialect d seeded with prior
// sales through the engine's CreateTransactions, seeding it on first use
// (skipping b when the database is not configured). The database lasts
// until parent ends.
func richSeed(b, parent *testing.B, d sqlstore.Dialect, prior int) *richSeeded {
	b.Helper()
	richCache.Lock()
	defer richCache.Unlock()
	name := d.String() + "-" + strconv.Itoa(prior)
	if s := richCache.m[name]; s != nil {
		return s
	}
	ctx := context.Background()
	start := time.Now()
	tb := lastingTB{TB: b, parent: parent}
	store := newDatabase(tb, d).open(tb)
	eng, err := commission.New(store, richProgram())
	require.NoError(b, err)
	// A chain of three partners: the seller's sales pay it and the two
	// levels above.
	for _, p := range []commission.PartnerInput{
		{Key: "top"},
		{Key: "mid", ReferringPartner: &commission.PartnerRef{Key: "top"}},
		{Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "mid"}},
	} {
		_, err := eng.CreatePartner(ctx, p)
		require.NoError(b, err)
	}
	for c := range richCustomers {
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{
			Key: "c" + strconv.Itoa(c), Partner: &commission.PartnerRef{Key: "seller"}})
		require.NoError(b, err)
	}
	// Bulks of bulkSize sales going round the customers, from one
	// goroutine: two bulks at once take no less time, as every bulk locks
	// the same counters (the seller's metrics, the three partners' spend)
	// from its first sale until it commits, and so waits for the other.
	amount := benchAmountDec
	ins := make([]commission.TransactionInput, 0, bulkSize)
	bulks := 0
	for i := range prior {
		ins = append(ins, commission.TransactionInput{Key: "p" + strconv.Itoa(i), Amount: &amount,
			Customer: commission.CustomerInput{Key: "c" + strconv.Itoa(i%richCustomers)}})
		if len(ins) < cap(ins) && i < prior-1 {
			continue
		}
		txs, err := eng.CreateTransactions(ctx, ins)
		require.NoError(b, err)
		for _, tx := range txs {
			if len(tx.Rewards) != 3 {
				b.Fatalf("prior sale %s earned %d rewards, want 3", tx.Key, len(tx.Rewards))
			}
		}
		ins = ins[:0]
		// On PostgreSQL, statistics as the tables grow, as autovacuum
		// would gather them (it may be off on a test server): after
		// bulks 1, 2, 4, 8... A statement's generic plan, made once the
		// connection has run it a few times, is kept until its tables are
		// analyzed; one made on the near-empty tables of the first bulk
		// can read all of the program's transactions (or counters) to find
		// one customer's (measured: each bulk a second slower than the last).
		if bulks++; d == sqlstore.Postgres && bulks&(bulks-1) == 0 {
			richAnalyze(b, store)
		}
	}
	if d == sqlstore.Postgres {
		// Autovacuum analyzes the new rows only some time later: ANALYZE
		// now, so that the planner has statistics on them before the
		// sales are timed, as it would on a database in use.
		richAnalyze(b, store)
	}
	b.Logf("seeded %d prior sales over %d customers in %v", prior, richCustomers, time.Since(start).Round(time.Millisecond))
	s := &richSeeded{eng: eng}
	if richCache.m == nil {
		richCache.m = map[string]*richSeeded{}
	}
	richCache.m[name] = s
	parent.Cleanup(func() {
		richCache.Lock()
		defer richCache.Unlock()
		delete(richCache.m, name)
	})
	return s
}

func decp(v string) *decimal.Decimal {
	d := decimal.RequireFromString(v)
	return &d
}

// richAnalyze gathers PostgreSQL's statistics on every table of the store.
func richAnalyze(b *testing.B, store *sqlstore.Store) {
	b.Helper()
	_, err := store.DB().ExecContext(context.Background(), "ANALYZE commission_partners, commission_customers, "+
		"commission_transactions, commission_rewards, commission_counters")
	require.NoError(b, err)
}
