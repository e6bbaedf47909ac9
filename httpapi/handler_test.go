package httpapi_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commissionkit/commission/httpapi"
	"github.com/stretchr/testify/require"
)

// lockedWriter lets a server goroutine and a test share a builder.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// logs is a builder the server logs to as JSON lines.
type logs struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logs) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(b)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(&lockedWriter{w: w}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestHealthz(t *testing.T) {
	a := newAPI(t, setup{})
	res := a.request("GET", "/healthz", "")
	require.Equal(t, http.StatusOK, res.status)
	require.JSONEq(t, `{"status":"ok"}`, string(res.raw))
	// With a key too, and HEAD.
	require.Equal(t, http.StatusOK, a.call("GET", "/healthz", "").status)
	require.Equal(t, http.StatusOK, a.request("HEAD", "/healthz", "").status)
	requireError(t, a.request("POST", "/healthz", ""), http.StatusMethodNotAllowed, "method_not_allowed", "")
}

// Each request is logged once, with its method, path, status, duration
// and bytes; never its key or query.
func TestAccessLog(t *testing.T) {
	var out logs
	a := newAPI(t, setup{opts: httpapi.Options{APIKeys: []string{apiKey}, Logger: newLogger(&out)}})
	a.affiliateSetup()
	res := a.call("POST", "/v1/transactions", affiliateRequest)
	require.Equal(t, http.StatusOK, res.status)
	a.request("GET", "/v1/transactions?customer=customer_123", "", "Authorization: Bearer wrong")
	a.call("GET", "/v1/transactions/nope", "")

	// The record is written once the answer is: wait for the last.
	var records []map[string]any
	require.Eventually(t, func() bool {
		records = nil
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			var rec map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
			if rec["msg"] == "http request" {
				records = append(records, rec)
			}
		}
		return len(records) == 5 // two creates in the setup, then three
	}, 5*time.Second, 10*time.Millisecond)
	create := records[2]
	require.Equal(t, "POST", create["method"])
	require.Equal(t, "/v1/transactions", create["path"])
	require.Equal(t, float64(200), create["status"])
	require.Equal(t, float64(len(res.raw)), create["bytes"])
	require.Contains(t, create, "duration")
	require.Equal(t, float64(401), records[3]["status"])
	require.Equal(t, "/v1/transactions", records[3]["path"])
	require.Equal(t, float64(404), records[4]["status"])

	require.NotContains(t, out.String(), apiKey)
	require.NotContains(t, out.String(), "wrong")
	require.NotContains(t, out.String(), "customer=")
}

func newOpts(w io.Writer) httpapi.Options {
	return httpapi.Options{APIKeys: []string{apiKey}, Logger: newLogger(w)}
}
