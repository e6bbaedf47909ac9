package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// Deletions racing payouts of the same partner (created, paid, canceled)
// all succeed: a deletion locks the balances before its rewards' rows, as
// a payout does. In the other order they deadlocked on PostgreSQL and
// MySQL, each deadlock costing a retry, until one gave up after ten.
func TestDeletesRaceSettlingPayouts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		p := commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
			Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("10"))}}
		eng, err := commission.New(newDatabase(t, d).open(t), p)
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
		require.NoError(t, err)
		_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}})
		require.NoError(t, err)
		amt := decimal.RequireFromString("100")
		const n = 60
		for i := 0; i < n; i++ {
			_, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: fmt.Sprint("t", i), Amount: &amt, Customer: commission.CustomerInput{Key: "c"}})
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(2)
			go func(w int) {
				defer wg.Done()
				for i := w; i < n; i += 4 {
					if err := eng.DeleteTransaction(ctx, fmt.Sprint("t", i)); err != nil {
						t.Error(err)
					}
				}
			}(w)
			go func() {
				defer wg.Done()
				for i := 0; i < 15; i++ {
					po, err := eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: commission.Beneficiary{Key: "p"}})
					if err != nil {
						continue
					}
					if i%2 == 0 {
						_, err = eng.CancelPayout(ctx, po.ID)
					} else {
						_, err = eng.MarkPayoutPaid(ctx, po.ID, "ref")
					}
					if err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	})
}
