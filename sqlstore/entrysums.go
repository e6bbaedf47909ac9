package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// On PostgreSQL and MySQL, InsertEntries has the database subtract from
// each reward's reversed the sum of the call's entries against it, made
// here exactly: no reward is read first.

// pgEntryTypes are the column types of an entry row, in entryCols order
// after program_id.
var pgEntryTypes = []string{"text", "text", "text", "text", "text", "text", "text", "text", "numeric", "bigint", "bool", "text"}

// pgInsertEntriesSQL is the statement storing entries on PostgreSQL: it
// takes the program, one array a column of pgEntryTypes, then the ids of
// the rewards and the sum of the entries of each. It counts the rewards
// that exist and looks for a taken entry id, and writes (the entries, the
// rewards' reversed) only if every reward exists and no id is taken. It
// returns the rewards found, whether an id was taken, the entries
// written, the rewards written, and where each of those sits, as JSON
// [[id, payout, status], ...]. An entry id taken concurrently since its snapshot is a unique
// violation, which fails the whole statement.
func pgInsertEntriesSQL() string {
	arrays := make([]string, len(pgEntryTypes))
	for i, typ := range pgEntryTypes {
		arrays[i] = "$" + strconv.Itoa(i+2) + "::" + typ + "[]"
	}
	r := "$" + strconv.Itoa(len(pgEntryTypes)+2) + "::text[]"
	sums := "$" + strconv.Itoa(len(pgEntryTypes)+3) + "::numeric[]"
	ok := "c.rewards = cardinality(" + r + ") AND NOT c.taken"
	return "WITH c AS (SELECT (SELECT count(*) FROM commission_rewards WHERE program_id = $1 AND id = ANY(" + r + ")) AS rewards," +
		" EXISTS (SELECT 1 FROM commission_entries WHERE program_id = $1 AND id = ANY($2::text[])) AS taken)," +
		" e AS (INSERT INTO commission_entries (" + entryCols + ") SELECT $1::text, u.* FROM unnest(" + strings.Join(arrays, ", ") + ") AS u, c" +
		" WHERE " + ok + " RETURNING 1)," +
		" r AS (UPDATE commission_rewards AS m SET reversed = m.reversed - s.amount FROM unnest(" + r + ", " + sums + ") AS s(id, amount), c" +
		" WHERE " + ok + " AND m.program_id = $1 AND m.id = s.id RETURNING m.id, m.payout_id, m.status)" +
		" SELECT c.rewards, c.taken, (SELECT count(*) FROM e), (SELECT count(*) FROM r)," +
		" (SELECT coalesce(json_agg(json_build_array(id, payout_id, status)), '[]')::text FROM r) FROM c"
}

// rewardSums returns the rewards of entries, each once in the order first
// named, and the sum of each one's entries, as money text.
func rewardSums(entries []commission.Entry) ([]string, []string, error) {
	index := map[string]int{}
	var ids []string
	var totals []decimal.Decimal
	for _, e := range entries {
		i, ok := index[e.RewardID]
		if !ok {
			i = len(ids)
			index[e.RewardID] = i
			ids, totals = append(ids, e.RewardID), append(totals, decimal.Zero)
		}
		totals[i] = totals[i].Add(e.Amount)
	}
	sums := make([]string, len(totals))
	for i, total := range totals {
		var err error
		if sums[i], err = money(total); err != nil {
			return nil, nil, err
		}
	}
	return ids, sums, nil
}

// pgInsertEntries stores entries, args their rows' values, in one
// statement (pgInsertEntriesSQL), and returns where each entry's reward
// sits.
func (t *tx) pgInsertEntries(ctx context.Context, entries []commission.Entry, args []any) ([]commission.RewardPlace, error) {
	rewards, sums, err := rewardSums(entries)
	if err != nil {
		return nil, err
	}
	rows := make([][]any, len(entries))
	for i := range rows {
		rows[i] = args[i*entryArity : (i+1)*entryArity]
	}
	params := append([]any{t.program}, columns(rows, pgEntryTypes)...)
	params = append(params, rewards, sums)
	var found, written, updated int64
	var taken bool
	var places string
	err = t.q.QueryRowContext(ctx, t.s.q.money.insertEntries, params...).Scan(&found, &taken, &written, &updated, &places)
	switch {
	case err != nil:
		return nil, inserted(nil, err, "entry id")
	case found < int64(len(rewards)):
		if err := t.missingReward(ctx, rewards); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: reward of entries", commission.ErrNotFound)
	case taken:
		return nil, fmt.Errorf("%w: entry id", commission.ErrDuplicateKey)
	case written != int64(len(entries)) || updated != int64(len(rewards)):
		return nil, fmt.Errorf("sqlstore: insert entries: %d of %d written, %d of %d rewards", written, len(entries), updated, len(rewards))
	}
	return pgPlaces(entries, places)
}

// pgPlaces reads the places pgInsertEntriesSQL returns.
func pgPlaces(entries []commission.Entry, text string) ([]commission.RewardPlace, error) {
	var rows [][3]string
	if err := json.Unmarshal([]byte(text), &rows); err != nil {
		return nil, fmt.Errorf("sqlstore: rewards of entries: %w", err)
	}
	byID := make(map[string]commission.RewardPlace, len(rows))
	for _, r := range rows {
		byID[r[0]] = commission.RewardPlace{PayoutID: r[1], Status: commission.RewardStatus(r[2])}
	}
	return placesOf(entries, byID), nil
}

// missingReward returns ErrNotFound naming the first of rewards that
// does not exist, or nil if every one does.
func (t *tx) missingReward(ctx context.Context, rewards []string) error {
	existing, err := t.existing(ctx, "commission_rewards", rewards)
	if err != nil {
		return err
	}
	for _, id := range rewards {
		if !existing[id] {
			return fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
		}
	}
	return nil
}

// mysqlInsertEntries stores entries, at most batchRows, args their rows'
// values, on MySQL: one UPDATE of their rewards' reversed, then one INSERT
// of their rows. When a reward is unknown, or the INSERT fails (a taken
// id), the UPDATE is undone, so that the call leaves nothing behind.
func (t *tx) mysqlInsertEntries(ctx context.Context, entries []commission.Entry, args []any) error {
	rewards, sums, err := rewardSums(entries)
	if err != nil {
		return err
	}
	changed, err := t.mysqlAddReversed(ctx, rewards, sums, "-")
	if err != nil {
		return err
	}
	// MySQL counts the rows an UPDATE changes: a reward whose entries sum
	// to zero is found but not changed.
	if changed < int64(len(rewards)) {
		if err := t.missingReward(ctx, rewards); err != nil {
			return t.mysqlUndoReversed(ctx, rewards, sums, err, commission.ErrNotFound)
		}
	}
	query := "INSERT INTO commission_entries (" + entryCols + ") VALUES " + rowsOf(len(entries), entryArity)
	res, err := t.q.ExecContext(ctx, query, args...)
	if err := insertedAll(res, err, len(entries), "entry id"); err != nil {
		return t.mysqlUndoReversed(ctx, rewards, sums, err, commission.ErrDuplicateKey)
	}
	return nil
}

// mysqlUndoReversed adds back to the rewards' reversed what
// mysqlInsertEntries took, and returns cause (or the undo's error), when
// cause is undoable: an error of a statement that MySQL rolled back alone,
// the transaction going on. Any other error (a deadlock rolls the whole
// transaction back, after which a statement would commit on its own) is
// returned as it is, and fails the unit of work.
func (t *tx) mysqlUndoReversed(ctx context.Context, rewards, sums []string, cause, undoable error) error {
	if !errors.Is(cause, undoable) {
		return cause
	}
	if _, err := t.mysqlAddReversed(ctx, rewards, sums, "+"); err != nil {
		return err
	}
	return cause
}

// mysqlAddReversed sets each reward's reversed to itself op ("-" or "+")
// the sum of the same index, and returns how many rows it changed.
func (t *tx) mysqlAddReversed(ctx context.Context, rewards, sums []string, op string) (int64, error) {
	args := make([]any, 0, 3*len(rewards)+1) // the cases, the program, the ids
	for i := range rewards {
		args = append(args, rewards[i], sums[i])
	}
	args = append(args, t.program)
	query := "UPDATE commission_rewards SET reversed = reversed " + op + " CASE id" +
		strings.Repeat(" WHEN ? THEN CAST(? AS DECIMAL(38,18))", len(rewards)) +
		" END WHERE program_id = ? AND " + MySQL.inIDs("id", len(rewards))
	res, err := t.q.ExecContext(ctx, query, MySQL.idArgs(args, rewards)...)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: reversed of rewards: %w", err)
	}
	return res.RowsAffected()
}
