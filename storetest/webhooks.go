package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// A program's webhook endpoints, found by id and listed oldest first, and
// their deliveries, one per event position, listed by position and
// filtered by state; deleting an endpoint deletes its deliveries, and a
// unit of work that fails leaves none of its writes.
func webhookTests() []subtest {
	return []subtest{
		{"endpoints keep every field", testEndpointValues},
		{"a taken endpoint id or key is a duplicate", testEndpointDuplicates},
		{"an update stores the endpoint's changeable fields", testEndpointUpdate},
		{"endpoints are listed oldest first, then by id", testEndpointOrder},
		{"deleting an endpoint deletes its deliveries", testEndpointDelete},
		{"deliveries keep every field", testDeliveryValues},
		{"a taken position is a duplicate, an unknown endpoint not found", testDeliveryErrors},
		{"deliveries are read by position, state and limit", testDeliveryQuery},
		{"a failed unit of work leaves none of its writes", testWebhooksRollback},
		{"programs are isolated", testWebhooksPrograms},
		{"values passed are not kept by the store", testWebhooksValues},
		{"no delivery outlives its endpoint", testDeliveriesDeletedConcurrently},
	}
}

// plus2 is a zone the times of the fixtures are in: a store keeps the
// instant, not the zone.
var plus2 = time.FixedZone("plus2", 2*60*60)

// endpointFixture is endpoint id, keyed key-id, created at at, receiving
// events (every type when none).
func endpointFixture(id string, at time.Time, events ...commission.EventType) *commission.Endpoint {
	return &commission.Endpoint{ID: id, Key: "key-" + id, URL: "https://hooks.example.test/" + id + "?a=1&b=é",
		Secret: "whsec_" + id + "_0123456789abcdef", Events: events, CreatedAt: at}
}

// deliveryFixture is a delivery to endpoint of the event at position, in
// state.
func deliveryFixture(endpoint string, position int64, state commission.DeliveryState) commission.Delivery {
	d := commission.Delivery{EndpointID: endpoint, Position: position, EventID: fmt.Sprintf("ev-%d", position),
		EventType: commission.EventTransactionCreated, State: state,
		NextAttemptAt: t0.Add(time.Duration(position)*time.Minute + 7*time.Microsecond), UpdatedAt: t0.Add(time.Duration(position) * time.Second)}
	if state != commission.DeliveryPending {
		d.Attempts, d.LastStatus, d.LastError = 3, 500, "server error"
	}
	return d
}

func insertEndpoints(t *testing.T, s commission.Store, prog string, eps ...*commission.Endpoint) {
	t.Helper()
	update(t, s, prog, func(tx commission.StoreTx) {
		for _, ep := range eps {
			require.NoError(t, tx.InsertEndpoint(ctx, ep))
		}
	})
}

func insertDeliveries(t *testing.T, s commission.Store, prog string, ds ...commission.Delivery) {
	t.Helper()
	update(t, s, prog, func(tx commission.StoreTx) { require.NoError(t, tx.InsertDeliveries(ctx, ds)) })
}

func getEndpoint(t *testing.T, s commission.Store, prog, id string) (*commission.Endpoint, error) {
	t.Helper()
	return read(t, s, prog, func(tx commission.StoreTx) (*commission.Endpoint, error) { return tx.Endpoint(ctx, id) })
}

func listEndpoints(t *testing.T, s commission.Store, prog string) []*commission.Endpoint {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]*commission.Endpoint, error) { return tx.Endpoints(ctx) })
	require.NoError(t, err)
	return out
}

func listDeliveries(t *testing.T, s commission.Store, prog string, q commission.DeliveryQuery) []commission.Delivery {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]commission.Delivery, error) { return tx.Deliveries(ctx, q) })
	require.NoError(t, err)
	return out
}

// allDeliveries lists every delivery of an endpoint.
func allDeliveries(t *testing.T, s commission.Store, prog, endpoint string) []commission.Delivery {
	t.Helper()
	return listDeliveries(t, s, prog, commission.DeliveryQuery{EndpointID: endpoint, Limit: 1000})
}

func endpointIDs(eps []*commission.Endpoint) []string {
	ids := []string{}
	for _, ep := range eps {
		ids = append(ids, ep.ID)
	}
	return ids
}

func positionsOf(ds []commission.Delivery) []int64 {
	ps := []int64{}
	for _, d := range ds {
		ps = append(ps, d.Position)
	}
	return ps
}

func requireSameEndpoint(t tb, want, got *commission.Endpoint) {
	t.Helper()
	what := "endpoint " + want.ID
	require.NotNil(t, got, what)
	require.Equal(t, want.ID, got.ID, what)
	require.Equal(t, want.Key, got.Key, what)
	require.Equal(t, want.URL, got.URL, what)
	require.Equal(t, want.Secret, got.Secret, what)
	if len(want.Events) == 0 {
		require.Empty(t, got.Events, what+" Events")
	} else {
		require.Equal(t, want.Events, got.Events, what+" Events")
	}
	require.Equal(t, want.Disabled, got.Disabled, what)
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
	require.Equal(t, want.Cursor, got.Cursor, what)
}

func requireSameDelivery(t tb, want, got commission.Delivery) {
	t.Helper()
	what := fmt.Sprintf("delivery %s@%d", want.EndpointID, want.Position)
	require.Equal(t, want.EndpointID, got.EndpointID, what)
	require.Equal(t, want.Position, got.Position, what)
	require.Equal(t, want.EventID, got.EventID, what)
	require.Equal(t, want.EventType, got.EventType, what)
	require.Equal(t, want.State, got.State, what)
	require.Equal(t, want.Attempts, got.Attempts, what)
	requireTime(t, want.NextAttemptAt, got.NextAttemptAt, what+" NextAttemptAt")
	require.Equal(t, want.LastStatus, got.LastStatus, what)
	require.Equal(t, want.LastError, got.LastError, what)
	requireTime(t, want.UpdatedAt, got.UpdatedAt, what+" UpdatedAt")
}

func requireSameDeliveries(t tb, want, got []commission.Delivery) {
	t.Helper()
	require.Equal(t, positionsOf(want), positionsOf(got))
	for i := range want {
		requireSameDelivery(t, want[i], got[i])
	}
}

func testEndpointValues(t *testing.T, h Harness) {
	s := h.New(t)
	all := endpointFixture("e1", time.Date(2025, 5, 1, 13, 0, 0, 123456000, plus2))
	some := endpointFixture("e2", t0.Add(time.Microsecond),
		commission.EventTransactionCreated, commission.EventRewardPaid, commission.EventPayoutCanceled)
	some.Key, some.Secret = "Ключ e2", "s3cr3t with spaces, \"quotes\" and é  "
	some.Disabled, some.Cursor = true, 1<<40
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertEndpoint(ctx, all))
		require.NoError(t, tx.InsertEndpoint(ctx, some))
		got, err := tx.Endpoint(ctx, "e2")
		require.NoError(t, err, "an endpoint read in the unit of work that inserted it")
		requireSameEndpoint(t, some, got)
	})
	for _, want := range []*commission.Endpoint{all, some} {
		got, err := getEndpoint(t, s, "a", want.ID)
		require.NoError(t, err)
		requireSameEndpoint(t, want, got)
	}
	listed := listEndpoints(t, s, "a")
	require.Equal(t, []string{"e1", "e2"}, endpointIDs(listed))
	requireSameEndpoint(t, all, listed[0])
	requireSameEndpoint(t, some, listed[1])
	_, err := getEndpoint(t, s, "a", "e3")
	requireNotFound(t, err, "endpoint e3")
	_, err = getEndpoint(t, s, "a", "")
	requireNotFound(t, err, "endpoint with no id")
}

func testEndpointDuplicates(t *testing.T, h Harness) {
	s := h.New(t)
	e1 := endpointFixture("e1", t0)
	insertEndpoints(t, s, "a", e1)
	sameID := endpointFixture("e1", t0.Add(time.Hour))
	sameID.Key = "another key"
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.InsertEndpoint(ctx, sameID) })
	requireDuplicate(t, err, "endpoint id taken")
	sameKey := endpointFixture("e2", t0.Add(time.Hour))
	sameKey.Key = e1.Key
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.InsertEndpoint(ctx, sameKey) })
	requireDuplicate(t, err, "endpoint key taken")
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		if err := tx.InsertEndpoint(ctx, endpointFixture("e3", t0)); err != nil {
			return err
		}
		e4 := endpointFixture("e4", t0)
		e4.Key = "key-e3"
		return tx.InsertEndpoint(ctx, e4)
	})
	requireDuplicate(t, err, "endpoint key taken in the same unit of work")

	got, err := getEndpoint(t, s, "a", "e1")
	require.NoError(t, err)
	requireSameEndpoint(t, e1, got)
	require.Equal(t, []string{"e1"}, endpointIDs(listEndpoints(t, s, "a")))
	insertEndpoints(t, s, "a", endpointFixture("e3", t0), endpointFixture("e2", t0))
	require.Equal(t, []string{"e1", "e2", "e3"}, endpointIDs(listEndpoints(t, s, "a")))
}

func testEndpointUpdate(t *testing.T, h Harness) {
	s := h.New(t)
	e1 := endpointFixture("e1", t0, commission.EventPartnerCreated)
	e2 := endpointFixture("e2", t0)
	insertEndpoints(t, s, "a", e1, e2)

	changed := *e1
	changed.URL, changed.Secret = "http://other.example.test/hook", "a new secret of 16+ bytes"
	changed.Events = []commission.EventType{commission.EventRewardCreated, commission.EventRewardApproved}
	changed.Disabled, changed.Cursor = true, 77
	// Neither the key nor the creation time changes.
	passed := changed
	passed.Key, passed.CreatedAt = "key-changed", t0.Add(time.Hour)
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.UpdateEndpoint(ctx, &passed)) })
	got, err := getEndpoint(t, s, "a", "e1")
	require.NoError(t, err)
	requireSameEndpoint(t, &changed, got)
	other, err := getEndpoint(t, s, "a", "e2")
	require.NoError(t, err)
	requireSameEndpoint(t, e2, other)

	// Back to every event type, enabled; then the same values again.
	changed.Events, changed.Disabled, changed.Cursor = nil, false, 78
	for range 2 {
		update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.UpdateEndpoint(ctx, &changed)) })
		got, err = getEndpoint(t, s, "a", "e1")
		require.NoError(t, err)
		requireSameEndpoint(t, &changed, got)
	}

	err = s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.UpdateEndpoint(ctx, endpointFixture("e3", t0)) })
	requireNotFound(t, err, "update of endpoint e3")
	_, err = getEndpoint(t, s, "a", "e3")
	requireNotFound(t, err, "endpoint e3 after its update")
}

func testEndpointOrder(t *testing.T, h Harness) {
	s := h.New(t)
	require.Empty(t, listEndpoints(t, s, "a"))
	// Ids that share a time are in byte order ("B" before "a").
	insertEndpoints(t, s, "a", endpointFixture("late", t0.Add(time.Hour)), endpointFixture("b", t0))
	insertEndpoints(t, s, "a", endpointFixture("early", t0.Add(-time.Hour)), endpointFixture("B", t0), endpointFixture("a", t0))
	insertEndpoints(t, s, "a", endpointFixture("next", t0.Add(time.Microsecond)))
	require.Equal(t, []string{"early", "B", "a", "b", "next", "late"}, endpointIDs(listEndpoints(t, s, "a")))
}

func testEndpointDelete(t *testing.T, h Harness) {
	s := h.New(t)
	e1, e2 := endpointFixture("e1", t0), endpointFixture("e2", t0)
	insertEndpoints(t, s, "a", e1, e2)
	insertDeliveries(t, s, "a",
		deliveryFixture("e1", 1, commission.DeliveryDelivered), deliveryFixture("e1", 2, commission.DeliveryPending),
		deliveryFixture("e2", 1, commission.DeliveryFailed), deliveryFixture("e2", 3, commission.DeliveryPending))

	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.DeleteEndpoint(ctx, "e1")) })
	_, err := getEndpoint(t, s, "a", "e1")
	requireNotFound(t, err, "deleted endpoint e1")
	require.Empty(t, allDeliveries(t, s, "a", "e1"))
	require.Equal(t, []int64{1, 3}, positionsOf(allDeliveries(t, s, "a", "e2")), "the other endpoint's deliveries")
	require.Equal(t, []string{"e2"}, endpointIDs(listEndpoints(t, s, "a")))

	err = s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.DeleteEndpoint(ctx, "e1") })
	requireNotFound(t, err, "endpoint e1 deleted again")
	gone := deliveryFixture("e1", 1, commission.DeliveryFailed)
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.UpdateDelivery(ctx, &gone) })
	requireNotFound(t, err, "delivery of deleted endpoint e1")

	// The id and key are free, and the new endpoint has no deliveries.
	again := endpointFixture("e1", t0.Add(time.Hour), commission.EventPayoutPaid)
	insertEndpoints(t, s, "a", again)
	got, err := getEndpoint(t, s, "a", "e1")
	require.NoError(t, err)
	requireSameEndpoint(t, again, got)
	require.Empty(t, allDeliveries(t, s, "a", "e1"))
	d := deliveryFixture("e1", 1, commission.DeliveryPending)
	insertDeliveries(t, s, "a", d)
	requireSameDeliveries(t, []commission.Delivery{d}, allDeliveries(t, s, "a", "e1"))

	// Deleted and created again in one unit of work.
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.DeleteEndpoint(ctx, "e1"))
		require.NoError(t, tx.InsertEndpoint(ctx, again))
		got, err := tx.Deliveries(ctx, commission.DeliveryQuery{EndpointID: "e1", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, got)
	})
	require.Empty(t, allDeliveries(t, s, "a", "e1"))
}

func testDeliveryValues(t *testing.T, h Harness) {
	s := h.New(t)
	insertEndpoints(t, s, "a", endpointFixture("e1", t0))
	full := commission.Delivery{EndpointID: "e1", Position: 1 << 40, EventID: "evt_ü-1", EventType: commission.EventCustomerSuspended,
		State: commission.DeliveryFailed, Attempts: 12,
		NextAttemptAt: time.Date(2025, 6, 2, 3, 4, 5, 678901000, plus2), LastStatus: 503,
		LastError: "connection refused: \"quoted\", é\nsecond line", UpdatedAt: t0.Add(-123456 * time.Microsecond)}
	bare := deliveryFixture("e1", 7, commission.DeliveryPending)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertDeliveries(ctx, []commission.Delivery{full, bare}))
		require.NoError(t, tx.InsertDeliveries(ctx, nil), "no deliveries")
		got, err := tx.Deliveries(ctx, commission.DeliveryQuery{EndpointID: "e1", Limit: 10})
		require.NoError(t, err, "deliveries read in the unit of work that inserted them")
		requireSameDeliveries(t, []commission.Delivery{bare, full}, got)
	})
	requireSameDeliveries(t, []commission.Delivery{bare, full}, allDeliveries(t, s, "a", "e1"))

	// An update stores the state and what the attempts left, not the
	// event.
	sent := bare
	sent.State, sent.Attempts, sent.NextAttemptAt = commission.DeliveryDelivered, 1, t0.Add(time.Hour+time.Microsecond)
	sent.LastStatus, sent.LastError, sent.UpdatedAt = 204, "", t0.Add(2*time.Hour+3*time.Microsecond)
	passed := sent
	passed.EventID, passed.EventType = "other", commission.EventPayoutPaid
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.UpdateDelivery(ctx, &passed)) })
	requireSameDeliveries(t, []commission.Delivery{sent, full}, allDeliveries(t, s, "a", "e1"))
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.UpdateDelivery(ctx, &sent)) }) // no change
	requireSameDeliveries(t, []commission.Delivery{sent, full}, allDeliveries(t, s, "a", "e1"))

	for _, d := range []commission.Delivery{deliveryFixture("e1", 8, commission.DeliveryPending), deliveryFixture("e2", 7, commission.DeliveryPending)} {
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.UpdateDelivery(ctx, &d) })
		requireNotFound(t, err, fmt.Sprintf("update of delivery %s@%d", d.EndpointID, d.Position))
	}
	requireSameDeliveries(t, []commission.Delivery{sent, full}, allDeliveries(t, s, "a", "e1"))
}

func testDeliveryErrors(t *testing.T, h Harness) {
	s := h.New(t)
	insertEndpoints(t, s, "a", endpointFixture("e1", t0), endpointFixture("e2", t0))
	stored := []commission.Delivery{deliveryFixture("e1", 1, commission.DeliveryDelivered), deliveryFixture("e1", 2, commission.DeliveryPending)}
	insertDeliveries(t, s, "a", stored...)

	for _, c := range []struct {
		what string
		ds   []commission.Delivery
	}{
		{"position taken", []commission.Delivery{deliveryFixture("e1", 3, commission.DeliveryPending), deliveryFixture("e1", 2, commission.DeliveryFailed)}},
		{"position twice", []commission.Delivery{deliveryFixture("e1", 5, commission.DeliveryPending), deliveryFixture("e1", 5, commission.DeliveryPending)}},
	} {
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.InsertDeliveries(ctx, c.ds) })
		requireDuplicate(t, err, c.what)
	}
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertDeliveries(ctx, []commission.Delivery{deliveryFixture("e1", 4, commission.DeliveryPending), deliveryFixture("e9", 1, commission.DeliveryPending)})
	})
	requireNotFound(t, err, "deliveries to unknown endpoint e9")
	requireSameDeliveries(t, stored, allDeliveries(t, s, "a", "e1"))
	require.Empty(t, allDeliveries(t, s, "a", "e9"))

	// A position is taken per endpoint.
	other := deliveryFixture("e2", 2, commission.DeliveryPending)
	insertDeliveries(t, s, "a", other)
	requireSameDeliveries(t, []commission.Delivery{other}, allDeliveries(t, s, "a", "e2"))
	requireSameDeliveries(t, stored, allDeliveries(t, s, "a", "e1"))
}

func testDeliveryQuery(t *testing.T, h Harness) {
	s := h.New(t)
	insertEndpoints(t, s, "a", endpointFixture("e1", t0), endpointFixture("e2", t0))
	states := map[int64]commission.DeliveryState{
		1: commission.DeliveryDelivered, 2: commission.DeliveryPending, 3: commission.DeliveryFailed,
		5: commission.DeliveryPending, 8: commission.DeliveryDelivered, 9: commission.DeliveryPending, 12: commission.DeliveryFailed,
	}
	d := func(p int64) commission.Delivery { return deliveryFixture("e1", p, states[p]) }
	// Inserted out of position order, in two units of work.
	insertDeliveries(t, s, "a", d(9), d(2), d(12), deliveryFixture("e2", 4, commission.DeliveryPending))
	insertDeliveries(t, s, "a", d(5), d(1), d(8), d(3))

	pending, delivered, failed := commission.DeliveryPending, commission.DeliveryDelivered, commission.DeliveryFailed
	for _, c := range []struct {
		q    commission.DeliveryQuery
		want []int64
	}{
		{commission.DeliveryQuery{EndpointID: "e1", Limit: 100}, []int64{1, 2, 3, 5, 8, 9, 12}},
		{commission.DeliveryQuery{EndpointID: "e1", Limit: 3}, []int64{1, 2, 3}},
		{commission.DeliveryQuery{EndpointID: "e1", After: 3, Limit: 3}, []int64{5, 8, 9}},
		{commission.DeliveryQuery{EndpointID: "e1", After: 4, Limit: 100}, []int64{5, 8, 9, 12}},
		{commission.DeliveryQuery{EndpointID: "e1", After: 12, Limit: 100}, []int64{}},
		{commission.DeliveryQuery{EndpointID: "e1", After: -5, Limit: 1}, []int64{1}},
		{commission.DeliveryQuery{EndpointID: "e1", States: []commission.DeliveryState{pending}, Limit: 100}, []int64{2, 5, 9}},
		{commission.DeliveryQuery{EndpointID: "e1", States: []commission.DeliveryState{pending}, After: 2, Limit: 1}, []int64{5}},
		{commission.DeliveryQuery{EndpointID: "e1", States: []commission.DeliveryState{failed, delivered}, Limit: 100}, []int64{1, 3, 8, 12}},
		{commission.DeliveryQuery{EndpointID: "e1", States: []commission.DeliveryState{failed, pending, delivered}, After: 8, Limit: 100}, []int64{9, 12}},
		{commission.DeliveryQuery{EndpointID: "e1", States: []commission.DeliveryState{"unknown"}, Limit: 100}, []int64{}},
		{commission.DeliveryQuery{EndpointID: "e1", Limit: 0}, []int64{}},
		{commission.DeliveryQuery{EndpointID: "e1", Limit: -1}, []int64{}},
		{commission.DeliveryQuery{EndpointID: "e2", Limit: 100}, []int64{4}},
		{commission.DeliveryQuery{EndpointID: "e3", Limit: 100}, []int64{}},
		{commission.DeliveryQuery{Limit: 100}, []int64{}},
	} {
		got := listDeliveries(t, s, "a", c.q)
		require.Equal(t, c.want, positionsOf(got), "%+v", c.q)
		for _, g := range got {
			state := states[g.Position]
			if c.q.EndpointID == "e2" {
				state = pending
			}
			requireSameDelivery(t, deliveryFixture(c.q.EndpointID, g.Position, state), g)
		}
	}

	// A delivery that changes state leaves the state's list.
	done := d(5)
	done.State, done.Attempts = delivered, 1
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.UpdateDelivery(ctx, &done)) })
	require.Equal(t, []int64{2, 9}, positionsOf(listDeliveries(t, s, "a",
		commission.DeliveryQuery{EndpointID: "e1", States: []commission.DeliveryState{pending}, Limit: 100})))
	require.Equal(t, []int64{1, 5, 8}, positionsOf(listDeliveries(t, s, "a",
		commission.DeliveryQuery{EndpointID: "e1", States: []commission.DeliveryState{delivered}, Limit: 100})))
}

// webhooksBaseline commits endpoint e0 with deliveries at 1 and 2, and
// returns them.
func webhooksBaseline(t *testing.T, s commission.Store) (*commission.Endpoint, []commission.Delivery) {
	e0 := endpointFixture("e0", t0, commission.EventRewardCreated)
	ds := []commission.Delivery{deliveryFixture("e0", 1, commission.DeliveryFailed), deliveryFixture("e0", 2, commission.DeliveryPending)}
	insertEndpoints(t, s, "a", e0)
	insertDeliveries(t, s, "a", ds...)
	return e0, ds
}

func testWebhooksRollback(t *testing.T, h Harness) {
	s := h.New(t)
	e0, ds := webhooksBaseline(t, s)
	var rows map[string]int
	if h.Rows != nil {
		rows = h.Rows(t, s)
	}
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.InsertEndpoint(ctx, endpointFixture("e1", t0, commission.EventPayoutPaid)))
		require.NoError(t, tx.InsertDeliveries(ctx, []commission.Delivery{
			deliveryFixture("e1", 1, commission.DeliveryPending), deliveryFixture("e1", 2, commission.DeliveryPending),
			deliveryFixture("e0", 3, commission.DeliveryPending),
		}))
		changed := *e0
		changed.URL, changed.Secret, changed.Events, changed.Disabled, changed.Cursor = "https://changed.test", "changed secret 0123", nil, true, 3
		require.NoError(t, tx.UpdateEndpoint(ctx, &changed))
		sent := ds[1]
		sent.State, sent.Attempts, sent.LastStatus, sent.UpdatedAt = commission.DeliveryDelivered, 1, 200, t0.Add(time.Hour)
		require.NoError(t, tx.UpdateDelivery(ctx, &sent))
		got, err := tx.Deliveries(ctx, commission.DeliveryQuery{EndpointID: "e0", States: []commission.DeliveryState{commission.DeliveryDelivered}, Limit: 10})
		require.NoError(t, err)
		require.Equal(t, []int64{2}, positionsOf(got), "the unit of work reads its own writes")
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.DeleteEndpoint(ctx, "e0"))
		_, err := tx.Endpoint(ctx, "e0")
		requireNotFound(t, err, "endpoint e0 deleted in the unit of work")
		require.NoError(t, tx.InsertEndpoint(ctx, endpointFixture("e0", t0.Add(time.Hour))))
		require.NoError(t, tx.InsertDeliveries(ctx, []commission.Delivery{deliveryFixture("e0", 1, commission.DeliveryPending)}))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)

	if rows != nil {
		require.Equal(t, rows, h.Rows(t, s), "rows in each table")
	}
	require.Equal(t, []string{"e0"}, endpointIDs(listEndpoints(t, s, "a")))
	got, err := getEndpoint(t, s, "a", "e0")
	require.NoError(t, err)
	requireSameEndpoint(t, e0, got)
	requireSameDeliveries(t, ds, allDeliveries(t, s, "a", "e0"))
	_, err = getEndpoint(t, s, "a", "e1")
	requireNotFound(t, err, "endpoint e1 rolled back")
	require.Empty(t, allDeliveries(t, s, "a", "e1"))

	// What was rolled back is free.
	insertEndpoints(t, s, "a", endpointFixture("e1", t0))
	insertDeliveries(t, s, "a", deliveryFixture("e1", 1, commission.DeliveryPending), deliveryFixture("e0", 3, commission.DeliveryPending))
	require.Equal(t, []int64{1, 2, 3}, positionsOf(allDeliveries(t, s, "a", "e0")))
}

func testWebhooksPrograms(t *testing.T, h Harness) {
	s := h.New(t)
	e0, ds := webhooksBaseline(t, s)

	require.Empty(t, listEndpoints(t, s, "b"))
	_, err := getEndpoint(t, s, "b", "e0")
	requireNotFound(t, err, "a's endpoint in b")
	require.Empty(t, allDeliveries(t, s, "b", "e0"))
	for what, write := range map[string]func(tx commission.StoreTx) error{
		"update endpoint":   func(tx commission.StoreTx) error { return tx.UpdateEndpoint(ctx, e0) },
		"delete endpoint":   func(tx commission.StoreTx) error { return tx.DeleteEndpoint(ctx, "e0") },
		"insert deliveries": func(tx commission.StoreTx) error { return tx.InsertDeliveries(ctx, ds[:1]) },
		"update delivery":   func(tx commission.StoreTx) error { return tx.UpdateDelivery(ctx, &ds[0]) },
	} {
		requireNotFound(t, s.Update(ctx, "b", write), what+" of a's in b")
	}

	// b takes the same id and key, and the same positions.
	other := endpointFixture("e0", t0.Add(time.Hour))
	other.URL = "https://b.example.test"
	insertEndpoints(t, s, "b", other)
	bd := deliveryFixture("e0", 1, commission.DeliveryDelivered)
	insertDeliveries(t, s, "b", bd)
	update(t, s, "b", func(tx commission.StoreTx) {
		bd.Attempts = 9
		require.NoError(t, tx.UpdateDelivery(ctx, &bd))
	})

	got, err := getEndpoint(t, s, "b", "e0")
	require.NoError(t, err)
	requireSameEndpoint(t, other, got)
	requireSameDeliveries(t, []commission.Delivery{bd}, allDeliveries(t, s, "b", "e0"))
	got, err = getEndpoint(t, s, "a", "e0")
	require.NoError(t, err)
	requireSameEndpoint(t, e0, got)
	requireSameDeliveries(t, ds, allDeliveries(t, s, "a", "e0"))

	update(t, s, "b", func(tx commission.StoreTx) { require.NoError(t, tx.DeleteEndpoint(ctx, "e0")) })
	require.Empty(t, listEndpoints(t, s, "b"))
	requireSameDeliveries(t, ds, allDeliveries(t, s, "a", "e0"))
	require.Equal(t, []string{"e0"}, endpointIDs(listEndpoints(t, s, "a")))
}

// The store keeps no reference to the values passed to it.
func testWebhooksValues(t *testing.T, h Harness) {
	s := h.New(t)
	ep := endpointFixture("e1", t0, commission.EventRewardCreated, commission.EventRewardPaid)
	want := *endpointFixture("e1", t0, commission.EventRewardCreated, commission.EventRewardPaid)
	ds := []commission.Delivery{deliveryFixture("e1", 1, commission.DeliveryPending)}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertEndpoint(ctx, ep))
		require.NoError(t, tx.InsertDeliveries(ctx, ds))
		ep.Events[0], ep.URL = commission.EventPayoutPaid, "changed by the caller"
		ds[0].State = commission.DeliveryFailed
	})
	got, err := getEndpoint(t, s, "a", "e1")
	require.NoError(t, err)
	requireSameEndpoint(t, &want, got)
	require.Equal(t, commission.DeliveryPending, allDeliveries(t, s, "a", "e1")[0].State)

	changed := want
	changed.Events = []commission.EventType{commission.EventPartnerCreated}
	passed := changed
	passed.Events = []commission.EventType{commission.EventPartnerCreated}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.UpdateEndpoint(ctx, &passed))
		passed.Events[0] = commission.EventPartnerDeleted
	})
	got, err = getEndpoint(t, s, "a", "e1")
	require.NoError(t, err)
	requireSameEndpoint(t, &changed, got)
}

// Deliveries inserted while their endpoint is deleted, from other stores
// on the database where the harness has them, are either refused or
// deleted with it: the endpoint created again has none.
func testDeliveriesDeletedConcurrently(t *testing.T, h Harness) {
	const rounds = 8
	s := h.New(t)
	all := stores(t, h, s, 2)
	for r := range rounds {
		id := fmt.Sprintf("e%d", r)
		insertEndpoints(t, s, "a", endpointFixture(id, t0))
		var wg sync.WaitGroup
		wg.Go(func() {
			err := all[0].Update(ctx, "a", func(tx commission.StoreTx) error {
				return tx.InsertDeliveries(ctx, []commission.Delivery{deliveryFixture(id, 1, commission.DeliveryPending), deliveryFixture(id, 2, commission.DeliveryPending)})
			})
			if err != nil && !errors.Is(err, commission.ErrNotFound) {
				t.Errorf("insert deliveries to %s: %v", id, err)
			}
		})
		wg.Go(func() {
			if err := all[1].Update(ctx, "a", func(tx commission.StoreTx) error { return tx.DeleteEndpoint(ctx, id) }); err != nil {
				t.Errorf("delete %s: %v", id, err)
			}
		})
		wg.Wait()
		insertEndpoints(t, s, "a", endpointFixture(id, t0))
		require.Empty(t, allDeliveries(t, s, "a", id), "deliveries of %s after its deletion", id)
	}
}
