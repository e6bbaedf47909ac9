package commission_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

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
