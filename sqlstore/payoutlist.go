package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/commissionkit/commission"
)

// Payouts are listed newest first along an index by created_at and id,
// the program's or (filtered by earner) the earner's.

func (t *tx) Payouts(ctx context.Context, q commission.PayoutQuery) ([]*commission.Payout, error) {
	var b strings.Builder
	b.WriteString("SELECT " + t.s.q.money.payoutSelectList + " FROM commission_payouts WHERE program_id = ?")
	args := []any{t.program}
	if q.Earner != nil {
		b.WriteString(" AND earner_kind = ? AND earner_id = ?")
		args = append(args, string(q.Earner.Kind), q.Earner.ID)
	}
	if len(q.States) > 0 {
		b.WriteString(" AND state IN " + placeholders(len(q.States)))
		for _, s := range q.States {
			args = append(args, string(s))
		}
	}
	args = t.s.d.newestFirst(&b, args, q.After, q.Limit)
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list payouts: %w", err)
	}
	var out []*commission.Payout
	for rows.Next() {
		p, err := scanPayout(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlstore: list payouts: %w", err)
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list payouts: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, t.attachItems(ctx, out)
}
