package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/commissionkit/commission"
)

// webhookStore holds a program's webhook endpoints, by id and by key, and
// each endpoint's deliveries in position order. A stored endpoint is
// read-only, replaced (never changed) by an update: reads return copies
// of it. Its maps are made on the first write.
type webhookStore struct {
	endpoints  map[string]*commission.Endpoint
	keys       map[string]string                // key → id
	deliveries map[string][]commission.Delivery // endpoint id → by position
}

// cloneEndpoint returns a copy of ep that shares nothing with it.
func cloneEndpoint(ep *commission.Endpoint) *commission.Endpoint {
	c := *ep
	c.Events = slices.Clone(ep.Events)
	return &c
}

func (t *tx) InsertEndpoint(_ context.Context, ep *commission.Endpoint) error {
	if err := t.writable(); err != nil {
		return err
	}
	w := &t.p.webhooks
	if _, taken := w.endpoints[ep.ID]; taken {
		return fmt.Errorf("%w: endpoint id %q", commission.ErrDuplicateKey, ep.ID)
	}
	if _, taken := w.keys[ep.Key]; taken {
		return fmt.Errorf("%w: endpoint key %q", commission.ErrDuplicateKey, ep.Key)
	}
	if w.endpoints == nil {
		w.endpoints = make(map[string]*commission.Endpoint)
		w.keys = make(map[string]string)
		w.deliveries = make(map[string][]commission.Delivery)
	}
	id, key := ep.ID, ep.Key
	w.endpoints[id] = cloneEndpoint(ep)
	w.keys[key] = id
	t.onRollback(func() {
		delete(w.endpoints, id)
		delete(w.keys, key)
	})
	return nil
}

func (t *tx) Endpoint(_ context.Context, id string) (*commission.Endpoint, error) {
	ep, ok := t.p.webhooks.endpoints[id]
	if !ok {
		return nil, &notFound{"endpoint", id}
	}
	return cloneEndpoint(ep), nil
}

func (t *tx) Endpoints(context.Context) ([]*commission.Endpoint, error) {
	eps := t.p.webhooks.endpoints
	out := make([]*commission.Endpoint, 0, len(eps))
	for _, ep := range eps {
		out = append(out, cloneEndpoint(ep))
	}
	// By (CreatedAt, ID), times to the microsecond as every store keeps
	// them.
	slices.SortFunc(out, func(a, b *commission.Endpoint) int {
		return orderKey{a.CreatedAt.UnixMicro(), a.ID}.compare(orderKey{b.CreatedAt.UnixMicro(), b.ID})
	})
	return out, nil
}

func (t *tx) UpdateEndpoint(_ context.Context, in *commission.Endpoint) error {
	if err := t.writable(); err != nil {
		return err
	}
	w := &t.p.webhooks
	old, ok := w.endpoints[in.ID]
	if !ok {
		return &notFound{"endpoint", in.ID}
	}
	ep := *old
	ep.URL, ep.Secret, ep.Events, ep.Disabled, ep.Cursor = in.URL, in.Secret, slices.Clone(in.Events), in.Disabled, in.Cursor
	w.endpoints[in.ID] = &ep
	t.onRollback(func() { w.endpoints[old.ID] = old })
	return nil
}

func (t *tx) DeleteEndpoint(_ context.Context, id string) error {
	if err := t.writable(); err != nil {
		return err
	}
	w := &t.p.webhooks
	old, ok := w.endpoints[id]
	if !ok {
		return &notFound{"endpoint", id}
	}
	ds, had := w.deliveries[id]
	delete(w.endpoints, id)
	delete(w.keys, old.Key)
	delete(w.deliveries, id)
	t.onRollback(func() {
		w.endpoints[id] = old
		w.keys[old.Key] = id
		if had {
			w.deliveries[id] = ds
		}
	})
	return nil
}

// comparePositions orders deliveries of one endpoint.
func comparePositions(a, b commission.Delivery) int {
	switch {
	case a.Position < b.Position:
		return -1
	case a.Position > b.Position:
		return 1
	}
	return 0
}

// InsertDeliveries checks every delivery before it stores any, so that an
// error leaves none of them.
func (t *tx) InsertDeliveries(_ context.Context, ds []commission.Delivery) error {
	if err := t.writable(); err != nil {
		return err
	}
	w := &t.p.webhooks
	type key struct {
		endpoint string
		position int64
	}
	seen := make(map[key]struct{}, len(ds))
	for _, d := range ds {
		if _, ok := w.endpoints[d.EndpointID]; !ok {
			return &notFound{"endpoint", d.EndpointID}
		}
		k := key{d.EndpointID, d.Position}
		_, twice := seen[k]
		_, taken := slices.BinarySearchFunc(w.deliveries[d.EndpointID], d, comparePositions)
		if taken || twice {
			return fmt.Errorf("%w: delivery of event %d to endpoint %q", commission.ErrDuplicateKey, d.Position, d.EndpointID)
		}
		seen[k] = struct{}{}
	}
	for _, d := range ds {
		list := w.deliveries[d.EndpointID]
		if n := len(list); n == 0 || list[n-1].Position < d.Position {
			list = append(list, d) // the usual case: after the others
		} else {
			i, _ := slices.BinarySearchFunc(list, d, comparePositions)
			list = slices.Insert(list, i, d)
		}
		w.deliveries[d.EndpointID] = list
	}
	if len(ds) > 0 {
		added := slices.Clone(ds)
		t.onRollback(func() {
			for _, d := range slices.Backward(added) {
				list := w.deliveries[d.EndpointID]
				if i, ok := slices.BinarySearchFunc(list, d, comparePositions); ok {
					list = slices.Delete(list, i, i+1)
				}
				if len(list) == 0 {
					delete(w.deliveries, d.EndpointID)
				} else {
					w.deliveries[d.EndpointID] = list
				}
			}
		})
	}
	return nil
}

func (t *tx) UpdateDelivery(_ context.Context, in *commission.Delivery) error {
	if err := t.writable(); err != nil {
		return err
	}
	w := &t.p.webhooks
	list := w.deliveries[in.EndpointID]
	i, ok := slices.BinarySearchFunc(list, *in, comparePositions)
	if !ok {
		return fmt.Errorf("%w: delivery of event %d to endpoint %q", commission.ErrNotFound, in.Position, in.EndpointID)
	}
	old := list[i]
	d := &list[i]
	d.State, d.Attempts, d.NextAttemptAt = in.State, in.Attempts, in.NextAttemptAt
	d.LastStatus, d.LastError, d.UpdatedAt = in.LastStatus, in.LastError, in.UpdatedAt
	t.onRollback(func() {
		list := w.deliveries[old.EndpointID]
		if i, ok := slices.BinarySearchFunc(list, old, comparePositions); ok {
			list[i] = old
		}
	})
	return nil
}

func (t *tx) Deliveries(_ context.Context, q commission.DeliveryQuery) ([]commission.Delivery, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	list := t.p.webhooks.deliveries[q.EndpointID]
	from, _ := slices.BinarySearchFunc(list, q.After, func(d commission.Delivery, after int64) int {
		if d.Position <= after {
			return -1
		}
		return 1
	})
	var out []commission.Delivery
	for _, d := range list[from:] {
		if len(out) == q.Limit {
			break
		}
		if len(q.States) == 0 || slices.Contains(q.States, d.State) {
			out = append(out, d)
		}
	}
	return out, nil
}
