package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/commissionkit/commission"
)

// A payout is a row of its own, and the rewards and adjustments it holds
// are its items, in order. A reward (or entry) in a payout holds the
// payout's id in its payout_id column: it is put there by one conditional
// UPDATE (payout_id '' to the payout's id) per kind whose rows affected are
// checked. The UPDATE locks the rows it changes, so that of two units of
// work racing for a reward, on any connection, the second waits for the
// first and then finds the reward taken. Statements go through the items,
// so that a payout of any size takes a few.

// InsertPayout leaves nothing of the payout behind when it fails.
func (t *tx) InsertPayout(ctx context.Context, p *commission.Payout) error {
	if err := t.writable(); err != nil {
		return err
	}
	amount, err := money(p.Amount)
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, t.s.q.money.insertPayout, t.program, p.ID, string(p.Earner.Kind), p.Earner.ID, p.EarnerKey,
		p.Units, amount, string(p.State), micros(p.CreatedAt), microsPtr(p.PaidAt), microsPtr(p.CanceledAt), p.Reference)
	if err := inserted(res, err, fmt.Sprintf("payout %q", p.ID)); err != nil {
		return err
	}
	for k, ids := range [memberKinds][]string{p.RewardIDs, p.EntryIDs} {
		if len(ids) == 0 {
			continue
		}
		err := t.insertItems(ctx, p.ID, memberKind(k), ids)
		if err == nil {
			err = t.claim(ctx, p.ID, memberKind(k), len(ids))
		}
		if err != nil {
			t.undoPayout(ctx, p.ID)
			return err
		}
	}
	return nil
}

// insertItems stores ids as the payout's items of kind k, in order: on
// PostgreSQL in one statement, elsewhere in one a chunk.
func (t *tx) insertItems(ctx context.Context, payoutID string, k memberKind, ids []string) error {
	kind := memberNames[k]
	if t.s.d == Postgres {
		if _, err := t.q.ExecContext(ctx, t.s.q.money.insertItems, t.program, payoutID, kind, ids); err != nil {
			return fmt.Errorf("sqlstore: items of payout %q: %w", payoutID, err)
		}
		return nil
	}
	return chunks(len(ids), idChunk, func(start, end int) error {
		args := make([]any, 0, (end-start)*itemArity)
		for i := start; i < end; i++ {
			args = append(args, t.program, payoutID, kind, i, ids[i])
		}
		query := "INSERT INTO commission_payout_items (" + itemCols + ") VALUES " + rowsOf(end-start, itemArity)
		if _, err := t.q.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("sqlstore: items of payout %q: %w", payoutID, err)
		}
		return nil
	})
}

// claim puts the payout's n items of kind k in it, each only if it is in no
// payout.
func (t *tx) claim(ctx context.Context, payoutID string, k memberKind, n int) error {
	res, err := t.q.ExecContext(ctx, t.s.q.money.claim[k], payoutID, t.program, payoutID, memberNames[k])
	if err != nil {
		return fmt.Errorf("sqlstore: payout %q: %w", payoutID, err)
	}
	claimed, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: payout %q: %w", payoutID, err)
	}
	if claimed == int64(n) {
		return nil
	}
	return t.unclaimed(ctx, payoutID, k)
}

// unclaimed says why an item of kind k did not go in the payout: it is
// unknown (ErrNotFound), in another payout, or given twice (ErrInPayout).
func (t *tx) unclaimed(ctx context.Context, payoutID string, k memberKind) error {
	rows, err := t.q.QueryContext(ctx, t.s.q.money.members[k], t.program, payoutID, memberNames[k])
	if err != nil {
		return fmt.Errorf("sqlstore: payout %q: %w", payoutID, err)
	}
	defer rows.Close()
	what := memberNames[k]
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		var in sql.NullString
		if err := rows.Scan(&id, &in); err != nil {
			return fmt.Errorf("sqlstore: payout %q: %w", payoutID, err)
		}
		switch {
		case !in.Valid:
			return fmt.Errorf("%w: %s %q", commission.ErrNotFound, what, id)
		case in.String != payoutID:
			return fmt.Errorf("%w: %s %q is in payout %q", commission.ErrInPayout, what, id, in.String)
		case seen[id]:
			return fmt.Errorf("%w: %s %q is given twice", commission.ErrInPayout, what, id)
		}
		seen[id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: payout %q: %w", payoutID, err)
	}
	return fmt.Errorf("sqlstore: payout %q: its %ss changed while it took them", payoutID, what)
}

// undoPayout deletes a payout that this unit of work inserted, releasing
// what it claimed, when the rest of its insert failed: it leaves nothing of
// the payout behind, so that the caller may go on.
func (t *tx) undoPayout(ctx context.Context, payoutID string) {
	t.release(ctx, payoutID)
	t.q.ExecContext(ctx, t.s.q.money.deleteItems, t.program, payoutID)
	t.q.ExecContext(ctx, t.s.q.money.deletePayout, t.program, payoutID)
}

// release takes the payout's rewards and adjustments out of it.
func (t *tx) release(ctx context.Context, payoutID string) error {
	for k := range memberKinds {
		if _, err := t.q.ExecContext(ctx, t.s.q.money.release[k], t.program, payoutID, memberNames[k]); err != nil {
			return fmt.Errorf("sqlstore: payout %q: %w", payoutID, err)
		}
	}
	return nil
}

func (t *tx) UpdatePayout(ctx context.Context, p *commission.Payout) error {
	m := &t.s.q.money
	err := t.updateOne(ctx, m.updatePayout, m.payoutExists, "payout", p.ID,
		string(p.State), microsPtr(p.PaidAt), microsPtr(p.CanceledAt), p.Reference, t.program, p.ID)
	if err != nil {
		return err
	}
	switch p.State {
	case commission.PayoutPaid:
		args := []any{string(commission.RewardPaid), t.program, p.ID, memberNames[rewardMember]}
		if _, err := t.q.ExecContext(ctx, m.markPaid, args...); err != nil {
			return fmt.Errorf("sqlstore: payout %q: %w", p.ID, err)
		}
	case commission.PayoutCanceled:
		return t.release(ctx, p.ID)
	}
	return nil
}

func (t *tx) Payout(ctx context.Context, id string) (*commission.Payout, error) {
	p, err := scanPayout(t.q.QueryRowContext(ctx, t.s.q.money.payout, t.program, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("payout %q", id))
	}
	if err := t.attachItems(ctx, []*commission.Payout{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// scanPayout reads the columns of payoutSelectList.
func scanPayout(row scanner) (*commission.Payout, error) {
	var p commission.Payout
	var amount string
	var created int64
	var paid, canceled sql.NullInt64
	err := row.Scan(&p.ID, &p.Earner.Kind, &p.Earner.ID, &p.EarnerKey, &p.Units, &amount, &p.State,
		&created, &paid, &canceled, &p.Reference)
	if err != nil {
		return nil, err
	}
	if p.Amount, err = parseMoney(amount); err != nil {
		return nil, err
	}
	p.CreatedAt, p.PaidAt, p.CanceledAt = fromMicros(created), fromNullMicros(paid), fromNullMicros(canceled)
	return &p, nil
}

// attachItems reads the rewards and adjustments of payouts, in order.
func (t *tx) attachItems(ctx context.Context, payouts []*commission.Payout) error {
	byID := make(map[string]*commission.Payout, len(payouts))
	ids := make([]string, len(payouts))
	for i, p := range payouts {
		byID[p.ID], ids[i] = p, p.ID
	}
	query := "SELECT payout_id, kind, item_id FROM commission_payout_items WHERE program_id = ?"
	err := t.eachByID(ctx, query, "payout_id", " ORDER BY payout_id, kind, position", ids, func(row scanner) error {
		var payoutID, kind, id string
		if err := row.Scan(&payoutID, &kind, &id); err != nil {
			return err
		}
		p := byID[payoutID]
		if kind == memberNames[entryMember] {
			p.EntryIDs = append(p.EntryIDs, id)
		} else {
			p.RewardIDs = append(p.RewardIDs, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlstore: payout items: %w", err)
	}
	return nil
}
