package sqlstore_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// The crash test: a child process (this test binary, re-executed into
// TestCrashChild) creates bulks of crashBulkSize transactions in a loop
// until the parent kills it with SIGKILL, at a random moment, usually with
// a bulk's database transaction open and part-written. After every kill the
// parent opens the store on a fresh pool and checks that each bulk is there
// whole or not at all, that every stored sale has exactly its 30% reward,
// and that the engine's cursor listing sees exactly the stored keys; the
// next child, and finally the parent, go on writing to the same database.
const (
	crashBulkSize = 200
	// Kills per dialect: at most crashKills; no new one after crashBudget
	// once there have been crashMinKills (SQLite under -race writes a bulk
	// in about a second, twenty times slower than without).
	crashKills    = 6
	crashMinKills = 3
	crashBudget   = 10 * time.Second
	crashProgram  = "crash"
	crashPartner  = "partner_crash"
	crashCustomer = "customer_crash"

	crashChildEnv    = "COMMISSION_CRASH_CHILD"
	crashDialectEnv  = "COMMISSION_CRASH_DIALECT"
	crashDriverEnv   = "COMMISSION_CRASH_DRIVER"
	crashDSNEnv      = "COMMISSION_CRASH_DSN"
	crashFirstEnv    = "COMMISSION_CRASH_FIRST_BULK"
	crashChildMaxRun = 60 * time.Second // a child the parent lost stops by itself
)

var crashRate = decimal.RequireFromString("0.3")

func crashProgramDef() commission.Program {
	return commission.Program{ID: crashProgram, Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))}}
}

// crashKey and crashAmount name and price item j of bulk i; the amount is
// known from the key, so that the parent can check what was stored.
func crashKey(bulk, item int) string { return fmt.Sprintf("b%d-%d", bulk, item) }

func crashAmount(bulk, item int) decimal.Decimal {
	return decimal.New(int64(1000+(bulk*crashBulkSize+item)*37%9000), -2) // 10.00 .. 99.99
}

func parseCrashKey(key string) (bulk, item int, ok bool) {
	b, i, found := strings.Cut(strings.TrimPrefix(key, "b"), "-")
	if !found || !strings.HasPrefix(key, "b") {
		return 0, 0, false
	}
	bulk, err1 := strconv.Atoi(b)
	item, err2 := strconv.Atoi(i)
	if err1 != nil || err2 != nil || item < 0 || item >= crashBulkSize || bulk < 0 {
		return 0, 0, false
	}
	return bulk, item, true
}

func crashBulk(bulk int) []commission.TransactionInput {
	ins := make([]commission.TransactionInput, crashBulkSize)
	for j := range ins {
		amount := crashAmount(bulk, j)
		ins[j] = commission.TransactionInput{Key: crashKey(bulk, j), Amount: &amount,
			Customer: commission.CustomerInput{Key: crashCustomer}}
	}
	return ins
}

func dialectNamed(name string) sqlstore.Dialect {
	for _, d := range dialects {
		if d.String() == name {
			return d
		}
	}
	return 0
}

// ---------------------------------------------------------------------------
// The child

// progressStore reports, on stdout, how far the bulk in flight has got
// inside its open database transaction: "ins <bulk> <n>" once n of its
// rows are written. The engine writes a bulk in one batch, so after the
// batch it pauses, rows written and not committed, for the kill to land.
type progressStore struct {
	*sqlstore.Store
	bulk int
}

func (s *progressStore) Update(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	return s.Store.Update(ctx, programID, func(tx commission.StoreTx) error {
		return fn(&progressTx{StoreTx: tx, bulk: s.bulk})
	})
}

type progressTx struct {
	commission.StoreTx
	bulk, n int
}

func (t *progressTx) InsertTransaction(ctx context.Context, tr *commission.Transaction) error {
	if err := t.StoreTx.InsertTransaction(ctx, tr); err != nil {
		return err
	}
	t.n++
	if t.n%10 == 0 || t.n == 1 {
		fmt.Fprintf(os.Stdout, "ins %d %d\n", t.bulk, t.n)
	}
	return nil
}

// crashPause holds a written, uncommitted bulk open for a moment.
const crashPause = 30 * time.Millisecond

func (t *progressTx) InsertTransactions(ctx context.Context, trs []*commission.Transaction) error {
	if err := t.StoreTx.InsertTransactions(ctx, trs); err != nil {
		return err
	}
	t.n += len(trs)
	fmt.Fprintf(os.Stdout, "ins %d %d\n", t.bulk, t.n)
	time.Sleep(crashPause)
	return nil
}

// TestCrashChild is the process TestCrashBulkCreate kills; it does nothing
// unless started by it. It prints "start <i>" before bulk i and "done <i>"
// once CreateTransactions has returned, and never stops by itself.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) != "1" {
		t.Skip("run by TestCrashBulkCreate in a child process")
	}
	ctx := context.Background()
	db := database{dialect: dialectNamed(os.Getenv(crashDialectEnv)), driver: os.Getenv(crashDriverEnv), dsn: os.Getenv(crashDSNEnv)}
	first, err := strconv.Atoi(os.Getenv(crashFirstEnv))
	require.NoError(t, err)
	store := &progressStore{Store: db.open(t)}
	eng, err := commission.New(store, crashProgramDef())
	require.NoError(t, err)
	deadline := time.Now().Add(crashChildMaxRun)
	for i := first; time.Now().Before(deadline); i++ {
		ins := crashBulk(i)
		store.bulk = i
		fmt.Fprintf(os.Stdout, "start %d\n", i)
		txs, err := eng.CreateTransactions(ctx, ins)
		require.NoError(t, err, "bulk %d", i)
		require.Len(t, txs, crashBulkSize)
		fmt.Fprintf(os.Stdout, "done %d\n", i)
	}
	t.Fatal("not killed in time")
}

// ---------------------------------------------------------------------------
// The parent

type crashEvent struct {
	kind    string // start, ins, done, or other (any line the child wrote)
	bulk, n int
	line    string
	at      time.Time
}

func parseCrashEvent(line string, at time.Time) crashEvent {
	ev := crashEvent{kind: "other", line: line, at: at}
	f := strings.Fields(line)
	switch {
	case len(f) == 2 && (f[0] == "start" || f[0] == "done"):
		if b, err := strconv.Atoi(f[1]); err == nil {
			ev.kind, ev.bulk = f[0], b
		}
	case len(f) == 3 && f[0] == "ins":
		b, err1 := strconv.Atoi(f[1])
		n, err2 := strconv.Atoi(f[2])
		if err1 == nil && err2 == nil {
			ev.kind, ev.bulk, ev.n = "ins", b, n
		}
	}
	return ev
}

// crashRun is what the parent learned from one child.
type crashRun struct {
	started, done []int
	inFlight      int           // the bulk started and not done when killed, or -1
	inserted      int           // how many of its transactions it had inserted
	bulkTime      time.Duration // how long its last committed bulk took
	delay         time.Duration // from that bulk's done to the kill
}

func TestCrashBulkCreate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		began := time.Now()
		db := newDatabase(t, d)
		{
			s := db.open(t)
			eng, err := commission.New(s, crashProgramDef())
			require.NoError(t, err)
			_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: crashPartner})
			require.NoError(t, err)
			_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: crashCustomer, Partner: &commission.PartnerRef{Key: crashPartner}})
			require.NoError(t, err)
			require.NoError(t, s.DB().Close()) // nothing of the parent stays open while children write
		}

		done := map[int]bool{} // bulks whose CreateTransactions returned: all must be stored
		next := 0
		var runs []crashRun
		for k := 0; k < crashKills && (k < crashMinKills || time.Since(began) < crashBudget); k++ {
			// Every other kill waits until the bulk in flight is written and
			// not committed, so that that case is always seen.
			run := runCrashChild(t, db, next, k%2 == 1)
			runs = append(runs, run)
			for _, b := range run.done {
				done[b] = true
			}
			next = run.started[len(run.started)-1] + 1
			if d == sqlstore.SQLite {
				// The killed child left its write-ahead log behind: the
				// next open recovers from it.
				path, _, _ := strings.Cut(strings.TrimPrefix(db.dsn, "file:"), "?")
				fi, err := os.Stat(path + "-wal")
				require.NoError(t, err, "no WAL after the kill")
				t.Logf("WAL left by the killed child: %d bytes", fi.Size())
			}
			present := checkCrashStore(t, db, done, next)
			outcome := "between bulks"
			if run.inFlight >= 0 {
				outcome = fmt.Sprintf("mid-bulk %d after %d/%d inserts: %s", run.inFlight, run.inserted, crashBulkSize,
					map[bool]string{true: "committed", false: "rolled back"}[present[run.inFlight]])
			}
			t.Logf("kill %d, %v after the second commit (a bulk took %v): bulks %d..%d started, %d done; %s",
				k+1, run.delay.Round(time.Microsecond), run.bulkTime.Round(time.Microsecond),
				run.started[0], run.started[len(run.started)-1], len(run.done), outcome)
		}

		// The store is still usable: a new bulk, on a fresh pool.
		s := db.open(t)
		eng, err := commission.New(s, crashProgramDef())
		require.NoError(t, err)
		txs, err := eng.CreateTransactions(ctx, crashBulk(next))
		require.NoError(t, err)
		require.Len(t, txs, crashBulkSize)
		got, err := eng.Transaction(ctx, crashKey(next, crashBulkSize-1))
		require.NoError(t, err)
		require.True(t, got.Amount.Equal(crashAmount(next, crashBulkSize-1)))
		require.NoError(t, s.DB().Close())
		done[next] = true
		next++
		present := checkCrashStore(t, db, done, next)

		// Tally the kills against the final state (on a server, a COMMIT
		// sent just before the kill may have landed after the check that
		// followed it).
		midBulk, midInsert, rolledBack := 0, 0, 0
		for _, r := range runs {
			if r.inFlight < 0 {
				continue
			}
			midBulk++
			if r.inserted > 0 {
				midInsert++
				if !present[r.inFlight] {
					rolledBack++
				}
			}
		}
		t.Logf("%s: %d kills, %d mid-bulk, %d after some of the bulk's rows were inserted, %d of those rolled back; %d bulks stored; %v",
			d, len(runs), midBulk, midInsert, rolledBack, countTrue(present), time.Since(began).Round(time.Millisecond))
		require.Positive(t, midBulk, "no kill landed while a bulk was in flight")
		require.Positive(t, rolledBack, "no kill interrupted a part-written bulk")
	})
}

func countTrue(m map[int]bool) int {
	n := 0
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}

// runCrashChild starts a child writing bulks first, first+1, ..., lets it
// commit two, kills it at a random moment of a bulk and returns what it
// reported.
func runCrashChild(t *testing.T, db database, first int, afterInsert bool) crashRun {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		crashChildEnv+"=1",
		crashDialectEnv+"="+db.dialect.String(),
		crashDriverEnv+"="+db.driver,
		crashDSNEnv+"="+db.dsn,
		crashFirstEnv+"="+strconv.Itoa(first))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	events := make(chan crashEvent, 1<<16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			events <- parseCrashEvent(sc.Text(), time.Now())
		}
	}()

	run := crashRun{inFlight: -1}
	var other []string
	startAt := map[int]time.Time{}
	var lastBulkTime time.Duration
	apply := func(ev crashEvent) {
		switch ev.kind {
		case "start":
			run.started = append(run.started, ev.bulk)
			run.inFlight, run.inserted = ev.bulk, 0
			startAt[ev.bulk] = ev.at
		case "ins":
			require.Equal(t, run.inFlight, ev.bulk, "insert outside the bulk in flight")
			run.inserted = ev.n
		case "done":
			require.Equal(t, run.inFlight, ev.bulk, "done for a bulk not in flight")
			run.done = append(run.done, ev.bulk)
			run.inFlight, run.inserted = -1, 0
			lastBulkTime = ev.at.Sub(startAt[ev.bulk])
		default:
			other = append(other, ev.line)
		}
	}
	childFailed := func(msg string) {
		cmd.Process.Kill()
		for range events {
		}
		werr := cmd.Wait()
		killed = true
		t.Fatalf("%s (%v)\nstdout:\n%s\nstderr:\n%s", msg, werr, strings.Join(other, "\n"), stderr.String())
	}

	// Let the child commit two bulks, timing the second.
	timeout := time.After(30 * time.Second)
	for len(run.done) < 2 {
		select {
		case ev, ok := <-events:
			if !ok {
				childFailed("the child stopped before it was killed")
			}
			apply(ev)
		case <-timeout:
			childFailed("the child committed no two bulks in 30s")
		}
	}
	// Then kill it at a random moment of the next bulk's time (a little
	// more: now and then the kill lands after its commit), or as soon as
	// the bulk in flight has written its rows (the child then pauses
	// before committing).
	run.bulkTime = lastBulkTime
	if afterInsert {
		began := time.Now()
		for run.inFlight < 0 || run.inserted == 0 {
			select {
			case ev, ok := <-events:
				if !ok {
					childFailed("the child stopped before it was killed")
				}
				apply(ev)
			case <-timeout:
				childFailed("the child wrote no bulk in 30s")
			}
		}
		run.delay = time.Since(began)
	} else {
		run.delay = rand.N(run.bulkTime*6/5 + time.Millisecond)
		time.Sleep(run.delay)
	}
	require.NoError(t, cmd.Process.Kill())
	for ev := range events { // every line the child wrote before it died
		apply(ev)
	}
	werr := cmd.Wait()
	killed = true
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed by SIGKILL (%v)\nstdout:\n%s\nstderr:\n%s", werr, strings.Join(other, "\n"), stderr.String())
	}
	require.NotEmpty(t, run.started)
	return run
}

// checkCrashStore opens the store on a fresh pool and checks it: every bulk
// below next is stored whole or not at all (whole if in done), no other key
// exists, no key twice, each transaction has one reward of 30% of its
// amount, and the engine's cursor listing sees exactly the stored keys. It
// returns which bulks are stored.
func checkCrashStore(t *testing.T, db database, done map[int]bool, next int) map[int]bool {
	t.Helper()
	ctx := context.Background()
	s := db.open(t)
	defer s.DB().Close()
	sqlDB := s.DB()

	if db.dialect == sqlstore.SQLite {
		var res string
		require.NoError(t, sqlDB.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&res))
		require.Equal(t, "wal", res)
		require.NoError(t, sqlDB.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res))
		require.Equal(t, "ok", res)
	}

	amountCol, param := "amount", "?"
	switch db.dialect {
	case sqlstore.Postgres:
		amountCol, param = "amount::text", "$1"
	case sqlstore.MySQL:
		amountCol = "CAST(amount AS CHAR)"
	}
	readAmounts := func(query string, f func(key string, amount decimal.Decimal)) {
		rows, err := sqlDB.QueryContext(ctx, query, crashProgram)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var key, amount string
			require.NoError(t, rows.Scan(&key, &amount))
			a, err := decimal.NewFromString(amount)
			require.NoError(t, err, "amount %q of %s", amount, key)
			f(key, a)
		}
		require.NoError(t, rows.Err())
	}

	// Transactions: known keys, each once, with the amount its key says.
	stored := map[string]decimal.Decimal{}
	perBulk := map[int]int{}
	readAmounts("SELECT tx_key, "+amountCol+" FROM commission_transactions WHERE program_id = "+param, func(key string, amount decimal.Decimal) {
		bulk, item, ok := parseCrashKey(key)
		require.True(t, ok, "unexpected key %q", key)
		require.Less(t, bulk, next, "key %q of a bulk never started", key)
		_, dup := stored[key]
		require.False(t, dup, "key %q stored twice", key)
		require.True(t, amount.Equal(crashAmount(bulk, item)), "%s: amount %s, want %s", key, amount, crashAmount(bulk, item))
		stored[key] = amount
		perBulk[bulk]++
	})
	present := map[int]bool{}
	for b := 0; b < next; b++ {
		n := perBulk[b]
		require.Truef(t, n == 0 || n == crashBulkSize, "bulk %d is torn: %d of %d transactions stored", b, n, crashBulkSize)
		if done[b] {
			require.Equal(t, crashBulkSize, n, "bulk %d was committed but is missing", b)
		}
		present[b] = n == crashBulkSize
	}

	// Rewards: exactly one per stored transaction, 30% of its amount.
	rewards := map[string]int{}
	readAmounts("SELECT tx_key, "+amountCol+" FROM commission_rewards WHERE program_id = "+param, func(key string, amount decimal.Decimal) {
		base, ok := stored[key]
		require.True(t, ok, "reward of transaction %q, which is not stored", key)
		require.True(t, amount.Equal(base.Mul(crashRate)), "%s: reward %s of %s", key, amount, base)
		rewards[key]++
	})
	for key := range stored {
		require.Equal(t, 1, rewards[key], "rewards of %s", key)
	}

	// The engine sees the same: every key once through the cursor listing.
	eng, err := commission.New(s, crashProgramDef())
	require.NoError(t, err)
	c, err := eng.Customer(ctx, commission.CustomerRef{Key: crashCustomer})
	require.NoError(t, err)
	require.Equal(t, crashPartner, c.PartnerKey)
	listed := map[string]bool{}
	opts := commission.ListOptions{Limit: commission.MaxLimit}
	for {
		page, err := eng.Transactions(ctx, opts)
		require.NoError(t, err)
		for _, tr := range page.Transactions {
			require.False(t, listed[tr.Key], "key %q listed twice", tr.Key)
			listed[tr.Key] = true
			want, ok := stored[tr.Key]
			require.True(t, ok, "listed key %q is not stored", tr.Key)
			require.True(t, tr.Amount.Equal(want))
			require.Len(t, tr.Rewards, 1, "rewards of %s", tr.Key)
			require.True(t, tr.Rewards[0].Amount.Equal(want.Mul(crashRate)), "%s: reward %s", tr.Key, tr.Rewards[0].Amount)
		}
		if page.NextCursor == "" {
			break
		}
		opts.Cursor = page.NextCursor
	}
	require.Len(t, listed, len(stored))
	return present
}
