package commission

import (
	"encoding/json"
	"time"
)

// Event is one entry of a program's event log: a change the engine made,
// written in the same unit of work as the change, so that an event
// exists if and only if its change committed. Its Data is the changed
// resource's JSON (a transaction, reward, refund, payout, partner or
// customer) as it was after the change.
type Event struct {
	// Position is the event's place in the program's log: positions only
	// grow, in the order events became visible (committed). It is 0 until
	// the store positions the event (StoreTx.PositionEvents).
	Position int64 `json:"position"`
	// ID identifies the event; a receiver uses it to drop a repeat.
	ID string `json:"id"`
	// Type is what happened, such as "transaction.created".
	Type      EventType       `json:"event"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// EventType names what an event reports; the names follow the published
// webhooks.
type EventType string

// The event types.
const (
	EventTransactionCreated  EventType = "transaction.created"
	EventTransactionUpdated  EventType = "transaction.updated" // refunded, in part or in full
	EventTransactionDeleted  EventType = "transaction.deleted"
	EventTransactionArchived EventType = "transaction.archived"
	EventTransactionRestored EventType = "transaction.restored"
	EventRewardCreated       EventType = "reward.created"
	EventRewardApproved      EventType = "reward.approved"
	EventRewardRejected      EventType = "reward.rejected"
	EventRewardPaid          EventType = "reward.paid"
	EventRewardReversed      EventType = "reward.reversed"
	EventPayoutCreated       EventType = "payout.created"
	EventPayoutPaid          EventType = "payout.paid"
	EventPayoutCanceled      EventType = "payout.canceled"
	EventPartnerCreated      EventType = "partner.created"
	EventPartnerUpdated      EventType = "partner.updated"
	EventPartnerArchived     EventType = "partner.archived"
	EventPartnerDeleted      EventType = "partner.deleted"
	EventCustomerCreated     EventType = "customer.created"
	EventCustomerUpdated     EventType = "customer.updated"
	EventCustomerSuspended   EventType = "customer.suspended"
	EventCustomerDeleted     EventType = "customer.deleted"
)
