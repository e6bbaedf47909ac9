package sqlstore_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := newDatabase(t, d)
		clock := time.Date(2025, 5, 7, 5, 32, 48, 0, time.UTC)
		eng, err := commission.New(db.open(t), commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD",
			Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))}},
			commission.WithClock(func() time.Time { return clock }))
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123", Email: "p@example.com", Tags: []string{"a"}})
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123"})
		require.ErrorIs(t, err, commission.ErrDuplicateKey)
		var in commission.TransactionInput
		require.NoError(t, json.Unmarshal([]byte(`{"customer":{"key":"customer_123","partner":{"key":"partner_123"}},"options":{"create_customer":true},
			"key":"transaction_123","amount":99.99,"amount_units":"USD","product_id":"prod_123","product_type":"monthly","action":"sale"}`), &in))
		tx, err := eng.CreateTransaction(ctx, in)
		require.NoError(t, err)
		require.True(t, tx.Rewards[0].Amount.Equal(decimal.RequireFromString("29.997")))
		got, err := eng.Transaction(ctx, "transaction_123")
		require.NoError(t, err)
		a, _ := json.Marshal(tx)
		b, _ := json.Marshal(got)
		require.JSONEq(t, string(a), string(b))
		_, err = eng.CreateTransaction(ctx, in)
		var dup *commission.DuplicateError
		require.ErrorAs(t, err, &dup)
		require.True(t, dup.Identical)
		page, err := eng.Transactions(ctx, commission.ListOptions{})
		require.NoError(t, err)
		require.Len(t, page.Transactions, 1)
		require.NoError(t, eng.DeleteTransaction(ctx, "transaction_123"))
		deleted, err := eng.Transaction(ctx, "transaction_123")
		require.NoError(t, err)
		require.Equal(t, commission.TransactionDeleted, deleted.State)
		require.ErrorIs(t, eng.DeleteTransaction(ctx, "transaction_123"), commission.ErrAlreadyDeleted)
	})
}
