package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/stretchr/testify/require"
)

// An InsertDeliveries that finds a taken position leaves none of its
// deliveries, whichever statement found it (the batch is longer than one
// statement's rows), and the unit of work can go on: PostgreSQL's insert
// skips the taken row rather than aborting the transaction.
func TestInsertDeliveriesLeavesNoneOnDuplicate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		delivery := func(endpoint string, position int64) commission.Delivery {
			return commission.Delivery{EndpointID: endpoint, Position: position, EventID: "ev", EventType: commission.EventRewardCreated,
				State: commission.DeliveryPending, NextAttemptAt: time.UnixMicro(1_700_000_000_000_000).UTC()}
		}
		const n = 1200 // more than one statement's rows
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error {
			for _, id := range []string{"a", "b"} {
				if err := tx.InsertEndpoint(ctx, &commission.Endpoint{ID: id, Key: id, URL: "https://x.test"}); err != nil {
					return err
				}
			}
			return tx.InsertDeliveries(ctx, []commission.Delivery{delivery("a", n)})
		}))
		var batch []commission.Delivery
		for p := range int64(n) {
			batch = append(batch, delivery("a", p+1), delivery("b", p+1)) // a's n-th is taken
		}
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error {
			err := tx.InsertDeliveries(ctx, batch)
			require.ErrorIs(t, err, commission.ErrDuplicateKey)
			return tx.InsertDeliveries(ctx, []commission.Delivery{delivery("b", 1)})
		}))
		for id, want := range map[string][]int64{"a": {n}, "b": {1}} {
			var got []commission.Delivery
			require.NoError(t, s.View(ctx, "prog", func(tx commission.StoreTx) (err error) {
				got, err = tx.Deliveries(ctx, commission.DeliveryQuery{EndpointID: id, Limit: 2 * n})
				return err
			}))
			var positions []int64
			for _, d := range got {
				positions = append(positions, d.Position)
			}
			require.Equal(t, want, positions, "deliveries of %s", id)
		}
	})
}
