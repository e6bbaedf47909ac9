package storetest

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Engines, each on a store of its own (as processes would be), sell at
// once against what may be paid only so often: a spend limit, a
// commission for the first sales, a goal's thresholds. Each is paid
// exactly, never past it and never twice.

// limitRaceAt is the time of every engine in these tests.
var limitRaceAt = time.Date(2025, 5, 7, 12, 0, 0, 0, time.UTC)

// enginesFor returns n engines for program on s's database, engine i on
// stores(t, h, s, n)[i], all at limitRaceAt, and creates the partner
// "partner" and its customer "customer".
func enginesFor(t *testing.T, h Harness, s commission.Store, program commission.Program, n int) []*commission.Engine {
	t.Helper()
	engines := make([]*commission.Engine, n)
	for i, st := range stores(t, h, s, n) {
		var err error
		engines[i], err = commission.New(st, program, commission.WithClock(func() time.Time { return limitRaceAt }))
		require.NoError(t, err)
	}
	_, err := engines[0].CreatePartner(ctx, commission.PartnerInput{ID: "partner", Key: "partner"})
	require.NoError(t, err)
	_, err = engines[0].CreateCustomer(ctx, commission.CustomerInput{Key: "customer", Partner: &commission.PartnerRef{Key: "partner"}})
	require.NoError(t, err)
	return engines
}

// sellAtOnce has every engine sell perEngine sales of amount to
// "customer", each engine in a goroutine of its own, all at once (an
// engine given twice sells from two goroutines), requires every sale
// stored and returns them.
func sellAtOnce(t *testing.T, engines []*commission.Engine, perEngine int, amount string) []*commission.Transaction {
	t.Helper()
	type result struct {
		tx  *commission.Transaction
		err error
	}
	results := make(chan result, len(engines)*perEngine)
	var wg sync.WaitGroup
	for i, eng := range engines {
		wg.Go(func() {
			for j := range perEngine {
				a := dec(amount)
				tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{
					Key: "s" + strconv.Itoa(i) + "-" + strconv.Itoa(j), Amount: &a,
					Customer: commission.CustomerInput{Key: "customer"}})
				results <- result{tx, err}
			}
		})
	}
	wg.Wait()
	close(results)
	var sold []*commission.Transaction
	for r := range results {
		require.NoError(t, r.err)
		sold = append(sold, r.tx)
	}
	return sold
}

// allSales lists every transaction of eng's program.
func allSales(t *testing.T, eng *commission.Engine) []*commission.Transaction {
	t.Helper()
	return listAll(t, eng, commission.ListOptions{Limit: commission.MaxLimit})
}

// Eight engines sell for one partner at once: the partner's monthly spend
// limit is reached exactly and never passed.
func testSpendLimitRace(t *testing.T, h Harness) {
	program := commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Percent(dec("30")),
		Caps:    commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("500")}}},
	}}
	engines := enginesFor(t, h, h.New(t), program, 8)

	const perEngine = 10 // 80 sales earning 30 each: 2,400 wanted, 500 allowed
	sellAtOnce(t, engines, perEngine, "100")
	total, sales := decimal.Zero, 0
	for _, tx := range allSales(t, engines[0]) {
		sales++
		for _, r := range tx.Rewards { // none once the limit leaves nothing
			total = total.Add(r.Amount)
		}
	}
	require.Equal(t, len(engines)*perEngine, sales)
	require.Truef(t, total.Equal(dec("500")), "the partner earned %s", total)
}

// Eight engines sell to one customer at once under a "first 5 sales"
// commission: exactly 5 sales are rewarded.
func testFirstTimesRace(t *testing.T, h Harness) {
	program := commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Flat(dec("5")).For(commission.Times(5)),
	}}
	engines := enginesFor(t, h, h.New(t), program, 8)
	sellAtOnce(t, engines, 4, "10")
	listed := allSales(t, engines[0])
	require.Len(t, listed, 32)
	rewarded := 0
	for _, tx := range listed {
		rewarded += len(tx.Rewards)
	}
	require.Equal(t, 5, rewarded)
}

// A refund and a rejection of the same reward, from two engines at once,
// give its amount back to the spend limit once, not twice.
func testRefundRacingRejection(t *testing.T, h Harness) {
	program := commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Flat(dec("10")), ReviewPeriod: 24 * time.Hour,
		Caps: commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("100000")}}},
	}}
	s := h.New(t)
	engines := enginesFor(t, h, s, program, 2)
	a, b := engines[0], engines[1]
	const n = 30
	rewards := make([]string, n)
	for i := range n {
		amount := dec("1")
		tx, err := a.CreateTransaction(ctx, commission.TransactionInput{Key: "s" + strconv.Itoa(i), Amount: &amount,
			Customer: commission.CustomerInput{Key: "customer"}})
		require.NoError(t, err)
		rewards[i] = tx.Rewards[0].ID
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { a.DeleteTransaction(ctx, "s"+strconv.Itoa(i)) })
		wg.Go(func() { b.RejectReward(ctx, rewards[i], "fraud") }) // may find it refunded
	}
	wg.Wait()
	spent := counters(t, s, "p", commission.CounterKey{Name: "spend.partner.month", Subject: "partner", Bucket: "2025-05"})
	require.Truef(t, spent[0].IsZero(), "every reward was refunded: %s counted", spent[0])
}

// goalProgram pays a bonus of 1 at every 100.00 of a partner's revenue.
func goalProgram() commission.Program {
	return commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Percent(dec("10")),
		Goals: []commission.Goal{{ID: "every100", Metric: commission.MetricRevenue, Target: dec("100"),
			Every: true, Bonus: dec("1")}},
	}}
}

// goalBonuses sums the thresholds paid by goal bonuses over txs, and
// returns the metric value each bonus saw.
func goalBonuses(txs []*commission.Transaction) (paid int, bases []decimal.Decimal) {
	for _, tx := range txs {
		for _, r := range tx.Rewards {
			if r.Explanation.Match == commission.MatchGoal {
				paid += r.Explanation.Thresholds
				bases = append(bases, r.Explanation.Base)
			}
		}
	}
	return paid, bases
}

// Eight goroutines sell for one partner at once under goalProgram, each on
// an engine of its own or all on one: each threshold is paid exactly
// once, in the sales returned as in the sales stored, and no two bonuses
// saw the same revenue.
func testGoalRace(t *testing.T, h Harness, oneEngine bool) {
	perEngine, amount, want := 10, "30", 24 // 2,400.00 of revenue
	var engines []*commission.Engine
	if oneEngine {
		perEngine, amount, want = 50, "7", 8*50*7/100
		engines = slices.Repeat(enginesFor(t, h, h.New(t), goalProgram(), 1), 8)
	} else {
		engines = enginesFor(t, h, h.New(t), goalProgram(), 8)
	}
	sold := sellAtOnce(t, engines, perEngine, amount)
	paid, _ := goalBonuses(sold)
	require.Equal(t, want, paid, "one bonus per 100.00 of revenue, in the sales returned")
	paid, bases := goalBonuses(allSales(t, engines[0]))
	require.Equal(t, want, paid, "one bonus per 100.00 of revenue, in the sales stored")
	for i := range bases {
		for j := range i {
			require.Falsef(t, bases[i].Equal(bases[j]), "two bonuses at revenue %s", bases[i])
		}
	}
}

// Customers created at once by eight engines for one partner cross a
// signups goal once.
func testSignupGoalRace(t *testing.T, h Harness) {
	program := commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Percent(dec("10")),
		Goals: []commission.Goal{{ID: "ten", Metric: commission.MetricSignups, Target: dec("10"),
			Bonus: dec("50")}},
	}}
	engines := enginesFor(t, h, h.New(t), program, 8) // creates one customer
	var wg sync.WaitGroup
	for i, eng := range engines {
		wg.Go(func() {
			for j := range 3 {
				_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i) + "-" + strconv.Itoa(j),
					Partner: &commission.PartnerRef{Key: "partner"}})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	paid, bases := goalBonuses(allSales(t, engines[0]))
	require.Equal(t, 1, paid, "25 signups cross 10 once")
	require.True(t, bases[0].Equal(decimal.NewFromInt(10)), "paid at the 10th signup, not %s", bases[0])
}

// Eight engines sign up friends of one referrer at once under a
// refer-a-friend reward paid by occurrence: every friend takes a number
// of its own, 1 to the number of friends, and is paid by it.
func testReferralOccurrenceRace(t *testing.T, h Harness) {
	steps := make([]commission.ReferralStep, 4)
	for i := range steps {
		pays := commission.Flat(decimal.NewFromInt(int64(i + 1)))
		steps[i] = commission.ReferralStep{From: 1 + 8*i, Referrer: &pays}
	}
	program := commission.Program{ID: "raf", Kind: commission.ReferAFriend, Currency: "USD", Rules: commission.RuleSet{
		Referral: []commission.ReferralReward{{Name: "friends", Trigger: commission.TriggerSignup, Occurrences: steps}},
	}}
	s := h.New(t)
	engines := make([]*commission.Engine, 8)
	for i, st := range stores(t, h, s, len(engines)) {
		var err error
		engines[i], err = commission.New(st, program, commission.WithClock(func() time.Time { return limitRaceAt }))
		require.NoError(t, err)
	}
	_, err := engines[0].CreateCustomer(ctx, commission.CustomerInput{Key: "referrer"})
	require.NoError(t, err)
	const perEngine = 4
	var wg sync.WaitGroup
	for i, eng := range engines {
		wg.Go(func() {
			for j := range perEngine {
				_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: fmt.Sprintf("f%d-%d", i, j),
					ReferringCustomer: &commission.CustomerRef{Key: "referrer"}})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, tx := range allSales(t, engines[0]) {
		require.Len(t, tx.Rewards, 1, tx.Key)
		n := tx.Rewards[0].Explanation.Occurrence
		require.False(t, seen[n], "number %d taken twice", n)
		seen[n] = true
		requireDecimal(t, decimal.NewFromInt(int64(1+(n-1)/8)), tx.Rewards[0].Amount, fmt.Sprintf("friend number %d", n))
	}
	require.Len(t, seen, len(engines)*perEngine)
	for n := 1; n <= len(engines)*perEngine; n++ {
		require.True(t, seen[n], "number %d", n)
	}
}
