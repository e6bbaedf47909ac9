package webhook_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/webhook"
)

// The envelope's members are in the published order, its time in UTC
// with microseconds, its data verbatim (null when empty), and a URL's &
// is not escaped.
func TestEnvelopeJSON(t *testing.T) {
	ep := &commission.Endpoint{ID: "ep_1", Key: "crm \"eu\"", URL: "https://example.com/h?a=1&b=2"}
	paris := time.FixedZone("CEST", 2*3600)
	ev := &commission.Event{Position: 7, ID: "ev_7", Type: commission.EventRewardApproved,
		CreatedAt: time.Date(2025, 5, 7, 7, 32, 48, 123456789, paris), Data: json.RawMessage(`{ "id" : "r_1" }`)}
	b, err := webhook.NewEnvelope(ep, ev).MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, `{"event":"reward.approved","url":"https://example.com/h?a=1&b=2","webhook_key":"crm \"eu\"",`+
		`"created_at":"2025-05-07T05:32:48.123456Z","data":{ "id" : "r_1" }}`, string(b))

	ev.Data = nil
	b, err = webhook.NewEnvelope(ep, ev).MarshalJSON()
	require.NoError(t, err)
	require.Contains(t, string(b), `"data":null}`)
	var env webhook.Envelope
	require.NoError(t, json.Unmarshal(b, &env))
	require.Equal(t, "crm \"eu\"", env.WebhookKey)
	require.Equal(t, time.Date(2025, 5, 7, 5, 32, 48, 123456000, time.UTC), env.CreatedAt)
}
