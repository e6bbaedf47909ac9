package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// Engines race, each on a store of its own, for the same transaction
// keys, some of the sales creating the same new customer: every key is
// stored once, the new customer is created once, and every other attempt
// is a DuplicateError naming the winner.

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

// raceWinner is the attempt that stored a key.
type raceWinner struct {
	engine  int
	attempt raceAttempt
	tx      *commission.Transaction
}

// keyRace is one check of testEnginesRace: the plans drawn, the engines
// that carry them out and what came of them.
type keyRace struct {
	keys    []string
	plans   [][]raceAttempt // by engine
	engs    []*commission.Engine
	clocks  []time.Time // each engine's fixed time
	results [][]raceResult
	winners map[string]raceWinner
	anyNew  bool                 // whether a winner created the new customer
	newCust *commission.Customer // it, if so
}

// raceKeyPool is the keys the engines race for.
var raceKeyPool = []string{"k0", "k1", "k2", "k3", "k4", "k5"}

func testEnginesRace(t *testing.T, h Harness) {
	const engines = 8
	s := h.New(t)
	all := stores(t, h, s, engines)
	check(t, h, func(rt *rapid.T) {
		r := drawKeyRace(rt, engines)
		r.startEngines(rt, all)
		r.run()
		r.findWinners(rt)
		r.requireNewCustomer(rt)
		r.requireWinners(rt)
		r.requireDuplicates(rt)
		r.requireListing(rt)
	})
}

// drawKeyRace draws the keys raced for and each engine's attempts: every
// key once, in an order of its own.
func drawKeyRace(rt *rapid.T, engines int) *keyRace {
	r := &keyRace{keys: raceKeyPool[:rapid.IntRange(1, len(raceKeyPool)).Draw(rt, "keys")]}
	r.plans = make([][]raceAttempt, engines)
	for e := range r.plans {
		for _, k := range rapid.Permutation(r.keys).Draw(rt, "order") {
			r.plans[e] = append(r.plans[e], raceAttempt{
				key:         k,
				amount:      dec(rapid.SampledFrom([]string{"10", "20.5"}).Draw(rt, "amount")),
				newCustomer: rapid.Bool().Draw(rt, "new_customer"),
			})
		}
	}
	return r
}

// startEngines makes an engine on each store, a millisecond apart, for a
// new program with partner "p" and its customer "old".
func (r *keyRace) startEngines(rt *rapid.T, all []commission.Store) {
	prog := commission.Program{
		ID: newProgramID("race"), Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(dec("30")), ReviewPeriod: 7 * 24 * time.Hour},
	}
	r.engs = make([]*commission.Engine, len(r.plans))
	r.clocks = make([]time.Time, len(r.plans))
	for e := range r.engs {
		r.clocks[e] = t0.Add(time.Duration(e) * time.Millisecond)
		at := r.clocks[e]
		var err error
		r.engs[e], err = commission.New(all[e], prog,
			commission.WithClock(func() time.Time { return at }),
			commission.WithIDGenerator(idGenerator(fmt.Sprintf("%s_e%d_", prog.ID, e))))
		require.NoError(rt, err)
	}
	_, err := r.engs[0].CreatePartner(ctx, commission.PartnerInput{Key: "p", Email: "p@partners.test"})
	require.NoError(rt, err)
	_, err = r.engs[0].CreateCustomer(ctx, commission.CustomerInput{Key: "old", Partner: &commission.PartnerRef{Key: "p"}})
	require.NoError(rt, err)
}

// run has every engine make its attempts, all engines at once.
func (r *keyRace) run() {
	r.results = make([][]raceResult, len(r.engs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for e := range r.engs {
		r.results[e] = make([]raceResult, len(r.plans[e]))
		wg.Go(func() {
			<-start
			for i, a := range r.plans[e] {
				tx, err := r.engs[e].CreateTransaction(ctx, a.input())
				r.results[e][i] = raceResult{tx, err}
			}
		})
	}
	close(start)
	wg.Wait()
}

// findWinners requires exactly one winner per key.
func (r *keyRace) findWinners(rt *rapid.T) {
	r.winners = map[string]raceWinner{}
	for e := range r.plans {
		for i, a := range r.plans[e] {
			if res := r.results[e][i]; res.err == nil {
				w, dup := r.winners[a.key]
				require.False(rt, dup, "key %s stored by engines %d and %d", a.key, w.engine, e)
				r.winners[a.key] = raceWinner{e, a, res.tx}
				r.anyNew = r.anyNew || a.newCustomer
			}
		}
	}
	require.Len(rt, r.winners, len(r.keys), "every key has a winner")
}

// requireNewCustomer requires the new customer to exist once, if a sale
// that stored made it.
func (r *keyRace) requireNewCustomer(rt *rapid.T) {
	newCust, err := r.engs[len(r.engs)-1].Customer(ctx, commission.CustomerRef{Email: raceNewEmail})
	if !r.anyNew {
		require.ErrorIs(rt, err, commission.ErrNotFound, "no stored sale created the new customer")
		return
	}
	require.NoError(rt, err, "the new customer")
	require.Equal(rt, "p", newCust.PartnerKey)
	r.newCust = newCust
}

// customerOf is the id of the customer attempt a sells to.
func (r *keyRace) customerOf(a raceAttempt) string {
	if a.newCustomer {
		return r.newCust.ID
	}
	return "old"
}

// requireWinners requires each stored sale to be its attempt's, made at
// its engine's time, with its reward.
func (r *keyRace) requireWinners(rt *rapid.T) {
	for k, w := range r.winners {
		requireDecimal(rt, w.attempt.amount, w.tx.Amount, k+" amount")
		require.Equal(rt, r.customerOf(w.attempt), w.tx.CustomerID, k)
		requireTime(rt, r.clocks[w.engine], w.tx.CreatedAt, k+" CreatedAt")
		want := w.attempt.amount.Mul(rate30)
		if want.IsZero() {
			require.Empty(rt, w.tx.Rewards, k+": a reward of 0 is not kept")
			continue
		}
		require.Len(rt, w.tx.Rewards, 1, k)
		requireDecimal(rt, want, w.tx.Rewards[0].Amount, k+" reward")
	}
}

// requireDuplicates requires every other attempt to be a duplicate naming
// the winner, identical when it asked for the same sale.
func (r *keyRace) requireDuplicates(rt *rapid.T) {
	for e := range r.plans {
		for i, a := range r.plans[e] {
			w := r.winners[a.key]
			if w.engine == e {
				continue
			}
			err := r.results[e][i].err
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
}

// requireListing requires the listing to hold the winners, each once, the
// partner's rewards to add up to theirs, and the new customer's listing to
// hold its sales.
func (r *keyRace) requireListing(rt *rapid.T) {
	listed := listAll(rt, r.engs[1], commission.ListOptions{Limit: 4})
	require.Len(rt, listed, len(r.keys))
	sum, wantSum := decimal.Zero, decimal.Zero
	for _, tx := range listed {
		w, ok := r.winners[tx.Key]
		require.True(rt, ok, "unknown key %s listed", tx.Key)
		requireDecimal(rt, w.attempt.amount, tx.Amount, tx.Key+" listed amount")
		require.Equal(rt, w.tx.CustomerID, tx.CustomerID, tx.Key)
		for _, rw := range tx.Rewards {
			require.Equal(rt, "p", rw.PartnerKey)
			sum = sum.Add(rw.Amount)
		}
		wantSum = wantSum.Add(w.attempt.amount.Mul(rate30))
	}
	requireDecimal(rt, wantSum, sum, "the partner's rewards")
	if !r.anyNew {
		return
	}
	var wantKeys []string
	for k, w := range r.winners {
		if w.attempt.newCustomer {
			wantKeys = append(wantKeys, k)
		}
	}
	got := keysOf(listAll(rt, r.engs[2], commission.ListOptions{CustomerKey: r.newCust.Key, Limit: commission.MaxLimit}))
	require.ElementsMatch(rt, wantKeys, got, "the new customer's sales")
}
