package sqlstore_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/simulate"
	"github.com/commissionkit/commission/sqlstore"
)

// BenchmarkSimulate replays 1,000,000 stored sales (three rewards each:
// the seller and two levels above it) under candidate rules with
// periods, tiers, levels and caps (richProgram's, at other rates), on
// SQLite and PostgreSQL, and on the memory store, where reading costs
// next to nothing (the rule evaluation alone), alternately with its
// twin, which reads the same history page by page (StoreTx.Recorded) and
// replays nothing. It reports sales/s of each and their ratio:
//
//	go test -run '^$' -bench Simulate -benchtime 1x -count 5 -timeout 120m ./sqlstore
//
// COMMISSION_BENCH_SIM_SALES sets another number of sales. The database
// is seeded once per process, with the sales stored directly
// (StoreTx.InsertTransactions in bulks of 1,000): replaying does not
// depend on how they were computed.
func BenchmarkSimulate(b *testing.B) {
	n := simBenchSales(b)
	for _, name := range []string{"memstore", sqlstore.SQLite.String(), sqlstore.Postgres.String()} {
		b.Run(name, func(b *testing.B) {
			store, prog := simSeed(b, name, n)
			candidate := prog.Rules
			candidate.Version = "candidate"
			candidate.Default = commission.Percent(decimal.RequireFromString("35")).For(commission.Months(3)).Then(commission.Percent(decimal.RequireFromString("25")))
			ctx := context.Background()
			ns := alternateN(b, func(int) {
				rep, err := simulate.Run(ctx, store, prog, simulate.Options{Rules: candidate})
				require.NoError(b, err)
				require.EqualValues(b, n, rep.Replayed)
			}, func(int) {
				require.Equal(b, n, simReadAll(b, store))
			})
			b.ReportMetric(float64(n)/(ns[0]/1e9), "sales/s")
			b.ReportMetric(float64(n)/(ns[1]/1e9), "read-sales/s")
			b.ReportMetric(ns[0]/ns[1], "simulate/read")
		})
	}
}

func simBenchSales(b *testing.B) int {
	if v := os.Getenv("COMMISSION_BENCH_SIM_SALES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err)
		return n
	}
	return 1_000_000
}

// simReadAll walks a program's history as simulate does, and counts it.
func simReadAll(b *testing.B, store commission.Store) int {
	n := 0
	err := store.View(context.Background(), benchProgram, func(tx commission.StoreTx) error {
		var after int64
		for {
			page, err := tx.Recorded(context.Background(), after, 1000)
			if err != nil {
				return err
			}
			n += len(page)
			if len(page) < 1000 {
				return nil
			}
			after = page[len(page)-1].Seq
		}
	})
	require.NoError(b, err)
	return n
}

var simSeeded = map[string]commission.Store{}

// simSeed returns a store (memstore, or a database of that dialect)
// holding n sales of richProgram's chain of partners, over n/100
// customers, one a minute; seeded on first use and kept until the
// process ends.
func simSeed(b *testing.B, name string, n int) (commission.Store, commission.Program) {
	b.Helper()
	prog := richProgram()
	cached := name + "-" + strconv.Itoa(n)
	if s := simSeeded[cached]; s != nil {
		return s, prog
	}
	start := time.Now()
	store := simStore(b, name)
	eng, err := commission.New(store, prog, commission.WithClock(func() time.Time { return simStart }))
	require.NoError(b, err)
	var chain []*commission.Partner
	for _, p := range []commission.PartnerInput{
		{Key: "top"},
		{Key: "mid", ReferringPartner: &commission.PartnerRef{Key: "top"}},
		{Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "mid"}},
	} {
		created, err := eng.CreatePartner(context.Background(), p)
		require.NoError(b, err)
		chain = append(chain, created)
	}
	customers := max(n/richPerCustomer, 1)
	for c := range customers {
		_, err := eng.CreateCustomer(context.Background(), commission.CustomerInput{ID: "c" + strconv.Itoa(c),
			Key: "c" + strconv.Itoa(c), Partner: &commission.PartnerRef{Key: "seller"}})
		require.NoError(b, err)
	}
	for first := 0; first < n; first += bulkSize {
		batch := make([]*commission.Transaction, 0, bulkSize)
		for i := first; i < min(first+bulkSize, n); i++ {
			batch = append(batch, simSale(i, customers, chain))
		}
		require.NoError(b, store.Update(context.Background(), benchProgram, func(tx commission.StoreTx) error {
			return tx.InsertTransactions(context.Background(), batch)
		}))
	}
	if s, ok := store.(*sqlstore.Store); ok && name == sqlstore.Postgres.String() {
		richAnalyze(b, s)
	}
	b.Logf("seeded %d sales over %d customers in %v", n, customers, time.Since(start).Round(time.Millisecond))
	simSeeded[cached] = store
	return store, prog
}

// simStore opens an empty store: memstore, or a database of the dialect
// named, lasting until the process ends.
func simStore(b *testing.B, name string) commission.Store {
	if name == "memstore" {
		return memstore.New()
	}
	tb := lastingTB{TB: b}
	for _, d := range dialects {
		if d.String() == name {
			return newDatabase(tb, d).open(tb)
		}
	}
	b.Fatalf("no store %q", name)
	return nil
}

// simStart is when the seeded history begins.
var simStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// simSale is the i-th seeded sale: benchAmount, a minute after the one
// before, paying the seller 40% and the two partners above it 10% and 5%.
func simSale(i, customers int, chain []*commission.Partner) *commission.Transaction {
	key := "s" + strconv.Itoa(i)
	c := "c" + strconv.Itoa(i%customers)
	at := simStart.Add(time.Duration(i+1) * time.Minute)
	t := &commission.Transaction{Key: key, Action: commission.DefaultAction, Amount: benchAmountDec,
		AmountUnits: benchUnits, IsCurrency: true, Rewardable: true, Qualified: true,
		CustomerID: c, CustomerKey: c, PartnerID: chain[2].ID, PartnerKey: chain[2].Key,
		CreatedAt: at, State: commission.TransactionActive, Kind: commission.Affiliate}
	for level, pct := range []string{"40", "10", "5"} {
		p := chain[2-level]
		rate := decimal.RequireFromString(pct)
		t.Rewards = append(t.Rewards, commission.Reward{ID: key + "-" + strconv.Itoa(level), TransactionKey: key,
			Action: t.Action, Status: commission.RewardOK, PartnerID: p.ID, PartnerKey: p.Key,
			CustomerID: c, CustomerKey: c, Amount: benchAmountDec.Mul(rate).Div(decimal.NewFromInt(100)),
			AmountUnits: benchUnits, IsCurrency: true, CreatedAt: at, Kind: commission.Affiliate,
			Explanation: commission.Explanation{Rule: commission.MatchDefault, Match: commission.MatchDefault,
				Base: benchAmountDec, Type: commission.PercentCommission, Value: rate, Level: level}})
	}
	return t
}
