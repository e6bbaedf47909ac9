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
	s, err := t.p.readRewards([]string{id})
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

// storedRewards are stored rewards decoded to be changed, each
// transaction that holds some of them decoded once.
type storedRewards struct {
	locs []rewardLoc // in the order of the ids they were read by
	txs  map[int32]*commission.Transaction
	recs []int32 // the keys of txs, in the order they were first read
}

// readRewards decodes the rewards with ids, which may repeat. ErrNotFound
// if one is unknown.
func (p *program) readRewards(ids []string) (*storedRewards, error) {
	s := &storedRewards{locs: make([]rewardLoc, len(ids)), txs: make(map[int32]*commission.Transaction)}
	for k, id := range ids {
		loc, ok := p.rewards[id]
		if !ok {
			return nil, fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
		}
		s.locs[k] = loc
		if _, ok := s.txs[loc.rec]; ok {
			continue
		}
		tr, err := p.decode(loc.rec)
		if err != nil {
			return nil, err
		}
		s.txs[loc.rec] = tr
		s.recs = append(s.recs, loc.rec)
	}
	return s, nil
}

// at is the reward read by the k-th id.
func (s *storedRewards) at(k int) *commission.Reward {
	loc := s.locs[k]
	return &s.txs[loc.rec].Rewards[loc.i]
}

// changeRewards calls edit on each reward of s, with the index of the id
// it was read by, then stores the transactions that hold them and moves
// each between its earner's lists as its change requires; all of it is
// undone on rollback.
func (t *tx) changeRewards(s *storedRewards, edit func(k int, r *commission.Reward)) {
	was := make(map[rewardLoc]lists, len(s.locs))
	for k, loc := range s.locs {
		if _, seen := was[loc]; !seen {
			was[loc] = listsOf(s.at(k))
		}
	}
	for k := range s.locs {
		edit(k, s.at(k))
	}
	for k, loc := range s.locs {
		if w, ok := was[loc]; ok {
			t.relist(s.at(k), loc, w)
			delete(was, loc) // a reward read twice moves once
		}
	}
	for _, ri := range s.recs {
		t.rewrite(ri, s.txs[ri])
	}
}

// rewardReader decodes rewards for one read, each transaction once while
// its rewards come in a row.
type rewardReader struct {
	p   *program
	rec int32
	tr  *commission.Transaction
}

// at returns the reward stored at loc, which the caller may keep.
func (rr *rewardReader) at(loc rewardLoc) (*commission.Reward, error) {
	if rr.tr == nil || rr.rec != loc.rec {
		tr, err := rr.p.decode(loc.rec)
		if err != nil {
			return nil, err
		}
		rr.rec, rr.tr = loc.rec, tr
	}
	return &rr.tr.Rewards[loc.i], nil
}
