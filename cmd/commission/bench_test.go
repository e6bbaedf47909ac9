package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
)

// benchStore returns a migrated store of the dialect: a SQLite file, or
// a PostgreSQL schema of its own at COMMISSION_TEST_POSTGRES, dropped
// after.
func benchStore(b *testing.B, dialect string) *sqlstore.Store {
	b.Helper()
	ctx := context.Background()
	var db *sql.DB
	var err error
	var d sqlstore.Dialect
	switch dialect {
	case "sqlite":
		d = sqlstore.SQLite
		db, err = sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(b.TempDir(), "commission.db")))
	case "postgres":
		base := os.Getenv("COMMISSION_TEST_POSTGRES")
		if base == "" {
			b.Skip("COMMISSION_TEST_POSTGRES is not set")
		}
		d = sqlstore.Postgres
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		rnd := make([]byte, 6)
		rand.Read(rnd)
		schema := "commission_cmd_bench_" + hex.EncodeToString(rnd)
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		})
		u, err := url.Parse(base)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err = sql.Open("pgx", u.String())
		if err != nil {
			b.Fatal(err)
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	store, err := sqlstore.Open(ctx, db, d)
	if err != nil {
		b.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return store
}

// latencies collects request durations from several goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

func (l *latencies) quantile(q float64) time.Duration {
	slices.Sort(l.d)
	if len(l.d) == 0 {
		return 0
	}
	return l.d[min(int(q*float64(len(l.d))), len(l.d)-1)]
}

// BenchmarkServe creates b.N sales over loopback HTTP, from 16 concurrent
// clients, through the handler serve runs (the API with its access log),
// and as many by calling the engine in the process, the two alternating
// in rounds of 256; it reports each one's rate and p50/p99 latency, and
// the time ratio http/inprocess.
//
//	go test -run '^$' -bench Serve -benchtime 5000x ./cmd/commission
func BenchmarkServe(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) { benchServe(b, dialect) })
	}
}

func benchServe(b *testing.B, dialect string) {
	const (
		clients = 16
		round   = 256
		key     = "sk_bench"
	)
	ctx := context.Background()
	store := benchStore(b, dialect)
	eng, err := commission.New(store, defaultProgram())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123"}); err != nil {
		b.Fatal(err)
	}
	// One customer per client, as sales from many buyers.
	for i := range clients {
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: fmt.Sprint("customer_", i), Partner: &commission.PartnerRef{Key: "partner_123"}})
		if err != nil {
			b.Fatal(err)
		}
	}
	api, err := newAPI(eng, []string{key}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	amount := decimal.RequireFromString("99.99")

	var seq atomic.Int64
	// run sends n sales from the clients, each through send, and returns
	// how long they took, adding each one's latency to lat.
	run := func(n int, lat *latencies, send func(client int, key string) error) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for c := range clients {
			wg.Go(func() {
				var mine []time.Duration
				for next.Add(1) <= int64(n) {
					k := fmt.Sprint("bench_", seq.Add(1))
					t0 := time.Now()
					if err := send(c, k); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				lat.add(mine)
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	overHTTP := func(c int, k string) error {
		code, body, err := call(client, "POST", srv.URL+"/v1/transactions", key,
			fmt.Sprintf(`{"key":%q,"amount":99.99,"customer":{"key":"customer_%d"}}`, k, c))
		if err == nil && code/100 != 2 {
			err = fmt.Errorf("%s: %d %s", k, code, body)
		}
		return err
	}
	inProcess := func(c int, k string) error {
		_, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: k, Amount: &amount,
			Customer: commission.CustomerInput{Key: fmt.Sprint("customer_", c)}})
		return err
	}

	var httpLat, inLat latencies
	var httpTime, inTime time.Duration
	b.ResetTimer()
	for done := 0; done < b.N && !b.Failed(); done += round {
		n := min(round, b.N-done)
		httpTime += run(n, &httpLat, overHTTP)
		inTime += run(n, &inLat, inProcess)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(float64(b.N)/httpTime.Seconds(), "http_req/s")
	b.ReportMetric(ms(httpLat.quantile(0.50)), "http_p50_ms")
	b.ReportMetric(ms(httpLat.quantile(0.99)), "http_p99_ms")
	b.ReportMetric(float64(b.N)/inTime.Seconds(), "inproc_req/s")
	b.ReportMetric(ms(inLat.quantile(0.50)), "inproc_p50_ms")
	b.ReportMetric(ms(inLat.quantile(0.99)), "inproc_p99_ms")
	b.ReportMetric(float64(httpTime)/float64(inTime), "http/inprocess")
}

// BenchmarkImport100k imports a CSV of 100,000 sales into a new SQLite
// file, then the same file again, which must store nothing; it reports
// each run's time. Each iteration is a new file; b.N is 1 by default.
//
//	go test -run '^$' -bench Import100k -benchtime 1x ./cmd/commission
func BenchmarkImport100k(b *testing.B) {
	const n = 100_000
	file := filepath.Join(b.TempDir(), "sales.csv")
	writeSalesCSV(b, file, 0, n)
	var first, second time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(b.TempDir(), fmt.Sprint("c", i, ".db"))
		setupPartner(b, db)
		b.StartTimer()
		t0 := time.Now()
		r := runCLI(b, nil, "import", "-file", file, "-dsn", db)
		first += time.Since(t0)
		if want := fmt.Sprintf("%d sales read: %d stored, 0 skipped", n, n); r.code != exitOK || !strings.Contains(r.stdout, want) {
			b.Fatalf("first run: %d, want %q\n%s%s", r.code, want, r.stdout, r.stderr)
		}
		t0 = time.Now()
		r = runCLI(b, nil, "import", "-file", file, "-dsn", db)
		second += time.Since(t0)
		if want := fmt.Sprintf("%d sales read: 0 stored, %d skipped", n, n); r.code != exitOK || !strings.Contains(r.stdout, want) {
			b.Fatalf("second run stored something: %d, want %q\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	b.ReportMetric(first.Seconds()/float64(b.N), "import_s")
	b.ReportMetric(second.Seconds()/float64(b.N), "reimport_s")
	b.ReportMetric(float64(n)/(first.Seconds()/float64(b.N)), "sales/s")
}
