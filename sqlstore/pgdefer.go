package sqlstore

import (
	"context"
	"database/sql"
	"slices"

	"github.com/commissionkit/commission"
)

// On PostgreSQL a unit of work that writes keeps its counter additions
// until its next statement, and sends them first; when that statement is
// a sale's insert, in it (one round trip fewer a sale: the sale adds to
// its counters just before it is written). No statement runs before the
// additions that came before it, so every read sees them and locks are
// taken in the order they were asked for, only later. An addition that
// fails is reported as the unit of work's error (adds.err), whichever
// statement sent it: the database transaction is aborted by then.

// deferredAdds is a unit of work's counter additions and events not yet
// sent, and the statements they go before. Events are kept the same way:
// a sale's ride on its insert too.
type deferredAdds struct {
	q      queryer
	deltas []commission.CounterDelta
	events []commission.Event
	err    error
}

// keep adds deltas, sorted by key, to the additions kept, keeping them
// sorted.
func (a *deferredAdds) keep(deltas []commission.CounterDelta) {
	a.deltas = append(a.deltas, deltas...)
	slices.SortStableFunc(a.deltas, func(a, b commission.CounterDelta) int { return a.Key.Compare(b.Key) })
}

// take returns the additions kept, forgetting them: the caller sends them.
func (a *deferredAdds) take() []commission.CounterDelta {
	d := a.deltas
	a.deltas = nil
	return d
}

// flush sends the additions and events kept, if any.
func (a *deferredAdds) flush(ctx context.Context, t *tx) error {
	if a.err == nil && len(a.deltas) > 0 {
		a.err = t.pgAddCounters(ctx, a.q, a.take())
	}
	if a.err == nil && len(a.events) > 0 {
		events := a.events
		a.events = nil
		a.err = t.insertEvents(ctx, a.q, events)
	}
	return a.err
}

// addsFirst is the queryer of a unit of work that keeps counter additions:
// each statement sends them first.
type addsFirst struct{ t *tx }

func (f addsFirst) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := f.t.adds.flush(ctx, f.t); err != nil {
		return nil, err
	}
	return f.t.adds.q.ExecContext(ctx, query, args...)
}

func (f addsFirst) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := f.t.adds.flush(ctx, f.t); err != nil {
		return nil, err
	}
	return f.t.adds.q.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query even when the additions failed (a *sql.Row
// cannot carry another error): the aborted transaction refuses it, and
// the unit of work reports the additions' error.
func (f addsFirst) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	_ = f.t.adds.flush(ctx, f.t)
	return f.t.adds.q.QueryRowContext(ctx, query, args...)
}

// keepAdds makes t keep its counter additions for its next statement.
func (t *tx) keepAdds(q queryer) {
	t.adds = &deferredAdds{q: q}
	t.q = addsFirst{t: t}
}

// settleAdds sends what t kept before it commits, and returns the error
// that failed the unit of work: the additions', when they failed, as the
// later statement's error only says the transaction was aborted.
func (t *tx) settleAdds(ctx context.Context, err error) error {
	if t.adds == nil {
		return err
	}
	if err == nil {
		err = t.adds.flush(ctx, t)
	}
	if t.adds.err != nil {
		return t.adds.err
	}
	return err
}
