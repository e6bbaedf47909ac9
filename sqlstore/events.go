package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/commissionkit/commission"
)

// A program's event log is commission_events: each event is stored with
// position NULL and positioned after its unit of work commits, under the
// lock of the program's row of commission_event_heads, which holds the
// last position given (see the package doc). Positioning takes, per
// eventBatch events:
//
//   - PostgreSQL: one statement numbering the events, in seq order, and
//     moving the head, after the head's locking read.
//   - SQLite, whose write transactions hold the database lock: one UPDATE
//     numbering the events, and one of the head at the end.
//   - MySQL: a plain (consistent) read of the events' seqs, then one
//     UPDATE of them by primary key, and one of the head at the end. A
//     read inside the UPDATE would be a locking one, and would wait for
//     the events of units of work still running.

// eventBatch is the most events one statement positions.
const eventBatch = 1000

const (
	eventCols  = "program_id, id, type, created_at, data"
	eventArity = 5
)

// eventQueries holds the event log's fixed statements of one dialect.
type eventQueries struct {
	events       string // positioned events after one, without the LIMIT
	head         string // the head's position, locked
	createHead   string // the head at zero, unless it exists (MySQL: locked)
	setHead      string // SQLite and MySQL
	position     string // numbers a batch (PostgreSQL: and moves the head)
	unpositioned string // MySQL: seqs of a batch
}

func newEventQueries(d Dialect) eventQueries {
	r := d.rebind
	q := eventQueries{
		events:     r("SELECT position, id, type, created_at, data FROM commission_events WHERE program_id = ? AND position > ? ORDER BY position"),
		head:       r("SELECT position FROM commission_event_heads WHERE program_id = ?" + d.forUpdate()),
		createHead: r("INSERT INTO commission_event_heads (program_id, position) VALUES (?, 0) ON CONFLICT DO NOTHING"),
		setHead:    r("UPDATE commission_event_heads SET position = ? WHERE program_id = ?"),
	}
	switch d {
	case MySQL:
		q.createHead = "INSERT INTO commission_event_heads (program_id, position) VALUES (?, 0) ON DUPLICATE KEY UPDATE position = position"
		// Forced: MySQL (MariaDB at least) picks the unique index on
		// (program_id, position) and sorts every unpositioned row by seq.
		q.unpositioned = "SELECT seq FROM commission_events FORCE INDEX (commission_events_unpositioned)" +
			" WHERE program_id = ? AND position IS NULL ORDER BY seq LIMIT " + strconv.Itoa(eventBatch)
	case Postgres:
		q.position = r("WITH ranked AS (" + rankedEvents + ")," +
			" done AS (UPDATE commission_events e SET position = ranked.position FROM ranked WHERE e.seq = ranked.seq RETURNING e.position)," +
			" head AS (UPDATE commission_event_heads SET position = (SELECT max(done.position) FROM done) WHERE program_id = ? AND EXISTS (SELECT 1 FROM done))" +
			" SELECT count(*) FROM done")
	case SQLite:
		q.position = "UPDATE commission_events SET position = ranked.position FROM (" + rankedEvents + ") AS ranked WHERE commission_events.seq = ranked.seq"
	}
	return q
}

// rankedEvents is the next batch of the program's unpositioned events
// (the second parameter) in seq order, with the positions after the head
// (the first).
var rankedEvents = "SELECT seq, CAST(? AS BIGINT) + row_number() OVER (ORDER BY seq) AS position" +
	" FROM (SELECT seq FROM commission_events WHERE program_id = ? AND position IS NULL ORDER BY seq LIMIT " + strconv.Itoa(eventBatch) + ") AS s"

// InsertEvents stores events with no position, in multi-row INSERTs of up
// to batchRows rows.
func (t *tx) InsertEvents(ctx context.Context, events []commission.Event) error {
	if err := t.writable(); err != nil {
		return err
	}
	if t.adds != nil { // PostgreSQL: with the next statement (pgdefer.go)
		t.adds.events = append(t.adds.events, events...)
		return nil
	}
	return t.insertEvents(ctx, t.q, events)
}

// insertEvents stores events on q.
func (t *tx) insertEvents(ctx context.Context, q queryer, events []commission.Event) error {
	args := make([]any, 0, len(events)*eventArity)
	for i := range events {
		e := &events[i]
		args = append(args, t.program, e.ID, string(e.Type), micros(e.CreatedAt), string(e.Data))
	}
	return chunks(len(events), batchRows, func(start, end int) error {
		query := t.s.d.rebind("INSERT INTO commission_events (" + eventCols + ") VALUES " + rowsOf(end-start, eventArity) + t.s.d.skipDuplicate())
		res, err := q.ExecContext(ctx, query, args[start*eventArity:end*eventArity]...)
		return insertedAll(res, err, end-start, "event id")
	})
}

// PositionEvents numbers the committed unpositioned events, holding the
// head's lock until the unit of work ends.
func (t *tx) PositionEvents(ctx context.Context) (int64, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	head, err := t.lockEventHead(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: events: %w", err)
	}
	total := 0
	for {
		n, err := t.positionBatch(ctx, head)
		if err != nil {
			return 0, fmt.Errorf("sqlstore: events: %w", err)
		}
		total, head = total+n, head+int64(n)
		if n < eventBatch {
			break
		}
	}
	if total > 0 && t.s.d != Postgres { // PostgreSQL moved it with each batch
		if _, err := t.q.ExecContext(ctx, t.s.q.events.setHead, head, t.program); err != nil {
			return 0, fmt.Errorf("sqlstore: events: %w", err)
		}
	}
	return head, nil
}

// lockEventHead returns the program's last position, its row locked
// (created at zero the first time).
func (t *tx) lockEventHead(ctx context.Context) (int64, error) {
	q := &t.s.q.events
	var head int64
	err := t.q.QueryRowContext(ctx, q.head, t.program).Scan(&head)
	if !errors.Is(err, sql.ErrNoRows) {
		return head, err
	}
	if _, err := t.q.ExecContext(ctx, q.createHead, t.program); err != nil {
		return 0, err
	}
	err = t.q.QueryRowContext(ctx, q.head, t.program).Scan(&head)
	return head, err
}

// positionBatch positions up to eventBatch events after head, and
// returns how many.
func (t *tx) positionBatch(ctx context.Context, head int64) (int, error) {
	switch t.s.d {
	case MySQL:
		return t.mysqlPositionBatch(ctx, head)
	case Postgres:
		var n int
		err := t.q.QueryRowContext(ctx, t.s.q.events.position, head, t.program, t.program).Scan(&n)
		return n, err
	}
	res, err := t.q.ExecContext(ctx, t.s.q.events.position, head, t.program)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// mysqlPositionBatch reads the seqs of the next batch, then gives each
// the position after head of its rank among them.
func (t *tx) mysqlPositionBatch(ctx context.Context, head int64) (int, error) {
	seqs, err := t.unpositionedEvents(ctx)
	if err != nil || len(seqs) == 0 {
		return 0, err
	}
	list := strings.TrimSuffix(strings.Repeat("?, ", len(seqs)), ", ")
	query := "UPDATE commission_events SET position = ? + FIELD(seq, " + list + ") WHERE program_id = ? AND seq IN (" + list + ")"
	args := append([]any{head}, seqs...)
	args = append(args, t.program)
	res, err := t.q.ExecContext(ctx, query, append(args, seqs...)...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err == nil && n != int64(len(seqs)) {
		err = fmt.Errorf("positioned %d of %d events", n, len(seqs))
	}
	return int(n), err
}

// unpositionedEvents returns the seqs of the next batch of unpositioned
// events, in order.
func (t *tx) unpositionedEvents(ctx context.Context) ([]any, error) {
	rows, err := t.q.QueryContext(ctx, t.s.q.events.unpositioned, t.program)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var seqs []any
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, err
		}
		seqs = append(seqs, seq)
	}
	return seqs, rows.Err()
}

// Events reads positioned events after the given position.
func (t *tx) Events(ctx context.Context, after int64, limit int) ([]commission.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.q.QueryContext(ctx, t.s.q.events.events+limitOffset(limit, 0), t.program, after)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: events: %w", err)
	}
	defer rows.Close()
	var out []commission.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: events: %w", err)
	}
	return out, nil
}

// scanEvent reads a row of eventQueries.events. Scanning into a []byte
// copies the data out of the driver's buffer.
func scanEvent(row scanner) (commission.Event, error) {
	var e commission.Event
	var typ string
	var created int64
	var data []byte
	if err := row.Scan(&e.Position, &e.ID, &typ, &created, &data); err != nil {
		return e, err
	}
	e.Type, e.CreatedAt = commission.EventType(typ), fromMicros(created)
	if len(data) > 0 {
		e.Data = data
	}
	return e, nil
}
