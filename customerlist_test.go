package commission_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Customers are listed newest first, a partner's or the program's,
// filtered by status, page by page by number or by cursor.
func TestCustomers(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, percentProgram(commission.Affiliate, "30"))
	for _, key := range []string{"pa", "pb"} {
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: key, Email: key + "@example.com"})
		require.NoError(t, err)
	}
	for i := range 10 {
		partner := "pa"
		if i%3 == 0 {
			partner = "pb"
		}
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: fmt.Sprintf("c%02d", i), Partner: &commission.PartnerRef{Key: partner}})
		require.NoError(t, err)
		clock.Advance(time.Second)
	}
	// A backdated customer is listed by its own creation time.
	early := t0.Add(-time.Hour)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "old", CreatedAt: &early, Partner: &commission.PartnerRef{Key: "pa"}})
	require.NoError(t, err)
	_, err = eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "c04"}, commission.CustomerSuspended)
	require.NoError(t, err)
	_, err = eng.DeleteCustomer(ctx, commission.CustomerRef{Key: "c05"})
	require.NoError(t, err)

	keys := func(opts commission.CustomerListOptions) []string {
		t.Helper()
		page, err := eng.Customers(ctx, opts)
		require.NoError(t, err)
		return pageCustomerKeys(page)
	}
	pa, pb := &commission.PartnerRef{Key: "pa"}, &commission.PartnerRef{Email: "PB@example.com"}
	require.Equal(t, []string{"c09", "c08", "c07", "c06", "c04", "c03", "c02", "c01", "c00", "old"}, keys(commission.CustomerListOptions{}))
	require.Equal(t, []string{"c08", "c07", "c04", "c02", "c01", "old"}, keys(commission.CustomerListOptions{Partner: pa}))
	require.Equal(t, []string{"c09", "c06", "c03", "c00"}, keys(commission.CustomerListOptions{Partner: pb}))
	require.Equal(t, []string{"c05", "c04"}, keys(commission.CustomerListOptions{Partner: pa,
		Statuses: []commission.CustomerStatus{commission.CustomerSuspended, commission.CustomerDeleted}}))
	require.Equal(t, []string{"c04"}, keys(commission.CustomerListOptions{Statuses: []commission.CustomerStatus{commission.CustomerSuspended}}))

	all := keys(commission.CustomerListOptions{Partner: pa})
	var byPage, byCursor []string
	for n := 1; ; n++ {
		page, err := eng.Customers(ctx, commission.CustomerListOptions{Partner: pa, Limit: 4, Page: n})
		require.NoError(t, err)
		byPage = append(byPage, pageCustomerKeys(page)...)
		if page.NextCursor == "" {
			break
		}
	}
	cursor := ""
	for {
		page, err := eng.Customers(ctx, commission.CustomerListOptions{Partner: pa, Limit: 4, Cursor: cursor})
		require.NoError(t, err)
		byCursor = append(byCursor, pageCustomerKeys(page)...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	require.Equal(t, all, byPage)
	require.Equal(t, all, byCursor)

	// A deleted partner's customers are listed; a partner that never was
	// is not found.
	_, err = eng.DeletePartner(ctx, commission.PartnerRef{Key: "pb"})
	require.NoError(t, err)
	require.Equal(t, []string{"c09", "c06", "c03", "c00"}, keys(commission.CustomerListOptions{Partner: &commission.PartnerRef{Key: "pb"}}))
	_, err = eng.Customers(ctx, commission.CustomerListOptions{Partner: &commission.PartnerRef{Key: "nobody"}})
	require.ErrorIs(t, err, commission.ErrNotFound)

	_, err = eng.Customers(ctx, commission.CustomerListOptions{Partner: &commission.PartnerRef{Email: "x"}, Limit: -1,
		Statuses: []commission.CustomerStatus{"gone"}, Cursor: "%%"})
	requireFields(t, err, "partner.email", "limit", "statuses[0]", "cursor")
	_, err = eng.Customers(ctx, commission.CustomerListOptions{Partner: &commission.PartnerRef{}})
	requireFields(t, err, "partner")
}

// A refer-a-friend program's customers have no partner to list them by.
func TestCustomersReferAFriend(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.ReferAFriend, "10"))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "referrer"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "friend", ReferringCustomer: &commission.CustomerRef{Key: "referrer"}})
	require.NoError(t, err)
	page, err := eng.Customers(ctx, commission.CustomerListOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"referrer", "friend"}, pageCustomerKeys(page), "one time: by id, descending")
	_, err = eng.Customers(ctx, commission.CustomerListOptions{Partner: &commission.PartnerRef{Key: "referrer"}})
	requireFields(t, err, "partner")
}
