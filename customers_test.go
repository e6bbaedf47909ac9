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

// A customer stored as bob@x.com is bob@x.com in any case: as a buyer, in
// lookups, as a referring customer, and unique so.
func TestCustomerEmailsIgnoreCase(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bob", Email: "Bob@X.com", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	require.Equal(t, "bob@x.com", c.Email)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bob2", Email: "bob@x.COM", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	got, err := eng.Customer(ctx, commission.CustomerRef{Email: "BOB@x.com"})
	require.NoError(t, err)
	require.Equal(t, "bob", got.Key)
	tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "s", Amount: decp("10"), Customer: commission.CustomerInput{Email: "BOB@X.COM"}})
	require.NoError(t, err, "the buyer by email in another case")
	require.Equal(t, "bob", tx.CustomerKey)
	// With create_customer, the customer in another case is the one stored.
	tx, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "s2", Amount: decp("10"),
		Customer: commission.CustomerInput{Email: "BoB@x.com", Partner: &commission.PartnerRef{Key: "partner_123"}},
		Options:  commission.TransactionOptions{CreateCustomer: true}})
	require.NoError(t, err)
	require.Equal(t, "bob", tx.CustomerKey)
}

// A customer's update changes the fields it gives and only them (its
// attribution stays), keeps the email in lower case and unique, and names
// every bad field by its JSON path.
func TestUpdateCustomer(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c2", Email: "c2@example.com", Name: "Two",
		Partner: &commission.PartnerRef{Key: "partner_123"}, ReferralURL: "https://shop.test/?aff=partner_123"})
	require.NoError(t, err)
	ref := commission.CustomerRef{Email: "C2@example.com"}

	tags := []string{"vip"}
	c, err := eng.UpdateCustomer(ctx, ref, commission.CustomerUpdate{Email: strp("Renamed@Example.com"), Surname: strp("Doe"), Tags: &tags})
	require.NoError(t, err)
	require.Equal(t, "renamed@example.com", c.Email)
	require.Equal(t, "Two", c.Name)
	require.Equal(t, "Doe", c.Surname)
	require.Equal(t, []string{"vip"}, c.Tags)
	require.Equal(t, "partner_123", c.PartnerKey, "the attribution stays")
	require.Equal(t, "https://shop.test/?aff=partner_123", c.ReferralURL)
	got, err := eng.Customer(ctx, commission.CustomerRef{Email: "renamed@example.com"})
	require.NoError(t, err)
	require.Equal(t, "c2", got.Key)
	_, err = eng.Customer(ctx, ref)
	require.ErrorIs(t, err, commission.ErrNotFound)

	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c3", Email: "c3@example.com", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	_, err = eng.UpdateCustomer(ctx, commission.CustomerRef{Key: "c2"}, commission.CustomerUpdate{Email: strp("C3@example.com")})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	got, err = eng.Customer(ctx, commission.CustomerRef{Key: "c2"})
	require.NoError(t, err)
	require.Equal(t, "renamed@example.com", got.Email, "nothing changed")

	bad := []string{""}
	_, err = eng.UpdateCustomer(ctx, commission.CustomerRef{Key: "c2"}, commission.CustomerUpdate{Email: strp("@"), Name: strp("\xff"), Tags: &bad})
	requireFields(t, err, "email", "name", "tags[0]")
	_, err = eng.UpdateCustomer(ctx, commission.CustomerRef{Key: "nobody"}, commission.CustomerUpdate{Name: strp("x")})
	require.ErrorIs(t, err, commission.ErrNotFound)
	_, err = eng.UpdateCustomer(ctx, commission.CustomerRef{}, commission.CustomerUpdate{})
	require.ErrorIs(t, err, commission.ErrNotFound, "a reference naming nobody")
}
