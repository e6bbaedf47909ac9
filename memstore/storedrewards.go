package memstore

import (
	"fmt"

	"github.com/commissionkit/commission"
)

// storedRewards are stored rewards read to be changed, each transaction
// that holds some of them read once and copied once to be changed.
type storedRewards struct {
	refs []storedRef // in the order of the ids they were read by
	recs []storedRec // in the order they were first read
	// index finds a record's place in recs once there are many.
	index map[int32]int32
}

// storedRef is where the reward read by one id is stored, and the place
// in recs of its transaction.
type storedRef struct {
	loc rewardLoc
	rec int32
}

// storedRec is a transaction as it was read (shared, unchanged) and the
// copy of it that edits change.
type storedRec struct {
	ri       int32
	was, now *commission.Transaction
}

// indexFrom is how many transactions storedRewards finds without an
// index.
const indexFrom = 8

// readRewards reads the rewards with ids, which may repeat. ErrNotFound
// if one is unknown.
func (t *tx) readRewards(ids []string) (*storedRewards, error) {
	s := &storedRewards{refs: make([]storedRef, len(ids))}
	for k, id := range ids {
		loc, ok := t.p.rewards[id]
		if !ok {
			return nil, fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
		}
		rec, ok := s.find(loc.rec)
		if !ok {
			tr, err := t.read(loc.rec)
			if err != nil {
				return nil, err
			}
			rec = s.add(storedRec{ri: loc.rec, was: tr, now: editable(tr)})
		}
		s.refs[k] = storedRef{loc: loc, rec: rec}
	}
	return s, nil
}

// find returns the place in recs of record ri, if it was read.
func (s *storedRewards) find(ri int32) (int32, bool) {
	if s.index != nil {
		i, ok := s.index[ri]
		return i, ok
	}
	for i := range s.recs {
		if s.recs[i].ri == ri {
			return int32(i), true
		}
	}
	return 0, false
}

// add appends r to recs, indexing them once there are many, and returns
// its place.
func (s *storedRewards) add(r storedRec) int32 {
	i := int32(len(s.recs))
	s.recs = append(s.recs, r)
	switch {
	case s.index != nil:
		s.index[r.ri] = i
	case len(s.recs) == indexFrom:
		s.index = make(map[int32]int32, 2*indexFrom)
		for j := range s.recs {
			s.index[s.recs[j].ri] = int32(j)
		}
	}
	return i
}

// at is the reward read by the k-th id, to be changed.
func (s *storedRewards) at(k int) *commission.Reward {
	ref := s.refs[k]
	return &s.recs[ref.rec].now.Rewards[ref.loc.i]
}

// changeRewards calls edit on each reward of s, with the index of the id
// it was read by, then stores the transactions that hold them and moves
// each changed reward between its earner's lists as its change requires;
// all of it is undone on rollback.
func (t *tx) changeRewards(s *storedRewards, edit func(k int, r *commission.Reward)) {
	for k := range s.refs {
		edit(k, s.at(k))
	}
	var m moves
	for _, r := range s.recs {
		for i := range r.now.Rewards {
			m.add(t.p, &r.was.Rewards[i], &r.now.Rewards[i], rewardLoc{rec: r.ri, i: int32(i)})
		}
		t.rewrite(r.ri, r.now)
	}
	t.move(m)
}
