package commission_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestValidationReportsEveryField(t *testing.T) {
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	future := t0.Add(time.Hour)
	in := commission.TransactionInput{
		Key:         strings.Repeat("k", 256),
		Amount:      decp("-1"),
		Reward:      decp("0.0000000000000000001"),
		AmountUnits: "XYZ",
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

// TestPropDerivedAmountFitsNumeric: a sale whose amount is derived from its
// products[] is accepted exactly when the same sale with that amount given
// explicitly is, so a stored amount always fits NUMERIC(38,18):
// at most 20 digits before the point, 18 after. Each price is
// valid on its own; only their sum can overflow.
func TestPropDerivedAmountFitsNumeric(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
		affiliateSetup(t, eng)
		n := rapid.IntRange(1, 4).Draw(rt, "lines")
		var lines []commission.ProductLine
		sum := decimal.Zero
		for i := 0; i < n; i++ {
			l := commission.ProductLine{ProductID: "p" + strconv.Itoa(i), ProductPrice: rapidgen.Amount().Draw(rt, "price")}
			lines = append(lines, l)
			sum = sum.Add(l.ProductPrice)
		}
		explicit := commission.TransactionInput{Key: "explicit", Amount: &sum, Products: lines, Customer: commission.CustomerInput{Key: "customer_123"}}
		derived := commission.TransactionInput{Key: "derived", Products: lines, Customer: commission.CustomerInput{Key: "customer_123"}}
		_, errExplicit := eng.CreateTransaction(ctx, explicit)
		tx, errDerived := eng.CreateTransaction(ctx, derived)
		fits := sum.IsZero() || sum.NumDigits()+int(sum.Exponent()) <= 20
		if fits {
			require.NoError(rt, errExplicit)
			require.NoError(rt, errDerived)
			propRequireDec(rt, "derived amount", sum, tx.Amount)
			return
		}
		require.ErrorIs(rt, errExplicit, commission.ErrInvalid, "explicit amount %s", sum)
		require.ErrorIs(rt, errDerived, commission.ErrInvalid,
			"products adding up to %s (more than 20 integer digits) were accepted; the explicit amount was rejected with: %v", sum, errExplicit)
	})
}
