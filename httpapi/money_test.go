package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/httpapi"
	"github.com/stretchr/testify/require"
)

// balance reads partner_123's balance.
func (a *api) balance() map[string]any {
	a.t.Helper()
	return a.obj("GET", "/v1/balances?beneficiary.key=partner_123&amount_units=usd", "")
}

// From a refund to a paid payout, a canceled one and a clawback, through
// the API.
func TestRefundAndPayout(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	a.obj("POST", "/v1/transactions", affiliateRequest)

	// A partial refund: the reward pays its share of what is left.
	refund := a.obj("POST", "/v1/transactions/transaction_123/refunds", `{"key": "refund_1", "amount": 50}`)
	require.Equal(t, "refund_1", refund["key"])
	require.Equal(t, "transaction_123", refund["transaction"])
	requireNumber(t, "50", refund["amount"])
	entries := refund["entries"].([]any)
	require.Len(t, entries, 1)
	requireNumber(t, "-15", entries[0].(map[string]any)["amount"])

	tx := a.obj("GET", "/v1/transactions/transaction_123", "")
	requireNumber(t, "50", tx["refunded"])
	reward := tx["rewards"].([]any)[0].(map[string]any)
	requireNumber(t, "15", reward["reversed"])
	rewardID := reward["id"].(string)

	// The same refund again is answered as stored; another body with its
	// key is a duplicate; more than is left is a bad amount.
	require.Equal(t, refund, a.obj("POST", "/v1/transactions/transaction_123/refunds", `{"key": "refund_1", "amount": 50}`))
	requireError(t, a.call("POST", "/v1/transactions/transaction_123/refunds", `{"key": "refund_1", "amount": 10}`), http.StatusBadRequest, "duplicate_key", "Duplicate key")
	doc := requireError(t, a.call("POST", "/v1/transactions/transaction_123/refunds", `{"key": "refund_9", "amount": 60}`), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "amount")
	doc = requireError(t, a.call("POST", "/v1/transactions/transaction_123/refunds", `{}`), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "key")
	require.Contains(t, fieldErrors(t, doc), "amount")

	b := a.balance()
	require.Equal(t, "partner_123", b["earner_key"])
	require.Equal(t, "USD", b["amount_units"])
	requireNumber(t, "14.997", b["payable"])
	requireNumber(t, "14.997", b["not_paid"])

	// A payout of everything payable.
	po := a.obj("POST", "/v1/payouts", `{"beneficiary": {"key": "partner_123"}}`)
	id := po["id"].(string)
	requireNumber(t, "14.997", po["amount"])
	require.Equal(t, "pending", po["state"])
	require.Equal(t, []any{rewardID}, po["rewards"])
	require.Equal(t, po, a.obj("GET", "/v1/payouts/"+id, ""))
	requireNumber(t, "14.997", a.balance()["in_payout"])
	requireNumber(t, "0", a.balance()["payable"])
	requireError(t, a.call("POST", "/v1/payouts", `{"beneficiary": {"key": "partner_123"}}`), http.StatusConflict, "below_threshold", "Payout below threshold")
	requireError(t, a.call("POST", "/v1/payouts", `{"beneficiary": {"key": "nobody"}}`), http.StatusNotFound, "not_found", "")
	doc = requireError(t, a.call("POST", "/v1/payouts", `{"beneficiary": {}, "rewards": "r1"}`), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "rewards")

	list := a.call("GET", "/v1/payouts?beneficiary.key=partner_123", "")
	require.Equal(t, http.StatusOK, list.status, string(list.raw))
	require.Len(t, list.doc["data"], 1)
	require.Nil(t, list.doc["links"].(map[string]any)["next"])
	require.Nil(t, list.doc["meta"].(map[string]any)["next_cursor"])
	require.Empty(t, a.ok("GET", "/v1/payouts?states=paid", ""))

	// Marked paid, with its transfer's reference (required).
	doc = requireError(t, a.call("POST", "/v1/payouts/"+id+"/paid", `{}`), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "reference")
	paid := a.obj("POST", "/v1/payouts/"+id+"/paid", `{"reference": "wire_20250101"}`)
	require.Equal(t, "paid", paid["state"])
	require.Equal(t, "wire_20250101", paid["reference"])
	require.Equal(t, "2025-05-07T05:32:48.000000Z", paid["paid_at"])
	require.Equal(t, paid, a.obj("POST", "/v1/payouts/"+id+"/paid", `{"reference": "wire_20250101"}`), "a retry")
	requireError(t, a.call("POST", "/v1/payouts/"+id+"/paid", `{"reference": "wire_2"}`), http.StatusConflict, "payout_settled", "Payout already settled")
	requireError(t, a.call("POST", "/v1/payouts/"+id+"/cancel", ""), http.StatusConflict, "payout_settled", "")
	requireNumber(t, "14.997", a.balance()["paid"])
	require.Len(t, a.ok("GET", "/v1/payouts?states=paid", ""), 1)

	rewards := a.ok("GET", "/v1/rewards?beneficiary.key=partner_123&statuses=paid", "").([]any)
	require.Len(t, rewards, 1)
	require.Equal(t, "paid", rewards[0].(map[string]any)["status"])
	require.Equal(t, id, rewards[0].(map[string]any)["payout"])
	require.Equal(t, "paid", a.obj("GET", "/v1/rewards/"+rewardID, "")["status"])

	// Another sale's payout, canceled: its reward is payable again.
	a.obj("POST", "/v1/transactions", `{"key": "t2", "amount": 10, "customer": {"key": "customer_123"}}`)
	po2 := a.obj("POST", "/v1/payouts", `{"beneficiary": {"email": "PARTNER@example.com"}}`)
	requireNumber(t, "3", po2["amount"])
	canceled := a.obj("POST", "/v1/payouts/"+po2["id"].(string)+"/cancel", "")
	require.Equal(t, "canceled", canceled["state"])
	requireNumber(t, "3", a.balance()["payable"])

	// The rest of the first sale refunded after it was paid: a clawback
	// the next payout nets.
	a.obj("POST", "/v1/transactions/transaction_123/refunds", `{"key": "refund_2", "amount": 49.99}`)
	requireNumber(t, "99.99", a.obj("GET", "/v1/transactions/transaction_123", "")["refunded"])
	b = a.balance()
	requireNumber(t, "14.997", b["clawback"])
	requireNumber(t, "-11.997", b["payable"])
	requireError(t, a.call("POST", "/v1/transactions/transaction_123/rewardable", ""), http.StatusConflict, "refunded", "Transaction refunded")

	// Earnings per day.
	e := a.obj("GET", "/v1/earnings?beneficiary.key=partner_123&by=day&from=2025-05-07&to=2025-05-08T00:00:00Z", "")
	periods := e["periods"].([]any)
	require.Len(t, periods, 1)
	p := periods[0].(map[string]any)
	require.Equal(t, "2025-05-07T00:00:00.000000Z", p["start"])
	requireNumber(t, "32.997", p["earned"])
	requireNumber(t, "29.997", p["reversed"])
	requireNumber(t, "3", p["net"])
	doc = requireError(t, a.call("GET", "/v1/earnings?beneficiary.key=partner_123&by=week&from=yesterday", ""), http.StatusUnprocessableEntity, "validation_error", "")
	errs := fieldErrors(t, doc)
	require.Contains(t, errs, "from")
	require.Contains(t, errs, "by")
	require.Contains(t, errs, "to")
}

// Rewards held in a review period, approved and rejected.
func TestApproveReject(t *testing.T) {
	p := affiliate30()
	p.Rules.ReviewPeriod = 30 * 24 * time.Hour
	a := newAPI(t, setup{program: p})
	a.affiliateSetup()
	var ids []string
	for _, key := range []string{"t1", "t2"} {
		tx := a.obj("POST", "/v1/transactions", `{"key": "`+key+`", "amount": 100, "customer": {"key": "customer_123"}}`)
		r := tx["rewards"].([]any)[0].(map[string]any)
		require.Equal(t, "review_period", r["status"])
		ids = append(ids, r["id"].(string))
	}
	requireNumber(t, "60", a.balance()["pending"])

	ok := a.obj("POST", "/v1/rewards/"+ids[0]+"/approve", "")
	require.Equal(t, "ok", ok["status"])
	requireError(t, a.call("POST", "/v1/rewards/"+ids[0]+"/approve", ""), http.StatusConflict, "not_in_review", "Reward not in review")

	rejected := a.obj("POST", "/v1/rewards/"+ids[1]+"/reject", `{"reason": "self-referral"}`)
	require.Equal(t, "rejected", rejected["status"])
	require.Equal(t, "self-referral", rejected["reason"])
	requireError(t, a.call("POST", "/v1/rewards/"+ids[1]+"/reject", `{}`), http.StatusConflict, "not_in_review", "")
	requireError(t, a.call("POST", "/v1/rewards/nope/approve", ""), http.StatusNotFound, "not_found", "")

	b := a.balance()
	requireNumber(t, "0", b["pending"])
	requireNumber(t, "30", b["payable"])

	list := a.call("GET", "/v1/rewards?beneficiary.key=partner_123&limit=1", "")
	require.Equal(t, http.StatusOK, list.status, string(list.raw))
	require.Len(t, list.doc["data"], 1)
	next, ok2 := list.doc["links"].(map[string]any)["next"].(string)
	require.True(t, ok2, "a next link")
	cursor := list.doc["meta"].(map[string]any)["next_cursor"].(string)
	require.Contains(t, next, "cursor="+cursor)
	list = a.call("GET", "/v1/rewards?beneficiary.key=partner_123&limit=1&cursor="+cursor, "")
	require.Len(t, list.doc["data"], 1)
	require.Nil(t, list.doc["links"].(map[string]any)["next"])
	require.Len(t, a.ok("GET", "/v1/rewards?beneficiary.key=partner_123&statuses=rejected", ""), 1)
	require.Len(t, a.ok("GET", "/v1/rewards?beneficiary.key=partner_123&statuses=ok,rejected", ""), 2)
}

// The 404 of a beneficiary that does not exist, and a list of rewards of
// a refer-a-friend program.
func TestRewardsOfReferrer(t *testing.T) {
	p := affiliate30()
	p.Kind = commission.ReferAFriend
	a := newAPI(t, setup{program: p, opts: httpapi.Options{APIKeys: []string{apiKey}}})
	a.obj("POST", "/v1/customers", `{"id": "customer_123", "email": "ref@example.com"}`)
	a.obj("POST", "/v1/customers", `{"id": "customer_456", "referring_customer": {"id": "customer_123"}}`)
	a.obj("POST", "/v1/transactions", rafRequest)
	rewards := a.ok("GET", "/v1/rewards?beneficiary.email=ref@example.com", "").([]any)
	require.Len(t, rewards, 1)
	require.Equal(t, "customer_456", rewards[0].(map[string]any)["referred_customer"])
	requireError(t, a.call("GET", "/v1/balances?beneficiary.key=nobody", ""), http.StatusNotFound, "not_found", "")
}
