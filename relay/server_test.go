package relay_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// privateServer is a nats-server with JetStream of the test's own, on
// 127.0.0.1, storing in a directory that outlives its restarts.
type privateServer struct {
	bin, dir string
	port     int
	cmd      *exec.Cmd
	exited   chan struct{}
}

// startPrivateServer starts nats-server, or skips (fails under
// COMMISSION_REQUIRE_DB=1) when it is not on the PATH.
func startPrivateServer(t *testing.T) *privateServer {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("COMMISSION_REQUIRE_DB") == "1" {
			t.Fatalf("nats-server is not on the PATH, and COMMISSION_REQUIRE_DB=1")
		}
		t.Skip("nats-server is not on the PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	s := &privateServer{bin: bin, dir: t.TempDir(), port: port}
	s.start(t)
	t.Cleanup(func() { s.kill(t) })
	return s
}

func (s *privateServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

func (s *privateServer) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port), "-js", "-sd", s.dir)
	require.NoError(t, s.cmd.Start())
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(s.cmd, s.exited)
	deadline := time.Now().Add(20 * time.Second)
	for {
		nc, err := nats.Connect(s.url())
		if err == nil {
			nc.Close()
			return
		}
		select {
		case <-s.exited:
			t.Fatalf("nats-server exited: %v", s.cmd.ProcessState)
		default:
		}
		require.True(t, time.Now().Before(deadline), "nats-server did not start: %v", err)
		time.Sleep(20 * time.Millisecond)
	}
}

// kill kills the server with SIGKILL, if it runs, and waits until it has
// exited.
func (s *privateServer) kill(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		return
	default:
	}
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGKILL))
	<-s.exited
}

// The server killed under the relay and started again: the relay retries
// until it is back, and the stream ends up with the whole log once.
func TestRelayRetriesWhileTheServerIsDown(t *testing.T) {
	srv := startPrivateServer(t)
	nc, err := nats.Connect(srv.url(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(time.Second))
	require.NoError(t, err)
	ts := newStream(t, js, jetstream.LimitsPolicy)
	eng := newEngine(t)
	setup(t, eng, 1)
	sales(t, eng, "before", 300)

	var logs logRecords
	cfg := ts.config(eng, js)
	cfg.Batch, cfg.Poll, cfg.Logger = 5, 10*time.Millisecond, debugLogger(&logs)
	r := startRelay(t, cfg)
	for ts.count(t) < 100 {
		require.NoError(t, r.failed())
		time.Sleep(time.Millisecond)
	}
	srv.kill(t)
	sales(t, eng, "while", 100)
	for len(logs.with("relay failed; retrying")) < 2 {
		require.NoError(t, r.failed())
		time.Sleep(10 * time.Millisecond)
	}
	srv.start(t)

	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := js.Stream(ctx, ts.name); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the stream is not back: %v", err)
		time.Sleep(20 * time.Millisecond)
	}
	ts.waitForCount(t, uint64(len(allEvents(t, eng))), r.failed)
	time.Sleep(100 * time.Millisecond)
	require.ErrorIs(t, r.stop(), context.Canceled)
	requireStreamHoldsLog(t, ts, eng)
	retries := logs.with("relay failed; retrying")
	var resumed []any
	for _, r := range logs.with("relay resumes") {
		resumed = append(resumed, r["after"])
	}
	t.Logf("%d retries while the server was down, the first: %v; resumed after positions %v; %d times the server had lost acknowledged events",
		len(retries), retries[0]["err"], resumed, len(logs.with("the stream lost acknowledged events; publishing them again")))
}
