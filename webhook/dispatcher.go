package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/commissionkit/commission"
)

// The headers of every delivery besides SignatureHeader.
const (
	HeaderID       = "Webhook-Id"       // the event's ID: the same on every attempt, for a receiver to drop a repeat
	HeaderEvent    = "Webhook-Event"    // the event's type, such as "transaction.created"
	HeaderPosition = "Webhook-Position" // the event's position in the program's log, in decimal
)

// UserAgent is the User-Agent header of every delivery.
const UserAgent = "commission-webhook/1"

// The defaults of the Dispatcher's fields.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultMaxAttempts = 12
	DefaultBaseDelay   = 5 * time.Second
	DefaultMaxDelay    = time.Hour
	DefaultPoll        = time.Second
)

const (
	// drainLimit is the most of an answer's body read, so that its
	// connection may be reused.
	drainLimit = 64 << 10
	// maxErrorLen bounds Delivery.LastError, in bytes.
	maxErrorLen = 200
	// excerptLen is the most of a non-2xx answer's body LastError quotes.
	excerptLen = 100
	// recordTimeout bounds storing the outcome of an attempt that was
	// answered while the dispatcher was stopping.
	recordTimeout = 5 * time.Second
)

// A Dispatcher sends the events of Engine's program to its endpoints (see
// the package documentation). Set its fields before calling Run or
// RunOnce, and do not change them after; the zero value of each field but
// Engine is its default.
type Dispatcher struct {
	// Engine is the program whose events are delivered.
	Engine *commission.Engine
	// Client sends the requests. Nil means a client with
	// http.DefaultTransport and no timeout of its own (each attempt has
	// Timeout). Redirects are never followed, whichever client: a 3xx
	// answer is an attempt that failed, since following it would send
	// the signed body elsewhere, or drop it (a 303 turns a POST into a
	// GET). An application that restricts where its endpoints may point
	// (no private addresses, say) does it in Client's Transport.
	Client *http.Client
	// Timeout bounds each attempt, from connecting to reading the
	// answer's status: an answer that does not come within it is an
	// attempt that failed. 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts is how often a delivery is tried before it is marked
	// failed. 0 means DefaultMaxAttempts.
	MaxAttempts int
	// BaseDelay and MaxDelay set the backoff: after n attempts that
	// failed, the next comes after a random wait in [d/2, d), where d is
	// BaseDelay·2^(n−1), at most MaxDelay ("equal jitter": the wait still
	// grows, and dispatchers retrying together spread out). 0 means
	// DefaultBaseDelay and DefaultMaxDelay: with the defaults, the 12
	// attempts of a delivery span 1.2 to 2.4 hours (waits of 5 s, 10 s,
	// ... 2560 s, then 3600 s, each cut by up to half).
	BaseDelay, MaxDelay time.Duration
	// Rand returns the jitter: a number in [0, 1); the wait is
	// d/2 + Rand()·d/2. It is called from several goroutines. Nil means
	// math/rand/v2's Float64.
	Rand func() float64
	// Poll is how often an endpoint that has nothing to send looks for
	// new events, and how often Run looks for new and deleted endpoints.
	// It also bounds how long a delivery made pending again
	// (RetryDelivery) may wait. 0 means DefaultPoll.
	Poll time.Duration
	// Now is the dispatcher's clock, which decides when a delivery is due
	// (Delivery.NextAttemptAt). Nil means the engine's (Engine.Now).
	Now func() time.Time
	// Logger, when not nil, is told of every attempt that failed (Warn),
	// every delivery given up (Error), every store error (Warn), and, at
	// Debug, of every delivery made; with the endpoint's id and key, the
	// event's position, id and type, the attempt, the status and the
	// error. Nil logs nothing.
	Logger *slog.Logger
}

// dispatch is a Dispatcher with its defaults filled in.
type dispatch struct {
	engine             *commission.Engine
	client             *http.Client
	timeout            time.Duration
	maxAttempts        int
	baseDelay, maxWait time.Duration
	rand               func() float64
	poll               time.Duration
	now                func() time.Time
	log                *slog.Logger
}

func (d *Dispatcher) config() (*dispatch, error) {
	switch {
	case d.Engine == nil:
		return nil, errors.New("webhook: Dispatcher.Engine is nil")
	case d.Timeout < 0:
		return nil, fmt.Errorf("webhook: Dispatcher.Timeout is %v, below 0", d.Timeout)
	case d.MaxAttempts < 0:
		return nil, fmt.Errorf("webhook: Dispatcher.MaxAttempts is %d, below 0", d.MaxAttempts)
	case d.BaseDelay < 0:
		return nil, fmt.Errorf("webhook: Dispatcher.BaseDelay is %v, below 0", d.BaseDelay)
	case d.MaxDelay < 0:
		return nil, fmt.Errorf("webhook: Dispatcher.MaxDelay is %v, below 0", d.MaxDelay)
	case d.Poll < 0:
		return nil, fmt.Errorf("webhook: Dispatcher.Poll is %v, below 0", d.Poll)
	}
	c := &dispatch{engine: d.Engine, timeout: d.Timeout, maxAttempts: d.MaxAttempts, baseDelay: d.BaseDelay,
		maxWait: d.MaxDelay, rand: d.Rand, poll: d.Poll, now: d.Now, log: d.Logger}
	client := http.Client{}
	if d.Client != nil {
		client = *d.Client
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.client = &client
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxAttempts == 0 {
		c.maxAttempts = DefaultMaxAttempts
	}
	if c.baseDelay == 0 {
		c.baseDelay = DefaultBaseDelay
	}
	if c.maxWait == 0 {
		c.maxWait = DefaultMaxDelay
	}
	if c.rand == nil {
		c.rand = rand.Float64
	}
	if c.poll == 0 {
		c.poll = DefaultPoll
	}
	if c.now == nil {
		c.now = d.Engine.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Run sends the deliveries of every endpoint, each endpoint in a
// goroutine of its own, until ctx is done; it then stops the attempts in
// flight (they are sent again by the next run) and returns ctx.Err().
// It looks for new and deleted endpoints every Poll. A store error is
// logged and retried; only an invalid Dispatcher (a nil Engine, a
// negative field) makes Run return at once, with an error.
func (d *Dispatcher) Run(ctx context.Context) error {
	c, err := d.config()
	if err != nil {
		return err
	}
	workers := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	defer func() {
		for _, cancel := range workers {
			cancel()
		}
		wg.Wait()
	}()
	for {
		eps, err := c.engine.Endpoints(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			c.log.Warn("webhook: listing the endpoints failed", "retry_in", c.poll, "error", err)
		default:
			seen := make(map[string]bool, len(eps))
			for _, ep := range eps {
				seen[ep.ID] = true
				if _, ok := workers[ep.ID]; !ok {
					wctx, cancel := context.WithCancel(ctx)
					workers[ep.ID] = cancel
					wg.Go(func() { c.work(wctx, ep.ID) })
				}
			}
			for id, cancel := range workers {
				if !seen[id] { // deleted
					cancel()
					delete(workers, id)
				}
			}
		}
		if !sleep(ctx, c.poll) {
			return ctx.Err()
		}
	}
}

// RunOnce makes one pass: it sends every delivery that is due, of every
// endpoint (each in a goroutine of its own), each endpoint's in position
// order until its first pending delivery is not due (it failed, and waits
// for its next attempt) or it has none. It returns how many attempts it
// made, and the errors of the store, if any (an attempt that failed is
// not one: it is recorded in its delivery). It is Run without the
// waiting, for a cron job or a test with its own clock (Now).
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	c, err := d.config()
	if err != nil {
		return 0, err
	}
	eps, err := c.engine.Endpoints(ctx)
	if err != nil {
		return 0, err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		errs  []error
	)
	for _, ep := range eps {
		if ep.Disabled {
			continue
		}
		wg.Go(func() {
			n, _, err := c.drain(ctx, ep.ID)
			if errors.Is(err, commission.ErrNotFound) { // deleted since
				err = nil
			}
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return total, ctx.Err()
	}
	return total, errors.Join(errs...)
}

// work serves one endpoint until ctx is done (Run cancels it when the
// endpoint is deleted).
func (c *dispatch) work(ctx context.Context, id string) {
	for {
		_, wait, err := c.drain(ctx, id)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, commission.ErrNotFound): // deleted: Run stops this worker
			wait = c.poll
		case err != nil:
			wait = c.poll
			c.log.Warn("webhook: reading or storing a delivery failed", "endpoint", id, "retry_in", wait, "error", err)
		}
		if !sleep(ctx, min(wait, c.poll)) {
			return
		}
	}
}

// drain sends the endpoint's deliveries that are due, in position order,
// and returns how many attempts it made and how long until its first
// pending delivery is due (Poll when it has none).
func (c *dispatch) drain(ctx context.Context, id string) (int, time.Duration, error) {
	n := 0
	for {
		d, ev, err := c.engine.PendingDelivery(ctx, id)
		if err != nil {
			return n, 0, err
		}
		if d == nil {
			return n, c.poll, nil
		}
		if wait := d.NextAttemptAt.Sub(c.now()); wait > 0 {
			return n, wait, nil
		}
		ep, err := c.engine.Endpoint(ctx, id)
		if err != nil {
			return n, 0, err
		}
		if ep.Disabled { // since PendingDelivery
			return n, c.poll, nil
		}
		if err := c.attempt(ctx, ep, d, ev); err != nil {
			return n, 0, err
		}
		n++
	}
}

// attempt sends d (of event ev) to ep once and records what came of it.
// An attempt that ctx stopped before an answer is not recorded.
func (c *dispatch) attempt(ctx context.Context, ep *commission.Endpoint, d *commission.Delivery, ev *commission.Event) error {
	body, _ := NewEnvelope(ep, ev).MarshalJSON()
	status, failure := c.post(ctx, ep, ev, body)
	if status == 0 && ctx.Err() != nil { // stopping: not the receiver's failure
		return ctx.Err()
	}
	d.Attempts++
	d.LastStatus, d.LastError = status, failure
	attrs := []any{"endpoint", ep.ID, "webhook_key", ep.Key, "position", ev.Position, "event", ev.ID,
		"type", string(ev.Type), "attempt", d.Attempts, "status", status}
	switch {
	case failure == "":
		d.State = commission.DeliveryDelivered
	case d.Attempts >= c.maxAttempts:
		d.State = commission.DeliveryFailed
	default:
		d.NextAttemptAt = c.now().Add(c.delay(d.Attempts)).UTC().Truncate(time.Microsecond)
	}
	// An answer is stored even when the dispatcher is stopping: a
	// delivery made and not recorded would be sent again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := c.engine.RecordAttempt(rctx, d); err != nil {
		return fmt.Errorf("webhook: recording delivery %d to %q: %w", d.Position, ep.ID, err)
	}
	switch d.State {
	case commission.DeliveryDelivered:
		c.log.Debug("webhook delivered", attrs...)
	case commission.DeliveryFailed:
		c.log.Error("webhook delivery failed; giving up", append(attrs, "error", failure)...)
	default:
		c.log.Warn("webhook attempt failed", append(attrs, "error", failure, "retry_at", d.NextAttemptAt)...)
	}
	return nil
}

// post sends body to ep and returns the answer's status (0 when there was
// none) and, unless it delivered the event, why not.
func (c *dispatch) post(ctx context.Context, ep *commission.Endpoint, ev *commission.Event, body []byte) (int, string) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, brief("invalid request: " + err.Error())
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	h.Set(SignatureHeader, Sign(ep.Secret, body))
	h.Set(HeaderID, ev.ID)
	h.Set(HeaderEvent, string(ev.Type))
	h.Set(HeaderPosition, strconv.FormatInt(ev.Position, 10))
	resp, err := c.client.Do(req)
	if err != nil {
		if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return 0, fmt.Sprintf("no answer within %v", c.timeout)
		}
		var uerr *url.Error
		if errors.As(err, &uerr) { // not the method and URL again
			err = uerr.Err
		}
		return 0, brief(err.Error())
	}
	defer resp.Body.Close()
	var excerpt []byte
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		excerpt, _ = io.ReadAll(io.LimitReader(resp.Body, excerptLen))
	}
	io.CopyN(io.Discard, resp.Body, drainLimit) // so that the connection is reused
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return resp.StatusCode, ""
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		return resp.StatusCode, brief(fmt.Sprintf("HTTP %d (redirects are not followed)", resp.StatusCode))
	}
	msg := "HTTP " + strconv.Itoa(resp.StatusCode)
	if s := strings.Join(strings.Fields(string(excerpt)), " "); s != "" {
		msg += ": " + s
	}
	return resp.StatusCode, brief(msg)
}

// delay is the wait after n attempts that failed: a random duration in
// [d/2, d), where d = BaseDelay·2^(n−1), at most MaxDelay.
func (c *dispatch) delay(n int) time.Duration {
	d := min(c.baseDelay, c.maxWait)
	for i := 1; i < n && d < c.maxWait; i++ {
		if d > c.maxWait/2 {
			d = c.maxWait
		} else {
			d *= 2
		}
	}
	r := c.rand()
	if r < 0 || r >= 1 {
		r = 0
	}
	return d/2 + time.Duration(r*float64(d-d/2))
}

// brief makes s valid UTF-8 (a store may require it) and cuts it to
// maxErrorLen bytes, on a character boundary.
func brief(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxErrorLen {
		return s
	}
	i := maxErrorLen - len("...")
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// sleep waits for d, or until ctx is done; it reports whether ctx is
// still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
