package commission_test

import (
	"context"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

func TestListFiltersAndCursor(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_2"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_2", Partner: &commission.PartnerRef{Key: "partner_2"}})
	require.NoError(t, err)
	var all []string
	for i := 0; i < 40; i++ {
		cust := "customer_123"
		if i%3 == 0 {
			cust = "customer_2"
		}
		k := "t" + string(rune('A'+i))
		_, err := eng.CreateTransaction(ctx, sale(k, cust, "1"))
		require.NoError(t, err)
		all = append([]string{k}, all...)
		if i%2 == 0 {
			clock.Advance(time.Second) // some share a timestamp
		}
	}
	// A backdated sale lists by its created_at.
	old := t0.Add(-time.Hour)
	in := sale("backdated", "customer_123", "1")
	in.CreatedAt = &old
	_, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	all = append(all, "backdated")

	var walked []string
	opts := commission.ListOptions{Limit: 7}
	for {
		page, err := eng.Transactions(ctx, opts)
		require.NoError(t, err)
		walked = append(walked, keys(page.Transactions)...)
		if page.NextCursor == "" {
			break
		}
		opts.Cursor = page.NextCursor
	}
	require.Equal(t, all, walked)

	var paged []string
	for p := 1; ; p++ {
		page, err := eng.Transactions(ctx, commission.ListOptions{Limit: 7, Page: p})
		require.NoError(t, err)
		if len(page.Transactions) == 0 {
			break
		}
		paged = append(paged, keys(page.Transactions)...)
	}
	require.Equal(t, all, paged)

	page, err := eng.Transactions(ctx, commission.ListOptions{PartnerKey: "partner_2", Limit: 250})
	require.NoError(t, err)
	require.Len(t, page.Transactions, 14)
	for _, tx := range page.Transactions {
		require.Equal(t, "customer_2", tx.CustomerKey)
	}
	page, err = eng.Transactions(ctx, commission.ListOptions{CustomerKey: "customer_123", Limit: 250})
	require.NoError(t, err)
	require.Len(t, page.Transactions, 27)

	_, err = eng.Transactions(ctx, commission.ListOptions{Limit: 251, Page: -1, Cursor: "%%%"})
	requireFields(t, err, "limit", "page", "cursor")
	_, err = eng.Transactions(ctx, commission.ListOptions{PartnerKey: "nobody"})
	require.ErrorIs(t, err, commission.ErrPartnerNotFound)
}

// Lists leave deleted and archived transactions out unless asked for
// them by state; an unknown state is a validation error.
func TestListStates(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	for _, k := range []string{"a", "b", "c"} {
		_, err := eng.CreateTransaction(ctx, sale(k, "customer_123", "10"))
		require.NoError(t, err)
		clock.Advance(time.Second)
	}
	require.NoError(t, eng.ArchiveTransaction(ctx, "b"))
	require.NoError(t, eng.DeleteTransaction(ctx, "c"))
	for _, c := range []struct {
		states []commission.TransactionState
		want   []string
	}{
		{nil, []string{"a"}},
		{[]commission.TransactionState{commission.TransactionArchived}, []string{"b"}},
		{[]commission.TransactionState{commission.TransactionDeleted, commission.TransactionArchived}, []string{"c", "b"}},
		{[]commission.TransactionState{commission.TransactionActive, commission.TransactionArchived, commission.TransactionDeleted}, []string{"c", "b", "a"}},
	} {
		page, err := eng.Transactions(ctx, commission.ListOptions{States: c.states})
		require.NoError(t, err)
		require.Equal(t, c.want, keys(page.Transactions), "%v", c.states)
	}
	_, err := eng.Transactions(ctx, commission.ListOptions{States: []commission.TransactionState{"gone"}})
	requireFields(t, err, "states[0]")
}
