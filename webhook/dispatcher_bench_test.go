package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/webhook"
)

// BenchmarkDispatcher delivers b.N events to one endpoint on a loopback
// receiver that answers 200 at once, and reports events/s: each delivery
// is one POST and two units of work (finding it, recording it).
//
//	go test -run '^$' -bench Dispatcher -benchtime 2000x -count 5 ./webhook
func BenchmarkDispatcher(b *testing.B) {
	ctx := context.Background()
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got.Add(1)
	}))
	defer srv.Close()
	eng, err := commission.New(memstore.New(), program())
	require.NoError(b, err)
	createEndpoint(b, eng, "bench", srv.URL)
	writeEvents(b, eng, b.N)
	d := &webhook.Dispatcher{Engine: eng}
	b.ResetTimer()
	start := time.Now()
	for got.Load() < int64(b.N) {
		if _, err := d.RunOnce(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
