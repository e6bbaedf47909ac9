package commission

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
)

// Webhook endpoints are kept in the program's store; the webhook package
// delivers the events to them.

// minSecretLen is the least an endpoint's secret holds, in bytes.
const minSecretLen = 16

// eventTypes are the types an endpoint may subscribe to.
var eventTypes = []EventType{
	EventTransactionCreated, EventTransactionUpdated, EventTransactionDeleted, EventTransactionArchived,
	EventTransactionRestored, EventRewardCreated, EventRewardApproved, EventRewardRejected, EventRewardPaid,
	EventRewardReversed, EventPayoutCreated, EventPayoutPaid, EventPayoutCanceled, EventPartnerCreated,
	EventPartnerUpdated, EventPartnerArchived, EventPartnerDeleted, EventCustomerCreated, EventCustomerUpdated,
	EventCustomerSuspended, EventCustomerDeleted,
}

// validate checks the fields of in; a secret is required when required.
func (in *EndpointInput) validate(v *validator, secretRequired bool) {
	validateKey(v, "key", in.Key, false)
	switch u, err := url.Parse(in.URL); {
	case in.URL == "":
		v.add("url", "is required")
	case len(in.URL) > maxURLLen:
		v.addf("url", "longer than %d bytes", maxURLLen)
	case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		v.add("url", "is not an absolute http or https URL")
	}
	switch {
	case in.Secret == "" && secretRequired:
		v.add("secret", "is required")
	case in.Secret != "" && len(in.Secret) < minSecretLen:
		v.addf("secret", "is shorter than %d bytes", minSecretLen)
	default:
		validateText(v, "secret", in.Secret, maxKeyLen)
	}
	for i, t := range in.Events {
		if !slices.Contains(eventTypes, t) {
			v.addf("events["+itoa(i)+"]", "is not an event type: %q", brief(string(t)))
		}
	}
}

// newSecret is a random secret of 32 bytes, in hex.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// CreateEndpoint adds a webhook endpoint. It receives the events written
// from now on (not the log before it). When in.Secret is empty the engine
// chooses one: the returned Endpoint holds it, and it is never shown
// again. Errors: *ValidationError, ErrDuplicateKey.
func (e *Engine) CreateEndpoint(ctx context.Context, in EndpointInput) (_ *Endpoint, err error) {
	defer e.logOp(ctx, "CreateEndpoint", &err, "endpoint", in.Key, "url", in.URL)
	v := &validator{}
	in.validate(v, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	ep := &Endpoint{ID: e.newID(), Key: in.Key, URL: in.URL, Secret: in.Secret,
		Events: slices.Clone(in.Events), Disabled: in.Disabled, CreatedAt: e.clock()}
	if ep.Key == "" {
		ep.Key = ep.ID
	}
	if ep.Secret == "" {
		ep.Secret = newSecret()
	}
	err = e.update(ctx, func(tx StoreTx) error {
		head, err := tx.PositionEvents(ctx)
		if err != nil {
			return err
		}
		ep.Cursor = head
		return taken(tx.InsertEndpoint(ctx, ep), "endpoint", ep.ID, ep.Key, "")
	})
	if err != nil {
		return nil, err
	}
	return ep, nil
}

// Endpoint returns the endpoint with id, with its secret (the dispatcher
// signs with it). ErrNotFound if there is none.
func (e *Engine) Endpoint(ctx context.Context, id string) (*Endpoint, error) {
	if err := checkKey("id", id); err != nil {
		return nil, err
	}
	return viewValue(ctx, e, func(tx StoreTx) (*Endpoint, error) {
		ep, err := tx.Endpoint(ctx, id)
		if err != nil {
			return nil, err
		}
		c := *ep
		c.Events = slices.Clone(ep.Events)
		return &c, nil
	})
}

// Endpoints returns every endpoint, oldest first.
func (e *Engine) Endpoints(ctx context.Context) ([]*Endpoint, error) {
	return viewValue(ctx, e, func(tx StoreTx) ([]*Endpoint, error) {
		eps, err := tx.Endpoints(ctx)
		out := make([]*Endpoint, len(eps))
		for i, ep := range eps {
			c := *ep
			c.Events = slices.Clone(ep.Events)
			out[i] = &c
		}
		return out, err
	})
}

// UpdateEndpoint changes an endpoint's URL, events and Disabled, and its
// secret unless in.Secret is empty; its key cannot change. An endpoint
// disabled skips the events written while it is, and gets the later ones
// once enabled. Errors: *ValidationError, ErrNotFound.
func (e *Engine) UpdateEndpoint(ctx context.Context, id string, in EndpointInput) (_ *Endpoint, err error) {
	defer e.logOp(ctx, "UpdateEndpoint", &err, "endpoint", id, "url", in.URL)
	v := &validator{}
	validateKey(v, "id", id, true)
	in.validate(v, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	return updateValue(ctx, e, func(tx StoreTx) (*Endpoint, error) {
		stored, err := tx.Endpoint(ctx, id)
		if err != nil {
			return nil, err
		}
		if in.Key != "" && in.Key != stored.Key {
			return nil, fieldError("key", fmt.Sprintf("cannot change (it is %q)", brief(stored.Key)))
		}
		ep := *stored
		ep.URL, ep.Events, ep.Disabled = in.URL, slices.Clone(in.Events), in.Disabled
		if in.Secret != "" {
			ep.Secret = in.Secret
		}
		if stored.Disabled && !ep.Disabled { // the events since are skipped
			if ep.Cursor, err = tx.PositionEvents(ctx); err != nil {
				return nil, err
			}
		}
		return &ep, tx.UpdateEndpoint(ctx, &ep)
	})
}

// DeleteEndpoint deletes an endpoint and its deliveries. ErrNotFound if
// there is none.
func (e *Engine) DeleteEndpoint(ctx context.Context, id string) (err error) {
	defer e.logOp(ctx, "DeleteEndpoint", &err, "endpoint", id)
	if err := checkKey("id", id); err != nil {
		return err
	}
	return e.update(ctx, func(tx StoreTx) error { return tx.DeleteEndpoint(ctx, id) })
}
