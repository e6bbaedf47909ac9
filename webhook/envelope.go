package webhook

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/commissionkit/commission"
)

// Envelope is the body of every delivery: the event, with the endpoint it
// is sent to. A receiver decodes a body (once its signature is checked)
// with json.Unmarshal.
type Envelope struct {
	// Event is the event's type, such as "transaction.created".
	Event commission.EventType `json:"event"`
	// URL is the endpoint's URL, the one the body was sent to.
	URL string `json:"url"`
	// WebhookKey is the endpoint's Key.
	WebhookKey string `json:"webhook_key"`
	// CreatedAt is when the event was written.
	CreatedAt time.Time `json:"created_at"`
	// Data is the changed resource's JSON (a transaction, reward, refund,
	// payout, partner or customer) as it was after the change.
	Data json.RawMessage `json:"data"`
}

// NewEnvelope returns the envelope of ev sent to ep.
func NewEnvelope(ep *commission.Endpoint, ev *commission.Event) Envelope {
	return Envelope{Event: ev.Type, URL: ep.URL, WebhookKey: ep.Key, CreatedAt: ev.CreatedAt, Data: ev.Data}
}

// MarshalJSON writes the published body: the members event, url,
// webhook_key, created_at and data in this order, created_at in UTC with
// microseconds (commission.TimeFormat), and data verbatim (null when
// empty).
func (e Envelope) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(96 + len(e.URL) + len(e.WebhookKey) + len(e.Data))
	b.WriteString(`{"event":`)
	writeString(&b, string(e.Event))
	b.WriteString(`,"url":`)
	writeString(&b, e.URL)
	b.WriteString(`,"webhook_key":`)
	writeString(&b, e.WebhookKey)
	b.WriteString(`,"created_at":"`)
	b.WriteString(e.CreatedAt.UTC().Format(commission.TimeFormat))
	b.WriteString(`","data":`)
	if len(e.Data) == 0 {
		b.WriteString("null")
	} else {
		b.Write(e.Data)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeString writes s as a JSON string, without escaping <, > and &
// (a URL's query holds &).
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // a string always encodes
	b.Truncate(b.Len() - 1) // the newline Encode ends with
}
