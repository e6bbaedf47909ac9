package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// What an earner is owed is read along its status index (by earner, units,
// status and review end), so that it costs what the earner's rewards in
// review, or earned and unpaid, number: its paid rewards, whose status is
// paid, are never read. Amounts are summed and compared here, so that
// SQLite, where money is text, does so exactly too.

func (t *tx) PendingSum(ctx context.Context, e commission.Earner, units string, after time.Time) (decimal.Decimal, error) {
	sum := decimal.Zero
	query, ok := t.s.q.money.pending[e.Kind]
	if !ok {
		return sum, fmt.Errorf("sqlstore: pending sum: unknown earner kind %q", e.Kind)
	}
	rows, err := t.q.QueryContext(ctx, query, t.program, e.ID, units, string(commission.RewardInReview), micros(after))
	if err != nil {
		return sum, fmt.Errorf("sqlstore: pending sum: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var partnerID, amount, reversed string
		if err := rows.Scan(&partnerID, &amount, &reversed); err != nil {
			return sum, fmt.Errorf("sqlstore: pending sum: %w", err)
		}
		if !pays(e, partnerID) {
			continue
		}
		a, err := parseMoney(amount)
		if err != nil {
			return sum, err
		}
		r, err := parseMoney(reversed)
		if err != nil {
			return sum, err
		}
		sum = sum.Add(a.Sub(r))
	}
	return sum, rows.Err()
}

func (t *tx) PayableRewards(ctx context.Context, e commission.Earner, units string, asOf time.Time) ([]*commission.Reward, error) {
	query, ok := t.s.q.money.payable[e.Kind]
	if !ok {
		return nil, fmt.Errorf("sqlstore: payable rewards: unknown earner kind %q", e.Kind)
	}
	earned, review := string(commission.RewardOK), string(commission.RewardInReview)
	rows, err := t.q.QueryContext(ctx, query, t.program, e.ID, units, earned, review, earned, micros(asOf))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: payable rewards: %w", err)
	}
	defer rows.Close()
	var out []*commission.Reward
	for rows.Next() {
		r, err := scanReward(rows)
		if err != nil {
			return nil, err
		}
		if r.Amount.GreaterThan(r.Reversed) && pays(e, r.PartnerID) {
			out = append(out, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: payable rewards: %w", err)
	}
	slices.SortFunc(out, func(a, b *commission.Reward) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// pays reports whether a reward of partnerID, found by e's column, pays
// e: a reward pays its partner when it has one, else its rewarded
// customer.
func pays(e commission.Earner, partnerID string) bool {
	return e.Kind == commission.EarnerPartner || partnerID == ""
}
