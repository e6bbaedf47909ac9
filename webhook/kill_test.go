package webhook_test

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/commissionkit/commission/webhook"
)

// The kill test: a dispatcher process (this test binary, re-executed into
// TestHelperDispatcherProcess) delivers a program's events from an SQLite
// database to a receiver in the parent. The receiver holds the answer to
// a chosen delivery until the parent has killed the child with SIGKILL,
// so that each kill lands mid-delivery; the parent then starts a new
// child. In the end every event was received, in position order, and
// the only repeats are the deliveries in flight at the kills, each sent
// once more right after its restart.
const (
	childDBEnv    = "COMMISSION_WEBHOOK_CHILD_DB"
	childMaxRun   = 60 * time.Second // a child the parent lost stops by itself
	killEvents    = 30
	receiverDelay = 20 * time.Millisecond
)

// openSQLite opens the store in the SQLite database file at path.
func openSQLite(t testing.TB, ctx context.Context, path string) *sqlstore.Store {
	t.Helper()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	store, err := sqlstore.Open(ctx, db, sqlstore.SQLite)
	require.NoError(t, err)
	return store
}

// TestHelperDispatcherProcess is the child: it runs a dispatcher on the
// database the parent names until it is killed.
func TestHelperDispatcherProcess(t *testing.T) {
	path := os.Getenv(childDBEnv)
	if path == "" {
		t.Skip("the child process of TestDispatcherKilledAndRestarted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), childMaxRun)
	defer cancel()
	eng, err := commission.New(openSQLite(t, ctx, path), program())
	require.NoError(t, err)
	d := &webhook.Dispatcher{Engine: eng, Poll: 5 * time.Millisecond, Timeout: 30 * time.Second}
	require.ErrorIs(t, d.Run(ctx), context.DeadlineExceeded)
}

type child struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

func startChild(t *testing.T, path string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDispatcherProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDBEnv+"="+path)
	c := &child{cmd: cmd, out: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("child %d output:\n%s", cmd.Process.Pid, c.out)
		}
	})
	return c
}

// kill kills the child with SIGKILL and waits for it to end.
func (c *child) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Kill()) // SIGKILL
	err := c.cmd.Wait()
	require.Error(t, err, "the child was killed")
	require.False(t, c.cmd.ProcessState.Success())
}

func TestDispatcherKilledAndRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "webhooks.db")
	store := openSQLite(t, ctx, path)
	require.NoError(t, store.Migrate(ctx))
	eng, err := commission.New(store, program())
	require.NoError(t, err)

	// The kills, at the receipt of these deliveries (by count of requests).
	killAt := []int{5, 17}
	var (
		mu       sync.Mutex
		got      []int64 // the positions received, in order
		invalid  int     // bodies with a wrong signature or envelope
		arrived  = make(chan int64, 1)
		released = make(chan struct{})
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := webhook.VerifyRequest(testSecret, r)
		pos, perr := strconv.ParseInt(r.Header.Get(webhook.HeaderPosition), 10, 64)
		mu.Lock()
		if err != nil || perr != nil || !bytes.HasPrefix(body, []byte(`{"event":"`)) {
			invalid++
			mu.Unlock()
			http.Error(w, "invalid", http.StatusBadRequest)
			return
		}
		got = append(got, pos)
		n := len(got)
		mu.Unlock()
		for _, k := range killAt {
			if n == k { // held until the child that sent it is dead
				arrived <- pos
				<-released
				return
			}
		}
		time.Sleep(receiverDelay)
	}))
	t.Cleanup(srv.Close)
	ep := createEndpoint(t, eng, "ep_kill", srv.URL)
	writeEvents(t, eng, killEvents)

	var inFlight []int64
	for range killAt {
		c := startChild(t, path)
		select {
		case pos := <-arrived:
			inFlight = append(inFlight, pos)
		case <-time.After(60 * time.Second):
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("no delivery held after 60 s; received %v", got)
		}
		c.kill(t)
		released <- struct{}{} // the held answer goes to a dead connection
	}
	last := startChild(t, path)
	require.Eventually(t, func() bool { return allSettled(t, eng, ep.ID, killEvents) }, 60*time.Second,
		20*time.Millisecond, "every delivery delivered")
	last.kill(t)

	mu.Lock()
	defer mu.Unlock()
	require.Zero(t, invalid, "every body was signed and an envelope")
	// Every position once, in order, but for the deliveries in flight at
	// the kills, each received twice in a row: before the kill and right
	// after the restart.
	var want []int64
	for p := int64(1); p <= killEvents; p++ {
		want = append(want, p)
		for _, f := range inFlight {
			if f == p {
				want = append(want, p)
			}
		}
	}
	require.Equal(t, []int64{5, 16}, inFlight, "the 5th request, and the 17th, which repeats the 5th delivery")
	require.Equal(t, want, got)
	for _, d := range deliveries(t, eng, ep.ID) {
		require.Equal(t, commission.DeliveryDelivered, d.State)
		require.Equal(t, 1, d.Attempts, "position %d: the attempt cut by the kill was not recorded", d.Position)
	}
}
