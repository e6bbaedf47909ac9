package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// Every store benchmark has a raw twin that writes the same rows straight
// through database/sql and the driver, so that the engine's overhead reads
// as a ratio of the two sales/s figures of one run:
//
//	go test -run '^$' -bench . ./sqlstore
//
// A sale is one sale of 99.99 USD by an existing customer, attributed to an
// existing partner, on a 30% program: one transaction row and one reward
// row. TestRawTwinWritesEngineRows checks that both write the same rows.

const (
	benchProgram     = "prog_1"
	benchPartner     = "partner_123"
	benchCustomer    = "customer_123"
	benchAmount      = "99.99"
	benchReward      = "29.9970" // 30% of benchAmount, as the engine stores it (99.99 × 0.30)
	benchUnits       = "USD"
	benchProduct     = "prod_123"
	benchProductType = "monthly"
	// benchExplanation is the explanation the engine stores for the
	// default 30% rule.
	benchExplanation = `{"rule":"default","match":"default","base":99.99,"type":"percent","value":30}`
	// bulkSize is how many sales one bulk operation records.
	bulkSize = 1000
	// concurrentWriters is how many engines (or raw pools) write at once in
	// the postgres-8 benchmarks.
	concurrentWriters = 8
)

// The columns the store writes, in its order (seq is the store's).
var (
	benchTxCols = []string{"program_id", "tx_key", "action", "amount", "reward", "amount_units", "is_currency", "credit",
		"product_id", "product_type", "products", "rewarded", "rewardable", "qualified", "customer_id", "customer_key",
		"partner_id", "partner_key", "referring_customer_id", "referring_customer_key", "created_at", "backdated", "state", "deleted_at"}
	benchRewardCols = []string{"program_id", "id", "tx_key", "position", "action", "status", "review_ends_at", "decided_at",
		"reason", "partner_id", "partner_key", "customer_id", "customer_key", "rewarded_customer_id", "rewarded_customer_key",
		"amount", "amount_units", "is_currency", "credit", "product_id", "product_type", "created_at", "deleted_at", "explanation"}
)

func BenchmarkSale(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.String(), func(b *testing.B) { benchmarkSale(b, d) })
	}
}

func BenchmarkBulk(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.String(), func(b *testing.B) { benchmarkBulk(b, d, false) })
		b.Run(d.String()+"-raw", func(b *testing.B) { benchmarkBulk(b, d, true) })
	}
}

// benchmarkSale records b.N sales through the engine and b.N through its
// raw-driver twin, one database transaction each, alternating them on one
// database within the run: it reports each one's time per sale and the
// engine's speed as a fraction of the twin's (engine/raw: ns/op-raw over
// ns/op-engine), which a machine whose speed swings slows alike.
func benchmarkSale(b *testing.B, d sqlstore.Dialect) {
	ctx := context.Background()
	db := newDatabase(b, d)
	store := db.open(b)
	eng := benchEngine(b, store)
	parties := benchSetup(b, eng)
	keys := benchKeys("sale_", b.N)
	rawKeys := benchKeys("raw_", b.N)
	rewardIDs := benchKeys("", b.N)
	rawDB := store.DB()
	// Warm the pool and the statement caches of both.
	require.NoError(b, parties.rawSale(ctx, rawDB, d, "raw_warmup", uuid.NewString()))
	require.NoError(b, engineSale(ctx, eng, "warmup"))
	ns := alternateN(b, func(i int) {
		if err := engineSale(ctx, eng, keys[i]); err != nil {
			b.Fatal(err)
		}
	}, func(i int) {
		if err := parties.rawSale(ctx, rawDB, d, rawKeys[i], rewardIDs[i]); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(ns[0], "ns/op-engine")
	b.ReportMetric(ns[1], "ns/op-raw")
	b.ReportMetric(ns[1]/ns[0], "engine/raw")
}

// benchmarkBulk records b.N batches of bulkSize sales, one database
// transaction each.
func benchmarkBulk(b *testing.B, d sqlstore.Dialect, raw bool) {
	ctx := context.Background()
	db := newDatabase(b, d)
	store := db.open(b)
	eng := benchEngine(b, store)
	parties := benchSetup(b, eng)
	keys := benchKeys("sale_", b.N*bulkSize)
	var bulk func(op int) error
	if raw {
		rawDB := store.DB()
		rewardIDs := benchKeys("", b.N*bulkSize)
		bulk = func(op int) error {
			lo, hi := op*bulkSize, (op+1)*bulkSize
			return parties.rawBulk(ctx, rawDB, d, keys[lo:hi], rewardIDs[lo:hi])
		}
		warm := benchKeys("warmup_", bulkSize)
		require.NoError(b, parties.rawBulk(ctx, rawDB, d, warm, benchKeys("", bulkSize)))
	} else {
		ins := make([][]commission.TransactionInput, b.N)
		for op := range ins {
			ins[op] = make([]commission.TransactionInput, bulkSize)
			for j := range ins[op] {
				ins[op][j] = benchInput(keys[op*bulkSize+j])
			}
		}
		bulk = func(op int) error { return engineBulk(ctx, eng, ins[op]) }
		warm := make([]commission.TransactionInput, bulkSize)
		for j := range warm {
			warm[j] = benchInput("warmup_" + strconv.Itoa(j))
		}
		require.NoError(b, engineBulk(ctx, eng, warm))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for op := 0; op < b.N; op++ {
		if err := bulk(op); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportSales(b, b.N*bulkSize)
}

func reportSales(b *testing.B, sales int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(sales)/s, "sales/s")
	}
}

// benchKeys returns n distinct keys; with no prefix, random UUIDs (the
// reward ids the engine would make).
func benchKeys(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		if prefix == "" {
			keys[i] = uuid.NewString()
		} else {
			keys[i] = prefix + strconv.Itoa(i)
		}
	}
	return keys
}

// ---------------------------------------------------------------------------
// The engine

func benchEngine(tb testing.TB, store commission.Store, opts ...commission.Option) *commission.Engine {
	tb.Helper()
	eng, err := commission.New(store, commission.Program{
		ID: benchProgram, Kind: commission.Affiliate, Currency: benchUnits,
		Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))},
	}, opts...)
	require.NoError(tb, err)
	return eng
}

// benchParties are the partner and customer every benchmark sale is by.
type benchParties struct {
	partnerID, partnerKey, customerID, customerKey string
}

// benchSetup creates the partner and the customer of the sales.
func benchSetup(tb testing.TB, eng *commission.Engine) benchParties {
	tb.Helper()
	ctx := context.Background()
	p, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: benchPartner, Email: "partner@example.com"})
	require.NoError(tb, err)
	c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: benchCustomer, Partner: &commission.PartnerRef{Key: benchPartner}})
	require.NoError(tb, err)
	return benchParties{partnerID: p.ID, partnerKey: p.Key, customerID: c.ID, customerKey: c.Key}
}

var benchAmountDec = decimal.RequireFromString(benchAmount)

func benchInput(key string) commission.TransactionInput {
	amount := benchAmountDec
	return commission.TransactionInput{
		Key: key, Amount: &amount, AmountUnits: benchUnits, Action: "sale",
		ProductID: benchProduct, ProductType: benchProductType,
		Customer: commission.CustomerInput{Key: benchCustomer},
	}
}

func engineSale(ctx context.Context, eng *commission.Engine, key string) error {
	tx, err := eng.CreateTransaction(ctx, benchInput(key))
	if err != nil {
		return err
	}
	if len(tx.Rewards) != 1 {
		return fmt.Errorf("sale %q earned %d rewards, want 1", key, len(tx.Rewards))
	}
	return nil
}

func engineBulk(ctx context.Context, eng *commission.Engine, ins []commission.TransactionInput) error {
	txs, err := eng.CreateTransactions(ctx, ins)
	if err != nil {
		return err
	}
	if len(txs) != len(ins) || len(txs[0].Rewards) != 1 {
		return fmt.Errorf("bulk recorded %d sales, the first with %d rewards", len(txs), len(txs[0].Rewards))
	}
	return nil
}

// ---------------------------------------------------------------------------
// The raw twins

// txRow and rewardRow are the values the store writes for a sale, in the
// order of benchTxCols and benchRewardCols: money as text, times as Unix
// microseconds, JSON as text.
func (p benchParties) txRow(key string, now int64) []any {
	return []any{benchProgram, key, "sale", benchAmount, nil, benchUnits, true, false,
		benchProduct, benchProductType, "null", false, true, true, p.customerID, p.customerKey,
		p.partnerID, p.partnerKey, "", "", now, false, "active", nil}
}

func (p benchParties) rewardRow(key, id string, now int64) []any {
	return []any{benchProgram, id, key, 0, "sale", "ok", nil, nil,
		"", p.partnerID, p.partnerKey, p.customerID, p.customerKey, "", "",
		benchReward, benchUnits, true, false, benchProduct, benchProductType, now, nil, benchExplanation}
}

// insertSQL is an INSERT of rows rows into table, with d's placeholders.
func insertSQL(d sqlstore.Dialect, table string, cols []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			n++
			if d == sqlstore.Postgres {
				b.WriteString("$" + strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

var (
	rawInsertOnce sync.Once
	rawTxInsert   = map[sqlstore.Dialect]string{}
	rawRwInsert   = map[sqlstore.Dialect]string{}
)

func rawInserts(d sqlstore.Dialect) (string, string) {
	rawInsertOnce.Do(func() {
		for _, d := range dialects {
			rawTxInsert[d] = insertSQL(d, "commission_transactions", benchTxCols, 1)
			rawRwInsert[d] = insertSQL(d, "commission_rewards", benchRewardCols, 1)
		}
	})
	return rawTxInsert[d], rawRwInsert[d]
}

// rawSale writes one sale's rows in one database transaction: two INSERTs,
// no reads.
func (p benchParties) rawSale(ctx context.Context, db *sql.DB, d sqlstore.Dialect, key, rewardID string) error {
	insertTx, insertReward := rawInserts(d)
	now := time.Now().UnixMicro()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, insertTx, p.txRow(key, now)...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, insertReward, p.rewardRow(key, rewardID, now)...); err != nil {
		return err
	}
	return tx.Commit()
}

// rawBulk writes the rows of len(keys) sales in one database transaction
// by the fastest batched path: COPY on PostgreSQL, multi-row INSERTs on
// MySQL, one prepared INSERT per table on SQLite.
func (p benchParties) rawBulk(ctx context.Context, db *sql.DB, d sqlstore.Dialect, keys, rewardIDs []string) error {
	now := time.Now().UnixMicro()
	if d == sqlstore.Postgres {
		return p.rawCopy(ctx, db, keys, rewardIDs, now)
	}
	txArgs := make([]any, 0, len(keys)*len(benchTxCols))
	rwArgs := make([]any, 0, len(keys)*len(benchRewardCols))
	for i, key := range keys {
		txArgs = append(txArgs, p.txRow(key, now)...)
		rwArgs = append(rwArgs, p.rewardRow(key, rewardIDs[i], now)...)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	insert := insertChunks
	if d == sqlstore.SQLite {
		insert = insertPrepared
	}
	if err := insert(ctx, tx, d, "commission_transactions", benchTxCols, txArgs); err != nil {
		return err
	}
	if err := insert(ctx, tx, d, "commission_rewards", benchRewardCols, rwArgs); err != nil {
		return err
	}
	return tx.Commit()
}

// insertPrepared inserts the rows of args one by one with a prepared
// statement: on SQLite, with no round trip to save, as fast as multi-row
// INSERTs or faster.
func insertPrepared(ctx context.Context, tx *sql.Tx, d sqlstore.Dialect, table string, cols []string, args []any) error {
	stmt, err := tx.PrepareContext(ctx, insertSQL(d, table, cols, 1))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for lo := 0; lo < len(args); lo += len(cols) {
		if _, err := stmt.ExecContext(ctx, args[lo:lo+len(cols)]...); err != nil {
			return err
		}
	}
	return nil
}

// rawChunk is the most rows a multi-row INSERT carries: 1,000 rows of 24
// columns is 24,000 parameters, under MySQL's 65,535 (measured: faster on
// MySQL than chunks of 100 or 500).
const rawChunk = 1000

var (
	chunkMu  sync.Mutex
	chunkSQL = map[string]string{}
)

func insertChunks(ctx context.Context, tx *sql.Tx, d sqlstore.Dialect, table string, cols []string, args []any) error {
	rows := len(args) / len(cols)
	for lo := 0; lo < rows; lo += rawChunk {
		hi := min(lo+rawChunk, rows)
		k := d.String() + "/" + table + "/" + strconv.Itoa(hi-lo)
		chunkMu.Lock()
		q, ok := chunkSQL[k]
		if !ok {
			q = insertSQL(d, table, cols, hi-lo)
			chunkSQL[k] = q
		}
		chunkMu.Unlock()
		if _, err := tx.ExecContext(ctx, q, args[lo*len(cols):hi*len(cols)]...); err != nil {
			return err
		}
	}
	return nil
}

// rawCopy writes the rows with two COPYs in one transaction, through pgx
// under database/sql.
func (p benchParties) rawCopy(ctx context.Context, db *sql.DB, keys, rewardIDs []string, now int64) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		// COPY's binary format needs numerics as numerics, not text.
		var amount, reward pgtype.Numeric
		if err := amount.Scan(benchAmount); err != nil {
			return err
		}
		if err := reward.Scan(benchReward); err != nil {
			return err
		}
		txRows := make([][]any, len(keys))
		rwRows := make([][]any, len(keys))
		for i, key := range keys {
			txRows[i] = p.txRow(key, now)
			txRows[i][3] = amount
			rwRows[i] = p.rewardRow(key, rewardIDs[i], now)
			rwRows[i][15] = reward
		}
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"commission_transactions"}, benchTxCols, pgx.CopyFromRows(txRows)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"commission_rewards"}, benchRewardCols, pgx.CopyFromRows(rwRows)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

// ---------------------------------------------------------------------------
// The twins write the same rows

// TestRawTwinWritesEngineRows checks that a raw sale and a raw bulk write
// what an engine sale writes, column for column (keys, ids, times and seq
// aside), so that the benchmarks compare like with like.
func TestRawTwinWritesEngineRows(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := newDatabase(t, d)
		store := db.open(t)
		eng := benchEngine(t, store)
		parties := benchSetup(t, eng)
		require.NoError(t, engineSale(ctx, eng, "engine"))
		require.NoError(t, engineBulk(ctx, eng, []commission.TransactionInput{benchInput("engine_bulk")}))
		require.NoError(t, parties.rawSale(ctx, store.DB(), d, "raw", uuid.NewString()))
		require.NoError(t, parties.rawBulk(ctx, store.DB(), d, []string{"raw_bulk"}, []string{uuid.NewString()}))

		txCols := without(benchTxCols, "tx_key", "created_at")
		rwCols := without(benchRewardCols, "id", "tx_key", "created_at")
		want := benchRow(t, store.DB(), d, "commission_transactions", txCols, "engine")
		wantReward := benchRow(t, store.DB(), d, "commission_rewards", rwCols, "engine")
		for _, key := range []string{"engine_bulk", "raw", "raw_bulk"} {
			require.Equal(t, want, benchRow(t, store.DB(), d, "commission_transactions", txCols, key), "transaction %s", key)
			require.Equal(t, wantReward, benchRow(t, store.DB(), d, "commission_rewards", rwCols, key), "reward of %s", key)
		}
		// The engine reads back what the raw twins wrote.
		for _, key := range []string{"raw", "raw_bulk"} {
			tx, err := eng.Transaction(ctx, key)
			require.NoError(t, err)
			require.Len(t, tx.Rewards, 1)
			require.True(t, tx.Rewards[0].Amount.Equal(decimal.RequireFromString(benchReward)))
		}
	})
}

func without(cols []string, drop ...string) []string {
	var out []string
	for _, c := range cols {
		keep := true
		for _, d := range drop {
			keep = keep && c != d
		}
		if keep {
			out = append(out, c)
		}
	}
	return out
}

// benchRow reads the columns of the row of table with tx_key key, as text.
func benchRow(t *testing.T, db *sql.DB, d sqlstore.Dialect, table string, cols []string, key string) []sql.NullString {
	t.Helper()
	sel := make([]string, len(cols))
	for i, c := range cols {
		switch d {
		case sqlstore.Postgres:
			sel[i] = c + "::text"
		case sqlstore.MySQL:
			sel[i] = "CAST(" + c + " AS CHAR)"
		default:
			sel[i] = "CAST(" + c + " AS TEXT)"
		}
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + table + " WHERE tx_key = ?"
	if d == sqlstore.Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	require.NoError(t, db.QueryRow(q, key).Scan(ptrs...), "%s row of %s", table, key)
	return vals
}
