package commission_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

func TestInvalidPartnerKeyStoresNothing(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	in := sale("t1", "new_customer", "50")
	in.Options.CreateCustomer = true
	in.Customer.Partner = &commission.PartnerRef{Key: "no_such_partner"}
	_, err := eng.CreateTransaction(ctx, in)
	require.ErrorIs(t, err, commission.ErrPartnerNotFound)
	_, err = eng.Customer(ctx, commission.CustomerRef{Key: "new_customer"})
	require.ErrorIs(t, err, commission.ErrNotFound)
	requireNoTransactions(t, eng)

	// An existing customer is used as is with create_customer: a returning
	// customer needs no attribution.
	in = sale("t1", "customer_123", "50")
	in.Options.CreateCustomer = true
	_, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
}

func TestCreateCustomerNeedsAttribution(t *testing.T) {
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	in := sale("t1", "c", "50")
	in.Options.CreateCustomer = true
	_, err := eng.CreateTransaction(context.Background(), in)
	requireFields(t, err, "customer.partner")

	in.Options.ReferralURL = "https://shop.example.com/pricing?ref=x"
	_, err = eng.CreateTransaction(context.Background(), in)
	requireFields(t, err, "options.referral_url")
}

func TestReferAFriendCustomers(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.ReferAFriend, "10"))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "friend", Partner: &commission.PartnerRef{Key: "p"},
		ReferralURL: "https://example.com/?aff=p"})
	requireFields(t, err, "partner", "referral_url")
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "friend", ReferringCustomer: &commission.CustomerRef{ID: "nobody"}})
	require.ErrorIs(t, err, commission.ErrCustomerNotFound)

	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "referrer"})
	require.NoError(t, err)
	// A friend created with its first sale, by the documented body.
	var in commission.TransactionInput
	require.NoError(t, json.Unmarshal([]byte(`{"key": "t1", "amount": 50, "options": {"create_customer": true},
		"customer": {"id": "friend", "referring_customer": {"id": "referrer"}}}`), &in))
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "referrer", tx.ReferringCustomerKey)
	requireDecimal(t, "5", tx.Rewards[0].Amount)

	// A suspended referrer earns nothing; a customer nobody referred earns
	// nobody anything.
	_, err = eng.SetCustomerStatus(ctx, commission.CustomerRef{ID: "referrer"}, commission.CustomerSuspended)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t2", Amount: decp("50"), Customer: commission.CustomerInput{ID: "friend"}})
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	tx, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t3", Amount: decp("50"), Customer: commission.CustomerInput{ID: "referrer"}})
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(out), `"customer":null,"referred_customer":"referrer"`)
}
