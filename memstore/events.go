package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/commissionkit/commission"
)

// eventLog is a program's events in insertion order. Units of work that
// write run one at a time, so insertion order is commit order: the events
// positioned are a prefix of the log, positions 1 to positioned.
type eventLog struct {
	list       []commission.Event
	ids        map[string]struct{}
	positioned int
	// mine is how many events at the end of list the Update in progress
	// inserted: not committed yet, so not positioned.
	mine int
}

func (t *tx) InsertEvents(_ context.Context, events []commission.Event) error {
	if err := t.writable(); err != nil {
		return err
	}
	log := &t.p.events
	if log.ids == nil {
		log.ids = make(map[string]struct{})
	}
	for i, e := range events {
		_, taken := log.ids[e.ID]
		if taken || slices.ContainsFunc(events[:i], func(o commission.Event) bool { return o.ID == e.ID }) {
			return fmt.Errorf("%w: event %q", commission.ErrDuplicateKey, e.ID)
		}
	}
	n := len(log.list)
	for _, e := range events {
		e.Position = 0
		e.Data = slices.Clone(e.Data)
		log.list = append(log.list, e)
		log.ids[e.ID] = struct{}{}
	}
	log.mine += len(events)
	t.onRollback(func() {
		for _, e := range log.list[n:] {
			delete(log.ids, e.ID)
		}
		clear(log.list[n:])
		log.list = log.list[:n]
		log.mine = 0
	})
	return nil
}

func (t *tx) PositionEvents(context.Context) (int64, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	log := &t.p.events
	from, to := log.positioned, len(log.list)-log.mine
	for i := from; i < to; i++ {
		log.list[i].Position = int64(i + 1)
	}
	log.positioned = to
	t.onRollback(func() {
		for i := from; i < to; i++ {
			log.list[i].Position = 0
		}
		log.positioned = from
	})
	return int64(to), nil
}

func (t *tx) Events(_ context.Context, after int64, limit int) ([]commission.Event, error) {
	log := &t.p.events
	from := int(min(max(after, 0), int64(log.positioned)))
	to := min(log.positioned, from+max(limit, 0))
	out := make([]commission.Event, to-from)
	for i := range out {
		out[i] = log.list[from+i]
		out[i].Data = slices.Clone(out[i].Data)
	}
	return out, nil
}
