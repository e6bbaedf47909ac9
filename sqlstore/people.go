package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/commissionkit/commission"
)

// Changing and listing partners and customers. A change reads its row
// locked (SELECT … FOR UPDATE on PostgreSQL and MySQL; SQLite's writes
// take turns), and checks that a new email is free before it writes it,
// so that a taken email leaves the unit of work able to go on (on
// PostgreSQL an error would abort it). Listings walk an index by
// (program_id, created_at, id), or by (program_id, partner_id,
// created_at, id) for a partner's customers (migration 10), newest first.

// peopleQueries holds the fixed statements that change partners and
// customers, of one dialect.
type peopleQueries struct {
	lockPartner    map[string]string // by column, as partnerBy
	partnerEmail   string            // the id of the partner with an email
	updatePartner  string
	lockCustomer   map[string]string // by column, as customerBy
	customerEmail  string
	updateCustomer string
}

func newPeopleQueries(q *queries) peopleQueries {
	r, lock := q.d.rebind, q.d.forUpdate()
	locked := func(by map[string]string) map[string]string {
		out := make(map[string]string, len(by))
		for col, query := range by {
			out[col] = query + lock
		}
		return out
	}
	return peopleQueries{
		lockPartner:    locked(q.partnerBy),
		partnerEmail:   r("SELECT id FROM commission_partners WHERE program_id = ? AND email = ?"),
		updatePartner:  r("UPDATE commission_partners SET email = ?, name = ?, surname = ?, tags = ?, status = ? WHERE program_id = ? AND id = ?"),
		lockCustomer:   locked(q.customerBy),
		customerEmail:  r("SELECT id FROM commission_customers WHERE program_id = ? AND email = ?"),
		updateCustomer: r("UPDATE commission_customers SET email = ?, name = ?, surname = ?, tags = ?, status = ?, referral_url = ? WHERE program_id = ? AND id = ?"),
	}
}

func (t *tx) LockPartner(ctx context.Context, ref commission.PartnerRef) (*commission.Partner, error) {
	if !t.write {
		return t.Partner(ctx, ref)
	}
	var p partnerRow
	if err := t.findBy(ctx, t.s.q.people.lockPartner, "partner", ref.ID, ref.Key, ref.Email, p.dest(nil)); err != nil {
		return nil, err
	}
	return p.partner()
}

func (t *tx) LockCustomer(ctx context.Context, ref commission.CustomerRef) (*commission.Customer, error) {
	if !t.write {
		return t.Customer(ctx, ref)
	}
	var c customerRow
	if err := t.findBy(ctx, t.s.q.people.lockCustomer, "customer", ref.ID, ref.Key, ref.Email, c.dest(nil)); err != nil {
		return nil, err
	}
	return c.customer()
}

func (t *tx) UpdatePartner(ctx context.Context, p *commission.Partner) error {
	q := &t.s.q.people
	tags, err := toJSON(p.Tags)
	if err != nil {
		return err
	}
	return t.updateParty(ctx, q.partnerEmail, q.updatePartner, t.s.q.partnerExists, "partner", p.ID, p.Email,
		nullIfEmpty(p.Email), p.Name, p.Surname, tags, string(p.Status), t.program, p.ID)
}

func (t *tx) UpdateCustomer(ctx context.Context, c *commission.Customer) error {
	q := &t.s.q.people
	tags, err := toJSON(c.Tags)
	if err != nil {
		return err
	}
	return t.updateParty(ctx, q.customerEmail, q.updateCustomer, t.s.q.customerExists, "customer", c.ID, c.Email,
		nullIfEmpty(c.Email), c.Name, c.Surname, tags, string(c.Status), c.ReferralURL, t.program, c.ID)
}

// updateParty runs update, with args, on the what ("partner" or
// "customer") with id, after checking with owner (the statement reading
// whose email it is) that its new email is free. A taken email is
// ErrDuplicateKey, and changes nothing; a unique violation of the update
// itself (another unit of work took the email meanwhile) is too.
func (t *tx) updateParty(ctx context.Context, owner, update, exists, what, id, email string, args ...any) error {
	if err := t.writable(); err != nil {
		return err
	}
	if email != "" {
		var other string
		err := t.q.QueryRowContext(ctx, owner, t.program, email).Scan(&other)
		switch {
		case err == nil && other != id:
			return fmt.Errorf("%w: %s email %q", commission.ErrDuplicateKey, what, email)
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("sqlstore: %s email %q: %w", what, email, err)
		}
	}
	err := t.updateOne(ctx, update, exists, what, id, args...)
	if err != nil && classify(err) == uniqueViolation {
		return fmt.Errorf("%w: %s email %q", commission.ErrDuplicateKey, what, email)
	}
	return err
}

func (t *tx) Partners(ctx context.Context, q commission.PartnerQuery) ([]*commission.Partner, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString("SELECT " + partnerCols + " FROM commission_partners")
	args := []any{t.program}
	if q.Email == "" { // else the email's unique index finds the one partner
		b.WriteString(t.s.d.useIndex("commission_partners_listing"))
	}
	b.WriteString(" WHERE program_id = ?")
	if len(q.Statuses) > 0 {
		b.WriteString(" AND status IN " + placeholders(len(q.Statuses)))
		for _, s := range q.Statuses {
			args = append(args, string(s))
		}
	}
	if q.Email != "" {
		b.WriteString(" AND email = ?")
		args = append(args, q.Email)
	}
	if q.Tag != "" {
		var err error
		if args, err = t.s.d.hasTag(&b, args, q.Tag); err != nil {
			return nil, err
		}
	}
	args = t.s.d.newestPage(&b, args, q.After, q.Offset, q.Limit)
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list partners: %w", err)
	}
	defer rows.Close()
	var out []*commission.Partner
	for rows.Next() {
		var r partnerRow
		if err := rows.Scan(r.dest(nil)...); err != nil {
			return nil, fmt.Errorf("sqlstore: list partners: %w", err)
		}
		p, err := r.partner()
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list partners: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *tx) Customers(ctx context.Context, q commission.CustomerQuery) ([]*commission.Customer, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString("SELECT " + customerCols + " FROM commission_customers")
	args := []any{t.program}
	index := "commission_customers_listing"
	if q.PartnerID != "" {
		index = "commission_customers_partner"
	}
	b.WriteString(t.s.d.useIndex(index))
	b.WriteString(" WHERE program_id = ?")
	if q.PartnerID != "" {
		b.WriteString(" AND partner_id = ?")
		args = append(args, q.PartnerID)
	}
	if len(q.Statuses) > 0 {
		b.WriteString(" AND status IN " + placeholders(len(q.Statuses)))
		for _, s := range q.Statuses {
			args = append(args, string(s))
		}
	}
	args = t.s.d.newestPage(&b, args, q.After, q.Offset, q.Limit)
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list customers: %w", err)
	}
	defer rows.Close()
	var out []*commission.Customer
	for rows.Next() {
		var r customerRow
		if err := rows.Scan(r.dest(nil)...); err != nil {
			return nil, fmt.Errorf("sqlstore: list customers: %w", err)
		}
		c, err := r.customer()
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list customers: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// useIndex names the index a listing walks, on the dialects whose
// planners might otherwise read the program's rows by another and sort
// them: SQLite (INDEXED BY) and MySQL (FORCE INDEX). PostgreSQL plans
// from its statistics.
func (d Dialect) useIndex(index string) string {
	switch d {
	case SQLite:
		return " INDEXED BY " + index
	case MySQL:
		return " FORCE INDEX (" + index + ")"
	}
	return ""
}

// newestPage appends to a listing's statement the order of a page of rows
// newest first by (created_at, id), starting strictly after after when it
// is set, skipping offset rows, and its limit; it returns args with
// theirs.
func (d Dialect) newestPage(b *strings.Builder, args []any, after *commission.RewardPosition, offset, limit int) []any {
	id := d.bytewise("id")
	if after != nil {
		b.WriteString(" AND " + d.olderThan("created_at", id))
		args = d.olderArgs(args, micros(after.CreatedAt), after.ID)
	}
	b.WriteString(" ORDER BY created_at DESC, " + id + " DESC" + limitOffset(limit, offset))
	return args
}

// hasTag appends the condition that a row's tags (a JSON array of
// strings, as toJSON writes it, or null) hold tag, and returns args with
// its arguments. The tag is looked for as a whole element: its JSON string
// between the array's delimiters. Inside a JSON string a quote is always
// escaped, so `["` and `,"` only open an element and `"]` and `",` only
// close one, and the match is exact, case and all.
func (d Dialect) hasTag(b *strings.Builder, args []any, tag string) ([]any, error) {
	enc, err := json.Marshal(tag)
	if err != nil {
		return nil, err
	}
	find := "instr(tags, ?) > 0" // SQLite; MySQL's INSTR too, by the column's binary collation
	if d == Postgres {
		find = "strpos(tags, ?) > 0"
	}
	b.WriteString(" AND (" + strings.Repeat(find+" OR ", 3) + find + ")")
	s := string(enc)
	return append(args, "["+s+"]", "["+s+",", ","+s+"]", ","+s+","), nil
}
