package commission

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// An operation records its events on the StoreTx its Update was given
// (record), and the engine writes them, in one InsertEvents call, as the
// unit of work's last write: an event exists if and only if its change
// committed. Their data is encoded then, so that it shows the resource
// as the operation left it.

// eventTx is the StoreTx an Engine's Update hands its operation.
type eventTx struct {
	StoreTx
	e       *Engine
	pending []pendingEvent
}

// pendingEvent is an event recorded and not written yet: what happened,
// and to what.
type pendingEvent struct {
	typ EventType
	v   any
}

// record notes that typ happened to v (a *Transaction, *Reward, *Refund,
// *Payout, *Partner or *Customer), in the Update tx belongs to. An engine
// that writes no events (WithoutEvents) or a read records nothing.
func record(tx StoreTx, typ EventType, v any) {
	if et, ok := tx.(*eventTx); ok {
		et.pending = append(et.pending, pendingEvent{typ: typ, v: v})
	}
}

// recordAll records typ for each of vs.
func recordAll[T any](tx StoreTx, typ EventType, vs []T) {
	for i := range vs {
		record(tx, typ, &vs[i])
	}
}

// writeEvents stores the events recorded so far in tx's Update, before
// the operation's last write: a store may send them with it (a sale's
// insert, on PostgreSQL).
func writeEvents(ctx context.Context, tx StoreTx) error {
	et, ok := tx.(*eventTx)
	if !ok {
		return nil
	}
	return et.write(ctx, et.e.clock())
}

// write stores the events recorded, as of now, and forgets them.
func (et *eventTx) write(ctx context.Context, now time.Time) error {
	if len(et.pending) == 0 {
		return nil
	}
	defer func() { et.pending = et.pending[:0] }()
	events := make([]Event, len(et.pending))
	for i, p := range et.pending {
		data, err := marshal(et.e.presented(p.v, now))
		if err != nil {
			return fmt.Errorf("commission: %s event: %w", p.typ, err)
		}
		// Not the engine's id generator: events do not take the ids that
		// a program's resources would get.
		events[i] = Event{ID: uuid.NewString(), Type: p.typ, CreatedAt: now, Data: data}
	}
	return et.StoreTx.InsertEvents(ctx, events)
}

// marshal is v's JSON: by its own MarshalJSON when it has one, whose
// output json.Marshal would only check and copy again.
func marshal(v any) ([]byte, error) {
	if m, ok := v.(json.Marshaler); ok {
		return m.MarshalJSON()
	}
	return json.Marshal(v)
}

// presented is v as the engine answers it.
func (e *Engine) presented(v any, now time.Time) any {
	switch r := v.(type) {
	case *Transaction:
		return e.present(r, now)
	case *Reward:
		e.presentReward(r, now)
	}
	return v
}

// recordSale records a new sale and its rewards.
func recordSale(tx StoreTx, t *Transaction) {
	record(tx, EventTransactionCreated, t)
	recordAll(tx, EventRewardCreated, t.Rewards)
}

// recordState records t's move to state (at when it is deleted or
// archived), and the reversal of its rewards when it is deleted or
// archived. t is the stored value: the event shows a copy.
func recordState(tx StoreTx, t *Transaction, state TransactionState, at *time.Time) {
	after := t.Clone()
	after.State = state
	after.DeletedAt = copyTime(at)
	typ := EventTransactionRestored
	switch state {
	case TransactionDeleted:
		typ = EventTransactionDeleted
	case TransactionArchived:
		typ = EventTransactionArchived
	}
	record(tx, typ, after)
	if state == TransactionActive {
		return
	}
	for i := range after.Rewards {
		r := &after.Rewards[i]
		if r.DeletedAt == nil {
			r.DeletedAt = copyTime(at)
			record(tx, EventRewardReversed, r)
		}
	}
}

// recordDecision records the decision on r, the stored reward.
func recordDecision(tx StoreTx, r *Reward, status RewardStatus, reason string, at time.Time) {
	after := *r
	after.Status, after.Reason, after.DecidedAt = status, reason, &at
	typ := EventRewardApproved
	if status == RewardRejected {
		typ = EventRewardRejected
	}
	record(tx, typ, &after)
}

// recordRefund records what a refund leaves of t, the stored sale.
func recordRefund(tx StoreTx, t *Transaction, left RefundedSale) {
	after := t.Clone()
	after.Refunded, after.Qualified = left.Refunded, left.Qualified
	record(tx, EventTransactionUpdated, after)
}

// customerStatusEvent is the event of a customer's move to status.
func customerStatusEvent(status CustomerStatus) EventType {
	if status == CustomerSuspended {
		return EventCustomerSuspended
	}
	return EventCustomerUpdated
}

// partnerStatusEvent is the event of a partner's move to status.
func partnerStatusEvent(status PartnerStatus) EventType {
	if status == PartnerArchived {
		return EventPartnerArchived
	}
	return EventPartnerUpdated
}
