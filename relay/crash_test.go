package relay_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/relay"
	"github.com/commissionkit/commission/sqlstore"
)

// What TestHelperRelayProcess is told by its parent.
const (
	helperEnv        = "COMMISSION_RELAY_HELPER" // "1": act as the relay
	helperDSNEnv     = "COMMISSION_RELAY_HELPER_DSN"
	helperStreamEnv  = "COMMISSION_RELAY_HELPER_STREAM"
	helperSubjectEnv = "COMMISSION_RELAY_HELPER_SUBJECT"
	helperBatchEnv   = "COMMISSION_RELAY_HELPER_BATCH"
)

// The crash test's sizes: its log has 2 + 2*crashBulk*(crashBulksBefore +
// crashBulksWhile) events, the relay reads crashBatch at a time, and each
// kill comes after crashKillEvery more messages.
const (
	crashBulk        = 500
	crashBulksBefore = 2
	crashBulksWhile  = 2
	crashBatch       = 5
	crashKillEvery   = 300
)

// TestHelperRelayProcess is the relay of TestRelaySurvivesKill, in a
// process of its own: it runs until it is killed, logging JSON to stderr.
func TestHelperRelayProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("run by TestRelaySurvivesKill in a child process")
	}
	// Not for ever, should the parent die without killing it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := sql.Open("sqlite", os.Getenv(helperDSNEnv))
	require.NoError(t, err)
	defer db.Close()
	store, err := sqlstore.Open(ctx, db, sqlstore.SQLite)
	require.NoError(t, err)
	eng, err := commission.New(store, testProgram())
	require.NoError(t, err)
	nc, err := nats.Connect(natsURL())
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	batch, err := strconv.Atoi(os.Getenv(helperBatchEnv))
	require.NoError(t, err)
	err = relay.Run(ctx, relay.Config{
		Engine:  eng,
		JS:      js,
		Subject: os.Getenv(helperSubjectEnv),
		Stream:  os.Getenv(helperStreamEnv),
		Batch:   batch,
		Poll:    10 * time.Millisecond,
		Logger:  slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	t.Fatalf("relay.Run returned: %v", err)
}

// relayProcess is a TestHelperRelayProcess the test started.
type relayProcess struct {
	name   string
	cmd    *exec.Cmd
	logs   *logRecords
	stdout *strings.Builder
	exited chan struct{} // closed when it has exited
	killed bool
}

func startRelayProcess(t *testing.T, name, dsn string, ts testStream) *relayProcess {
	t.Helper()
	p := &relayProcess{name: name, logs: &logRecords{}, stdout: &strings.Builder{}, exited: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperRelayProcess$", "-test.count=1", "-test.v")
	p.cmd.Env = append(os.Environ(),
		helperEnv+"=1",
		helperDSNEnv+"="+dsn,
		helperStreamEnv+"="+ts.name,
		helperSubjectEnv+"="+ts.subject,
		helperBatchEnv+"="+strconv.Itoa(crashBatch),
		natsEnv+"="+natsURL())
	p.cmd.Stderr = p.logs
	p.cmd.Stdout = p.stdout
	require.NoError(t, p.cmd.Start())
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// failed tells, once the process has exited by itself, how it ended.
func (p *relayProcess) failed() error {
	select {
	case <-p.exited:
		if p.killed {
			return nil
		}
		return fmt.Errorf("relay process %s exited by itself (%v)\nstdout:\n%s\nlog:\n%s", p.name, p.cmd.ProcessState, p.stdout, p.logs)
	default:
		return nil
	}
}

// kill kills the process with SIGKILL and waits until it has exited.
func (p *relayProcess) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.failed())
	p.killed = true
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.exited
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("relay process %s ended by %v, not SIGKILL", p.name, p.cmd.ProcessState)
	}
}

// The relay in a process of its own, killed with SIGKILL while it
// publishes and started again, three times over (once with the new
// process started before the old one is killed, as a supervisor may):
// in the end the stream holds every event of the log once, in position
// order.
func TestRelaySurvivesKill(t *testing.T) {
	js := requireNATS(t)
	began := time.Now()
	ctx := context.Background()
	ts := newStream(t, js, jetstream.LimitsPolicy)
	dsn := sqlstore.SQLiteDSN(filepath.Join(t.TempDir(), "commission.db"))
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	store, err := sqlstore.Open(ctx, db, sqlstore.SQLite)
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx))
	eng, err := commission.New(store, testProgram())
	require.NoError(t, err)
	setup(t, eng, 1)
	bulk := func(name string) error {
		ins := make([]commission.TransactionInput, crashBulk)
		for i := range ins {
			amount := decimal.NewFromInt(int64(10 + i%90))
			ins[i] = commission.TransactionInput{Key: name + "-" + strconv.Itoa(i+1), Amount: &amount, Customer: commission.CustomerInput{Key: "customer_1"}}
		}
		_, err := eng.CreateTransactions(ctx, ins)
		return err
	}
	for i := range crashBulksBefore {
		require.NoError(t, bulk("before-"+strconv.Itoa(i)))
	}
	total := uint64(2 + 2*crashBulk*(crashBulksBefore+crashBulksWhile))

	// More events while the relays run.
	writer := make(chan error, 1)
	go func() {
		for i := range crashBulksWhile {
			if err := bulk("while-" + strconv.Itoa(i)); err != nil {
				writer <- err
				return
			}
		}
		writer <- nil
	}()
	var writerErr error
	writerDone := false
	checkWriter := func() error {
		if !writerDone {
			select {
			case writerErr = <-writer:
				writerDone = true
			default:
			}
		}
		return writerErr
	}

	var procs []*relayProcess
	start := func() *relayProcess {
		p := startRelayProcess(t, strconv.Itoa(len(procs)+1), dsn, ts)
		procs = append(procs, p)
		return p
	}
	// waitFor waits until the stream holds at least n messages.
	waitFor := func(n uint64, running ...*relayProcess) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := ts.count(t)
			if got >= n {
				return
			}
			require.NoError(t, checkWriter())
			for _, p := range running {
				require.NoError(t, p.failed())
			}
			require.True(t, time.Now().Before(deadline), "the stream holds %d messages, not %d, after 60s", got, n)
			time.Sleep(2 * time.Millisecond)
		}
	}
	// killMidStream kills p while it publishes (the stream grows still,
	// and the log has more), and returns how many messages the stream
	// holds then.
	var kills []string
	killMidStream := func(p *relayProcess) uint64 {
		t.Helper()
		before := ts.count(t)
		p.kill(t)
		after := ts.count(t)
		require.Less(t, after, total, "the relay had published everything before it was killed")
		kills = append(kills, fmt.Sprintf("%d-%d", before, after))
		t.Logf("killed relay %s after %v with %d messages in the stream (%d when the kill was sent)", p.name, time.Since(began).Round(time.Millisecond), after, before)
		return after
	}

	// 1. Killed, then started again.
	a := start()
	waitFor(crashKillEvery, a)
	n := killMidStream(a)
	b := start()

	// 2. The replacement started first, then the old one killed.
	waitFor(n+crashKillEvery, b)
	c := start()
	for deadline := time.Now().Add(30 * time.Second); len(c.logs.with("relay resumes")) == 0; {
		require.NoError(t, c.failed())
		require.NoError(t, b.failed())
		require.True(t, time.Now().Before(deadline), "relay %s did not start", c.name)
		time.Sleep(2 * time.Millisecond)
	}
	waitFor(ts.count(t)+crashKillEvery/3, b, c)
	n = killMidStream(b)

	// 3. Killed, then started again.
	waitFor(n+crashKillEvery, c)
	killMidStream(c)
	d := start()

	// The last one publishes the rest.
	deadline := time.Now().Add(60 * time.Second)
	for !writerDone {
		require.NoError(t, checkWriter())
		require.NoError(t, d.failed())
		require.True(t, time.Now().Before(deadline), "the writer did not finish")
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, writerErr)
	ts.waitForCount(t, total, d.failed)
	time.Sleep(200 * time.Millisecond) // in case it publishes more
	d.kill(t)

	events := requireStreamHoldsLog(t, ts, eng)
	require.Len(t, events, int(total))
	repeats := 0
	var resumed []string
	for _, p := range procs {
		repeats += len(p.logs.with("the stream already had the event"))
		for _, r := range p.logs.with("relay resumes") {
			resumed = append(resumed, fmt.Sprint(r["after"]))
		}
		for _, r := range p.logs.with("relay failed; retrying") {
			t.Logf("relay %s retried: %v", p.name, r["err"])
		}
	}
	t.Logf("%d events, stream counts at the kills %s, relays resumed after %s, %d repeats dropped by the stream's message ids; %v",
		total, strings.Join(kills, ", "), strings.Join(resumed, ", "), repeats, time.Since(began).Round(time.Millisecond))
	require.Positive(t, repeats, "no relay published an event the stream already had: the overlap did not happen")
}
