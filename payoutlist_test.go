package commission_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Payouts are listed newest first, by beneficiary and state, in pages;
// Payout reads one by id.
func TestPayoutsListing(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, percentProgram(commission.Affiliate, "10"))
	affiliateSetup(t, eng)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "other"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c2", Partner: &commission.PartnerRef{Key: "other"}})
	require.NoError(t, err)
	var mine []*commission.Payout
	for i := range 4 {
		clock.Advance(time.Hour)
		for _, buyer := range []string{"customer_123", "c2"} {
			_, err := eng.CreateTransaction(ctx, sale(buyer+strconv.Itoa(i), buyer, "100"))
			require.NoError(t, err)
		}
		po, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
		require.NoError(t, err)
		mine = append([]*commission.Payout{po}, mine...) // newest first
		_, err = eng.CreatePayout(ctx, payoutTo("other"))
		require.NoError(t, err)
	}
	_, err = eng.MarkPayoutPaid(ctx, mine[1].ID, "wire_1")
	require.NoError(t, err)
	_, err = eng.CancelPayout(ctx, mine[2].ID)
	require.NoError(t, err)

	who := &commission.Beneficiary{Key: "partner_123"}
	require.Equal(t, idsOfPayouts(mine), listPayouts(t, eng, commission.PayoutListOptions{Beneficiary: who, Limit: 3}))
	require.Equal(t, []string{mine[1].ID}, listPayouts(t, eng, commission.PayoutListOptions{Beneficiary: who,
		States: []commission.PayoutState{commission.PayoutPaid}, Limit: 3}))
	require.Equal(t, []string{mine[0].ID, mine[3].ID}, listPayouts(t, eng, commission.PayoutListOptions{Beneficiary: who,
		States: []commission.PayoutState{commission.PayoutPending}, Limit: 1}))
	require.Len(t, listPayouts(t, eng, commission.PayoutListOptions{Limit: 5}), 8, "every beneficiary's")

	got, err := eng.Payout(ctx, mine[1].ID)
	require.NoError(t, err)
	require.Equal(t, commission.PayoutPaid, got.State)
	require.Equal(t, "wire_1", got.Reference)
	_, err = eng.Payout(ctx, "nope")
	require.ErrorIs(t, err, commission.ErrNotFound)
	_, err = eng.Payouts(ctx, commission.PayoutListOptions{States: []commission.PayoutState{"gone"}, Limit: 1000, Cursor: "%"})
	requireFields(t, err, "states[0]", "limit", "cursor")
}

func listPayouts(t *testing.T, eng *commission.Engine, opts commission.PayoutListOptions) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "listing does not end")
		page, err := eng.Payouts(context.Background(), opts)
		require.NoError(t, err)
		for _, po := range page.Payouts {
			ids = append(ids, po.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		opts.Cursor = page.NextCursor
	}
}

func idsOfPayouts(ps []*commission.Payout) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}
