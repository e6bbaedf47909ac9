package relay_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/relay"
)

// natsEnv names the server the tests use; defaultNATS when unset.
const (
	natsEnv     = "COMMISSION_TEST_NATS"
	defaultNATS = "nats://127.0.0.1:4222"
)

func natsURL() string {
	if u := os.Getenv(natsEnv); u != "" {
		return u
	}
	return defaultNATS
}

// requireNATS connects to the test server, or skips (fails under
// COMMISSION_REQUIRE_DB=1) when it cannot, or it has no JetStream.
func requireNATS(t testing.TB) jetstream.JetStream {
	t.Helper()
	url := natsURL()
	unreachable := func(err error) {
		t.Helper()
		if os.Getenv("COMMISSION_REQUIRE_DB") == "1" {
			t.Fatalf("NATS JetStream at %s (%s): %v, and COMMISSION_REQUIRE_DB=1", url, natsEnv, err)
		}
		t.Skipf("NATS JetStream at %s (%s): %v; start nats-server -js to run the relay tests", url, natsEnv, err)
	}
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second), nats.Name(t.Name()))
	if err != nil {
		unreachable(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		unreachable(err)
	}
	return js
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// testStream is a stream of the test's own, on subjects of its own.
type testStream struct {
	name    string // RELAY_TEST_...
	subject string // relaytest.<random>; the stream captures subject.>
	s       jetstream.Stream
}

// newStream creates a stream that captures a new subject prefix, with
// retention (limits by default), deleted when the test ends.
func newStream(t testing.TB, js jetstream.JetStream, retention jetstream.RetentionPolicy) testStream {
	t.Helper()
	ctx := context.Background()
	suffix := randomName("")
	ts := testStream{name: "RELAY_TEST_" + suffix, subject: "relaytest." + suffix}
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:       ts.name,
		Subjects:   []string{ts.subject + ".>"},
		Retention:  retention,
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := js.DeleteStream(ctx, ts.name); err != nil {
			t.Errorf("deleting stream %s: %v", ts.name, err)
		}
	})
	ts.s = s
	return ts
}

func (ts testStream) config(eng *commission.Engine, js jetstream.JetStream) relay.Config {
	return relay.Config{Engine: eng, JS: js, Subject: ts.subject, Stream: ts.name}
}

// count returns how many messages the stream holds.
func (ts testStream) count(t testing.TB) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := ts.s.Info(ctx)
	require.NoError(t, err)
	return info.State.Msgs
}

// waitForCount waits until the stream holds n messages, failing if it
// holds more, or if fail (when not nil) reports a failure first.
func (ts testStream) waitForCount(t testing.TB, n uint64, fail func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := ts.count(t)
		require.LessOrEqual(t, got, n, "the stream holds more messages than the log has events")
		if got == n {
			return
		}
		if fail != nil {
			if err := fail(); err != nil {
				t.Fatalf("waiting for %d messages (have %d): %v", n, got, err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stream holds %d messages, not %d, after 60s", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// messages returns every message the stream holds, in stream order.
func (ts testStream) messages(t testing.TB) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	info, err := ts.s.Info(ctx)
	require.NoError(t, err)
	var msgs []*jetstream.RawStreamMsg
	if info.State.Msgs == 0 {
		return nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := ts.s.GetMsg(ctx, seq)
		if err != nil {
			require.ErrorIs(t, err, jetstream.ErrMsgNotFound)
			continue
		}
		msgs = append(msgs, m)
	}
	require.Len(t, msgs, int(info.State.Msgs))
	return msgs
}

// allEvents reads the engine's whole log.
func allEvents(t testing.TB, eng *commission.Engine) []commission.Event {
	t.Helper()
	var all []commission.Event
	var after int64
	for {
		page, err := eng.Events(context.Background(), after, 0)
		require.NoError(t, err)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Position
	}
}

// requireStreamHoldsLog checks that the stream holds the engine's whole
// log, each event once, in position order, as the relay publishes it.
func requireStreamHoldsLog(t testing.TB, ts testStream, eng *commission.Engine) []commission.Event {
	t.Helper()
	events := allEvents(t, eng)
	require.NotEmpty(t, events)
	msgs := ts.messages(t)
	seen := make(map[string]uint64, len(msgs))
	for _, m := range msgs {
		pos := m.Header.Get(relay.HeaderPosition)
		if first, dup := seen[pos]; dup {
			t.Fatalf("position %s is in the stream twice: messages %d and %d", pos, first, m.Sequence)
		}
		seen[pos] = m.Sequence
	}
	require.Len(t, msgs, len(events), "messages in the stream, events in the log")
	for i, e := range events {
		m := msgs[i]
		pos := strconv.FormatInt(e.Position, 10)
		require.Equal(t, int64(i+1), e.Position, "the log's positions")
		require.Equal(t, pos, m.Header.Get(relay.HeaderPosition), "message %d", m.Sequence)
		require.Equal(t, pos, m.Header.Get(jetstream.MsgIDHeader), "message %d", m.Sequence)
		require.Equal(t, string(e.Type), m.Header.Get(relay.HeaderEventType), "message %d", m.Sequence)
		require.Equal(t, e.ID, m.Header.Get(relay.HeaderEventID), "message %d", m.Sequence)
		require.Equal(t, ts.subject+"."+string(e.Type), m.Subject, "message %d", m.Sequence)
		body, err := json.Marshal(e)
		require.NoError(t, err)
		require.JSONEq(t, string(body), string(m.Data), "message %d", m.Sequence)
		var got commission.Event
		require.NoError(t, json.Unmarshal(m.Data, &got))
		require.Equal(t, e.Position, got.Position)
		require.Equal(t, e.ID, got.ID)
	}
	return events
}

// The test program: 30% of every sale to the partner.
func testProgram() commission.Program {
	return commission.Program{
		ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))},
	}
}

func newEngine(t testing.TB) *commission.Engine {
	t.Helper()
	eng, err := commission.New(memstore.New(), testProgram())
	require.NoError(t, err)
	return eng
}

// setup creates partner_1 and customers customer_1 to customer_n
// attributed to it.
func setup(t testing.TB, eng *commission.Engine, customers int) {
	t.Helper()
	ctx := context.Background()
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_1", Email: "partner@example.com"})
	require.NoError(t, err)
	for i := 1; i <= customers; i++ {
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{
			Key:     "customer_" + strconv.Itoa(i),
			Partner: &commission.PartnerRef{Key: "partner_1"},
		})
		require.NoError(t, err)
	}
}

// sales creates n sales (2n events: the transaction and its reward) in
// one bulk, keyed prefix-1 to prefix-n, of customer_1.
func sales(t testing.TB, eng *commission.Engine, prefix string, n int) {
	t.Helper()
	ins := make([]commission.TransactionInput, n)
	for i := range ins {
		amount := decimal.NewFromInt(int64(10 + i%90))
		ins[i] = commission.TransactionInput{
			Key:      prefix + "-" + strconv.Itoa(i+1),
			Amount:   &amount,
			Customer: commission.CustomerInput{Key: "customer_1"},
		}
	}
	_, err := eng.CreateTransactions(context.Background(), ins)
	require.NoError(t, err)
}

// running is a Run in a goroutine of the test.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func startRelay(t testing.TB, cfg relay.Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- relay.Run(ctx, cfg) }()
	t.Cleanup(func() { r.stop() })
	return r
}

// failed returns Run's error if it has returned.
func (r *running) failed() error {
	select {
	case err := <-r.done:
		r.done <- err
		if err == nil {
			return io.EOF
		}
		return err
	default:
		return nil
	}
}

// stop cancels Run and returns what it returned.
func (r *running) stop() error {
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(30 * time.Second):
		panic("relay.Run did not return 30s after its context was canceled")
	}
}

// logRecords collects a JSON slog handler's records.
type logRecords struct {
	mu   sync.Mutex
	recs []map[string]any
	buf  []byte
}

func (l *logRecords) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		l.add(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
}

func (l *logRecords) add(line []byte) {
	var rec map[string]any
	if err := json.Unmarshal(line, &rec); err != nil {
		rec = map[string]any{"msg": string(line)}
	}
	l.recs = append(l.recs, rec)
}

// with returns the records whose msg is msg.
func (l *logRecords) with(msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, r := range l.recs {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

func (l *logRecords) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, r := range l.recs {
		line, _ := json.Marshal(r)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}
