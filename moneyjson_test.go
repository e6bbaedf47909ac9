package commission_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// The money lifecycle's JSON: amounts as exact numbers; a reward shows
// what was reversed of it and its payout, a sale what was refunded; a
// payout, a balance and a refund read back as they were.
func TestMoneyJSON(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "99.99"))
	require.NoError(t, err)
	refund, err := eng.RefundTransaction(ctx, "t1", refundAmount("r1", "33.33"))
	require.NoError(t, err)
	po, err := eng.CreatePayout(ctx, payoutTo("partner_123"))
	require.NoError(t, err)
	po, err = eng.MarkPayoutPaid(ctx, po.ID, "wire_1")
	require.NoError(t, err)

	read, err := eng.Transaction(ctx, "t1")
	require.NoError(t, err)
	requireJSON(t, read, `{"refunded": 33.33, "rewards": [{"amount": 29.997, "reversed": 9.999, "status": "paid", "payout": "`+po.ID+`"}]}`)
	requireJSON(t, refund, `{"key": "r1", "transaction": "t1", "amount": 33.33,
		"entries": [{"reward": "`+tx.Rewards[0].ID+`", "reason": "refund", "amount": -9.999, "adjustment": false}]}`)
	requireJSON(t, po, `{"earner": {"kind": "partner"}, "earner_key": "partner_123", "amount": 19.998,
		"amount_units": "USD", "state": "paid", "rewards": ["`+tx.Rewards[0].ID+`"], "entries": [], "reference": "wire_1", "canceled_at": null}`)
	b := balance(t, eng, "partner_123")
	requireJSON(t, b, `{"earner_key": "partner_123", "pending": 0, "not_paid": 0, "in_payout": 0, "paid": 19.998, "clawback": 0, "payable": 0}`)

	for _, v := range []any{po, refund} {
		out, err := json.Marshal(v)
		require.NoError(t, err)
		back := newOf(v)
		require.NoError(t, json.Unmarshal(out, back))
		again, err := json.Marshal(back)
		require.NoError(t, err)
		require.JSONEq(t, string(out), string(again), "%T reads back as it was written", v)
	}
}

func requireJSON(t *testing.T, v any, want string) {
	t.Helper()
	out, err := json.Marshal(v)
	require.NoError(t, err)
	requireJSONSubset(t, decodeJSON(t, []byte(want)), decodeJSON(t, out), "")
}

func newOf(v any) any {
	switch v.(type) {
	case *commission.Payout:
		return new(commission.Payout)
	case *commission.Refund:
		return new(commission.Refund)
	}
	panic("newOf: unknown type")
}
