package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
)

// BenchmarkConcurrentSale records sales on PostgreSQL from
// concurrentWriters goroutines, each with an engine (or a raw *sql.DB) on
// its own connection pool, as separate processes would: spread, the
// sales of 64 partners and their customers (the realistic case); hot,
// all of one partner's. The raw twin does the engine's locking work (it
// adds to the counters a sale moves, in the engine's key order, before it
// inserts the sale's rows). Engine and twin run in rounds, alternately,
// within one run; engine/raw is the engine's throughput over the twin's.
//
//	go test -run '^$' -bench ConcurrentSale -benchtime 4000x -count 5 ./sqlstore
func BenchmarkConcurrentSale(b *testing.B) {
	for _, c := range []struct {
		name     string
		partners int
	}{{"spread", 64}, {"hot", 1}} {
		b.Run(sqlstore.Postgres.String()+"-"+strconv.Itoa(concurrentWriters)+"-"+c.name, func(b *testing.B) {
			benchmarkConcurrentSale(b, c.partners)
		})
	}
}

// concurrentRound is how many sales of each twin a round has.
const concurrentRound = concurrentWriters * 16

func benchmarkConcurrentSale(b *testing.B, partners int) {
	ctx := context.Background()
	db := newDatabase(b, sqlstore.Postgres)
	parties := concurrentParties(b, benchEngine(b, db.open(b)), partners)
	engines := make([]*commission.Engine, concurrentWriters)
	raws := make([]*sql.DB, concurrentWriters)
	for w := range engines {
		store := db.open(b)
		engines[w], raws[w] = benchEngine(b, store), store.DB()
		p := parties[w%len(parties)]
		require.NoError(b, p.engineSale(ctx, engines[w], "warmup_"+strconv.Itoa(w)))
		require.NoError(b, p.lockingSale(ctx, raws[w], "raw_warmup_"+strconv.Itoa(w), uuid.NewString()))
	}
	keys, rawKeys, rewardIDs := benchKeys("sale_", b.N), benchKeys("raw_", b.N), benchKeys("", b.N)
	engine := func(w, i int) error { return parties[i%len(parties)].engineSale(ctx, engines[w], keys[i]) }
	raw := func(w, i int) error {
		return parties[i%len(parties)].lockingSale(ctx, raws[w], rawKeys[i], rewardIDs[i])
	}
	twins := [2]func(w, i int) error{engine, raw}
	var spent [2]time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for lo, turn := 0, 0; lo < b.N; lo, turn = lo+concurrentRound, 1-turn {
		hi := min(lo+concurrentRound, b.N)
		for k := range 2 {
			which := k ^ turn
			start := time.Now()
			if err := concurrently(lo, hi, twins[which]); err != nil {
				b.Fatal(err)
			}
			spent[which] += time.Since(start)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/spent[0].Seconds(), "sales/s-engine")
	b.ReportMetric(float64(b.N)/spent[1].Seconds(), "sales/s-raw")
	b.ReportMetric(spent[1].Seconds()/spent[0].Seconds(), "engine/raw")
}

// concurrently makes sales lo to hi-1 from concurrentWriters goroutines,
// writer w the sales w, w+concurrentWriters, ...
func concurrently(lo, hi int, sale func(w, i int) error) error {
	errs := make([]error, concurrentWriters)
	var wg sync.WaitGroup
	for w := range concurrentWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo + w; i < hi; i += concurrentWriters {
				if err := sale(w, i); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// concurrentParties creates n partners, each with a customer.
func concurrentParties(tb testing.TB, eng *commission.Engine, n int) []benchParties {
	ctx := context.Background()
	out := make([]benchParties, n)
	for k := range out {
		p, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_" + strconv.Itoa(k)})
		require.NoError(tb, err)
		c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_" + strconv.Itoa(k), Partner: &commission.PartnerRef{Key: p.Key}})
		require.NoError(tb, err)
		out[k] = benchParties{partnerID: p.ID, partnerKey: p.Key, customerID: c.ID, customerKey: c.Key}
	}
	return out
}

// engineSale records a sale of key by p's customer through eng.
func (p benchParties) engineSale(ctx context.Context, eng *commission.Engine, key string) error {
	in := benchInput(key)
	in.Customer.Key = p.customerKey
	tx, err := eng.CreateTransaction(ctx, in)
	if err == nil && len(tx.Rewards) != 1 {
		err = errors.New("sale " + key + " earned no reward")
	}
	return err
}

// pgLockCounters adds to the counters a repeat sale moves (its customer's
// count and latest sale, its partner's revenue for all time and the
// month, its partner's unpaid balance), in the engine's key order.
const pgLockCounters = "INSERT INTO commission_counters (program_id, name, subject, bucket, value) VALUES " +
	"($1, 'customer.latest_sale', $2, '', 0), ($1, 'customer.sales', $2, '', 1), " +
	"($1, 'metric.revenue', $3, '', $4::numeric), ($1, 'metric.revenue', $3, $5, $4::numeric), " +
	"($1, 'wallet.partner.unpaid', $3, $6, $7::numeric) " +
	"ON CONFLICT (program_id, name, subject, bucket) DO UPDATE SET value = commission_counters.value + EXCLUDED.value"

// lockingSale is rawSale with the engine's locking work: the counters a
// sale moves, then the sale's rows.
func (p benchParties) lockingSale(ctx context.Context, db *sql.DB, key, rewardID string) error {
	insertTx, insertReward := rawInserts(sqlstore.Postgres)
	at := time.Now()
	now := at.UnixMicro()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, pgLockCounters, benchProgram, p.customerID, p.partnerID, benchAmount,
		at.UTC().Format("2006-01"), benchUnits, benchReward); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, insertTx, p.txRow(key, now)...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, insertReward, p.rewardRow(key, rewardID, now)...); err != nil {
		return err
	}
	return tx.Commit()
}
