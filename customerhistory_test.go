package commission_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// historyCounting counts the CustomerHistory reads of the units of work
// run through it.
type historyCounting struct {
	commission.Store
	reads int
}

func (s *historyCounting) Update(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	return s.Store.Update(ctx, programID, func(tx commission.StoreTx) error { return fn(countingTx{tx, &s.reads}) })
}

type countingTx struct {
	commission.StoreTx
	reads *int
}

func (t countingTx) CustomerHistory(ctx context.Context, customerID string, before time.Time) (commission.CustomerHistory, error) {
	*t.reads++
	return t.StoreTx.CustomerHistory(ctx, customerID, before)
}

// scheduledProgram pays 40% of a customer's first two sales and 20% of
// the rest: its rewards depend on the customer's history.
func scheduledProgram() commission.Program {
	return commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(dec("40")).For(commission.Times(2)).Then(commission.Percent(dec("20")))}}
}

// A sale dated after every sale of its customer reads the customer's
// history from counters, however long it is; a sale backdated among them
// reads the store.
func TestLoyalCustomerReadsNoHistory(t *testing.T) {
	ctx := context.Background()
	store := &historyCounting{Store: memstore.New()}
	clock := newClock(t0)
	eng, err := commission.New(store, scheduledProgram(), commission.WithClock(clock.Now))
	require.NoError(t, err)
	affiliateSetup(t, eng)
	for i := range 50 {
		clock.Advance(time.Hour)
		tx, err := eng.CreateTransaction(ctx, sale("s"+strconv.Itoa(i), "customer_123", "100"))
		require.NoError(t, err)
		want := "40"
		if i >= 2 {
			want = "20"
		}
		requireDecimal(t, want, tx.Rewards[0].Amount, "sale ", i)
	}
	require.Zero(t, store.reads, "history reads of sales after every other")

	at := t0.Add(90 * time.Minute) // between the first and second sale
	in := sale("backdated", "customer_123", "100")
	in.CreatedAt = &at
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "40", tx.Rewards[0].Amount, "the second sale by date")
	require.Equal(t, 1, store.reads, "a backdated sale reads the store")
}

// The counters a sale's history is read from agree with the store's
// history after any mix of sales (backdated or not, one by one or in
// bulks), deletions, archives, restores and full refunds: the count, the
// first sale's time, and a latest time no qualified sale is after.
func TestPropCustomerHistoryCounters(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		store := memstore.New()
		clock := newClock(t0.Add(30 * 24 * time.Hour))
		eng, err := commission.New(store, scheduledProgram(), commission.WithClock(clock.Now))
		require.NoError(rt, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
		require.NoError(rt, err)
		const buyers = 3
		ids := make([]string, buyers)
		for i := range ids {
			c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i), CreatedAt: &t0, Partner: &commission.PartnerRef{Key: "p"}})
			require.NoError(rt, err)
			ids[i] = c.ID
		}
		var keys []string
		draw := func(label string) commission.TransactionInput {
			in := sale("s"+strconv.Itoa(len(keys)), "c"+strconv.Itoa(rapid.IntRange(0, buyers-1).Draw(rt, label+" customer")), "10")
			keys = append(keys, in.Key)
			if rapid.Bool().Draw(rt, label+" backdated") {
				at := t0.Add(time.Duration(rapid.IntRange(0, 40).Draw(rt, label+" day")) * 12 * time.Hour)
				in.CreatedAt = &at
			}
			return in
		}
		for range rapid.IntRange(1, 30).Draw(rt, "steps") {
			clock.Advance(time.Duration(rapid.IntRange(0, 2).Draw(rt, "advance")) * time.Minute)
			switch op := rapid.IntRange(0, 6).Draw(rt, "op"); {
			case op <= 1 || len(keys) == 0:
				_, err := eng.CreateTransaction(ctx, draw("sale"))
				require.NoError(rt, err)
			case op == 2:
				ins := make([]commission.TransactionInput, rapid.IntRange(1, 3).Draw(rt, "bulk"))
				for i := range ins {
					ins[i] = draw("bulk " + strconv.Itoa(i))
				}
				_, err := eng.CreateTransactions(ctx, ins)
				require.NoError(rt, err)
			default:
				historyOp(ctx, rt, eng, rapid.SampledFrom(keys).Draw(rt, "key"), op)
			}
			for _, id := range ids {
				requireHistoryCounters(rt, store, id)
			}
		}
	})
}

// historyOp archives, restores, deletes or refunds in full the sale key,
// as its state allows.
func historyOp(ctx context.Context, rt *rapid.T, eng *commission.Engine, key string, op int) {
	tx, err := eng.Transaction(ctx, key)
	require.NoError(rt, err)
	switch {
	case tx.State == commission.TransactionArchived:
		require.NoError(rt, eng.RestoreTransaction(ctx, key))
	case tx.State != commission.TransactionActive || !tx.Refunded.IsZero():
	case op == 3:
		require.NoError(rt, eng.ArchiveTransaction(ctx, key))
	case op == 4:
		require.NoError(rt, eng.DeleteTransaction(ctx, key))
	default:
		_, err := eng.RefundTransaction(ctx, key, commission.RefundInput{Key: "r-" + key, Amount: &tx.Amount})
		require.NoError(rt, err)
	}
}

// requireHistoryCounters requires the customer's counters to agree with
// its history in the store.
func requireHistoryCounters(rt *rapid.T, store commission.Store, customerID string) {
	err := store.View(context.Background(), "prog_1", func(tx commission.StoreTx) error {
		h, err := tx.CustomerHistory(context.Background(), customerID, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
		require.NoError(rt, err)
		vals, err := tx.Counters(context.Background(), []commission.CounterKey{
			{Name: "customer.sales", Subject: customerID}, {Name: "customer.first_sale", Subject: customerID},
			{Name: "customer.latest_sale", Subject: customerID}})
		require.NoError(rt, err)
		require.True(rt, vals[0].Equal(decimal.NewFromInt(h.Count)), "count: counter %s, history %d", vals[0], h.Count)
		if h.Count == 0 {
			require.True(rt, vals[1].IsZero(), "first with no sales: %s", vals[1])
			return nil
		}
		require.Equal(rt, h.First.UnixMicro(), vals[1].IntPart(), "first sale")
		latest, err := tx.Transactions(context.Background(), commission.TransactionQuery{CustomerID: customerID, Limit: 1})
		require.NoError(rt, err)
		require.NotEmpty(rt, latest)
		require.GreaterOrEqual(rt, vals[2].IntPart(), latest[0].CreatedAt.UnixMicro(), "latest sale")
		return nil
	})
	require.NoError(rt, err)
}
