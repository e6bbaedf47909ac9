package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// server is the command running serve as a process.
type server struct {
	cmd  *exec.Cmd
	addr string
	logs *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // its Wait error, once done is closed
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer starts the command with args and env (added to the test's
// own environment, without the command's variables), and waits until it
// logs the address it serves on.
func startServer(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGTERM")
	}
	cmd := exec.Command(binary(t), append([]string{"serve", "-log-format", "json"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMMISSION_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			s.logs.Write(append(line, '\n'))
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "serving" {
				addr <- rec.Addr
			}
		}
		io.Copy(io.Discard, stderr)
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.String())
		}
	})
	select {
	case s.addr = <-addr:
	case <-s.done:
		t.Fatalf("serve exited before serving: %v\n%s", s.err, s.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start in 60 s\n%s", s.logs.String())
	}
	return s
}

// waitHealthy waits until GET /healthz answers 200.
func (s *server) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + s.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz not healthy in 30 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// call sends a JSON request with the key and returns the status and body.
func call(client *http.Client, method, url, key, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// The required end-to-end test: the built command serves on a SQLite
// file with API keys; under many concurrent sales it gets SIGTERM, drains
// the requests in progress and exits 0 within the drain timeout, and every
// sale it acknowledged with a 2xx is stored.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	const (
		drain   = 20 * time.Second
		workers = 16
		key     = "sk_test_e2e"
	)
	path := filepath.Join(t.TempDir(), "commission.db")
	s := startServer(t, []string{apiKeysEnv + "=sk_other, " + key}, "-addr", "127.0.0.1:0", "-dsn", path, "-drain", drain.String())
	s.waitHealthy(t)
	base := "http://" + s.addr
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}

	// The API wants a key.
	if code, _, err := call(client, "POST", base+"/v1/partners", "", `{"key":"partner_123"}`); err != nil || code != http.StatusUnauthorized {
		t.Fatalf("without a key: %d, %v", code, err)
	}
	if code, _, err := call(client, "POST", base+"/v1/partners", "sk_wrong", `{"key":"partner_123"}`); err != nil || code != http.StatusUnauthorized {
		t.Fatalf("with a wrong key: %d, %v", code, err)
	}
	for _, req := range [][2]string{
		{"/v1/partners", `{"key":"partner_123","email":"partner@example.com"}`},
		{"/v1/customers", `{"key":"customer_123","partner":{"key":"partner_123"}}`},
	} {
		code, body, err := call(client, "POST", base+req[0], key, req[1])
		if err != nil || code/100 != 2 {
			t.Fatalf("POST %s: %d %s %v", req[0], code, body, err)
		}
	}
	// The seed request answers the documented reward.
	code, body, err := call(client, "POST", base+"/v1/transactions", key,
		`{"customer":{"key":"customer_123"},"key":"transaction_123","amount":99.99,"amount_units":"USD","product_id":"prod_123","product_type":"monthly","action":"sale"}`)
	if err != nil || code/100 != 2 || !bytes.Contains(body, []byte(`"amount":29.997`)) {
		t.Fatalf("seed sale: %d %s %v", code, body, err)
	}

	var (
		mu        sync.Mutex
		acked     []string
		sent      atomic.Int64
		serverErr atomic.Int64 // 5xx answers
		signaled  = make(chan struct{})
		wg        sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				k := fmt.Sprintf("load_%d_%d", w, i)
				sent.Add(1)
				code, body, err := call(client, "POST", base+"/v1/transactions", key,
					`{"key":"`+k+`","amount":10.50,"customer":{"key":"customer_123"}}`)
				select {
				case <-signaled:
					if err != nil { // the server stopped listening
						return
					}
				default:
					if err != nil {
						t.Errorf("before SIGTERM: %v", err)
						return
					}
				}
				switch {
				case code/100 == 2:
					mu.Lock()
					acked = append(acked, k)
					mu.Unlock()
				case code >= 500:
					serverErr.Add(1)
					t.Errorf("%s: %d %s", k, code, body)
				default:
					t.Errorf("%s: %d %s", k, code, body)
					return
				}
			}
		})
	}
	// Let the load run, then stop the server in the middle of it.
	for sent.Load() < 400 && !t.Failed() {
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	signalAt := time.Now()
	close(signaled)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(drain + 10*time.Second):
		t.Fatalf("serve did not exit within %v of SIGTERM", drain+10*time.Second)
	}
	took := time.Since(signalAt)
	wg.Wait()
	if s.err != nil {
		t.Fatalf("serve exited with %v, want status 0", s.err)
	}
	if took > drain {
		t.Errorf("serve took %v to exit, more than the drain timeout %v", took, drain)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, `"msg":"stopped"`) || !strings.Contains(logs, `"msg":"http request"`) {
		t.Errorf("the log lacks the access log or the stop:\n%s", logs)
	}
	t.Logf("%d sales sent, %d acknowledged (%d before SIGTERM), %d answered 5xx; exited %v after SIGTERM",
		sent.Load(), len(acked), before, serverErr.Load(), took.Round(time.Millisecond))
	if len(acked) <= before {
		t.Logf("no request was acknowledged after SIGTERM")
	}

	// Every acknowledged sale is stored.
	eng := openEngine(t, path)
	ctx := context.Background()
	for _, k := range acked {
		tx, err := eng.Transaction(ctx, k)
		if err != nil {
			t.Errorf("acknowledged sale %s: %v", k, err)
			continue
		}
		if len(tx.Rewards) != 1 || !tx.Rewards[0].Amount.Equal(decimal.RequireFromString("3.15")) {
			t.Errorf("sale %s: rewards %+v", k, tx.Rewards)
		}
	}
	if _, err := eng.Transaction(ctx, "transaction_123"); err != nil {
		t.Error(err)
	}
}

// Without API keys, serve refuses a non-loopback address, naming
// COMMISSION_API_KEYS, and serves on loopback.
func TestServeWithoutKeys(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(binary(t), "serve", "-addr", "0.0.0.0:0", "-dsn", filepath.Join(dir, "c.db"))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMMISSION_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitFailed {
		t.Fatalf("serve on 0.0.0.0 without keys: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), apiKeysEnv) || !strings.Contains(string(out), "loopback") {
		t.Errorf("the refusal does not say why:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.db")); err == nil {
		t.Errorf("the refusal opened the database")
	}

	s := startServer(t, nil, "-addr", "127.0.0.1:0", "-dsn", filepath.Join(dir, "c.db"), "-webhooks=false")
	s.waitHealthy(t)
	code, body, err := call(http.DefaultClient, "POST", "http://"+s.addr+"/v1/partners", "", `{"key":"partner_123"}`)
	if err != nil || code/100 != 2 {
		t.Fatalf("without keys on loopback: %d %s %v", code, body, err)
	}
	if !strings.Contains(s.logs.String(), "without authentication") {
		t.Errorf("no warning logged:\n%s", s.logs.String())
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	if s.err != nil {
		t.Errorf("exit: %v", s.err)
	}
}

// The in-process serve stops when its context ends, and refuses an
// address it cannot listen on.
func TestServeInProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	ready := make(chan string, 1)
	c := &cli{stdout: io.Discard, stderr: &stderr, getenv: func(string) string { return "" },
		ready: func(addr string) { ready <- addr }}
	done := make(chan int, 1)
	go func() {
		done <- c.run(ctx, []string{"serve", "-addr", "localhost:0", "-dsn", filepath.Join(t.TempDir(), "c.db")})
	}()
	select {
	case addr := <-ready:
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("healthz: %v %v", resp, err)
		}
		resp.Body.Close()
	case code := <-done:
		t.Fatalf("exited %d\n%s", code, stderr.String())
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
}
