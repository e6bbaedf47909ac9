package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
)

// Eight engines on pools of their own write sales (some of which fail
// after their events were written, and roll back) while three readers
// tail the log: each reader sees every event of every committed sale
// exactly once, in position order, and none of a failed one.
func TestEventsTailedWhileEnginesWrite(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		const writers, sales, readers = 8, 25, 3
		ctx := context.Background()
		db := newDatabase(t, d)
		setup := benchEngine(t, db.open(t))
		parties := concurrentParties(t, setup, writers)
		committed := make([][]string, writers)
		var wg sync.WaitGroup
		for w := range writers {
			eng := benchEngine(t, db.open(t))
			p := parties[w]
			wg.Go(func() { committed[w] = writeSales(t, ctx, eng, p, w, sales) })
		}
		seen := make([][]commission.Event, readers)
		done := make(chan struct{})
		var rg sync.WaitGroup
		for r := range readers {
			eng := benchEngine(t, db.open(t))
			rg.Go(func() { seen[r] = tailEvents(t, ctx, eng, done) })
		}
		wg.Wait()
		close(done)
		rg.Wait()

		want := map[string]bool{}
		for _, keys := range committed {
			for _, k := range keys {
				want[k] = true
			}
		}
		for r, events := range seen {
			got := createdKeys(t, events)
			require.Len(t, got, len(want), "reader %d: sales seen", r)
			for _, k := range got {
				require.True(t, want[k], "reader %d saw sale %s, which failed", r, k)
			}
			// Each sale: its transaction.created and one reward.created;
			// before them, the writer's partner and customer.
			require.Len(t, events, 2*len(want)+2*writers, "reader %d: events", r)
		}
	})
}

// writeSales makes n sales by p's customer through eng, every fifth
// repeating an earlier key (it fails once its events are written, and
// rolls back), and returns the keys stored.
func writeSales(t *testing.T, ctx context.Context, eng *commission.Engine, p benchParties, w, n int) []string {
	var stored []string
	for i := range n {
		key := fmt.Sprintf("w%d-s%d", w, i)
		if i%5 == 4 {
			key = stored[0]
		}
		err := p.engineSale(ctx, eng, key)
		switch {
		case i%5 == 4 && errors.Is(err, commission.ErrDuplicateKey):
		case err != nil:
			t.Errorf("sale %s: %v", key, err)
			return stored
		default:
			stored = append(stored, key)
		}
	}
	return stored
}

// tailEvents reads the log with a cursor until done is closed and a read
// after it finds nothing new, checking that positions follow one
// another.
func tailEvents(t *testing.T, ctx context.Context, eng *commission.Engine, done <-chan struct{}) []commission.Event {
	var out []commission.Event
	var cursor int64
	finishing := false
	for {
		events, err := eng.Events(ctx, cursor, 50)
		if err != nil {
			t.Error(err)
			return out
		}
		for _, e := range events {
			if e.Position != cursor+1 {
				t.Errorf("position %d after %d", e.Position, cursor)
				return out
			}
			cursor = e.Position
		}
		out = append(out, events...)
		switch {
		case len(events) > 0:
		case finishing:
			return out
		default:
			select {
			case <-done:
				finishing = true // one more read sees what committed last
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
}

// createdKeys are the keys of the transaction.created events, checking
// that none repeats.
func createdKeys(t *testing.T, events []commission.Event) []string {
	var keys []string
	seen := map[string]bool{}
	for _, e := range events {
		if e.Type != commission.EventTransactionCreated {
			continue
		}
		var tx struct {
			Key string `json:"key"`
		}
		require.NoError(t, json.Unmarshal(e.Data, &tx))
		require.False(t, seen[tx.Key], "sale %s seen twice", tx.Key)
		seen[tx.Key] = true
		keys = append(keys, tx.Key)
	}
	return keys
}
