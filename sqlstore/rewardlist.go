package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/commissionkit/commission"
)

// An earner's rewards are listed along its listing index (by earner, then
// created_at and id), newest first: a page reads its own rows, and those its
// filters skip, never the earner's whole history.

func (t *tx) Rewards(ctx context.Context, q commission.RewardQuery) ([]*commission.Reward, error) {
	query, args, err := t.rewardListQuery(q)
	if err != nil {
		return nil, err
	}
	rows, err := t.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list rewards: %w", err)
	}
	defer rows.Close()
	var out []*commission.Reward
	for rows.Next() {
		r, err := scanReward(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// rewardListQuery is the statement, and its arguments, selecting the page
// q of rewards.
func (t *tx) rewardListQuery(q commission.RewardQuery) (string, []any, error) {
	col, ok := earnerColumns[q.Earner.Kind]
	if !ok {
		return "", nil, fmt.Errorf("sqlstore: list rewards: unknown earner kind %q", q.Earner.Kind)
	}
	var b strings.Builder
	b.WriteString("SELECT " + t.s.q.rewardSelectList + " FROM commission_rewards")
	// The status index would serve a filter on units and statuses, but
	// then read the earner's whole history in that status to sort it.
	switch index := "commission_rewards_" + string(q.Earner.Kind); t.s.d {
	case SQLite:
		b.WriteString(" INDEXED BY " + index)
	case MySQL:
		b.WriteString(" FORCE INDEX (" + index + ")")
	}
	b.WriteString(" WHERE program_id = ? AND " + col + " = ?")
	args := []any{t.program, q.Earner.ID}
	if q.Units != "" {
		b.WriteString(" AND amount_units = ?")
		args = append(args, q.Units)
	}
	if len(q.Statuses) > 0 {
		args = statusesAt(&b, args, q.Statuses, micros(q.Now))
	}
	if !q.From.IsZero() {
		b.WriteString(" AND created_at >= ?")
		args = append(args, ceilMicros(q.From))
	}
	if !q.To.IsZero() {
		b.WriteString(" AND created_at < ?")
		args = append(args, ceilMicros(q.To))
	}
	args = t.s.d.newestFirst(&b, args, q.After, q.Limit)
	return t.s.d.rebind(b.String()), args, nil
}

// statusesAt appends the condition that a reward's status as of now (Unix
// microseconds, rounded down) is one of statuses: one held in review is
// earned once its review has ended.
func statusesAt(b *strings.Builder, args []any, statuses []commission.RewardStatus, now int64) []any {
	b.WriteString(" AND (")
	for i, s := range statuses {
		if i > 0 {
			b.WriteString(" OR ")
		}
		switch s {
		case commission.RewardInReview:
			b.WriteString("(status = ? AND (review_ends_at IS NULL OR review_ends_at > ?))")
			args = append(args, string(s), now)
		case commission.RewardOK:
			b.WriteString("status = ? OR (status = ? AND review_ends_at <= ?)")
			args = append(args, string(s), string(commission.RewardInReview), now)
		default:
			b.WriteString("status = ?")
			args = append(args, string(s))
		}
	}
	b.WriteString(")")
	return args
}
