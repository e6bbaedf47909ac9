package commission_test

import (
	"context"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/stretchr/testify/require"
)

// staleStore reads transactions as they were before a payout took or
// released their rewards (PayoutID replaced by stale), as a unit of work
// on a SQL store may when a payout commits between its read of the
// transaction and its lock of the earner's balances.
type staleStore struct {
	commission.Store
	stale string
}

func (s staleStore) Update(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	return s.Store.Update(ctx, programID, func(tx commission.StoreTx) error { return fn(staleTx{tx, s.stale}) })
}

type staleTx struct {
	commission.StoreTx
	stale string
}

func (t staleTx) Transaction(ctx context.Context, key string) (*commission.Transaction, error) {
	tr, err := t.StoreTx.Transaction(ctx, key)
	if err != nil {
		return nil, err
	}
	c := tr.Clone()
	for i := range c.Rewards {
		c.Rewards[i].PayoutID = t.stale
	}
	return c, nil
}

// A refund moves its entry's money where the reward sits once the
// earner's balances are locked, not where its transaction said it sat
// when read: a payout that took the reward in between gets the entry (an
// adjustment), one that released it leaves the entry to net the reward
// in place.
func TestRefundSettlesWhereAPayoutMovedTheReward(t *testing.T) {
	for _, tc := range []struct {
		name, stale        string
		cancel, adjustment bool
		notPaid, inPayout  string
	}{
		{name: "a payout took it", stale: "", adjustment: true, notPaid: "0", inPayout: "18"},
		{name: "a payout released it", stale: "po_gone", cancel: true, notPaid: "18", inPayout: "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store := memstore.New()
			eng, err := commission.New(store, percentProgram(commission.Affiliate, "30"))
			require.NoError(t, err)
			affiliateSetup(t, eng)
			_, err = eng.CreateTransaction(ctx, sale("t1", "customer_123", "100"))
			require.NoError(t, err)
			po, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
			require.NoError(t, err)
			if tc.cancel {
				_, err = eng.CancelPayout(ctx, po.ID)
				require.NoError(t, err)
			}
			stale, err := commission.New(staleStore{store, tc.stale}, percentProgram(commission.Affiliate, "30"))
			require.NoError(t, err)
			r, err := stale.RefundTransaction(ctx, "t1", commission.RefundInput{Key: "f1", Amount: decp("40")})
			require.NoError(t, err)
			require.Len(t, r.Entries, 1)
			requireDecimal(t, "-12", r.Entries[0].Amount)
			require.Equal(t, tc.adjustment, r.Entries[0].Adjustment, "adjustment")
			b := balance(t, eng, "partner_123")
			requireDecimal(t, tc.notPaid, b.NotPaid, "not paid")
			requireDecimal(t, tc.inPayout, b.InPayout, "in payout")
			requireDecimal(t, "0", b.Clawback, "clawback")
		})
	}
}
