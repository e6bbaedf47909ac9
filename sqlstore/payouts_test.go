package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
)

// A payout sums rewards as large as a reward may be (20 digits before
// the point): its amount is stored as wide as the counters, on every
// dialect.
func TestPayoutOfTheLargestRewards(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		p := commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
			Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("100"))}}
		now := time.Date(2025, 5, 7, 5, 32, 48, 0, time.UTC)
		eng, err := commission.New(newDatabase(t, d).open(t), p, commission.WithClock(func() time.Time { return now }))
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
		require.NoError(t, err)
		_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}})
		require.NoError(t, err)
		large := decimal.RequireFromString("99999999999999999999.999999999999999999")
		for _, k := range []string{"t1", "t2", "t3"} {
			_, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: k, Amount: &large, Customer: commission.CustomerInput{Key: "c"}})
			require.NoError(t, err)
		}
		po, err := eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: commission.Beneficiary{Key: "p"}})
		require.NoError(t, err)
		got, err := eng.Payout(ctx, po.ID)
		require.NoError(t, err)
		want := large.Mul(decimal.NewFromInt(3))
		require.True(t, got.Amount.Equal(want), "stored %s, want %s", got.Amount, want)
	})
}
