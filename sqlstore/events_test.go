package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/stretchr/testify/require"
)

// newEvents returns events with the ids, their data JSON with keys out of
// order and spaces, which the store keeps as they are.
func newEvents(ids ...string) []commission.Event {
	out := make([]commission.Event, len(ids))
	for i, id := range ids {
		out[i] = commission.Event{
			ID:        id,
			Type:      commission.EventTransactionCreated,
			CreatedAt: time.UnixMicro(1_700_000_000_000_000 + int64(i)).UTC(),
			Data:      json.RawMessage(`{"z": 1, "id": "` + id + `", "a": [2]}`),
		}
	}
	return out
}

func insertEvents(t *testing.T, s *sqlstore.Store, ids ...string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error { return tx.InsertEvents(ctx, newEvents(ids...)) }))
}

// positionEvents positions the committed events and returns the log's
// last position.
func positionEvents(t *testing.T, s *sqlstore.Store) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var n int64
	require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) (err error) {
		n, err = tx.PositionEvents(ctx)
		return err
	}))
	return n
}

func readEvents(t *testing.T, s *sqlstore.Store, after int64, limit int) []commission.Event {
	t.Helper()
	ctx := context.Background()
	var out []commission.Event
	require.NoError(t, s.View(ctx, "prog", func(tx commission.StoreTx) (err error) {
		out, err = tx.Events(ctx, after, limit)
		return err
	}))
	return out
}

// requireLog checks that events are ids at positions from first on.
func requireLog(t *testing.T, events []commission.Event, first int64, ids ...string) {
	t.Helper()
	require.Len(t, events, len(ids))
	for i, e := range events {
		require.Equal(t, ids[i], e.ID)
		require.Equal(t, first+int64(i), e.Position, "event %s", e.ID)
	}
}

func TestEventsArePositionedAfterCommit(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		insertEvents(t, s, "e1", "e2")
		insertEvents(t, s, "e3")
		require.Empty(t, readEvents(t, s, 0, 10), "not positioned yet")

		require.EqualValues(t, 3, positionEvents(t, s))
		got := readEvents(t, s, 0, 10)
		requireLog(t, got, 1, "e1", "e2", "e3")
		want := newEvents("e1", "e2")
		want[0].Position = 1
		require.Equal(t, want[0], got[0], "every field as stored, data byte for byte")
		require.EqualValues(t, 3, positionEvents(t, s), "nothing left")

		insertEvents(t, s, "e4")
		require.EqualValues(t, 4, positionEvents(t, s))
		requireLog(t, readEvents(t, s, 3, 10), 4, "e4")
		requireLog(t, readEvents(t, s, 1, 2), 2, "e2", "e3")
		require.Empty(t, readEvents(t, s, 4, 10))
		require.Empty(t, readEvents(t, s, 0, 0))

		require.NoError(t, s.View(ctx, "other", func(tx commission.StoreTx) error {
			events, err := tx.Events(ctx, 0, 10)
			require.Empty(t, events, "another program's log")
			return err
		}))
		err := s.View(ctx, "prog", func(tx commission.StoreTx) error {
			_, err := tx.PositionEvents(ctx)
			return err
		})
		require.Error(t, err, "positioning writes")
	})
}

// Events of one call are inserted in chunks and positioned in batches,
// in the order given.
func TestEventsInBulk(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newDatabase(t, d).open(t)
		ids := make([]string, 2345)
		for i := range ids {
			ids[i] = fmt.Sprintf("e%04d", i)
		}
		insertEvents(t, s, ids...)
		require.EqualValues(t, len(ids), positionEvents(t, s))
		var got []commission.Event
		for after := int64(0); ; {
			page := readEvents(t, s, after, 1000)
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Position
		}
		requireLog(t, got, 1, ids...)
	})
}

func TestEventDuplicateID(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		insertEvents(t, s, "e1")
		for _, ids := range [][]string{{"e2", "e1"}, {"x", "x"}} {
			err := s.Update(ctx, "prog", func(tx commission.StoreTx) error { return tx.InsertEvents(ctx, newEvents(ids...)) })
			require.ErrorIs(t, err, commission.ErrDuplicateKey, "%v", ids)
		}
		require.NoError(t, s.Update(ctx, "other", func(tx commission.StoreTx) error {
			return tx.InsertEvents(ctx, newEvents("e1")) // another program's
		}))
		require.EqualValues(t, 1, positionEvents(t, s))
		requireLog(t, readEvents(t, s, 0, 10), 1, "e1")
	})
}

func TestEventsRolledBack(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		boom := errors.New("boom")
		err := s.Update(ctx, "prog", func(tx commission.StoreTx) error {
			require.NoError(t, tx.InsertEvents(ctx, newEvents("e1", "e2")))
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.EqualValues(t, 0, positionEvents(t, s))
		require.Empty(t, readEvents(t, s, 0, 10))
		insertEvents(t, s, "e1")
		require.EqualValues(t, 1, positionEvents(t, s))
		requireLog(t, readEvents(t, s, 0, 10), 1, "e1")
	})
}

// An event whose unit of work commits after a later one's is positioned
// after it, by a later PositionEvents: a reader at position 1 still
// gets it.
func TestEventsCommittedOutOfOrder(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		if d == sqlstore.SQLite {
			// A second writer waits for the first's write lock: writes
			// are serialized, so events are stored in commit order.
			t.Skip("SQLite writes one unit of work at a time")
		}
		ctx := context.Background()
		db := newDatabase(t, d)
		a, b := db.open(t), db.open(t)
		inserted, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		errA := make(chan error, 1)
		go func() {
			errA <- a.Update(ctx, "prog", func(tx commission.StoreTx) error {
				if err := tx.InsertEvents(ctx, newEvents("a")); err != nil {
					return err
				}
				// PostgreSQL sends a unit's events with its next
				// statement: this one, so that a's row is written (its
				// seq taken) before b's.
				if _, err := tx.Events(ctx, 0, 1); err != nil {
					return err
				}
				once.Do(func() { close(inserted) })
				<-release
				return nil
			})
		}()
		<-inserted
		insertEvents(t, b, "b")
		require.EqualValues(t, 1, positionEvents(t, b), "b, not waiting for a")
		requireLog(t, readEvents(t, b, 0, 10), 1, "b")
		close(release)
		require.NoError(t, <-errA)
		require.EqualValues(t, 2, positionEvents(t, b))
		requireLog(t, readEvents(t, b, 0, 10), 1, "b", "a")
		requireLog(t, readEvents(t, b, 1, 10), 2, "a")
	})
}

// Writers on their own pools insert while readers position and read with
// a cursor: each reader sees every event once, at positions with no gaps.
func TestEventsConcurrently(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		const writers, units, perUnit, readers = 4, 50, 2, 2
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		db := newDatabase(t, d)
		var wg sync.WaitGroup
		done := make(chan struct{})
		errs := make(chan error, writers+readers)
		for w := range writers {
			s := db.open(t)
			wg.Go(func() {
				for u := range units {
					ids := make([]string, perUnit)
					for i := range ids {
						ids[i] = fmt.Sprintf("w%d-u%d-%d", w, u, i)
					}
					if err := s.Update(ctx, "prog", func(tx commission.StoreTx) error { return tx.InsertEvents(ctx, newEvents(ids...)) }); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		seen := make([]map[string]int64, readers)
		var rg sync.WaitGroup
		for r := range readers {
			s := db.open(t)
			seen[r] = map[string]int64{}
			rg.Go(func() {
				if err := follow(ctx, s, done, writers*units*perUnit, seen[r]); err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
				}
			})
		}
		wg.Wait()
		close(done)
		rg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		for r := range readers {
			require.Len(t, seen[r], writers*units*perUnit, "reader %d", r)
		}
	})
}

// follow positions events and reads them after its cursor until it has
// seen total, the writers done, checking each is the next position and
// new.
func follow(ctx context.Context, s *sqlstore.Store, done <-chan struct{}, total int, seen map[string]int64) error {
	var cursor int64
	for {
		finished := false
		select {
		case <-done:
			finished = true
		default:
		}
		err := s.Update(ctx, "prog", func(tx commission.StoreTx) error {
			_, err := tx.PositionEvents(ctx)
			return err
		})
		if err != nil {
			return err
		}
		var page []commission.Event
		err = s.View(ctx, "prog", func(tx commission.StoreTx) (err error) {
			page, err = tx.Events(ctx, cursor, 37)
			return err
		})
		if err != nil {
			return err
		}
		for _, e := range page {
			if e.Position != cursor+1 {
				return fmt.Errorf("event %s at %d after %d", e.ID, e.Position, cursor)
			}
			if at, ok := seen[e.ID]; ok {
				return fmt.Errorf("event %s at %d and %d", e.ID, at, e.Position)
			}
			seen[e.ID], cursor = e.Position, e.Position
		}
		if finished && len(page) == 0 {
			if len(seen) != total {
				return fmt.Errorf("saw %d events of %d", len(seen), total)
			}
			return nil
		}
	}
}
