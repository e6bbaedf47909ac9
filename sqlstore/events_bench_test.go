package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// BenchmarkSaleEvents records sales with events (a transaction.created
// and a reward.created each) and without (WithoutEvents), alternating
// the two engines on one store: events/plain is the cost of the events.
//
//	go test -run '^$' -bench SaleEvents -benchtime 3000x -count 5 ./sqlstore
func BenchmarkSaleEvents(b *testing.B) {
	for _, name := range benchStores() {
		b.Run(name, func(b *testing.B) { benchmarkSaleEvents(b, name) })
	}
}

func benchmarkSaleEvents(b *testing.B, name string) {
	ctx := context.Background()
	store, _ := openBenchStore(b, name)
	withEvents := benchEngine(b, store)
	plain := benchEngine(b, store, commission.WithoutEvents())
	parties := benchSetup(b, withEvents)
	keys, plainKeys := benchKeys("events_", b.N), benchKeys("plain_", b.N)
	require.NoError(b, parties.engineSale(ctx, withEvents, "warmup_events"))
	require.NoError(b, parties.engineSale(ctx, plain, "warmup_plain"))
	ns := alternateN(b, func(i int) {
		if err := parties.engineSale(ctx, plain, plainKeys[i]); err != nil {
			b.Fatal(err)
		}
	}, func(i int) {
		if err := parties.engineSale(ctx, withEvents, keys[i]); err != nil {
			b.Fatal(err)
		}
	})
	reportTwins(b, ns, "plain", "events")
}
