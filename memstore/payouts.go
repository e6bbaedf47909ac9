package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/commissionkit/commission"
)

// payoutStore holds a program's payouts by id, and their places in the
// listing order, all of them and by earner. A stored payout is replaced,
// never changed; reads return copies of it.
type payoutStore struct {
	byID     map[string]*commission.Payout
	all      ordered[orderKey] // by (CreatedAt, ID)
	byEarner map[commission.Earner]ordered[orderKey]
}

func newPayoutStore() payoutStore {
	return payoutStore{byID: make(map[string]*commission.Payout), byEarner: make(map[commission.Earner]ordered[orderKey])}
}

func (t *tx) InsertPayout(_ context.Context, in *commission.Payout) error {
	if err := t.writable(); err != nil {
		return err
	}
	ps := &t.p.payouts
	if _, taken := ps.byID[in.ID]; taken {
		return fmt.Errorf("%w: payout %q", commission.ErrDuplicateKey, in.ID)
	}
	rewards, err := t.freeRewards(in.RewardIDs)
	if err != nil {
		return err
	}
	entries, err := t.p.entries.free(in.EntryIDs)
	if err != nil {
		return err
	}
	p := clonePayout(in)
	ps.add(p)
	t.onRollback(func() { ps.drop(p) })
	t.changeRewards(rewards, func(_ int, r *commission.Reward) { r.PayoutID = p.ID })
	for _, i := range entries {
		t.changeEntry(i, func(e *commission.Entry) { e.PayoutID = p.ID })
	}
	return nil
}

// freeRewards reads the rewards with ids to put them in a payout.
// ErrNotFound if one is unknown, ErrInPayout if one is in a payout
// already, or named twice.
func (t *tx) freeRewards(ids []string) (*storedRewards, error) {
	rewards, err := t.readRewards(ids)
	if err != nil {
		return nil, err
	}
	seen := make(map[rewardLoc]bool, len(ids))
	for k, ref := range rewards.refs {
		if r := rewards.at(k); r.PayoutID != "" || seen[ref.loc] {
			return nil, fmt.Errorf("%w: reward %q", commission.ErrInPayout, r.ID)
		}
		seen[ref.loc] = true
	}
	return rewards, nil
}

// free returns the indexes of the entries with ids to put them in a
// payout. ErrNotFound if one is unknown, ErrInPayout if one is in a
// payout already, or named twice.
func (es *entryStore) free(ids []string) ([]int32, error) {
	indexes, err := es.find(ids)
	if err != nil {
		return nil, err
	}
	seen := make(map[int32]bool, len(ids))
	for _, i := range indexes {
		if e := es.list.at(i); e.PayoutID != "" || seen[i] {
			return nil, fmt.Errorf("%w: entry %q", commission.ErrInPayout, e.ID)
		}
		seen[i] = true
	}
	return indexes, nil
}

func (ps *payoutStore) add(p *commission.Payout) {
	ps.byID[p.ID] = p
	at := orderKey{p.CreatedAt.UnixMicro(), p.ID}
	ps.all.insert(at)
	l := ps.byEarner[p.Earner]
	l.insert(at)
	ps.byEarner[p.Earner] = l
}

// drop undoes add.
func (ps *payoutStore) drop(p *commission.Payout) {
	delete(ps.byID, p.ID)
	at := orderKey{p.CreatedAt.UnixMicro(), p.ID}
	ps.all.remove(at)
	l := ps.byEarner[p.Earner]
	l.remove(at)
	ps.byEarner[p.Earner] = l
}

func (t *tx) UpdatePayout(_ context.Context, in *commission.Payout) error {
	if err := t.writable(); err != nil {
		return err
	}
	ps := &t.p.payouts
	old, ok := ps.byID[in.ID]
	if !ok {
		return fmt.Errorf("%w: payout %q", commission.ErrNotFound, in.ID)
	}
	p := clonePayout(old)
	p.State, p.PaidAt, p.CanceledAt, p.Reference = in.State, copyTime(in.PaidAt), copyTime(in.CanceledAt), in.Reference
	ps.byID[p.ID] = p
	t.onRollback(func() { ps.byID[p.ID] = old })
	switch p.State {
	case commission.PayoutPaid:
		return t.payOut(p)
	case commission.PayoutCanceled:
		return t.cancelPayout(p)
	}
	return nil
}

// payOut marks p's rewards paid.
func (t *tx) payOut(p *commission.Payout) error {
	rewards, err := t.readRewards(p.RewardIDs)
	if err != nil {
		return err
	}
	t.changeRewards(rewards, func(_ int, r *commission.Reward) {
		if r.PayoutID == p.ID {
			r.Status = commission.RewardPaid
		}
	})
	return nil
}

// cancelPayout frees p's rewards and adjustments for another payout.
func (t *tx) cancelPayout(p *commission.Payout) error {
	rewards, err := t.readRewards(p.RewardIDs)
	if err != nil {
		return err
	}
	entries, err := t.p.entries.find(p.EntryIDs)
	if err != nil {
		return err
	}
	t.changeRewards(rewards, func(_ int, r *commission.Reward) {
		if r.PayoutID == p.ID {
			r.PayoutID = ""
		}
	})
	for _, i := range entries {
		if t.p.entries.list.at(i).PayoutID == p.ID {
			t.changeEntry(i, func(e *commission.Entry) { e.PayoutID = "" })
		}
	}
	return nil
}

func (t *tx) Payout(_ context.Context, id string) (*commission.Payout, error) {
	p, ok := t.p.payouts.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: payout %q", commission.ErrNotFound, id)
	}
	return clonePayout(p), nil
}

func (t *tx) Payouts(_ context.Context, q commission.PayoutQuery) ([]*commission.Payout, error) {
	ps := &t.p.payouts
	list := ps.all
	if q.Earner != nil {
		list = ps.byEarner[*q.Earner]
	}
	end := len(list)
	if q.After != nil {
		end = list.first(func(k orderKey) bool { return !k.before(q.After.CreatedAt, q.After.ID) })
	}
	var out []*commission.Payout
	for i := end - 1; i >= 0 && len(out) < q.Limit; i-- {
		p := ps.byID[list[i].id]
		if len(q.States) == 0 || slices.Contains(q.States, p.State) {
			out = append(out, clonePayout(p))
		}
	}
	return out, nil
}

// clonePayout returns a deep copy of p.
func clonePayout(p *commission.Payout) *commission.Payout {
	c := *p
	c.RewardIDs = slices.Clone(p.RewardIDs)
	c.EntryIDs = slices.Clone(p.EntryIDs)
	c.PaidAt = copyTime(p.PaidAt)
	c.CanceledAt = copyTime(p.CanceledAt)
	return &c
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
