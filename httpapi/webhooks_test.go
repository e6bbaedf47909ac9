package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

func TestWebhooks(t *testing.T) {
	a := newAPI(t, setup{})
	a.affiliateSetup()

	ep := a.obj("POST", "/v1/webhooks", `{"key": "hooks", "url": "https://example.com/hooks", "events": ["transaction.created"]}`)
	id := ep["id"].(string)
	secret, _ := ep["secret"].(string)
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{64}$`), secret, "the chosen secret, shown once")
	require.Equal(t, "hooks", ep["key"])
	require.Equal(t, []any{"transaction.created"}, ep["events"])

	// No other answer shows the secret.
	for _, path := range []string{"/v1/webhooks", "/v1/webhooks/" + id} {
		res := a.call("GET", path, "")
		require.Equal(t, http.StatusOK, res.status)
		require.NotContains(t, string(res.raw), secret)
		require.NotContains(t, string(res.raw), `"secret"`)
	}
	require.Len(t, a.ok("GET", "/v1/webhooks", ""), 1)

	// A secret of the caller's own is kept, and also shown once.
	own := a.obj("POST", "/v1/webhooks", `{"url": "https://example.com/other", "secret": "0123456789abcdef0123"}`)
	require.Equal(t, "0123456789abcdef0123", own["secret"])
	requireError(t, a.call("POST", "/v1/webhooks", `{"key": "hooks", "url": "https://example.com/x"}`), http.StatusBadRequest, "duplicate_key", "")
	doc := requireError(t, a.call("POST", "/v1/webhooks", `{"url": "ftp://example.com", "secret": "short", "events": ["nope"]}`), http.StatusUnprocessableEntity, "validation_error", "")
	errs := fieldErrors(t, doc)
	require.Contains(t, errs, "url")
	require.Contains(t, errs, "secret")
	require.Contains(t, errs, "events[0]")

	updated := a.obj("PUT", "/v1/webhooks/"+id, `{"url": "https://example.com/hooks2", "events": ["transaction.created", "transaction.deleted"]}`)
	require.Equal(t, "https://example.com/hooks2", updated["url"])
	require.Len(t, updated["events"], 2)
	requireError(t, a.call("PUT", "/v1/webhooks/"+id, `{"url": ""}`), http.StatusUnprocessableEntity, "validation_error", "")
	requireError(t, a.call("PUT", "/v1/webhooks/nope", `{"url": "https://example.com"}`), http.StatusNotFound, "not_found", "")

	// A sale: its event becomes a delivery once the dispatcher looks.
	a.obj("POST", "/v1/transactions", affiliateRequest)
	d, _, err := a.eng.PendingDelivery(t.Context(), id)
	require.NoError(t, err)
	require.NotNil(t, d)
	pos := strconv.FormatInt(d.Position, 10)

	res := a.call("GET", "/v1/webhooks/"+id+"/deliveries", "")
	require.Equal(t, http.StatusOK, res.status, string(res.raw))
	ds := res.doc["data"].([]any)
	require.Len(t, ds, 1)
	require.Equal(t, "pending", ds[0].(map[string]any)["state"])
	require.Equal(t, "transaction.created", ds[0].(map[string]any)["event"])
	require.Equal(t, json.Number(pos), ds[0].(map[string]any)["position"])
	require.Nil(t, res.doc["meta"].(map[string]any)["next_after"])
	res = a.call("GET", "/v1/webhooks/"+id+"/deliveries?limit=1", "")
	require.Equal(t, json.Number(pos), res.doc["meta"].(map[string]any)["next_after"])
	require.Empty(t, a.ok("GET", "/v1/webhooks/"+id+"/deliveries?after="+pos, ""))
	require.Empty(t, a.ok("GET", "/v1/webhooks/"+id+"/deliveries?states=failed", ""))
	doc = requireError(t, a.call("GET", "/v1/webhooks/"+id+"/deliveries?after=-1&limit=x", ""), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "after")
	require.Contains(t, fieldErrors(t, doc), "limit")

	// Only a failed delivery is retried.
	requireError(t, a.call("POST", "/v1/webhooks/"+id+"/deliveries/"+pos+"/retry", ""), http.StatusConflict, "not_failed", "Delivery not failed")
	d.State, d.Attempts, d.LastStatus = commission.DeliveryFailed, 8, 500
	require.NoError(t, a.eng.RecordAttempt(t.Context(), d))
	require.Len(t, a.ok("GET", "/v1/webhooks/"+id+"/deliveries?states=failed", ""), 1)
	retried := a.obj("POST", "/v1/webhooks/"+id+"/deliveries/"+pos+"/retry", "")
	require.Equal(t, "pending", retried["state"])
	require.Equal(t, json.Number("0"), retried["attempts"])
	requireError(t, a.call("POST", "/v1/webhooks/"+id+"/deliveries/999/retry", ""), http.StatusNotFound, "not_found", "")
	requireError(t, a.call("POST", "/v1/webhooks/"+id+"/deliveries/x/retry", ""), http.StatusNotFound, "not_found", "")

	// Deleted: data null, then not found.
	res = a.call("DELETE", "/v1/webhooks/"+id, "")
	require.Equal(t, http.StatusOK, res.status, string(res.raw))
	require.Equal(t, map[string]any{"data": nil, "status": json.Number("1")}, res.doc)
	requireError(t, a.call("GET", "/v1/webhooks/"+id, ""), http.StatusNotFound, "not_found", "")
	requireError(t, a.call("DELETE", "/v1/webhooks/"+id, ""), http.StatusNotFound, "not_found", "")
	requireError(t, a.call("GET", "/v1/webhooks/"+id+"/deliveries", ""), http.StatusNotFound, "not_found", "")
}
