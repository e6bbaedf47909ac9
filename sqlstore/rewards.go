package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/commissionkit/commission"
)

// Reward reads without a lock: a reward changes with its transaction,
// whose row Transaction locks.
func (t *tx) Reward(ctx context.Context, id string) (*commission.Reward, error) {
	r, err := scanReward(t.q.QueryRowContext(ctx, t.s.q.reward, t.program, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("reward %q", id))
	}
	return r, nil
}

// scanReward reads the columns of rewardSelectList.
func scanReward(row scanner) (*commission.Reward, error) {
	var r commission.Reward
	if err := scanRewardInto(row, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// scanRewardInto reads the columns of rewardSelectList into r, which it
// overwrites.
func scanRewardInto(row scanner, r *commission.Reward) error {
	*r = commission.Reward{}
	var reviewEnds, decided, deleted sql.NullInt64
	var amount, explanation, reversed string
	var created int64
	err := row.Scan(&r.ID, &r.TransactionKey, &r.Action, &r.Status, &reviewEnds, &decided, &r.Reason,
		&r.PartnerID, &r.PartnerKey, &r.CustomerID, &r.CustomerKey, &r.RewardedCustomerID, &r.RewardedCustomerKey,
		&amount, &r.AmountUnits, &r.IsCurrency, &r.Credit, &r.ProductID, &r.ProductType, &created, &deleted, &explanation,
		&r.Line, &reversed, &r.PayoutID)
	if err != nil {
		return err
	}
	if r.Amount, err = parseMoney(amount); err != nil {
		return err
	}
	if r.Reversed, err = parseMoney(reversed); err != nil {
		return err
	}
	if err := decodeExplanation(explanation, &r.Explanation); err != nil {
		return fmt.Errorf("sqlstore: explanation of reward %q: %w", r.ID, err)
	}
	r.ReviewEndsAt, r.DecidedAt, r.DeletedAt = fromNullMicros(reviewEnds), fromNullMicros(decided), fromNullMicros(deleted)
	r.CreatedAt = fromMicros(created)
	return nil
}

func (t *tx) SetRewardStatus(ctx context.Context, id string, status commission.RewardStatus, reason string, at time.Time) error {
	return t.updateOne(ctx, t.s.q.setRewardStatus, t.s.q.rewardExists, "reward", id, string(status), reason, micros(at), t.program, id)
}

func (t *tx) AddRewards(ctx context.Context, in *commission.Transaction, from int) error {
	if err := t.writable(); err != nil {
		return err
	}
	key := in.Key
	tr, err := t.Transaction(ctx, key) // locks it, or ErrNotFound
	if err != nil {
		return err
	}
	if rewards := in.Rewards[from:]; len(rewards) > 0 {
		args, err := t.rewardsArgs(nil, key, len(tr.Rewards), rewards)
		if err != nil {
			return err
		}
		if err := t.insertRewardRows(ctx, args, fmt.Sprintf("reward id of transaction %q", key)); err != nil {
			return err
		}
	}
	if _, err := t.q.ExecContext(ctx, t.s.q.markRewarded, in.Rewardable, in.Qualified, t.program, key); err != nil {
		return fmt.Errorf("sqlstore: transaction %q: %w", key, err)
	}
	return nil
}

// rewardArgs appends the column values of the reward at position i of a
// transaction, in rewardCols order.
func (t *tx) rewardArgs(args []any, key string, i int, r *commission.Reward) ([]any, error) {
	amount, err := money(r.Amount)
	if err != nil {
		return nil, err
	}
	reversed, err := money(r.Reversed)
	if err != nil {
		return nil, err
	}
	explanation, err := r.Explanation.MarshalJSON() // what json.Marshal would call, without its checks
	if err != nil {
		return nil, err
	}
	return append(args, t.program, r.ID, key, i, r.Action, string(r.Status), microsPtr(r.ReviewEndsAt),
		microsPtr(r.DecidedAt), r.Reason, r.PartnerID, r.PartnerKey, r.CustomerID, r.CustomerKey,
		r.RewardedCustomerID, r.RewardedCustomerKey, amount, r.AmountUnits, r.IsCurrency, r.Credit,
		r.ProductID, r.ProductType, micros(r.CreatedAt), microsPtr(r.DeletedAt), string(explanation),
		r.Line, reversed, r.PayoutID), nil
}

// rewardsArgs appends the column values of rewards, which take the
// positions from first on in the transaction with key.
func (t *tx) rewardsArgs(args []any, key string, first int, rewards []commission.Reward) ([]any, error) {
	args = slices.Grow(args, rewardArity*len(rewards))
	for i := range rewards {
		var err error
		if args, err = t.rewardArgs(args, key, first+i, &rewards[i]); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// insertRewardRows inserts reward rows (rewardArity values each) in one
// statement; a taken reward id is ErrDuplicateKey.
func (t *tx) insertRewardRows(ctx context.Context, args []any, what string) error {
	rows := len(args) / rewardArity
	query := ""
	if rows < len(t.s.q.insertRewards) {
		query = t.s.q.insertRewards[rows]
	} else {
		query = t.s.q.rewardInsert(rows)
	}
	res, err := t.q.ExecContext(ctx, query, args...)
	return insertedAll(res, err, rows, what)
}
