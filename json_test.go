package commission_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

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
