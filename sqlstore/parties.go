package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/commissionkit/commission"
)

// Partners and customers are stored alike: each is found by its id, key or
// email, and their columns begin with the same six (id, key, email, name,
// surname, tags).

// findBy scans into dest the what ("partner" or "customer") named by id if
// set, else key, else email, reading it with by, its statements by column.
func (t *tx) findBy(ctx context.Context, by map[string]string, what, id, key, email string, dest []any, more ...any) error {
	col, v := "email", email
	switch {
	case id != "":
		col, v = "id", id
	case key != "":
		col, v = what+"_key", key
	}
	if v == "" {
		return fmt.Errorf("%w: empty %s reference", commission.ErrNotFound, what)
	}
	args := append([]any{t.program, v}, more...)
	if err := t.q.QueryRowContext(ctx, by[col], args...).Scan(dest...); err != nil {
		return notFound(err, what+" "+col+" "+v)
	}
	return nil
}

// insertParty runs insert, a statement adding a partner or customer: the
// program and the six columns both begin with, then rest. A taken id, key
// or email is ErrDuplicateKey.
func (t *tx) insertParty(ctx context.Context, insert, what, id, key, email, name, surname string, tags []string, rest ...any) error {
	if err := t.writable(); err != nil {
		return err
	}
	tagsJSON, err := toJSON(tags)
	if err != nil {
		return err
	}
	args := append([]any{t.program, id, key, nullIfEmpty(email), name, surname, tagsJSON}, rest...)
	res, err := t.q.ExecContext(ctx, insert, args...)
	return inserted(res, err, fmt.Sprintf("%s %q", what, key))
}

// partyRow scans the six columns partners and customers begin with, NULL
// in a LEFT JOIN that found no row.
type partyRow struct {
	id, key, email, name, surname, tags sql.NullString
}

// dest appends the scan destinations of the columns to out.
func (r *partyRow) dest(out []any) []any {
	return append(out, &r.id, &r.key, &r.email, &r.name, &r.surname, &r.tags)
}

func (r *partyRow) tagList() ([]string, error) {
	var tags []string
	err := json.Unmarshal([]byte(r.tags.String), &tags)
	return tags, err
}
