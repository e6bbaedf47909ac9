package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// Entries are rows of their own, in the order they were stored (seq). A
// reward's reversed column is the sum of its entries, negated, kept in step
// by the unit of work that stores them. On PostgreSQL and MySQL, whose
// money columns are exact decimals, the database subtracts each reward's
// sum of the entries, made here (entrysums.go); on SQLite, where money is
// text, the new values are computed here.

// InsertEntries leaves nothing of the call behind when it fails: on
// PostgreSQL it is one statement that writes only if nothing fails; on
// MySQL, for a call of one statement a table, two statements that undo
// the first if the second fails; elsewhere it checks everything before it
// writes anything (insertEntriesChecked).
//
// It returns where each entry's reward sat: on PostgreSQL as the
// statement's UPDATE of the rewards returns them, elsewhere read once the
// rewards are written (and so locked).
func (t *tx) InsertEntries(ctx context.Context, entries []commission.Entry) ([]commission.RewardPlace, error) {
	if err := t.writable(); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	ids, args, err := t.entryRows(entries)
	if err != nil {
		return nil, err
	}
	if t.s.d == Postgres {
		return t.pgInsertEntries(ctx, entries, args)
	}
	if t.s.d == MySQL && len(entries) <= batchRows {
		err = t.mysqlInsertEntries(ctx, entries, args)
	} else {
		err = t.insertEntriesChecked(ctx, entries, ids, args)
	}
	if err != nil {
		return nil, err
	}
	return t.rewardPlaces(ctx, entries)
}

// rewardPlaces reads where the reward of each entry sits.
func (t *tx) rewardPlaces(ctx context.Context, entries []commission.Entry) ([]commission.RewardPlace, error) {
	rewards, _, err := rewardSums(entries)
	if err != nil {
		return nil, err
	}
	found := make(map[string]commission.RewardPlace, len(rewards))
	query := "SELECT id, payout_id, status FROM commission_rewards WHERE program_id = ?"
	err = t.eachByID(ctx, query, "id", "", rewards, func(row scanner) error {
		var id string
		var at commission.RewardPlace
		err := row.Scan(&id, &at.PayoutID, &at.Status)
		found[id] = at
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: rewards of entries: %w", err)
	}
	return placesOf(entries, found), nil
}

// placesOf is where the reward of each entry sits, from where each
// reward by id sits.
func placesOf(entries []commission.Entry, byID map[string]commission.RewardPlace) []commission.RewardPlace {
	out := make([]commission.RewardPlace, len(entries))
	for i := range entries {
		out[i] = byID[entries[i].RewardID]
	}
	return out
}

// insertEntriesChecked stores entries, ids their ids and args their
// rows' values, reading and locking their rewards and checking their ids
// first, so that nothing is written unless every check passed.
func (t *tx) insertEntriesChecked(ctx context.Context, entries []commission.Entry, ids []string, args []any) error {
	rewards, reversed, err := t.reversedAfter(ctx, entries)
	if err != nil {
		return err
	}
	existing, err := t.existing(ctx, "commission_entries", ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if existing[id] {
			return fmt.Errorf("%w: entry %q", commission.ErrDuplicateKey, id)
		}
	}
	err = chunks(len(entries), batchRows, func(start, end int) error {
		query := t.s.d.rebind("INSERT INTO commission_entries (" + entryCols + ") VALUES " + rowsOf(end-start, entryArity) + t.s.d.skipDuplicate())
		res, err := t.q.ExecContext(ctx, query, args[start*entryArity:end*entryArity]...)
		return insertedAll(res, err, end-start, "entry id")
	})
	if err != nil {
		return err
	}
	return t.setReversed(ctx, rewards, reversed)
}

// entryRows returns the ids of entries and the column values of their
// rows, in entryCols order. An id given twice is ErrDuplicateKey.
func (t *tx) entryRows(entries []commission.Entry) ([]string, []any, error) {
	ids := make([]string, len(entries))
	seen := make(map[string]bool, len(entries))
	args := make([]any, 0, len(entries)*entryArity)
	for i := range entries {
		e := &entries[i]
		if seen[e.ID] {
			return nil, nil, fmt.Errorf("%w: entry %q", commission.ErrDuplicateKey, e.ID)
		}
		seen[e.ID], ids[i] = true, e.ID
		amount, err := money(e.Amount)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, t.program, e.ID, e.RewardID, e.TransactionKey, string(e.Reason), e.RefundKey,
			string(e.Earner.Kind), e.Earner.ID, e.Units, amount, micros(e.CreatedAt), e.Adjustment, e.PayoutID)
	}
	return ids, args, nil
}

// reversedAfter reads the rewards of entries, locking them, and returns
// their ids and what each one's reversed becomes with the entries. An
// unknown reward is ErrNotFound.
func (t *tx) reversedAfter(ctx context.Context, entries []commission.Entry) ([]string, []string, error) {
	index := map[string]int{}
	var ids []string
	for _, e := range entries {
		if _, ok := index[e.RewardID]; !ok {
			index[e.RewardID] = len(ids)
			ids = append(ids, e.RewardID)
		}
	}
	sums := make([]*decimal.Decimal, len(ids))
	query := "SELECT id, " + t.s.d.num("reversed") + " FROM commission_rewards WHERE program_id = ?"
	err := t.eachByID(ctx, query, "id", t.s.d.forUpdate(), ids, func(row scanner) error {
		var id, v string
		if err := row.Scan(&id, &v); err != nil {
			return err
		}
		d, err := parseMoney(v)
		sums[index[id]] = &d
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: rewards of entries: %w", err)
	}
	for i, s := range sums {
		if s == nil {
			return nil, nil, fmt.Errorf("%w: reward %q", commission.ErrNotFound, ids[i])
		}
	}
	for _, e := range entries {
		s := sums[index[e.RewardID]]
		*s = s.Sub(e.Amount)
	}
	values := make([]string, len(ids))
	for i, s := range sums {
		if values[i], err = money(*s); err != nil {
			return nil, nil, err
		}
	}
	return ids, values, nil
}

// setReversed sets the reversed of the rewards ids to values, in one
// statement a chunk of ids (MySQL and SQLite).
func (t *tx) setReversed(ctx context.Context, ids, values []string) error {
	return chunks(len(ids), idChunk, func(start, end int) error {
		n := end - start
		args := make([]any, 0, 3*n+1)
		for i := start; i < end; i++ {
			args = append(args, ids[i], values[i])
		}
		args = append(args, t.program)
		query := "UPDATE commission_rewards SET reversed = CASE id" + strings.Repeat(" WHEN ? THEN ?", n) +
			" END WHERE program_id = ? AND " + t.s.d.inIDs("id", n)
		if _, err := t.q.ExecContext(ctx, query, t.s.d.idArgs(args, ids[start:end])...); err != nil {
			return fmt.Errorf("sqlstore: reversed of rewards: %w", err)
		}
		return nil
	})
}

// existing returns which of ids name a row of table in the program.
func (t *tx) existing(ctx context.Context, table string, ids []string) (map[string]bool, error) {
	found := map[string]bool{}
	err := t.eachByID(ctx, "SELECT id FROM "+table+" WHERE program_id = ?", "id", "", ids, func(row scanner) error {
		var id string
		err := row.Scan(&id)
		found[id] = true
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", table, err)
	}
	return found, nil
}

func (t *tx) Entries(ctx context.Context, transactionKey string) ([]commission.Entry, error) {
	return t.entries(ctx, t.s.q.money.entriesOf, t.program, transactionKey)
}

func (t *tx) OpenAdjustments(ctx context.Context, e commission.Earner, units string) ([]commission.Entry, error) {
	return t.entries(ctx, t.s.q.money.openAdjustments, t.program, string(e.Kind), e.ID, units, true)
}

func (t *tx) SetEntriesAdjustment(ctx context.Context, ids []string, adjustment bool) error {
	if err := t.writable(); err != nil {
		return err
	}
	// Checked first: MySQL counts the rows an UPDATE changes, not those
	// it finds.
	existing, err := t.existing(ctx, "commission_entries", ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !existing[id] {
			return fmt.Errorf("%w: entry %q", commission.ErrNotFound, id)
		}
	}
	d := t.s.d
	return d.idChunks(ids, func(chunk []string) error {
		query := d.rebind("UPDATE commission_entries SET adjustment = ? WHERE program_id = ? AND " + d.inIDs("id", len(chunk)))
		if _, err := t.q.ExecContext(ctx, query, d.idArgs([]any{adjustment, t.program}, chunk)...); err != nil {
			return fmt.Errorf("sqlstore: entries: %w", err)
		}
		return nil
	})
}

// entries runs query, which selects entrySelectList, with args.
func (t *tx) entries(ctx context.Context, query string, args ...any) ([]commission.Entry, error) {
	rows, err := t.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: entries: %w", err)
	}
	defer rows.Close()
	var out []commission.Entry
	for rows.Next() {
		var e commission.Entry
		var amount string
		var created int64
		err := rows.Scan(&e.ID, &e.RewardID, &e.TransactionKey, &e.Reason, &e.RefundKey, &e.Earner.Kind, &e.Earner.ID,
			&e.Units, &amount, &created, &e.Adjustment, &e.PayoutID)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: entries: %w", err)
		}
		if e.Amount, err = parseMoney(amount); err != nil {
			return nil, err
		}
		e.CreatedAt = fromMicros(created)
		out = append(out, e)
	}
	return out, rows.Err()
}
