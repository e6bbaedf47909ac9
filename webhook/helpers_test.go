package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/webhook"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func program() commission.Program {
	return commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))}}
}

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2025, 5, 7, 5, 32, 48, 0, time.UTC)

// newEngine returns an engine on a fresh memory store, on the real clock.
func newEngine(t testing.TB) *commission.Engine {
	t.Helper()
	eng, err := commission.New(memstore.New(), program())
	require.NoError(t, err)
	return eng
}

// newClockEngine returns an engine on a fresh memory store with a test
// clock at t0.
func newClockEngine(t testing.TB) (*commission.Engine, *testClock) {
	t.Helper()
	clock := &testClock{t: t0}
	eng, err := commission.New(memstore.New(), program(), commission.WithClock(clock.Now))
	require.NoError(t, err)
	return eng, clock
}

// writeEvents writes n events: partner.created, then customer.created
// for n-1 customers.
func writeEvents(t testing.TB, eng *commission.Engine, n int) {
	t.Helper()
	ctx := context.Background()
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_1"})
	require.NoError(t, err)
	for i := 1; i < n; i++ {
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: fmt.Sprintf("customer_%d", i),
			Partner: &commission.PartnerRef{Key: "partner_1"}})
		require.NoError(t, err)
	}
}

// createEndpoint creates an endpoint at url with testSecret.
func createEndpoint(t testing.TB, eng *commission.Engine, key, url string) *commission.Endpoint {
	t.Helper()
	ep, err := eng.CreateEndpoint(context.Background(), commission.EndpointInput{Key: key, URL: url, Secret: testSecret})
	require.NoError(t, err)
	return ep
}

// request is one request a receiver got.
type request struct {
	header   http.Header
	body     []byte
	position int64
}

// receiver is an httptest server that records every request, and answers
// with what its answer function returns for it (200 when nil).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
	// answer is called with the request's position and how many times
	// that position came before; it writes the answer.
	answer func(w http.ResponseWriter, r *http.Request, position int64, seen int)
}

func newReceiver(t testing.TB, answer func(w http.ResponseWriter, r *http.Request, position int64, seen int)) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	pos, _ := strconv.ParseInt(r.Header.Get(webhook.HeaderPosition), 10, 64)
	rc.mu.Lock()
	seen := 0
	for _, q := range rc.reqs {
		if q.position == pos {
			seen++
		}
	}
	rc.reqs = append(rc.reqs, request{header: r.Header.Clone(), body: body, position: pos})
	rc.mu.Unlock()
	if rc.answer != nil {
		rc.answer(w, r, pos, seen)
	}
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

func (rc *receiver) positions() []int64 {
	var out []int64
	for _, q := range rc.requests() {
		out = append(out, q.position)
	}
	return out
}

// deliveries returns every delivery of the endpoint.
func deliveries(t testing.TB, eng *commission.Engine, endpointID string) []commission.Delivery {
	t.Helper()
	ds, err := eng.Deliveries(context.Background(), commission.DeliveryQuery{EndpointID: endpointID})
	require.NoError(t, err)
	return ds
}

// allSettled reports whether the endpoint has n deliveries, none pending.
func allSettled(t testing.TB, eng *commission.Engine, endpointID string, n int) bool {
	ds, err := eng.Deliveries(context.Background(), commission.DeliveryQuery{EndpointID: endpointID})
	if err != nil || len(ds) != n {
		return false
	}
	for _, d := range ds {
		if d.State == commission.DeliveryPending {
			return false
		}
	}
	return true
}

// runDispatcher runs d in a goroutine until the test ends, and returns a
// function that stops it and returns what Run returned.
func runDispatcher(t testing.TB, d *webhook.Dispatcher) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Errorf("Run did not return 10 s after its context was canceled")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// positionsUpTo returns 1..n.
func positionsUpTo(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

// fixedRand returns r as the jitter.
func fixedRand(r float64) func() float64 { return func() float64 { return r } }

// eventually waits (polling) until cond holds, or fails t.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 20*time.Second, 5*time.Millisecond, what)
}
