package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/commissionkit/commission/httpapi"
	"github.com/stretchr/testify/require"
)

// Partners listed with filters, page by page and by cursor.
func TestListPartners(t *testing.T) {
	a := newAPI(t, setup{opts: httpapi.Options{APIKeys: []string{apiKey}, BaseURL: "https://api.example.com"}})
	for i := 1; i <= 5; i++ {
		tags := `["silver"]`
		if i%2 == 1 {
			tags = `["gold"]`
		}
		a.obj("POST", "/v1/partners", fmt.Sprintf(`{"key": "p%d", "email": "p%d@example.com", "tags": %s}`, i, i, tags))
		a.clock.Advance(time.Second)
	}
	a.obj("POST", "/v1/partners/p2/archive", "")
	base := "https://api.example.com/v1/partners"

	keys, links, meta := a.listed("/v1/partners?limit=2")
	require.Equal(t, []string{"p5", "p4"}, keys)
	require.Equal(t, base+"?limit=2&page=2", links["next"])
	require.Nil(t, meta["total"])
	cursor := meta["next_cursor"].(string)
	keys, links, meta = a.listed("/v1/partners?limit=2&page=3")
	require.Equal(t, []string{"p1"}, keys)
	require.Equal(t, num(5), meta["total"])
	require.Equal(t, num(3), meta["last_page"])
	require.Nil(t, links["next"])
	keys, _, meta = a.listed("/v1/partners?limit=2&cursor=" + cursor)
	require.Equal(t, []string{"p3", "p2"}, keys)
	require.Nil(t, meta["current_page"])

	keys, _, _ = a.listed("/v1/partners?tag=gold")
	require.Equal(t, []string{"p5", "p3", "p1"}, keys)
	keys, _, _ = a.listed("/v1/partners?status=archived")
	require.Equal(t, []string{"p2"}, keys)
	keys, _, _ = a.listed("/v1/partners?status=active&status=archived&tag=silver")
	require.Equal(t, []string{"p4", "p2"}, keys)
	keys, _, _ = a.listed("/v1/partners?status=active,archived&tag=silver")
	require.Equal(t, []string{"p4", "p2"}, keys)
	keys, links, _ = a.listed("/v1/partners?email=P3@Example.com")
	require.Equal(t, []string{"p3"}, keys)
	require.Equal(t, base+"?email=P3%40Example.com&page=1", links["first"])

	doc := requireError(t, a.call("GET", "/v1/partners?status=active,gone&limit=0&page=x&cursor=nope&email=bad", ""), http.StatusUnprocessableEntity, "validation_error", "")
	errs := fieldErrors(t, doc)
	for _, f := range []string{"status", "limit", "page", "cursor", "email"} {
		require.Contains(t, errs, f)
	}
	require.Contains(t, errs["status"].([]any)[0], `"gone"`)
}

// Customers listed by partner (key, id or email) and status.
func TestListCustomers(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	p2 := a.obj("POST", "/v1/partners", `{"key": "p2", "email": "p2@example.com"}`)
	for i := 1; i <= 4; i++ {
		a.clock.Advance(time.Second)
		partner := "partner_123"
		if i%2 == 0 {
			partner = "p2"
		}
		a.obj("POST", "/v1/customers", fmt.Sprintf(`{"key": "c%d", "partner": {"key": %q}}`, i, partner))
	}
	a.obj("POST", "/v1/customers/c3/suspend", "")

	keys, _, meta := a.listed("/v1/customers")
	require.Equal(t, []string{"c4", "c3", "c2", "c1", "customer_123"}, keys)
	require.Equal(t, num(5), meta["total"])
	keys, links, meta := a.listed("/v1/customers?limit=2&page=2")
	require.Equal(t, []string{"c2", "c1"}, keys)
	require.NotNil(t, links["prev"])
	require.Equal(t, num(3), meta["from"])
	keys, _, _ = a.listed("/v1/customers?partner=partner_123")
	require.Equal(t, []string{"c3", "c1", "customer_123"}, keys)
	keys, _, _ = a.listed("/v1/customers?partner=" + p2["id"].(string) + "&partner_by=id")
	require.Equal(t, []string{"c4", "c2"}, keys)
	keys, _, _ = a.listed("/v1/customers?partner=P2@example.com&partner_by=email")
	require.Equal(t, []string{"c4", "c2"}, keys)
	keys, _, _ = a.listed("/v1/customers?partner=partner_123&status=suspended")
	require.Equal(t, []string{"c3"}, keys)

	requireError(t, a.call("GET", "/v1/customers?partner=nobody", ""), http.StatusBadRequest, "invalid_partner", "Invalid partner key")
	doc := requireError(t, a.call("GET", "/v1/customers?partner_by=name&status=gone&limit=999", ""), http.StatusUnprocessableEntity, "validation_error", "")
	errs := fieldErrors(t, doc)
	for _, f := range []string{"partner_by", "status", "limit"} {
		require.Contains(t, errs, f)
	}
	doc = requireError(t, a.call("GET", "/v1/customers?partner=", ""), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "partner")
}

func TestUpdatePeople(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	a.obj("POST", "/v1/partners", `{"key": "p2", "email": "p2@example.com", "name": "Bob", "tags": ["a"]}`)

	p := a.obj("PUT", "/v1/partners/p2", `{"name": "Robert", "email": "Rob@Example.com"}`)
	require.Equal(t, "Robert", p["name"])
	require.Equal(t, "rob@example.com", p["email"])
	require.Equal(t, []any{"a"}, p["tags"]) // absent: unchanged
	require.Equal(t, p, a.obj("GET", "/v1/partners/rob@example.com?by=email", ""))
	p = a.obj("PATCH", "/v1/partners/rob@example.com?by=email", `{"tags": [], "surname": "Smith"}`)
	require.NotContains(t, p, "tags")
	require.Equal(t, "Smith", p["surname"])

	doc := requireError(t, a.call("PUT", "/v1/partners/p2", `{"email": "nope", "tags": [""], "name": 5}`), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "name")
	doc = requireError(t, a.call("PUT", "/v1/partners/p2", `{"email": "nope", "tags": [""]}`), http.StatusUnprocessableEntity, "validation_error", "")
	errs := fieldErrors(t, doc)
	require.Contains(t, errs, "email")
	require.Contains(t, errs, "tags[0]")
	requireError(t, a.call("PUT", "/v1/partners/p2", `{"email": "partner@example.com"}`), http.StatusBadRequest, "duplicate_key", "")
	requireError(t, a.call("PUT", "/v1/partners/nope", `{}`), http.StatusNotFound, "not_found", "")
	requireError(t, a.call("PUT", "/v1/partners/p2", `[1]`), http.StatusBadRequest, "not_an_object", "")

	a.obj("POST", "/v1/customers", `{"key": "c2", "email": "c2@example.com", "partner": {"key": "p2"}}`)
	c := a.obj("PUT", "/v1/customers/customer_123", `{"email": "buyer@example.com", "name": "Ann"}`)
	require.Equal(t, "buyer@example.com", c["email"])
	require.Equal(t, "partner_123", c["partner"])
	c = a.obj("PATCH", "/v1/customers/buyer@example.com?by=email", `{"email": ""}`)
	require.NotContains(t, c, "email")
	require.Equal(t, "Ann", c["name"])
	doc = requireError(t, a.call("PUT", "/v1/customers/c2", `{"email": "x", "surname": ["no"]}`), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "surname")
	doc = requireError(t, a.call("PUT", "/v1/customers/c2", `{"email": "x"}`), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "email")
	a.obj("PUT", "/v1/customers/customer_123", `{"email": "one@example.com"}`)
	requireError(t, a.call("PUT", "/v1/customers/c2", `{"email": "ONE@example.com"}`), http.StatusBadRequest, "duplicate_key", "")
	requireError(t, a.call("PUT", "/v1/customers/nope", `{}`), http.StatusNotFound, "not_found", "")
}

func TestDeletePeople(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	a.obj("PUT", "/v1/customers/customer_123", `{"email": "buyer@example.com", "name": "Ann", "tags": ["vip"]}`)
	a.obj("POST", "/v1/transactions", `{"key": "t1", "amount": 10, "customer": {"key": "customer_123"}}`)

	// The customer: erased, still read by key, listed only when asked for.
	c := a.obj("DELETE", "/v1/customers/buyer@example.com?by=email", "")
	require.Equal(t, "deleted", c["status"])
	for _, f := range []string{"email", "name", "surname", "tags", "referral_url"} {
		require.NotContains(t, c, f)
	}
	require.Equal(t, "partner_123", c["partner"])
	require.Equal(t, c, a.obj("GET", "/v1/customers/customer_123", ""))
	requireError(t, a.call("GET", "/v1/customers/buyer@example.com?by=email", ""), http.StatusNotFound, "not_found", "")
	keys, _, _ := a.listed("/v1/customers")
	require.Empty(t, keys)
	res := a.call("GET", "/v1/customers?status=deleted", "")
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, []any{c}, res.doc["data"])

	requireError(t, a.call("DELETE", "/v1/customers/customer_123", ""), http.StatusConflict, "already_deleted", "Customer already deleted")
	requireError(t, a.call("PUT", "/v1/customers/customer_123", `{"name": "B"}`), http.StatusConflict, "already_deleted", "Customer already deleted")
	requireError(t, a.call("POST", "/v1/customers/customer_123/suspend", ""), http.StatusConflict, "already_deleted", "Customer already deleted")
	requireError(t, a.call("DELETE", "/v1/customers/nope", ""), http.StatusNotFound, "not_found", "")

	// A sale by it is refused, alone or in a bulk; its old sale reads as before.
	doc := requireError(t, a.call("POST", "/v1/transactions", `{"key": "t2", "amount": 10, "customer": {"key": "customer_123"}}`), http.StatusConflict, "already_deleted", "Customer deleted")
	require.Contains(t, fieldErrors(t, doc), "customer")
	doc = requireError(t, a.call("POST", "/v1/transactions", `{"transactions": [{"key": "t3", "amount": 1, "customer": {"key": "customer_123"}}]}`), http.StatusConflict, "already_deleted", "Customer deleted")
	require.Equal(t, num(0), doc["index"], doc)
	require.Contains(t, fieldErrors(t, doc), "transactions[0].customer")
	require.Equal(t, "customer_123", a.obj("GET", "/v1/transactions/t1", "")["customer"])

	// The partner.
	p := a.obj("DELETE", "/v1/partners/partner_123", "")
	require.Equal(t, "deleted", p["status"])
	require.NotContains(t, p, "email")
	require.Equal(t, p, a.obj("GET", "/v1/partners/partner_123", ""))
	keys, _, _ = a.listed("/v1/partners")
	require.Empty(t, keys)
	keys, _, _ = a.listed("/v1/partners?status=deleted")
	require.Equal(t, []string{"partner_123"}, keys)
	requireError(t, a.call("DELETE", "/v1/partners/partner_123", ""), http.StatusConflict, "already_deleted", "Partner already deleted")
	requireError(t, a.call("PATCH", "/v1/partners/partner_123", `{"name": "x"}`), http.StatusConflict, "already_deleted", "Partner already deleted")
	requireError(t, a.call("POST", "/v1/partners/partner_123/archive", ""), http.StatusConflict, "already_deleted", "Partner already deleted")
	// Its customers stay listed under it; its email is free.
	keys, _, _ = a.listed("/v1/customers?partner=partner_123&status=deleted")
	require.Equal(t, []string{"customer_123"}, keys)
	a.obj("POST", "/v1/partners", `{"key": "p9", "email": "partner@example.com"}`)
}

func TestPeopleRoutesNeedAKey(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	for _, rt := range []struct{ method, path string }{
		{"GET", "/v1/partners"}, {"PUT", "/v1/partners/partner_123"}, {"PATCH", "/v1/partners/partner_123"},
		{"DELETE", "/v1/partners/partner_123"}, {"GET", "/v1/customers"}, {"PUT", "/v1/customers/customer_123"},
		{"PATCH", "/v1/customers/customer_123"}, {"DELETE", "/v1/customers/customer_123"},
	} {
		requireError(t, a.request(rt.method, rt.path, `{"name": "x"}`), http.StatusUnauthorized, "unauthenticated", "")
		requireError(t, a.request(rt.method, rt.path, `{"name": "x"}`, "Authorization: Bearer wrong"), http.StatusUnauthorized, "unauthenticated", "")
	}
	// Nothing changed.
	require.Equal(t, "active", a.obj("GET", "/v1/partners/partner_123", "")["status"])
	require.Equal(t, "active", a.obj("GET", "/v1/customers/customer_123", "")["status"])
	res := a.call("POST", "/v1/partners/partner_123", "{}")
	requireError(t, res, http.StatusMethodNotAllowed, "method_not_allowed", "")
	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE"} {
		require.Contains(t, res.header.Get("Allow"), m)
	}
}
