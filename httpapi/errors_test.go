package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/httpapi"
	"github.com/stretchr/testify/require"
)

// The documented error table, each answer with its body, and nothing
// stored.

func TestCustomerNotFound(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	body := strings.Replace(affiliateRequest, "customer_123", "customer_999", 1)
	doc := requireError(t, a.call("POST", "/v1/transactions", body), http.StatusBadRequest, "customer_not_found", "Customer not found")
	require.NotContains(t, doc, "errors")
	require.Zero(t, a.countTransactions())

	// options.create_customer creates it, attributed to the partner.
	body = `{"key": "t1", "amount": 10, "customer": {"key": "customer_999", "partner": {"key": "partner_123"}}, "options": {"create_customer": true}}`
	tx := a.obj("POST", "/v1/transactions", body)
	require.Equal(t, "partner_123", tx["partner"])
	require.Equal(t, "customer_999", tx["customer"])
}

func TestInvalidPartnerKey(t *testing.T) {
	a := newAPI(t, setup{})
	body := `{"key": "t1", "amount": 10, "customer": {"key": "c1", "partner": {"key": "nobody"}}, "options": {"create_customer": true}}`
	requireError(t, a.call("POST", "/v1/transactions", body), http.StatusBadRequest, "invalid_partner", "Invalid partner key")
	require.Zero(t, a.countTransactions())
}

func TestDuplicateKey(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	first := a.obj("POST", "/v1/transactions", affiliateRequest)

	// The same body again: a retry, told apart, with the stored sale.
	doc := requireError(t, a.call("POST", "/v1/transactions", affiliateRequest), http.StatusBadRequest, "duplicate_key", "Duplicate key")
	require.Equal(t, "transaction_123", doc["key"])
	require.Equal(t, true, doc["identical"])
	require.Equal(t, first, doc["existing"])
	require.Equal(t, []any{"has already been taken"}, fieldErrors(t, doc)["key"])

	// Another sale with the key: a conflict.
	body := strings.Replace(affiliateRequest, "99.99", "50", 1)
	doc = requireError(t, a.call("POST", "/v1/transactions", body), http.StatusBadRequest, "duplicate_key", "Duplicate key")
	require.Equal(t, false, doc["identical"])
	require.Equal(t, 1, a.countTransactions())

	// A partner whose key is taken.
	requireError(t, a.call("POST", "/v1/partners", `{"key": "partner_123"}`), http.StatusBadRequest, "duplicate_key", "Duplicate key")
}

// Every bad field is named by its JSON path, all at once, and nothing is
// stored.
func TestValidationNamesEveryField(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()

	doc := requireError(t, a.call("POST", "/v1/transactions", `{"key": "t1"}`), http.StatusUnprocessableEntity, "validation_error", "Validation error")
	errs := fieldErrors(t, doc)
	require.Contains(t, errs, "amount")
	require.Contains(t, errs, "customer.key")
	require.Len(t, errs, 2)

	// An empty body is {}: the same fields.
	doc = requireError(t, a.call("POST", "/v1/transactions", ""), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "amount")

	// What does not decode is named too, with what does not validate.
	body := `{"amount": "ten", "amount_units": "XXX", "customer": {"key": "customer_123", "created_at": true}, "products": [{"product_id": "a", "product_price": 1}, {"product_id": "b", "product_price": "NaN"}]}`
	doc = requireError(t, a.call("POST", "/v1/transactions", body), http.StatusUnprocessableEntity, "validation_error", "")
	errs = fieldErrors(t, doc)
	require.Contains(t, errs, "amount")
	require.Contains(t, errs, "customer.created_at")
	require.Contains(t, errs, "products[1].product_price")
	msgs, ok := errs["amount"].([]any)
	require.True(t, ok)
	require.NotEmpty(t, msgs)

	// A bulk's items under transactions[i].
	body = `{"customer": {"key": "customer_123"}, "transactions": [{"key": "b1", "amount": 1}, {"key": "b2"}, {"key": "b1", "amount": -1}]}`
	doc = requireError(t, a.call("POST", "/v1/transactions", body), http.StatusUnprocessableEntity, "validation_error", "")
	errs = fieldErrors(t, doc)
	require.Contains(t, errs, "transactions[1].amount")
	require.Contains(t, errs, "transactions[2].amount")
	require.Contains(t, errs, "transactions[2].key")

	// A field of a type without its own decoder.
	doc = requireError(t, a.call("POST", "/v1/payouts/p1/paid", `{"reference": 12}`), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "reference")

	// Query parameters.
	doc = requireError(t, a.call("GET", "/v1/transactions?limit=0&page=x", ""), http.StatusUnprocessableEntity, "validation_error", "")
	errs = fieldErrors(t, doc)
	require.Equal(t, []any{"must be between 1 and 250"}, errs["limit"])
	require.Equal(t, []any{"must be an integer"}, errs["page"])
	doc = requireError(t, a.call("GET", "/v1/transactions?limit=251&states=active,gone", ""), http.StatusUnprocessableEntity, "validation_error", "")
	errs = fieldErrors(t, doc)
	require.Contains(t, errs, "limit")
	require.Contains(t, errs, "states[1]")
	doc = requireError(t, a.call("GET", "/v1/rewards", ""), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "beneficiary.id")

	require.Zero(t, a.countTransactions())
}

func TestBodyNotAJSONObject(t *testing.T) {
	a := newAPI(t, setup{})
	for _, body := range []string{`{"amount": 1`, `not json`, `{"amount": 1} {}`} {
		requireError(t, a.call("POST", "/v1/transactions", body), http.StatusBadRequest, "malformed_json", "Malformed JSON")
	}
	for _, body := range []string{`[{"amount": 1}]`, `"sale"`, `null`, `12`} {
		requireError(t, a.call("POST", "/v1/transactions", body), http.StatusBadRequest, "not_an_object", "The request body must be a JSON object")
	}
	require.Zero(t, a.countTransactions())
}

func TestNotFound(t *testing.T) {
	a := newAPI(t, setup{})
	for _, path := range []string{"/v1/transactions/nope", "/v1/rewards/nope", "/v1/payouts/nope", "/v1/partners/nope",
		"/v1/customers/nope", "/v1/webhooks/nope", "/v1/webhooks/nope/deliveries"} {
		requireError(t, a.call("GET", path, ""), http.StatusNotFound, "not_found", "Not found")
	}
	requireError(t, a.call("POST", "/v1/transactions/nope/refunds", `{"key": "r1", "amount": 1}`), http.StatusNotFound, "not_found", "Not found")
	requireError(t, a.call("POST", "/v1/transactions/nope/archive", ""), http.StatusNotFound, "not_found", "Not found")
	// No such route.
	for _, path := range []string{"/", "/v1", "/v2/transactions", "/v1/transactions/a/b/c"} {
		requireError(t, a.call("GET", path, ""), http.StatusNotFound, "not_found", "Not found")
	}
}

// Without the key, or with another, nothing is served and nothing is
// stored.
func TestUnauthenticated(t *testing.T) {
	a := newAPI(t, setup{opts: httpapi.Options{APIKeys: []string{"other-key", apiKey}}})
	a.affiliateSetup()
	for _, auth := range []string{"", "Authorization: Bearer wrong", "Authorization: Bearer YOUR_API_KEY2",
		"Authorization: Basic WU9VUl9BUElfS0VZOg==", "Authorization: YOUR_API_KEY", "Authorization: Bearer"} {
		headers := []string{"Content-Type: application/json"}
		if auth != "" {
			headers = append(headers, auth)
		}
		res := a.request("POST", "/v1/transactions", affiliateRequest, headers...)
		requireError(t, res, http.StatusUnauthorized, "unauthenticated", "Unauthenticated")
		require.Contains(t, res.header.Get("WWW-Authenticate"), "Bearer")
		// Unknown paths and reads too.
		requireError(t, a.request("GET", "/v1/nothing", "", headers...), http.StatusUnauthorized, "unauthenticated", "")
		requireError(t, a.request("GET", "/v1/transactions", "", headers...), http.StatusUnauthorized, "unauthenticated", "")
	}
	require.Zero(t, a.countTransactions())

	// Every configured key is accepted; the scheme in any case.
	res := a.request("POST", "/v1/transactions", affiliateRequest, "authorization: bearer other-key")
	require.Equal(t, http.StatusOK, res.status, string(res.raw))
	require.Equal(t, 1, a.countTransactions())
}

func TestNewRefusesNoKeys(t *testing.T) {
	eng, err := commission.New(&faultyStore{}, affiliate30())
	require.NoError(t, err)
	_, err = httpapi.New(eng, httpapi.Options{})
	require.ErrorContains(t, err, "no API keys")
	_, err = httpapi.New(eng, httpapi.Options{APIKeys: []string{"k", " "}})
	require.ErrorContains(t, err, "APIKeys[1] is empty")
	_, err = httpapi.New(nil, httpapi.Options{AllowNoAuth: true})
	require.Error(t, err)
	_, err = httpapi.New(eng, httpapi.Options{AllowNoAuth: true, MaxBodyBytes: -1})
	require.Error(t, err)
	_, err = httpapi.New(eng, httpapi.Options{AllowNoAuth: true, BaseURL: "api.example.com/v1"})
	require.Error(t, err)
	h, err := httpapi.New(eng, httpapi.Options{AllowNoAuth: true})
	require.NoError(t, err)
	require.NotNil(t, h)
}

// AllowNoAuth without keys serves anyone.
func TestAllowNoAuth(t *testing.T) {
	a := newAPI(t, setup{opts: httpapi.Options{AllowNoAuth: true}})
	res := a.request("POST", "/v1/partners", `{"key": "p1"}`)
	require.Equal(t, http.StatusOK, res.status, string(res.raw))
}

func TestBodyTooLarge(t *testing.T) {
	a := newAPI(t, setup{opts: httpapi.Options{APIKeys: []string{apiKey}, MaxBodyBytes: 1024}})
	a.affiliateSetup()
	big := `{"key": "t1", "amount": 10, "customer": {"key": "customer_123"}, "action": "` + strings.Repeat("x", 2000) + `"}`

	// Told by Content-Length.
	doc := requireError(t, a.call("POST", "/v1/transactions", big), http.StatusRequestEntityTooLarge, "too_large", "")
	require.Contains(t, doc["message"], "1024 bytes")

	// Found while reading a body of unknown length.
	req, err := http.NewRequest("POST", a.srv.URL+"/v1/transactions", io.MultiReader(strings.NewReader(big)))
	require.NoError(t, err)
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+apiKey)
	requireError(t, a.send(req), http.StatusRequestEntityTooLarge, "too_large", "")
	require.Zero(t, a.countTransactions())

	// The limit's own size passes.
	small := `{"key": "t1", "amount": 10, "customer": {"key": "customer_123"}}`
	a.obj("POST", "/v1/transactions", small+strings.Repeat(" ", 1024-len(small)))
}

// The default limit takes a bulk of the most sales an engine takes, each
// written out in full.
func TestDefaultLimitFitsMaxBulk(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	var b strings.Builder
	b.WriteString(`{"customer": {"key": "customer_123"}, "transactions": [`)
	for i := range commission.MaxBulk {
		if i > 0 {
			b.WriteString(",\n    ")
		}
		fmt.Fprintf(&b, `{"key": "invoice_2025_05_%06d", "amount": 1234.56, "amount_units": "USD", "action": "sale", "product_id": "prod_premium_annual_%04d", "product_type": "subscription_annual", "rewarded": false, "rewardable": true, "customer": {"key": "customer_123"}}`, i, i)
	}
	b.WriteString("]}")
	require.Greater(t, b.Len(), 200_000)
	require.Less(t, b.Len(), httpapi.DefaultMaxBodyBytes)
	res := a.call("POST", "/v1/transactions", b.String())
	require.Equal(t, http.StatusOK, res.status, string(res.raw[:min(len(res.raw), 500)]))
	require.Len(t, res.doc["data"], commission.MaxBulk)
	require.Equal(t, commission.MaxBulk, a.countTransactionsAll())

	// One more is refused, by the engine, naming transactions.
	big := strings.Replace(b.String(), `"transactions": [`, `"transactions": [{"amount": 1},`, 1)
	doc := requireError(t, a.call("POST", "/v1/transactions", big), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "transactions")
}

func (a *api) countTransactionsAll() int {
	a.t.Helper()
	n, cursor := 0, ""
	for {
		page, err := a.eng.Transactions(a.t.Context(), commission.ListOptions{Limit: commission.MaxLimit, Cursor: cursor})
		require.NoError(a.t, err)
		n += len(page.Transactions)
		if page.NextCursor == "" {
			return n
		}
		cursor = page.NextCursor
	}
}

func TestMethodNotAllowed(t *testing.T) {
	a := newAPI(t, setup{})
	res := a.call("PUT", "/v1/transactions", `{}`)
	requireError(t, res, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed")
	allow := res.header.Get("Allow")
	require.Contains(t, allow, "GET")
	require.Contains(t, allow, "POST")

	res = a.call("GET", "/v1/transactions/t1/archive", "")
	requireError(t, res, http.StatusMethodNotAllowed, "method_not_allowed", "")
	require.Equal(t, "POST", res.header.Get("Allow"))

	res = a.call("POST", "/v1/webhooks/w1", "{}")
	requireError(t, res, http.StatusMethodNotAllowed, "method_not_allowed", "")
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		require.Contains(t, res.header.Get("Allow"), m)
	}
}

// A bulk item that fails is named by its index; nothing of the bulk is
// stored.
func TestBulkItemError(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	body := `{"customer": {"key": "customer_123"}, "transactions": [{"key": "b0", "amount": 1}, {"key": "b1", "amount": 2, "customer": {"key": "ghost"}}]}`
	doc := requireError(t, a.call("POST", "/v1/transactions", body), http.StatusBadRequest, "customer_not_found", "Customer not found")
	require.Equal(t, json.Number("1"), doc["index"])
	require.Equal(t, []any{"Customer not found"}, fieldErrors(t, doc)["transactions[1]"])
	require.Zero(t, a.countTransactions())

	// A key taken by a stored sale.
	a.obj("POST", "/v1/transactions", affiliateRequest)
	body = `{"customer": {"key": "customer_123"}, "transactions": [{"key": "b0", "amount": 1}, {"key": "transaction_123", "amount": 2}]}`
	doc = requireError(t, a.call("POST", "/v1/transactions", body), http.StatusBadRequest, "duplicate_key", "Duplicate key")
	require.Equal(t, json.Number("1"), doc["index"])
	require.Equal(t, "transaction_123", doc["key"])
	require.Contains(t, fieldErrors(t, doc), "transactions[1].key")
	require.Equal(t, 1, a.countTransactions())

	// A good bulk answers every sale.
	body = `{"customer": {"key": "customer_123"}, "transactions": [{"key": "b0", "amount": 10}, {"key": "b1", "amount": 20}]}`
	data := a.ok("POST", "/v1/transactions", body).([]any)
	require.Len(t, data, 2)
	requireNumber(t, "3", data[0].(map[string]any)["rewards"].([]any)[0].(map[string]any)["amount"])
	requireNumber(t, "6", data[1].(map[string]any)["rewards"].([]any)[0].(map[string]any)["amount"])
}

func TestConflicts(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()
	a.obj("POST", "/v1/transactions", affiliateRequest)

	requireError(t, a.call("POST", "/v1/transactions/transaction_123/revoke-archive", ""), http.StatusConflict, "not_archived", "Transaction not archived")
	tx := a.obj("POST", "/v1/transactions/transaction_123/archive", "")
	require.Equal(t, "2025-05-07T05:32:48.000000Z", tx["deleted_at"])
	requireError(t, a.call("POST", "/v1/transactions/transaction_123/archive", ""), http.StatusConflict, "already_archived", "Transaction already archived")
	tx = a.obj("POST", "/v1/transactions/transaction_123/revoke-archive", "")
	require.Nil(t, tx["deleted_at"])
	require.Len(t, tx["rewards"], 1)

	requireError(t, a.call("POST", "/v1/transactions/transaction_123/rewardable", ""), http.StatusConflict, "already_rewarded", "")
}

// A commit whose outcome is unknown is 503, and the repeated request
// tells that the first was stored, never storing it twice.
func TestCommitUnknown(t *testing.T) {
	var store *faultyStore
	a := newAPI(t, setup{wrap: func(s commission.Store) commission.Store {
		store = &faultyStore{Store: s}
		return store
	}})
	a.affiliateSetup()
	store.commitUnknown.Store(true)
	res := a.call("POST", "/v1/transactions", affiliateRequest)
	doc := requireError(t, res, http.StatusServiceUnavailable, "commit_unknown", "")
	require.Contains(t, doc["message"], "same key")
	require.NotContains(t, string(res.raw), "10.0.0.7")
	require.Equal(t, "1", res.header.Get("Retry-After"))

	doc = requireError(t, a.call("POST", "/v1/transactions", affiliateRequest), http.StatusBadRequest, "duplicate_key", "")
	require.Equal(t, true, doc["identical"])
	require.Equal(t, 1, a.countTransactions())
}

// Any other failure is 500 and tells nothing of it; the log has it.
func TestInternalErrorLeaksNothing(t *testing.T) {
	var store *faultyStore
	var out logs
	a := newAPI(t, setup{
		wrap: func(s commission.Store) commission.Store {
			store = &faultyStore{Store: s}
			return store
		},
		opts: httpapi.Options{APIKeys: []string{apiKey}, Logger: newLogger(&out)},
	})
	a.affiliateSetup()
	secret := errors.New("pq: password authentication failed for user \"billing_admin\" at db-7.internal")
	store.broken.Store(&secret)

	for _, req := range [][2]string{{"POST", "/v1/transactions"}, {"GET", "/v1/transactions"}, {"GET", "/v1/transactions/transaction_123"}} {
		res := a.call(req[0], req[1], affiliateRequest)
		doc := requireError(t, res, http.StatusInternalServerError, "internal", "Internal server error")
		require.NotContains(t, doc, "errors")
		require.NotContains(t, string(res.raw), "billing_admin")
		require.NotContains(t, string(res.raw), "pq:")
	}
	require.Contains(t, out.String(), "billing_admin", "the log has the cause")

	// The health check says so too.
	res := a.request("GET", "/healthz", "")
	require.Equal(t, http.StatusServiceUnavailable, res.status)
	require.Equal(t, map[string]any{"status": "unavailable"}, res.doc)
	require.NotContains(t, string(res.raw), "billing_admin")

	store.broken.Store(nil)
	res = a.request("GET", "/healthz", "")
	require.Equal(t, http.StatusOK, res.status)
}
