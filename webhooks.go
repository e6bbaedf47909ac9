package commission

import "time"

// Endpoint is a URL that receives the program's events as webhooks: the
// webhook package's dispatcher POSTs each event the endpoint subscribes
// to, in position order, signed with its Secret, and keeps a Delivery of
// each.
type Endpoint struct {
	ID string `json:"id"`
	// Key is the endpoint's own unique key, sent as webhook_key in each
	// delivery's envelope.
	Key string `json:"key"`
	URL string `json:"url"`
	// Secret signs each delivery's body (the Signature header). It is
	// never written in the endpoint's JSON.
	Secret string `json:"-"`
	// Events are the event types it receives; every type when empty.
	Events []EventType `json:"events,omitempty"`
	// Disabled endpoints receive nothing; their events are skipped, not
	// kept for later.
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// Cursor is the position of the last event the endpoint has a
	// delivery for, or has skipped.
	Cursor int64 `json:"cursor"`
}

// Subscribes reports whether the endpoint receives events of typ.
func (ep *Endpoint) Subscribes(typ EventType) bool {
	if len(ep.Events) == 0 {
		return true
	}
	for _, t := range ep.Events {
		if t == typ {
			return true
		}
	}
	return false
}

// EndpointInput creates or changes an endpoint.
type EndpointInput struct {
	// Key is optional on create (the endpoint's ID then) and cannot
	// change.
	Key string `json:"key,omitempty"`
	// URL is an absolute http or https URL.
	URL string `json:"url"`
	// Secret is at least 16 bytes; on create, empty makes the engine
	// choose one (returned once, in the created Endpoint); on update,
	// empty keeps it.
	Secret   string      `json:"secret,omitempty"`
	Events   []EventType `json:"events,omitempty"`
	Disabled bool        `json:"disabled,omitempty"`
}

// DeliveryState is where a delivery stands.
type DeliveryState string

// The delivery states.
const (
	// DeliveryPending is to be sent: at NextAttemptAt, after the
	// endpoint's earlier pending deliveries.
	DeliveryPending DeliveryState = "pending"
	// DeliveryDelivered was answered with a 2xx status.
	DeliveryDelivered DeliveryState = "delivered"
	// DeliveryFailed was tried as often as the dispatcher tries, or was
	// given up; RetryDelivery sends it again.
	DeliveryFailed DeliveryState = "failed"
)

// Delivery is one event sent, or to be sent, to one endpoint.
type Delivery struct {
	EndpointID string        `json:"endpoint"`
	Position   int64         `json:"position"` // the event's
	EventID    string        `json:"event_id"`
	EventType  EventType     `json:"event"`
	State      DeliveryState `json:"state"`
	Attempts   int           `json:"attempts"`
	// NextAttemptAt is when a pending delivery is next sent.
	NextAttemptAt time.Time `json:"next_attempt_at"`
	// LastStatus is the HTTP status of the last attempt, 0 when it had
	// none (it failed before an answer); LastError says why it failed.
	LastStatus int       `json:"last_status,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// DeliveryQuery selects deliveries, by position, for Engine.Deliveries
// and StoreTx.Deliveries.
type DeliveryQuery struct {
	// EndpointID is the endpoint whose deliveries are listed (required).
	EndpointID string `json:"endpoint"`
	// States filters when non-empty.
	States []DeliveryState `json:"states,omitempty"`
	// After starts the page after this position.
	After int64 `json:"after,omitempty"`
	// Limit is the most returned (the engine: 0 or above MaxLimit is
	// MaxLimit).
	Limit int `json:"limit,omitempty"`
}
