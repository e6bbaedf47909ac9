package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/commissionkit/commission"
)

// The headers of every message the relay publishes, besides the
// jetstream.MsgIDHeader (Nats-Msg-Id), which holds the position too.
const (
	HeaderPosition  = "Commission-Position"   // the event's position, in decimal
	HeaderEventType = "Commission-Event-Type" // the event's type, such as "transaction.created"
	HeaderEventID   = "Commission-Event-Id"   // the event's ID
)

// The defaults of Config.
const (
	DefaultBatch = 100
	DefaultPoll  = 250 * time.Millisecond
)

// The backoff between retries doubles from minBackoff up to maxBackoff.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Config tells Run what to publish, and where.
type Config struct {
	// Engine is the program whose event log is published.
	Engine *commission.Engine
	// JS is the application's JetStream context; Run neither closes nor
	// drains its connection.
	JS jetstream.JetStream
	// Subject is the subject prefix: an event of type T is published on
	// Subject + "." + T, such as "commission.events.transaction.created".
	Subject string
	// Stream names the stream that captures Subject + ".>". It must exist,
	// with limits retention: Run does not create or change it.
	Stream string
	// Batch is how many events one read of the log takes; 0 means
	// DefaultBatch, and more than commission.MaxEvents reads MaxEvents.
	Batch int
	// Poll is the wait between reads of the log when it has nothing new;
	// 0 means DefaultPoll.
	Poll time.Duration
	// Logger, when not nil, is told where the relay starts, the retries
	// and their errors, and (at debug level) what it publishes.
	Logger *slog.Logger
}

// Run publishes the event log of cfg.Engine to cfg.Stream until ctx is
// done, and then returns ctx.Err(). It starts after the last event the
// stream holds and publishes each later event in position order, waiting
// for its ack before the next. A failure that may pass (the server or
// the database unreachable, a timeout) is logged and retried with
// backoff; Run returns the first error no retry can fix: an invalid
// Config, a missing stream or one of another retention, a message the
// stream rejects, a closed connection, or a stream whose last message
// on the subjects is not an event of this log.
func Run(ctx context.Context, cfg Config) error {
	r, err := newRelay(cfg)
	if err != nil {
		return err
	}
	return r.run(ctx)
}

// relay is the state of one Run.
type relay struct {
	cfg    Config
	log    *slog.Logger
	stream jetstream.Stream // nil until found
	// cursor is the position of the last event in the stream: read back
	// from it, or acknowledged since.
	cursor int64
	synced bool // cursor was read back from the stream since the last failure
}

func newRelay(cfg Config) (*relay, error) {
	switch {
	case cfg.Engine == nil:
		return nil, errors.New("relay: Config.Engine is nil")
	case cfg.JS == nil:
		return nil, errors.New("relay: Config.JS is nil")
	case cfg.Stream == "" || strings.ContainsAny(cfg.Stream, " \t\r\n.*>"):
		return nil, fmt.Errorf("relay: Config.Stream %q is not a stream name", cfg.Stream)
	case !literalSubject(cfg.Subject):
		return nil, fmt.Errorf("relay: Config.Subject %q is not a subject without wildcards", cfg.Subject)
	case cfg.Batch < 0:
		return nil, fmt.Errorf("relay: Config.Batch is %d, below 0", cfg.Batch)
	case cfg.Poll < 0:
		return nil, fmt.Errorf("relay: Config.Poll is %v, below 0", cfg.Poll)
	}
	if cfg.Batch == 0 {
		cfg.Batch = DefaultBatch
	}
	cfg.Batch = min(cfg.Batch, commission.MaxEvents)
	if cfg.Poll == 0 {
		cfg.Poll = DefaultPoll
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("stream", cfg.Stream, "subject", cfg.Subject)
	return &relay{cfg: cfg, log: log}, nil
}

func (r *relay) run(ctx context.Context) error {
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.step(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var wait time.Duration
		switch {
		case err == nil:
			failures = 0
			if n < r.cfg.Batch {
				wait = r.cfg.Poll
			}
		case isPermanent(err):
			var p *permanentError
			if errors.As(err, &p) {
				err = p.err
			}
			r.log.Error("relay stopped", "position", r.cursor, "err", err)
			return err
		default:
			failures++
			r.synced = false
			wait = backoff(failures)
			r.log.Warn("relay failed; retrying", "position", r.cursor, "attempt", failures, "retry_in", wait, "err", err)
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

// step finds the stream and the cursor if needed, then publishes one
// batch of events, and returns how many the log gave.
func (r *relay) step(ctx context.Context) (int, error) {
	if r.stream == nil {
		if err := r.open(ctx); err != nil {
			return 0, err
		}
	}
	if !r.synced {
		if err := r.sync(ctx); err != nil {
			return 0, err
		}
	}
	events, err := r.cfg.Engine.Events(ctx, r.cursor, r.cfg.Batch)
	if err != nil {
		return 0, fmt.Errorf("relay: reading the log after position %d: %w", r.cursor, err)
	}
	for _, e := range events {
		if e.Position != r.cursor+1 {
			return 0, permanent(fmt.Errorf("relay: the log gave position %d after %d", e.Position, r.cursor))
		}
		if err := r.publish(ctx, e); err != nil {
			return 0, err
		}
		r.cursor = e.Position
	}
	if len(events) > 0 {
		r.log.Debug("published", "events", len(events), "position", r.cursor)
	}
	return len(events), nil
}

// open finds the stream and checks that it keeps what the cursor is read
// back from.
func (r *relay) open(ctx context.Context) error {
	s, err := r.cfg.JS.Stream(ctx, r.cfg.Stream)
	if err != nil {
		return fmt.Errorf("relay: stream %s: %w", r.cfg.Stream, err)
	}
	c := s.CachedInfo().Config
	switch {
	case c.Retention != jetstream.LimitsPolicy:
		return permanent(fmt.Errorf("relay: stream %s has %s retention, not limits: it may remove the message the relay resumes after", r.cfg.Stream, c.Retention))
	case c.Mirror != nil:
		return permanent(fmt.Errorf("relay: stream %s is a mirror, which takes no published messages", r.cfg.Stream))
	}
	r.stream = s
	r.log.Info("relay opened the stream", "duplicate_window", c.Duplicates.String())
	return nil
}

// sync reads back the last event the stream holds and moves the cursor
// there.
func (r *relay) sync(ctx context.Context) error {
	var last int64
	m, err := r.stream.GetLastMsgForSubject(ctx, r.cfg.Subject+".>")
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
	case err != nil:
		return fmt.Errorf("relay: reading the last message of stream %s: %w", r.cfg.Stream, err)
	default:
		last, err = strconv.ParseInt(m.Header.Get(HeaderPosition), 10, 64)
		if err != nil || last < 1 {
			return permanent(fmt.Errorf("relay: message %d of stream %s, on %s, has no valid %s header: it is not an event of the log",
				m.Sequence, r.cfg.Stream, m.Subject, HeaderPosition))
		}
	}
	if last > 0 && last != r.cursor {
		if err := r.check(ctx, last, m.Header.Get(HeaderEventID)); err != nil {
			return err
		}
	}
	if last < r.cursor {
		// The stream lost acknowledged messages (a server that crashed
		// before it wrote them to disk, a purge): publish them again.
		r.log.Warn("the stream lost acknowledged events; publishing them again", "stream_position", last, "position", r.cursor)
	}
	r.cursor = last
	r.synced = true
	r.log.Info("relay resumes", "after", r.cursor)
	return nil
}

// check tells whether the log's event at position has the ID id: a
// stream that relays another log (or a log restored from an older
// backup) is an error, not a reason to skip events or wait forever.
func (r *relay) check(ctx context.Context, position int64, id string) error {
	events, err := r.cfg.Engine.Events(ctx, position-1, 1)
	if err != nil {
		return fmt.Errorf("relay: reading the log at position %d: %w", position, err)
	}
	if len(events) == 0 || events[0].Position != position || events[0].ID != id {
		return permanent(fmt.Errorf("relay: stream %s holds event %q at position %d, which is not the log's event there", r.cfg.Stream, id, position))
	}
	return nil
}

// publish publishes e and waits for its ack.
func (r *relay) publish(ctx context.Context, e commission.Event) error {
	if !literalSubject(string(e.Type)) {
		return permanent(fmt.Errorf("relay: event %d has type %q, which is not a subject", e.Position, e.Type))
	}
	body, err := json.Marshal(e)
	if err != nil {
		return permanent(fmt.Errorf("relay: encoding event %d: %w", e.Position, err))
	}
	pos := strconv.FormatInt(e.Position, 10)
	msg := &nats.Msg{
		Subject: r.cfg.Subject + "." + string(e.Type),
		Header: nats.Header{
			HeaderPosition:  {pos},
			HeaderEventType: {string(e.Type)},
			HeaderEventID:   {e.ID},
		},
		Data: body,
	}
	ack, err := r.cfg.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(pos), jetstream.WithExpectStream(r.cfg.Stream))
	if err != nil {
		return fmt.Errorf("relay: publishing event %d: %w", e.Position, err)
	}
	if ack.Stream != r.cfg.Stream {
		return permanent(fmt.Errorf("relay: event %d went to stream %s, not %s", e.Position, ack.Stream, r.cfg.Stream))
	}
	if ack.Duplicate {
		r.log.Debug("the stream already had the event", "position", e.Position)
	}
	return nil
}

// permanentError is an error that no retry can fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

// isPermanent tells whether a retry cannot fix err.
func isPermanent(err error) bool {
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	for _, e := range []error{
		nats.ErrConnectionClosed, nats.ErrConnectionDraining, nats.ErrBadSubject, nats.ErrMaxPayload,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	if errors.As(err, new(*commission.ValidationError)) {
		return true
	}
	// The server answered and refused: a missing stream, a message too
	// large or for another stream. It answers 503 while it cannot store.
	var js jetstream.JetStreamError
	if errors.As(err, &js) {
		if a := js.APIError(); a != nil && a.Code >= 400 && a.Code < 500 {
			return true
		}
	}
	return false
}

// backoff is the wait before retry number n (from 1): doubling from
// minBackoff up to maxBackoff, less up to a fifth at random so that
// relays restarted together spread out.
func backoff(n int) time.Duration {
	d := maxBackoff
	if n < 16 {
		d = min(minBackoff<<(n-1), maxBackoff)
	}
	return d - rand.N(d/5)
}

// literalSubject tells whether s is a NATS subject without wildcards.
func literalSubject(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || tok == "*" || tok == ">" {
			return false
		}
	}
	return true
}
