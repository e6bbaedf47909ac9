package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/commissionkit/commission/httpapi"
	"github.com/stretchr/testify/require"
)

// listed sends GET path and returns its data keys, links and meta.
func (a *api) listed(path string) ([]string, map[string]any, map[string]any) {
	a.t.Helper()
	res := a.call("GET", path, "")
	require.Equal(a.t, http.StatusOK, res.status, string(res.raw))
	require.Equal(a.t, json.Number("1"), res.doc["status"])
	var keys []string
	for _, d := range res.doc["data"].([]any) {
		keys = append(keys, d.(map[string]any)["key"].(string))
	}
	return keys, res.doc["links"].(map[string]any), res.doc["meta"].(map[string]any)
}

func num(n int) json.Number { return json.Number(fmt.Sprint(n)) }

// Seven sales listed three by three: Laravel's links and meta on each
// page, the total known on the last.
func TestListPages(t *testing.T) {
	a := newAPI(t, setup{opts: httpapi.Options{APIKeys: []string{apiKey}, BaseURL: "https://api.example.com"}})
	a.affiliateSetup()
	for i := 1; i <= 7; i++ {
		a.obj("POST", "/v1/transactions", fmt.Sprintf(`{"key": "t%d", "amount": 10, "customer": {"key": "customer_123"}}`, i))
		a.clock.Advance(time.Second)
	}
	base := "https://api.example.com/v1/transactions"

	keys, links, meta := a.listed("/v1/transactions?limit=3")
	require.Equal(t, []string{"t7", "t6", "t5"}, keys)
	require.Equal(t, map[string]any{
		"first": base + "?limit=3&page=1", "last": nil, "prev": nil, "next": base + "?limit=3&page=2",
	}, links)
	require.Equal(t, num(1), meta["current_page"])
	require.Equal(t, num(1), meta["from"])
	require.Equal(t, num(3), meta["to"])
	require.Equal(t, num(3), meta["per_page"])
	require.Equal(t, base, meta["path"])
	require.Nil(t, meta["total"])
	require.Nil(t, meta["last_page"])
	require.NotEmpty(t, meta["next_cursor"])
	cursor := meta["next_cursor"].(string)

	keys, links, meta = a.listed("/v1/transactions?limit=3&page=2")
	require.Equal(t, []string{"t4", "t3", "t2"}, keys)
	require.Equal(t, base+"?limit=3&page=1", links["prev"])
	require.Equal(t, base+"?limit=3&page=3", links["next"])
	require.Nil(t, links["last"])
	require.Equal(t, num(2), meta["current_page"])
	require.Equal(t, num(4), meta["from"])
	require.Equal(t, num(6), meta["to"])

	keys, links, meta = a.listed("/v1/transactions?limit=3&page=3")
	require.Equal(t, []string{"t1"}, keys)
	require.Equal(t, map[string]any{
		"first": base + "?limit=3&page=1", "last": base + "?limit=3&page=3",
		"prev": base + "?limit=3&page=2", "next": nil,
	}, links)
	require.Equal(t, num(7), meta["from"])
	require.Equal(t, num(7), meta["to"])
	require.Equal(t, num(7), meta["total"])
	require.Equal(t, num(3), meta["last_page"])
	require.Nil(t, meta["next_cursor"])

	// Past the end: empty, the total not known.
	keys, links, meta = a.listed("/v1/transactions?limit=3&page=4")
	require.Empty(t, keys)
	require.Nil(t, meta["from"])
	require.Nil(t, meta["to"])
	require.Nil(t, meta["total"])
	require.Nil(t, links["next"])
	require.Equal(t, base+"?limit=3&page=3", links["prev"])

	// The default page size, everything on one page.
	keys, _, meta = a.listed("/v1/transactions")
	require.Len(t, keys, 7)
	require.Equal(t, num(15), meta["per_page"])
	require.Equal(t, num(7), meta["total"])
	require.Equal(t, num(1), meta["last_page"])

	// By cursor: the page after the first, with no page numbers.
	keys, links, meta = a.listed("/v1/transactions?limit=3&cursor=" + cursor)
	require.Equal(t, []string{"t4", "t3", "t2"}, keys)
	require.Nil(t, meta["current_page"])
	require.Nil(t, meta["from"])
	require.Nil(t, links["prev"])
	require.Equal(t, base+"?cursor="+meta["next_cursor"].(string)+"&limit=3", links["next"])
	keys, links, _ = a.listed("/v1/transactions?limit=3&cursor=" + meta["next_cursor"].(string))
	require.Equal(t, []string{"t1"}, keys)
	require.Nil(t, links["next"])

	// Filters stay in the links; archived ones are listed when asked for.
	a.obj("POST", "/v1/transactions/t2/archive", "")
	keys, links, _ = a.listed("/v1/transactions?limit=1&states=archived")
	require.Equal(t, []string{"t2"}, keys)
	require.Equal(t, base+"?limit=1&page=1&states=archived", links["first"])
	keys, _, meta = a.listed("/v1/transactions?customer=customer_123&limit=10")
	require.Len(t, keys, 6)
	require.Equal(t, num(6), meta["total"])

	doc := requireError(t, a.call("GET", "/v1/transactions?cursor=nope", ""), http.StatusUnprocessableEntity, "validation_error", "")
	require.Contains(t, fieldErrors(t, doc), "cursor")
}

// Without a BaseURL the links are the request's own host.
func TestListLinksFromRequest(t *testing.T) {
	a := newAPI(t, setup{})
	_, links, meta := a.listed("/v1/transactions?limit=2")
	require.Equal(t, a.srv.URL+"/v1/transactions", meta["path"])
	require.Equal(t, a.srv.URL+"/v1/transactions?limit=2&page=1", links["first"])
	require.Equal(t, num(0), meta["total"])
}
