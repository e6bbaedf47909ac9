package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/commissionkit/commission"
)

// Webhook endpoints and their deliveries.

// createdEndpoint is an endpoint as created: the one answer that shows
// its secret.
type createdEndpoint struct {
	*commission.Endpoint
	Secret string `json:"secret"`
}

func (h *Handler) createEndpoint(r *http.Request) (any, error) {
	var in commission.EndpointInput
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	ep, err := h.eng.CreateEndpoint(r.Context(), in)
	if err != nil {
		return nil, err
	}
	return createdEndpoint{Endpoint: ep, Secret: ep.Secret}, nil
}

func (h *Handler) listEndpoints(r *http.Request) (any, error) {
	return h.eng.Endpoints(r.Context())
}

func (h *Handler) getEndpoint(r *http.Request) (any, error) {
	return h.eng.Endpoint(r.Context(), r.PathValue("id"))
}

func (h *Handler) updateEndpoint(r *http.Request) (any, error) {
	var in commission.EndpointInput
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	return h.eng.UpdateEndpoint(r.Context(), r.PathValue("id"), in)
}

func (h *Handler) deleteEndpoint(r *http.Request) (any, error) {
	return nil, h.eng.DeleteEndpoint(r.Context(), r.PathValue("id"))
}

// deliveriesMeta tells where the next page of deliveries starts.
type deliveriesMeta struct {
	PerPage int `json:"per_page"`
	// NextAfter is the after of the next page; null when this page is
	// not full.
	NextAfter *int64 `json:"next_after"`
}

// listDeliveries lists an endpoint's deliveries by position: after (a
// position), limit (1 to 250, 250 when absent) and states.
func (h *Handler) listDeliveries(r *http.Request) (any, error) {
	q := newQuery(r)
	id := r.PathValue("id")
	dq := commission.DeliveryQuery{EndpointID: id, Limit: q.positive("limit", commission.MaxLimit)}
	if s := q.str("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			q.add("after", "must be a position: an integer, 0 or more")
		}
		dq.After = n
	}
	for _, s := range q.list("states") {
		dq.States = append(dq.States, commission.DeliveryState(s))
	}
	if err := q.err(); err != nil {
		return nil, err
	}
	if dq.Limit == 0 {
		dq.Limit = commission.MaxLimit
	}
	if _, err := h.eng.Endpoint(r.Context(), id); err != nil {
		return nil, err
	}
	ds, err := h.eng.Deliveries(r.Context(), dq)
	if err != nil {
		return nil, err
	}
	meta := &deliveriesMeta{PerPage: dq.Limit}
	var l links
	if len(ds) == dq.Limit {
		meta.NextAfter = ptr(ds[len(ds)-1].Position)
		l.Next = ptr(h.link(r, "after", strconv.FormatInt(*meta.NextAfter, 10)))
	}
	if ds == nil {
		ds = []commission.Delivery{}
	}
	return &listEnvelope{Data: ds, Links: l, Meta: meta}, nil
}

func (h *Handler) retryDelivery(r *http.Request) (any, error) {
	pos, err := strconv.ParseInt(r.PathValue("position"), 10, 64)
	if err != nil || pos < 1 {
		return nil, fmt.Errorf("%w: delivery %q", commission.ErrNotFound, r.PathValue("position"))
	}
	return h.eng.RetryDelivery(r.Context(), r.PathValue("id"), pos)
}
