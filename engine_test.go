package commission_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/stretchr/testify/require"
)

func requireFields(t *testing.T, err error, paths ...string) *commission.ValidationError {
	t.Helper()
	require.ErrorIs(t, err, commission.ErrInvalid)
	var verr *commission.ValidationError
	require.True(t, errors.As(err, &verr), "%v", err)
	got := make([]string, len(verr.Fields))
	for i, f := range verr.Fields {
		got[i] = f.Path
		require.NotEmpty(t, f.Message, f.Path)
	}
	require.ElementsMatch(t, paths, got, "%v", err)
	return verr
}

func requireNoTransactions(t *testing.T, eng *commission.Engine) {
	t.Helper()
	page, err := eng.Transactions(context.Background(), commission.ListOptions{Limit: commission.MaxLimit})
	require.NoError(t, err)
	require.Empty(t, page.Transactions)
}

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

func TestValidationReportsEveryField(t *testing.T) {
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	future := t0.Add(time.Hour)
	in := commission.TransactionInput{
		Key:         strings.Repeat("k", 256),
		Amount:      decp("-1"),
		Reward:      decp("0.0000000000000000001"),
		AmountUnits: "usd",
		ProductID:   "p",
		Products: []commission.ProductLine{
			{ProductID: "a", ProductPrice: dec("1")},
			{ProductPrice: dec("2")},
			{ProductID: "c", ProductPrice: dec("-3")},
			{ProductID: "d", ProductPrice: dec("123456789012345678901")},
		},
		CreatedAt: &future,
	}
	_, err := eng.CreateTransaction(context.Background(), in)
	requireFields(t, err,
		"key", "amount", "amount", "reward", "amount_units", "product_id",
		"products[1].product_id", "products[2].product_price", "products[3].product_price",
		"created_at", "customer.key")
	requireNoTransactions(t, eng)

	_, err = eng.CreateTransaction(context.Background(), commission.TransactionInput{Customer: commission.CustomerInput{Key: "customer_123"}})
	requireFields(t, err, "amount")

	var decoded commission.TransactionInput
	require.NoError(t, json.Unmarshal([]byte(`{"customer":{"key":"customer_123"},"products":[{"product_id":"x"}]}`), &decoded))
	_, err = eng.CreateTransaction(context.Background(), decoded)
	requireFields(t, err, "products[0].product_price")
}

func TestMultipleProducts(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Version = "v7"
	p.Rules.Products = []commission.ProductRule{
		{ID: "shoes-flat", ProductID: "shoes", Commission: commission.Flat(dec("5"))},
		{ProductType: "digital", Commission: commission.Percent(dec("10"))},
		{ProductID: "ebook", Commission: commission.Percent(dec("50"))},
	}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	var in commission.TransactionInput
	require.NoError(t, json.Unmarshal([]byte(`{
		"customer": {"key": "customer_123"}, "key": "order_1",
		"products": [
			{"product_id": "shoes", "product_price": 80},
			{"product_id": "course", "product_type": "digital", "product_price": 19.99},
			{"product_id": "ebook", "product_type": "digital", "product_price": 9.99},
			{"product_id": "mug", "product_price": 12.5}
		]}`), &in))
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "122.48", tx.Amount)
	require.Len(t, tx.Rewards, 4)
	want := []struct{ amount, rule, match, product string }{
		{"5", "shoes-flat", "product_id", "shoes"},
		{"1.999", "product_type:digital", "product_type", "course"},
		{"4.995", "product_id:ebook", "product_id", "ebook"},
		{"3.75", "default", "default", "mug"},
	}
	for i, w := range want {
		r := tx.Rewards[i]
		requireDecimal(t, w.amount, r.Amount, w.product)
		require.Equal(t, w.rule, r.Explanation.Rule)
		require.Equal(t, w.match, r.Explanation.Match)
		require.Equal(t, "v7", r.Explanation.RuleVersion)
		require.Equal(t, w.product, r.ProductID)
	}
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	doc := decodeJSON(t, out).(map[string]any)
	ptd := doc["rewards"].([]any)[1].(map[string]any)["product_type_data"]
	require.Equal(t, map[string]any{"product_id": "course", "product_type": "digital"}, ptd)

	// An amount that disagrees with its lines is rejected.
	in.Key, in.Amount = "order_2", decp("100")
	_, err = eng.CreateTransaction(ctx, in)
	requireFields(t, err, "amount")
}

func TestRewardSetDirectlyAndFlags(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)

	in := sale("manual", "customer_123", "100")
	in.Reward = decp("7.5")
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	requireDecimal(t, "7.5", tx.Rewards[0].Amount)
	require.Equal(t, "manual", tx.Rewards[0].Explanation.Rule)

	in = commission.TransactionInput{Key: "reward_only", Reward: decp("3"), Customer: commission.CustomerInput{Email: ""}}
	in.Customer.Key = "customer_123"
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "0", tx.Amount)
	requireDecimal(t, "3", tx.Rewards[0].Amount)

	in = sale("imported", "customer_123", "100")
	in.Rewarded = true
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	require.True(t, tx.Qualified, "an imported sale counts towards limits")

	no := false
	in = sale("unrewardable", "customer_123", "100")
	in.Rewardable = &no
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	require.False(t, tx.Qualified)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(out), `"rewards":[]`)
}

func TestSuspendedCustomerAndArchivedPartner(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	ref := commission.CustomerRef{Key: "customer_123"}

	_, err := eng.SetCustomerStatus(ctx, ref, commission.CustomerSuspended)
	require.NoError(t, err)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.NoError(t, err, "a suspended customer's sale is recorded")
	require.Empty(t, tx.Rewards)

	_, err = eng.SetCustomerStatus(ctx, ref, commission.CustomerActive)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("t2", "customer_123", "10"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1, "approving the customer resumes rewards")

	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "partner_123"}, commission.PartnerArchived)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("t3", "customer_123", "10"))
	require.NoError(t, err)
	require.Empty(t, tx.Rewards, "an archived partner earns nothing")

	_, err = eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "nobody"}, commission.CustomerSuspended)
	require.ErrorIs(t, err, commission.ErrNotFound)
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "partner_123"}, "gone")
	require.ErrorIs(t, err, commission.ErrInvalid)
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

func TestDeleteArchiveRestore(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.NoError(t, err)
	clock.Advance(time.Minute)

	require.NoError(t, eng.ArchiveTransaction(ctx, "t1"))
	require.ErrorIs(t, eng.ArchiveTransaction(ctx, "t1"), commission.ErrAlreadyArchived)
	archived, err := eng.Transaction(ctx, "t1")
	require.NoError(t, err, "an archived transaction is still found")
	require.Equal(t, commission.TransactionArchived, archived.State)
	require.NotNil(t, archived.DeletedAt)
	require.NotNil(t, archived.Rewards[0].DeletedAt, "archiving reverses the rewards")
	out, err := json.Marshal(archived)
	require.NoError(t, err)
	require.Contains(t, string(out), `"deleted_at":"2025-05-07T05:33:48.000000Z"`)

	require.NoError(t, eng.RestoreTransaction(ctx, "t1"))
	require.ErrorIs(t, eng.RestoreTransaction(ctx, "t1"), commission.ErrNotArchived)
	restored, err := eng.Transaction(ctx, "t1")
	require.NoError(t, err)
	require.Nil(t, restored.DeletedAt)
	require.Nil(t, restored.Rewards[0].DeletedAt)
	require.Equal(t, tx.Rewards[0].ID, restored.Rewards[0].ID)
	requireDecimal(t, "3", restored.Rewards[0].Amount)

	require.NoError(t, eng.DeleteTransaction(ctx, "t1"))
	_, err = eng.Transaction(ctx, "t1")
	require.ErrorIs(t, err, commission.ErrNotFound)
	require.ErrorIs(t, eng.DeleteTransaction(ctx, "t1"), commission.ErrNotFound)
	require.ErrorIs(t, eng.ArchiveTransaction(ctx, "t1"), commission.ErrNotFound)
	require.ErrorIs(t, eng.RestoreTransaction(ctx, "t1"), commission.ErrNotFound)
	r, err := eng.Reward(ctx, tx.Rewards[0].ID)
	require.NoError(t, err, "the reversal is kept for audit")
	require.NotNil(t, r.DeletedAt)

	require.ErrorIs(t, eng.DeleteTransaction(ctx, "never"), commission.ErrNotFound)
	_, err = eng.Transaction(ctx, "never")
	require.ErrorIs(t, err, commission.ErrNotFound)
}

func TestReviewPeriodOverMovingClock(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.ReviewPeriod = 30 * 24 * time.Hour
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)

	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.NoError(t, err)
	id := tx.Rewards[0].ID
	require.Equal(t, commission.RewardInReview, tx.Rewards[0].Status)
	status := func() commission.RewardStatus {
		r, err := eng.Reward(ctx, id)
		require.NoError(t, err)
		got, err := eng.Transaction(ctx, "t1")
		require.NoError(t, err)
		require.Equal(t, r.Status, got.Rewards[0].Status, "every read agrees")
		return r.Status
	}
	clock.Advance(30*24*time.Hour - time.Second)
	require.Equal(t, commission.RewardInReview, status())
	clock.Advance(time.Second)
	require.Equal(t, commission.RewardOK, status(), "released on time, with no job")
	require.ErrorIs(t, eng.ApproveReward(ctx, id), commission.ErrNotInReview)

	// A sale backdated beyond the period is earned at once.
	old := clock.Now().Add(-31 * 24 * time.Hour)
	in := sale("t_old", "customer_123", "10")
	in.CreatedAt = &old
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Equal(t, commission.RewardOK, tx.Rewards[0].Status)

	// Approve releases early; reject holds a reason; neither works twice.
	tx, err = eng.CreateTransaction(ctx, sale("t2", "customer_123", "10"))
	require.NoError(t, err)
	require.NoError(t, eng.ApproveReward(ctx, tx.Rewards[0].ID))
	r, err := eng.Reward(ctx, tx.Rewards[0].ID)
	require.NoError(t, err)
	require.Equal(t, commission.RewardOK, r.Status)
	require.ErrorIs(t, eng.RejectReward(ctx, tx.Rewards[0].ID, "late"), commission.ErrNotInReview)

	tx, err = eng.CreateTransaction(ctx, sale("t3", "customer_123", "10"))
	require.NoError(t, err)
	require.NoError(t, eng.RejectReward(ctx, tx.Rewards[0].ID, "fraud"))
	clock.Advance(365 * 24 * time.Hour)
	r, err = eng.Reward(ctx, tx.Rewards[0].ID)
	require.NoError(t, err)
	require.Equal(t, commission.RewardRejected, r.Status, "a rejected reward stays rejected")
	require.Equal(t, "fraud", r.Reason)

	tx, err = eng.CreateTransaction(ctx, sale("t4", "customer_123", "10"))
	require.NoError(t, err)
	require.NoError(t, eng.DeleteTransaction(ctx, "t4"))
	require.ErrorIs(t, eng.ApproveReward(ctx, tx.Rewards[0].ID), commission.ErrNotInReview, "a reversed reward")
	require.ErrorIs(t, eng.ApproveReward(ctx, "no_such_reward"), commission.ErrNotFound)
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

func TestNewValidatesProgram(t *testing.T) {
	_, err := commission.New(nil, commission.Program{})
	require.Error(t, err)
	_, err = commission.New(memstore.New(), commission.Program{
		Kind: "pyramid", Currency: "XYZ",
		Rules: commission.RuleSet{
			Default:      commission.Percent(dec("120")),
			ReviewPeriod: -time.Hour,
			Products: []commission.ProductRule{
				{ProductID: "a", Commission: commission.Flat(dec("1"))},
				{ProductID: "a", ID: "other", Commission: commission.Flat(dec("2"))},
				{ProductID: "b", ProductType: "c", Commission: commission.Flat(dec("1"))},
				{ProductType: "d", Commission: commission.Commission{Type: "bonus", Value: dec("1")}},
				{Commission: commission.Flat(dec("-1"))},
			},
		},
	})
	requireFields(t, err, "id", "kind", "currency", "rules.default.value", "rules.review_period",
		"rules.products[1].product_id", "rules.products[2]", "rules.products[3].commission.type",
		"rules.products[4].commission.value", "rules.products[4]")
}

func TestJSONAmountsAreExactNumbers(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "33.333"))
	affiliateSetup(t, eng)
	var in commission.TransactionInput
	require.NoError(t, json.Unmarshal([]byte(`{"customer":{"key":"customer_123"},"amount":"12345678901234567890.123456789012345678"}`), &in))
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(out), `"amount":12345678901234567890.123456789012345678,`)
	// 33.333% of it has 23 places: rounded half-even to the 18 that
	// storage holds, and the explanation says so.
	require.Contains(t, string(out), `"amount":4115185148148518514.814851851481485185,`)
	require.Contains(t, string(out), `"rounding":"half_even:18"`)
	require.NotContains(t, string(out), `e+`)
	require.NotContains(t, string(out), `E`)

	// With cents, the result is exact: no rounding at all.
	in = sale("cents", "customer_123", "12345678901234567890.12")
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "4115185148148518514.8136996", tx.Rewards[0].Amount)
	require.Empty(t, tx.Rewards[0].Explanation.Rounding)
	out, err = json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(out), `"amount":4115185148148518514.8136996,`)
}

func TestPartnerAndCustomerValidation(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{
		Key: strings.Repeat("k", 256), Email: "not-an-email", Tags: []string{"ok", ""},
		Status: "vip", ReferringPartner: &commission.PartnerRef{},
	})
	requireFields(t, err, "key", "email", "tags[1]", "status", "referring_partner")

	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p2", ReferringPartner: &commission.PartnerRef{Key: "nobody"}})
	require.ErrorIs(t, err, commission.ErrPartnerNotFound)
	p, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p2", ReferringPartner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	require.Equal(t, "partner_123", p.ReferringPartnerID)
	got, err := eng.Partner(ctx, commission.PartnerRef{Key: "p2"})
	require.NoError(t, err)
	require.Equal(t, commission.PartnerActive, got.Status)

	future := t0.Add(time.Minute)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{
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

// Values marshal like pointers: a []Transaction or a Reward on its own gives
// the documented objects too.
func TestJSONOfValues(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.ReferAFriend, "30"))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{ID: "a"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "b", ReferringCustomer: &commission.CustomerRef{ID: "a"}})
	require.NoError(t, err)
	tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t", Amount: decp("10"), Customer: commission.CustomerInput{ID: "b"}})
	require.NoError(t, err)
	byPtr, err := json.Marshal(tx)
	require.NoError(t, err)
	byVal, err := json.Marshal([]commission.Transaction{*tx})
	require.NoError(t, err)
	require.JSONEq(t, "["+string(byPtr)+"]", string(byVal))
	r, err := json.Marshal(tx.Rewards[0])
	require.NoError(t, err)
	doc := decodeJSON(t, r).(map[string]any)
	require.Equal(t, "a", doc["customer"])
	require.Equal(t, "b", doc["referred_customer"])
	require.Equal(t, json.Number("3"), doc["amount"])
}

// Strings that need escaping come out as valid JSON with the same value.
func TestJSONEscapesStrings(t *testing.T) {
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	key := "inv \"7\" \\ <ü> & \u2028 \x01"
	tx, err := eng.CreateTransaction(context.Background(), sale(key, "customer_123", "1"))
	require.NoError(t, err)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	doc := decodeJSON(t, out).(map[string]any)
	require.Equal(t, key, doc["key"])
	require.Equal(t, key, doc["rewards"].([]any)[0].(map[string]any)["key"])
}

// Times are kept to the microsecond: a created_at within the clock's
// microsecond is now, not the future, for a customer as for a sale, and
// is stored truncated.
func TestCreatedAtWithinTheClocksMicrosecond(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(700 * time.Nanosecond)
	clock := newClock(at)
	eng, err := commission.New(memstore.New(), percentProgram(commission.Affiliate, "10"), commission.WithClock(clock.Now))
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	sub := at.Add(200 * time.Nanosecond) // same microsecond as the clock, later nanoseconds
	c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}, CreatedAt: &sub})
	require.NoError(t, err)
	require.True(t, c.CreatedAt.Equal(t0), "stored %v", c.CreatedAt)
	tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "s", Amount: decp("10"), CreatedAt: &sub,
		Customer: commission.CustomerInput{Key: "c2", Partner: &commission.PartnerRef{Key: "p"}, CreatedAt: &sub},
		Options:  commission.TransactionOptions{CreateCustomer: true}})
	require.NoError(t, err)
	require.True(t, tx.CreatedAt.Equal(t0), "stored %v", tx.CreatedAt)

	// The next microsecond is the future.
	next := t0.Add(time.Microsecond)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c3", Partner: &commission.PartnerRef{Key: "p"}, CreatedAt: &next})
	requireFields(t, err, "created_at")
	_, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "s2", Amount: decp("10"), CreatedAt: &next,
		Customer: commission.CustomerInput{Key: "c"}})
	requireFields(t, err, "created_at")
}
