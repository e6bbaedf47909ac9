package sqlstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
)

// BenchmarkListPaging lists a program of 200,000 transactions, recorded
// in bulks whose sales share their time, in turn within one run: the
// first page, a page by cursor 150,000 deep, and page 1,000 by number
// (99,900 deep), 100 a page. A cursor page must cost within 1.5× of the
// first (cursor/first), and the first page must keep its cost while deep
// pages by number run on the same pool (on PostgreSQL, a plan made for
// any offset scanned and sorted every row).
//
//	go test -run '^$' -bench ListPaging -benchtime 500x -count 5 -timeout 60m ./sqlstore
//
// Seeding runs once per store and process: a few minutes on a database.
func BenchmarkListPaging(b *testing.B) {
	for _, name := range benchStores() {
		b.Run(name, func(sub *testing.B) {
			p := pagingSeed(sub, name)
			ctx := context.Background()
			list := func(opts commission.ListOptions) func(int) {
				return func(int) {
					page, err := p.eng.Transactions(ctx, opts)
					if err != nil {
						sub.Fatal(err)
					}
					if len(page.Transactions) != pagingLimit {
						sub.Fatalf("a page of %d", len(page.Transactions))
					}
				}
			}
			ns := alternateN(sub, list(commission.ListOptions{Limit: pagingLimit}),
				list(commission.ListOptions{Limit: pagingLimit, Cursor: p.cursor}),
				list(commission.ListOptions{Limit: pagingLimit, Page: commission.MaxPage}))
			sub.ReportMetric(ns[0], "ns/op-first")
			sub.ReportMetric(ns[1], "ns/op-cursor")
			sub.ReportMetric(ns[2], "ns/op-offset")
			sub.ReportMetric(ns[1]/ns[0], "cursor/first")
			sub.ReportMetric(ns[2]/ns[0], "offset/first")
		})
	}
}

const (
	pagingSales = 200_000
	pagingLimit = 100
)

// paging is a seeded engine and a cursor 150,000 transactions deep.
type paging struct {
	eng    *commission.Engine
	cursor string
}

var pagingCache = map[string]*paging{}

// pagingSeed returns the engine on store name with pagingSales sales,
// seeded on first use (skipping b when the database is not configured);
// the database lasts until the process ends.
func pagingSeed(b *testing.B, name string) *paging {
	b.Helper()
	if p := pagingCache[name]; p != nil {
		return p
	}
	start := time.Now()
	store, db := openBenchStore(b, name)
	eng := benchEngine(b, store)
	benchSetup(b, eng)
	ctx := context.Background()
	ins := make([]commission.TransactionInput, bulkSize)
	for n := 0; n < pagingSales; n += bulkSize {
		for i := range ins {
			ins[i] = benchInput("s" + strconv.Itoa(n+i))
		}
		require.NoError(b, engineBulk(ctx, eng, ins))
	}
	if db != nil && name == sqlstore.Postgres.String() {
		richAnalyze(b, db)
	}
	deep, err := eng.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit, Page: 150_000 / commission.MaxLimit})
	require.NoError(b, err)
	require.NotEmpty(b, deep.NextCursor)
	b.Logf("seeded %s in %v", name, time.Since(start).Round(time.Millisecond))
	p := &paging{eng: eng, cursor: deep.NextCursor}
	pagingCache[name] = p
	return p
}
