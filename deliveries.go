package commission

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The webhook package's dispatcher sends each endpoint its deliveries in
// position order: PendingDelivery gives it the next, RecordAttempt stores
// what came of it. What to do after a failure (when to try again, when
// to give up) is the dispatcher's to decide.

// scheduleBatch is the most events one PendingDelivery turns into
// deliveries.
const scheduleBatch = 500

// PendingDelivery turns the endpoint's new events into deliveries (one
// for each event it subscribes to, after its cursor) and returns its
// first pending delivery with its event, or nils when it has none. A
// disabled endpoint has none. ErrNotFound if there is no such endpoint.
func (e *Engine) PendingDelivery(ctx context.Context, endpointID string) (*Delivery, *Event, error) {
	if err := checkKey("endpoint", endpointID); err != nil {
		return nil, nil, err
	}
	now := e.clock()
	// One already pending comes before any new event's: read, no write.
	d, ev, err := viewPending(ctx, e, endpointID)
	if err != nil || d != nil {
		return d, ev, err
	}
	err = e.update(ctx, func(tx StoreTx) error {
		ep, err := tx.Endpoint(ctx, endpointID)
		if err != nil || ep.Disabled {
			return err
		}
		if err := schedule(ctx, tx, ep, now); err != nil {
			return err
		}
		d, ev, err = firstPending(ctx, tx, endpointID)
		return err
	})
	return d, ev, err
}

// viewPending is the endpoint's first pending delivery with its event,
// read in a View; nils when it has none or is disabled.
func viewPending(ctx context.Context, e *Engine, endpointID string) (*Delivery, *Event, error) {
	var d *Delivery
	var ev *Event
	err := e.view(ctx, func(tx StoreTx) error {
		ep, err := tx.Endpoint(ctx, endpointID)
		if err != nil || ep.Disabled {
			return err
		}
		d, ev, err = firstPending(ctx, tx, endpointID)
		return err
	})
	return d, ev, err
}

// schedule stores a delivery of each event after ep's cursor that ep
// subscribes to, and moves its cursor past them.
func schedule(ctx context.Context, tx StoreTx, ep *Endpoint, now time.Time) error {
	head, err := tx.PositionEvents(ctx)
	if err != nil || head <= ep.Cursor {
		return err
	}
	events, err := tx.Events(ctx, ep.Cursor, scheduleBatch)
	if err != nil || len(events) == 0 {
		return err
	}
	var ds []Delivery
	for _, ev := range events {
		if ep.Subscribes(ev.Type) {
			ds = append(ds, Delivery{EndpointID: ep.ID, Position: ev.Position, EventID: ev.ID, EventType: ev.Type,
				State: DeliveryPending, NextAttemptAt: now, UpdatedAt: now})
		}
	}
	if len(ds) > 0 {
		if err := tx.InsertDeliveries(ctx, ds); err != nil {
			return err
		}
	}
	moved := *ep
	moved.Events = slices.Clone(ep.Events)
	moved.Cursor = events[len(events)-1].Position
	return tx.UpdateEndpoint(ctx, &moved)
}

// firstPending is the endpoint's first pending delivery, with its event.
func firstPending(ctx context.Context, tx StoreTx, endpointID string) (*Delivery, *Event, error) {
	ds, err := tx.Deliveries(ctx, DeliveryQuery{EndpointID: endpointID, States: []DeliveryState{DeliveryPending}, Limit: 1})
	if err != nil || len(ds) == 0 {
		return nil, nil, err
	}
	events, err := tx.Events(ctx, ds[0].Position-1, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(events) == 0 || events[0].Position != ds[0].Position {
		return nil, nil, fmt.Errorf("commission: event %d of delivery to %q is missing", ds[0].Position, endpointID)
	}
	return &ds[0], &events[0], nil
}

// RecordAttempt stores what came of sending d: its State, Attempts,
// NextAttemptAt, LastStatus and LastError as the dispatcher set them.
// ErrNotFound if the delivery is gone (its endpoint was deleted).
func (e *Engine) RecordAttempt(ctx context.Context, d *Delivery) error {
	d.UpdatedAt = e.clock()
	return e.update(ctx, func(tx StoreTx) error { return tx.UpdateDelivery(ctx, d) })
}

// Deliveries lists an endpoint's deliveries by position, for inspection.
// A limit of 0 (or above MaxLimit) is MaxLimit.
func (e *Engine) Deliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, error) {
	if err := checkKey("endpoint", q.EndpointID); err != nil {
		return nil, err
	}
	if q.Limit <= 0 || q.Limit > MaxLimit {
		q.Limit = MaxLimit
	}
	return viewValue(ctx, e, func(tx StoreTx) ([]Delivery, error) { return tx.Deliveries(ctx, q) })
}

// RetryDelivery makes a failed delivery pending again, to be sent at once
// with its attempts counted from 0. Errors: ErrNotFound, ErrNotFailed.
func (e *Engine) RetryDelivery(ctx context.Context, endpointID string, position int64) (_ *Delivery, err error) {
	defer e.logOp(ctx, "RetryDelivery", &err, "endpoint", endpointID, "position", position)
	if err := checkKey("endpoint", endpointID); err != nil {
		return nil, err
	}
	now := e.clock()
	return updateValue(ctx, e, func(tx StoreTx) (*Delivery, error) {
		ds, err := tx.Deliveries(ctx, DeliveryQuery{EndpointID: endpointID, After: position - 1, Limit: 1})
		switch {
		case err != nil:
			return nil, err
		case len(ds) == 0 || ds[0].Position != position:
			return nil, fmt.Errorf("%w: delivery %d to %q", ErrNotFound, position, endpointID)
		case ds[0].State != DeliveryFailed:
			return nil, fmt.Errorf("%w: delivery %d to %q is %s", ErrNotFailed, position, endpointID, ds[0].State)
		}
		d := ds[0]
		d.State, d.Attempts, d.NextAttemptAt, d.UpdatedAt = DeliveryPending, 0, now, now
		return &d, tx.UpdateDelivery(ctx, &d)
	})
}
