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
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// Concurrent units of work, on one store or on peers of it (as other
// processes would be): a key is taken once, reads that decide are
// race-free, only committed writes are seen, and several Engines racing for
// the same keys and the same new customer leave exactly one winner each.
// Every goroutine's inputs are fixed before it starts; the checks after
// they end hold whatever the order.
func concurrencyTests() []subtest {
	return []subtest{
		{"updates and views", testConcurrentUpdatesAndViews},
		{"a counter check is race-free", testCounterCheckRaceFree},
		{"engines race for keys and a new customer", testEnginesRace},
	}
}

func testConcurrentUpdatesAndViews(t *testing.T, h Harness) {
	const (
		goroutines = 8
		iterations = 40
	)
	s := h.New(t)
	all := stores(t, h, s, goroutines)
	total := commission.CounterKey{Name: "inserted"}

	var (
		mu        sync.Mutex
		successes = make(map[string]int)
		dups      = make(map[string]int)
		seqs      = make(map[int64]string)
	)
	keyFor := func(g, i int) string {
		if i%4 == 0 {
			return fmt.Sprintf("shared-%03d", i) // every goroutine tries it
		}
		return fmt.Sprintf("g%d-%03d", g, i)
	}

	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		gs := all[g]
		wg.Go(func() {
			for i := 0; i < iterations; i++ {
				key := keyFor(g, i)
				in := saleFixture(key, fmt.Sprintf("c%d", g%3), fmt.Sprintf("p%d", i%2),
					t0.Add(time.Duration(i%10)*time.Minute), "r-"+key)
				err := gs.Update(ctx, "a", func(tx commission.StoreTx) error {
					// Counted first, so a lost insert must roll it back.
					if err := tx.AddCounters(ctx, []commission.CounterDelta{{Key: total, Delta: dec("1")}}); err != nil {
						return err
					}
					return tx.InsertTransaction(ctx, in)
				})
				mu.Lock()
				switch {
				case err == nil:
					successes[key]++
					if other, seen := seqs[in.Seq]; seen {
						t.Errorf("Seq %d given to %s and %s", in.Seq, other, key)
					}
					seqs[in.Seq] = key
				case errors.Is(err, commission.ErrDuplicateKey):
					dups[key]++
				default:
					t.Errorf("insert %s: %v", key, err)
				}
				mu.Unlock()

				if i%10 == 0 {
					err := gs.Update(ctx, "a", func(tx commission.StoreTx) error {
						if err := tx.AddCounters(ctx, []commission.CounterDelta{{Key: total, Delta: dec("1000000")}}); err != nil {
							return err
						}
						if err := tx.InsertTransaction(ctx, saleFixture(fmt.Sprintf("rolled-back-%d-%d", g, i), "c0", "p0", t0, fmt.Sprintf("rb-%d-%d", g, i))); err != nil {
							return err
						}
						return errBoom
					})
					assert.ErrorIs(t, err, errBoom)
				}

				err = gs.View(ctx, "a", func(tx commission.StoreTx) error {
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
					vals, err := tx.Counters(ctx, []commission.CounterKey{total})
					if err != nil {
						return err
					}
					// Only committed counts are seen: at least this
					// goroutine's key, never a rolled back million.
					if vals[0].Cmp(decimal.NewFromInt(1)) < 0 || vals[0].Cmp(dec("1000000")) >= 0 {
						return fmt.Errorf("counter reads %s", vals[0])
					}
					return nil
				})
				assert.NoError(t, err)

				// Other programs, created concurrently, stay empty.
				err = gs.View(ctx, fmt.Sprintf("other-%d", i%5), func(tx commission.StoreTx) error {
					ls, err := tx.Transactions(ctx, commission.TransactionQuery{Limit: 10})
					if err != nil {
						return err
					}
					if len(ls) != 0 {
						return fmt.Errorf("program other-%d lists %d transactions", i%5, len(ls))
					}
					return nil
				})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed())

	distinct := make(map[string]bool)
	for g := 0; g < goroutines; g++ {
		for i := 0; i < iterations; i++ {
			distinct[keyFor(g, i)] = true
		}
	}
	require.Len(t, distinct, goroutines*iterations*3/4+iterations/4)
	for key := range distinct {
		require.Equal(t, 1, successes[key], "exactly one insert of %s succeeds", key)
		if strings.HasPrefix(key, "shared") {
			require.Equal(t, goroutines-1, dups[key], "the others get ErrDuplicateKey for %s", key)
		} else {
			require.Zero(t, dups[key], key)
		}
	}
	require.Len(t, successes, len(distinct))
	require.Len(t, seqs, len(distinct), "Seq values are unique")

	all0 := list(t, s, "a", commission.TransactionQuery{Limit: 10 * len(distinct)})
	require.Len(t, all0, len(distinct))
	listedSeqs := make(map[int64]bool)
	for _, tr := range all0 {
		require.True(t, distinct[tr.Key], "unexpected key %s", tr.Key)
		require.False(t, listedSeqs[tr.Seq], "Seq %d listed twice", tr.Seq)
		listedSeqs[tr.Seq] = true
		require.Equal(t, tr.Key, seqs[tr.Seq], "Seq of %s", tr.Key)
	}
	requireNewestFirst(t, all0)
	requireDecimal(t, decimal.NewFromInt(int64(len(distinct))), counters(t, s, "a", total)[0],
		"one count per committed insert, none for lost or rolled back ones")
	for g := 0; g < goroutines; g++ {
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
	const (
		workers  = 8
		attempts = 6
		limit    = 20
	)
	s := h.New(t)
	all := stores(t, h, s, workers)
	capKey := commission.CounterKey{Name: "partner.rewards", Subject: "p1", Bucket: "2025-05"}

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
					vals, err := tx.Counters(ctx, []commission.CounterKey{capKey})
					if err != nil {
						return err
					}
					if vals[0].Cmp(decimal.NewFromInt(limit)) >= 0 {
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

// raceAttempt is one CreateTransaction an engine makes in testEnginesRace.
type raceAttempt struct {
	key         string
	amount      decimal.Decimal
	newCustomer bool // else the existing customer "old"
}

const raceNewEmail = "new@customers.test"

func (a raceAttempt) input() commission.TransactionInput {
	amount := a.amount
	in := commission.TransactionInput{Key: a.key, Amount: &amount, Customer: commission.CustomerInput{Key: "old"}}
	if a.newCustomer {
		// No key: the creating engine makes the customer's id, so two
		// creations of it could not pass for one.
		in.Customer = commission.CustomerInput{Email: raceNewEmail, Partner: &commission.PartnerRef{Key: "p"}}
		in.Options.CreateCustomer = true
	}
	return in
}

type raceResult struct {
	tx  *commission.Transaction
	err error
}

func testEnginesRace(t *testing.T, h Harness) {
	const engines = 8
	s := h.New(t)
	all := stores(t, h, s, engines)
	keyPool := []string{"k0", "k1", "k2", "k3", "k4", "k5"}

	check(t, func(rt *rapid.T) {
		prog := commission.Program{
			ID: newProgramID("race"), Kind: commission.Affiliate, Currency: "USD",
			Rules: commission.RuleSet{Default: commission.Percent(dec("30")), ReviewPeriod: 7 * 24 * time.Hour},
		}
		keys := keyPool[:rapid.IntRange(1, len(keyPool)).Draw(rt, "keys")]
		plans := make([][]raceAttempt, engines)
		for e := range plans {
			for _, k := range rapid.Permutation(keys).Draw(rt, "order") {
				plans[e] = append(plans[e], raceAttempt{
					key:         k,
					amount:      dec(rapid.SampledFrom([]string{"10", "20.5"}).Draw(rt, "amount")),
					newCustomer: rapid.Bool().Draw(rt, "new_customer"),
				})
			}
		}

		engs := make([]*commission.Engine, engines)
		clocks := make([]time.Time, engines)
		for e := range engs {
			clocks[e] = t0.Add(time.Duration(e) * time.Millisecond)
			at := clocks[e]
			var err error
			engs[e], err = commission.New(all[e], prog,
				commission.WithClock(func() time.Time { return at }),
				commission.WithIDGenerator(idGenerator(fmt.Sprintf("%s_e%d_", prog.ID, e))))
			require.NoError(rt, err)
		}
		_, err := engs[0].CreatePartner(ctx, commission.PartnerInput{Key: "p", Email: "p@partners.test"})
		require.NoError(rt, err)
		_, err = engs[0].CreateCustomer(ctx, commission.CustomerInput{Key: "old", Partner: &commission.PartnerRef{Key: "p"}})
		require.NoError(rt, err)

		results := make([][]raceResult, engines)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for e := range engs {
			results[e] = make([]raceResult, len(plans[e]))
			wg.Go(func() {
				<-start
				for i, a := range plans[e] {
					tx, err := engs[e].CreateTransaction(ctx, a.input())
					results[e][i] = raceResult{tx, err}
				}
			})
		}
		close(start)
		wg.Wait()

		// Exactly one winner per key.
		type winner struct {
			engine  int
			attempt raceAttempt
			tx      *commission.Transaction
		}
		winners := map[string]winner{}
		for e := range plans {
			for i, a := range plans[e] {
				if r := results[e][i]; r.err == nil {
					w, dup := winners[a.key]
					require.False(rt, dup, "key %s stored by engines %d and %d", a.key, w.engine, e)
					winners[a.key] = winner{e, a, r.tx}
				}
			}
		}
		require.Len(rt, winners, len(keys), "every key has a winner")

		// The new customer exists once, if a sale that stored made it.
		newCust, err := engs[engines-1].Customer(ctx, commission.CustomerRef{Email: raceNewEmail})
		anyNew := false
		for _, w := range winners {
			anyNew = anyNew || w.attempt.newCustomer
		}
		if anyNew {
			require.NoError(rt, err, "the new customer")
			require.Equal(rt, "p", newCust.PartnerKey)
		} else {
			require.ErrorIs(rt, err, commission.ErrNotFound, "no stored sale created the new customer")
		}
		customerOf := func(a raceAttempt) string {
			if a.newCustomer {
				return newCust.ID
			}
			return "old"
		}

		for k, w := range winners {
			requireDecimal(rt, w.attempt.amount, w.tx.Amount, k+" amount")
			require.Equal(rt, customerOf(w.attempt), w.tx.CustomerID, k)
			requireTime(rt, clocks[w.engine], w.tx.CreatedAt, k+" CreatedAt")
			require.Len(rt, w.tx.Rewards, 1, k)
			requireDecimal(rt, w.attempt.amount.Mul(rate30), w.tx.Rewards[0].Amount, k+" reward")
		}

		// Every other attempt is a duplicate naming the winner.
		for e := range plans {
			for i, a := range plans[e] {
				w := winners[a.key]
				if w.engine == e {
					continue
				}
				err := results[e][i].err
				require.ErrorIs(rt, err, commission.ErrDuplicateKey, "engine %d, key %s", e, a.key)
				var dup *commission.DuplicateError
				require.ErrorAs(rt, err, &dup)
				require.Equal(rt, a.key, dup.Key)
				require.NotNil(rt, dup.Existing)
				require.Equal(rt, a.key, dup.Existing.Key)
				requireDecimal(rt, w.attempt.amount, dup.Existing.Amount, "existing amount")
				require.Equal(rt, w.tx.CustomerID, dup.Existing.CustomerID)
				requireTime(rt, w.tx.CreatedAt, dup.Existing.CreatedAt, "existing CreatedAt")
				identical := a.newCustomer == w.attempt.newCustomer && a.amount.Equal(w.attempt.amount)
				require.Equal(rt, identical, dup.Identical, "engine %d, key %s: %+v against the winner's %+v", e, a.key, a, w.attempt)
			}
		}

		// The listing holds the winners, each once, and the partner's
		// rewards add up to theirs.
		listed := listAll(rt, engs[1], commission.ListOptions{Limit: 4})
		require.Len(rt, listed, len(keys))
		sum, wantSum := decimal.Zero, decimal.Zero
		for _, tx := range listed {
			w, ok := winners[tx.Key]
			require.True(rt, ok, "unknown key %s listed", tx.Key)
			requireDecimal(rt, w.attempt.amount, tx.Amount, tx.Key+" listed amount")
			require.Equal(rt, w.tx.CustomerID, tx.CustomerID, tx.Key)
			for _, r := range tx.Rewards {
				require.Equal(rt, "p", r.PartnerKey)
				sum = sum.Add(r.Amount)
			}
			wantSum = wantSum.Add(w.attempt.amount.Mul(rate30))
		}
		requireDecimal(rt, wantSum, sum, "the partner's rewards")
		if anyNew {
			var wantKeys []string
			for k, w := range winners {
				if w.attempt.newCustomer {
					wantKeys = append(wantKeys, k)
				}
			}
			got := keysOf(listAll(rt, engs[2], commission.ListOptions{CustomerKey: newCust.Key, Limit: commission.MaxLimit}))
			require.ElementsMatch(rt, wantKeys, got, "the new customer's sales")
		}
	})
}
