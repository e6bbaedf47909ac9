package relay_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/relay"
)

func debugLogger(l *logRecords) *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// The relay publishes the log in order, each event once, with its
// headers and JSON; a restart resumes after the last event the stream
// holds and publishes nothing twice.
func TestRelayPublishesTheLog(t *testing.T) {
	js := requireNATS(t)
	ctx := context.Background()
	ts := newStream(t, js, jetstream.LimitsPolicy)
	eng := newEngine(t)
	setup(t, eng, 3)
	for i := 1; i <= 3; i++ {
		amount := decimal.NewFromInt(int64(100 * i))
		_, err := eng.CreateTransaction(ctx, commission.TransactionInput{
			Key: "sale-" + strconv.Itoa(i), Amount: &amount, Customer: commission.CustomerInput{Key: "customer_" + strconv.Itoa(i)},
		})
		require.NoError(t, err)
	}
	sales(t, eng, "bulk", 20)
	_, err := eng.RefundTransaction(ctx, "sale-1", commission.RefundInput{Key: "refund-1", Amount: ptr(decimal.NewFromInt(40))})
	require.NoError(t, err)
	require.NoError(t, eng.DeleteTransaction(ctx, "sale-2"))

	var logs logRecords
	cfg := ts.config(eng, js)
	cfg.Batch, cfg.Poll, cfg.Logger = 7, 10*time.Millisecond, debugLogger(&logs)
	r := startRelay(t, cfg)
	n := uint64(len(allEvents(t, eng)))
	ts.waitForCount(t, n, r.failed)

	// While it runs.
	sales(t, eng, "more", 10)
	n = uint64(len(allEvents(t, eng)))
	ts.waitForCount(t, n, r.failed)
	require.ErrorIs(t, r.stop(), context.Canceled)
	events := requireStreamHoldsLog(t, ts, eng)
	require.Empty(t, logs.with("the stream already had the event"))
	types := map[commission.EventType]bool{}
	for _, e := range events {
		types[e.Type] = true
	}
	require.True(t, types[commission.EventPartnerCreated] && types[commission.EventCustomerCreated] &&
		types[commission.EventTransactionCreated] && types[commission.EventRewardCreated] &&
		types[commission.EventTransactionUpdated] && types[commission.EventTransactionDeleted] &&
		types[commission.EventRewardReversed], "event types: %v", types)

	// A restart resumes after the last event, and publishes what came
	// while it was stopped, once.
	sales(t, eng, "later", 5)
	var logs2 logRecords
	cfg.Logger = debugLogger(&logs2)
	r = startRelay(t, cfg)
	ts.waitForCount(t, uint64(len(allEvents(t, eng))), r.failed)
	time.Sleep(100 * time.Millisecond) // nothing more comes
	require.ErrorIs(t, r.stop(), context.Canceled)
	requireStreamHoldsLog(t, ts, eng)
	resumed := logs2.with("relay resumes")
	require.NotEmpty(t, resumed, "%s", &logs2)
	require.EqualValues(t, n, resumed[0]["after"])
	require.Empty(t, logs2.with("the stream already had the event"))

	// A consumer filters by type.
	cons, err := ts.s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{ts.subject + ".transaction.*"}})
	require.NoError(t, err)
	batch, err := cons.FetchNoWait(1000)
	require.NoError(t, err)
	var got []string
	for m := range batch.Messages() {
		got = append(got, m.Headers().Get(relay.HeaderEventType))
	}
	require.NoError(t, batch.Error())
	var want []string
	for _, e := range allEvents(t, eng) {
		if e.Type == commission.EventTransactionCreated || e.Type == commission.EventTransactionUpdated || e.Type == commission.EventTransactionDeleted {
			want = append(want, string(e.Type))
		}
	}
	require.Equal(t, want, got)
}

// Two relays on one log at once, as when a replacement starts before the
// old one stops: each publishes every event, and the stream drops the
// repeats by message id.
func TestTwoRelaysStoreEachEventOnce(t *testing.T) {
	js := requireNATS(t)
	ts := newStream(t, js, jetstream.LimitsPolicy)
	eng := newEngine(t)
	setup(t, eng, 1)
	sales(t, eng, "a", 200)
	var logs logRecords
	cfg := ts.config(eng, js)
	cfg.Batch, cfg.Poll, cfg.Logger = 5, 5*time.Millisecond, debugLogger(&logs)
	r1, r2 := startRelay(t, cfg), startRelay(t, cfg)
	sales(t, eng, "b", 200)
	failed := func() error {
		if err := r1.failed(); err != nil {
			return err
		}
		return r2.failed()
	}
	ts.waitForCount(t, uint64(len(allEvents(t, eng))), failed)
	time.Sleep(100 * time.Millisecond)
	require.ErrorIs(t, r1.stop(), context.Canceled)
	require.ErrorIs(t, r2.stop(), context.Canceled)
	requireStreamHoldsLog(t, ts, eng)
	t.Logf("%d events, %d repeats dropped by the stream", len(allEvents(t, eng)), len(logs.with("the stream already had the event")))
}

// A repeat of a published event, with its message id, is dropped.
func TestRepeatIsDropped(t *testing.T) {
	js := requireNATS(t)
	ctx := context.Background()
	ts := newStream(t, js, jetstream.LimitsPolicy)
	eng := newEngine(t)
	setup(t, eng, 2)
	r := startRelay(t, ts.config(eng, js))
	ts.waitForCount(t, 3, r.failed)
	require.ErrorIs(t, r.stop(), context.Canceled)
	m, err := ts.s.GetMsg(ctx, 2)
	require.NoError(t, err)
	ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data})
	require.NoError(t, err)
	require.True(t, ack.Duplicate)
	requireStreamHoldsLog(t, ts, eng)
}

// Run checks its Config before it connects to anything.
func TestRunChecksConfig(t *testing.T) {
	eng := newEngine(t)
	js := struct{ jetstream.JetStream }{} // not nil; never called
	good := relay.Config{Engine: eng, JS: js, Subject: "commission.events", Stream: "COMMISSION"}
	for name, change := range map[string]func(*relay.Config){
		"no engine":           func(c *relay.Config) { c.Engine = nil },
		"no JetStream":        func(c *relay.Config) { c.JS = nil },
		"no stream":           func(c *relay.Config) { c.Stream = "" },
		"stream with a dot":   func(c *relay.Config) { c.Stream = "a.b" },
		"no subject":          func(c *relay.Config) { c.Subject = "" },
		"wildcard subject":    func(c *relay.Config) { c.Subject = "commission.>" },
		"star in the subject": func(c *relay.Config) { c.Subject = "commission.*.events" },
		"empty token":         func(c *relay.Config) { c.Subject = "commission..events" },
		"space in subject":    func(c *relay.Config) { c.Subject = "commission events" },
		"negative batch":      func(c *relay.Config) { c.Batch = -1 },
		"negative poll":       func(c *relay.Config) { c.Poll = -time.Second },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good
			change(&cfg)
			require.ErrorContains(t, relay.Run(context.Background(), cfg), "relay: Config.")
		})
	}
}

// Run returns an error no retry fixes, without publishing anything, when
// the stream is missing, may remove what the relay resumes after, or
// relays something else.
func TestRunStopsOnWhatRetriesCannotFix(t *testing.T) {
	js := requireNATS(t)
	ctx := context.Background()
	run := func(t *testing.T, cfg relay.Config) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err := relay.Run(ctx, cfg)
		require.Error(t, err)
		require.NotErrorIs(t, err, context.DeadlineExceeded, "Run retried")
		return err
	}

	t.Run("missing stream", func(t *testing.T) {
		eng := newEngine(t)
		setup(t, eng, 1)
		err := run(t, relay.Config{Engine: eng, JS: js, Subject: randomName("relaytest."), Stream: randomName("RELAY_TEST_MISSING_")})
		require.ErrorIs(t, err, jetstream.ErrStreamNotFound)
	})

	t.Run("work-queue retention", func(t *testing.T) {
		ts := newStream(t, js, jetstream.WorkQueuePolicy)
		eng := newEngine(t)
		setup(t, eng, 1)
		err := run(t, ts.config(eng, js))
		require.ErrorContains(t, err, "retention")
		require.Zero(t, ts.count(t))
	})

	t.Run("another log", func(t *testing.T) {
		ts := newStream(t, js, jetstream.LimitsPolicy)
		eng := newEngine(t)
		setup(t, eng, 3)
		r := startRelay(t, ts.config(eng, js))
		ts.waitForCount(t, 4, r.failed)
		require.ErrorIs(t, r.stop(), context.Canceled)

		// Another engine, whose log is shorter.
		other := newEngine(t)
		setup(t, other, 1)
		err := run(t, ts.config(other, js))
		require.ErrorContains(t, err, "not the log's event")
		// One as long, with other events.
		other = newEngine(t)
		setup(t, other, 5)
		err = run(t, ts.config(other, js))
		require.ErrorContains(t, err, "not the log's event")
		require.EqualValues(t, 4, ts.count(t))
	})

	t.Run("a message of something else", func(t *testing.T) {
		ts := newStream(t, js, jetstream.LimitsPolicy)
		_, err := js.Publish(ctx, ts.subject+".other", []byte("{}"))
		require.NoError(t, err)
		eng := newEngine(t)
		setup(t, eng, 1)
		err = run(t, ts.config(eng, js))
		require.ErrorContains(t, err, relay.HeaderPosition)
		require.EqualValues(t, 1, ts.count(t))
	})

	t.Run("subject of another stream", func(t *testing.T) {
		ts := newStream(t, js, jetstream.LimitsPolicy)
		other := newStream(t, js, jetstream.LimitsPolicy)
		eng := newEngine(t)
		setup(t, eng, 1)
		cfg := ts.config(eng, js)
		cfg.Subject = other.subject
		err := run(t, cfg)
		require.ErrorContains(t, err, "publishing event 1")
		require.Zero(t, ts.count(t))
		require.Zero(t, other.count(t))
	})

	t.Run("closed connection", func(t *testing.T) {
		ts := newStream(t, js, jetstream.LimitsPolicy)
		nc, err := nats.Connect(natsURL())
		require.NoError(t, err)
		closed, err := jetstream.New(nc)
		require.NoError(t, err)
		nc.Close()
		eng := newEngine(t)
		setup(t, eng, 1)
		err = run(t, ts.config(eng, closed))
		require.ErrorIs(t, err, nats.ErrConnectionClosed)
	})
}

// Run returns ctx.Err() when its context is done, having published the
// log.
func TestRunReturnsWhenDone(t *testing.T) {
	js := requireNATS(t)
	ts := newStream(t, js, jetstream.LimitsPolicy)
	eng := newEngine(t)
	setup(t, eng, 1)
	cfg := ts.config(eng, js)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, relay.Run(ctx, cfg), context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
	require.EqualValues(t, 2, ts.count(t))
}

func ptr[T any](v T) *T { return &v }
