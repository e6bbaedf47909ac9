// Package webhook delivers a program's events (commission.Engine.Events)
// to the program's webhook endpoints (commission.Engine.CreateEndpoint),
// and helps receivers check what they get.
//
// # Sending
//
// A Dispatcher, run by the application in a goroutine or by the
// command-line tool, POSTs each event to every endpoint subscribed to it:
//
//	d := &webhook.Dispatcher{Engine: eng, Logger: logger}
//	go d.Run(ctx) // until ctx is done
//
// The body is the envelope (see Envelope)
//
//	{"event":"transaction.created","url":"https://example.com/hooks","webhook_key":"ep_1","created_at":"2025-05-07T05:32:48.000000Z","data":{...}}
//
// where data is the event's resource, as the engine wrote it. The request
// carries these headers:
//
//	Content-Type: application/json
//	User-Agent: commission-webhook/1
//	Signature: hex HMAC-SHA256 of the body under the endpoint's secret
//	Webhook-Id: the event's ID, the same on every attempt
//	Webhook-Event: the event's type
//	Webhook-Position: the event's position in the program's log
//
// A 2xx answer within Dispatcher.Timeout (5 s by default) delivers the
// event. Anything else (another status, a redirect, which is never
// followed, no answer in time, a connection refused) is an attempt that
// failed: it is tried again after an exponential backoff with jitter (see
// Dispatcher.BaseDelay), and after Dispatcher.MaxAttempts attempts the
// delivery is marked failed (commission.DeliveryFailed), and the next one
// goes. commission.Engine.RetryDelivery sends a failed delivery again.
//
// # Order and state
//
// Each endpoint gets its events in position order: only its first
// pending delivery is ever sent, and while it waits for its next attempt
// the later ones wait too. Endpoints are independent: each is served by
// a goroutine of its own, so that one slow or down endpoint holds no
// other back.
//
// Every attempt is stored (commission.Engine.RecordAttempt) before the
// next one is sent, so a dispatcher that stops, or a process that dies,
// resumes where it was. Delivery is at least once: a delivery in flight
// when the process dies, or whose answer could not be stored, is sent
// again on restart. Receivers drop such a repeat by its Webhook-Id
// header. Run one dispatcher per program at a time: two would both send
// each delivery.
//
// # Receiving
//
// A receiver checks the Signature header against the raw body with Verify
// (or reads and checks a request with VerifyRequest) before it trusts the
// body, then decodes it into an Envelope.
package webhook
