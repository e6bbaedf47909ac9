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
	tr, err := t.read(loc.rec)
	if err != nil {
		return nil, err
	}
	return &tr.Rewards[loc.i], nil
}

func (t *tx) SetRewardStatus(_ context.Context, id string, status commission.RewardStatus, reason string, at time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	s, err := t.readRewards([]string{id})
	if err != nil {
		return err
	}
	t.changeRewards(s, func(_ int, r *commission.Reward) {
		r.Status, r.Reason, r.DecidedAt = status, reason, &at
	})
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
	was, err := t.read(ri)
	if err != nil {
		return err
	}
	rewards := in.Rewards[from:]
	if err := t.p.rewardIDsFree(rewards); err != nil {
		return err
	}
	tr := *was
	first := len(tr.Rewards)
	tr.Rewards = append(make([]commission.Reward, 0, first+len(rewards)), was.Rewards...)
	for i := range rewards {
		tr.Rewards = append(tr.Rewards, *rewards[i].Clone())
	}
	tr.Rewardable, tr.Qualified = in.Rewardable, in.Qualified
	t.rewrite(ri, &tr)
	// The copies, not the caller's rewards, which may change before a
	// rollback.
	added := tr.Rewards[first:]
	for i := range added {
		loc := rewardLoc{rec: ri, i: int32(first + i)}
		t.p.rewards[added[i].ID] = loc
		t.p.indexReward(&added[i], loc)
	}
	t.onRollback(func() {
		for i := range added {
			delete(t.p.rewards, added[i].ID)
			t.p.unindexReward(&added[i], rewardLoc{rec: ri, i: int32(first + i)})
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

// rewardReader reads rewards for one read, each transaction once while
// its rewards come in a row. In an Update it reads the transactions as the
// unit of work has them, and caches those it decodes when keep is set.
type rewardReader struct {
	t    *tx
	keep bool
	rec  int32
	tr   *commission.Transaction
}

// at returns the reward stored at loc, shared: the caller must not
// modify it.
func (rr *rewardReader) at(loc rewardLoc) (*commission.Reward, error) {
	if rr.tr == nil || rr.rec != loc.rec {
		var tr *commission.Transaction
		var err error
		if rr.keep {
			tr, err = rr.t.read(loc.rec)
		} else {
			tr, err = rr.t.peek(loc.rec)
		}
		if err != nil {
			return nil, err
		}
		rr.rec, rr.tr = loc.rec, tr
	}
	return &rr.tr.Rewards[loc.i], nil
}
