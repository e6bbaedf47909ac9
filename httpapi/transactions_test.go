package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// A sale of several products: each line earns its own reward.
func TestMultiProduct(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	tx := a.obj("POST", "/v1/transactions", `{"key": "m1", "customer": {"key": "customer_123"},
		"products": [{"product_id": "a", "product_price": 10}, {"product_id": "b", "product_type": "addon", "product_price": 20.5}]}`)
	requireNumber(t, "30.5", tx["amount"])
	rewards := tx["rewards"].([]any)
	require.Len(t, rewards, 2)
	requireNumber(t, "3", rewards[0].(map[string]any)["amount"])
	requireNumber(t, "6.15", rewards[1].(map[string]any)["amount"])
	require.Equal(t, map[string]any{"product_id": "b", "product_type": "addon"}, rewards[1].(map[string]any)["product_type_data"])

	// A refund by line.
	refund := a.obj("POST", "/v1/transactions/m1/refunds", `{"key": "r1", "products": [{"product_id": "b"}]}`)
	requireNumber(t, "20.5", refund["amount"])
	tx = a.obj("GET", "/v1/transactions/m1", "")
	requireNumber(t, "20.5", tx["refunded"])

	doc := requireError(t, a.call("POST", "/v1/transactions", `{"key": "m2", "customer": {"key": "customer_123"}, "product_id": "x", "products": [{"product_type": "y"}]}`), http.StatusUnprocessableEntity, "validation_error", "")
	errs := fieldErrors(t, doc)
	require.Contains(t, errs, "product_id")
	require.Contains(t, errs, "products[0].product_id")
	require.Contains(t, errs, "products[0].product_price")
}

// A panic in the engine or store is a 500 in the envelope, and the
// server goes on serving.
func TestPanicIs500(t *testing.T) {
	var store *faultyStore
	var out logs
	a := newAPI(t, setup{
		wrap: func(s commission.Store) commission.Store {
			store = &faultyStore{Store: s}
			return store
		},
		opts: newOpts(&out),
	})
	store.panics.Store(true)
	res := a.call("GET", "/v1/transactions/t1", "")
	requireError(t, res, http.StatusInternalServerError, "internal", "Internal server error")
	require.NotContains(t, string(res.raw), "index out of range")
	require.Contains(t, out.String(), "index out of range")
	store.panics.Store(false)
	requireError(t, a.call("GET", "/v1/transactions/t1", ""), http.StatusNotFound, "not_found", "")
}
