package commission

import (
	"context"
	"fmt"
)

// MaxEvents is the most events one Events call returns.
const MaxEvents = 1000

// Events returns up to limit events of the program's log with a position
// above after, in position order; a limit of 0 (or above MaxEvents) reads
// MaxEvents. A reader keeps the position of the last event it read and
// passes it as after: it then sees every event exactly once and in order,
// whichever engine wrote it and however late its change committed.
//
// Positions are given after commit: when the events after after do not
// fill a page, Events first positions those committed since the last
// call, in a unit of work that writes. Events from a change that failed
// never exist.
func (e *Engine) Events(ctx context.Context, after int64, limit int) ([]Event, error) {
	if after < 0 {
		return nil, fieldError("after", fmt.Sprintf("is %d, below 0", after))
	}
	if limit <= 0 || limit > MaxEvents {
		limit = MaxEvents
	}
	page, err := viewValue(ctx, e, func(tx StoreTx) ([]Event, error) { return tx.Events(ctx, after, limit) })
	if err != nil || len(page) == limit {
		return page, err
	}
	return updateValue(ctx, e, func(tx StoreTx) ([]Event, error) {
		if _, err := tx.PositionEvents(ctx); err != nil {
			return nil, err
		}
		return tx.Events(ctx, after, limit)
	})
}
