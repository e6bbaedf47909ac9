package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/httpapi"
	"github.com/commissionkit/commission/memstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// apiKey is the key the published requests send.
const apiKey = "YOUR_API_KEY"

// t0 is the created_at of the affiliate document's response.
var t0 = time.Date(2025, 5, 7, 5, 32, 48, 0, time.UTC)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func seqIDs() func() string {
	var n atomic.Int64
	return func() string { return "id_" + strconv.FormatInt(n.Add(1), 10) }
}

// affiliate30 is the affiliate program of the documents: USD, 30%.
func affiliate30() commission.Program {
	return commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))}}
}

// api is a live server over an engine on the memory store.
type api struct {
	t     *testing.T
	srv   *httptest.Server
	eng   *commission.Engine
	clock *testClock
}

type setup struct {
	program commission.Program
	opts    httpapi.Options
	// wrap wraps the memory store, to make it fail.
	wrap func(commission.Store) commission.Store
}

func newAPI(t *testing.T, s setup) *api {
	t.Helper()
	if s.program.ID == "" {
		s.program = affiliate30()
	}
	if s.opts.APIKeys == nil && !s.opts.AllowNoAuth {
		s.opts.APIKeys = []string{apiKey}
	}
	var store commission.Store = memstore.New()
	if s.wrap != nil {
		store = s.wrap(store)
	}
	clock := &testClock{t: t0}
	eng, err := commission.New(store, s.program, commission.WithClock(clock.Now), commission.WithIDGenerator(seqIDs()))
	require.NoError(t, err)
	h, err := httpapi.New(eng, s.opts)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv, eng: eng, clock: clock}
}

// response is an answer: its status, headers, raw body and the body
// decoded with json.Number.
type response struct {
	status int
	header http.Header
	raw    []byte
	doc    map[string]any
}

// request sends method path with body (none when empty) and the headers
// given as "Name: value" lines; no Authorization header unless given.
func (a *api) request(method, path, body string, headers ...string) *response {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	require.NoError(a.t, err)
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		require.True(a.t, ok, h)
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return a.send(req)
}

func (a *api) send(req *http.Request) *response {
	a.t.Helper()
	res, err := a.srv.Client().Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(a.t, err)
	out := &response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && req.Method != http.MethodHead {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		require.NoError(a.t, d.Decode(&out.doc), string(raw))
	}
	return out
}

// call sends an authenticated JSON request.
func (a *api) call(method, path, body string) *response {
	a.t.Helper()
	return a.request(method, path, body, "Authorization: Bearer "+apiKey, "Content-Type: application/json")
}

// ok sends an authenticated request, requires 200 with status 1, and
// returns its data.
func (a *api) ok(method, path, body string) any {
	a.t.Helper()
	res := a.call(method, path, body)
	require.Equal(a.t, http.StatusOK, res.status, string(res.raw))
	require.Equal(a.t, json.Number("1"), res.doc["status"], string(res.raw))
	return res.doc["data"]
}

// obj is an answer's data as an object.
func (a *api) obj(method, path, body string) map[string]any {
	a.t.Helper()
	d, ok := a.ok(method, path, body).(map[string]any)
	require.True(a.t, ok, "data is not an object")
	return d
}

// requireError requires an error answer with status, code and message
// (when not empty), and returns its body.
func requireError(t *testing.T, res *response, status int, code, message string) map[string]any {
	t.Helper()
	require.Equal(t, status, res.status, string(res.raw))
	require.Equal(t, "application/json", res.header.Get("Content-Type"))
	require.Equal(t, json.Number("0"), res.doc["status"], string(res.raw))
	require.Equal(t, code, res.doc["code"], string(res.raw))
	if message != "" {
		require.Equal(t, message, res.doc["message"], string(res.raw))
	}
	require.NotContains(t, res.doc, "data")
	return res.doc
}

// fieldErrors is an error answer's errors member.
func fieldErrors(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	errs, ok := doc["errors"].(map[string]any)
	require.True(t, ok, "no errors member: %v", doc)
	return errs
}

// requireSubset requires every member of want to be in got with the same
// value: objects member by member, arrays of the same length element by
// element, numbers as decimals (99.99 equals 99.990).
func requireSubset(t *testing.T, want, got any, path string) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		require.True(t, ok, "%s: want an object, got %#v", path, got)
		for k, wv := range w {
			gv, ok := g[k]
			require.True(t, ok, "%s.%s is missing", path, k)
			requireSubset(t, wv, gv, path+"."+k)
		}
	case []any:
		g, ok := got.([]any)
		require.True(t, ok, "%s: want an array, got %#v", path, got)
		require.Len(t, g, len(w), path)
		for i := range w {
			requireSubset(t, w[i], g[i], fmt.Sprintf("%s[%d]", path, i))
		}
	case json.Number:
		g, ok := got.(json.Number)
		require.True(t, ok, "%s: want the number %s, got %#v", path, w, got)
		requireNumber(t, string(w), g, path)
	default:
		require.Equal(t, want, got, path)
	}
}

// requireNumber requires a JSON number equal to the decimal want.
func requireNumber(t *testing.T, want string, got any, msgAndArgs ...any) {
	t.Helper()
	n, ok := got.(json.Number)
	require.True(t, ok, "not a JSON number: %#v %v", got, msgAndArgs)
	g, err := decimal.NewFromString(string(n))
	require.NoError(t, err)
	require.True(t, decimal.RequireFromString(want).Equal(g), "want %s, got %s %v", want, n, msgAndArgs)
}

// decodeDoc decodes a JSON document with json.Number.
func decodeDoc(t *testing.T, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v))
	return v
}

// affiliateSetup creates, through the API, the partner and the
// customer the affiliate document assumes.
func (a *api) affiliateSetup() {
	a.t.Helper()
	p := a.obj("POST", "/v1/partners", `{"key": "partner_123", "email": "partner@example.com"}`)
	require.Equal(a.t, "partner_123", p["key"])
	c := a.obj("POST", "/v1/customers", `{"key": "customer_123", "partner": {"key": "partner_123"}}`)
	require.Equal(a.t, "customer_123", c["key"])
	require.Equal(a.t, "partner_123", c["partner"])
}

// countTransactions is how many transactions the engine has, in any
// state.
func (a *api) countTransactions() int {
	a.t.Helper()
	page, err := a.eng.Transactions(context.Background(), commission.ListOptions{Limit: commission.MaxLimit,
		States: []commission.TransactionState{commission.TransactionActive, commission.TransactionArchived, commission.TransactionDeleted}})
	require.NoError(a.t, err)
	return len(page.Transactions)
}

// faultyStore is a store whose Update (and View) fail as its fields say.
type faultyStore struct {
	commission.Store
	// commitUnknown makes the next Update commit, then report
	// ErrCommitUnknown.
	commitUnknown atomic.Bool
	// broken makes every Update and View fail with this error, storing
	// nothing.
	broken atomic.Pointer[error]
	// panics makes every View panic.
	panics atomic.Bool
}

func (s *faultyStore) Update(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	if err := s.broken.Load(); err != nil {
		return *err
	}
	err := s.Store.Update(ctx, programID, fn)
	if err == nil && s.commitUnknown.CompareAndSwap(true, false) {
		return fmt.Errorf("sqlstore: connection reset by peer at 10.0.0.7:5432: %w", commission.ErrCommitUnknown)
	}
	return err
}

func (s *faultyStore) View(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	if s.panics.Load() {
		panic("memstore: index out of range [7] with length 3")
	}
	if err := s.broken.Load(); err != nil {
		return *err
	}
	return s.Store.View(ctx, programID, fn)
}
