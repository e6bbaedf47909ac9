package httpapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// The requests and responses of the published documents
// (../../shared/seeds), copied as they are written there;
// TestSeedBodiesArePublished checks that they still are.

// From 000 "Create transaction": the request's --data and the response.
const affiliateRequest = `{
    "customer": {
      "key": "customer_123"
    },
    "key": "transaction_123",
    "amount": 99.99,
    "amount_units": "USD",
    "product_id": "prod_123",
    "product_type": "monthly",
    "action": "sale"
  }`

const affiliateResponse = `{
  "data": {
    "key": "transaction_123",
    "action": "sale",
    "amount": 99.99,
    "partner": "partner_123",
    "customer": "customer_123",
    "credit": false,
    "is_currency": true,
    "amount_units": "USD",
    "created_at": "2025-05-07T05:32:48.000000Z",
    "deleted_at": null,
    "rewards": [
      {
        "key": "transaction_123",
        "action": "sale",
        "status": "ok",
        "customer": "customer_123",
        "partner": "partner_123",
        "amount": 29.997,
        "amount_units": "USD",
        "is_currency": true,
        "credit": false,
        "created_at": "2025-05-07T05:32:48.000000Z",
        "deleted_at": null,
        "product_type_data": {
          "product_id": "prod_123",
          "product_type": "monthly"
        }
      }
    ]
  },
  "status": 1
}`

// From 001 "Referral transactions".
const rafRequest = `{
    "customer": {
      "id": "customer_456"
    },
    "key": "transaction_123",
    "amount": 99.99,
    "action": "sale"
  }`

const rafResponse = `{
    "data": {
      "key": "transaction_123",
      "action": "sale",
      "amount": 99.99,
      "customer": "customer_123",
      "referred_customer": "customer_456",
      "credit": false,
      "is_currency": true,
      "amount_units": "USD",
      "created_at": "2025-05-12T15:43:55.000000Z",
      "rewards": []
    },
    "status": 1
  }`

// The affiliate document's request, sent as its curl sends it, answers
// the documented response, every field with its value.
func TestSeedAffiliateCreate(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()

	res := a.request("POST", "/v1/transactions", affiliateRequest,
		"Authorization: Bearer YOUR_API_KEY", "Content-Type: application/json")
	require.Equal(t, http.StatusOK, res.status, string(res.raw))
	require.Equal(t, "application/json", res.header.Get("Content-Type"))
	requireSubset(t, decodeDoc(t, affiliateResponse), any(res.doc), "")
	reward := res.doc["data"].(map[string]any)["rewards"].([]any)[0].(map[string]any)
	require.Equal(t, json.Number("29.997"), reward["amount"], "written exactly")

	// Reading it back answers the same data.
	again := a.call("GET", "/v1/transactions/transaction_123", "")
	require.Equal(t, http.StatusOK, again.status)
	require.Equal(t, res.doc, again.doc)
}

// The referral document: create (customer is the referrer,
// referred_customer the buyer, no partner), list with limit/page, get,
// and delete, each sent as its curl sends it.
func TestSeedReferAFriend(t *testing.T) {
	a := newAPI(t, setup{program: commission.Program{ID: "raf", Kind: commission.ReferAFriend, Currency: "USD"}})
	a.clock.Set(time.Date(2025, 5, 12, 15, 43, 55, 0, time.UTC))
	a.obj("POST", "/v1/customers", `{"id": "customer_123", "email": "referrer@example.com"}`)
	c := a.obj("POST", "/v1/customers", `{"id": "customer_456", "referring_customer": {"id": "customer_123"}}`)
	require.Equal(t, "customer_123", c["referring_customer"])

	res := a.request("POST", "/v1/transactions", rafRequest,
		"Authorization: Bearer YOUR_API_KEY", "Content-Type: application/json")
	require.Equal(t, http.StatusOK, res.status, string(res.raw))
	requireSubset(t, decodeDoc(t, rafResponse), any(res.doc), "")
	require.NotContains(t, res.doc["data"], "partner")

	// List: the documented defaults (limit 15, page 1).
	list := a.request("GET", "/v1/transactions", "", "Accept: application/json", "Authorization: Bearer YOUR_API_KEY")
	require.Equal(t, http.StatusOK, list.status, string(list.raw))
	require.Equal(t, json.Number("1"), list.doc["status"])
	data := list.doc["data"].([]any)
	require.Len(t, data, 1)
	requireSubset(t, decodeDoc(t, rafResponse).(map[string]any)["data"], data[0], "data[0]")
	meta := list.doc["meta"].(map[string]any)
	require.Equal(t, json.Number("15"), meta["per_page"])
	require.Equal(t, json.Number("1"), meta["current_page"])
	require.Equal(t, json.Number("1"), meta["total"])

	// Get.
	got := a.request("GET", "/v1/transactions/transaction_123", "", "Accept: application/json", "Authorization: Bearer YOUR_API_KEY")
	require.Equal(t, http.StatusOK, got.status, string(got.raw))
	requireSubset(t, decodeDoc(t, rafResponse), any(got.doc), "")

	// Delete: answered with the transaction, now deleted; it is listed
	// no more, and stays readable for audit with its deleted_at.
	del := a.request("DELETE", "/v1/transactions/transaction_123", "", "Authorization: Bearer YOUR_API_KEY")
	require.Equal(t, http.StatusOK, del.status, string(del.raw))
	deleted := del.doc["data"].(map[string]any)
	require.Equal(t, "transaction_123", deleted["key"])
	require.Equal(t, "2025-05-12T15:43:55.000000Z", deleted["deleted_at"])

	list = a.call("GET", "/v1/transactions", "")
	require.Empty(t, list.doc["data"])
	got = a.call("GET", "/v1/transactions/transaction_123", "")
	require.Equal(t, http.StatusOK, got.status)
	require.Equal(t, "2025-05-12T15:43:55.000000Z", got.doc["data"].(map[string]any)["deleted_at"])

	// A repeated delete is told apart from a key never used.
	requireError(t, a.call("DELETE", "/v1/transactions/transaction_123", ""), http.StatusConflict, "already_deleted", "Transaction already deleted")
	requireError(t, a.call("DELETE", "/v1/transactions/transaction_999", ""), http.StatusNotFound, "not_found", "Not found")
}

// With a 30% rule, the referral sale rewards the referring customer, and
// the reward names both customers.
func TestSeedReferAFriendRewardsReferrer(t *testing.T) {
	p := affiliate30()
	p.Kind = commission.ReferAFriend
	a := newAPI(t, setup{program: p})
	a.obj("POST", "/v1/customers", `{"id": "customer_123"}`)
	a.obj("POST", "/v1/customers", `{"id": "customer_456", "referring_customer": {"id": "customer_123"}}`)

	tx := a.obj("POST", "/v1/transactions", rafRequest)
	rewards := tx["rewards"].([]any)
	require.Len(t, rewards, 1)
	r := rewards[0].(map[string]any)
	require.Equal(t, "customer_123", r["customer"])
	require.Equal(t, "customer_456", r["referred_customer"])
	require.NotContains(t, r, "partner")
	require.Equal(t, json.Number("29.997"), r["amount"])

	// The referrer's balance, by the beneficiary's id.
	b := a.obj("GET", "/v1/balances?beneficiary.id=customer_123", "")
	requireNumber(t, "29.997", b["payable"])
}

// The bodies above are the published ones (compared without white
// space), so that these tests test the documents themselves.
func TestSeedBodiesArePublished(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "..", "shared", "seeds", "*.txt"))
	require.NoError(t, err)
	if len(docs) == 0 {
		t.Skip("../../shared/seeds is not beside this checkout")
	}
	var all strings.Builder
	for _, d := range docs {
		b, err := os.ReadFile(d)
		require.NoError(t, err)
		all.Write(b)
	}
	space := regexp.MustCompile(`\s+`)
	published := space.ReplaceAllString(all.String(), "")
	for _, body := range []string{affiliateRequest, affiliateResponse, rafRequest, rafResponse} {
		require.Contains(t, published, space.ReplaceAllString(body, ""))
	}
	// The requests' headers too.
	require.Contains(t, all.String(), "--header 'Authorization: Bearer YOUR_API_KEY'")
	require.Contains(t, all.String(), "--url https://api.example.com/v1/transactions")
	require.Contains(t, all.String(), "--request DELETE 'https://api.partnero.com/v1/transactions/transaction_123'")
}
