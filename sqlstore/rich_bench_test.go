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
// SQL stores: a sale on a program that uses commission periods,
// multi-level and partner spend caps together, after 1,000 and after
// 1,000,000 prior sales, alternately within one run. Both have the same
// shape: every customer has about richPerCustomer prior sales (10
// customers, and 10,000), and the timed sales go round them. Its cost
// must not grow with the program's history (1M/1k):
//
//	go test -run '^$' -bench RichProgram -benchtime 2000x -count 5 -timeout 120m ./sqlstore
//
// Each database is seeded once per process (the million sales take
// about 7 minutes on SQLite and 17 on PostgreSQL) and kept for the later
// runs (growing b.N, -count), which go on where the earlier ones stopped.
func BenchmarkRichProgram(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.String(), func(sub *testing.B) {
			small, large := richSeed(sub, d, 1_000), richSeed(sub, d, 1_000_000)
			ns := alternateN(sub, small.sale(sub), large.sale(sub))
			reportTwins(sub, ns, "1k", "1M")
		})
	}
}

// richPerCustomer is how many prior sales each customer has.
const richPerCustomer = 100

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
	eng       *commission.Engine
	customers int
	// sales is how many sales the timed loops have recorded so far.
	sales int
}

var richCache struct {
	sync.Mutex
	m map[string]*richSeeded
}

// sale returns the next timed sale, round the customers as the prior
// ones went, which checks that it earns its three rewards.
func (s *richSeeded) sale(b *testing.B) func(int) {
	ctx := context.Background()
	amount := benchAmountDec
	return func(int) {
		s.sales++
		in := commission.TransactionInput{Key: "sale_" + strconv.Itoa(s.sales), Amount: &amount,
			Customer: commission.CustomerInput{Key: "c" + strconv.Itoa(s.sales%s.customers)}}
		tx, err := s.eng.CreateTransaction(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if len(tx.Rewards) != 3 {
			b.Fatalf("%d rewards", len(tx.Rewards))
		}
	}
}

// richSeed returns the engine on a database of dialect d seeded with prior
// sales through the engine's CreateTransactions, seeding it on first use
// (skipping b when the database is not configured). The database lasts
// until the process ends.
func richSeed(b *testing.B, d sqlstore.Dialect, prior int) *richSeeded {
	b.Helper()
	richCache.Lock()
	defer richCache.Unlock()
	name := d.String() + "-" + strconv.Itoa(prior)
	if s := richCache.m[name]; s != nil {
		return s
	}
	ctx := context.Background()
	start := time.Now()
	tb := lastingTB{TB: b}
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
	customers := prior / richPerCustomer
	for c := range customers {
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
			Customer: commission.CustomerInput{Key: "c" + strconv.Itoa(i%customers)}})
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
	b.Logf("seeded %d prior sales over %d customers in %v", prior, customers, time.Since(start).Round(time.Millisecond))
	s := &richSeeded{eng: eng, customers: customers}
	if richCache.m == nil {
		richCache.m = map[string]*richSeeded{}
	}
	richCache.m[name] = s
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
