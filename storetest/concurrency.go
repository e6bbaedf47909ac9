package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Concurrent units of work, on one store or on peers of it (as other
// processes would be): a key is taken once, reads that decide are
// race-free, only committed writes are seen, and several Engines racing
// for the same keys, the same new customer, the same spend limit or goal
// leave exactly one winner each. Every goroutine's inputs are fixed before
// it starts; the checks after they end hold whatever the order.
func concurrencyTests() []subtest {
	return []subtest{
		{"updates and views", testConcurrentUpdatesAndViews},
		{"a counter check is race-free", testCounterCheckRaceFree},
		{"a counter read with its buyer is race-free", testBuyerCounterCheckRaceFree},
		{"engines race for keys and a new customer", testEnginesRace},
		{"spend limit reached exactly", testSpendLimitRace},
		{"first times rewarded exactly", testFirstTimesRace},
		{"a refund racing a rejection gives back once", testRefundRacingRejection},
		{"goal thresholds paid once, eight engines", func(t *testing.T, h Harness) { testGoalRace(t, h, false) }},
		{"goal thresholds paid once, one engine", func(t *testing.T, h Harness) { testGoalRace(t, h, true) }},
		{"signup goal paid once", testSignupGoalRace},
		{"referral numbers taken once", testReferralOccurrenceRace},
		{"racing payouts, refunds and settlements keep the books", testPayoutLifecycleRace},
	}
}

// How many goroutines testConcurrentUpdatesAndViews runs, and how many
// inserts each makes.
const (
	tallyGoroutines = 8
	tallyIterations = 40
)

// tallyTotal counts the inserts that committed.
var tallyTotal = commission.CounterKey{Name: "inserted"}

// tallyKey is the key goroutine g inserts in its iteration i: every fourth
// one is a key that every goroutine tries.
func tallyKey(g, i int) string {
	if i%4 == 0 {
		return fmt.Sprintf("shared-%03d", i)
	}
	return fmt.Sprintf("g%d-%03d", g, i)
}

// tally is what the goroutines of testConcurrentUpdatesAndViews saw.
type tally struct {
	mu        sync.Mutex
	successes map[string]int   // inserts of a key that committed
	dups      map[string]int   // inserts of a key that found it taken
	seqs      map[int64]string // the key each Seq was given to
}

func testConcurrentUpdatesAndViews(t *testing.T, h Harness) {
	s := h.New(t)
	all := stores(t, h, s, tallyGoroutines)
	tl := &tally{successes: map[string]int{}, dups: map[string]int{}, seqs: map[int64]string{}}
	var wg sync.WaitGroup
	for g := range tallyGoroutines {
		gs := all[g]
		wg.Go(func() {
			for i := range tallyIterations {
				tl.insert(t, gs, g, i)
				if i%10 == 0 {
					assert.ErrorIs(t, insertRolledBack(gs, g, i), errBoom)
				}
				assert.NoError(t, readBack(gs, g, tallyKey(g, i)))
				// Other programs, created concurrently, stay empty.
				assert.NoError(t, requireProgramEmpty(gs, fmt.Sprintf("other-%d", i%5)))
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed())
	tl.requireOutcome(t, s)
}

// insert inserts goroutine g's sale of iteration i, counted in the same
// unit of work, and records how it went.
func (tl *tally) insert(t *testing.T, s commission.Store, g, i int) {
	key := tallyKey(g, i)
	in := saleFixture(key, fmt.Sprintf("c%d", g%3), fmt.Sprintf("p%d", i%2),
		t0.Add(time.Duration(i%10)*time.Minute), "r-"+key)
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		// Counted first, so a lost insert must roll it back.
		if err := tx.AddCounters(ctx, []commission.CounterDelta{{Key: tallyTotal, Delta: dec("1")}}); err != nil {
			return err
		}
		return tx.InsertTransaction(ctx, in)
	})
	tl.mu.Lock()
	defer tl.mu.Unlock()
	switch {
	case err == nil:
		tl.successes[key]++
		if other, seen := tl.seqs[in.Seq]; seen {
			t.Errorf("Seq %d given to %s and %s", in.Seq, other, key)
		}
		tl.seqs[in.Seq] = key
	case errors.Is(err, commission.ErrDuplicateKey):
		tl.dups[key]++
	default:
		t.Errorf("insert %s: %v", key, err)
	}
}

// insertRolledBack counts a million and inserts a sale, then fails.
func insertRolledBack(s commission.Store, g, i int) error {
	return s.Update(ctx, "a", func(tx commission.StoreTx) error {
		if err := tx.AddCounters(ctx, []commission.CounterDelta{{Key: tallyTotal, Delta: dec("1000000")}}); err != nil {
			return err
		}
		if err := tx.InsertTransaction(ctx, saleFixture(fmt.Sprintf("rolled-back-%d-%d", g, i), "c0", "p0", t0, fmt.Sprintf("rb-%d-%d", g, i))); err != nil {
			return err
		}
		return errBoom
	})
}

// readBack reads the sale of key, which goroutine g has just inserted or
// found taken, its customer's listing and the count of inserts.
func readBack(s commission.Store, g int, key string) error {
	return s.View(ctx, "a", func(tx commission.StoreTx) error {
		tr, err := tx.Transaction(ctx, key)
		if err != nil {
			return fmt.Errorf("transaction %s after its insert: %w", key, err)
		}
		if tr.Key != key || len(tr.Rewards) != 1 || tr.Rewards[0].ID != "r-"+key {
			return fmt.Errorf("transaction %s read back as %s with %d rewards", key, tr.Key, len(tr.Rewards))
		}
		ls, err := tx.Transactions(ctx, commission.TransactionQuery{CustomerID: fmt.Sprintf("c%d", g%3), Limit: 20})
		if err != nil {
			return err
		}
		for j := 1; j < len(ls); j++ {
			if !ls[j-1].Position().Before(ls[j].Position()) {
				return fmt.Errorf("listing out of order: %s before %s", ls[j-1].Key, ls[j].Key)
			}
		}
		vals, err := tx.Counters(ctx, []commission.CounterKey{tallyTotal})
		if err != nil {
			return err
		}
		// Only committed counts are seen: at least this goroutine's key,
		// never a rolled back million.
		if vals[0].Cmp(decimal.NewFromInt(1)) < 0 || vals[0].Cmp(dec("1000000")) >= 0 {
			return fmt.Errorf("counter reads %s", vals[0])
		}
		return nil
	})
}

// requireProgramEmpty fails unless program prog lists no transactions.
func requireProgramEmpty(s commission.Store, prog string) error {
	return s.View(ctx, prog, func(tx commission.StoreTx) error {
		ls, err := tx.Transactions(ctx, commission.TransactionQuery{Limit: 10})
		if err != nil {
			return err
		}
		if len(ls) != 0 {
			return fmt.Errorf("program %s lists %d transactions", prog, len(ls))
		}
		return nil
	})
}

// requireOutcome requires every key inserted once, the others that tried
// it told it was taken, each once in the listing with the Seq it was
// given, counted once, and nothing of the rolled back units of work.
func (tl *tally) requireOutcome(t *testing.T, s commission.Store) {
	distinct := make(map[string]bool)
	for g := range tallyGoroutines {
		for i := range tallyIterations {
			distinct[tallyKey(g, i)] = true
		}
	}
	require.Len(t, distinct, tallyGoroutines*tallyIterations*3/4+tallyIterations/4)
	for key := range distinct {
		require.Equal(t, 1, tl.successes[key], "exactly one insert of %s succeeds", key)
		if strings.HasPrefix(key, "shared") {
			require.Equal(t, tallyGoroutines-1, tl.dups[key], "the others get ErrDuplicateKey for %s", key)
		} else {
			require.Zero(t, tl.dups[key], key)
		}
	}
	require.Len(t, tl.successes, len(distinct))
	require.Len(t, tl.seqs, len(distinct), "Seq values are unique")

	listed := list(t, s, "a", commission.TransactionQuery{Limit: 10 * len(distinct)})
	require.Len(t, listed, len(distinct))
	listedSeqs := make(map[int64]bool)
	for _, tr := range listed {
		require.True(t, distinct[tr.Key], "unexpected key %s", tr.Key)
		require.False(t, listedSeqs[tr.Seq], "Seq %d listed twice", tr.Seq)
		listedSeqs[tr.Seq] = true
		require.Equal(t, tr.Key, tl.seqs[tr.Seq], "Seq of %s", tr.Key)
	}
	requireNewestFirst(t, listed)
	requireDecimal(t, decimal.NewFromInt(int64(len(distinct))), counters(t, s, "a", tallyTotal)[0],
		"one count per committed insert, none for lost or rolled back ones")
	for g := range tallyGoroutines {
		_, err := getTx(t, s, "a", fmt.Sprintf("rolled-back-%d-0", g))
		requireNotFound(t, err, "rolled back transaction")
		_, err = getReward(t, s, "a", fmt.Sprintf("rb-%d-0", g))
		requireNotFound(t, err, "reward of a rolled back transaction")
	}
}

var errFull = errors.New("full")

// Units of work that each read a counter and add to it only while it is
// under a limit: with race-free reads, exactly the limit pass, however
// many race.
func testCounterCheckRaceFree(t *testing.T, h Harness) {
	capKey := commission.CounterKey{Name: "partner.rewards", Subject: "p1", Bucket: "2025-05"}
	counterCheckRace(t, h, capKey, func(tx commission.StoreTx) (decimal.Decimal, error) {
		vals, err := tx.Counters(ctx, []commission.CounterKey{capKey})
		if err != nil {
			return decimal.Zero, err
		}
		return vals[0], nil
	})
}

// The same, reading the counter with its customer (StoreTx.Buyer), or
// after it when the store does not read it there.
func testBuyerCounterCheckRaceFree(t *testing.T, h Harness) {
	capKey := commission.CounterKey{Name: "customer.limited", Subject: "c1"}
	counterCheckRace(t, h, capKey, func(tx commission.StoreTx) (decimal.Decimal, error) {
		b, err := tx.Buyer(ctx, commission.CustomerRef{Key: "key-c1"}, []string{capKey.Name})
		switch {
		case err != nil:
			return decimal.Zero, err
		case b.Counters != nil:
			return b.Counters[0], nil
		}
		vals, err := tx.Counters(ctx, []commission.CounterKey{capKey})
		if err != nil {
			return decimal.Zero, err
		}
		return vals[0], nil
	})
}

// counterCheckRace runs units of work that read capKey with read and add
// 1 to it while it is under a limit.
func counterCheckRace(t *testing.T, h Harness, capKey commission.CounterKey, read func(commission.StoreTx) (decimal.Decimal, error)) {
	const (
		workers  = 8
		attempts = 6
		limit    = 20
	)
	s := h.New(t)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		// The counter exists: a store may lock only existing rows with
		// the buyer.
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: capKey, Delta: decimal.Zero}}))
	})
	all := stores(t, h, s, workers)

	var (
		mu         sync.Mutex
		won, full  int
		unexpected []error
	)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		ws := all[w]
		wg.Go(func() {
			for i := 0; i < attempts; i++ {
				key := fmt.Sprintf("w%d-%d", w, i)
				err := ws.Update(ctx, "a", func(tx commission.StoreTx) error {
					v, err := read(tx)
					if err != nil {
						return err
					}
					if v.Cmp(decimal.NewFromInt(limit)) >= 0 {
						return errFull
					}
					if err := tx.AddCounters(ctx, []commission.CounterDelta{{Key: capKey, Delta: dec("1")}}); err != nil {
						return err
					}
					return tx.InsertTransaction(ctx, saleFixture(key, "c1", "p1", t0, "r-"+key))
				})
				mu.Lock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, errFull):
					full++
				default:
					unexpected = append(unexpected, fmt.Errorf("%s: %w", key, err))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Empty(t, unexpected)
	require.Equal(t, limit, won, "units of work that passed the check")
	require.Equal(t, workers*attempts-limit, full)
	requireDecimal(t, decimal.NewFromInt(limit), counters(t, s, "a", capKey)[0], "counter")
	require.Len(t, list(t, s, "a", commission.TransactionQuery{Limit: 1000}), limit)
}
