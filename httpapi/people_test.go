package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPartners(t *testing.T) {
	a := newAPI(t, setup{})
	p := a.obj("POST", "/v1/partners", `{"key": "partner_123", "email": "Partner@Example.com", "name": "Ann", "tags": ["gold"], "payout_minimum": "50"}`)
	require.Equal(t, "partner_123", p["key"])
	require.Equal(t, "partner@example.com", p["email"])
	require.Equal(t, "active", p["status"])
	require.Equal(t, "2025-05-07T05:32:48Z", p["created_at"])
	id := p["id"].(string)

	require.Equal(t, p, a.obj("GET", "/v1/partners/partner_123", ""))
	require.Equal(t, p, a.obj("GET", "/v1/partners/"+id+"?by=id", ""))
	require.Equal(t, p, a.obj("GET", "/v1/partners/PARTNER@example.com?by=email", ""))
	doc := requireError(t, a.call("GET", "/v1/partners/partner_123?by=name", ""), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "by")
	requireError(t, a.call("GET", "/v1/partners/nope?by=id", ""), http.StatusNotFound, "not_found", "Not found")

	require.Equal(t, "archived", a.obj("POST", "/v1/partners/partner_123/archive", "")["status"])
	require.Equal(t, "archived", a.obj("GET", "/v1/partners/partner_123", "")["status"])
	require.Equal(t, "active", a.obj("POST", "/v1/partners/partner@example.com/restore?by=email", "")["status"])
	requireError(t, a.call("POST", "/v1/partners/nope/archive", ""), http.StatusNotFound, "not_found", "")

	doc = requireError(t, a.call("POST", "/v1/partners", `{"key": "p2", "email": "not-an-email", "status": "gone", "payout_minimum": "x"}`), http.StatusUnprocessableEntity, "validation_error", "")
	errs := fieldErrors(t, doc)
	require.Contains(t, errs, "payout_minimum")
	doc = requireError(t, a.call("POST", "/v1/partners", `{"key": "p2", "email": "not-an-email", "status": "gone"}`), http.StatusUnprocessableEntity, "validation_error", "")
	errs = fieldErrors(t, doc)
	require.Contains(t, errs, "email")
	require.Contains(t, errs, "status")
	requireError(t, a.call("POST", "/v1/partners", `{"key": "p3", "referring_partner": {"key": "nobody"}}`), http.StatusBadRequest, "invalid_partner", "Invalid partner key")
	requireError(t, a.call("POST", "/v1/partners", `{"key": "p4", "email": "partner@example.com"}`), http.StatusBadRequest, "duplicate_key", "")
}

func TestCustomers(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	c := a.obj("POST", "/v1/customers", `{"key": "c1", "email": "buyer@example.com", "partner": {"email": "partner@example.com"}}`)
	require.Equal(t, "partner_123", c["partner"])
	require.Equal(t, "active", c["status"])

	require.Equal(t, c, a.obj("GET", "/v1/customers/c1", ""))
	require.Equal(t, c, a.obj("GET", "/v1/customers/buyer@example.com?by=email", ""))
	requireError(t, a.call("GET", "/v1/customers/nope", ""), http.StatusNotFound, "not_found", "")

	require.Equal(t, "suspended", a.obj("POST", "/v1/customers/c1/suspend", "")["status"])
	// A suspended customer's sale is recorded and earns nothing.
	tx := a.obj("POST", "/v1/transactions", `{"key": "t1", "amount": 10, "customer": {"key": "c1"}}`)
	require.Empty(t, tx["rewards"])
	require.Equal(t, "active", a.obj("POST", "/v1/customers/c1/approve", "")["status"])
	requireError(t, a.call("POST", "/v1/customers/nope/suspend", ""), http.StatusNotFound, "not_found", "")

	requireError(t, a.call("POST", "/v1/customers", `{"key": "c2", "partner": {"key": "nobody"}}`), http.StatusBadRequest, "invalid_partner", "")
	requireError(t, a.call("POST", "/v1/customers", `{"key": "c1", "partner": {"key": "partner_123"}}`), http.StatusBadRequest, "duplicate_key", "")
	doc := requireError(t, a.call("POST", "/v1/customers", `{"key": "c3", "email": "x", "created_at": "soon"}`), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "created_at")
}
