package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/commissionkit/commission"
)

// A program's webhook endpoints are commission_endpoints, their events a
// JSON array; their deliveries are commission_deliveries, by endpoint and
// position. Deliveries are written under a lock of their endpoint's row,
// which its deletion takes too: no delivery outlives its endpoint.

const (
	endpointCols   = "id, endpoint_key, url, secret, events, disabled, created_at, cursor_position"
	deliveryCols   = "endpoint_id, position, event_id, event_type, state, attempts, next_attempt_at, last_status, last_error, updated_at"
	deliveryArity  = 11 // with program_id
	deliveryFields = "program_id, " + deliveryCols
)

// webhookQueries holds the fixed statements of endpoints and deliveries
// of one dialect.
type webhookQueries struct {
	insertEndpoint   string
	endpoint         string
	endpoints        string
	updateEndpoint   string
	endpointExists   string
	lockEndpoint     string
	deleteEndpoint   string
	deleteDeliveries string // all of an endpoint's
	updateDelivery   string
	deliveryExists   string
	deliveries       string // without the state filter, the order and the LIMIT
}

func newWebhookQueries(d Dialect) webhookQueries {
	r := d.rebind
	return webhookQueries{
		insertEndpoint:   r("INSERT INTO commission_endpoints (program_id, " + endpointCols + ") VALUES " + placeholders(9) + d.skipDuplicate()),
		endpoint:         r("SELECT " + endpointCols + " FROM commission_endpoints WHERE program_id = ? AND id = ?"),
		endpoints:        r("SELECT " + endpointCols + " FROM commission_endpoints WHERE program_id = ? ORDER BY created_at, " + d.bytewise("id")),
		updateEndpoint:   r("UPDATE commission_endpoints SET url = ?, secret = ?, events = ?, disabled = ?, cursor_position = ? WHERE program_id = ? AND id = ?"),
		endpointExists:   r("SELECT COUNT(*) FROM commission_endpoints WHERE program_id = ? AND id = ?"),
		lockEndpoint:     r("SELECT id FROM commission_endpoints WHERE program_id = ? AND id = ?" + d.forUpdate()),
		deleteEndpoint:   r("DELETE FROM commission_endpoints WHERE program_id = ? AND id = ?"),
		deleteDeliveries: r("DELETE FROM commission_deliveries WHERE program_id = ? AND endpoint_id = ?"),
		updateDelivery: r("UPDATE commission_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?, updated_at = ?" +
			" WHERE program_id = ? AND endpoint_id = ? AND position = ?"),
		deliveryExists: r("SELECT COUNT(*) FROM commission_deliveries WHERE program_id = ? AND endpoint_id = ? AND position = ?"),
		deliveries:     "SELECT " + deliveryCols + " FROM commission_deliveries WHERE program_id = ? AND endpoint_id = ? AND position > ?",
	}
}

// eventsJSON is an endpoint's event types as stored: a JSON array, [] for
// none.
func eventsJSON(events []commission.EventType) (string, error) {
	if len(events) == 0 {
		return "[]", nil
	}
	return toJSON(events)
}

func (t *tx) InsertEndpoint(ctx context.Context, ep *commission.Endpoint) error {
	if err := t.writable(); err != nil {
		return err
	}
	events, err := eventsJSON(ep.Events)
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, t.s.q.webhooks.insertEndpoint, t.program, ep.ID, ep.Key, ep.URL, ep.Secret, events,
		ep.Disabled, micros(ep.CreatedAt), ep.Cursor)
	return inserted(res, err, fmt.Sprintf("endpoint %q (key %q)", ep.ID, ep.Key))
}

func (t *tx) Endpoint(ctx context.Context, id string) (*commission.Endpoint, error) {
	ep, err := scanEndpoint(t.q.QueryRowContext(ctx, t.s.q.webhooks.endpoint, t.program, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("endpoint %q", id))
	}
	return ep, nil
}

func (t *tx) Endpoints(ctx context.Context) ([]*commission.Endpoint, error) {
	rows, err := t.q.QueryContext(ctx, t.s.q.webhooks.endpoints, t.program)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: endpoints: %w", err)
	}
	defer rows.Close()
	var out []*commission.Endpoint
	for rows.Next() {
		ep, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: endpoints: %w", err)
		}
		out = append(out, ep)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: endpoints: %w", err)
	}
	return out, nil
}

// scanEndpoint reads the columns of endpointCols.
func scanEndpoint(row scanner) (*commission.Endpoint, error) {
	var ep commission.Endpoint
	var events string
	var created int64
	if err := row.Scan(&ep.ID, &ep.Key, &ep.URL, &ep.Secret, &events, &ep.Disabled, &created, &ep.Cursor); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &ep.Events); err != nil {
		return nil, fmt.Errorf("sqlstore: events of endpoint %q: %w", ep.ID, err)
	}
	if len(ep.Events) == 0 {
		ep.Events = nil
	}
	ep.CreatedAt = fromMicros(created)
	return &ep, nil
}

func (t *tx) UpdateEndpoint(ctx context.Context, ep *commission.Endpoint) error {
	events, err := eventsJSON(ep.Events)
	if err != nil {
		return err
	}
	q := &t.s.q.webhooks
	return t.updateOne(ctx, q.updateEndpoint, q.endpointExists, "endpoint", ep.ID,
		ep.URL, ep.Secret, events, ep.Disabled, ep.Cursor, t.program, ep.ID)
}

// DeleteEndpoint deletes the endpoint's row first, which locks it, then
// its deliveries.
func (t *tx) DeleteEndpoint(ctx context.Context, id string) error {
	if err := t.writable(); err != nil {
		return err
	}
	q := &t.s.q.webhooks
	res, err := t.q.ExecContext(ctx, q.deleteEndpoint, t.program, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete endpoint %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlstore: delete endpoint %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("%w: endpoint %q", commission.ErrNotFound, id)
	}
	if _, err := t.q.ExecContext(ctx, q.deleteDeliveries, t.program, id); err != nil {
		return fmt.Errorf("sqlstore: delete endpoint %q: %w", id, err)
	}
	return nil
}

// deliveryKey names a delivery.
type deliveryKey struct {
	endpoint string
	position int64
}

// InsertDeliveries locks the deliveries' endpoints, in id order, and
// inserts the deliveries in multi-row INSERTs of up to batchRows rows. On
// an error it leaves none of them: a duplicate within ds is found before
// any is written, and the rows written before a statement that found a
// taken position are deleted.
func (t *tx) InsertDeliveries(ctx context.Context, ds []commission.Delivery) error {
	if err := t.writable(); err != nil {
		return err
	}
	if len(ds) == 0 {
		return nil
	}
	seen := make(map[deliveryKey]bool, len(ds))
	var endpoints []string
	for _, d := range ds {
		k := deliveryKey{d.EndpointID, d.Position}
		if seen[k] {
			return duplicateDelivery(k)
		}
		seen[k] = true
		if !slices.Contains(endpoints, d.EndpointID) {
			endpoints = append(endpoints, d.EndpointID)
		}
	}
	slices.Sort(endpoints)
	for _, id := range endpoints {
		var got string
		err := t.q.QueryRowContext(ctx, t.s.q.webhooks.lockEndpoint, t.program, id).Scan(&got)
		if err != nil {
			return notFound(err, fmt.Sprintf("endpoint %q", id))
		}
	}
	args := make([]any, 0, len(ds)*deliveryArity)
	for i := range ds {
		d := &ds[i]
		args = append(args, t.program, d.EndpointID, d.Position, d.EventID, string(d.EventType), string(d.State), d.Attempts,
			micros(d.NextAttemptAt), d.LastStatus, d.LastError, micros(d.UpdatedAt))
	}
	var done []deliveryKey // the rows inserted
	err := chunks(len(ds), batchRows, func(start, end int) error {
		query := t.s.d.rebind("INSERT INTO commission_deliveries (" + deliveryFields + ") VALUES " + rowsOf(end-start, deliveryArity) + t.s.d.skipDuplicate())
		rowArgs := args[start*deliveryArity : end*deliveryArity]
		if t.s.d == Postgres {
			got, err := t.pgInsertDeliveries(ctx, query, rowArgs)
			done = append(done, got...)
			if err == nil && len(got) != end-start {
				return duplicateDelivery(deliveryKey{})
			}
			return err
		}
		res, err := t.q.ExecContext(ctx, query, rowArgs...)
		if err := insertedAll(res, err, end-start, "delivery"); err != nil {
			return err
		}
		for _, d := range ds[start:end] {
			done = append(done, deliveryKey{d.EndpointID, d.Position})
		}
		return nil
	})
	if err != nil && len(done) > 0 {
		if uerr := t.undoDeliveries(ctx, done); uerr != nil {
			return errors.Join(err, uerr)
		}
	}
	return err
}

// pgInsertDeliveries runs query, which skips a taken position, and
// returns the deliveries it inserted.
func (t *tx) pgInsertDeliveries(ctx context.Context, query string, args []any) ([]deliveryKey, error) {
	rows, err := t.q.QueryContext(ctx, query+" RETURNING endpoint_id, position", args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: insert deliveries: %w", err)
	}
	defer rows.Close()
	var out []deliveryKey
	for rows.Next() {
		var k deliveryKey
		if err := rows.Scan(&k.endpoint, &k.position); err != nil {
			return out, fmt.Errorf("sqlstore: insert deliveries: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sqlstore: insert deliveries: %w", err)
	}
	return out, nil
}

// undoDeliveries deletes deliveries that this unit of work inserted.
func (t *tx) undoDeliveries(ctx context.Context, keys []deliveryKey) error {
	return chunks(len(keys), batchRows, func(start, end int) error {
		var b strings.Builder
		b.WriteString("DELETE FROM commission_deliveries WHERE program_id = ? AND (")
		args := []any{t.program}
		for i, k := range keys[start:end] {
			if i > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString("(endpoint_id = ? AND position = ?)")
			args = append(args, k.endpoint, k.position)
		}
		b.WriteString(")")
		if _, err := t.q.ExecContext(ctx, t.s.d.rebind(b.String()), args...); err != nil {
			return fmt.Errorf("sqlstore: insert deliveries: undo: %w", err)
		}
		return nil
	})
}

func duplicateDelivery(k deliveryKey) error {
	if k.endpoint == "" {
		return fmt.Errorf("%w: delivery position", commission.ErrDuplicateKey)
	}
	return fmt.Errorf("%w: delivery of event %d to endpoint %q", commission.ErrDuplicateKey, k.position, k.endpoint)
}

// UpdateDelivery changes the delivery's row. No row changed is
// ErrNotFound only if there is no such row: MySQL counts rows changed,
// not rows matched.
func (t *tx) UpdateDelivery(ctx context.Context, d *commission.Delivery) error {
	if err := t.writable(); err != nil {
		return err
	}
	q := &t.s.q.webhooks
	what := fmt.Sprintf("delivery of event %d to endpoint %q", d.Position, d.EndpointID)
	res, err := t.q.ExecContext(ctx, q.updateDelivery, string(d.State), d.Attempts, micros(d.NextAttemptAt), d.LastStatus, d.LastError,
		micros(d.UpdatedAt), t.program, d.EndpointID, d.Position)
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var n int
	if err := t.q.QueryRowContext(ctx, q.deliveryExists, t.program, d.EndpointID, d.Position).Scan(&n); err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", commission.ErrNotFound, what)
	}
	return nil
}

// Deliveries reads along the primary key, or, for one state, along
// commission_deliveries_state.
func (t *tx) Deliveries(ctx context.Context, q commission.DeliveryQuery) ([]commission.Delivery, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString(t.s.q.webhooks.deliveries)
	args := []any{t.program, q.EndpointID, q.After}
	switch len(q.States) {
	case 0:
	case 1:
		b.WriteString(" AND state = ?")
		args = append(args, string(q.States[0]))
	default:
		b.WriteString(" AND state IN " + placeholders(len(q.States)))
		for _, s := range q.States {
			args = append(args, string(s))
		}
	}
	b.WriteString(" ORDER BY position" + limitOffset(q.Limit, 0))
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: deliveries: %w", err)
	}
	defer rows.Close()
	var out []commission.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: deliveries: %w", err)
	}
	return out, nil
}

// scanDelivery reads the columns of deliveryCols.
func scanDelivery(row scanner) (commission.Delivery, error) {
	var d commission.Delivery
	var typ, state string
	var next, updated int64
	err := row.Scan(&d.EndpointID, &d.Position, &d.EventID, &typ, &state, &d.Attempts, &next, &d.LastStatus, &d.LastError, &updated)
	d.EventType, d.State = commission.EventType(typ), commission.DeliveryState(state)
	d.NextAttemptAt, d.UpdatedAt = fromMicros(next), fromMicros(updated)
	return d, err
}
