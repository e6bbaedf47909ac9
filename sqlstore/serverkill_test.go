package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// The server-kill test: eight writers, each on its own connection pool,
// sell, sell in bulk and delete (refund) their earlier sales on one
// program with a 10% commission, a monthly spend limit per partner that
// sales fill and deletions give back, and a recurring revenue goal, on a
// private PostgreSQL or MariaDB server (privatedb_test.go), until the
// server is killed with SIGKILL at a random moment under them. The server
// is started again on its data, and the store must hold every acknowledged
// operation exactly, nothing of one that failed, and one that failed with
// commission.ErrCommitUnknown whole or not at all; its counters must equal
// what they summarise (serverkill_check_test.go). Then every failed
// operation is repeated, as a client would, and must answer as the store
// says it went. The writers go on, on fresh pools, until the next kill:
// killRounds per dialect, on the same database.
const (
	killRounds    = 4
	killWriters   = 8
	killPartners  = 4
	killCustomers = 12
	killProgram   = "serverkill"
	killGoal      = "revenue-every-1000"
	killMonth     = "2025-05" // every sale's month: the engines' clock starts at killEpoch
	// A round's kill lands once its writers have had killAcked operations
	// acknowledged, and up to killDelay after (at random).
	killAcked = 100
	killDelay = 400 * time.Millisecond
	// killAftermath is how long the writers go on against the dead
	// server before they are stopped.
	killAftermath = 200 * time.Millisecond
	// killOpTimeout bounds one operation, so that a hang fails the test.
	killOpTimeout = 30 * time.Second
)

var (
	killEpoch  = time.Date(2025, 5, 10, 0, 0, 0, 0, time.UTC)
	killShare  = decimal.RequireFromString("0.1") // the default commission, 10%
	killLimit  = decimal.NewFromInt(300)          // per partner and month
	killTarget = decimal.NewFromInt(1000)         // the goal pays at every 1000 of revenue
	killBonus  = decimal.NewFromInt(25)           // killPoints
)

// killPoints are the goal bonus's units. Caps do not lower rewards in
// custom units, so that every threshold the goal's counter records has
// its bonus stored, and the counter can be recounted from the bonuses.
const killPoints = "points"

func killProgramDef() commission.Program {
	return commission.Program{ID: killProgram, Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{
			Default: commission.Percent(killShare.Shift(2)),
			Caps:    commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: killLimit}}},
			Goals: []commission.Goal{{ID: killGoal, Metric: commission.MetricRevenue,
				Target: killTarget, Every: true, Bonus: killBonus, Units: killPoints}},
		},
		CustomUnits: []string{killPoints}}
}

func killPartnerKey(i int) string  { return fmt.Sprintf("p%d", i) }
func killCustomerKey(i int) string { return fmt.Sprintf("c%d", i) }

func TestServerKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts, kills and restarts private database servers; skipped in -short mode")
	}
	for _, d := range []sqlstore.Dialect{sqlstore.Postgres, sqlstore.MySQL} {
		t.Run(d.String(), func(t *testing.T) { testServerKill(t, d) })
	}
}

func testServerKill(t *testing.T, d sqlstore.Dialect) {
	began := time.Now()
	srv := startPrivateServer(t, d)
	clock := func() time.Time { return killEpoch.Add(time.Since(began)) }
	ledger := setupKill(t, srv.database(), clock)
	seed := rand.Uint64()
	t.Logf("seed %d; server ready in %v", seed, time.Since(began).Round(time.Millisecond))
	writers := make([]*killWriter, killWriters)
	for i := range writers {
		writers[i] = &killWriter{id: i, rnd: rand.New(rand.NewPCG(seed, uint64(i)))}
	}
	var found killFound
	for round := 1; round <= killRounds; round++ {
		roundBegan := time.Now()
		ops, killAt := runKillRound(t, srv, clock, writers)
		restarted := time.Now()
		st := ledger.record(t, ops, killAt)
		var snap *killSnapshot
		found, snap = checkKillStore(t, srv.database(), ledger)
		checked := time.Now()
		r := retryFailed(t, srv.database(), clock, ledger, snap)
		t.Logf("round %d: %d operations: %d acknowledged, %d failed, %d ErrCommitUnknown; at the kill %d in flight: %d acknowledged, %d ErrCommitUnknown",
			round, st.ops, st.acked, st.failed, st.uncertain, st.inFlight, st.inFlightAcked, st.inFlightUncertain)
		t.Logf("round %d: of the sales whose commit was unknown %d were stored and %d not, of the deletions %d done and %d not; "+
			"repeated, %d sales were created and %d identical duplicates, %d deleted and %d already deleted; "+
			"writing %v, restart %v, check %v, repeats %v",
			round, found.createsStored, found.createsAbsent, found.deletesDone, found.deletesUndone,
			r.created, r.duplicates, r.deleted, r.alreadyDeleted,
			killAt.Sub(roundBegan).Round(time.Millisecond), restarted.Sub(killAt).Round(time.Millisecond),
			checked.Sub(restarted).Round(time.Millisecond), time.Since(checked).Round(time.Millisecond))
		require.Positive(t, st.inFlight, "round %d: no operation was in flight when the server was killed", round)
	}
	found, _ = checkKillStore(t, srv.database(), ledger) // the retried operations, as acknowledged
	found.requireReach(t)
	t.Logf("%s: %d sales, %d deletions tried; %v", d, len(ledger.sales), ledger.deletions, time.Since(began).Round(time.Millisecond))
}

// setupKill migrates the database and creates the partners and the
// customers the writers share; it returns the ledger that knows them.
func setupKill(t *testing.T, db database, clock func() time.Time) *killLedger {
	t.Helper()
	ctx := context.Background()
	s := db.open(t)
	defer s.DB().Close()
	require.NoError(t, s.Migrate(ctx))
	eng, err := commission.New(s, killProgramDef(), commission.WithClock(clock))
	require.NoError(t, err)
	l := &killLedger{sales: map[string]*killSale{}, customers: map[string]killCustomer{}}
	for p := range killPartners {
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: killPartnerKey(p)})
		require.NoError(t, err)
	}
	for c := range killCustomers {
		in := commission.CustomerInput{Key: killCustomerKey(c), Partner: &commission.PartnerRef{Key: killPartnerKey(c % killPartners)}}
		_, err := eng.CreateCustomer(ctx, in)
		require.NoError(t, err)
		l.customers[in.Key] = killCustomer{partner: in.Partner.Key}
	}
	return l
}

// runKillRound runs the writers, each on an engine of its own pool, kills
// the server once they have had killAcked operations acknowledged (and a
// random moment more), stops them a little later and starts the server
// again. It returns every operation of the round and when the kill was
// sent.
func runKillRound(t *testing.T, srv *privateServer, clock func() time.Time, writers []*killWriter) ([]*killOp, time.Time) {
	t.Helper()
	engines := make([]*commission.Engine, len(writers))
	stores := make([]*sqlstore.Store, len(writers))
	for i := range writers {
		stores[i] = srv.database().open(t)
		eng, err := commission.New(stores[i], killProgramDef(), commission.WithClock(clock))
		require.NoError(t, err)
		engines[i] = eng
	}
	stop := make(chan struct{})
	var acked atomic.Int64
	var wg sync.WaitGroup
	ops := make([][]*killOp, len(writers))
	for i, w := range writers {
		wg.Go(func() { ops[i] = w.run(engines[i], stop, &acked) })
	}
	var err error
	deadline := time.Now().Add(60 * time.Second)
	for acked.Load() < killAcked && err == nil {
		if time.Now().After(deadline) {
			err = fmt.Errorf("the writers had %d operations acknowledged in 60s", acked.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(rand.N(killDelay))
	if err == nil {
		err = srv.kill()
	}
	time.Sleep(killAftermath)
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	for _, s := range stores {
		s.DB().Close()
	}
	srv.start(t)
	var all []*killOp
	for _, o := range ops {
		all = append(all, o...)
	}
	return all, srv.killedAt
}

// killOp is one operation of a writer: a sale (one input), a bulk (more)
// or the deletion of a key, with what it returned.
type killOp struct {
	sales        []commission.TransactionInput
	deleted      string
	acked        []*commission.Transaction // the sales as returned, when err is nil
	began, ended time.Time
	err          error
}

// killWriter draws operations at random: sales to the shared customers or
// to a customer created with the sale, bulks, and deletions of its own
// acknowledged sales. It keeps its keys and sales across rounds.
type killWriter struct {
	id   int
	rnd  *rand.Rand
	n    int      // keys drawn so far
	live []string // its acknowledged sales not yet chosen for deletion
}

// run performs operations until stop is closed. After an error (the
// server is down) it pauses a little rather than spin.
func (w *killWriter) run(eng *commission.Engine, stop <-chan struct{}, acked *atomic.Int64) []*killOp {
	var ops []*killOp
	for {
		select {
		case <-stop:
			return ops
		default:
		}
		op := w.next()
		w.do(eng, op)
		ops = append(ops, op)
		if op.err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		acked.Add(1)
		for _, in := range op.sales {
			w.live = append(w.live, in.Key)
		}
	}
}

// next draws an operation: a fifth deletions, some bulks of 2 to 4 sales,
// the rest single sales. A key chosen for deletion is never chosen again,
// whatever the deletion returns.
func (w *killWriter) next() *killOp {
	switch r := w.rnd.IntN(100); {
	case r < 20 && len(w.live) > 0:
		i := w.rnd.IntN(len(w.live))
		key := w.live[i]
		w.live[i] = w.live[len(w.live)-1]
		w.live = w.live[:len(w.live)-1]
		return &killOp{deleted: key}
	case r < 35:
		// A bulk is one customer's, as the documented request body has it.
		op := &killOp{sales: []commission.TransactionInput{w.sale(false)}}
		for range 1 + w.rnd.IntN(3) {
			in := w.sale(false)
			in.Customer, in.Rewardable = op.sales[0].Customer, op.sales[0].Rewardable
			op.sales = append(op.sales, in)
		}
		return op
	default:
		return &killOp{sales: []commission.TransactionInput{w.sale(w.rnd.IntN(8) == 0)}}
	}
}

// sale draws a sale of 10.00 to 200.00 to a shared customer, or to a new
// one created with it; one in ten is not rewardable.
func (w *killWriter) sale(newCustomer bool) commission.TransactionInput {
	w.n++
	amount := decimal.New(int64(1000+w.rnd.IntN(19001)), -2)
	in := commission.TransactionInput{Key: fmt.Sprintf("w%d-%d", w.id, w.n), Amount: &amount,
		Customer: commission.CustomerInput{Key: killCustomerKey(w.rnd.IntN(killCustomers))}}
	if w.rnd.IntN(10) == 0 {
		no := false
		in.Rewardable = &no
	}
	if newCustomer {
		in.Customer = commission.CustomerInput{Key: fmt.Sprintf("w%d-c%d", w.id, w.n),
			Partner: &commission.PartnerRef{Key: killPartnerKey(w.rnd.IntN(killPartners))}}
		in.Options.CreateCustomer = true
	}
	return in
}

func (w *killWriter) do(eng *commission.Engine, op *killOp) {
	ctx, cancel := context.WithTimeout(context.Background(), killOpTimeout)
	defer cancel()
	op.began = time.Now()
	if op.deleted != "" {
		op.err = eng.DeleteTransaction(ctx, op.deleted)
	} else {
		op.acked, op.err = createSales(ctx, eng, op.sales)
	}
	op.ended = time.Now()
}

// createSales creates one sale, or more in a bulk.
func createSales(ctx context.Context, eng *commission.Engine, ins []commission.TransactionInput) ([]*commission.Transaction, error) {
	if len(ins) > 1 {
		return eng.CreateTransactions(ctx, ins)
	}
	tr, err := eng.CreateTransaction(ctx, ins[0])
	if err != nil {
		return nil, err
	}
	return []*commission.Transaction{tr}, nil
}

// outcome is what a writer knows of an operation.
type outcome int

const (
	notTried outcome = iota
	// acknowledged: the call returned nil, so it must be stored.
	acknowledged
	// failed: the call returned an error other than ErrCommitUnknown, so
	// nothing of it may be stored.
	failed
	// uncertain: the call returned commission.ErrCommitUnknown (the
	// connection was lost while the database committed), so it may be
	// stored, whole.
	uncertain
)

func outcomeOf(err error) outcome {
	switch {
	case err == nil:
		return acknowledged
	case errors.Is(err, commission.ErrCommitUnknown):
		return uncertain
	}
	return failed
}

// killLedger is what the writers were told, over every round.
type killLedger struct {
	sales     map[string]*killSale    // every sale tried, by key
	bulks     [][]string              // the keys of each bulk tried
	customers map[string]killCustomer // every customer key: the setup's and those created with a sale
	deletions int
}

type killSale struct {
	in      commission.TransactionInput
	created outcome
	acked   *commission.Transaction // as the create returned it, when acknowledged
	deleted outcome
	bulk    int // 1 + its index in bulks; 0 for a single sale
}

type killCustomer struct {
	partner string // the partner key it is attributed to
	sale    string // the key of the sale that created it; "" for the setup's
}

// killRoundStats counts a round's operations, and those in flight when
// the server was killed by what they returned.
type killRoundStats struct {
	ops, acked, failed, uncertain              int
	inFlight, inFlightAcked, inFlightUncertain int
}

// record adds a round's operations to the ledger and counts them. An
// error before the kill fails the test: nothing but the kill should make
// an operation fail.
func (l *killLedger) record(t *testing.T, ops []*killOp, killAt time.Time) killRoundStats {
	t.Helper()
	st := killRoundStats{ops: len(ops)}
	for _, op := range ops {
		o := outcomeOf(op.err)
		if o != acknowledged && op.ended.Before(killAt) {
			t.Errorf("an operation failed before the kill: %v", op.err)
		}
		st.acked += b2i(o == acknowledged)
		st.failed += b2i(o == failed)
		st.uncertain += b2i(o == uncertain)
		if op.began.Before(killAt) && op.ended.After(killAt) {
			st.inFlight++
			st.inFlightAcked += b2i(o == acknowledged)
			st.inFlightUncertain += b2i(o == uncertain)
		}
		l.add(op, o)
	}
	return st
}

func (l *killLedger) add(op *killOp, o outcome) {
	if op.deleted != "" {
		l.sales[op.deleted].deleted = o
		l.deletions++
		return
	}
	bulk := 0
	if len(op.sales) > 1 {
		keys := make([]string, len(op.sales))
		for i, in := range op.sales {
			keys[i] = in.Key
		}
		l.bulks = append(l.bulks, keys)
		bulk = len(l.bulks)
	}
	for i, in := range op.sales {
		s := &killSale{in: in, created: o, bulk: bulk}
		if o == acknowledged {
			s.acked = op.acked[i]
		}
		l.sales[in.Key] = s
		if in.Options.CreateCustomer {
			l.customers[in.Customer.Key] = killCustomer{partner: in.Customer.Partner.Key, sale: in.Key}
		}
	}
}

// killRetries counts what the retries of failed operations answered.
type killRetries struct{ created, duplicates, deleted, alreadyDeleted int }

// retryFailed repeats every create and deletion that failed, on a fresh
// pool, as a client does once the server is back, and checks the answer
// against what the store held (snap): a create answers nil if its sale
// was not stored and an identical *DuplicateError if it was, never storing
// it twice; a deletion answers nil if it was not done and
// ErrAlreadyDeleted if it was. The operations count as acknowledged from
// then on.
func retryFailed(t *testing.T, db database, clock func() time.Time, l *killLedger, snap *killSnapshot) killRetries {
	t.Helper()
	ctx := context.Background()
	s := db.open(t)
	defer s.DB().Close()
	eng, err := commission.New(s, killProgramDef(), commission.WithClock(clock))
	require.NoError(t, err)
	var r killRetries
	for _, ins := range l.failedCreates() {
		r.retryCreate(t, ctx, eng, l, ins, snap.txs[ins[0].Key] != nil)
	}
	for key, s := range l.sales {
		if s.deleted != failed && s.deleted != uncertain {
			continue
		}
		done := snap.txs[key].State == commission.TransactionDeleted
		err := eng.DeleteTransaction(ctx, key)
		switch {
		case err == nil && !done:
			r.deleted++
		case errors.Is(err, commission.ErrAlreadyDeleted) && done:
			r.alreadyDeleted++
		default:
			t.Fatalf("retrying the deletion of %s (done: %v): %v", key, done, err)
		}
		s.deleted = acknowledged
	}
	return r
}

// retryCreate repeats the create of a sale or bulk that failed.
func (r *killRetries) retryCreate(t *testing.T, ctx context.Context, eng *commission.Engine, l *killLedger, ins []commission.TransactionInput, stored bool) {
	t.Helper()
	got, err := createSales(ctx, eng, ins)
	var dup *commission.DuplicateError
	switch {
	case err == nil && !stored:
		r.created++
	case errors.As(err, &dup) && dup.Identical && stored:
		r.duplicates++
		got = got[:0]
		for _, in := range ins {
			tr, err := eng.Transaction(ctx, in.Key)
			require.NoError(t, err)
			got = append(got, tr)
		}
	default:
		t.Fatalf("retrying %s (stored: %v): %v", ins[0].Key, stored, err)
	}
	for i, in := range ins {
		s := l.sales[in.Key]
		s.created, s.acked = acknowledged, got[i]
	}
}

// failedCreates returns the inputs of each create that failed: a sale, or
// all of a bulk's.
func (l *killLedger) failedCreates() [][]commission.TransactionInput {
	var out [][]commission.TransactionInput
	for key, s := range l.sales {
		switch {
		case s.created != failed && s.created != uncertain:
		case s.bulk == 0:
			out = append(out, []commission.TransactionInput{s.in})
		case l.bulks[s.bulk-1][0] == key:
			var ins []commission.TransactionInput
			for _, k := range l.bulks[s.bulk-1] {
				ins = append(ins, l.sales[k].in)
			}
			out = append(out, ins)
		}
	}
	return out
}
