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

// Eight engines on separate pools, as eight processes, sell for one
// partner at once: the partner's monthly spend limit is reached exactly
// and never passed.
func TestSpendLimitUnderConcurrency(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := newDatabase(t, d)
		program := commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
			Default: commission.Percent(decimal.RequireFromString("30")),
			Caps:    commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: decimal.RequireFromString("500")}}},
		}}
		engines := enginesFor(t, db, program, 8)

		const perEngine = 10 // 80 sales earning 30 each: 2,400 wanted, 500 allowed
		sellAtOnce(t, engines, perEngine, "100")
		total, sales := decimal.Zero, 0
		opts := commission.ListOptions{Limit: commission.MaxLimit}
		page, err := engines[0].Transactions(ctx, opts)
		require.NoError(t, err)
		for _, tx := range page.Transactions {
			sales++
			total = total.Add(tx.Rewards[0].Amount)
		}
		require.Equal(t, len(engines)*perEngine, sales)
		require.Truef(t, total.Equal(decimal.RequireFromString("500")), "the partner earned %s", total)
	})
}

// Eight engines on separate pools sell to one customer at once under a
// "first 5 sales" commission: exactly 5 sales are rewarded.
func TestFirstTimesUnderConcurrency(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := newDatabase(t, d)
		program := commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
			Default: commission.Flat(decimal.RequireFromString("5")).For(commission.Times(5)),
		}}
		engines := enginesFor(t, db, program, 8)
		sellAtOnce(t, engines, 4, "10")
		page, err := engines[0].Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
		require.NoError(t, err)
		require.Len(t, page.Transactions, 32)
		rewarded := 0
		for _, tx := range page.Transactions {
			rewarded += len(tx.Rewards)
		}
		require.Equal(t, 5, rewarded)
	})
}

// A refund and a rejection of the same reward, from two processes at
// once, give its amount back to the spend limit once, not twice.
func TestRefundRacingRejection(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := newDatabase(t, d)
		program := commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
			Default: commission.Flat(decimal.RequireFromString("10")), ReviewPeriod: 24 * time.Hour,
			Caps: commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: decimal.RequireFromString("100000")}}},
		}}
		engines := enginesFor(t, db, program, 2)
		a, b := engines[0], engines[1]
		const n = 30
		rewards := make([]string, n)
		for i := range n {
			amount := decimal.RequireFromString("1")
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
		var spent []decimal.Decimal
		require.NoError(t, db.open(t).View(ctx, "p", func(tx commission.StoreTx) error {
			var err error
			spent, err = tx.Counters(ctx, []commission.CounterKey{{Name: "spend.partner.month", Subject: "partner", Bucket: "2025-05"}})
			return err
		}))
		require.Truef(t, spent[0].IsZero(), "every reward was refunded: %s counted", spent[0])
	})
}

// enginesFor returns n engines on db, each on a pool of its own as n
// processes would have, all at one fixed time, and creates the partner
// "partner" and its customer "customer".
func enginesFor(t *testing.T, db database, program commission.Program, n int) []*commission.Engine {
	t.Helper()
	now := time.Date(2025, 5, 7, 12, 0, 0, 0, time.UTC)
	engines := make([]*commission.Engine, n)
	for i := range engines {
		var err error
		engines[i], err = commission.New(db.open(t), program, commission.WithClock(func() time.Time { return now }))
		require.NoError(t, err)
	}
	ctx := context.Background()
	_, err := engines[0].CreatePartner(ctx, commission.PartnerInput{ID: "partner", Key: "partner"})
	require.NoError(t, err)
	_, err = engines[0].CreateCustomer(ctx, commission.CustomerInput{Key: "customer", Partner: &commission.PartnerRef{Key: "partner"}})
	require.NoError(t, err)
	return engines
}

// sellAtOnce has every engine sell perEngine sales of amount to
// "customer", all engines at once, and requires every sale stored.
func sellAtOnce(t *testing.T, engines []*commission.Engine, perEngine int, amount string) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, len(engines)*perEngine)
	for i, eng := range engines {
		wg.Go(func() {
			for j := range perEngine {
				a := decimal.RequireFromString(amount)
				_, err := eng.CreateTransaction(ctx, commission.TransactionInput{
					Key: "s" + strconv.Itoa(i) + "-" + strconv.Itoa(j), Amount: &a,
					Customer: commission.CustomerInput{Key: "customer"}})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
