package simulate_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/simulate"
)

// viewTracker is a store that counts the reads of a View's transaction
// made after its View returned.
type viewTracker struct {
	commission.Store
	ended atomic.Bool
	late  atomic.Int32
}

func (s *viewTracker) View(ctx context.Context, program string, fn func(commission.StoreTx) error) error {
	s.ended.Store(false)
	defer s.ended.Store(true)
	return s.Store.View(ctx, program, func(tx commission.StoreTx) error {
		return fn(&slowTx{StoreTx: tx, s: s})
	})
}

// slowTx reads pages of history slowly, so that a page is being read
// when the replay stops.
type slowTx struct {
	commission.StoreTx
	s *viewTracker
}

func (tx *slowTx) Recorded(ctx context.Context, after int64, limit int) ([]*commission.Transaction, error) {
	time.Sleep(20 * time.Millisecond)
	if tx.s.ended.Load() {
		tx.s.late.Add(1)
	}
	return tx.StoreTx.Recorded(ctx, after, limit)
}

// When Options.Each panics, Run stops reading the history before the
// store's read ends: the store's transaction is not used after it.
func TestRunStopsReadingWhenEachPanics(t *testing.T) {
	store := &viewTracker{Store: memstore.New()}
	eng, err := commission.New(store, commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: pct("10")}})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "a"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "a"}})
	require.NoError(t, err)
	ins := make([]commission.TransactionInput, 0, commission.MaxBulk)
	amount := decimal.NewFromInt(10)
	for i := range 5000 { // five pages
		ins = append(ins, commission.TransactionInput{Key: fmt.Sprint("s", i), Amount: &amount,
			Customer: commission.CustomerInput{Key: "c"}})
		if len(ins) == cap(ins) || i == 4999 {
			_, err := eng.CreateTransactions(ctx, ins)
			require.NoError(t, err)
			ins = ins[:0]
		}
	}
	require.Panics(t, func() {
		_, _ = simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: commission.RuleSet{Default: pct("20")},
			Each: func(_, _ *commission.Transaction) error { panic("each") }})
	})
	time.Sleep(100 * time.Millisecond) // what a reader left running would read by then
	require.Zero(t, store.late.Load(), "pages read after the store's read ended")
}
