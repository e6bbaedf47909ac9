package commission_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

func TestCreateEndpointValidates(t *testing.T) {
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	_, err := eng.CreateEndpoint(context.Background(), commission.EndpointInput{
		URL: "ftp://example.com/x", Secret: "short", Events: []commission.EventType{"reward.created", "sale.made"},
	})
	requireFields(t, err, "url", "secret", "events[1]")
	eps, err := eng.Endpoints(context.Background())
	require.NoError(t, err)
	require.Empty(t, eps, "nothing stored")
}

// An endpoint gets deliveries of the events written after it was created,
// of the types it subscribes to, one at a time in position order.
func TestEndpointDeliveriesInOrder(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng) // events before the endpoint: not delivered
	ep, err := eng.CreateEndpoint(ctx, commission.EndpointInput{URL: "https://example.com/hook",
		Events: []commission.EventType{commission.EventTransactionCreated, commission.EventRewardCreated}})
	require.NoError(t, err)
	require.Len(t, ep.Secret, 64, "a secret chosen")
	require.Equal(t, ep.ID, ep.Key)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "other"}) // not subscribed
	require.NoError(t, err)
	for _, key := range []string{"s1", "s2"} {
		_, err = eng.CreateTransaction(ctx, sale(key, "customer_123", "100"))
		require.NoError(t, err)
	}

	var sent []commission.EventType
	for {
		d, ev, err := eng.PendingDelivery(ctx, ep.ID)
		require.NoError(t, err)
		if d == nil {
			break
		}
		require.Equal(t, ev.Position, d.Position)
		require.Equal(t, ev.Type, d.EventType)
		sent = append(sent, ev.Type)
		d.State, d.Attempts, d.LastStatus = commission.DeliveryDelivered, 1, 200
		require.NoError(t, eng.RecordAttempt(ctx, d))
	}
	require.Equal(t, []commission.EventType{commission.EventTransactionCreated, commission.EventRewardCreated,
		commission.EventTransactionCreated, commission.EventRewardCreated}, sent)
	ds, err := eng.Deliveries(ctx, commission.DeliveryQuery{EndpointID: ep.ID})
	require.NoError(t, err)
	require.Len(t, ds, 4)
	for _, d := range ds {
		require.Equal(t, commission.DeliveryDelivered, d.State)
		require.Equal(t, clock.Now().UTC(), d.UpdatedAt.UTC())
	}
}

// A failed delivery waits for its retry, holding the later ones back;
// RetryDelivery sends a failed one again.
func TestDeliveryRetry(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	ep, err := eng.CreateEndpoint(ctx, commission.EndpointInput{URL: "http://127.0.0.1:1/hook", Secret: "0123456789abcdef"})
	require.NoError(t, err)
	affiliateSetup(t, eng)
	d, _, err := eng.PendingDelivery(ctx, ep.ID)
	require.NoError(t, err)
	first := d.Position
	_, err = eng.RetryDelivery(ctx, ep.ID, first)
	require.ErrorIs(t, err, commission.ErrNotFailed)
	d.Attempts, d.LastError, d.NextAttemptAt = 1, "connection refused", d.NextAttemptAt.Add(time.Minute)
	require.NoError(t, eng.RecordAttempt(ctx, d))
	again, _, err := eng.PendingDelivery(ctx, ep.ID)
	require.NoError(t, err)
	require.Equal(t, first, again.Position, "the first still comes first")
	require.Equal(t, 1, again.Attempts)

	again.State = commission.DeliveryFailed
	require.NoError(t, eng.RecordAttempt(ctx, again))
	next, _, err := eng.PendingDelivery(ctx, ep.ID)
	require.NoError(t, err)
	require.Greater(t, next.Position, first, "a failed one no longer holds the others")
	retried, err := eng.RetryDelivery(ctx, ep.ID, first)
	require.NoError(t, err)
	require.Equal(t, commission.DeliveryPending, retried.State)
	require.Zero(t, retried.Attempts)
	_, err = eng.RetryDelivery(ctx, ep.ID, 999)
	require.ErrorIs(t, err, commission.ErrNotFound)
}

// A disabled endpoint gets nothing, and once enabled only what is
// written from then on; a deleted one is gone with its deliveries.
func TestEndpointDisabledAndDeleted(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	ep, err := eng.CreateEndpoint(ctx, commission.EndpointInput{URL: "https://example.com/h", Disabled: true})
	require.NoError(t, err)
	affiliateSetup(t, eng)
	d, _, err := eng.PendingDelivery(ctx, ep.ID)
	require.NoError(t, err)
	require.Nil(t, d, "disabled")
	_, err = eng.UpdateEndpoint(ctx, ep.ID, commission.EndpointInput{URL: "https://example.com/h2"})
	require.NoError(t, err)
	d, _, err = eng.PendingDelivery(ctx, ep.ID)
	require.NoError(t, err)
	require.Nil(t, d, "the events written while disabled are skipped")
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "later"})
	require.NoError(t, err)
	d, ev, err := eng.PendingDelivery(ctx, ep.ID)
	require.NoError(t, err)
	require.Equal(t, commission.EventPartnerCreated, ev.Type)
	require.Equal(t, ev.Position, d.Position)

	_, err = eng.UpdateEndpoint(ctx, ep.ID, commission.EndpointInput{Key: "another", URL: "https://example.com/h2"})
	requireFields(t, err, "key")
	require.NoError(t, eng.DeleteEndpoint(ctx, ep.ID))
	_, err = eng.Endpoint(ctx, ep.ID)
	require.ErrorIs(t, err, commission.ErrNotFound)
	require.ErrorIs(t, eng.DeleteEndpoint(ctx, ep.ID), commission.ErrNotFound)
}
