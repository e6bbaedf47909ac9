package commission_test

import (
	"context"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// A customer's every bad field is named at once; it is found by id, key
// or email, the id taking priority over the key.
func TestCustomerValidationAndLookup(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	future := t0.Add(time.Minute)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{
		Key: "c", Email: "@", Tags: []string{""}, CreatedAt: &future,
		ReferringCustomer: &commission.CustomerRef{Key: "x"},
		ReferralURL:       "https://example.com/nothing",
	})
	requireFields(t, err, "email", "tags[0]", "created_at", "referring_customer", "referral_url")

	// Found by id, key or email; id takes priority over key.
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "cid", Key: "ckey", Email: "c@example.com",
		Partner: &commission.PartnerRef{Email: "partner@example.com"}})
	require.NoError(t, err)
	for _, ref := range []commission.CustomerRef{{ID: "cid"}, {Key: "ckey"}, {Email: "c@example.com"}, {ID: "cid", Key: "customer_123"}} {
		c, err := eng.Customer(ctx, ref)
		require.NoError(t, err, "%+v", ref)
		require.Equal(t, "cid", c.ID)
		require.Equal(t, "partner_123", c.PartnerKey)
	}
	_, err = eng.Customer(ctx, commission.CustomerRef{Key: "nobody"})
	require.ErrorIs(t, err, commission.ErrNotFound)
}

// A status change is validated, applies to the customer the ref names and
// is returned; an unknown customer is ErrNotFound.
func TestSetCustomerStatus(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	ref := commission.CustomerRef{Key: "customer_123"}
	_, err := eng.SetCustomerStatus(ctx, ref, "banned")
	requireFields(t, err, "status")
	c, err := eng.SetCustomerStatus(ctx, ref, commission.CustomerSuspended)
	require.NoError(t, err)
	require.Equal(t, commission.CustomerSuspended, c.Status)
	c.Status = commission.CustomerActive // the caller's copy
	got, err := eng.Customer(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, commission.CustomerSuspended, got.Status)
	_, err = eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "nobody"}, commission.CustomerActive)
	require.ErrorIs(t, err, commission.ErrNotFound)
}
