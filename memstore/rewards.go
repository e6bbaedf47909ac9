package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/commissionkit/commission"
)

func (t *tx) Reward(_ context.Context, id string) (*commission.Reward, error) {
	loc, ok := t.p.rewards[id]
	if !ok {
		return nil, fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
	}
	tr, err := t.p.decode(loc.rec)
	if err != nil {
		return nil, err
	}
	return &tr.Rewards[loc.i], nil
}

func (t *tx) SetRewardStatus(_ context.Context, id string, status commission.RewardStatus, reason string, at time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	loc, ok := t.p.rewards[id]
	if !ok {
		return fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
	}
	tr, err := t.p.decode(loc.rec)
	if err != nil {
		return err
	}
	r := &tr.Rewards[loc.i]
	r.Status, r.Reason, r.DecidedAt = status, reason, &at
	t.rewrite(loc.rec, tr)
	return nil
}

func (t *tx) AddRewards(_ context.Context, in *commission.Transaction, from int) error {
	if err := t.writable(); err != nil {
		return err
	}
	ri, ok := t.p.txs[in.Key]
	if !ok {
		return fmt.Errorf("%w: transaction %q", commission.ErrNotFound, in.Key)
	}
	tr, err := t.p.decode(ri)
	if err != nil {
		return err
	}
	rewards := in.Rewards[from:]
	if err := t.p.rewardIDsFree(rewards); err != nil {
		return err
	}
	first := len(tr.Rewards)
	for i := range rewards {
		tr.Rewards = append(tr.Rewards, *rewards[i].Clone())
	}
	tr.Rewardable, tr.Qualified = in.Rewardable, in.Qualified
	t.rewrite(ri, tr)
	for i := range rewards {
		t.p.rewards[rewards[i].ID] = rewardLoc{rec: ri, i: int32(first + i)}
	}
	t.onRollback(func() {
		for i := range rewards {
			delete(t.p.rewards, rewards[i].ID)
		}
	})
	return nil
}

// rewardIDsFree is ErrDuplicateKey when the id of one of rewards is taken,
// or given to two of them.
func (p *program) rewardIDsFree(rewards []commission.Reward) error {
	for i := range rewards {
		id := rewards[i].ID
		_, taken := p.rewards[id]
		for j := range i {
			taken = taken || rewards[j].ID == id
		}
		if taken {
			return fmt.Errorf("%w: reward id %q", commission.ErrDuplicateKey, id)
		}
	}
	return nil
}
