package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// A program's event log: events inserted in a unit of work are
// positioned, once committed, by PositionEvents, in one order with no
// gaps, and read by position with a cursor; a unit of work that fails
// leaves none.
func eventTests() []subtest {
	return []subtest{
		{"positioned after commit and read in order", testEventsOrder},
		{"a duplicate id or a failure leaves none", testEventsRollback},
		{"programs are isolated", testEventsPrograms},
		{"tailing readers see each event once, in order", testEventsTailing},
	}
}

func eventFixture(id string, typ commission.EventType, at time.Time) commission.Event {
	return commission.Event{ID: id, Type: typ, CreatedAt: at,
		Data: []byte(`{"id":"` + id + `","amount":1.10,"z":0,"a":"é"}`)}
}

func insertEvents(t *testing.T, s commission.Store, prog string, events ...commission.Event) {
	t.Helper()
	update(t, s, prog, func(tx commission.StoreTx) { require.NoError(t, tx.InsertEvents(ctx, events)) })
}

// positionEvents positions prog's committed events and returns the log's
// last position.
func positionEvents(t *testing.T, s commission.Store, prog string) int64 {
	t.Helper()
	var n int64
	update(t, s, prog, func(tx commission.StoreTx) {
		var err error
		n, err = tx.PositionEvents(ctx)
		require.NoError(t, err)
	})
	return n
}

func readEvents(t *testing.T, s commission.Store, prog string, after int64, limit int) []commission.Event {
	t.Helper()
	var out []commission.Event
	require.NoError(t, s.View(ctx, prog, func(tx commission.StoreTx) error {
		var err error
		out, err = tx.Events(ctx, after, limit)
		return err
	}))
	return out
}

func testEventsOrder(t *testing.T, h Harness) {
	s := h.New(t)
	want := []commission.Event{
		eventFixture("e1", commission.EventTransactionCreated, t0),
		eventFixture("e2", commission.EventRewardCreated, t0.Add(time.Microsecond)),
		eventFixture("e3", commission.EventPayoutPaid, t0.Add(-time.Hour)),
	}
	insertEvents(t, s, "a", want[:2]...)
	insertEvents(t, s, "a", want[2])
	require.Empty(t, readEvents(t, s, "a", 0, 10), "events before they are positioned")
	require.EqualValues(t, 3, positionEvents(t, s, "a"))
	require.EqualValues(t, 3, positionEvents(t, s, "a"), "positioned again")
	got := readEvents(t, s, "a", 0, 10)
	require.Len(t, got, 3)
	for i, e := range got {
		w := want[i]
		w.Position = int64(i + 1)
		requireSameEvent(t, w, e)
	}
	page := readEvents(t, s, "a", 1, 1)
	require.Len(t, page, 1)
	requireSameEvent(t, got[1], page[0])
	require.Empty(t, readEvents(t, s, "a", 3, 10))
}

func requireSameEvent(t *testing.T, want, got commission.Event) {
	t.Helper()
	require.Equal(t, want.Position, got.Position, "position of %s", want.ID)
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.Type, got.Type)
	require.True(t, want.CreatedAt.Equal(got.CreatedAt), "created_at %s, want %s", got.CreatedAt, want.CreatedAt)
	require.Equal(t, string(want.Data), string(got.Data), "data kept byte for byte")
}

func testEventsRollback(t *testing.T, h Harness) {
	s := h.New(t)
	insertEvents(t, s, "a", eventFixture("e1", commission.EventPartnerCreated, t0))
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.InsertEvents(ctx, []commission.Event{eventFixture("e2", commission.EventPartnerUpdated, t0)}))
		return tx.InsertEvents(ctx, []commission.Event{eventFixture("e1", commission.EventPartnerUpdated, t0)})
	})
	requireDuplicate(t, err, "event id taken")
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.InsertEvents(ctx, []commission.Event{eventFixture("e3", commission.EventPartnerUpdated, t0)}))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		if _, err := tx.PositionEvents(ctx); err != nil {
			return err
		}
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	require.EqualValues(t, 1, positionEvents(t, s, "a"))
	got := readEvents(t, s, "a", 0, 10)
	require.Len(t, got, 1)
	require.Equal(t, "e1", got[0].ID)
	// The ids of events rolled back are free.
	insertEvents(t, s, "a", eventFixture("e2", commission.EventPartnerUpdated, t0), eventFixture("e3", commission.EventPartnerUpdated, t0))
	require.EqualValues(t, 3, positionEvents(t, s, "a"))
}

func testEventsPrograms(t *testing.T, h Harness) {
	s := h.New(t)
	insertEvents(t, s, "a", eventFixture("e1", commission.EventPartnerCreated, t0), eventFixture("e2", commission.EventPartnerCreated, t0))
	insertEvents(t, s, "b", eventFixture("e1", commission.EventCustomerCreated, t0))
	require.EqualValues(t, 1, positionEvents(t, s, "b"))
	got := readEvents(t, s, "b", 0, 10)
	require.Len(t, got, 1)
	require.Equal(t, commission.EventCustomerCreated, got[0].Type)
	require.EqualValues(t, 1, got[0].Position)
	require.Empty(t, readEvents(t, s, "a", 0, 10), "a's events, positioned by b")
	require.EqualValues(t, 2, positionEvents(t, s, "a"))
}

// Writers on several stores (peers, where the harness has them) insert
// events while readers position and read with a cursor: each reader sees
// every event exactly once, at consecutive positions.
func testEventsTailing(t *testing.T, h Harness) {
	const writers, units, readers = 4, 25, 2
	s := h.New(t)
	all := stores(t, h, s, writers+readers)
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for u := range units {
				e := eventFixture(fmt.Sprintf("w%d-%d", w, u), commission.EventTransactionCreated, t0)
				if err := all[w].Update(ctx, "a", func(tx commission.StoreTx) error {
					return tx.InsertEvents(ctx, []commission.Event{e})
				}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	seen := make([][]string, readers)
	var rg sync.WaitGroup
	for r := range readers {
		rg.Go(func() { seen[r] = tail(t, all[writers+r], writers*units, done) })
	}
	wg.Wait()
	close(done)
	rg.Wait()
	for r := range readers {
		require.Len(t, seen[r], writers*units, "reader %d", r)
		ids := map[string]bool{}
		for _, id := range seen[r] {
			require.False(t, ids[id], "reader %d saw %s twice", r, id)
			ids[id] = true
		}
	}
}

// tail positions and reads events with a cursor until it has read want
// of them, or done is closed and the log has no more; it checks that
// positions follow one another.
func tail(t *testing.T, s commission.Store, want int, done <-chan struct{}) []string {
	var ids []string
	var cursor int64
	for len(ids) < want {
		var page []commission.Event
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			if _, err := tx.PositionEvents(ctx); err != nil {
				return err
			}
			var err error
			page, err = tx.Events(ctx, cursor, 10)
			return err
		})
		if err != nil {
			t.Error(err)
			return ids
		}
		for _, e := range page {
			if e.Position != cursor+1 {
				t.Errorf("position %d after %d", e.Position, cursor)
				return ids
			}
			cursor = e.Position
			ids = append(ids, e.ID)
		}
		if len(page) == 0 {
			select {
			case <-done:
				if len(ids) < want && positionedAll(t, s, cursor) {
					return ids
				}
			default:
				time.Sleep(time.Millisecond)
			}
		}
	}
	return ids
}

// positionedAll reports whether the log has nothing after cursor once
// every committed event is positioned.
func positionedAll(t *testing.T, s commission.Store, cursor int64) bool {
	var rest []commission.Event
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		if _, err := tx.PositionEvents(ctx); err != nil {
			return err
		}
		var err error
		rest, err = tx.Events(ctx, cursor, 1)
		return err
	})
	return err == nil && len(rest) == 0
}
