package commission_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// A currency named in lower case ("usd", as payment providers send it)
// is the currency: balances, payouts and listings read it as sales store
// it; a unit that is neither a currency nor the program's is named.
func TestUnitsInLowerCase(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "10"))
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
	require.NoError(t, err)
	who := commission.Beneficiary{Key: "partner_123"}
	b, err := eng.Balance(ctx, who, "usd")
	require.NoError(t, err)
	require.Equal(t, "USD", b.Units)
	requireDecimal(t, "10", b.Payable)
	page, err := eng.Rewards(ctx, commission.RewardListOptions{Beneficiary: who, Units: "usd"})
	require.NoError(t, err)
	require.Len(t, page.Rewards, 1)
	po, err := eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: who, Units: "usd"})
	require.NoError(t, err)
	require.Equal(t, "USD", po.Units)
	requireDecimal(t, "10", po.Amount)

	_, err = eng.Balance(ctx, who, "xyz")
	requireFields(t, err, "amount_units")
}
