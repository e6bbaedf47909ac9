package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/webhook"
)

// A receiver answering 200 gets every event once, in position order, as
// the published envelope, signed, with the documented headers; every
// delivery is stored as delivered.
func TestDeliversEveryEventInOrder(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t)
	rc := newReceiver(t, nil)
	url := rc.URL + "/hooks?a=1&b=<2>"
	ep := createEndpoint(t, eng, "ep_main", url)
	const n = 6
	writeEvents(t, eng, n-2)
	_, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "sale_1", Amount: decp("100"),
		Customer: commission.CustomerInput{Key: "customer_1"}})
	require.NoError(t, err) // transaction.created, reward.created
	events, err := eng.Events(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, events, n)

	stop := runDispatcher(t, &webhook.Dispatcher{Engine: eng, Poll: 10 * time.Millisecond})
	eventually(t, "every delivery delivered", func() bool { return allSettled(t, eng, ep.ID, n) })
	require.ErrorIs(t, stop(), context.Canceled)

	reqs := rc.requests()
	require.Equal(t, positionsUpTo(n), rc.positions(), "each event once, in position order")
	timeRE := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	for i, q := range reqs {
		ev := events[i]
		created := ev.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000Z")
		require.Regexp(t, timeRE, created)
		want := `{"event":"` + string(ev.Type) + `","url":"` + url + `","webhook_key":"ep_main","created_at":"` +
			created + `","data":` + string(ev.Data) + `}`
		require.Equal(t, want, string(q.body), "the envelope of position %d", ev.Position)
		require.True(t, json.Valid(q.body))

		var env webhook.Envelope
		require.NoError(t, json.Unmarshal(q.body, &env))
		require.Equal(t, ev.Type, env.Event)
		require.Equal(t, url, env.URL)
		require.Equal(t, "ep_main", env.WebhookKey)
		require.True(t, ev.CreatedAt.Equal(env.CreatedAt))
		require.JSONEq(t, string(ev.Data), string(env.Data))

		require.True(t, webhook.Verify(testSecret, q.body, q.header.Get("Signature")), "the signature")
		require.False(t, webhook.Verify("another secret 0123456789", q.body, q.header.Get("Signature")))
		require.Equal(t, "application/json", q.header.Get("Content-Type"))
		require.Equal(t, webhook.UserAgent, q.header.Get("User-Agent"))
		require.Equal(t, ev.ID, q.header.Get("Webhook-Id"))
		require.Equal(t, string(ev.Type), q.header.Get("Webhook-Event"))
		require.Equal(t, strconv.FormatInt(ev.Position, 10), q.header.Get("Webhook-Position"))
	}
	for i, d := range deliveries(t, eng, ep.ID) {
		require.Equal(t, events[i].Position, d.Position)
		require.Equal(t, events[i].ID, d.EventID)
		require.Equal(t, events[i].Type, d.EventType)
		require.Equal(t, commission.DeliveryDelivered, d.State)
		require.Equal(t, 1, d.Attempts)
		require.Equal(t, 200, d.LastStatus)
		require.Empty(t, d.LastError)
	}
}

// A receiver slower than the timeout: each attempt is recorded with its
// error and retried, the delivery is marked failed after MaxAttempts and
// the next one proceeds; the failures are logged.
func TestSlowReceiverTimesOutThenFails(t *testing.T) {
	eng := newEngine(t)
	var inFlight atomic.Int32
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, pos int64, _ int) {
		if pos != 1 {
			return
		}
		inFlight.Add(1)
		defer inFlight.Add(-1)
		select {
		case <-r.Context().Done(): // the dispatcher gave up on it
		case <-time.After(10 * time.Second):
		}
	})
	ep := createEndpoint(t, eng, "ep_slow", rc.URL)
	writeEvents(t, eng, 3)
	logs := &logBuffer{}
	stop := runDispatcher(t, &webhook.Dispatcher{Engine: eng, Timeout: 200 * time.Millisecond, MaxAttempts: 3,
		BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Poll: 10 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	eventually(t, "every delivery settled", func() bool { return allSettled(t, eng, ep.ID, 3) })
	require.ErrorIs(t, stop(), context.Canceled)

	require.Equal(t, []int64{1, 1, 1, 2, 3}, rc.positions(), "position 1 three times, then the next ones")
	ds := deliveries(t, eng, ep.ID)
	require.Equal(t, commission.DeliveryFailed, ds[0].State)
	require.Equal(t, 3, ds[0].Attempts)
	require.Equal(t, 0, ds[0].LastStatus)
	require.Equal(t, "no answer within 200ms", ds[0].LastError)
	for _, d := range ds[1:] {
		require.Equal(t, commission.DeliveryDelivered, d.State)
		require.Equal(t, 1, d.Attempts)
	}
	eventually(t, "the receiver's handlers end", func() bool { return inFlight.Load() == 0 })

	// Two warnings, one error, two debug lines (the deliveries made).
	var levels []string
	for _, rec := range logs.records(t) {
		levels = append(levels, rec["level"].(string))
		if rec["level"] == "DEBUG" {
			continue
		}
		require.Equal(t, ep.ID, rec["endpoint"])
		require.Equal(t, "ep_slow", rec["webhook_key"])
		require.EqualValues(t, 1, rec["position"])
		require.Equal(t, ds[0].EventID, rec["event"])
		require.Equal(t, "partner.created", rec["type"])
		require.EqualValues(t, 0, rec["status"])
		require.Equal(t, "no answer within 200ms", rec["error"])
	}
	require.Equal(t, []string{"WARN", "WARN", "ERROR", "DEBUG", "DEBUG"}, levels)
}

// A receiver that fails the first attempts and then recovers gets the
// delivery on the attempt after; the later events wait for it.
func TestFailingReceiverRecovers(t *testing.T) {
	ctx := context.Background()
	eng, clock := newClockEngine(t)
	const failures = 3
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, pos int64, seen int) {
		if pos == 1 && seen < failures {
			http.Error(w, "boom\n\tand more", http.StatusInternalServerError)
		}
	})
	ep := createEndpoint(t, eng, "ep_flaky", rc.URL)
	writeEvents(t, eng, 3)
	d := &webhook.Dispatcher{Engine: eng, Now: clock.Now, Rand: fixedRand(0), BaseDelay: time.Second,
		MaxDelay: time.Minute, MaxAttempts: failures + 2}
	var want []int64
	for i := 1; i <= failures; i++ {
		n, err := d.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "one attempt, of the first delivery")
		want = append(want, 1)
		require.Equal(t, want, rc.positions(), "the later events wait")
		ds := deliveries(t, eng, ep.ID)
		require.Equal(t, commission.DeliveryPending, ds[0].State)
		require.Equal(t, i, ds[0].Attempts)
		require.Equal(t, 500, ds[0].LastStatus)
		require.Equal(t, "HTTP 500: boom and more", ds[0].LastError)
		for _, later := range ds[1:] {
			require.Equal(t, commission.DeliveryPending, later.State)
			require.Zero(t, later.Attempts)
		}

		n, err = d.RunOnce(ctx) // not due yet
		require.NoError(t, err)
		require.Zero(t, n)
		clock.Advance(time.Minute)
	}
	n, err := d.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, []int64{1, 1, 1, 1, 2, 3}, rc.positions())
	ds := deliveries(t, eng, ep.ID)
	require.Equal(t, commission.DeliveryDelivered, ds[0].State)
	require.Equal(t, failures+1, ds[0].Attempts)
	require.Equal(t, 200, ds[0].LastStatus)
	require.Empty(t, ds[0].LastError)
	for _, d := range ds[1:] {
		require.Equal(t, commission.DeliveryDelivered, d.State)
		require.Equal(t, 1, d.Attempts)
	}
	n, err = d.RunOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to send")
}

// A receiver that is down (it drops every connection) for a while gets
// every event once it is back, in order.
func TestReceiverDownThenBack(t *testing.T) {
	eng := newEngine(t)
	var down atomic.Bool
	down.Store(true)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, pos int64, seen int) {
		if down.Load() {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // no answer at all
			}
		}
	})
	ep := createEndpoint(t, eng, "ep_down", rc.URL)
	writeEvents(t, eng, 3)
	stop := runDispatcher(t, &webhook.Dispatcher{Engine: eng, BaseDelay: 5 * time.Millisecond,
		MaxDelay: 20 * time.Millisecond, MaxAttempts: 10000, Poll: 10 * time.Millisecond})
	eventually(t, "three attempts that failed", func() bool {
		ds := deliveries(t, eng, ep.ID)
		return len(ds) == 3 && ds[0].Attempts >= 3
	})
	ds := deliveries(t, eng, ep.ID)
	require.Equal(t, commission.DeliveryPending, ds[0].State)
	require.Equal(t, 0, ds[0].LastStatus)
	require.NotEmpty(t, ds[0].LastError)
	require.Equal(t, []int64{1, 1, 1}, rc.positions()[:3])

	down.Store(false)
	eventually(t, "every delivery delivered", func() bool { return allSettled(t, eng, ep.ID, 3) })
	require.ErrorIs(t, stop(), context.Canceled)
	ds = deliveries(t, eng, ep.ID)
	tries := ds[0].Attempts
	want := append(slices.Repeat([]int64{1}, tries), 2, 3)
	require.Equal(t, want, rc.positions(), "position 1 until it was back, then the others once")
	for _, d := range ds {
		require.Equal(t, commission.DeliveryDelivered, d.State)
		require.Equal(t, 200, d.LastStatus)
	}
}

// An endpoint with nothing listening: the attempt fails with no status
// and the connection's error.
func TestConnectionRefused(t *testing.T) {
	ctx := context.Background()
	eng, clock := newClockEngine(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	ep := createEndpoint(t, eng, "ep_refused", "http://"+addr+"/hooks")
	writeEvents(t, eng, 1)
	n, err := (&webhook.Dispatcher{Engine: eng, Now: clock.Now}).RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	ds := deliveries(t, eng, ep.ID)
	require.Equal(t, commission.DeliveryPending, ds[0].State)
	require.Equal(t, 1, ds[0].Attempts)
	require.Equal(t, 0, ds[0].LastStatus)
	require.Contains(t, ds[0].LastError, "refused")
	require.NotContains(t, ds[0].LastError, "Post ", "the error without the method and URL")
}

// A redirect is not followed: it is an attempt that failed.
func TestRedirectNotFollowed(t *testing.T) {
	ctx := context.Background()
	eng, clock := newClockEngine(t)
	var followed atomic.Int32
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, pos int64, seen int) {
		if r.URL.Path == "/elsewhere" {
			followed.Add(1)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusPermanentRedirect)
	})
	ep := createEndpoint(t, eng, "ep_redirect", rc.URL+"/hooks")
	writeEvents(t, eng, 1)
	// Even with a client of its own that follows redirects.
	n, err := (&webhook.Dispatcher{Engine: eng, Now: clock.Now, Client: &http.Client{}}).RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, followed.Load())
	ds := deliveries(t, eng, ep.ID)
	require.Equal(t, commission.DeliveryPending, ds[0].State)
	require.Equal(t, http.StatusPermanentRedirect, ds[0].LastStatus)
	require.Equal(t, "HTTP 308 (redirects are not followed)", ds[0].LastError)
}

// The retries follow the backoff: after n attempts that failed, the next
// is due BaseDelay·2^(n−1) (at most MaxDelay), d, times (1+Rand())/2
// later; nothing is sent before, and it is sent when due. After
// MaxAttempts the delivery fails and the next one goes.
func TestBackoffTiming(t *testing.T) {
	ctx := context.Background()
	eng, clock := newClockEngine(t)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, pos int64, seen int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ep := createEndpoint(t, eng, "ep_backoff", rc.URL)
	writeEvents(t, eng, 2)
	d := &webhook.Dispatcher{Engine: eng, Now: clock.Now, Rand: fixedRand(0.5), BaseDelay: time.Second,
		MaxDelay: 4 * time.Second, MaxAttempts: 5}
	// d = 1s, 2s, 4s, 4s (capped): the waits are 3/4 of it.
	waits := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 3 * time.Second}
	for i, wait := range waits {
		failedAt := clock.Now()
		n, err := d.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		ds := deliveries(t, eng, ep.ID)
		require.Equal(t, i+1, ds[0].Attempts)
		require.Equal(t, 503, ds[0].LastStatus)
		require.Equal(t, commission.DeliveryPending, ds[0].State)
		require.Equal(t, failedAt.Add(wait), ds[0].NextAttemptAt.UTC(), "after attempt %d", i+1)

		clock.Advance(wait - time.Microsecond)
		n, err = d.RunOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "not sent before it is due")
		require.Len(t, rc.requests(), i+1)
		clock.Advance(time.Microsecond)
	}
	n, err := d.RunOnce(ctx) // the 5th attempt fails it; the next delivery is tried at once
	require.NoError(t, err)
	require.Equal(t, 2, n)
	ds := deliveries(t, eng, ep.ID)
	require.Equal(t, commission.DeliveryFailed, ds[0].State)
	require.Equal(t, 5, ds[0].Attempts)
	require.Equal(t, commission.DeliveryPending, ds[1].State)
	require.Equal(t, 1, ds[1].Attempts)
	require.Equal(t, clock.Now().Add(750*time.Millisecond), ds[1].NextAttemptAt.UTC())
	require.Equal(t, []int64{1, 1, 1, 1, 1, 2}, rc.positions())

	// RetryDelivery makes the failed one pending again: it goes first.
	_, err = eng.RetryDelivery(ctx, ep.ID, 1)
	require.NoError(t, err)
	n, err = d.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []int64{1, 1, 1, 1, 1, 2, 1}, rc.positions())
}

// The jitter's bounds: Rand 0 waits d/2, Rand just below 1 just below d.
func TestBackoffJitterBounds(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		rand float64
		want time.Duration
	}{{0, 5 * time.Second}, {0.999999, 9999995 * time.Microsecond}} {
		eng, clock := newClockEngine(t)
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, pos int64, seen int) {
			w.WriteHeader(http.StatusBadGateway)
		})
		ep := createEndpoint(t, eng, "ep_jitter", rc.URL)
		writeEvents(t, eng, 1)
		d := &webhook.Dispatcher{Engine: eng, Now: clock.Now, Rand: fixedRand(tc.rand), BaseDelay: 10 * time.Second}
		_, err := d.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, t0.Add(tc.want), deliveries(t, eng, ep.ID)[0].NextAttemptAt.UTC(), "rand %v", tc.rand)
	}
}

// Two endpoints, one of them hanging: the other gets everything without
// waiting for it. An attempt that stopping the dispatcher cuts short is
// not recorded (it is sent again by the next run).
func TestEndpointsAreIndependent(t *testing.T) {
	eng := newEngine(t)
	var hanging atomic.Int32
	release := make(chan struct{})
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request, pos int64, seen int) {
		hanging.Add(1)
		defer hanging.Add(-1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	fast := newReceiver(t, nil)
	epSlow := createEndpoint(t, eng, "ep_slow", slow.URL)
	epFast := createEndpoint(t, eng, "ep_fast", fast.URL)
	const n = 5
	writeEvents(t, eng, n)
	stop := runDispatcher(t, &webhook.Dispatcher{Engine: eng, Timeout: time.Minute, Poll: 10 * time.Millisecond})
	eventually(t, "the slow endpoint's first delivery in flight", func() bool { return hanging.Load() == 1 })
	eventually(t, "the fast endpoint has everything", func() bool { return allSettled(t, eng, epFast.ID, n) })
	require.Equal(t, positionsUpTo(n), fast.positions())
	require.Equal(t, []int64{1}, slow.positions(), "the slow endpoint's first delivery is in flight")
	require.EqualValues(t, 1, hanging.Load())

	require.ErrorIs(t, stop(), context.Canceled)
	ds := deliveries(t, eng, epSlow.ID)
	require.Len(t, ds, n)
	for _, d := range ds {
		require.Equal(t, commission.DeliveryPending, d.State)
		require.Zero(t, d.Attempts, "the attempt cut short is not recorded")
	}
}

// Run serves endpoints created while it runs, and stops serving deleted
// ones.
func TestRunFindsNewEndpoints(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t)
	first := newReceiver(t, nil)
	ep1 := createEndpoint(t, eng, "ep_1", first.URL)
	stop := runDispatcher(t, &webhook.Dispatcher{Engine: eng, Poll: 10 * time.Millisecond})
	writeEvents(t, eng, 1)
	eventually(t, "ep_1 has position 1", func() bool { return allSettled(t, eng, ep1.ID, 1) })

	second := newReceiver(t, nil)
	ep2 := createEndpoint(t, eng, "ep_2", second.URL)
	require.NoError(t, eng.DeleteEndpoint(ctx, ep1.ID))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "late", Partner: &commission.PartnerRef{Key: "partner_1"}})
	require.NoError(t, err)
	eventually(t, "ep_2 has position 2", func() bool { return allSettled(t, eng, ep2.ID, 1) })
	require.ErrorIs(t, stop(), context.Canceled)
	require.Equal(t, []int64{2}, second.positions())
	require.Equal(t, []int64{1}, first.positions())
}

// A Dispatcher without an Engine, or with a negative field, is refused.
func TestInvalidDispatcher(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t)
	for _, d := range []*webhook.Dispatcher{{}, {Engine: eng, Timeout: -1}, {Engine: eng, MaxAttempts: -1},
		{Engine: eng, BaseDelay: -1}, {Engine: eng, MaxDelay: -1}, {Engine: eng, Poll: -1}} {
		require.Error(t, d.Run(ctx))
		_, err := d.RunOnce(ctx)
		require.Error(t, err)
	}
}

// logBuffer is an io.Writer safe for concurrent use, for a JSON log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) records(t *testing.T) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range bytes.Lines(b.buf.Bytes()) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(line, &rec), "%s", line)
		out = append(out, rec)
	}
	return out
}

func decp(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

// LastError quotes the start of a non-2xx answer's body, as valid UTF-8,
// briefly.
func TestLastErrorIsBrief(t *testing.T) {
	ctx := context.Background()
	eng, clock := newClockEngine(t)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, pos int64, seen int) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("\xffbad " + strings.Repeat("é", 10000)))
	})
	ep := createEndpoint(t, eng, "ep_brief", rc.URL)
	writeEvents(t, eng, 1)
	_, err := (&webhook.Dispatcher{Engine: eng, Now: clock.Now}).RunOnce(ctx)
	require.NoError(t, err)
	ds := deliveries(t, eng, ep.ID)
	require.Equal(t, 400, ds[0].LastStatus)
	require.True(t, utf8.ValidString(ds[0].LastError))
	require.LessOrEqual(t, len(ds[0].LastError), 200)
	require.True(t, strings.HasPrefix(ds[0].LastError, "HTTP 400: \uFFFDbad éé"), ds[0].LastError)
}
