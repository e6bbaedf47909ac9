package commission_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestCustomerNotFound(t *testing.T) {
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(context.Background(), sale("t1", "nobody", "10"))
	require.ErrorIs(t, err, commission.ErrCustomerNotFound)
	require.Contains(t, err.Error(), "nobody")
	requireNoTransactions(t, eng)
}

func TestCreateCustomerWithTransaction(t *testing.T) {
	ctx := context.Background()
	attributions := map[string]func(*commission.TransactionInput){
		"partner.key": func(in *commission.TransactionInput) {
			in.Customer.Partner = &commission.PartnerRef{Key: "partner_123"}
		},
		"partner.id": func(in *commission.TransactionInput) { in.Customer.Partner = &commission.PartnerRef{ID: "partner_123"} },
		"partner.email": func(in *commission.TransactionInput) {
			in.Customer.Partner = &commission.PartnerRef{Email: "partner@example.com"}
		},
		"referral_url query": func(in *commission.TransactionInput) {
			in.Options.ReferralURL = "https://shop.example.com/pricing?utm=x&aff=partner_123"
		},
		"referral_url path": func(in *commission.TransactionInput) {
			in.Options.ReferralURL = "https://shop.example.com/aff/partner_123/landing"
		},
	}
	for name, attribute := range attributions {
		t.Run(name, func(t *testing.T) {
			eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
			_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123", Email: "partner@example.com"})
			require.NoError(t, err)
			in := sale("t1", "new_customer", "50")
			in.Options.CreateCustomer = true
			in.Customer.Name, in.Customer.Tags = "Ada", []string{"vip"}
			attribute(&in)
			tx, err := eng.CreateTransaction(ctx, in)
			require.NoError(t, err)
			require.Equal(t, "partner_123", tx.PartnerKey)
			require.Len(t, tx.Rewards, 1)
			requireDecimal(t, "15", tx.Rewards[0].Amount)
			c, err := eng.Customer(ctx, commission.CustomerRef{Key: "new_customer"})
			require.NoError(t, err)
			require.Equal(t, "partner_123", c.PartnerKey)
			require.Equal(t, "Ada", c.Name)
			require.Equal(t, []string{"vip"}, c.Tags)
		})
	}
}

func TestDuplicateKey(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	first, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.NoError(t, err)

	_, err = eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	var dup *commission.DuplicateError
	require.True(t, errors.As(err, &dup))
	require.True(t, dup.Identical, "a retry of the same sale")
	require.Equal(t, first.Rewards[0].ID, dup.Existing.Rewards[0].ID)

	_, err = eng.CreateTransaction(ctx, sale("t1", "customer_123", "11"))
	require.True(t, errors.As(err, &dup))
	require.False(t, dup.Identical, "a different amount is a conflict")

	// Deleting does not free the key: a retried webhook after a refund
	// never pays twice.
	require.NoError(t, eng.DeleteTransaction(ctx, "t1"))
	_, err = eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.True(t, errors.As(err, &dup))
	require.NotNil(t, dup.Existing.DeletedAt)

	// Partners and customers have unique keys and emails too.
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123"})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "other", Email: "partner@example.com"})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_123", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
}

func TestBulkIsAtomic(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("existing", "customer_123", "1"))
	require.NoError(t, err)

	newCust := sale("b0", "created_in_bulk", "10")
	newCust.Options.CreateCustomer = true
	newCust.Customer.Partner = &commission.PartnerRef{Key: "partner_123"}
	cases := map[string]struct {
		items []commission.TransactionInput
		check func(t *testing.T, err error)
	}{
		"invalid item": {
			items: []commission.TransactionInput{sale("b0", "customer_123", "1"), sale("b1", "customer_123", "-2")},
			check: func(t *testing.T, err error) { requireFields(t, err, "transactions[1].amount") },
		},
		"key used before": {
			items: []commission.TransactionInput{newCust, sale("b1", "customer_123", "1"), sale("existing", "customer_123", "1")},
			check: func(t *testing.T, err error) {
				require.ErrorIs(t, err, commission.ErrDuplicateKey)
				var item *commission.ItemError
				require.True(t, errors.As(err, &item))
				require.Equal(t, 2, item.Index)
				require.Contains(t, err.Error(), "transactions[2]")
				var dup *commission.DuplicateError
				require.True(t, errors.As(err, &dup))
				require.Equal(t, "existing", dup.Existing.Key)
			},
		},
		"key twice in the bulk": {
			items: []commission.TransactionInput{sale("b0", "customer_123", "1"), sale("b0", "customer_123", "1")},
			check: func(t *testing.T, err error) { requireFields(t, err, "transactions[1].key") },
		},
		"unknown customer": {
			items: []commission.TransactionInput{newCust, sale("b1", "nobody", "1")},
			check: func(t *testing.T, err error) {
				require.ErrorIs(t, err, commission.ErrCustomerNotFound)
				var item *commission.ItemError
				require.True(t, errors.As(err, &item))
				require.Equal(t, 1, item.Index)
			},
		},
		"empty": {
			check: func(t *testing.T, err error) { requireFields(t, err, "transactions") },
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := eng.CreateTransactions(ctx, c.items)
			c.check(t, err)
			page, err := eng.Transactions(ctx, commission.ListOptions{})
			require.NoError(t, err)
			require.Equal(t, []string{"existing"}, keys(page.Transactions), "nothing of the bulk is stored")
			_, err = eng.Customer(ctx, commission.CustomerRef{Key: "created_in_bulk"})
			require.ErrorIs(t, err, commission.ErrNotFound, "nor the customer it created")
		})
	}
}

// The documented bulk body shares one customer and options across
// transactions[].
func TestBulkDocumentedBody(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	var body commission.BulkTransactionsInput
	require.NoError(t, json.Unmarshal([]byte(`{
		"customer": {"key": "bulk_customer", "partner": {"key": "partner_123"}},
		"options": {"create_customer": true},
		"transactions": [
			{"key": "inv_1", "amount": 10, "action": "sale", "amount_units": "USD", "product_id": "p1", "product_type": "monthly", "rewarded": false, "rewardable": true},
			{"key": "inv_2", "amount": 20.5, "rewardable": false},
			{"key": "inv_3", "amount": 30, "rewarded": true}
		]}`), &body))
	txs, err := eng.CreateTransactions(ctx, body.Inputs())
	require.NoError(t, err)
	require.Len(t, txs, 3)
	requireDecimal(t, "3", txs[0].Rewards[0].Amount)
	require.Equal(t, "monthly", txs[0].Rewards[0].ProductType)
	require.Empty(t, txs[1].Rewards)
	require.Empty(t, txs[2].Rewards)
	for _, tx := range txs {
		require.Equal(t, "bulk_customer", tx.CustomerKey)
		require.Equal(t, "partner_123", tx.PartnerKey)
	}
}

func TestPreviewStoresNothing(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	in := sale("t1", "new_customer", "99.99")
	in.Options.CreateCustomer = true
	in.Customer.Partner = &commission.PartnerRef{Key: "partner_123"}
	prev, err := eng.Preview(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "29.997", prev.Rewards[0].Amount)
	requireNoTransactions(t, eng)
	_, err = eng.Customer(ctx, commission.CustomerRef{Key: "new_customer"})
	require.ErrorIs(t, err, commission.ErrNotFound)

	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, prev.Rewards[0].Amount.String(), tx.Rewards[0].Amount)
}

// TestPropBulkFailureNamesItem: when one item of a bulk fails after
// validation (its key was already used, or its customer does not exist),
// the error is an *ItemError carrying that item's index, whatever the size
// of the bulk (CreateTransactions' contract), a used key is also a
// *DuplicateError, and nothing of the bulk is stored.
func TestPropBulkFailureNamesItem(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
		affiliateSetup(t, eng)
		_, err := eng.CreateTransaction(ctx, sale("used", "customer_123", "10"))
		require.NoError(rt, err)

		n := rapid.IntRange(1, 4).Draw(rt, "n")
		bad := rapid.IntRange(0, n-1).Draw(rt, "bad")
		dupKey := rapid.Bool().Draw(rt, "duplicate_key")
		ins := make([]commission.TransactionInput, n)
		for i := range ins {
			ins[i] = sale("new_"+strconv.Itoa(i), "customer_123", "5")
		}
		if dupKey {
			ins[bad].Key = "used"
		} else {
			ins[bad].Customer.Key = "nobody"
		}
		_, err = eng.CreateTransactions(ctx, ins)
		if dupKey {
			var dup *commission.DuplicateError
			require.ErrorAs(rt, err, &dup)
			require.Equal(rt, "used", dup.Existing.Key)
		} else {
			require.ErrorIs(rt, err, commission.ErrCustomerNotFound)
		}
		var ie *commission.ItemError
		require.ErrorAs(rt, err, &ie, "a bulk of %d item(s) whose item %d fails: got %T %v", n, bad, err, err)
		require.Equal(rt, bad, ie.Index)
		list := propListAll(rt, eng, commission.MaxLimit)
		require.Len(rt, list, 1, "only the earlier sale is stored")
	})
}

// A bulk of more than MaxBulk sales is refused whole, naming
// transactions; one of MaxBulk is recorded.
func TestBulkSizeLimit(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	ins := make([]commission.TransactionInput, commission.MaxBulk+1)
	for i := range ins {
		ins[i] = sale("b"+strconv.Itoa(i), "customer_123", "1")
	}
	_, err := eng.CreateTransactions(ctx, ins)
	requireFields(t, err, "transactions")
	requireNoTransactions(t, eng)
	out, err := eng.CreateTransactions(ctx, ins[:commission.MaxBulk])
	require.NoError(t, err)
	require.Len(t, out, commission.MaxBulk)
}
